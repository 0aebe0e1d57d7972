"""Series as typed tables: what every reader (CSV, workbook) gives the report.

A reader turns its file into a grid of :class:`Cell` (the text or native value of a
cell and where it stands); :func:`type_columns` gives every column a kind and every
cell its value, the same way for every file format:

================  =====================================  ==============================
kind              value in ``Series.rows``               printed (``Formatter.cell``)
================  =====================================  ==============================
``year``          int (e.g. 2021)                        ``2021``, never grouped
``code``          str, as written (``0591``, ``5911``)   as written, never grouped
``count``         int                                    ``12.345`` (locale's grouping)
``decimal(n)``    int or float                           ``12,5`` with n decimals
``percent(n)``    int or float, in percent (12.5 = 12,5 %) ``12,5%`` (the locale's pattern)
``currency(n)``   int or float, in the report's currency ``€ 1.250`` (the locale's pattern)
``date``          ``datetime.date``                      the locale's medium date
``text``          str                                    as written
================  =====================================  ==============================

An empty cell is None in every kind. Without ``(n)`` a decimal column prints as many
decimals as its most precise cell, so that the column aligns on the decimal mark.

Inference, when the series does not declare a column's kind:

- a column of whole numbers named like a year (:data:`YEAR_NAMES`: ``year``,
  ``fiscal_year``, ``jaar``, ``Jahr``, ``année``…) whose values lie in 1000–2999 is
  a ``year``; one named like a code (:data:`CODE_NAMES`: ``code``, ``id``, ``zip``,
  ``postcode``…), or with a digit string that has a leading zero, is a ``code``;
- numbers written with ``%`` (or a workbook's percent format) are a ``percent``
  column, a workbook's currency format or the report's currency symbol (``€ 1.250``,
  ``$1,250``: :class:`Currency`) a ``currency`` column; another currency's is an error;
- other whole numbers are a ``count``, other numbers a ``decimal``;
- ISO 8601 dates (``2021-12-31``, or a workbook's date cells) are a ``date``, and
  so are dates written in a locale's order (``31-12-2021``, ``12/31/2021``) when a
  cell shows the order beyond doubt (:func:`_numeric_dates`);
- a column with numbers and words (``n.b.``, ``-``), as many numbers as words or
  more, is an error at the first word — "expected a number" — never a column of
  text by accident; a column of more words than numbers is ``text``.

Numbers written as text are read by :func:`read_number`, with the file's decimal mark
(declared, or found from the cells that show it: :func:`decimal_mark`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import Problem, ReportError

MAX_MAGNITUDE = 1e15
"""Numbers are below 10^15 in size: up to there a float (IEEE 754 binary64, 53-bit
significand) holds every whole number exactly and the formatter (Babel, through
``decimal`` with 28 digits) prints every digit; beyond it a figure would print
wrong (``999.999.999.999.999.983.222.784``) or not at all."""


class TooLarge(ValueError):
    """A number too large to print exactly (:data:`MAX_MAGNITUDE`)."""


def check_magnitude(number: float | int) -> float | int:
    """``number`` if its size is below :data:`MAX_MAGNITUDE`; else ValueError with
    "what is wrong; what to do" (an int of any size is compared exactly)."""
    if not abs(number) < MAX_MAGNITUDE:
        raise TooLarge("is too large to print exactly (the limit is 10^15, a thousand "
                         "trillion); write it in a larger unit, e.g. millions, and say so "
                         "in the label")
    return number + 0  # -0.0 becomes 0.0


KINDS = ("year", "code", "count", "decimal", "percent", "currency", "date", "text")
"""The kinds of column a series may declare (``columns: {aandeel: percent(1)}``)."""
NUMERIC = ("count", "decimal", "percent", "currency")
"""The kinds whose values are numbers: set right, with tabular figures."""
COLUMN_SPEC = re.compile(
    r"^(year|code|count|date|text|(decimal|percent|currency)(?:\(([0-4])\))?)$")
"""A declared column kind: a name of :data:`KINDS`, the last three with an optional
number of decimals in brackets (``decimal(1)``, ``currency(2)``)."""

YEAR_NAMES = re.compile(
    r"(?:^|[\s_-])(?:fiscal[\s_-]?)?(?:years?|yr|fy|jaar|jaartal|jahr|ann[ée]e|an|a[ñn]o|"
    r"anno|[åa]r|vuosi|rok|ev|yil|год|年|年度)$|(?:jaar|jahr)$", re.IGNORECASE)
"""Column names that say "year", in the languages CLDR's largest locales use and as
compounds end in it (``boekjaar``, ``Geschäftsjahr``)."""
CODE_NAMES = re.compile(
    r"(?:^|[\s_-])(?:code|id|nr\.?|no\.?|zip|postal[\s_-]?code|plz|cp|cap|nuts|iso|isbn|"
    r"issn)$|code$|\S(?:nummer|number)$", re.IGNORECASE)
"""Column names that say "identifier": their digits name, they do not count (a name
ending in "number" after another word, ``case number``, ``zaaknummer``, but not
``number`` alone, which counts)."""

_SIGN = "+-\u2212"  # U+2212 MINUS SIGN, as typeset text writes it
_GROUP_SPACES = " \u00a0\u202f'\u2019"  # space, no-break, narrow no-break, apostrophes
_PLAIN = re.compile(r"\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?")
_GROUPED = re.compile(r"\d{1,3}(?:(?P<g>[.,\u00a0\u202f' \u2019])\d{3})(?:(?P=g)\d{3})*"
                      r"(?:(?P<d>[.,])\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NUMERIC_DATE = re.compile(r"(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4})")


def _date_parts(text: str) -> tuple[int, int, int]:
    """The two leading numbers and the year of a :data:`NUMERIC_DATE`."""
    match = NUMERIC_DATE.fullmatch(text)
    assert match is not None
    return int(match["a"]), int(match["b"]), int(match["y"])
_DIGITS_WITH_ZERO = re.compile(r"0\d+")
CURRENCY_SIGNS = ("$\u00a2-\u00a5\u058f\u060b\u07fe\u07ff\u09f2\u09f3\u09fb\u0af1\u0bf9"
                  "\u0e3f\u17db\u20a0-\u20c0\ua838\ufdfc\ufe69\uff04\uffe0\uffe1\uffe5\uffe6")
"""The characters of Unicode's general category Sc (currency symbols: $, £, €, ₹…), as
the inside of a regular expression's character class (Unicode 15.1)."""
NUMBER_WORDS = re.compile(rf"^[-+\u2212]?[{CURRENCY_SIGNS}]?\s*\d[\d.,_\s\u00a0\u202f'’]*\s*%?"
                          rf"\s*[{CURRENCY_SIGNS}]?$")
