"""Stage 5 — typeset: HTML → WeasyPrint ``Document`` → PDF bytes.

WeasyPrint only *logs* a missing image or an unknown CSS property; here those
records are captured and returned as warnings, so the pipeline can show them
and a strict build can refuse them.
"""

from __future__ import annotations

import hashlib
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

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
            transform=None) -> Typeset:
    """Lay out ``rendered`` and write it as PDF bytes (nothing touches the disk).

    ``before_read(path)`` is called before a project file is read, e.g. to wait
    for a chart that is still being drawn.
    """
    from weasyprint import HTML

    fetcher = ProjectFetcher(root, before_read=before_read, transform=transform)
    identifier = identifier or hashlib.sha256(rendered.html.encode()).hexdigest()[:32].encode()
    with _captured_warnings() as warnings:
        document = HTML(string=rendered.html, base_url=rendered.base_url,
                        url_fetcher=fetcher).render()
        pdf = document.write_pdf(pdf_identifier=identifier, pdf_variant=variant,
                                 finisher=finisher)
    messages = list(dict.fromkeys(warnings + [f"refused: {r}" for r in fetcher.refused]))
    return Typeset(pdf=pdf, pages=len(document.pages), warnings=messages, document=document)
