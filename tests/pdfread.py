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


class Tagged:
    """A structure element as poppler's ``pdfinfo -struct-text`` reads it: its type,
    its attribute lines, the text of its own marked content and its kids in order."""

    def __init__(self, role: str, parent: Tagged | None = None):
        self.role = role
        self.parent = parent
        self.attributes: list[str] = []
        self.kids: list[Tagged | str] = []

    @property
    def elements(self) -> list[Tagged]:
        return [kid for kid in self.kids if isinstance(kid, Tagged)]

    def text(self) -> str:
        """Its text and its descendants' in reading order, one line per marked run."""
        return "\n".join(kid if isinstance(kid, str) else kid.text() for kid in self.kids
                         if kid != "")

    def walk(self):
        yield self
        for kid in self.elements:
            yield from kid.walk()

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


def structure(pdf: Path) -> Tagged:
    """The structure tree of a tagged PDF read by poppler (``pdfinfo -struct-text``:
    an independent reader that follows the tree, as a screen reader does, and
    honours ``/ActualText``). Its root is the structure tree root."""
    out = subprocess.run(["pdfinfo", "-struct-text", str(pdf)], capture_output=True,
                         text=True, check=True).stdout
    root = Tagged("StructTreeRoot")
    stack: list[tuple[int, Tagged]] = [(-1, root)]
    for line in out.splitlines():
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2
        content = line.strip()
        while stack and stack[-1][0] >= depth and not content.startswith("/"):
            stack.pop()
        parent = stack[-1][1]
        if content.startswith('"') and content.endswith('"'):
            parent.kids.append(content[1:-1])
        elif content.startswith("/"):
            parent.attributes.append(content)
        elif content.startswith("Object "):
            parent.kids.append("")
        else:
            role = content.split(" ")[0].rstrip(":")
            node = Tagged(role, parent)
            parent.kids.append(node)
            stack.append((depth, node))
    return root


def drawn_images(page) -> list:
    """The image XObjects a pikepdf page paints: those of its resources and of the form
    XObjects it paints, at any depth (an SVG image is drawn as a form), each once."""
    found, seen = [], set()
    stack = [page.obj.get("/Resources")]
    while stack:
        resources = stack.pop()
        xobjects = resources.get("/XObject") if resources is not None else None
        for xobject in (xobjects.values() if xobjects is not None else []):
            if xobject.objgen in seen:
                continue
            seen.add(xobject.objgen)
            if xobject.get("/Subtype") == "/Image":
                found.append(xobject)
            elif xobject.get("/Subtype") == "/Form":
                stack.append(xobject.get("/Resources"))
    return found