"""A text people would read as a number; one :func:`read_number` cannot read is an
error, not text."""
_MONEY_AFFIX = re.compile(rf"^(?P<before>[A-Za-z]{{0,3}}[{CURRENCY_SIGNS}]|[A-Z]{{3}}(?=[\s\d]))"
                          rf"|(?P<after>[{CURRENCY_SIGNS}]|(?<=[\s\d])[A-Z]{{3}})$")
"""A currency symbol (``$``, ``US$``, ``€``) or code (``USD``) written before or after
an amount."""
_SPACES = " \u00a0\u202f"


@dataclass(frozen=True)
class Currency:
    """The report's currency as data may write it: its ISO 4217 ``code`` and the
    ``symbols`` that mark an amount in it (``("€", "EUR")``)."""

    code: str
    symbols: tuple[str, ...]

    @classmethod
    def of(cls, code: str, language: str) -> Currency:
        """The currency ``code`` with the symbols people write it with: CLDR's symbol in
        the report's ``language`` and in English (``babel.numbers.get_currency_symbol``:
        USD is ``US$`` in Dutch, ``$`` in English) and the code itself."""
        from babel import Locale, UnknownLocaleError
        from babel.numbers import get_currency_symbol

        symbols = {code, get_currency_symbol(code, "en")}
        try:
            symbols.add(get_currency_symbol(code, Locale.parse(language.replace("-", "_"))))
        except (UnknownLocaleError, ValueError):
            pass
        return cls(code, tuple(sorted(symbols, key=lambda symbol: (-len(symbol), symbol))))

    @property
    def shown(self) -> str:
        """How messages name it: ``EUR (€)``."""
        signs = [symbol for symbol in self.symbols if symbol != self.code]
        return f"{self.code} ({signs[-1]})" if signs else self.code


