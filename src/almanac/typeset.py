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
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

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
    """Keeps WeasyPrint's warnings; one about a stylesheet starts with its file."""

    def __init__(self, root: Path | None = None):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.root = root.resolve() if root is not None else None

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        source = self._stylesheet()
        self.messages.append(f"{source}: {message}" if source else message)

    def _stylesheet(self) -> str | None:
        """The stylesheet being read when the warning was logged (WeasyPrint's
        warnings give a line and column but not the file), relative to the project."""
        frame = sys._getframe(2)
        while frame is not None:
            url = frame.f_locals.get("base_url") if frame.f_code.co_name.startswith(
                "preprocess_") else None
            if isinstance(url, str) and url.startswith("file:") and url.endswith(".css"):
                path = Path(url2pathname(urlsplit(url).path))
                if self.root is not None and path.is_relative_to(self.root):
                    return path.relative_to(self.root).as_posix()
                return path.name
            frame = frame.f_back
        return None


@contextmanager
def _captured_warnings(root: Path | None = None):
    from weasyprint import LOGGER

    collector = _Collector(root)
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
    with _captured_warnings(root) as warnings:
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
