"""The print edition's press check: the written PDF read back with pikepdf, as a
prepress preflight reads it, for what a printer rejects.

It walks each page's content streams (and the forms, images, shadings and
annotation appearances they use), following the graphics state (ISO 32000-1, 8.4:
``q``/``Q``, ``cm``; 8.6.8 colour operators; 9.3-9.4 text state and objects), and
finds:

- ``rgb``: any RGB colour: an ``rg``/``RG`` operator, a colour space that is
  DeviceRGB, CalRGB or ICCBased with three components (also as the alternate of a
  separation, the base of an indexed space, a shading's or an image's space, a
  transparency group's), an annotation colour of three components. The output
  intent is CMYK (PDF/X-4): RGB would be converted by whoever prints it;
- ``marks-in-bleed``: the printer's marks inside the bleed box, where the artwork
  is: a path painted in the registration colour (``/Separation /All``) that
  enters the ``BleedBox``, or marks asked for (``print.marks``) on a page whose
  media box is its bleed box (no room outside the bleed for them);
- ``total-ink``: a fill, stroke, text or CMYK image whose sum of C, M, Y and K is
  over the press's limit (``print.max_ink``, 300 % for FOGRA39 coated paper);
- ``black-text``: text under 12 pt in a near-black four-colour mix when the brand
  asks for single-ink black text (``print.black_text``): four plates must meet to
  the hundredth of a millimetre to print it sharp.

Each finding names its page (as printed, from 1) and, for a brand colour, the line
of the brand file that defines it.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pikepdf
from PIL import Image

from ..project.checks import line_of
from ..project.model import Brand, Color
from .brand import SOLID_BLACK, cmyk_of, near_black, output_profile, print_black
from .preflight import Finding

SMALL_TEXT_PT = 12.0
"""Text under this size (points) is small text for single-ink black."""
EPSILON = 0.05
"""Points of tolerance for a mark touching the bleed box (a hairline's half width)."""

Matrix = tuple[float, float, float, float, float, float]
CMYK = tuple[float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
PATH_OPS = {"m", "l", "c", "v", "y", "re", "h"}
PAINT_FILL = {"f", "F", "f*", "B", "B*", "b", "b*"}
PAINT_STROKE = {"S", "s", "B", "B*", "b", "b*"}
TEXT_SHOW = {"Tj", "TJ", "'", '"'}


def _multiply(first: Matrix, second: Matrix) -> Matrix:
    a, b, c, d, e, f = first
    a2, b2, c2, d2, e2, f2 = second
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def _apply(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return a * x + c * y + e, b * x + d * y + f


@dataclass
class Paint:
    """A current colour: its space (``rgb``, ``cmyk``, ``gray``, ``registration``,
    ``other``) and, for CMYK, its components from 0 to 1."""

    space: str = "gray"
    cmyk: CMYK | None = None


@dataclass
class State:
    """The part of the graphics state the check follows."""

    ctm: Matrix = IDENTITY
    fill: Paint = field(default_factory=Paint)
    stroke: Paint = field(default_factory=Paint)
    fill_space: Any = None
    stroke_space: Any = None


def _space_kind(space: Any, resources: Any, seen: int = 0) -> str:
    """``rgb``, ``cmyk``, ``gray``, ``registration`` or ``other`` for a colour space
    (a name, possibly one of the resources' ``/ColorSpace``, or an array)."""
    if seen > 8:
        return "other"
    if isinstance(space, pikepdf.Name):
        name = str(space)
        if name in ("/DeviceRGB", "/CalRGB"):
            return "rgb"
        if name == "/DeviceCMYK":
            return "cmyk"
        if name in ("/DeviceGray", "/CalGray"):
            return "gray"
        if name == "/Pattern":
            return "other"
        spaces = resources.get("/ColorSpace") if resources is not None else None
        if spaces is not None and name in spaces:
            return _space_kind(spaces[name], resources, seen + 1)
        return "other"
    if isinstance(space, pikepdf.Array) and len(space) > 0:
        family = str(space[0])
        if family == "/ICCBased":
            components = int(space[1].get("/N", 0))
            return {3: "rgb", 4: "cmyk", 1: "gray"}.get(components, "other")
        if family in ("/CalRGB", "/DeviceRGB"):
            return "rgb"
        if family == "/Separation":
            if str(space[1]) == "/All":
                return "registration"
            return "rgb" if _space_kind(space[2], resources, seen + 1) == "rgb" else "other"
        if family == "/DeviceN":
            return "rgb" if _space_kind(space[2], resources, seen + 1) == "rgb" else "other"
        if family in ("/Indexed", "/I"):
            base = _space_kind(space[1], resources, seen + 1)
            return "rgb" if base == "rgb" else "other"
        if family == "/Pattern" and len(space) > 1:
            return "rgb" if _space_kind(space[1], resources, seen + 1) == "rgb" else "other"
        return _space_kind(space[0], resources, seen + 1)
    return "other"


def _paint(kind: str, operands: list) -> Paint:
    if kind == "cmyk" and len(operands) == 4:
        c, m, y, k = (float(value) for value in operands)
        return Paint("cmyk", (c, m, y, k))
    return Paint(kind)


def _naive_rgb(cmyk: CMYK) -> tuple[float, float, float]:
    c, m, y, k = cmyk
    return (1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)


@dataclass
class PageCheck:
    """What one page's streams showed (filled while walking them)."""

    rgb: list[str] = field(default_factory=list)
    inks: dict[CMYK, str] = field(default_factory=dict)  # colour → what used it
    images_ink: list[tuple[str, float]] = field(default_factory=list)
    black_text: dict[CMYK, float] = field(default_factory=dict)  # colour → smallest size
    marks: list[tuple[float, float, float, float]] = field(default_factory=list)


class _Walker:
    """Walks a page's content, its forms and annotations (see the module docstring)."""

    def __init__(self, check: PageCheck, black_text: bool) -> None:
        self.check = check
        self.black_text = black_text
        self.images: set[tuple[int, int]] = set()

    def rgb(self, what: str) -> None:
        if what not in self.check.rgb:
            self.check.rgb.append(what)

    def resources(self, resources: Any) -> None:
        """Colour spaces and shadings named in ``resources`` but maybe used elsewhere."""
        if resources is None:
            return
        for name, space in (resources.get("/ColorSpace") or {}).items():
            if _space_kind(space, resources) == "rgb":
                self.rgb(f"colour space {name}")
        for name, shading in (resources.get("/Shading") or {}).items():
            if _space_kind(shading.get("/ColorSpace"), resources) == "rgb":
                self.rgb(f"shading {name}")
        for name, pattern in (resources.get("/Pattern") or {}).items():
            shading = pattern.get("/Shading")
            if shading is not None and _space_kind(shading.get("/ColorSpace"),
                                                   resources) == "rgb":
                self.rgb(f"pattern {name}")

    def walk(self, stream: Any, resources: Any, state: State, depth: int = 0) -> None:
        """Follow the operators of ``stream`` (a page or form XObject)."""
        if depth > 12:
            return
        self.resources(resources)
        stack: list[State] = []
        points: list[tuple[float, float]] = []
        font_size = 0.0
        text_matrix: Matrix = IDENTITY
        line_matrix: Matrix = IDENTITY
        try:
            instructions = pikepdf.parse_content_stream(stream)
        except pikepdf.PdfError:
            return
        for instruction in instructions:
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                image = instruction.iimage
                if _space_kind(image.obj.get("/ColorSpace", image.obj.get("/CS")),
                               resources) == "rgb":
                    self.rgb("inline image")
                continue
            operands, op = instruction.operands, str(instruction.operator)
            if op == "q":
                stack.append(replace(state))
            elif op == "Q" and stack:
                state = stack.pop()
            elif op == "cm" and len(operands) == 6:
                matrix = tuple(float(value) for value in operands)
                state.ctm = _multiply(matrix, state.ctm)  # type: ignore[arg-type]
            elif op in ("rg", "RG"):
                self.rgb(f"operator {op}")
                if op == "rg":
                    state.fill = Paint("rgb")
                else:
                    state.stroke = Paint("rgb")
            elif op in ("k", "K"):
                paint = _paint("cmyk", list(operands))
                if op == "k":
                    state.fill = paint
                else:
                    state.stroke = paint
            elif op in ("g", "G"):
                if op == "g":
                    state.fill = Paint("gray")
                else:
                    state.stroke = Paint("gray")
            elif op in ("cs", "CS") and operands:
                kind = _space_kind(operands[0], resources)
                if op == "cs":
                    state.fill_space, state.fill = kind, Paint(kind)
                else:
                    state.stroke_space, state.stroke = kind, Paint(kind)
            elif op in ("sc", "scn"):
                state.fill = _paint(state.fill_space or "gray", list(operands))
            elif op in ("SC", "SCN"):
                state.stroke = _paint(state.stroke_space or "gray", list(operands))
            elif op in PATH_OPS:
                values = [float(value) for value in operands]
                if op == "re" and len(values) == 4:
                    x, y, w, h = values
                    corners = [(x, y), (x + w, y + h)]
                else:
                    corners = list(zip(values[0::2], values[1::2]))
                points += [_apply(state.ctm, x, y) for x, y in corners]
            elif op in PAINT_FILL or op in PAINT_STROKE or op == "n":
                if op in PAINT_FILL:
                    self.paint(state.fill, f"fill ({op})", points)
                if op in PAINT_STROKE:
                    self.paint(state.stroke, f"stroke ({op})", points)
                points = []
            elif op == "BT":
                text_matrix = line_matrix = IDENTITY
            elif op == "Tf" and len(operands) == 2:
                font_size = float(operands[1])
            elif op == "Tm" and len(operands) == 6:
                text_matrix = line_matrix = tuple(  # type: ignore[assignment]
                    float(value) for value in operands)
            elif op in ("Td", "TD") and len(operands) == 2:
                line_matrix = _multiply((1, 0, 0, 1, float(operands[0]), float(operands[1])),
                                        line_matrix)
                text_matrix = line_matrix
            elif op in TEXT_SHOW:
                matrix = _multiply(text_matrix, state.ctm)
                scale = math.sqrt(abs(matrix[0] * matrix[3] - matrix[1] * matrix[2]))
                self.text(state.fill, abs(font_size) * scale)
            elif op == "sh" and operands:
                shading = (resources.get("/Shading") or {}).get(str(operands[0])) \
                    if resources is not None else None
                if shading is not None and _space_kind(shading.get("/ColorSpace"),
                                                       resources) == "rgb":
                    self.rgb(f"shading {operands[0]}")
            elif op == "Do" and operands and resources is not None:
                xobject = (resources.get("/XObject") or {}).get(str(operands[0]))
                if xobject is not None:
                    self.xobject(xobject, state, depth)

    def xobject(self, xobject: Any, state: State, depth: int) -> None:
        subtype = str(xobject.get("/Subtype"))
        if subtype == "/Image":
            self.image(xobject)
        elif subtype == "/Form":
            group = xobject.get("/Group")
            if group is not None and _space_kind(group.get("/CS"), None) == "rgb":
                self.rgb("transparency group")
            matrix = tuple(float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0]))
            inner = replace(state, ctm=_multiply(matrix, state.ctm))  # type: ignore[arg-type]
            self.walk(xobject, xobject.get("/Resources"), inner, depth + 1)

    def image(self, xobject: Any) -> None:
        key = xobject.objgen
        if key in self.images:
            return
        self.images.add(key)
        if xobject.get("/ImageMask", False):
            return
        kind = _space_kind(xobject.get("/ColorSpace"), None)
        if kind == "rgb":
            self.rgb("image")
        elif kind == "cmyk":
            self.check.images_ink.append(("image", _image_ink(xobject)))
        smask = xobject.get("/SMask")
        if smask is not None and _space_kind(smask.get("/ColorSpace"), None) == "rgb":
            self.rgb("image mask")

    def paint(self, paint: Paint, what: str, points: list[tuple[float, float]]) -> None:
        if paint.space == "registration" and points:
            xs, ys = [x for x, _ in points], [y for _, y in points]
            self.check.marks.append((min(xs), min(ys), max(xs), max(ys)))
        elif paint.space == "cmyk" and paint.cmyk is not None:
            self.check.inks.setdefault(paint.cmyk, what)

    def text(self, paint: Paint, size: float) -> None:
        if paint.space != "cmyk" or paint.cmyk is None:
            return
        self.check.inks.setdefault(paint.cmyk, "text")
        if (self.black_text and size < SMALL_TEXT_PT and paint.cmyk != (0, 0, 0, 1)
                and near_black(_naive_rgb(paint.cmyk))):
            known = self.check.black_text.get(paint.cmyk, size)
            self.check.black_text[paint.cmyk] = min(known, size)


def _image_ink(xobject: Any) -> float:
    """The largest total ink of a CMYK image, in percent, over its pixels averaged to at
    most 128 on a side (a speck of one pixel is not what a press judges)."""
    try:
        picture = pikepdf.PdfImage(xobject).as_pil_image()
    except Exception:  # an image pikepdf cannot decode: nothing to measure
        return 0.0
    if picture.mode != "CMYK":
        return 0.0
    picture.thumbnail((128, 128), Image.Resampling.BOX)
    data = picture.tobytes()  # C, M, Y, K bytes of each pixel in turn
    return max((sum(data[i:i + 4]) for i in range(0, len(data), 4)), default=0) / 255 * 100


def _boxes(page: Any) -> tuple[tuple[float, ...], tuple[float, ...]]:
    media = tuple(float(value) for value in page.obj.MediaBox)
    bleed = tuple(float(value) for value in page.obj.get("/BleedBox", page.obj.MediaBox))
    return media, bleed


@dataclass(frozen=True)
class _Source:
    name: str
    line: int | None


def _brand_sources(brand: Brand, brand_path: Path, root: Path) -> dict[CMYK, _Source]:
    """Each print value (components 0–1, as written) of a brand colour → its name and
    the line of the brand file defining it."""
    profile = output_profile(brand, brand_path.parent)
    found: dict[CMYK, _Source] = {}
    for name, color in brand.colors:
        items: list[Color] = color if isinstance(color, list) else [color]
        line = line_of(brand_path, rf"^\s*{re.escape(name)}\s*:")
        for item in items:
            values = [cmyk_of(item, profile)]
            if print_black(item, brand.print.black_text):
                values.append(SOLID_BLACK)
            for cmyk in values:
                key = tuple(float(f"{part / 100:.3g}") for part in cmyk)
                found.setdefault(key, _Source(name, line))  # type: ignore[arg-type]
    return found


def press_check(pdf: bytes, brand: Brand, brand_path: Path, root: Path) -> list[Finding]:
    """The findings of the press check (module docstring) on the written print PDF
    ``pdf``, in page order. ``brand_path`` is the brand file (its colours' lines are
    named when it lies in the project folder ``root``). The total-ink limit is
    ``brand.print.max_ink`` (percent); small text is under :data:`SMALL_TEXT_PT`."""
    settings = brand.print
    sources = _brand_sources(brand, brand_path, root)
    inside = brand_path.resolve().is_relative_to(root.resolve())
    findings: list[Finding] = []

    def source(cmyk: CMYK) -> tuple[str, Path | None, int | None]:
        known = sources.get(tuple(round(part, 3) for part in cmyk))  # type: ignore[arg-type]
        if known is None:
            return "", None, None
        return f" (brand colour '{known.name}')", brand_path if inside else None, \
            known.line if inside else None

    with pikepdf.open(io.BytesIO(pdf)) as document:
        for number, page in enumerate(document.pages, 1):
            check = PageCheck()
            walker = _Walker(check, settings.black_text)
            group = page.obj.get("/Group")
            if group is not None and _space_kind(group.get("/CS"), None) == "rgb":
                walker.rgb("page transparency group")
            walker.walk(page.obj, page.obj.get("/Resources"), State())
            for annotation in page.obj.get("/Annots") or []:
                colour = annotation.get("/C")
                if colour is not None and len(colour) == 3:
                    walker.rgb(f"annotation {annotation.get('/Subtype')} colour")
                appearances: Any = annotation.get("/AP") or {}
                appearance = appearances.get("/N")
                if isinstance(appearance, pikepdf.Stream):
                    walker.xobject(appearance, State(), 0)
            findings += _page_findings(number, page, check, settings, source)
    return findings


def _page_findings(number: int, page: Any, check: PageCheck, settings: Any,
                   source: Any) -> Iterator[Finding]:
    if check.rgb:
        yield Finding(number, "rgb", f"page {number}: RGB colour in a CMYK print file: "
                      f"{', '.join(check.rgb[:4])}{' …' if len(check.rgb) > 4 else ''}")
    media, bleed = _boxes(page)
    x0, y0, x1, y1 = bleed
    overlapping = [mark for mark in check.marks
                   if mark[0] < x1 - EPSILON and mark[2] > x0 + EPSILON
                   and mark[1] < y1 - EPSILON and mark[3] > y0 + EPSILON]
    if overlapping:
        yield Finding(number, "marks-in-bleed", f"page {number}: {len(overlapping)} "
                      "printer's marks inside the bleed box, over the artwork")
    elif settings.marks and all(abs(a - b) < EPSILON for a, b in zip(media, bleed)):
        yield Finding(number, "marks-in-bleed", f"page {number}: printer's marks are "
                      "asked for, and the media box is the bleed box: no room outside the "
                      "bleed for them")
    for cmyk, what in check.inks.items():
        total = sum(cmyk) * 100
        if total > settings.max_ink + 0.5:
            named, path, line = source(cmyk)
            shown = "/".join(f"{part * 100:.0f}" for part in cmyk)
            yield Finding(number, "total-ink", f"page {number}: {what} in CMYK {shown}"
                          f"{named}: total ink {total:.0f} %, over the limit of "
                          f"{settings.max_ink:g} %", path, line)
    for what, total in check.images_ink:
        if total > settings.max_ink + 0.5:
            yield Finding(number, "total-ink", f"page {number}: {what} with total ink up to "
                          f"{total:.0f} %, over the limit of {settings.max_ink:g} %")
    for cmyk, size in check.black_text.items():
        named, path, line = source(cmyk)
        shown = "/".join(f"{part * 100:.0f}" for part in cmyk)
        yield Finding(number, "black-text", f"page {number}: {size:.1f} pt text in the "
                      f"four-colour black CMYK {shown}{named}, not single-ink black "
                      "0/0/0/100", path, line)
