"""What changed between two published editions: edition and changelog, numbers,
words and pages.

Both editions carry their sources, so the comparison works from the two PDFs
alone: the embedded report.yaml gives the version, date, changelog and title; the
embedded chapter data gives the numbers (by key) and the text (by chapter, the
changed words inside a paragraph: :mod:`almanac.text.worddiff`); the rendered pages
give what a reader sees.
"""

from __future__ import annotations

import difflib
import io
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem, ReportError
from ..project.load import load_report
from ..project.model import Change, Report
from ..stages.pageimages import PagesNotDrawn, draw_pages
from ..text.formatting import report_formatter
from ..text.worddiff import Run, alike, word_diff, words
from .extract import embedded_place, verified, write_tree

PAGE_DPI = 50
PIXEL_THRESHOLD = 24  # a channel difference that counts as a changed pixel
MAX_PAGES = 2_000
"""The most pages of an edition compared as images (the sample report has 30)."""
MAX_PAGE_PIXELS = 4_000
"""The widest and tallest page image drawn, in pixels: a page of 2 m at 50 dpi;
a larger page is drawn cropped to its top left corner, so no page can make an image
of more than 16 megapixels (see :mod:`almanac.stages.pageimages`)."""
DRAW_TIMEOUT = 300
"""Seconds PDFium may take to draw the pages of one edition."""
MAX_PAIRINGS = 2_500
"""The most (old, new) paragraph pairs weighed to find which paragraphs of a changed
stretch of a chapter are edits of one another; past it (a chapter rewritten), the
stretch is shown removed and added whole."""
REPORT_FIELDS = ("title", "subtitle", "organisation", "year", "subject", "identifier")
"""The fields of report.yaml whose change ``diff`` reports as text."""


@dataclass
class NumberChange:
    """A number of the report (by key) whose formatted value differs between editions."""

    key: str
    old: str | None
    new: str | None
    chapter: str


@dataclass
class ParagraphChange:
    """A paragraph (or heading, caption, list item…) of a chapter that changed:
    ``changed`` (``runs`` mark the words), ``added`` or ``removed`` whole (one
    ``insert`` or ``delete`` run; a paragraph rewritten past
    :data:`~almanac.text.worddiff.REWRITTEN` is removed and added). The indices count
    from 0 in the chapter's paragraphs of each edition, headings included (None where
    the paragraph is not in that edition)."""

    kind: str  # changed, added, removed
    old_index: int | None
    new_index: int | None
    runs: list[Run]


@dataclass
class FieldChange:
    """A field of report.yaml (:data:`REPORT_FIELDS`) that differs, as text."""

    name: str
    old: str | None
    new: str | None


@dataclass
class EditionDiff:
    """What changed between two editions: the edition (version, date, changelog) and
    report.yaml's fields, numbers, paragraphs per chapter, pages."""

    old_version: str
    new_version: str
    old_date: str = ""  # ISO 8601
    new_date: str = ""
    fields: list[FieldChange] = field(default_factory=list)
    changes_added: list[Change] = field(default_factory=list)  # changelog entries
    changes_removed: list[Change] = field(default_factory=list)
    changes_changed: list[tuple[Change, Change]] = field(default_factory=list)
    numbers: list[NumberChange] = field(default_factory=list)
    text: dict[str, list[ParagraphChange]] = field(default_factory=dict)  # by chapter
    pages: list[int] = field(default_factory=list)  # 1-based, pages that look different
    page_images: list[Path] = field(default_factory=list)

    def as_json(self) -> dict:
        """The differences as JSON data: ``edition`` {old, new: {version, date}},
        ``fields`` [{name, old, new}], ``changelog`` {added, removed: [{version,
        date, text}], changed: [{old, new}]}, ``numbers`` [{key, old, new,
        chapter}], ``text`` [{chapter, kind, old_paragraph, new_paragraph, changes:
        [{op, old, new}]}] (the changes of a paragraph, joined, give each version
        back), ``pages`` [page numbers], ``page_images`` [paths]."""
        def entry(change: Change) -> dict:
            return {"version": change.version, "date": change.date.isoformat(),
                    "text": change.text}

        return {
            "edition": {"old": {"version": self.old_version, "date": self.old_date},
                        "new": {"version": self.new_version, "date": self.new_date}},
            "fields": [vars(change) for change in self.fields],
            "changelog": {"added": [entry(c) for c in self.changes_added],
                          "removed": [entry(c) for c in self.changes_removed],
                          "changed": [{"old": entry(a), "new": entry(b)}
                                      for a, b in self.changes_changed]},
            "numbers": [vars(change) for change in self.numbers],
            "text": [{"chapter": chapter, "kind": change.kind,
                      "old_paragraph": change.old_index, "new_paragraph": change.new_index,
                      "changes": [vars(run) for run in change.runs]}
                     for chapter, changes in self.text.items() for change in changes],
            "pages": self.pages,
            "page_images": [str(path) for path in self.page_images],
        }


