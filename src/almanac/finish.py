"""Stage 6 — finish: pypdf reads the PDF back, completes the catalogue and checks it.

WeasyPrint writes the metadata, outline and links declared in the HTML; this
stage opens the document on its outline, shows the title instead of the file
name, and verifies that what the manifest promised is really in the file.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader, PdfWriter
from pypdf.generic import BooleanObject, DictionaryObject, NameObject

from .model import Report


@dataclass(frozen=True)
class Finished:
    pdf: bytes
    pages: int
    outline: list[str]


def outline_titles(reader: PdfReader) -> list[str]:
    titles: list[str] = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(item.title)

    walk(reader.outline)
    return titles


def finish_pdf(pdf: bytes, report: Report) -> Finished:
    """Set the viewer preferences and check metadata; returns the final bytes."""
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter(clone_from=reader)
    root = writer._root_object
    root[NameObject("/PageMode")] = NameObject("/UseOutlines")
    preferences = root.get("/ViewerPreferences") or DictionaryObject()
    preferences[NameObject("/DisplayDocTitle")] = BooleanObject(True)
    root[NameObject("/ViewerPreferences")] = preferences
    if reader.trailer.get("/ID") is not None:
        writer._ID = reader.trailer["/ID"]  # keep WeasyPrint's input-derived identifier
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()

    check = PdfReader(io.BytesIO(data))
    meta = check.metadata or {}
    manifest = report.manifest
    expected = {"/Title": manifest.title, "/Author": manifest.organisation}
    for key, value in expected.items():
        if meta.get(key) != value:  # a bug in the templates, not in the data
            raise AssertionError(f"PDF metadata {key} is {meta.get(key)!r}, expected {value!r}")
    return Finished(pdf=data, pages=len(check.pages), outline=outline_titles(check))