EURO = Currency("EUR", ("EUR", "€"))
"""The default currency of a report."""


class OtherCurrency(ValueError):
    """An amount written in a currency that is not the report's."""


class Ambiguous(ValueError):
    """A number that reads two ways (``12.345``: 12 345 or 12.345) while the decimal
    mark of its file is not known."""


@dataclass(frozen=True)
class Number:
    """A number as read from a cell: its value, how many decimals were written (None:
    not known, e.g. a workbook's General format), and whether it was a percentage or
    an amount of money."""

    value: int | float
    decimals: int | None = None
    percent: bool = False
    currency: bool = False
    leading_zero: bool = False
    text: str = ""  # as written, for codes


@dataclass(frozen=True)
class Cell:
    """One cell of a grid: its text (a CSV cell, a workbook's text cell) or native
    value (a workbook's number or date, already a :class:`Number` or ``date``), and its
    place: the row's line (CSV) or row number (workbook) and the column letter."""

    value: str | Number | dt.date | dt.datetime | None
    row: int
    column: str  # e.g. "C"


@dataclass(frozen=True)
class Column:
    """A typed column of a series: its name, kind (:data:`KINDS`) and, for a number
    kind, the decimals it prints (None: as many as its most precise cell)."""

    name: str
    kind: str
    decimals: int | None = None

    @property
    def numeric(self) -> bool:
        """Whether its values are numbers (set right, tabular figures)."""
        return self.kind in NUMERIC

    @property
    def spec(self) -> str:
        """The kind as a series declares it: ``decimal(1)``, ``year``."""
        if self.kind in ("decimal", "percent", "currency") and self.decimals is not None:
            return f"{self.kind}({self.decimals})"
        return self.kind


Value = int | float | str | dt.date | None


@dataclass(frozen=True)
class Series:
    """A series as loaded: its typed columns in order and its rows (column name →
    value, see the module's table); ``origin`` names where it was read, as messages
    name it (``data/kerncijfers.xlsx[2021]``)."""

    columns: tuple[Column, ...]
    rows: list[dict[str, Value]] = field(default_factory=list)
    origin: str = ""
    lines: tuple[int, ...] = ()
    """The line (CSV) or row (workbook) of each row, where the reader gives it."""

    def column(self, name: str) -> Column | None:
        """The column called ``name``, or None."""
        return next((c for c in self.columns if c.name == name), None)


def parse_spec(spec: str) -> tuple[str, int | None]:
    """A declared kind (:data:`COLUMN_SPEC`) as (kind, decimals); ValueError with the
    kinds to choose from for anything else."""
    match = COLUMN_SPEC.match(spec.strip())
    if not match:
        raise ValueError(f"{spec!r} is not a column kind; write one of "
                         + ", ".join(KINDS) + " (decimal, percent and currency may fix "
                         "their decimals, e.g. decimal(1))")
    kind = match.group(2) or match.group(1)
    return kind, int(match.group(3)) if match.group(3) else None


