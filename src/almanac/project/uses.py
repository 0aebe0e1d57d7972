"""Where each number and series of a report is defined and where it is used.

A number is defined once, under one chapter's ``numbers:`` (its value written there,
or read from a workbook cell), and used anywhere in the report (numbers are global:
:meth:`~.model.Report.number` looks in every chapter): as ``{{ key }}`` in a lead,
prose, a footnote, a note, a fact, a heading or a quote; in a kpi tile; as a norm; as
a results table's norm or realisation; in a figure's ``numbers:``. A series is
declared under one chapter's ``series:`` and used by that chapter's figures and tables
(``series: key``). What the report defines but never uses is kept in step with
nothing: a leftover, or the twin of a typo; :func:`unused` warns about it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import Problem, ReportError
from .checks import blocks, mention, references_in
from .markdown import read_markdown_chapter
from .model import Chapter, Report
from .yamlfile import Lines, read_yaml


@dataclass(frozen=True)
class Use:
    """One use of a number or series: the chapter (slug) that makes it, as what
    (``prose``, ``tile``, ``norm``, ``results norm``, ``figure``, ``table``, …; see
    :func:`~.checks.references_in`), where in the chapter file (``lead`` or
    ``sections[1].blocks[2]``) and on which line of it (None when not known)."""

    chapter: str
    what: str
    where: str
    line: int | None


@dataclass(frozen=True)
class Definition:
    """A number or series as the report defines it: ``kind``, ``key``, the chapter
    (slug) and file that define it and the line of its key there; ``source`` is the
    workbook cell a number is read from, relative to the project as a series' file is
    (``chapters/03-x/data/x.xlsx[2021]!C7``; None when its
    value is written in the chapter) or the file a series is read from (a sheet
    after it in brackets); ``uses`` every use in the report, in document order, one
    per place (a text that names the key twice is one use)."""

    kind: Literal["number", "series"]
    key: str
    chapter: str
    path: Path
    line: int | None
    source: str | None
    uses: tuple[Use, ...]


@dataclass(frozen=True)
class Used:
    """A number or series as one chapter uses it: its definition (perhaps in another
    chapter) and the uses this chapter makes of it, in order."""

    definition: Definition
    uses: tuple[Use, ...]


def definitions(report: Report) -> list[Definition]:
    """Every number, then every series, of the report in the order of the chapters
    and of their ``numbers:`` and ``series:``, each with all its uses. A number
    defined twice is an error of :func:`~.checks.check_numbers`; here the first
    definition counts, as for :meth:`~.model.Report.number`."""
    files = {chapter.slug: _ChapterFile(chapter, report.root) for chapter in report.chapters}
    numbers: dict[str, tuple[Chapter, list[Use]]] = {}
    for chapter in report.chapters:
        for key in chapter.data.numbers:
            numbers.setdefault(key, (chapter, []))
    series: dict[tuple[str, str], list[Use]] = {
        (chapter.slug, key): [] for chapter in report.chapters for key in chapter.data.series}
    for chapter in report.chapters:
        file = files[chapter.slug]
        for kind, key, where, _, what in references_in(chapter):
            if kind == "number" and key in numbers:
                use = Use(chapter.slug, what, where, file.line_in(where, _number_use(key)))
                if use not in numbers[key][1]:  # one place, e.g. {{ key }} twice in a text
                    numbers[key][1].append(use)
        for where, block in blocks(chapter):
            name: str = getattr(block, "series", None) or ""
            if block.type in ("figure", "table") and (chapter.slug, name) in series:
                series[chapter.slug, name].append(Use(
                    chapter.slug, block.type, where,
                    file.line_in(where, rf"series:\s*['\"]?{name}\b")))
    found = [Definition("number", key, chapter.slug, files[chapter.slug].path,
                        files[chapter.slug].line(("numbers", key)),
                        _cell(chapter, chapter.data.numbers[key].cell, report.root),
                        tuple(uses))
             for key, (chapter, uses) in numbers.items()]
    for chapter in report.chapters:
        for key, ref in chapter.data.series.items():
            loaded = chapter.series.get(key)
            found.append(Definition("series", key, chapter.slug, files[chapter.slug].path,
                                    files[chapter.slug].line(("series", key)),
                                    loaded.origin if loaded is not None else ref.file,
                                    tuple(series[chapter.slug, key])))
    return found


def number_uses(report: Report,
                found: list[Definition] | None = None) -> dict[str, list[Used]]:
    """Chapter slug → the numbers that chapter uses (wherever they are defined), in
    the order of their first use; every chapter, in the report's order. ``found``:
    :func:`definitions` of the report, when they are at hand."""
    numbers = {d.key: d for d in found or definitions(report) if d.kind == "number"}
    return {chapter.slug: _used(chapter, numbers, (
        key for kind, key, *_ in references_in(chapter) if kind == "number"))
        for chapter in report.chapters}


def series_uses(report: Report,
                found: list[Definition] | None = None) -> dict[str, list[Used]]:
    """Chapter slug → the series that chapter's figures and tables use, in the order
    of their first use; every chapter, in the report's order. ``found`` as for
    :func:`number_uses`."""
    series = {(d.chapter, d.key): d for d in found or definitions(report)
              if d.kind == "series"}
    return {chapter.slug: _used(chapter, {key: series[slug, key] for slug, key in series
                                          if slug == chapter.slug},
                                (getattr(block, "series", None) for _, block in blocks(chapter)))
            for chapter in report.chapters}


def _used(chapter: Chapter, defined: dict[str, Definition], keys) -> list[Used]:
    return [Used(defined[key], tuple(use for use in defined[key].uses
                                     if use.chapter == chapter.slug))
            for key in dict.fromkeys(keys) if key in defined]


def unused(found: list[Definition]) -> list[Problem]:
    """A warning for every number and series that is defined but used nowhere in the
    report (``found`` as :func:`definitions` gives it), naming the file and line of
    its definition and the fix. Warnings, not errors: a report with a spare number
    still prints right (``check --strict`` refuses it)."""
    problems = []
    for definition in found:
        if definition.uses:
            continue
        key = definition.key
        if definition.kind == "number":
            origin = f" (read from {definition.source})" if definition.source else ""
            problems.append(Problem(
                f"number '{key}'{origin} is defined but not used", definition.path,
                definition.line, f"use it as {{{{ {key} }}}} in prose, in a tile, norm or "
                f"results table (number: {key}) or in a chart (a figure's numbers:), or "
                "remove it", f"numbers.{key}"))
        else:
            problems.append(Problem(
                f"series '{key}' ({definition.source}) is declared but not used",
                definition.path, definition.line, f"show it in a figure or a table of "
                f"chapters/{definition.chapter} (series: {key}), or remove it",
                f"series.{key}"))
    return problems


def _number_use(key: str) -> str:
    """Where a number's key stands in a chapter file: :func:`~.checks.mention`, or
    an item of a ``numbers:`` list written one per line."""
    return mention(key) + rf"|^\s*-\s*['\"]?{key}['\"]?\s*$"


class _ChapterFile:
    """A chapter's file read for the lines of its parts (:class:`~.yamlfile.Lines`);
    when it cannot be read again, no line is known."""

    def __init__(self, chapter: Chapter, root: Path):
        self.path = chapter.source
        self.lines = Lines(None)
        self.text: list[str] = []
        try:
            self.lines = (read_markdown_chapter if self.path.suffix == ".md"
                          else read_yaml)(self.path, root)[1]
            self.text = self.path.read_text(encoding="utf-8").splitlines()
        except (ReportError, OSError, UnicodeDecodeError):
            pass

    def line(self, loc: tuple) -> int | None:
        """The line of the part at ``loc`` (``("numbers", "key")``); None if unknown."""
        return self.lines.lines.get(loc + ("<key>",)) or self.lines.lines.get(loc)

    def line_in(self, where: str, pattern: str) -> int | None:
        """The first line of the part ``where`` (``lead``, ``sections[1].blocks[2]``)
        that matches ``pattern``, from the line the part starts on to the line before
        the next part; else the line it starts on."""
        loc = tuple(int(part) if part.isdigit() else part
                    for part in re.findall(r"\w+", where))
        start = self.line(loc)
        if start is None:
            return None
        end = min((line for other, line in self.lines.lines.items()
                   if line > start and other[:len(loc)] != loc), default=len(self.text) + 1)
        regex = re.compile(pattern)
        return next((number for number in range(start, end)
                     if number <= len(self.text) and regex.search(self.text[number - 1])),
                    start)


def _cell(chapter: Chapter, cell: str | None, root: Path) -> str | None:
    """A number's ``cell:`` named as a series' file is, relative to the project."""
    if cell is None:
        return None
    try:
        return Path(os.path.normpath(chapter.folder / cell)).relative_to(root).as_posix()
    except ValueError:
        return cell
