"""A report family: one report per row of a member table (``family.yaml`` beside
``report.yaml``).

.. code-block:: yaml

    members: data/members.csv   # CSV (.csv/.tsv/.txt) or workbook (.xlsx/.xlsm)
    sheet: Members              # workbook only, optional
    key: code                   # the column of each member's key (it names the PDF)
    language: language          # optional column: the member's language
    select:                     # optional: how a series is narrowed to the member
      column: country
      match: key

The member table is read with the series readers (:func:`~.csvfile.read_csv`,
:func:`~.workbook.read_workbook`), so its columns are typed as a series' are and
its problems name the file and the line or cell. Each row becomes a
:class:`Member`; the project is then loaded for one member at a time
(:func:`~.load.load_report` with ``member=``): ``{member}`` in a series' file or a
number's cell is the member's key, ``{{ member.name }}`` in a text its field, a
series with the ``select`` column keeps the member's rows, and a number with
``column:`` takes the member's cell.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import Problem, ReportError
from .csvfile import read_csv, shown_path
from .model import CELL_REFERENCE, SERIES_SUFFIXES, FieldValue, Member, SeriesRef
from .parts import CHAPTERS, DATA, FAMILY, MANIFEST, chapter_file
from .tables import EURO, Column, Currency, Series
from .workbook import Workbook, read_workbook
from .yamlfile import read_yaml, validate

__all__ = ["FAMILY", "Family", "FamilySpec", "Member", "Select", "is_family", "load_family"]

MEMBER_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
"""A member's key: it names the member's PDF, so letters, digits, ``.``, ``_`` and
``-``, starting with a letter or digit (no path separator, no leading dot)."""
KEY_LENGTH = 100
"""The longest key: ``<key>-<language tag>-print.pdf`` stays well inside the 255 bytes
most file systems allow a name (ext4, APFS, NTFS)."""
DEVICE_NAMES = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)),
                          *(f"LPT{n}" for n in range(1, 10))})
"""Names Windows keeps for devices, with any extension and in any case (``nul.txt``,
``Con.pdf``): Microsoft, "Naming Files, Paths, and Namespaces", Naming Conventions."""
PLACEHOLDER = "{member}"
"""In a series' ``file:`` or a number's ``cell:``: the member's key."""
FIELD = re.compile(r"\{\{\s*member\.(\w+)\s*\}\}")
"""``{{ member.name }}`` in a text of ``report.yaml``: the member's field."""
ANY_FIELD = re.compile(r"\{\{\s*member\.([^{}\s](?:[^{}]*?[^{}\s])?)\s*\}\}")
"""``{{ member.… }}`` whatever it names, so that a column name that is no word
(``name-en``, ``Life expectancy``) is named as such (:func:`odd_fields`)."""

class Select(BaseModel):
    """How a series is narrowed to one member."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str = Field(min_length=1, description="A series that has this column keeps only "
                        "the rows where it equals the member's match field; the column "
                        "stays. Some series must have it.")
    match: str = Field("key", min_length=1, description="The member table's column whose "
                       "value the series' column must equal (default: key, the member's "
                       "key).")


class FamilySpec(BaseModel):
    """``family.yaml``: the member table and how each member's data is selected."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    members: str = Field(min_length=1, description="The member table, one row per member: "
                         "CSV (.csv, .tsv, .txt) or workbook (.xlsx, .xlsm) in the project's "
                         "data/ folder, e.g. data/members.csv.")
    sheet: str | None = Field(None, min_length=1, max_length=31, description="Workbook: the "
                              "sheet of the member table (default: the first).")
    key: str = Field(min_length=1, description="The column holding each member's key: "
                     "unique in any case, non-empty, letters, digits, '.', '_' and '-', at "
                     "most 100 characters, no Windows device name (CON, NUL, COM1…), not "
                     "ending in a dot (it names the member's PDF).")
    language: str | None = Field(None, min_length=1, description="The column holding each "
                                 "member's language, a tag of the report's languages "
                                 "(default: every member in every language).")
    decimal: Literal[",", "."] | None = Field(None, description="The decimal mark of the "
                                              "table's numbers written as text (as a "
                                              "series' decimal:); default: found from them.")
    select: Select | None = Field(None, description="How a series is narrowed to the member "
                                  "(column:, match:).")


