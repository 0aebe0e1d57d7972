"""Series as CSV, as people save it: from Excel in any locale, from scripts, by hand.

- **Encoding.** UTF-8 (a BOM is fine) or UTF-16 with its BOM (Excel's "Unicode
  Text"); a file in another encoding is named as what it most likely is ("this file
  is Windows-1252"), with the fix: save it as CSV UTF-8, or declare ``encoding:``.
- **Separator.** ``,`` ``;`` tab or ``|``, declared (``separator:``) or found: the
  one that splits the header and the first rows into the same number of cells, more
  than one (Excel writes ``;`` where the decimal mark is a comma). Empty cells after
  the last named column (Excel's ``a;b;;``) and rows of empty cells are left out.
- **Numbers.** Read by :func:`~almanac.project.tables.read_number` with the file's
  decimal mark, declared (``decimal:``) or shown by its cells (``12,5``); where no
  cell shows it, a number that reads two ways (``12.345``) is an error naming its
  cell, never a guess. Columns are typed by :func:`~almanac.project.tables.type_columns`.

A workbook saved as ``.csv`` and Excel's old ``.xls`` are recognised by their first
bytes and named. Files are bounded in size, rows and columns.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from pathlib import Path

from ..errors import Problem, ReportError
from .files import Refused, read_bytes
from .model import SEPARATORS, SeriesRef
from .tables import EURO, Cell, Currency, Series, check_declared, decimal_mark, type_columns
from .yamlfile import line_at

MAX_CSV_BYTES = 16 * 2**20
MAX_CSV_ROWS = 10_000  # a chart or a table of more rows takes minutes and gigabytes
MAX_CSV_COLUMNS = 200
"""The most columns a series may have: a table that fits a page has about a dozen,
and 10 000 columns take a minute and a gigabyte to lay out, all past the page edge."""
CANDIDATE_SEPARATORS = (",", ";", "\t", "|")
SNIFF_ROWS = 50
"""The rows that decide which separator a file uses."""
ZIP_SIGNATURE = b"PK\x03\x04"  # an Office Open XML workbook is a ZIP package (ECMA-376 Part 2)
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls): a compound file


def column_letter(index: int) -> str:
    """The spreadsheet letter of the column at ``index`` (from 0): A … Z, AA …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def shown_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root``, as messages name a project file."""
    try:
        return Path(os.path.normpath(path)).relative_to(root).as_posix()
    except ValueError:
        return path.name


def read_series_bytes(path: Path, owner: Path, line: int | None, root: Path,
                      limit: int, kind: str) -> bytes:
    """The bytes of the series file ``path`` named in ``owner`` at ``line``: a regular
    file inside ``root`` of at most ``limit`` bytes (:func:`~.files.read_bytes`), else
    a ReportError naming the file in ``owner``."""
    normal = Path(os.path.normpath(path))  # ".." taken away; links are read_bytes's
    if not normal.is_relative_to(root):
        raise ReportError(Problem(f"series file {path.name} is outside the project folder",
                                  owner, line, f"keep the {kind} in the chapter's folder"))
    shown = shown_path(path, root)
    try:
        return read_bytes(path, root, limit,
                          "aggregate the series before it goes in the report")
    except Refused as exc:
        hint = f"create {shown}" if exc.reason == "not found" else exc.hint
        raise ReportError(Problem(f"series file {shown} {exc.reason}", owner, line,
                                  hint)) from None


def read_csv(path: Path, owner: Path, line: int | None, root: Path,
             ref: SeriesRef | None = None, currency: Currency = EURO) -> Series:
    """The typed :class:`~almanac.project.tables.Series` of the CSV file ``path``,
    named in ``owner`` at ``line`` (with ``ref``'s separator, decimal mark, encoding
    and column kinds, when declared; amounts in the report's ``currency``); a
    ReportError (file, line or cell, fix) for a file outside ``root``, too large, in an
    encoding not declared, ragged, or with a cell that is not what its column holds
    (an amount in another currency among them)."""
    ref = ref or SeriesRef(file=path.name)
    data = read_series_bytes(path, owner, line, root, MAX_CSV_BYTES, "CSV")
    text = _decode(data, path, ref.encoding)
    separator = SEPARATORS[ref.separator] if ref.separator else _find_separator(text)
    names, grid = _grid(text, path, separator, shown_path(path, root), owner, line)

    def place(cell: Cell) -> Problem:
        return Problem("", path, cell.row, None, f"{cell.column}{cell.row}")

    declared = dict(ref.columns)
    check_declared(declared, names, owner, line, path)
    mark: str | None = ref.decimal
    if mark is None:
        mark = decimal_mark([cell for row in grid for cell in row], currency)
    series = type_columns(names, grid, declared, mark, place, currency)
    return Series(series.columns, series.rows, shown_path(path, root),
                  tuple(row[0].row for row in grid))


def _decode(data: bytes, path: Path, encoding: str | None) -> str:
    """The text of a CSV file; a workbook or an old .xls, or bytes not in the
    declared (else UTF-8) encoding, is a ReportError naming what the file is."""
    if data.startswith(ZIP_SIGNATURE):
        raise ReportError(Problem("this file is an Excel workbook (.xlsx), not CSV text",
                                  path, hint=f"rename it to {path.stem}.xlsx and name that "
                                  "file in the series (with sheet: when it is not the first)"))
    if data.startswith(OLE_SIGNATURE):
        raise ReportError(Problem("this file is an Excel 97-2003 workbook (.xls), not CSV "
                                  "text", path, hint="open it in Excel or LibreOffice and "
                                  "save it as Excel Workbook (.xlsx) or CSV UTF-8"))
    if encoding is not None:
        try:
            return data.decode(encoding).removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise ReportError(Problem(
                f"not {encoding} text: byte 0x{data[exc.start]:02X} cannot be read", path,
                line_at(data, exc.start), "declare the file's real encoding, or save it as "
                "CSV UTF-8")) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16").removeprefix("\ufeff")
        except UnicodeDecodeError:
            raise ReportError(Problem("this file starts as UTF-16 text but is not", path,
                                      hint="save it as CSV UTF-8")) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = line_at(data, exc.start)
        start = data.rfind(b"\n", 0, exc.start) + 1
        end = data.find(b"\n", exc.start)
        raw = data[start:end if end >= 0 else len(data)].rstrip(b"\r")
        try:
            shown = raw.decode("cp1252")
        except UnicodeDecodeError:
            raise ReportError(Problem(
                f"not UTF-8 text (byte 0x{data[exc.start]:02X} cannot be read)", path, line,
                "save the file as CSV UTF-8, or declare its encoding: for the series"))
        raise ReportError(Problem(
            f"this file is Windows-1252 (or another 8-bit encoding), not UTF-8: the line "
            f"reads {shown[:60]!r} in Windows-1252", path, line,
            "save it as CSV UTF-8 (Excel: File › Save As › CSV UTF-8), or declare "
            "encoding: windows-1252 for the series"))


def _find_separator(text: str) -> str:
    """The separator that splits the first :data:`SNIFF_ROWS` records into one and the
    same number of cells, most cells first; ``,`` when none splits the header (a
    file of one column, or one the row check will name)."""
    best, best_cells = ",", 1
    ragged = None
    for candidate in CANDIDATE_SEPARATORS:
        counts = []
        try:
            for record in csv.reader(io.StringIO(text, newline=""), delimiter=candidate):
                if record:
                    counts.append(len(record))
                if len(counts) >= SNIFF_ROWS:
                    break
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        if all(count == counts[0] for count in counts):
            if counts[0] > best_cells:
                best, best_cells = candidate, counts[0]
        elif ragged is None or counts[0] > ragged[1]:
            ragged = (candidate, counts[0])
    if best_cells == 1 and ragged is not None:
        return ragged[0]  # none fits: the one splitting the header most, for the message
    return best


def _grid(text: str, path: Path, separator: str, shown: str, owner: Path,
          line: int | None) -> tuple[list[str], list[list[Cell]]]:
    """The header's names and the rows of cells (their text, line and column)."""
    named = "tab" if separator == "\t" else repr(separator)
    grid: list[list[Cell]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        header = next((record for record in reader if record), None)
        if header is None:
            raise ReportError(Problem("empty CSV: no header row", path,
                                      hint="start with a header that names the columns"))
        names = [name.strip() for name in header]
        while len(names) > 1 and not names[-1]:
            names.pop()  # Excel writes a separator for every column any row uses: a;b;;
        if len(names) > MAX_CSV_COLUMNS:
            raise ReportError(Problem(
                f"the header has {len(names):,} columns; the limit is {MAX_CSV_COLUMNS:,}",
                path, 1, "keep the columns the report uses (a table that fits a page has "
                "about a dozen)"))
        for name in names:
            if not name or names.count(name) > 1:
                raise ReportError(Problem(
                    f"header has {'an empty' if not name else f'the column {name!r} twice'}"
                    f"{'' if name else ' column name'}", path, reader.line_num,
                    "give every column its own name"))
        letters = [column_letter(index) for index in range(len(names))]
        for record in reader:
            if all(not cell.strip() for cell in record):
                continue  # an empty line, or a row of empty cells (;;;)
            if len(record) > len(names) and not any(cell.strip()
                                                     for cell in record[len(names):]):
                del record[len(names):]
            if len(grid) == MAX_CSV_ROWS:
                raise ReportError(Problem(
                    f"series file {shown} has more than {MAX_CSV_ROWS:,} rows; the limit "
                    f"is {MAX_CSV_ROWS:,}", owner, line,
                    "aggregate the series (per month or year) before it goes in the report"))
            if len(names) == 1 and separator == "," and len(record) == 2:
                raise ReportError(Problem(
                    f"this row has 2 cells where the header has 1: a file of one column "
                    f"whose numbers have a decimal comma ({','.join(record)!r})?", path,
                    reader.line_num, "declare separator: ';' for the series (or put each "
                    "number in double quotes)"))
            if len(record) != len(names):
                raise ReportError(Problem(
                    f"this row has {len(record)} cell{'s' if len(record) != 1 else ''} where "
                    f"the header has {len(names)} "
                    f"(read with {named} as the separator)", path, reader.line_num,
                    "give every row one value per column; a value that holds the "
                    "separator goes in double quotes (\"12,5\"), or declare separator: "
                    "for the series"))
            row = reader.line_num
            grid.append([Cell(value, row, letter) for value, letter in zip(record, letters)])
    except csv.Error as exc:
        raise ReportError(Problem(f"not a valid CSV file: {exc}", path,
                                  reader.line_num or None, "save it as plain CSV text"))
    if not grid:
        raise ReportError(Problem("CSV has a header but no rows", path, 1,
                                  "add the data rows under the header"))
    return names, grid