def read_number(text: str, decimal: str | None, currency: Currency = EURO) -> Number | None:
    """The number a cell's text writes, with ``decimal`` the file's decimal mark
    (``"."``, ``","`` or None: not known); None when the text is not a number.

    Accepted: ASCII digits with an optional sign (``-``, ``+``, U+2212), the decimal
    mark, digit groups of three separated by the other mark, a space, a no-break
    space, U+202F or an apostrophe (``1.234.567``, ``1 234,5``, ``1'234``), an
    exponent (``1.5e-3``, dot only), a trailing ``%`` (a percentage, with or
    without a space) and a symbol of ``currency`` before or after (an amount in the
    report's currency, as Excel exports it: ``€ 1.234,50``, ``-$1,250``, ``1250 USD``;
    :class:`Currency`). Raises :class:`Ambiguous` when the decimal mark is not known and
    the text reads two ways (``12.345``, ``1,500``), :class:`OtherCurrency` for an
    amount in another currency (``$ 12`` in a report in euros), and ValueError for a
    text that cannot be a number with this file's mark (``1.5`` where the mark is
    ``,``)."""
    written = text.strip()
    sign = ""
    if written[:1] in _SIGN and written[1:2] and not written[1].isdigit():
        sign, written = written[0], written[1:].lstrip(_SPACES)  # -€ 12: the sign first
    for symbol in currency.symbols:
        if written.startswith(symbol) or written.endswith(symbol):
            body = written.removeprefix(symbol) if written.startswith(symbol) \
                else written.removesuffix(symbol)
            number = read_number(sign + body.strip(_SPACES), decimal, currency)
            return replace(number, currency=True) if number is not None else None
    other = _MONEY_AFFIX.search(written)
    if other is not None:
        from babel.numbers import is_currency

        symbol = other.group("before") or other.group("after")
        rest = written[other.end():] if other.group("before") else written[:other.start()]
        try:
            amount = read_number(sign + rest.strip(_SPACES), decimal, currency)
        except ValueError:
            amount = None
        if amount is not None and (not symbol.isalpha() or is_currency(symbol)):
            raise OtherCurrency(f"{text.strip()!r} is an amount in {symbol}, and the "
                                f"report's currency is {currency.shown}")
    written = sign + written
    written = written.replace("\u00a0%", "%").replace(" %", "%")
    percent = written.endswith("%")
    body = written[:-1].rstrip() if percent else written
    sign = ""
    if body and body[0] in _SIGN:
        sign, body = ("-" if body[0] != "+" else ""), body[1:]
    if not body or not body[0].isdigit() or not body[0].isascii():
        return None
    mark: str | None
    if body.isdigit() and body.isascii():
        whole = int(body)
        return Number(check_magnitude(-whole if sign else whole), 0, percent,
                      leading_zero=bool(_DIGITS_WITH_ZERO.fullmatch(body)), text=body)
    if _PLAIN.fullmatch(body):
        if "e" in body.lower():
            if "," in body:
                return None
            mark = "."
        else:
            mark = "," if "," in body else "."
            integer, fraction = body.split(mark)
            looks_grouped = len(fraction) == 3 and 1 <= len(integer) <= 3 and integer != "0"
            if decimal is None and looks_grouped:
                raise Ambiguous(f"{text.strip()!r} reads as {integer}{fraction} or as "
                                f"{integer}.{fraction}")
            if decimal is not None and mark != decimal:
                if not looks_grouped:
                    raise ValueError(f"{text.strip()!r} has {mark!r} where this file's "
                                     f"decimal mark is {decimal!r}")
                return _number(sign + integer + fraction, 0, percent)
        digits = body.replace(",", ".")
        fraction_part = digits.split(".")[1].lower().split("e")[0] if "." in digits else ""
        return _number(sign + digits, len(fraction_part), percent)
    grouped = _GROUPED.fullmatch(body)
    if grouped is None:
        return None
    group, mark = grouped.group("g"), grouped.group("d")
    if mark is not None and mark == group:
        return None
    if mark is None and group in ".," and decimal == group:
        raise ValueError(f"{text.strip()!r} has {group!r} between groups of three where "
                         f"this file's decimal mark is {decimal!r}")
    if mark is not None and decimal is not None and mark != decimal:
        raise ValueError(f"{text.strip()!r} has {mark!r} where this file's decimal mark "
                         f"is {decimal!r}")
    integer = body if mark is None else body[:body.rindex(mark)]
    fraction = "" if mark is None else body[body.rindex(mark) + 1:]
    digits = integer.replace(group, "")
    return _number(sign + digits + ("." + fraction if fraction else ""), len(fraction),
                   percent)