class Family:
    """A loaded family: the project ``root``, its ``spec`` (``family.yaml`` at
    ``path``), the member table's file ``table_path`` and its ``members`` in table
    order."""

    def __init__(self, root: Path, spec: FamilySpec, path: Path, table_path: Path,
                 members: list[Member], columns: list[str],
                 cells: dict[str, str] | None = None):
        self.root = root
        self.spec = spec
        self.path = path
        self.table_path = table_path
        self.members = members
        self.columns = columns
        self.cells = cells or {}

    def cell(self, member: Member, column: str) -> str | None:
        """A workbook member table's cell of ``member`` in ``column`` as a problem names
        it (``[Members]!D3``: :attr:`Problem.cell`); None for a CSV table, whose
        problems name the member's line."""
        prefix = self.cells.get(column)
        return f"{prefix}{member.row}" if prefix is not None else None

    @property
    def keys(self) -> list[str]:
        """Every member's key, in table order."""
        return [member.key for member in self.members]

    def member(self, key: str) -> Member:
        """The member ``key``; ReportError naming the member table and the closest key."""
        for member in self.members:
            if member.key == key:
                return member
        close = difflib.get_close_matches(key, self.keys, n=1)
        shown = ", ".join(self.keys[:8]) + (" …" if len(self.keys) > 8 else "")
        raise ReportError(Problem(
            f"the family has no member {key!r}", self.table_path, None,
            f"did you mean {close[0]!r}?" if close else f"build one of: {shown}"))

    def member_files(self, member: Member) -> set[Path]:
        """The per-member files ``member`` reads: every series ``file:`` and number
        ``cell:`` file of the chapters that holds ``{member}``, with the member's key
        put in (absolute paths inside the project; files that do not exist are
        included, so that creating one changes the member's inputs)."""
        return {folder / name.replace(PLACEHOLDER, member.key)
                for folder, name in self._member_patterns}

    @functools.cached_property
    def _member_patterns(self) -> list[tuple[Path, str]]:
        """Each chapter folder and file name holding ``{member}`` (a series ``file:``,
        a number ``cell:``'s file), read once for every member of the family."""
        from .load import _read_source  # the chapter reader; load imports this module

        found: list[tuple[Path, str]] = []
        manifest, _ = read_yaml(self.root / MANIFEST, self.root)
        for slug in (manifest or {}).get("chapters", []) if isinstance(manifest, dict) else []:
            folder = self.root / CHAPTERS / str(slug)
            try:
                data, _ = _read_source(chapter_file(folder), self.root)
            except (ReportError, OSError):
                continue
            if not isinstance(data, dict):
                continue
            named = [ref.get("file") for ref in (data.get("series") or {}).values()
                     if isinstance(ref, dict)]
            for number in (data.get("numbers") or {}).values():
                cell = number.get("cell") if isinstance(number, dict) else None
                match = CELL_REFERENCE.match(cell) if isinstance(cell, str) else None
                if match:
                    named.append(match.group("file"))
            found += [(folder, name) for name in named
                      if isinstance(name, str) and PLACEHOLDER in name]
        return found


def is_family(root: Path | str) -> bool:
    """Whether the project at ``root`` is a family (a ``family.yaml`` beside its
    ``report.yaml``)."""
    path = Path(root) / FAMILY
    return path.exists() or path.is_symlink()


def load_family(root: Path | str) -> Family | None:
    """The family of the project at ``root``, its member table read and checked; None
    when the project is no family. ReportError naming ``family.yaml`` (line) or the
    member table (line or cell) for every problem: a key missing, empty, given twice
    (in any case) or not a valid key (:data:`MEMBER_KEY`, :func:`_unportable`); a
    column named in ``family.yaml`` that the table lacks."""
    root = Path(root).resolve()
    if not is_family(root):
        return None
    path = root / FAMILY
    data, lines = read_yaml(path, root)
    spec, problems = validate(FamilySpec, data, path, lines)
    if spec is None:
        raise ReportError(problems)
    suffix = Path(spec.members).suffix.lower()
    if suffix not in SERIES_SUFFIXES:
        raise ReportError(Problem(
            f"the member table {spec.members} is not a CSV or workbook file", path,
            lines.line(("members",)), "name a CSV (.csv, .tsv, .txt) or a workbook (.xlsx)",
            "members"))
    if spec.sheet and SERIES_SUFFIXES[suffix] != "workbook":
        raise ReportError(Problem(f"sheet: is for a workbook, and {spec.members} is CSV",
                                  path, lines.line(("sheet",)), "remove sheet:", "sheet"))
    table_path = root / spec.members
    parts = Path(spec.members).parts
    if len(parts) < 2 or parts[0] != DATA or ".." in parts \
            or Path(spec.members).is_absolute():
        raise ReportError(Problem(
            f"the member table {spec.members} is not in the project's data/ folder", path,
            lines.line(("members",)), "keep it in data/ (e.g. data/members.csv): the "
            "project's sources travel with every build and edition", "members"))
    read = _READ.key(root, path, table_path)
    if read is not None and read in _READ.tables:  # this process read these bytes already
        members, columns, cells = _READ.tables[read]
        return Family(root, spec, path, table_path, list(members), list(columns), dict(cells))
    line = lines.line(("members",))
    table = _read_table(table_path, spec, path, line, root)
    columns = [column.name for column in table.columns]
    for field in ("key", "language"):
        name = getattr(spec, field)
        if name is not None and name not in columns:
            close = difflib.get_close_matches(name, columns, n=1)
            problems.append(Problem(
                f"the member table {spec.members} has no column {name!r}", path,
                lines.line((field,)), f"did you mean {close[0]!r}?" if close else
                "its columns are: " + ", ".join(columns), field))
    if spec.select is not None and spec.select.match != "key" \
            and spec.select.match not in columns:
        problems.append(Problem(
            f"the member table {spec.members} has no column {spec.select.match!r}", path,
            lines.line(("select", "match")), "its columns are: " + ", ".join(columns)
            + " (or key)", "select.match"))
    if problems:
        raise ReportError(problems)
    members = _members(table, spec, table_path, root)
    if read is not None:
        _READ.keep(read, (members, columns, table.cells))
    return Family(root, spec, path, table_path, members, columns, table.cells)


