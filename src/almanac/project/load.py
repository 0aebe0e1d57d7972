"""Stage 1 — load: ``report.yaml``, the brand file and every chapter into the
typed :class:`~almanac.project.model.Report`, collecting *every* problem (file,
line, fix) before failing.

Nothing outside the project folder is read: a chapter folder, series, image,
font, profile or brand file that points (or links) elsewhere is a problem, and so
is a chapter folder that ``report.yaml`` does not list (it would silently be
left out of the PDF).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import Problem, ReportError
from . import theme
from .checks import (
    check_changelog,
    check_edition_dates,
    check_figures,
    check_fonts,
    check_images,
    check_numbers,
    check_photo,
    check_series_use,
)
from .csvfile import read_csv, shown_path
from .family import FIELD, PLACEHOLDER, Family, load_family, member_text
from .languages import (
    FALLBACK_HINT,
    TAG,
    Languages,
    declared,
    is_markdown,
    lookup,
    merge,
    select,
    stray_translations,
    translation_file,
)
from .markdown import read_markdown_chapter
from .model import (
    ARCHIVE_FOLDER,
    CELL_REFERENCE,
    Brand,
    Chapter,
    ChapterData,
    Manifest,
    Member,
    Number,
    Report,
    Untranslated,
)
from .parts import CHAPTER_FILES, CHAPTER_MARKDOWN, CHAPTERS, MANIFEST, chapter_file
from .tables import EURO, Currency
from .workbook import Workbook, read_number_cell, read_workbook
from .yamlfile import Lines, read_yaml, validate, where


def load_report(root: Path | str, language: str | None = None,
                member: str | None = None) -> Report:
    """Read the project at ``root`` into the :class:`Report` of ``language`` (a tag of
    its ``languages:``; None: the main language, or a family member's own language),
    or raise ReportError naming every problem found. The main language is always read
    and checked whole, so the edition of any language has been checked as the main
    one is. A family (:mod:`~.family`) is loaded for its member ``member`` (a key of
    its member table; required for a family, refused for any other project), each
    problem naming the member."""
    return _load(root, [language], member)[0]


def load_all(root: Path | str, member: str | None = None) -> list[Report]:
    """Every language's :class:`Report` of the project at ``root``, the main language
    first (one for a report in one language; a family member with a language of its
    own: that one); ReportError naming every problem of every language."""
    return _load(root, None, member)


def _load(root: Path | str, wanted: list[str | None] | None,
          key: str | None = None) -> list[Report]:
    """The reports of the ``wanted`` languages (None in it: the main one; ``wanted``
    None: every language), in that order, of the family member ``key`` when given."""
    root = Path(root).resolve()
    manifest_path = root / MANIFEST
    if not (manifest_path.exists() or manifest_path.is_symlink()):
        raise ReportError(Problem(f"no {MANIFEST} in {root}", manifest_path,
                                  hint="run the command in a report folder or pass its path"))
    family = load_family(root)
    member = _member_of(family, key, root)
    try:
        return _load_member(root, manifest_path, wanted, family, member)
    except ReportError as exc:
        if member is None:
            raise
        raise ReportError([_naming(problem, member.key) for problem in exc.problems]) \
            from None


def _member_of(family: Family | None, key: str | None, root: Path) -> Member | None:
    """The member ``key`` of ``family``; a ReportError for a family loaded without a
    member, or a member asked of a project that is no family."""
    if family is None:
        if key is not None:
            raise ReportError(Problem(f"the project is not a report family: it has no "
                                      f"family.yaml, so it has no member {key!r}",
                                      root / MANIFEST, hint="build it without --member"))
        return None
    if key is None:
        raise ReportError(Problem(
            f"the project is a family of {len(family.members)} members; build one "
            "(--member KEY) or all (--family)", family.path,
            hint="e.g. --member " + (family.keys[0] if family.keys else "KEY")))
    return family.member(key)


def _naming(problem: Problem, key: str) -> Problem:
    """``problem`` with the member ``key`` named in its message (once)."""
    if problem.message.startswith(f"member {key}:"):
        return problem
    return dataclasses.replace(problem, message=f"member {key}: {problem.message}")


def _load_member(root: Path, manifest_path: Path, wanted: list[str | None] | None,
                 family: Family | None, member: Member | None) -> list[Report]:
    """:func:`_load` once the member is known (None: no family)."""
    problems: list[Problem] = []

    data, lines = read_yaml(manifest_path, root)
    data = plain_entries(data)
    raw_title = data.get("title") if isinstance(data, dict) else None
    if member is not None and family is not None:
        data, found = _member_texts(data, lines, manifest_path, member, family)
        problems += found
    else:
        problems += _stray_fields(data, lines, manifest_path)
    languages = declared(data)
    main_data, found, untranslated = _manifest_data(data, lines, manifest_path, languages,
                                                    languages.main if languages else None)
    problems += found
    manifest, found = validate(Manifest, main_data, manifest_path, lines)
    problems += [p for p in found if not (languages and p.where == "language")]
    if manifest is None:
        raise ReportError(problems)
    tags = list(manifest.languages) or [manifest.language]
    if member is not None and member.language is not None and family is not None:
        if member.language not in tags:
            raise ReportError(Problem(
                f"the member's language {member.language!r} is not one of the report's "
                f"({', '.join(tags)})", family.table_path, member.row,
                f"write one of {', '.join(tags)} in column {family.spec.language}, or add "
                f"it to report.yaml"))
        other = [tag for tag in wanted or () if tag not in (None, member.language)]
        if other:
            raise ReportError(Problem(
                f"the member is in {member.language}, not {other[0]}", family.table_path,
                member.row, f"build it in {member.language} (without --language)"))
        wanted = [member.language]
    unknown = [tag for tag in wanted or () if tag is not None and tag not in tags]
    if unknown:
        key = "languages" if manifest.languages else "language"
        raise ReportError(Problem(
            f"the report has no language {unknown[0]!r}", manifest_path, lines.line((key,)),
            f"build one of its languages: {', '.join(tags)} (or add it to {key}: here)"))
    problems += check_edition_dates(manifest, manifest_path)
    problems += check_changelog(manifest, manifest_path, lines)
    problems += check_archive_folder(manifest, root, manifest_path, lines)

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
                                          currency, languages, family, member))
        except ReportError as exc:
            problems += exc.problems
            complete = False
    problems += _check_unlisted(root, manifest.chapters, manifest_path, lines)

    fields = _fields(family, member)
    if complete:  # references across chapters are only checked once every chapter loads
        problems += check_numbers(chapters, fields)
    problems += check_images(chapters, root)
    if manifest.cover is not None:
        problems += check_photo(manifest.cover, root, root, manifest_path, "cover")
    problems += check_figures(root, chapters)

    editions: dict[str, Report] = {}
    if brand is not None and not problems:
        editions[tags[0]] = Report(root=root, manifest=manifest, brand=brand,
                                   brand_path=brand_path, chapters=chapters,
                                   untranslated=untranslated, member=member,
                                   family_title=_family_title(raw_title, tags[0], member))
    for tag in tags[1:]:
        if languages is None or (wanted is not None and tag not in wanted):
            continue
        edition_data, found, untranslated = _manifest_data(data, lines, manifest_path,
                                                           languages, tag)
        edition, found = validate(Manifest, edition_data, manifest_path, lines) \
            if not found else (None, found)
        problems += found
        translated, found, missed = _translate(chapters, tag, languages, complete, fields)
        problems += found
        if edition is not None and brand is not None and not problems:
            editions[tag] = Report(root=root, manifest=edition, brand=brand,
                                   brand_path=brand_path, chapters=translated,
                                   untranslated=untranslated + missed, member=member,
                                   family_title=_family_title(raw_title, tag, member))
    if problems:
        raise ReportError(list(dict.fromkeys(problems)))
    return [editions[tag or tags[0]] for tag in (wanted or tags)]


def _fields(family: Family | None, member: Member | None) -> tuple[str, list[str]] | None:
    """(the member table's file shown, its columns) for :func:`~.checks.check_numbers`'s
    ``{{ member.x }}`` check; None for a report that is no family member."""
    if family is None or member is None:
        return None
    return shown_path(family.table_path, family.root), family.columns


def _family_title(title: Any, language: str, member: Member | None) -> str | None:
    """report.yaml's ``title`` as written (in ``language`` when given by language, else
    the first given), each ``{{ member.x }}`` taken out; None for no family member."""
    if member is None:
        return None
    if isinstance(title, dict):
        title = title.get(language, next(iter(title.values()), ""))
    return " ".join(FIELD.sub(" ", str(title or "")).split())


def _stray_fields(data: Any, lines: Lines, path: Path, loc: tuple = ()) -> list[Problem]:
    """A problem for each ``{{ member.x }}`` in a text of a report that is no family
    member's (it would be printed as written)."""
    if isinstance(data, str):
        return [Problem(f"{match.group(0)} is a family member's field, and this report is "
                        "no family", path, lines.line(loc), "add family.yaml beside "
                        "report.yaml, or write the text itself", where(loc) or None)
                for match in FIELD.finditer(data)]
    items = data.items() if isinstance(data, dict) else enumerate(data) \
        if isinstance(data, list) else ()
    return [problem for name, item in items
            for problem in _stray_fields(item, lines, path, loc + (name,))]


def _member_texts(data: Any, lines: Lines, path: Path, member: Member,
                  family: Family) -> tuple[Any, list[Problem]]:
    """``report.yaml``'s raw data with ``{{ member.x }}`` in each of its texts (a text
    given by language too) replaced by the member's field, as
    :func:`~.family.member_text` writes it in the member's language (else the main
    one); the problems of fields the member table lacks."""
    problems: list[Problem] = []
    languages = declared(data)
    language = member.language or (languages.main if languages is not None else None) \
        or (data.get("language") if isinstance(data, dict) else None) or "en"

    def walk(value: Any, loc: tuple) -> Any:
        if isinstance(value, str):
            text, found = member_text(value, member, str(language), path, lines.line(loc),
                                      where(loc), family.columns)
            problems.extend(found)
            return text
        if isinstance(value, dict):
            return {name: walk(item, loc + (name,)) for name, item in value.items()}
        if isinstance(value, list):
            return [walk(item, loc + (index,)) for index, item in enumerate(value)]
        return value

    return walk(data, ()), problems


def check_archive_folder(manifest: Manifest, root: Path, path: Path,
                         lines: Lines) -> list[Problem]:
    """A problem at ``archive.folder`` when that path exists and is no folder (a file,
    a broken link), so that ``check`` says what ``publish`` would otherwise find only
    after building."""
    folder = root / manifest.archive.folder
    if not os.path.lexists(folder) or folder.is_dir():
        return []
    return [Problem(f"the archive folder {manifest.archive.folder} exists and is not a "
                    "folder",
                    path, lines.line(("archive", "folder")) or lines.line(("archive",)),
                    f"give a folder of its own, e.g. {ARCHIVE_FOLDER}, or move "
                    f"{manifest.archive.folder} away", "archive.folder")]


def plain_entries(data: Any) -> Any:
    """``report.yaml``'s raw data with the changelog's plain entry written out: a
    ``changes:`` (or one of its items) that is a text, or a text given by language
    (``{nl: …, en: …}``, in a report in several languages), becomes the entry of
    ``edition.version`` dated ``edition.date`` with that text, so that a report in
    several languages selects its language's text as for any other text. Two or more
    such items are left as they are (:class:`~.model.Edition` refuses them, naming
    both)."""
    edition = data.get("edition") if isinstance(data, dict) else None
    if not isinstance(edition, dict) or "version" not in edition or "date" not in edition:
        return data
    changes = edition.get("changes")

    def plain(item: Any) -> bool:  # a text; by language only in a report in several
        return isinstance(item, str) or "languages" in data and isinstance(item, dict) \
            and bool(item) and all(isinstance(key, str) and TAG.match(key) for key in item)

    items = [changes] if plain(changes) else changes if isinstance(changes, list) else []
    if sum(1 for item in items if plain(item)) != 1:
        return data
    entries = [{"version": edition["version"], "date": edition["date"], "text": item}
               if plain(item) else item for item in items]
    return {**data, "edition": {**edition, "changes": entries}}


def _manifest_data(data: Any, lines: Lines, path: Path, languages: Languages | None,
                   language: str | None) -> tuple[Any, list[Problem], list[Untranslated]]:
    """``report.yaml``'s raw data for the edition in ``language``: each text given by
    language selected (:func:`~.languages.select`) and ``language:`` set to it, with
    the problems and the texts shown in the main language. The data as it is for a
    report in one language; a report that gives both ``language:`` and
    ``languages:`` is a problem."""
    if languages is None or language is None or not isinstance(data, dict):
        return data, [], []
    problems = []
    if "language" in data:
        problems.append(Problem("the report gives both language and languages", path,
                                lines.line(("language",)), "remove language: here; the "
                                "first of languages: is the main language", "language"))
    selected, found = select(Manifest, data, language, languages, path, lines)
    missed = [Untranslated(language=language, path=path, line=lines.line(loc),
                           where=where(loc), shown=where(loc)) for loc in found.untranslated]
    return {**selected, "language": language}, problems + found.problems, missed


def _translate(chapters: list[Chapter], language: str, languages: Languages,
               complete: bool, fields: tuple[str, list[str]] | None = None
               ) -> tuple[list[Chapter], list[Problem], list[Untranslated]]:
    """The chapters (of the main language) in ``language``; the problems of its texts,
    and the texts shown in the main language. References in the translated texts are
    checked once every chapter has its translation."""
    translated: list[Chapter] = []
    problems: list[Problem] = []
    missed: list[Untranslated] = []
    for chapter in chapters:
        try:
            edition, found = translate_chapter(chapter, language, languages)
        except ReportError as exc:
            problems += exc.problems
            complete = False
            continue
        translated.append(edition)
        missed += found
    if complete:
        problems += check_numbers(translated, fields)
    return translated, problems, missed


def _load_chapter(root: Path, slug: str, number: int, manifest_path: Path, lines: Lines,
                  index: int, currency: Currency, languages: Languages | None = None,
                  family: Family | None = None, member: Member | None = None) -> Chapter:
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
    return read_chapter(folder, slug, number, currency=currency, languages=languages,
                        family=family, member=member)


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
                 currency: Currency = EURO, languages: Languages | None = None,
                 family: Family | None = None, member: Member | None = None) -> Chapter:
    """One chapter folder (its chapter.md or chapter.yaml, and its series) into a
    :class:`Chapter`, its amounts in the report's ``currency``, in the main language
    of ``languages`` when the report has several (its texts given by language
    selected; a translation file of a language the report does not have is a
    problem). For the ``member`` of a ``family``: ``{member}`` in a series' file or a
    number's cell is its key, a series with the family's ``select`` column keeps the
    member's rows, and a number with ``column:`` its cell. Files outside ``root``
    (default: two folders up) are never read."""
    root = (root or folder.parent.parent).resolve()
    path = chapter_file(folder)
    data, chapter_lines = _read_source(path, root)
    problems: list[Problem] = []
    if languages is not None:
        data, found = select(ChapterData, data, languages.main, languages, path,
                             chapter_lines)
        problems += found.problems + stray_translations(folder, path, languages)
    chapter_data, found_problems = validate(ChapterData, data, path, chapter_lines)
    problems += found_problems
    if chapter_data is None:
        raise ReportError(problems)
    problems += _check_amounts(chapter_data, currency, path, chapter_lines)
    books: dict[Path, Workbook] = {}
    series = {}
    for key, ref in chapter_data.series.items():
        line = chapter_lines.line(("series", key))
        try:
            file = _member_file(ref.file, member, path, line, f"series.{key}.file")
            if ref.reader == "workbook":
                series[key] = read_workbook(_book(books, folder / file, path, line, root,
                                                  currency), ref, path, line)
            else:
                series[key] = read_csv(folder / file, path, line, root, ref, currency)
            if family is not None and member is not None:
                series[key] = _selected(series[key], family, member, path, line, key)
        except ReportError as exc:
            problems += exc.problems
    numbers, found_problems = _cell_numbers(chapter_data, books, folder, path, chapter_lines,
                                            root, currency, member)
    problems += found_problems
    found_numbers, found_problems = _column_numbers(chapter_data, path, chapter_lines,
                                                    family, member)
    numbers.update(found_numbers)
    problems += found_problems
    if numbers:
        chapter_data = chapter_data.model_copy(update={"numbers": {
            **chapter_data.numbers, **numbers}})
    problems += check_series_use(chapter_data, series, path)
    if problems:
        raise ReportError(problems)
    return Chapter(slug=slug, number=number, folder=folder, source=path, data=chapter_data,
                   series=series, block_lines=_block_lines(chapter_data, chapter_lines))