def _number(digits: str, decimals: int, percent: bool) -> Number:
    value: int | float = int(digits) if decimals == 0 and "." not in digits \
        and "e" not in digits.lower() else float(digits) + 0.0
    return Number(check_magnitude(value), decimals, percent)


def mark_shown(text: str, currency: Currency = EURO) -> str | None:
    """The decimal mark a cell's text shows beyond doubt: the one mark with which
    :func:`read_number` reads it (``12,5``, ``1.234,5``, ``1.234.567``: ``","``;
    ``12.5``, ``1,234.5``: ``"."``); None when it reads with either (``12``,
    ``12.345``) or with neither (a word)."""
    if "." not in text and "," not in text:
        return None
    readings = {}
    for mark in (".", ","):
        try:
            readings[mark] = read_number(text, mark, currency)
        except ValueError:
            readings[mark] = None
    if (readings["."] is None) == (readings[","] is None):
        return None
    return "." if readings["."] is not None else ","


def decimal_mark(cells: Sequence[Cell], currency: Currency = EURO) -> str | None:
    """The decimal mark the first text cell that shows one shows (:func:`mark_shown`),
    or None when none does. A later cell with the other mark is then an error at that
    cell when it is read (:func:`read_number`), and one that reads two ways
    (``12.345``) is read with this mark."""
    for cell in cells:
        if isinstance(cell.value, str):
            mark = mark_shown(cell.value, currency)
            if mark is not None:
                return mark
    return None


def check_declared(declared: dict[str, str], names: Sequence[str], owner: Path,
                   line: int | None, path: Path) -> None:
    """Every column a series declares a kind for (``columns:``) is one of ``names``,
    the columns of its file ``path``; else a ReportError at ``owner``'s ``line`` with
    the closest name (``difflib``) or the names there are."""
    for name in declared:
        if name not in names:
            close = difflib.get_close_matches(name, list(names), n=1)
            raise ReportError(Problem(
                f"columns: {name!r} is not a column of {path.name}", owner, line,
                f"did you mean {close[0]!r}?" if close else "its columns are: "
                + ", ".join(names)))


def type_columns(names: Sequence[str], grid: Sequence[Sequence[Cell]],
                 declared: dict[str, str], decimal: str | None,
                 place: Callable[[Cell], Problem], currency: Currency = EURO) -> Series:
    """The :class:`Series` of ``grid`` (rows of cells, one per name in ``names``):
    each column of the kind ``declared`` for it (:data:`COLUMN_SPEC`) or inferred (see
    the module), each cell its value. ``decimal`` is the file's decimal mark for text
    cells (None: not known). ``place(cell)`` gives a Problem with the cell's file and
    place to fill in; every problem found is raised together as one ReportError."""
    problems: list[Problem] = []
    columns: list[Column] = []
    rows: list[dict[str, Value]] = [{} for _ in grid]
    for index, name in enumerate(names):
        cells = [row[index] for row in grid]
        try:
            column, values = _type_column(name, cells, declared.get(name), decimal, place,
                                          currency)
        except ReportError as exc:
            problems += exc.problems
            continue
        columns.append(column)
        for row, value in zip(rows, values):
            row[name] = value
    if problems:
        raise ReportError(problems)
    return Series(columns=tuple(columns), rows=rows)


def _problem(place: Callable[[Cell], Problem], cell: Cell, message: str,
             hint: str) -> ReportError:
    return ReportError(replace(place(cell), message=message, hint=hint))


