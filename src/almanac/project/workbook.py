"""Series and numbers from Excel workbooks (Office Open XML, ECMA-376: .xlsx, .xlsm),
read with openpyxl.

A series is a sheet (the first, or ``sheet:``), a named table of it (``table:``,
Excel's Format as Table) or a range (``range: A3:D20``, or a defined name of one):
its first row names the columns, the rows under it are the data. A number is one
cell (``cell: data/kerncijfers.xlsx[2021]!C7``, or a defined name).

What a cell gives (openpyxl with ``data_only=True``: the values Excel saved):

- a number, with the decimals and kind its number format shows: ``0.0%`` is a
  percentage (the cell's 0.125 is 12.5 %), a format with a currency symbol an amount,
  ``0.00`` two decimals;
- a date cell a ``datetime.date`` (a date and time: a ``datetime``);
- a formula its cached value, the one Excel computed when it saved the file; a
  formula with no cached value (a workbook written by a program that does not
  calculate, never opened and saved in Excel or LibreOffice) is an error naming the
  cell, and so is an error value (``#DIV/0!``, ``#N/A``…).

Every problem names the workbook, the sheet and the cell, as Excel writes a
reference to another workbook's cell: ``data/kerncijfers.xlsx[2021]!C7``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import Problem, ReportError
from .csvfile import MAX_CSV_COLUMNS, MAX_CSV_ROWS, read_series_bytes, shown_path
from .model import CELL_REFERENCE, SeriesRef
from .tables import (
    CURRENCY_SIGNS,
    EURO,
    Cell,
    Currency,
    Number,
    Series,
    check_declared,
    check_magnitude,
    decimal_mark,
    type_columns,
)

MAX_WORKBOOK_BYTES = 32 * 2**20
MAX_UNPACKED_BYTES = 512 * 2**20
"""The most a workbook's parts may hold unpacked: a ZIP of a few MB can unpack to
gigabytes (a "ZIP bomb"); a workbook of 10 000 rows holds a few MB of XML."""


class Workbook:
    """One workbook file, opened once for every series and cell a chapter reads
    from it. ``shown`` is its path as messages name it; ``currency`` the report's,
    the one its amounts must be in."""

    def __init__(self, path: Path, owner: Path, line: int | None, root: Path,
                 currency: Currency = EURO):
        self.path, self.shown = path, shown_path(path, root)
        self.currency = currency
        data = read_series_bytes(path, owner, line, root, MAX_WORKBOOK_BYTES, "workbook")
        self._data = data
        self._book = self._open(read_only=True)
        self._formulas: Any = None

    def _open(self, read_only: bool, data_only: bool = True) -> Any:
        import openpyxl

        try:
            with zipfile.ZipFile(io.BytesIO(self._data)) as package:
                unpacked = sum(info.file_size for info in package.infolist())
            if unpacked > MAX_UNPACKED_BYTES:
                raise ReportError(Problem(
                    f"this workbook unpacks to {unpacked / 2**20:,.0f} MB; the limit is "
                    f"{MAX_UNPACKED_BYTES // 2**20} MB", self.path,
                    hint="keep the sheets the report uses, aggregated"))
            return openpyxl.load_workbook(io.BytesIO(self._data), read_only=read_only,
                                          data_only=data_only)
        except ReportError:
            raise
        except zipfile.BadZipFile:
            hint = "save it as Excel Workbook (.xlsx)"
            if self._data.startswith(b"\xd0\xcf\x11\xe0"):
                hint = "it is an Excel 97-2003 file (.xls): " + hint
            raise ReportError(Problem("not an Excel workbook (.xlsx): not a ZIP package",
                                      self.path, hint=hint)) from None
        except Exception as exc:  # openpyxl's many ways of saying "broken" (KeyError…)
            raise ReportError(Problem(f"not a readable Excel workbook ({type(exc).__name__}: "
                                      f"{str(exc)[:120]})", self.path,
                                      hint="open it in Excel or LibreOffice and save it "
                                      "again as Excel Workbook (.xlsx)")) from None

    def problem(self, sheet: str, coordinate: str, message: str, hint: str) -> Problem:
        """A Problem named ``file[sheet]!C7``."""
        return Problem(message, self.path, None, hint, None, f"[{sheet}]!{coordinate}")

    def sheet(self, name: str | None, owner: Path, line: int | None) -> Any:
        """The worksheet called ``name`` (None: the first); a ReportError listing the
        sheets for a name the workbook does not have."""
        names = self._book.sheetnames
        if name is None:
            return self._book[names[0]]
        if name not in names:
            close = difflib.get_close_matches(name, names, n=1)
            raise ReportError(Problem(
                f"{self.shown} has no sheet {name!r}", owner, line,
                f"did you mean {close[0]!r}?" if close else
                "its sheets are: " + ", ".join(repr(n) for n in names)))
        return self._book[name]

    def defined(self, name: str, owner: Path, line: int | None,
                sheet: Any = None) -> tuple[Any, str]:
        """The worksheet and range (``$A$1:$D$20``) of the defined name ``name``
        (sheet-scoped names of ``sheet`` first); a ReportError when there is none or it
        is not one range of one sheet."""
        found = None
        if sheet is not None and name in getattr(sheet, "defined_names", {}):
            found = sheet.defined_names[name]
        elif name in self._book.defined_names:
            found = self._book.defined_names[name]
        if found is None:
            known = list(self._book.defined_names)
            close = difflib.get_close_matches(name, known, n=1)
            raise ReportError(Problem(
                f"{self.shown} has no defined name {name!r}", owner, line,
                f"did you mean {close[0]!r}?" if close else
                "define it in Excel (Formulas › Name Manager), or give a range such as "
                "A1:D20"))
        try:
            destinations = list(found.destinations)
        except Exception:  # a name that holds a formula or a constant, not a range
            destinations = []
        if len(destinations) != 1:
            raise ReportError(Problem(
                f"the name {name!r} in {self.shown} is not one range of one sheet "
                f"({found.attr_text[:60]})", owner, line, "define the name as a range, "
                "e.g. ='2021'!$A$1:$D$20"))
        title, reference = destinations[0]
        return self.sheet(title, owner, line), reference.replace("$", "")

    def table(self, name: str, sheet_name: str | None, owner: Path,
              line: int | None) -> tuple[Any, str]:
        """The worksheet and range of the named table ``name`` (in ``sheet_name``, or
        in any sheet); openpyxl gives tables only to a workbook it opens whole."""
        book = self._open(read_only=False)
        found, known = None, []
        for sheet in book.worksheets:
            if sheet_name is not None and sheet.title != sheet_name:
                continue
            for table in sheet.tables.values():
                known.append(table.displayName)
                if table.displayName == name or table.name == name:
                    found = (sheet.title, table.ref)
        if found is None:
            close = difflib.get_close_matches(name, known, n=1)
            where = f"sheet {sheet_name!r} of {self.shown}" if sheet_name else self.shown
            raise ReportError(Problem(
                f"{where} has no table {name!r}", owner, line,
                f"did you mean {close[0]!r}?" if close else
                ("its tables are: " + ", ".join(known)) if known else
                "make one in Excel (Format as Table, then name it under Table Design), "
                "or give the sheet and a range"))
        return self.sheet(found[0], owner, line), found[1]

    def formula(self, sheet: str, coordinate: str) -> str | None:
        """The formula of a cell that has no saved value, or None (an empty cell)."""
        if self._formulas is None:
            self._formulas = self._open(read_only=False, data_only=False)
        value = self._formulas[sheet][coordinate].value
        return value if isinstance(value, str) and value.startswith("=") else None

    def cell(self, sheet: Any, coordinate: str) -> Cell:
        """One cell as a :class:`~almanac.project.tables.Cell` (:func:`read_cell`)."""
        from openpyxl.utils.cell import coordinate_from_string

        column, row = coordinate_from_string(coordinate)
        found = next(sheet.iter_rows(min_row=row, max_row=row, min_col=_index(column),
                                     max_col=_index(column)), (None,))[0]
        return read_cell(self, sheet.title, found, row, column)


def _index(column: str) -> int:
    from openpyxl.utils.cell import column_index_from_string

    return column_index_from_string(column)


def read_cell(book: Workbook, sheet: str, cell: Any, row: int, column: str) -> Cell:
    """A workbook cell as a :class:`Cell`: its number (a :class:`Number` with the
    decimals, percentage and currency its format shows), date, text or None; a
    ReportError for an error value, or for a formula that has no saved value."""
    coordinate = f"{column}{row}"
    value = getattr(cell, "value", None)
    kind = getattr(cell, "data_type", "n")
    if kind == "e":
        raise ReportError(book.problem(sheet, coordinate, f"the cell holds the error value "
                                       f"{value}", "correct the formula in Excel, or leave "
                                       "the cell empty for a value that is not known"))
    if value is None:
        if getattr(cell, "coordinate", None) is not None:  # a cell element with no value
            formula = book.formula(sheet, coordinate)
            if formula is not None:
                raise ReportError(book.problem(
                    sheet, coordinate, f"the formula {formula[:60]} has no saved value",
                    "open the workbook in Excel or LibreOffice and save it (a program that "
                    "wrote it did not calculate it), or write the value"))
        return Cell(None, row, column)
    if isinstance(value, bool):
        return Cell(str(value).upper(), row, column)
    if isinstance(value, dt.datetime):
        return Cell(value.date() if value.time() == dt.time(0) else value, row, column)
    if isinstance(value, dt.date):
        return Cell(value, row, column)
    if isinstance(value, (int, float)):
        number_format = getattr(cell, "number_format", "General") or "General"
        symbol = currency_symbol(number_format)
        if symbol is not None and symbol not in book.currency.symbols:
            currency = book.currency
            raise ReportError(book.problem(
                sheet, coordinate, f"the cell is an amount in {symbol} (its format is "
                f"{number_format[:40]}), and the report's currency is {currency.shown}",
                f"give the amount in {currency.code}, or format the cell as a plain number "
                "and name the currency in the label, or set the report's currency "
                "(currency: in report.yaml)"))
        return Cell(_number(value, number_format), row, column)
    return Cell(str(value), row, column)


def currency_symbol(number_format: str) -> str | None:
    """The currency symbol a number format shows, or None: Excel's locale form
    ``[$€-413]`` (ECMA-376 Part 1, 18.8.31: ``[$`` symbol ``-`` locale ``]``) or a
    symbol written in the format (``€ #,##0``, ``"$"#,##0.00``)."""
    section = number_format.split(";")[0]
    bracket = re.search(r"\[\$([^\]-]*)", section)
    if bracket:
        return bracket.group(1) or None
    found = re.search(rf"[{CURRENCY_SIGNS}]", re.sub(r"\[[^\]]*\]", "", section))
    return found.group(0) if found else None


def _number(value: int | float, number_format: str) -> Number:
    """A cell's number as its format shows it: ``0.0%`` is value × 100 with one
    decimal, a currency format an amount, ``0.00`` two decimals, General as stored;
    a whole number in a format of zeros only (``0000``, as codes and postcodes are
    kept) shows the zeros that pad it (ECMA-376 Part 1, 18.8.31 ``numFmts``: the
    digit placeholder ``0`` shows insignificant zeros), so 591 is the code ``0591``."""
    section = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", number_format.split(";")[0])
    percent = "%" in section
    currency = currency_symbol(number_format) is not None
    decimals = None
    if number_format != "General" and re.search(r"[0#?]", section):
        fraction = re.search(r"\.([0#?]+)", section)
        decimals = len(fraction.group(1)) if fraction else 0
    if percent:
        value = round(value * 100, 10)
    if isinstance(value, float) and value.is_integer() and decimals in (0, None) \
            and abs(value) < 2**53:
        value = int(value)
    text = str(value) if isinstance(value, int) else ""
    padded = re.fullmatch(r"0{2,}", section.strip())
    if padded and isinstance(value, int) and value >= 0:
        text = text.zfill(len(padded.group()))
    return Number(check_magnitude(value), decimals, percent, currency,
                  leading_zero=text.startswith("0") and len(text) > 1, text=text)


def read_workbook(book: Workbook, ref: SeriesRef, owner: Path, line: int | None) -> Series:
    """The typed :class:`Series` that ``ref`` names in ``book``: its sheet, table or
    range, header row first. ReportError naming the workbook, sheet and cell for an
    empty header cell, a value below an empty row or beside the header, an error
    value, a formula without a saved value, or a cell that is not what its column
    holds (:func:`~almanac.project.tables.type_columns`)."""
    from openpyxl.utils import range_boundaries

    sheet = book.sheet(ref.sheet, owner, line)
    bounds: tuple[int | None, ...] = (None, None, None, None)
    declared_range = ref.range
    if ref.table:
        sheet, declared_range = book.table(ref.table, ref.sheet, owner, line)
    elif ref.range and not re.fullmatch(r"\$?[A-Za-z]{1,3}\$?\d*(:\$?[A-Za-z]{1,3}\$?\d*)?",
                                        ref.range):
        sheet, declared_range = book.defined(ref.range, owner, line, sheet)
    if declared_range:
        try:
            bounds = range_boundaries(declared_range.replace("$", ""))
        except (ValueError, TypeError):
            raise ReportError(Problem(f"range {declared_range!r} is not a range of cells",
                                      owner, line, "write it as Excel does, e.g. A3:D20"))
    min_col, min_row, max_col, max_row = bounds
    title = sheet.title
    rows = _rows(sheet, min_row, max_row, min_col, max_col)
    header = None
    for row_number, cells in rows:
        if any(getattr(c, "value", None) is not None for c in cells):
            header = (row_number, cells)
            break
    if header is None:
        raise ReportError(Problem(f"sheet {title!r} of {book.shown} is empty"
                                  + (f" in {declared_range}" if declared_range else ""),
                                  owner, line, "name the sheet, table or range that holds "
                                  "the series"))
    header_row, header_cells = header
    first = min_col or 1
    used = [i for i, c in enumerate(header_cells) if getattr(c, "value", None) is not None]
    start, end = (0, len(header_cells)) if declared_range else (used[0], used[-1] + 1)
    if end - start > MAX_CSV_COLUMNS:
        raise ReportError(book.problem(title, f"{_letter(first + start)}{header_row}",
                                       f"the header has {end - start:,} columns; the limit "
                                       f"is {MAX_CSV_COLUMNS}", "name a range of the columns "
                                       "the report uses"))
    names = []
    for index in range(start, end):
        value = getattr(header_cells[index], "value", None)
        coordinate = f"{_letter(first + index)}{header_row}"
        name = _header_name(value)
        if not name:
            raise ReportError(book.problem(title, coordinate, "this header cell is empty",
                                           "give every column of the series a name"))
        if name in names:
            raise ReportError(book.problem(title, coordinate, f"the column {name!r} is "
                                           "named twice", "give every column its own name"))
        names.append(name)
    check_declared(dict(ref.columns), names, owner, line, book.path)
    letters = [_letter(first + index) for index in range(start, end)]
    grid: list[list[Cell]] = []
    problems: list[Problem] = []
    gap: int | None = None
    for row_number, cells in rows:
        values = [getattr(c, "value", None) for c in cells]
        inside = values[start:end]
        outside = [(i, v) for i, v in enumerate(values)
                   if (i < start or i >= end) and v is not None]
        if all(v is None for v in inside) and not outside:
            gap = gap or row_number
            continue
        if gap is not None and not grid:  # the "header" was a title above the table
            raise ReportError(book.problem(
                title, f"{_letter(first + start)}{header_row}",
                f"row {header_row} is read as the header, and the rows under it start after "
                f"the empty row {gap}: is row {header_row} a title above the table?",
                f"declare the table's range, its header row first, e.g. range: "
                f"{_extent(cells, row_number, rows, first)}"))
        if gap is not None:
            raise ReportError(book.problem(
                title, f"{_letter(first + start)}{row_number}",
                f"this row is below an empty row ({gap}), which ends the series",
                f"remove the empty row, or declare range: "
                f"{_letter(first + start)}{header_row}:{_letter(first + end - 1)}{gap - 1}"))
        if outside and not declared_range:
            index = outside[0][0]
            raise ReportError(book.problem(
                title, f"{_letter(first + index)}{row_number}", "this cell has a value in "
                "a column with no header", "give the column a header, or declare the "
                "range of the series"))
        if len(grid) == MAX_CSV_ROWS:
            raise ReportError(Problem(f"the series in {book.shown} has more than "
                                      f"{MAX_CSV_ROWS:,} rows; the limit is {MAX_CSV_ROWS:,}",
                                      owner, line, "aggregate the series (per month or "
                                      "year) before it goes in the report"))
        row = []
        for index, letter in zip(range(start, end), letters):
            cell = cells[index] if index < len(cells) else None
            try:
                row.append(read_cell(book, title, cell, row_number, letter))
            except ReportError as exc:
                problems += exc.problems
                row.append(Cell(None, row_number, letter))
        grid.append(row)
    if problems:
        raise ReportError(problems)
    if not grid:
        raise ReportError(book.problem(title, f"{_letter(first + start)}{header_row}",
                                       "the series has a header but no rows",
                                       "add the data rows under the header"))

    def place(cell: Cell) -> Problem:
        return book.problem(title, f"{cell.column}{cell.row}", "", "")

    mark = ref.decimal or decimal_mark([c for r in grid for c in r], book.currency)
    series = type_columns(names, grid, dict(ref.columns), mark, place, book.currency)
    origin = f"{book.shown}[{title}]" + (f"!{declared_range}" if declared_range else "")
    return Series(series.columns, series.rows, origin, tuple(row[0].row for row in grid))


def _extent(cells: list[Any], row_number: int, rows: Iterator[tuple[int, list[Any]]],
            first: int) -> str:
    """The range from the row ``row_number`` (its ``cells``) down to the last row with a
    value before an empty one, across the columns that hold values: ``A3:D8``."""
    used = [i for i, c in enumerate(cells) if getattr(c, "value", None) is not None]
    last = row_number
    for number, more in rows:
        if all(getattr(c, "value", None) is None for c in more) or number - row_number \
                > MAX_CSV_ROWS:
            break
        used += [i for i, c in enumerate(more) if getattr(c, "value", None) is not None]
        last = number
    return f"{_letter(first + min(used))}{row_number}:{_letter(first + max(used))}{last}"


def _header_name(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a year as a column name: 2021, not 2021.0
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    return str(value).strip()


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _rows(sheet: Any, min_row: int | None, max_row: int | None, min_col: int | None,
          max_col: int | None) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) of the sheet within the bounds, row by row; one iterator
    shared by the header and the data, so a sheet is walked once."""
    start = min_row or 1
    for offset, cells in enumerate(sheet.iter_rows(min_row=min_row, max_row=max_row,
                                                   min_col=min_col, max_col=max_col)):
        yield start + offset, list(cells)


def read_number_cell(book: Workbook, reference: str, owner: Path,
                     line: int | None) -> Number:
    """The number in the cell ``reference`` (:data:`~almanac.project.model.CELL_REFERENCE`:
    ``FILE[SHEET]!C7`` or ``FILE!NAME``); a ReportError naming the cell when it is
    empty or does not hold a number (a text that reads as one, e.g. ``"12,5"``, is
    read with either decimal mark only when it reads one way)."""
    from .tables import Ambiguous, read_number

    match = CELL_REFERENCE.match(reference)
    assert match is not None  # the model checked the pattern
    sheet_name, target = match.group("sheet"), match.group("cell")
    sheet = book.sheet(sheet_name, owner, line)
    if not re.fullmatch(r"\$?[A-Za-z]{1,3}\$?\d+", target):
        sheet, area = book.defined(target, owner, line, sheet)
        if ":" in area and len(set(area.split(":"))) > 1:
            raise ReportError(Problem(f"the name {target!r} in {book.shown} is the range "
                                      f"{area}, not one cell", owner, line,
                                      "define the name as one cell, or name the cell"))
        target = area.split(":")[0]
    cell = book.cell(sheet, target.replace("$", "").upper())
    place = f"{cell.column}{cell.row}"
    if isinstance(cell.value, Number):
        return cell.value
    if isinstance(cell.value, str):
        try:
            number = read_number(cell.value, None, book.currency)
        except (Ambiguous, ValueError) as exc:
            raise ReportError(book.problem(sheet.title, place, str(exc), "make the cell a "
                                           "number cell in Excel"))
        if number is not None:
            return number
    got = "an empty cell" if cell.value is None else f"{str(cell.value)[:40]!r}"
    raise ReportError(book.problem(sheet.title, place, f"expected a number, got {got}",
                                   "write the number in the cell, or name the cell that "
                                   "holds it"))
