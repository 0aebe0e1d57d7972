"""Reading a built PDF back the way a reader (or a screen reader) meets it."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

MM = 72 / 25.4
HEADER_ZONE = 20 * MM  # running header lives in the top 24 mm margin
FOOTER_ZONE = 22 * MM  # footer in the bottom 24 mm margin


def _y(cm, tm) -> float:
    return tm[4] * cm[1] + tm[5] * cm[3] + cm[5]


def page_zones(page) -> tuple[str, str, str]:
    """The (header, body, footer) text of one page, split by vertical position."""
    height = float(page.mediabox.height)
    parts = {"header": [], "body": [], "footer": []}

    def visit(text, cm, tm, font, size):
        if not text:
            return
        y = _y(cm, tm)
        zone = "header" if y > height - HEADER_ZONE else "footer" if y < FOOTER_ZONE else "body"
        parts[zone].append(text)

    page.extract_text(visitor_text=visit)
    return tuple("".join(parts[z]) for z in ("header", "body", "footer"))


def squash(text: str) -> str:
    """Compare text as letters in order: no whitespace, hyphens, bullets or asterisks."""
    text = text.replace("\u00ad", "")
    text = re.sub(r"[\s\u00a0\u202f\-\u2010\u2011\u2013\u2014•*]+", "", text)
    return text.casefold()


def outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, page number from 1) for every bookmark."""
    entries = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                entries.append((depth, item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 1)
    return entries


def rasterise(pdf: Path, page: int, dpi: int = 30) -> Image.Image:
    """One page (from 1) of ``pdf`` as an RGB image, drawn by poppler's pdftoppm (its
    media box, anti-aliased text and vectors)."""
    result = subprocess.run(
        ["pdftoppm", "-f", str(page), "-l", str(page), "-r", str(dpi), "-png",
         "-aa", "yes", "-aaVector", "yes", "-singlefile", str(pdf)],
        check=True, capture_output=True, timeout=120)
    with Image.open(io.BytesIO(result.stdout)) as image:
        return image.convert("RGB")


def embedded_fonts(reader: PdfReader) -> set[str]:
    """The PostScript names of the fonts a PDF embeds (each ``/FontDescriptor``'s
    ``/FontName``, without a subset's ``ABCDEF+`` tag, ISO 32000-1 §9.6.4)."""
    names = set()
    for page in reader.pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for font in fonts.values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts") or [font]:
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is not None:
                    name = str(descriptor.get_object()["/FontName"]).lstrip("/")
                    names.add(name.split("+", 1)[-1])
    return names