def _numbers(report: Report) -> dict[str, tuple[str, str]]:
    fmt = report_formatter(report)
    return {key: (fmt.number(number), chapter.data.title)
            for chapter in report.chapters for key, number in chapter.data.numbers.items()}


def _paragraphs(report: Report) -> dict[str, tuple[str, list[str]]]:
    """Each chapter's title and text, a paragraph a line, in order (as written in the
    data), by the chapter's folder: a retitled chapter is still the same chapter."""
    text = {}
    for chapter in report.chapters:
        lines = [f"# {chapter.data.title}"]
        for section in chapter.data.sections:
            if section.title:
                lines.append(f"## {section.title}")
            for block in section.blocks:
                parts = [getattr(block, name, None) for name in ("text", "caption", "note")]
                parts += [item for item in getattr(block, "items", None) or []
                          if isinstance(item, str)]
                parts += list((getattr(block, "footnotes", None) or {}).values())
                for part in parts:
                    if isinstance(part, str):
                        lines += [" ".join(p.split()) for p in part.split("\n\n") if p.strip()]
        text[chapter.slug] = (chapter.data.title, lines)
    return text


def paragraph_changes(old: list[str], new: list[str]) -> list[ParagraphChange]:
    """The paragraphs that differ between two versions of a chapter (lists of
    paragraphs), in reading order: difflib aligns the lists; within a stretch that
    differs, an old paragraph is paired with the next new one at least
    :data:`~almanac.text.worddiff.REWRITTEN` alike (its words marked), and the rest
    are removed or added whole."""
    result: list[ParagraphChange] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        weigh = (i2 - i1) * (j2 - j1) <= MAX_PAIRINGS
        old_words = [words(old[i]) if weigh else [] for i in range(i1, i2)]
        new_words = [words(new[k]) if weigh else [] for k in range(j1, j2)]
        j = j1
        for i in range(i1, i2):
            match = None
            if weigh:
                match = next((k for k in range(j, j2)
                              if alike(old_words[i - i1], new_words[k - j1])), None)
            if match is None:
                result.append(ParagraphChange("removed", i, None,
                                              [Run("delete", old[i], "")]))
                continue
            result += [ParagraphChange("added", None, k, [Run("insert", "", new[k])])
                       for k in range(j, match)]
            result.append(ParagraphChange("changed", i, match, word_diff(old[i], new[match])))
            j = match + 1
        result += [ParagraphChange("added", None, k, [Run("insert", "", new[k])])
                   for k in range(j, j2)]
    return result


def _changelog(old: list[Change], new: list[Change], result: EditionDiff) -> None:
    """The changelog entries ``new`` adds, removes, and changes (an entry of the same
    version whose date or text differs), in ``result``."""
    added = [change for change in new if change not in old]
    removed = [change for change in old if change not in new]
    for change in list(removed):
        match = next((other for other in added if other.version == change.version), None)
        if match is not None:
            result.changes_changed.append((change, match))
            removed.remove(change)
            added.remove(match)
    result.changes_added, result.changes_removed = added, removed


