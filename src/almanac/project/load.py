"""Stage 1 — load: ``report.yaml``, the brand file and every chapter into the
typed :class:`~almanac.project.model.Report`, collecting *every* problem (file,
line, fix) before failing.

Nothing outside the project folder is read: a chapter folder, series, image,
font, profile or brand file that points (or links) elsewhere is a problem, and so
is a chapter folder that ``report.yaml`` does not list (it would silently be
left out of the PDF).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from pydantic import ValidationError

from ..errors import Problem, ReportError
from . import theme
from .checks import (
    check_edition_dates,
    check_figures,
    check_fonts,
    check_images,
    check_numbers,
    check_photo,
    check_series_use,
)
from .csvfile import read_csv
from .markdown import read_markdown_chapter
from .model import CELL_REFERENCE, Brand, Chapter, ChapterData, Manifest, Number, Report
from .parts import CHAPTER_FILES, CHAPTER_MARKDOWN, CHAPTERS, MANIFEST, chapter_file
from .tables import EURO, Currency
from .workbook import Workbook, read_number_cell, read_workbook
from .yamlfile import Lines, read_yaml, validate


def load_report(root: Path | str) -> Report:
    """Read the project at ``root`` into a :class:`Report`, or raise ReportError."""
    root = Path(root).resolve()
    manifest_path = root / MANIFEST
    if not (manifest_path.exists() or manifest_path.is_symlink()):
        raise ReportError(Problem(f"no {MANIFEST} in {root}", manifest_path,
                                  hint="run the command in a report folder or pass its path"))
    problems: list[Problem] = []

    data, lines = read_yaml(manifest_path, root)
    manifest, found = validate(Manifest, data, manifest_path, lines)
    problems += found
    if manifest is None:
        raise ReportError(problems)
    problems += check_edition_dates(manifest, manifest_path)

    brand_path = Path(os.path.normpath(root / manifest.brand)) if manifest.brand is not None \
        else theme.brand_default(root)  # links: read_yaml's
    brand = None
    try:
        if manifest.brand is not None and not brand_path.is_relative_to(root):
            raise ReportError(Problem(f"brand file {manifest.brand} is outside the project "
                                      "folder", manifest_path, lines.line(("brand",)),
                                      "keep it inside the project, e.g. styles/brand.yaml",
                                      "brand"))
        brand_data, brand_lines = read_yaml(brand_path, theme.roots(root))
        brand_path = brand_path.resolve()  # a regular file inside: fonts are beside it
        brand, found = validate(Brand, brand_data, brand_path, brand_lines)
        problems += found
        if brand is not None:
            problems += check_fonts(brand, brand_path, root)
    except ReportError as exc:
        problems += exc.problems

    chapters: list[Chapter] = []
    currency = Currency.of(manifest.currency, manifest.language)
    complete = True
    listed: set[str] = set()
    for index, slug in enumerate(manifest.chapters):
        try:
            if slug in listed:
                raise ReportError(Problem(f"chapter {slug} is listed twice", manifest_path,
                                          lines.line(("chapters", index)),
                                          "list each chapter folder once", f"chapters[{index}]"))
            listed.add(slug)
            chapters.append(_load_chapter(root, slug, index + 1, manifest_path, lines, index,
                                          currency))
        except ReportError as exc:
            problems += exc.problems
            complete = False
    problems += _check_unlisted(root, manifest.chapters, manifest_path, lines)

    if complete:  # references across chapters are only checked once every chapter loads
        problems += check_numbers(chapters)
    problems += check_images(chapters, root)
    if manifest.cover is not None:
        problems += check_photo(manifest.cover, root, root, manifest_path, "cover")
    problems += check_figures(root, chapters)
    if problems:
        raise ReportError(problems)
    return Report(root=root, manifest=manifest, brand=brand, brand_path=brand_path,
                  chapters=chapters)


def _load_chapter(root: Path, slug: str, number: int, manifest_path: Path, lines: Lines,
                  index: int, currency: Currency) -> Chapter:
    folder = root / CHAPTERS / slug
    if not slug.strip() or slug.startswith(".") or any(c in slug for c in "/\\\0"):
        raise ReportError(Problem(f"chapter '{slug}' is not a folder name", manifest_path,
                                  lines.line(("chapters", index)),
                                  "name a folder directly under chapters/, e.g. 03-inzet",
                                  f"chapters[{index}]"))
    if folder.is_symlink() and not folder.exists():
        raise ReportError(Problem(f"chapters/{slug} is a link to nothing or to itself",
                                  manifest_path, lines.line(("chapters", index)),
                                  "replace the link with the chapter's folder",
                                  f"chapters[{index}]"))
    if folder.is_dir() and not folder.resolve().is_relative_to(root / CHAPTERS):
        raise ReportError(Problem(f"chapters/{slug} links to a folder outside the project",
                                  manifest_path, lines.line(("chapters", index)),
                                  "copy the chapter into chapters/ instead of linking it",
                                  f"chapters[{index}]"))
    if not folder.is_dir():
        existing = sorted(p.name for p in (root / CHAPTERS).glob("*") if p.is_dir())
        close = difflib.get_close_matches(slug, existing, n=1)
        hint = f"did you mean '{close[0]}'?" if close \
            else f"create chapters/{slug}/{CHAPTER_MARKDOWN}"
        raise ReportError(Problem(f"chapter folder chapters/{slug}/ does not exist",
                                  manifest_path, lines.line(("chapters", index)), hint,
                                  f"chapters[{index}]"))
    return read_chapter(folder, slug, number, currency=currency)


def _check_unlisted(root: Path, listed: list[str], manifest_path: Path,
                    lines: Lines) -> list[Problem]:
    """A chapter folder that report.yaml does not list is an error: it would be
    silently left out of the PDF. (A misspelt entry already suggests it.)"""
    present = sorted(p.name for p in (root / CHAPTERS).glob("*")
                     if p.is_dir() and any((p / name).is_file() for name in CHAPTER_FILES)
                     and not p.name.startswith((".", "_")))
    missing = [slug for slug in listed if slug not in present]
    suggested = {close for slug in missing
                 for close in difflib.get_close_matches(slug, present, n=1)}
    return [Problem(f"chapter folder chapters/{name}/ is not listed in {MANIFEST}",
                    manifest_path, lines.line(("chapters",)),
                    f"add it to chapters: in {MANIFEST} or remove it", "chapters")
            for name in present if name not in listed and name not in suggested]


def read_chapter(folder: Path, slug: str, number: int, root: Path | None = None,
                 currency: Currency = EURO) -> Chapter:
    """One chapter folder (its chapter.md or chapter.yaml, and its series) into a
    :class:`Chapter`, its amounts in the report's ``currency``. Files outside ``root``
    (default: two folders up) are never read."""
    root = (root or folder.parent.parent).resolve()
    path = chapter_file(folder)
    if path.name == CHAPTER_MARKDOWN:
        data, chapter_lines = read_markdown_chapter(path, root)
    else:
        data, chapter_lines = read_yaml(path, root)
    chapter_data, problems = validate(ChapterData, data, path, chapter_lines)
    if chapter_data is None:
        raise ReportError(problems)
    problems += _check_amounts(chapter_data, currency, path, chapter_lines)
    books: dict[Path, Workbook] = {}
    series = {}
    for key, ref in chapter_data.series.items():
        line = chapter_lines.line(("series", key))
        try:
            if ref.reader == "workbook":
                series[key] = read_workbook(_book(books, folder / ref.file, path, line, root,
                                                  currency), ref, path, line)
            else:
                series[key] = read_csv(folder / ref.file, path, line, root, ref, currency)
        except ReportError as exc:
            problems += exc.problems
    numbers, found = _cell_numbers(chapter_data, books, folder, path, chapter_lines, root,
                                   currency)
    problems += found
    if numbers:
        chapter_data = chapter_data.model_copy(update={"numbers": {
            **chapter_data.numbers, **numbers}})
    problems += check_series_use(chapter_data, series, path)
    if problems:
        raise ReportError(problems)
    return Chapter(slug=slug, number=number, folder=folder, source=path, data=chapter_data,
                   series=series)


def _book(books: dict[Path, Workbook], path: Path, owner: Path, line: int | None,
          root: Path, currency: Currency) -> Workbook:
    """The workbook at ``path``, opened once for every series and cell of a chapter."""
    key = Path(os.path.normpath(path))
    if key not in books:
        books[key] = Workbook(path, owner, line, root, currency)
    return books[key]


def _check_amounts(data: ChapterData, currency: Currency, path: Path,
                   lines: Lines) -> list[Problem]:
    """``unit: eur`` names the euro: in a report whose currency is another, each
    number of that unit is a problem at its unit's line (write ``unit: currency``)."""
    if currency.code == "EUR":
        return []
    return [Problem(f"unit: eur is an amount in euros, and the report's currency is "
                    f"{currency.shown}", path, lines.line(("numbers", key, "unit")),
                    f"write unit: currency (an amount in {currency.code}), or give the "
                    "report's currency in report.yaml", f"numbers.{key}")
            for key, number in data.numbers.items() if number.unit == "eur"]


