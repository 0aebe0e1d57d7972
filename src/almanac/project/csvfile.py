"""Series as CSV: one header row, then records; numbers as plain ASCII numbers.

A cell that looks like a number as people write it but Python does not read
(``6,3``, ``1.234``, ``12%``) is an error with its line, not text that a chart
would silently drop. Files are UTF-8 (a BOM is fine) and bounded in size and rows.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from ..errors import Problem, ReportError
from .files import Refused, read_bytes
from .model import NUMBER_LIKE, check_magnitude, parse_number
from .yamlfile import line_at

MAX_CSV_BYTES = 16 * 2**20
MAX_CSV_ROWS = 10_000  # a chart or a table of more rows takes minutes and gigabytes
MAX_CSV_COLUMNS = 200
"""The most columns a series may have: a table that fits a page has about a dozen,
and 10 000 columns take a minute and a gigabyte to lay out, all past the page edge."""
Record = dict[str, str | float]



def read_csv(path: Path, owner: Path, line: int | None, root: Path) -> list[Record]:
    """The records of the CSV file ``path``, named in ``owner`` at ``line``; a
    ReportError (file, line, fix) for a file outside ``root``, too large, not
    UTF-8, ragged, or with a number written as people write it."""
    normal = Path(os.path.normpath(path))  # ".." taken away; links are read_bytes's
    try:
        shown = normal.relative_to(root).as_posix()
    except ValueError:
        raise ReportError(Problem(f"series file {path.name} is outside the project folder",
                                  owner, line, "keep the CSV in the chapter's folder"))
    try:
        data = read_bytes(path, root, MAX_CSV_BYTES,
                          "aggregate the series before it goes in the report")
        text = data.decode("utf-8-sig")
    except Refused as exc:
        hint = f"create {shown}" if exc.reason == "not found" else exc.hint
        raise ReportError(Problem(f"series file {shown} {exc.reason}", owner, line,
                                  hint)) from None
    except UnicodeDecodeError as exc:
        raise ReportError(Problem(f"not UTF-8 text ({exc.reason})", path,
                                  line_at(data, exc.start),
                                  "save the CSV as UTF-8 (in Excel: CSV UTF-8)"))
    rows: list[Record] = []
    try:
        with io.StringIO(text, newline="") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames:
                raise ReportError(Problem("empty CSV: no header row", path,
                                          hint="start with a header such as 'jaar,aantal'"))
            names = [name.strip() for name in reader.fieldnames]
            if len(names) > MAX_CSV_COLUMNS:
                raise ReportError(Problem(
                    f"the header has {len(names):,} columns; the limit is {MAX_CSV_COLUMNS:,}",
                    path, 1, "keep the columns the report uses (a table that fits a page has "
                    "about a dozen)"))
            for name in names:
                if not name or names.count(name) > 1:
                    raise ReportError(Problem(
                        f"header has {'an empty' if not name else f'the column {name!r} twice'}"
                        f"{'' if name else ' column name'}", path, 1,
                        "give every column its own name"))
            reader.fieldnames = names
            for row in reader:
                if len(rows) == MAX_CSV_ROWS:
                    raise ReportError(Problem(
                        f"series file {shown} has more than {MAX_CSV_ROWS:,} rows; the limit "
                        f"is {MAX_CSV_ROWS:,}", owner, line,
                        "aggregate the series (per month or year) before it goes in the report"))
                rows.append(_record(row, path, reader.line_num))
    except csv.Error as exc:
        raise ReportError(Problem(f"not a valid CSV file: {exc}", path,
                                  reader.line_num or None, "save it as plain CSV text"))
    if not rows:
        raise ReportError(Problem("CSV has a header but no rows", path, 1,
                                  "add the data rows under the header"))
    return rows


def _record(row: dict, path: Path, line: int) -> Record:
    """One CSV row: numbers (:func:`~almanac.project.model.parse_number`: ASCII digits,
    a dot for decimals) as floats, other cells as stripped text. A cell people would
    read as a number but that is not one as written (``6,3``, ``1_000``, ``١٢``, ``１２``)
    or a number of 10^15 or more is a ReportError with the line."""
    record: Record = {}
    for column, value in row.items():
        if column is None or value is None:
            raise ReportError(Problem("row has a different number of cells than "
                                      "the header", path, line,
                                      "give every row one value per column"))
        value = value.strip()
        number = parse_number(value)
        if number is None:
            if NUMBER_LIKE.match(value) or value.lower().lstrip("+-") in ("inf", "infinity",
                                                                          "nan"):
                raise ReportError(Problem(
                    f"column {column!r}: {value!r} is not a number as written", path, line,
                    "write a plain number in ASCII digits, e.g. 6.3 (a dot for decimals, no "
                    "thousands separator or _, no % or € sign)"))
            record[column] = value
            continue
        try:
            record[column] = check_magnitude(number)
        except ValueError as exc:
            problem, fix = str(exc).split("; ", 1)
            raise ReportError(Problem(f"column {column!r}: {value[:40]!r} {problem}", path,
                                      line, fix))
    return record