def _read_source(path: Path, root: Path) -> tuple[Any, Lines]:
    """The raw data and lines of a chapter file, Markdown or YAML."""
    if path.name.endswith(".md"):
        return read_markdown_chapter(path, root)
    return read_yaml(path, root)


def translate_chapter(chapter: Chapter, language: str, languages: Languages
                      ) -> tuple[Chapter, list[Untranslated]]:
    """``chapter`` (loaded in the main language) in ``language``: its texts from its
    translation file (``chapter.<tag>.md``, the most specific for ``language``:
    :func:`~.languages.translation_file`, :func:`~.languages.merge`), or from the
    texts its YAML gives by language (:func:`~.languages.select`), or its own when
    the main language serves ``language`` (``en`` serves ``en-GB``); its numbers'
    values and its series as loaded. A chapter with none of these is a problem
    naming its file and the language — or, with ``languages.fallback``, the chapter
    as it is, recorded as untranslated. ReportError with every problem of its texts."""
    root = chapter.folder.parent.parent.resolve()
    main_path = chapter.source
    data, main_lines = _read_source(main_path, root)
    selected, found = select(ChapterData, data, language, languages, main_path, main_lines)
    problems = found.problems
    missed = [(main_path, main_lines, loc) for loc in found.untranslated]
    path, lines = main_path, main_lines
    translation = translation_file(chapter.folder, main_path, language, languages)
    whole = False
    if translation is not None:
        own, own_lines = _read_source(translation, root)
        own, own_found = select(ChapterData, own, language, languages, translation, own_lines)
        merged = merge(selected, main_lines, main_path, own, own_lines, translation,
                       language, languages)
        problems = own_found.problems + merged.problems
        missed = [(translation, own_lines, loc) for loc in own_found.untranslated] + [
            (main_path, main_lines, loc) for loc in merged.untranslated]
        if problems:
            raise ReportError(problems)
        path, lines, selected = translation, merged.lines, merged.data
    elif (is_markdown(main_path) or not found.mapped) and not languages.shares_main(language):
        if not languages.fallback:
            form = " or ".join(f"chapter.{tag}{main_path.suffix}" for tag in lookup(language)
                               if tag != languages.main)
            raise ReportError(Problem(
                f"the chapter has no {language} translation", main_path,
                main_lines.line(("title",)),
                f"write its {language} text in {form} beside it: the same sections and blocks, "
                + ("" if is_markdown(main_path) else "or give its texts by language "
                   f"(title: {{{languages.main}: …, {language}: …}}), ") + FALLBACK_HINT))
        whole = True
    if problems:
        raise ReportError(problems)
    if whole:
        edition = chapter
    else:
        chapter_data, invalid = validate(ChapterData, selected, path, lines)
        if translation is not None:
            invalid = [merged.source_of(p, main_path, translation) for p in invalid]
        if chapter_data is None:
            raise ReportError(invalid)
        # what the translation says of the shared series (a table's columns, a figure's
        # series) is checked as the main language's is: a column it renames must exist
        used = check_series_use(chapter_data, chapter.series, path)
        if used:
            raise ReportError(used)
        numbers = {key: chapter.data.numbers[key].model_copy(update={"label": number.label})
                   if key in chapter.data.numbers else number
                   for key, number in chapter_data.numbers.items()}
        edition = Chapter(slug=chapter.slug, number=chapter.number, folder=chapter.folder,
                          source=path, series=chapter.series,
                          data=chapter_data.model_copy(update={"numbers": numbers}),
                          block_lines=_block_lines(chapter_data, lines))
    shown = f"{edition.number} {edition.data.title}"
    if whole:
        return edition, [Untranslated(language=language, path=main_path,
                                      line=main_lines.line(("title",)), shown=shown)]
    return edition, [Untranslated(language=language, path=file, line=in_file.line(loc),
                                  where=where(loc) or None, shown=shown)
                     for file, in_file, loc in missed]


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