def _cell_numbers(data: ChapterData, books: dict[Path, Workbook], folder: Path, path: Path,
                  lines: Lines, root: Path,
                  currency: Currency) -> tuple[dict[str, Number], list[Problem]]:
    """The chapter's numbers kept in workbook cells (``cell:``), each with the cell's
    value and, where the chapter does not give them, the unit and decimals its
    format shows; the problems of those that cannot be read."""
    numbers: dict[str, Number] = {}
    problems: list[Problem] = []
    for key, number in data.numbers.items():
        if number.cell is None:
            continue
        line = lines.line(("numbers", key, "cell"))
        if number.value is not None:
            problems.append(Problem("the number gives both a value and a cell", path,
                                    lines.line(("numbers", key)), "keep one: the cell, "
                                    "where the number is kept, or the value", f"numbers.{key}"))
            continue
        reference = CELL_REFERENCE.match(number.cell)
        assert reference is not None  # the model checked the pattern
        try:
            book = _book(books, folder / reference.group("file"), path, line, root, currency)
            read = read_number_cell(book, number.cell, path, line)
        except ReportError as exc:
            problems += exc.problems
            continue
        unit = number.unit or ("percent" if read.percent else "currency" if read.currency
                               else "count" if isinstance(read.value, int) else "decimal")
        if unit == "percent" and not read.percent and 0 < abs(read.value) < 1:
            problems.append(Problem(
                f"the cell {number.cell} holds {read.value!r} with no percent format: "
                f"{read.value * 100:g} % or {read.value!r} %?", path, line,
                "format the cell as a percentage in Excel (0.0%), or write the value in "
                "percent (6.3 for 6,3 %)", f"numbers.{key}"))
            continue
        decimals = number.decimals if number.decimals is not None else \
            read.decimals if unit != "count" and read.decimals is not None else None
        try:
            numbers[key] = Number(value=read.value, cell=number.cell, unit=unit, label=number.label,
                                  decimals=decimals)
        except ValidationError as exc:
            message = exc.errors()[0]["msg"].removeprefix("Value error, ")
            text, _, fix = message.partition("; ")
            problems.append(Problem(f"{text} (the cell {number.cell} holds {read.value!r})",
                                    path, line, fix or None, f"numbers.{key}"))
    return numbers, problems


def load_specimen(report: Report) -> Report:
    """The report's brand and layout with the specimen chapter, which uses every
    component, in place of the report's own chapters: the project's own
    (``layout/specimen/``) or the built-in theme's."""
    folder = theme.specimen_folder(report.root)
    if not chapter_file(folder).is_file():
        raise ReportError(Problem("no specimen chapter", chapter_file(folder),
                                  hint="create layout/specimen/chapter.md (or .yaml), or "
                                  "remove layout/specimen/ to use the built-in one"))
    own = theme.THEME if theme.in_theme(folder) else report.root  # what its files are read in
    chapter = read_chapter(folder, "specimen", 1, own,
                           Currency.of(report.manifest.currency, report.manifest.language))
    problems = check_numbers([chapter]) + check_images([chapter], own) + \
        check_figures(report.root, [chapter])
    if problems:
        raise ReportError(problems)
    manifest = report.manifest.model_copy(update={
        "title": f"Specimen – {report.manifest.title}", "chapters": ["specimen"]})
    return report.model_copy(update={"manifest": manifest, "chapters": [chapter]})
