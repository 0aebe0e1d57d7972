"""Stage 6 — finish: complete the PDF's catalogue, then read the file back with
pypdf and check that what the manifest promised is really in it.

WeasyPrint already writes the metadata, outline, links and language declared
in the HTML. The catalogue additions (open on the outline, show the title
rather than the file name) are made while WeasyPrint writes the file, through
its ``finisher`` hook, so the document is not parsed and written a second time.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import pydyf
from pypdf import PdfReader
from pypdf.generic import DictionaryObject, NumberObject

from ..errors import Problem, ReportError
from ..project.model import Report
from ..text.formatting import report_formatter
from ..text.prose import Prose


@dataclass(frozen=True)
class Finished:
    """The finished PDF, its page count and its bookmark titles."""

    pdf: bytes
    pages: int
    outline: list[str]


def catalog_finisher(document, pdf: pydyf.PDF) -> None:
    """WeasyPrint ``finisher``: open on the bookmarks, title in the window bar."""
    pdf.catalog["PageMode"] = "/UseOutlines"
    preferences = pdf.catalog.get("ViewerPreferences") or pydyf.Dictionary()
    preferences["DisplayDocTitle"] = "true"
    pdf.catalog["ViewerPreferences"] = preferences


def outline_titles(reader: PdfReader) -> list[str]:
    """Every bookmark title, walking the outline dictionaries (no page lookups)."""
    titles: list[str] = []
    # pypdf types an entry as PdfObject; the catalogue is always a dictionary
    root = cast(DictionaryObject, reader.trailer["/Root"])
    outlines = root.get("/Outlines")

    def walk(item):
        while item is not None:
            item = item.get_object()
            titles.append(str(item.get("/Title")))
            if "/First" in item:
                walk(item["/First"])
            item = item.get("/Next")

    if outlines is not None and "/First" in outlines.get_object():
        walk(outlines.get_object()["/First"])
    return titles


class FinishError(AssertionError):
    """The PDF lacks what the templates should have declared: a bug, not bad data."""


class OutlineError(ReportError):
    """Chapters are missing from the outline: the report's styles took their headings
    out of it (floated, hidden or without ``bookmark-level``)."""


def chapter_titles(report: Report) -> list[str]:
    """Each chapter's title as its heading, the contents and its bookmark print it:
    its ``{{ key }}`` numbers formatted (:meth:`~almanac.text.prose.Prose.text`; a
    title holds no cross-reference, :func:`~almanac.project.checks.check_numbers`)."""
    fmt = report_formatter(report)
    prose = Prose(lambda key: fmt.number(report.number(key)),
                  field=lambda name: fmt.field(report.member, name))
    return [prose.text(chapter.data.title) for chapter in report.chapters]


def finish_pdf(pdf: bytes, report: Report) -> Finished:
    """Read the PDF back and check metadata, language, outline and viewer settings."""
    reader = PdfReader(io.BytesIO(pdf))
    meta: Mapping[str, Any] = reader.metadata or {}
    manifest = report.manifest
    expected = {"/Title": manifest.title, "/Author": manifest.organisation,
                "/Subject": manifest.subject}
    root = cast(DictionaryObject, reader.trailer["/Root"])  # as in outline_titles
    found = {key: meta.get(key) for key in expected}
    found_lang = root.get("/Lang")
    if found != expected or found_lang != manifest.language:
        raise FinishError(f"PDF metadata {found} / lang {found_lang!r}, expected {expected}")
    if root.get("/PageMode") != "/UseOutlines":
        raise FinishError("the catalogue finisher did not run")
    titles = outline_titles(reader)
    shown = {title.replace("\u200b", "") for title in titles}  # render.breakable's spaces
    missing = [title for title in chapter_titles(report) if title not in shown]
    if missing:
        raise OutlineError(Problem(
            f"chapters missing from the PDF outline (its bookmarks): {', '.join(missing)}",
            report.root / "styles", None, "the chapter headings must keep bookmark-level "
            "and stay in the flow: look for float, display or position rules in styles/ "
            "that reach them (e.g. * { float: left })"))
    count = cast(NumberObject, cast(DictionaryObject, root["/Pages"])["/Count"])
    return Finished(pdf=pdf, pages=int(count), outline=titles)