def _member_file(file: str, member: Member | None, path: Path, line: int | None,
                 where_: str) -> str:
    """``file`` with ``{member}`` replaced by the member's key; a ReportError for a
    ``{member}`` in a report that is no family member."""
    if PLACEHOLDER not in file:
        return file
    if member is None:
        raise ReportError(Problem(f"{PLACEHOLDER} in {file} is a family member's key, and "
                                  "this report is no family", path, line,
                                  "name the file itself, or add family.yaml beside "
                                  "report.yaml", where_))
    return file.replace(PLACEHOLDER, member.key)


def _selected(series: Any, family: Family, member: Member, path: Path, line: int | None,
              key: str) -> Any:
    """``series`` narrowed to ``member`` by the family's ``select`` (the rows whose
    ``select.column`` equals the member's ``select.match`` field, compared as text); a
    series without that column as it is. No row left is a ReportError naming the
    series and the member."""
    select = family.spec.select
    if select is None or series.column(select.column) is None:
        return series
    wanted = member.key if select.match == "key" else member.fields.get(select.match)
    text = "" if wanted is None else str(wanted)
    keep = [index for index, row in enumerate(series.rows)
            if row.get(select.column) is not None and str(row[select.column]) == text]
    if not keep:
        raise ReportError(Problem(
            f"series {key} ({series.origin}) has no row whose {select.column} is {text!r}",
            path, line, f"add the member's rows to {series.origin}, or check the member "
            f"table's {select.match} column", f"series.{key}"))
    return dataclasses.replace(
        series, rows=[series.rows[index] for index in keep],
        lines=tuple(series.lines[index] for index in keep if index < len(series.lines)))


