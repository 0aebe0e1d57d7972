"""Stage 5 — typeset: HTML → WeasyPrint ``Document`` → PDF bytes.

WeasyPrint only *logs* a missing image or an unknown CSS property; here those
records are captured and returned as warnings, so the pipeline can show them
and a strict build can refuse them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .archive import Attachment
from .fetcher import ProjectFetcher
from .render import Rendered


@dataclass
class Typeset:
    """The laid-out document and its PDF."""

    pdf: bytes
    pages: int
    warnings: list[str] = field(default_factory=list)
    document: object = None  # weasyprint.Document, kept for inspection


class _Collector(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _captured_warnings():
    from weasyprint import LOGGER

    collector = _Collector()
    previous = LOGGER.propagate
    LOGGER.addHandler(collector)
    LOGGER.propagate = False
    try:
        yield collector.messages
    finally:
        LOGGER.removeHandler(collector)
        LOGGER.propagate = previous


def typeset(rendered: Rendered, root: Path, *, identifier: bytes | None = None,
            variant: str | None = None, finisher=None, before_read=None,
            transform=None, attachments: list[Attachment] = (),
            xmp: bytes | None = None, date: dt.datetime | None = None) -> Typeset:
    """Lay out ``rendered`` and write it as PDF bytes (nothing touches the disk).

    ``before_read(path)`` is called before a project file is read, e.g. to wait
    for a chart that is still being drawn. ``attachments`` are embedded with
    ``date`` as their dates; ``xmp`` is an extra RDF block for the XMP metadata.
    """
    import weasyprint

    fetcher = ProjectFetcher(root, before_read=before_read, transform=transform)
    identifier = identifier or hashlib.sha256(rendered.html.encode()).hexdigest()[:32].encode()
    options = {"pdf_variant": variant, "pdf_identifier": identifier}
    if xmp:
        options["xmp_metadata"] = [
            "data:application/rdf+xml;base64," + base64.b64encode(xmp).decode("ascii")]
    with _captured_warnings() as warnings:
        html = weasyprint.HTML(string=rendered.html, base_url=rendered.base_url,
                               url_fetcher=fetcher)
        document = html.render(**{k: v for k, v in options.items() if k == "pdf_variant"})
        files = [weasyprint.Attachment(file_obj=io.BytesIO(item.data), name=item.name,
                                       description=item.description, created=date,
                                       modified=date, relationship=item.relationship,
                                       url_fetcher=fetcher)
                 for item in attachments]
        pdf = document.write_pdf(finisher=finisher, attachments=files or None, **options)
    messages = list(dict.fromkeys(warnings + [f"refused: {r}" for r in fetcher.refused]))
    return Typeset(pdf=pdf, pages=len(document.pages), warnings=messages, document=document)