def _rasterise(pdf: Path, folder: Path) -> list[Path]:
    """The pages of ``pdf`` as PNG files in ``folder``, in order; a
    :class:`ReportError` naming the PDF when they cannot be drawn in time."""
    try:
        return draw_pages(pdf, folder, PAGE_DPI, max_side=MAX_PAGE_PIXELS,
                          timeout=DRAW_TIMEOUT)
    except PagesNotDrawn as exc:
        raise ReportError(Problem(f"its pages cannot be drawn ({exc})", pdf,
                                  hint="compare editions made by almanac publish"))


def _compare_pages(old: Path, new: Path, out: Path | None, most: int | None = None,
                   name: str = "page-{:03d}.png") -> tuple[list[int], list[Path]]:
    """The pages (from 1) of ``new`` that look different from those of ``old``
    (drawn at ``PAGE_DPI``; a pixel counts when a channel differs by more than
    ``PIXEL_THRESHOLD``; a page only one of them has counts), and, when ``out`` is
    a folder, the side-by-side images written there of the first ``most`` of
    them (None: of every one), each named ``name`` formatted with its page number."""
    from PIL import Image, ImageChops

    with tempfile.TemporaryDirectory() as tmp:
        old_dir, new_dir = Path(tmp, "old"), Path(tmp, "new")
        old_dir.mkdir()
        new_dir.mkdir()
        old_pages, new_pages = _rasterise(old, old_dir), _rasterise(new, new_dir)
        changed, images = [], []
        for number in range(1, max(len(old_pages), len(new_pages)) + 1):
            a = Image.open(old_pages[number - 1]).convert("RGB") \
                if number <= len(old_pages) else None
            b = Image.open(new_pages[number - 1]).convert("RGB") \
                if number <= len(new_pages) else None
            if a is not None and b is not None and a.size == b.size:
                difference = ImageChops.difference(a, b).convert("L")
                mask = difference.point(lambda v: 255 if v > PIXEL_THRESHOLD else 0)
                if mask.getbbox() is None:
                    continue
            else:
                mask = None
            changed.append(number)
            if out is not None and (most is None or len(changed) <= most):
                images.append(_side_by_side(a, b, mask, out / name.format(number)))
        return changed, images


GUTTER = 12
"""Pixels of grey between the panels of a side-by-side image."""


