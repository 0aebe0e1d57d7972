"""What changed between two published editions: numbers, paragraphs and pages.

Both editions carry their sources, so the comparison works from the two PDFs
alone: the embedded chapter data gives the numbers (by key) and the text (by
chapter); the rendered pages give what a reader sees.
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
from ..project.model import Report
from ..stages.pageimages import PagesNotDrawn, draw_pages
from ..text.formatting import report_formatter
from .extract import verified, write_tree

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


@dataclass
class NumberChange:
    """A number of the report (by key) whose formatted value differs between editions."""

    key: str
    old: str | None
    new: str | None
    chapter: str


@dataclass
class EditionDiff:
    """What changed between two editions: numbers, paragraphs per chapter, pages."""

    old_version: str
    new_version: str
    numbers: list[NumberChange] = field(default_factory=list)
    text: dict[str, list[str]] = field(default_factory=dict)  # chapter → unified diff lines
    pages: list[int] = field(default_factory=list)  # 1-based, pages that look different
    page_images: list[Path] = field(default_factory=list)

    def format(self) -> str:
        """The differences as text for a terminal, a line per change."""
        lines = [f"edition {self.old_version} → {self.new_version}"]
        lines.append(f"numbers changed: {len(self.numbers)}")
        for change in self.numbers:
            lines.append(f"  {change.key} ({change.chapter}): {change.old or '—'} → "
                         f"{change.new or '—'}")
        lines.append(f"chapters with changed text: {len(self.text)}")
        for chapter, diff in self.text.items():
            lines.append(f"  {chapter}:")
            lines += [f"    {line}" for line in diff]
        lines.append("pages that look different: " +
                     (", ".join(map(str, self.pages)) if self.pages else "none"))
        lines += [f"  {path}" for path in self.page_images]
        return "\n".join(lines)


def _numbers(report: Report) -> dict[str, tuple[str, str]]:
    fmt = report_formatter(report)
    return {key: (fmt.number(number), chapter.data.title)
            for chapter in report.chapters for key, number in chapter.data.numbers.items()}


def _paragraphs(report: Report) -> dict[str, list[str]]:
    """Each chapter's text, a paragraph a line, in order (as written in the data)."""
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
        text[chapter.data.title] = lines
    return text


def _rasterise(pdf: Path, folder: Path) -> list[Path]:
    """The pages of ``pdf`` as PNG files in ``folder``, in order; a
    :class:`ReportError` naming the PDF when they cannot be drawn in time."""
    try:
        return draw_pages(pdf, folder, PAGE_DPI, max_side=MAX_PAGE_PIXELS,
                          timeout=DRAW_TIMEOUT)
    except PagesNotDrawn as exc:
        raise ReportError(Problem(f"its pages cannot be drawn ({exc})", pdf,
                                  hint="compare editions made by almanac publish"))


def _compare_pages(old: Path, new: Path, out: Path | None, most: int | None = None
                   ) -> tuple[list[int], list[Path]]:
    """The pages (from 1) of ``new`` that look different from those of ``old``
    (drawn at ``PAGE_DPI``; a pixel counts when a channel differs by more than
    ``PIXEL_THRESHOLD``; a page only one of them has counts), and, when ``out`` is
    a folder, the side-by-side images written there of the first ``most`` of
    them (None: of every one)."""
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
                images.append(_side_by_side(a, b, mask, out / f"page-{number:03d}.png"))
        return changed, images


def _side_by_side(a, b, mask, path: Path) -> Path:
    """old | new, with the changed pixels of the new page marked in red, written to
    ``path`` under a new temporary name and renamed into place (a link at ``path``
    is replaced, never written through)."""
    from PIL import Image

    blank = Image.new("RGB", (a or b).size, "white")
    a, b = a or blank, b or blank
    marked = b.copy()
    if mask is not None:
        red = Image.new("RGB", b.size, (220, 20, 20))
        marked.paste(red, mask=mask)
    sheet = Image.new("RGB", (a.width + marked.width + 12, max(a.height, marked.height)),
                      "#888888")
    sheet.paste(a, (0, 0))
    sheet.paste(marked, (a.width + 12, 0))
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
    languages = [(verification.sources or {}).get("language") for verification in editions]
    if languages[0] != languages[1]:  # the same numbers in two languages' shapes
        raise ReportError(Problem(
            f"the editions are in different languages ({languages[0] or 'one'} and "
            f"{languages[1] or 'another'}): their texts and number shapes differ throughout",
            new_pdf, hint="compare two editions of one language: the same language's PDF "
            "of each version (output/<year>/<version>/<language>/)"))
    for pdf, verification in zip((old_pdf, new_pdf), editions):
        if verification.pages > MAX_PAGES:
            raise ReportError(Problem(
                f"has {verification.pages:,} pages; diff compares at most {MAX_PAGES:,}",
                pdf, hint="compare editions made by almanac publish"))
    with tempfile.TemporaryDirectory() as tmp:
        old, new = (_load_embedded(pdf, verification, Path(tmp, name))
                    for pdf, verification, name in zip((old_pdf, new_pdf), editions,
                                                       ("old", "new")))
    result = EditionDiff(old.manifest.edition.version, new.manifest.edition.version)
    old_numbers, new_numbers = _numbers(old), _numbers(new)
    for key in sorted(old_numbers.keys() | new_numbers.keys()):
        before, after = old_numbers.get(key), new_numbers.get(key)
        if (before and before[0]) != (after and after[0]):
            either = after or before
            assert either is not None  # the key is in one edition or the other
            result.numbers.append(NumberChange(key, before and before[0], after and after[0],
                                               either[1]))
    old_text, new_text = _paragraphs(old), _paragraphs(new)
    for chapter in list(dict.fromkeys([*old_text, *new_text])):
        a, b = old_text.get(chapter, []), new_text.get(chapter, [])
        if a != b:
            result.text[chapter] = [line for line in difflib.unified_diff(
                a, b, f"{result.old_version}", f"{result.new_version}", n=0, lineterm="")
                if not line.startswith(("---", "+++", "@@"))]
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
            where = ""
            if problem.path is not None:
                try:
                    where = Path(problem.path).resolve().relative_to(
                        folder.resolve()).as_posix()
                except ValueError:
                    where = str(problem.path)
                where += f":{problem.line}" if problem.line else ""
            problems.append(Problem(f"embedded {where}: {problem.message}" if where
                                    else problem.message, pdf, hint=problem.hint,
                                    where=problem.where))
        raise ReportError(problems)
