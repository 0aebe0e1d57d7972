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


def font_names(reader: PdfReader) -> set[str]:
    """The base font name (subset tag removed) of every font the pages use, also in
    their form XObjects (charts drawn as vector graphics); each must be embedded."""
    names: set[str] = set()
    seen: set[int] = set()

    def walk(resources) -> None:
        resources = resources.get_object() if resources is not None else None
        if not resources or id(resources) in seen:
            return
        seen.add(id(resources))
        for ref in (resources.get("/Font") or {}).values():
            font = ref.get_object()
            names.add(str(font.get("/BaseFont")).lstrip("/").split("+")[-1])
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get(
                "/FontDescriptor")
            assert descriptor is not None and any(
                key in descriptor.get_object() for key in ("/FontFile", "/FontFile2",
                                                           "/FontFile3")), font
        for ref in (resources.get("/XObject") or {}).values():
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Form":
                walk(xobject.get("/Resources"))

    for page in reader.pages:
        walk(page.get("/Resources"))
    return names