class _ReadTables:
    """The member tables this process has read, by the bytes they were read from.

    Every member's build of a family run loads the family again, and the member
    table grows with the family: reading it whole for each member would make a run
    of N members cost N² rows. A table is read again only when ``family.yaml``, the
    table or ``report.yaml`` (its currency and languages) changed, or the project
    lies elsewhere; a table that has problems is never kept, nor one behind a link
    (the readers' own checks then run every time). The members are immutable
    (frozen models); a :class:`Family` is made anew from them for each load."""

    SIZE = 4  # tables kept: a worker builds one family at a time

    def __init__(self) -> None:
        self.tables: dict[tuple, tuple[list[Member], list[str], dict[str, str]]] = {}

    def key(self, root: Path, *paths: Path) -> tuple | None:
        """``root`` and the bytes of ``family.yaml``, the member table and
        ``report.yaml``; None when one is not a plain file inside ``root``."""
        files = [*paths, root / MANIFEST]
        if any(path.is_symlink() or not path.is_file() or not path.is_relative_to(root)
               for path in files):
            return None
        try:
            return (str(root), *(path.read_bytes() for path in files))
        except OSError:
            return None

    def keep(self, key: tuple, read: tuple[list[Member], list[str], dict[str, str]]) -> None:
        self.tables[key] = read
        while len(self.tables) > self.SIZE:
            del self.tables[next(iter(self.tables))]


_READ = _ReadTables()


TABLE_WORDS = (
    ("series file ", "the member table "),
    ("CSV has a header but no rows", "the member table has a header but no rows"),
    ("the series has a header but no rows", "the member table has a header but no rows"),
    ("declare it for the series (decimal:", "declare it in family.yaml (decimal:"),
    ("add the data rows under the header", "add a row per member under the header"),
)
"""The series readers' words for their file, as the member table's problems say them
(the table is no series: ``decimal:`` goes in ``family.yaml``)."""


def report_currency(root: Path) -> Currency:
    """The currency of the report at ``root`` as ``report.yaml`` writes it
    (``currency:``, default EUR, in its ``language:`` or the first of ``languages:``):
    the member table's amounts are in it, as a series' are. Read from the raw file,
    before the report is validated (a wrong value there is its own problem)."""
    data, _ = read_yaml(root / MANIFEST, root)
    data = data if isinstance(data, dict) else {}
    code = data.get("currency")
    languages = data.get("languages")
    language = data.get("language") or (languages[0] if isinstance(languages, list)
                                        and languages else None)
    if not isinstance(code, str) or not code.strip():
        code = EURO.code
    return Currency.of(code.strip().upper(), language if isinstance(language, str) else "en")


def _read_table(table_path: Path, spec: FamilySpec, owner: Path, line: int | None,
                root: Path) -> Series:
    """The member table as a typed series (keys always read as text; amounts in the
    report's currency, :func:`report_currency`); the readers' problems in the member
    table's words (:data:`TABLE_WORDS`)."""
    ref = SeriesRef(file=table_path.name, sheet=spec.sheet, decimal=spec.decimal,
                    columns={spec.key: "code"})
    currency = report_currency(root)
    try:
        if ref.reader == "workbook":
            return read_workbook(Workbook(table_path, owner, line, root, currency), ref,
                                 owner, line)
        return read_csv(table_path, owner, line, root, ref, currency)
    except ReportError as exc:
        raise ReportError([_table_words(problem) for problem in exc.problems]) from None


