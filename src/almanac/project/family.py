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

import datetime as dt
import difflib
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import Problem, ReportError
from .csvfile import read_csv, shown_path
from .model import CELL_REFERENCE, SERIES_SUFFIXES, FieldValue, Member, SeriesRef
from .parts import CHAPTERS, FAMILY, MANIFEST, SOURCE_FOLDERS, chapter_file
from .tables import EURO, Column, Series
from .workbook import Workbook, read_workbook
from .yamlfile import read_yaml, validate

__all__ = ["FAMILY", "Family", "FamilySpec", "Member", "Select", "is_family", "load_family",
           "member_files"]

MEMBER_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
"""A member's key: it names the member's PDF, so letters, digits, ``.``, ``_`` and
``-``, starting with a letter or digit (no path separator, no leading dot)."""
PLACEHOLDER = "{member}"
"""In a series' ``file:`` or a number's ``cell:``: the member's key."""
FIELD = re.compile(r"\{\{\s*member\.(\w+)\s*\}\}")
"""``{{ member.name }}`` in a text of ``report.yaml``: the member's field."""

class Select(BaseModel):
    """How a series is narrowed to one member."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    column: str = Field(min_length=1, description="A series that has this column keeps only "
                        "the rows where it equals the member's match field; the column "
                        "stays.")
    match: str = Field("key", min_length=1, description="The member table's column whose "
                       "value the series' column must equal (default: key, the member's "
                       "key).")


class FamilySpec(BaseModel):
    """``family.yaml``: the member table and how each member's data is selected."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    members: str = Field(min_length=1, description="The member table, one row per member: "
                         "CSV (.csv, .tsv, .txt) or workbook (.xlsx, .xlsm), relative to the "
                         "project.")
    sheet: str | None = Field(None, min_length=1, max_length=31, description="Workbook: the "
                              "sheet of the member table (default: the first).")
    key: str = Field(min_length=1, description="The column holding each member's key: "
                     "unique, non-empty, letters, digits, '.', '_' and '-' (it names the "
                     "member's PDF).")
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
                 members: list[Member], columns: list[str]):
        self.root = root
        self.spec = spec
        self.path = path
        self.table_path = table_path
        self.members = members
        self.columns = columns

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
        from .load import _read_source  # the chapter reader; load imports this module

        found: set[Path] = set()
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
            for name in named:
                if isinstance(name, str) and PLACEHOLDER in name:
                    found.add(folder / name.replace(PLACEHOLDER, member.key))
        return found


def is_family(root: Path | str) -> bool:
    """Whether the project at ``root`` is a family (a ``family.yaml`` beside its
    ``report.yaml``)."""
    path = Path(root) / FAMILY
    return path.exists() or path.is_symlink()


def load_family(root: Path | str) -> Family | None:
    """The family of the project at ``root``, its member table read and checked; None
    when the project is no family. ReportError naming ``family.yaml`` (line) or the
    member table (line or cell) for every problem: a key missing, empty, given twice or
    not a valid key; a column named in ``family.yaml`` that the table lacks."""
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
    if len(parts) < 2 or parts[0] not in SOURCE_FOLDERS or ".." in parts \
            or Path(spec.members).is_absolute():
        raise ReportError(Problem(
            f"the member table {spec.members} is not in the project's data/ folder", path,
            lines.line(("members",)), "keep it in data/ (e.g. data/members.csv): the "
            "project's sources travel with every build and edition", "members"))
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
    return Family(root, spec, path, table_path,
                  _members(table, spec, table_path, root), columns)


def _read_table(table_path: Path, spec: FamilySpec, owner: Path, line: int | None,
                root: Path) -> Series:
    """The member table as a typed series (keys always read as text)."""
    ref = SeriesRef(file=table_path.name, sheet=spec.sheet, decimal=spec.decimal,
                    columns={spec.key: "code"})
    if ref.reader == "workbook":
        return read_workbook(Workbook(table_path, owner, line, root, EURO), ref, owner, line)
    return read_csv(table_path, owner, line, root, ref, EURO)


def _members(table: Series, spec: FamilySpec, table_path: Path, root: Path) -> list[Member]:
    """One :class:`Member` per row of ``table``; a key that is empty, not a valid key or
    given twice is a problem naming the table's line (CSV) or row."""
    problems: list[Problem] = []
    members: list[Member] = []
    seen: dict[str, int] = {}
    shown = shown_path(table_path, root)
    kinds = {column.name: column.spec for column in table.columns}
    for index, row in enumerate(table.rows):
        number = _row_number(table, index)
        value = row.get(spec.key)
        key = "" if value is None else str(value).strip()
        if not key:
            problems.append(Problem(f"member on line {number} of {shown} has no key",
                                    table_path, number, f"give it a key in column {spec.key}"))
            continue
        if not MEMBER_KEY.fullmatch(key):
            problems.append(Problem(
                f"member key {key!r} cannot name a file", table_path, number,
                "use letters, digits, '.', '_' and '-', starting with a letter or digit"))
            continue
        if key in seen:
            problems.append(Problem(f"member key {key!r} is given twice (first on line "
                                    f"{seen[key]})", table_path, number,
                                    "give every member its own key"))
            continue
        seen[key] = number
        language = row.get(spec.language) if spec.language is not None else None
        members.append(Member(key=key, row=number, fields=dict(row), kinds=kinds,
                              language=None if language is None else str(language).strip()))
    if problems:
        raise ReportError(problems)
    return members


def _row_number(table: Series, index: int) -> int:
    """The line (CSV) or row (workbook) of the table's row ``index``: recorded by the
    readers in ``Series.lines``."""
    return table.lines[index] if index < len(table.lines) else index + 2


def member_text(text: str, member: Member, language: str, path: Path,
                line: int | None, where: str, columns: list[str]) -> tuple[str, list[Problem]]:
    """``text`` (a plain text of ``report.yaml``) with each ``{{ member.x }}`` replaced
    by the member's field ``x`` as the report's locale writes it (babel, CLDR: a
    number grouped, a date in the medium form, text as it is); a field the table does
    not have is a problem at ``path``/``line`` naming the table's columns."""
    problems: list[Problem] = []

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name not in member.fields:
            problems.append(unknown_field(name, columns, path, line, where, member.key))
            return match.group(0)
        return field_text(member.fields[name], member.column(name), language)

    return FIELD.sub(substitute, text), problems


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



def member_files(family: Family, member: Member) -> set[Path]:
    """The per-member files ``member`` of ``family`` reads (:meth:`Family.member_files`)."""
    return family.member_files(member)