def _column_numbers(data: ChapterData, path: Path, lines: Lines, family: Family | None,
                    member: Member | None) -> tuple[dict[str, Number], list[Problem]]:
    """The chapter's numbers taken from the member's row (``column:``), each with the
    member's cell as its value; a problem for a column the member table lacks, a cell
    that is empty or not a number (naming the table's line and the member), or a
    ``column:`` in a report that is no family member."""
    numbers: dict[str, Number] = {}
    problems: list[Problem] = []
    for key, number in data.numbers.items():
        if number.column is None:
            continue
        line = lines.line(("numbers", key, "column"))
        if family is None or member is None:
            problems.append(Problem("column: takes the number from a family member's row, "
                                    "and this report is no family", path, line,
                                    "give value: or cell:, or add family.yaml beside "
                                    "report.yaml", f"numbers.{key}"))
            continue
        if number.column not in member.fields:
            close = difflib.get_close_matches(number.column, family.columns, n=1)
            problems.append(Problem(
                f"the member table {shown_path(family.table_path, family.root)} has no "
                f"column {number.column!r}", path, line,
                f"did you mean {close[0]!r}?" if close else
                "its columns are: " + ", ".join(family.columns), f"numbers.{key}"))
            continue
        value = member.fields[number.column]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            shown = "empty" if value is None else f"{str(value)[:40]!r}, not a number"
            problems.append(Problem(
                f"the member's {number.column} is {shown} (number {key} of "
                f"{path.parent.name})", family.table_path, member.row,
                f"write a number in column {number.column} of the member's row"))
            continue
        if number.unit == "count" and not float(value).is_integer():
            problems.append(Problem(
                f"the member's {number.column} is {value}, and number {key} is a count",
                family.table_path, member.row,
                f"write a whole number, or give number {key} unit: decimal"))
            continue
        numbers[key] = number.model_copy(update={"value": value})
    return numbers, problems


def _cell_numbers(data: ChapterData, books: dict[Path, Workbook], folder: Path, path: Path,
                  lines: Lines, root: Path, currency: Currency,
                  member: Member | None = None) -> tuple[dict[str, Number], list[Problem]]:
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
            file = _member_file(reference.group("file"), member, path, line, f"numbers.{key}")
            book = _book(books, folder / file, path, line, root, currency)
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


def _block_lines(data: ChapterData, lines: Lines) -> dict[tuple[int, int], int]:
    """The line of each block of ``data`` in its file, by (section, block) index."""
    found = {}
    for s, section in enumerate(data.sections):
        for b in range(len(section.blocks)):
            line = lines.line(("sections", s, "blocks", b))
            if line is not None:
                found[(s, b)] = line
    return found