def _table_words(problem: Problem) -> Problem:
    """``problem`` of a series reader, said of the member table."""
    message, hint = problem.message, problem.hint
    for series, table in TABLE_WORDS:
        message = message.replace(series, table)
        hint = hint.replace(series, table) if hint is not None else None
    return dataclasses.replace(problem, message=message, hint=hint)


def _members(table: Series, spec: FamilySpec, table_path: Path, root: Path) -> list[Member]:
    """One :class:`Member` per row of ``table``; a key that is empty, not a valid key or
    given twice is a problem naming the table's line (CSV) or the key's cell
    (workbook)."""
    problems: list[Problem] = []
    members: list[Member] = []
    seen: dict[str, int] = {}
    folded: dict[str, str] = {}  # each key casefolded: the key as written
    shown = shown_path(table_path, root)
    kinds = {column.name: column.spec for column in table.columns}
    place = "row" if table.cells else "line"  # a workbook has rows, a CSV file lines
    for index, row in enumerate(table.rows):
        number = _row_number(table, index)
        value = row.get(spec.key)
        key = "" if value is None else str(value).strip()
        if not key:
            problems.append(Problem(f"member on {place} {number} of {shown} has no key",
                                    table_path, number, f"give it a key in column {spec.key}"))
            continue
        if not MEMBER_KEY.fullmatch(key):
            problems.append(Problem(
                f"member key {key!r} cannot name a file", table_path, number,
                "use letters, digits, '.', '_' and '-', starting with a letter or digit"))
            continue
        if (wrong := _unportable(key)) is not None:
            problems.append(Problem(f"member key {key!r} {wrong[0]}", table_path, number,
                                    wrong[1]))
            continue
        if key in seen:
            problems.append(Problem(f"member key {key!r} is given twice (first on {place} "
                                    f"{seen[key]})", table_path, number,
                                    "give every member its own key"))
            continue
        if (other := folded.get(key.casefold())) is not None:
            problems.append(Problem(
                f"member key {key!r} is the key {other!r} of {place} {seen[other]} in other "
                "case, and Windows and macOS make their PDFs one file", table_path, number,
                "give every member a key of its own in any case"))
            continue
        seen[key] = number
        folded[key.casefold()] = key
        language = row.get(spec.language) if spec.language is not None else None
        members.append(Member(key=key, row=number, fields=dict(row), kinds=kinds,
                              language=None if language is None else str(language).strip()))
    if problems and spec.key in table.cells:  # a workbook's: the key's cell
        problems = [dataclasses.replace(problem, cell=f"{table.cells[spec.key]}{problem.line}")
                    for problem in problems]
    if problems:
        raise ReportError(problems)
    return members


def _unportable(key: str) -> tuple[str, str] | None:
    """(what is wrong, the fix) for a key of :data:`MEMBER_KEY` that would not name the
    same file on every common file system; None for a key that would. Windows and
    macOS compare names case-blind (checked by the caller), Windows opens a device for
    :data:`DEVICE_NAMES` and drops a name's trailing dots (Microsoft, "Naming Files,
    Paths, and Namespaces"), and a name is at most 255 bytes."""
    if len(key) > KEY_LENGTH:
        return (f"is longer than {KEY_LENGTH} characters",
                f"shorten it to at most {KEY_LENGTH}: it names the member's PDF")
    if key.split(".")[0].upper() in DEVICE_NAMES:
        return ("is a device name on Windows, where its PDF could not be written",
                "choose another key, e.g. " + key + "_")
    if key.endswith("."):
        return ("ends in a dot, which Windows drops from a file name",
                "remove the dot or end the key with a letter or digit")
    return None


def _row_number(table: Series, index: int) -> int:
    """The line (CSV) or row (workbook) of the table's row ``index``: recorded by the
    readers in ``Series.lines``."""
    return table.lines[index] if index < len(table.lines) else index + 2


def member_text(text: str, member: Member, language: str, path: Path,
                line: int | None, where: str, columns: list[str]) -> tuple[str, list[Problem]]:
    """``text`` (a plain text of ``report.yaml``) with each ``{{ member.x }}`` replaced
    by the member's field ``x`` (``key``: its key, unless a column is so called,
    :meth:`~.model.Member.visible`) as the report's locale writes it (babel, CLDR: a
    number grouped, a date in the medium form, text as it is); a field the table does
    not have is a problem at ``path``/``line`` naming the table's columns."""
    problems: list[Problem] = []

    fields = member.visible()

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name not in fields:
            problems.append(unknown_field(name, columns, path, line, where, member.key))
            return match.group(0)
        return field_text(fields[name], member.column(name), language)

    return FIELD.sub(substitute, text), problems