def _side_by_side(a, b, mask, path: Path) -> Path:
    """old | new | the changes: both pages as they are, then the new page faded to a
    light grey with its changed pixels in red, so a change shows whatever its own
    colour (a red made redder is still seen). Written to ``path`` under a new
    temporary name and renamed into place (a link at ``path`` is replaced, never
    written through)."""
    from PIL import Image, ImageOps

    blank = Image.new("RGB", (a or b).size, "white")
    a, b = a or blank, b or blank
    faded = ImageOps.grayscale(b).point(lambda value: 170 + value // 3).convert("RGB")
    if mask is not None:
        red = Image.new("RGB", b.size, (220, 20, 20))
        faded.paste(red, mask=mask)
    panels = (a, b, faded)
    sheet = Image.new("RGB", (sum(panel.width for panel in panels) + 2 * GUTTER,
                              max(panel.height for panel in panels)), "#888888")
    left = 0
    for panel in panels:
        sheet.paste(panel, (left, 0))
        left += panel.width + GUTTER
    buffer = io.BytesIO()
    sheet.save(buffer, "PNG")
    temporary = path.parent / f".{path.name}.{secrets.token_hex(8)}.part"
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o666)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(buffer.getvalue())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def diff_editions(old_pdf: Path, new_pdf: Path, pages: Path | None = None) -> EditionDiff:
    """Compare two published editions (PDFs made by ``almanac publish``); ``pages``,
    when given, is the folder for the side-by-side images of the pages that differ.

    A :class:`ReportError` names what keeps them from being compared: a PDF that
    does not verify (:func:`~almanac.editions.extract.verified`), two editions in
    different languages (of a report in several), sources in it
    that do not load (the embedded file and line), more than ``MAX_PAGES`` pages,
    pages that cannot be drawn, or ``pages`` that is not a folder that can be
    written.
    """
    old_pdf, new_pdf = Path(old_pdf), Path(new_pdf)
    if pages is not None and os.path.lexists(pages) and not pages.is_dir():
        raise ReportError(Problem("exists and is not a folder", pages,
                                  hint="name a new folder for the page images (--pages)"))
    editions = [verified(old_pdf), verified(new_pdf)]
    for pdf, verification in zip((old_pdf, new_pdf), editions):
        if verification.pages > MAX_PAGES:
            raise ReportError(Problem(
                f"has {verification.pages:,} pages; diff compares at most {MAX_PAGES:,}",
                pdf, hint="compare editions made by almanac publish"))
    with tempfile.TemporaryDirectory() as tmp:
        old, new = (_load_embedded(pdf, verification, Path(tmp, name))
                    for pdf, verification, name in zip((old_pdf, new_pdf), editions,
                                                       ("old", "new")))
    if old.manifest.language != new.manifest.language:  # the same numbers, other shapes
        # (a report in one language names it in report.yaml; one in several, in the
        # manifest of each language's edition: both are the loaded report's language)
        raise ReportError(Problem(
            f"the editions are in different languages ({old.manifest.language} and "
            f"{new.manifest.language}): their texts and number shapes differ throughout",
            new_pdf, hint="compare two editions of one language: the same language's PDF "
            "of each version (editions/<year>/<version>/<language>/)"))
    result = EditionDiff(old.manifest.edition.version, new.manifest.edition.version,
                         old.manifest.edition.date.isoformat(),
                         new.manifest.edition.date.isoformat())
    for name in REPORT_FIELDS:
        before, after = (getattr(report.manifest, name) for report in (old, new))
        if before != after:
            result.fields.append(FieldChange(name, None if before is None else str(before),
                                             None if after is None else str(after)))
    _changelog(old.manifest.edition.changes, new.manifest.edition.changes, result)
    old_numbers, new_numbers = _numbers(old), _numbers(new)
    for key in sorted(old_numbers.keys() | new_numbers.keys()):
        before, after = old_numbers.get(key), new_numbers.get(key)
        if (before and before[0]) != (after and after[0]):
            either = after or before
            assert either is not None  # the key is in one edition or the other
            result.numbers.append(NumberChange(key, before and before[0], after and after[0],
                                               either[1]))
    old_text, new_text = _paragraphs(old), _paragraphs(new)
    for slug in dict.fromkeys([*new_text, *old_text]):
        title, b = new_text.get(slug) or (old_text[slug][0], [])
        a = old_text.get(slug, ("", []))[1]
        if a != b:
            result.text[title] = paragraph_changes(a, b)
    if pages is not None:
        try:
            pages.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ReportError(Problem(f"cannot be made ({exc.strerror})", pages,
                                      hint="name a folder you can write to (--pages)"))
    try:
        result.pages, result.page_images = _compare_pages(old_pdf, new_pdf, pages)
    except OSError as exc:
        raise ReportError(Problem(f"the page images cannot be written ({exc.strerror})",
                                  pages, hint="free some space, or name another folder"))
    return result


def _load_embedded(pdf: Path, verification, folder: Path) -> Report:
    """The report embedded in ``pdf`` (verified), written to ``folder`` and loaded;
    a problem in its sources is reported against the PDF, naming the embedded file
    and line (the temporary folder is gone by the time the message is read). The
    edition of a report in several languages is loaded in its own language (its
    sources manifest names it)."""
    write_tree(pdf, verification, folder)
    try:
        return load_report(folder, (verification.sources or {}).get("language"))
    except ReportError as exc:
        problems = []
        for problem in exc.problems:
            where = embedded_place(problem.path, problem.line, folder)
            if where is None and problem.path is not None:  # not a source: as it is
                where = str(problem.path) + (f":{problem.line}" if problem.line else "")
            problems.append(Problem(f"embedded {where}: {problem.message}" if where
                                    else problem.message, pdf, hint=problem.hint,
                                    where=problem.where))
        raise ReportError(problems)