def _read(cell: Cell, decimal: str | None, place,
          currency: Currency = EURO) -> Number | dt.date | dt.datetime | str | None:
    """A cell as a number, a date, text or None (empty)."""
    value = cell.value
    if value is None or isinstance(value, (Number, dt.date)):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        number = read_number(text, decimal, currency)
    except Ambiguous as exc:
        raise _problem(place, cell, f"{exc}: the file's decimal mark is not known",
                       "declare it for the series (decimal: ',' for 12,5 or '.' for 12.5), "
                       "or write the number without thousands separator")
    except TooLarge as exc:
        problem, fix = str(exc).split("; ", 1)
        raise _problem(place, cell, f"{text[:40]!r} {problem}", fix)
    except OtherCurrency as exc:
        raise _problem(place, cell, str(exc), f"give the amount in {currency.code}, or set "
                       "the report's currency (currency: in report.yaml)")
    except ValueError as exc:
        raise _problem(place, cell, str(exc), "write every number of the file with the same "
                       "decimal mark, or correct the series' decimal:")
    if number is not None:
        return number
    if _ISO_DATE.fullmatch(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise _problem(place, cell, f"{text!r} is not a date", "write a date that exists, "
                           "as YYYY-MM-DD")
    return text


def _type_column(name: str, cells: list[Cell], spec: str | None, decimal: str | None,
                 place, currency: Currency = EURO) -> tuple[Column, list[Value]]:
    read = [_read(cell, decimal, place, currency) for cell in cells]
    texts = [(cell, value) for cell, value in zip(cells, read) if isinstance(value, str)]
    if texts and all(NUMERIC_DATE.fullmatch(text) for _, text in texts) \
            and (spec is None or spec.strip() == "date"):
        dates = _numeric_dates(texts, place)
        read = [dates.get(id(cell), value) for cell, value in zip(cells, read)]
    present = [(cell, value) for cell, value in zip(cells, read) if value is not None]
    if spec is not None:
        kind, decimals = parse_spec(spec)
    else:
        kind, decimals = _infer(name, present), None
    column = Column(name, kind, decimals)
    return _fill(column, cells, read, place)


def _numeric_dates(texts: list[tuple[Cell, str]], place) -> dict[int, dt.date]:
    """Dates written with numbers in a locale's order, as Excel saves them in CSV
    (``31-12-2021``, ``12/31/2021``, ``31.12.2021``): by ``id`` of their cell. The order
    is the one a cell shows beyond doubt (a day above 12); a column where none does
    (``03-04-2021``: 3 April or 4 March) or two cells show different orders is an error
    naming the cell, never a guess."""
    orders: dict[str, Cell] = {}
    for cell, text in texts:
        first, second, _ = _date_parts(text)
        if first > 12 >= second:
            orders.setdefault("day-first", cell)
        elif second > 12 >= first:
            orders.setdefault("month-first", cell)
    if len(orders) != 1:
        cell = texts[0][0] if not orders else max(orders.values(), key=lambda c: c.row)
        reason = "reads as a day and a month either way round" if not orders else \
            "puts the day first in one cell and the month first in another"
        raise _problem(place, cell, f"the date {_shown(cell)} {reason}",
                       "write the dates as YYYY-MM-DD, e.g. 2021-12-31 (in Excel: format the "
                       "column as yyyy-mm-dd before saving it as CSV)")
    day_first = "day-first" in orders
    dates = {}
    for cell, text in texts:
        first, second, year = _date_parts(text)
        day, month = (first, second) if day_first else (second, first)
        try:
            dates[id(cell)] = dt.date(year, month, day)
        except ValueError:
            raise _problem(place, cell, f"{_shown(cell)} is not a date",
                           "write a date that exists")
    return dates


def _infer(name: str, present: Sequence[tuple[Cell, object]]) -> str:
    values = [value for _, value in present]
    numbers = [v for v in values if isinstance(v, Number)]
    dates = [v for v in values if isinstance(v, dt.date)]
    words = [v for v in values if isinstance(v, str) and not NUMBER_WORDS.match(v)]
    meant = len(values) - len(words) - len(dates)  # numbers, and texts written as one
    if dates and len(dates) > len(words) + meant:
        return "date"  # a word among dates is an error at the word
    if not meant or len(words) > meant:
        return "text"  # mostly words: its numbers are names too (``Q1``, ``2021``)
    if not numbers:
        return "decimal"  # every one is an error at its cell
    wholes = all(isinstance(n.value, int) and not n.percent for n in numbers)
    label = name.strip()
    if wholes and (any(n.leading_zero for n in numbers) or CODE_NAMES.search(label)):
        return "code"
    if wholes and YEAR_NAMES.search(label) and all(1000 <= n.value <= 2999 for n in numbers):
        return "year"
    if any(n.percent for n in numbers):
        return "percent"
    if any(n.currency for n in numbers):
        return "currency"
    if wholes and all(n.decimals in (0, None) for n in numbers):
        return "count"
    return "decimal"


def _fill(column: Column, cells: list[Cell], read: list, place) -> tuple[Column, list[Value]]:
    """Every cell's value as ``column``'s kind; a cell that is not one is an error
    naming it."""
    values: list[Value] = []
    decimals: list[int] = []
    for cell, value in zip(cells, read):
        if value is None:
            values.append(None)
            continue
        kind = column.kind
        if kind == "text":
            values.append(_as_text(cell, value))
        elif kind == "code":
            if isinstance(value, Number) and isinstance(value.value, int) and value.value >= 0:
                values.append(value.text or str(value.value))
            else:
                values.append(_as_text(cell, value))
        elif kind == "date":
            if not isinstance(value, dt.date):
                raise _problem(place, cell, f"expected a date, got {_shown(cell)}",
                               "write the date as YYYY-MM-DD (a workbook: a date cell), "
                               "leave it empty, or declare the column text")
            values.append(value)
        else:
            if isinstance(value, str) and NUMBER_WORDS.match(value):
                raise _problem(place, cell, f"{_shown(cell)} is not a number as written",
                               "write a plain number in ASCII digits 0-9, e.g. 1234.5 or "
                               "1234,5, with % for a percentage (no currency sign)")
            if not isinstance(value, Number):
                raise _problem(place, cell, f"expected a number, got {_shown(cell)}",
                               "write the number, leave the cell empty for a value that is "
                               "not known, or declare the column text")
            if kind in ("year", "count") and not isinstance(value.value, int):
                raise _problem(place, cell, f"expected a whole number ({kind}), got "
                               f"{_shown(cell)}", "write a whole number, or declare the "
                               "column decimal")
            if kind == "year" and not 1000 <= value.value <= 9999:
                raise _problem(place, cell, f"expected a year, got {_shown(cell)}",
                               "write the year in four digits, or declare the column count")
            if value.percent and kind not in ("percent", "text"):
                raise _problem(place, cell, f"{_shown(cell)} is a percentage in a {kind} "
                               "column", "declare the column percent, or write the number "
                               "without %")
            values.append(value.value)
            if value.decimals is not None:
                decimals.append(value.decimals)
            elif isinstance(value.value, float):
                decimals.append(_repr_decimals(value.value))
    if column.kind in ("decimal", "percent", "currency") and column.decimals is None:
        column = Column(column.name, column.kind, min(max(decimals, default=0), 4))
    return column, values


def _repr_decimals(value: float) -> int:
    text = repr(value)
    if "e" in text or "." not in text:
        return 0
    return len(text.split(".")[1].rstrip("0"))


def _as_text(cell: Cell, value: object) -> str:
    if isinstance(cell.value, str):
        return cell.value.strip()
    if isinstance(value, Number):
        return value.text or (str(value.value) if isinstance(value.value, int)
                              else repr(value.value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _shown(cell: Cell) -> str:
    value = cell.value
    if isinstance(value, Number):
        return repr(value.value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return repr(text[:40] + ("…" if len(text) > 40 else ""))