def odd_fields(text: str, path: Path, line: int | None | Callable[[str], int | None],
               where: str | None) -> list[Problem]:
    """A problem for each ``{{ member.x }}`` in ``text`` whose ``x`` is no word
    (letters, digits, ``_``): a column such as ``name-en`` cannot be written so, and
    would print as written; the fix names the column renamed. ``line``: the line of
    ``text``, or what gives the line of a reference as written."""
    problems = []
    for match in ANY_FIELD.finditer(text):
        name = match.group(1)
        if re.fullmatch(r"\w+", name):
            continue
        word = re.sub(r"\W+", "_", name).strip("_") or "name"
        problems.append(Problem(
            f"{match.group(0)} cannot name the column {name!r}: a field is written with "
            "letters, digits and _", path, line(match.group(0)) if callable(line) else line,
            f"rename the column of the member table to {word} and write "
            f"{{{{ member.{word} }}}}", where))
    return problems


def odd_start(text: str, index: int) -> bool:
    """Whether a ``{{`` at ``index`` of ``text`` opens a ``{{ member.x }}`` that
    :func:`odd_fields` names (so that it is not also called unclosed)."""
    match = ANY_FIELD.match(text, index)
    return match is not None and not re.fullmatch(r"\w+", match.group(1))


def blank_fields(text: str, member: Member) -> list[str]:
    """The member's empty fields (an empty cell: None or blank text) that ``text`` is
    nothing but: ``["name"]`` for ``"{{ member.name }}"`` when the member's name is
    empty; [] when ``text`` keeps a word of its own, a field that is filled in, or no
    field at all. A text that only names unknown fields is left to their problem."""
    names = [match.group(1) for match in FIELD.finditer(text)]
    if not names or any(name not in member.fields for name in names):
        return []

    def empty(name: str) -> bool:
        value = member.fields[name]
        return value is None or (isinstance(value, str) and not value.strip())

    if FIELD.sub(lambda match: "" if empty(match.group(1)) else "x", text).strip():
        return []
    return list(dict.fromkeys(names))


def blank_problem(names: list[str], member: Member, family: Family, what: str,
                  path: Path | None) -> Problem:
    """The problem of a text (``what`` of the file ``path``, e.g. "the chapter title of
    01-profile") that the member's empty fields ``names`` would leave empty, at the
    member's line or row of the member table; ``path`` None: ``what`` takes the fields
    themselves (``select:``), so the fix is only to fill them in."""
    fields = " and ".join(names)
    hint = f"write the member's {fields} in column{'s' if len(names) > 1 else ''} " \
        f"{', '.join(names)} of the member table"
    if path is not None:
        hint += (", or words of their own beside "
                 + " ".join(f"{{{{ member.{name} }}}}" for name in names)
                 + f" in {shown_path(path, family.root)}")
    return Problem(
        f"member {member.key}: the member's {fields} {'is' if len(names) == 1 else 'are'} "
        f"empty, and {what} is nothing but {'it' if len(names) == 1 else 'them'}",
        family.table_path, member.row, hint, cell=family.cell(member, names[0]))


def unknown_field(name: str, columns: list[str], path: Path, line: int | None,
                  where: str | None, key: str) -> Problem:
    """The problem of ``{{ member.<name> }}`` for a field the member table lacks."""
    close = difflib.get_close_matches(name, columns, n=1)
    return Problem(f"member {key}: the member table has no column {name!r} "
                   f"({{{{ member.{name} }}}})", path, line,
                   (f"did you mean {{{{ member.{close[0]} }}}}? " if close else "")
                   + "the columns are: " + ", ".join(columns), where)


def field_text(value: FieldValue, column: Column, language: str) -> str:
    """A member's field as text in ``language`` (a CLDR locale): a year, code or text as
    written; a count grouped; a decimal, percentage with the column's decimals; a date
    in the medium form; an empty cell as empty text."""
    from babel.dates import format_date
    from babel.numbers import format_decimal, format_percent

    locale = language.replace("-", "_")
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return format_date(value, format="medium", locale=locale)
    if isinstance(value, str) or column.kind in ("year", "code", "text"):
        return str(value)
    if column.kind == "percent":
        return format_percent(value / 100, locale=locale, decimal_quantization=False)
    if column.decimals is not None:
        return format_decimal(value, format=f"#,##0.{'0' * column.decimals}"
                              if column.decimals else "#,##0", locale=locale)
    return format_decimal(value, locale=locale)
