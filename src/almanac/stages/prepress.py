"""The print edition's sheet: page boxes, printer's marks and page count, made while
WeasyPrint writes the PDF (its ``finisher`` hook), so the file is written once.

WeasyPrint draws the CSS ``marks`` (crop and cross) first on each page, in DeviceRGB
black, inside the CSS bleed, and makes the PDF ``BleedBox`` the media box: the
marks would separate onto all four plates as a four-colour black, full-bleed
artwork would cover them, and they would print in the bleed. Almanac asks
WeasyPrint for the bleed only (``marks: none``, :func:`~.brand.brand_css`) and
then, per page:

- the boxes of ISO 32000-1, 14.11.2: ``TrimBox`` the finished page (WeasyPrint's),
  ``BleedBox`` the trim plus the brand's bleed (``print.bleed_mm``), ``MediaBox``
  the bleed plus a *slug* (``print.slug_mm``, 10 mm by default) on every side, the
  room the marks are drawn in (none without marks); no ``ArtBox``;
- the marks (``print.marks``), drawn last (a content stream appended to the page's,
  the page's own wrapped in ``q``/``Q`` so its graphics state does not leak), in
  the registration colour: ``/Separation /All`` (ISO 32000-1, 8.6.6.4: a colorant
  named All paints on every separation, so each plate carries the marks it is
  registered by), 0.25 pt hairlines as prepress software draws them. Crop marks
  continue the trim lines from 1 mm outside the bleed to 1 mm inside the media
  edge; a cross mark (a circle and a cross) sits at the middle of each edge, in
  the middle of the slug. Nothing of them falls inside the ``BleedBox``;
- the page count made a multiple of ``print.page_multiple`` (2: the back cover is a
  left-hand page, the last one; 4: a saddle-stitched booklet) by blank pages, with
  the same boxes and marks, inserted before the last page (the back cover). The
  pages before keep their numbers, and the outline and links, which name their
  pages by object, keep their targets.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pydyf

from ..project.model import Brand

MM = 72 / 25.4
"""Points per millimetre."""
HAIRLINE = 0.25
"""The width of the marks, in points (the usual width of crop marks)."""
GAP_MM = 1.0
"""The space between the bleed's edge (or the media box's) and a mark, in mm."""
REGISTRATION = "AlmanacRegistration"
"""The name of the registration colour space in the pages' resources."""

Finisher = Callable[[Any, pydyf.PDF], None]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in points, y upwards


def registration_space() -> pydyf.Array:
    """``[/Separation /All /DeviceCMYK f]``, ``f`` giving every process ink at the
    tint (ISO 32000-1, 8.6.6.4: All marks every separation; the alternate is what a
    composite proof shows)."""
    return pydyf.Array(["/Separation", "/All", "/DeviceCMYK", pydyf.Dictionary({
        "FunctionType": 2, "Domain": pydyf.Array([0, 1]), "C0": pydyf.Array([0, 0, 0, 0]),
        "C1": pydyf.Array([1, 1, 1, 1]), "N": 1})])


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _circle(x: float, y: float, r: float) -> list[str]:
    """A circle as four Bézier curves (the usual 0.5523 control distance)."""
    k = r * 4 * (math.sqrt(2) - 1) / 3
    n = _number
    return [f"{n(x + r)} {n(y)} m",
            f"{n(x + r)} {n(y + k)} {n(x + k)} {n(y + r)} {n(x)} {n(y + r)} c",
            f"{n(x - k)} {n(y + r)} {n(x - r)} {n(y + k)} {n(x - r)} {n(y)} c",
            f"{n(x - r)} {n(y - k)} {n(x - k)} {n(y - r)} {n(x)} {n(y - r)} c",
            f"{n(x + k)} {n(y - r)} {n(x + r)} {n(y - k)} {n(x + r)} {n(y)} c", "S"]


def mark_lines(trim: Box, bleed_mm: float, slug_mm: float,
               marks: Sequence[str]) -> list[str]:
    """The content stream operators that draw ``marks`` (``crop``, ``cross``) around the
    trim box ``trim`` (points), in the slug between the bleed (``bleed_mm``) and the
    media box (``slug_mm`` beyond it): 1 mm off the bleed's edge and 1 mm short of
    the media box's, so no mark touches the bleed."""
    x0, y0, x1, y1 = trim
    near = (bleed_mm + GAP_MM) * MM  # from the trim line to a mark's inner end
    far = (bleed_mm + slug_mm - GAP_MM) * MM  # ... to its outer end
    n = _number
    ops = ["q", f"/{REGISTRATION} CS 1 SCN", f"{HAIRLINE} w 0 J 0 j [] 0 d"]
    if "crop" in marks:
        for x in (x0, x1):  # the vertical trim lines, continued above and below
            ops += [f"{n(x)} {n(y1 + near)} m {n(x)} {n(y1 + far)} l S",
                    f"{n(x)} {n(y0 - near)} m {n(x)} {n(y0 - far)} l S"]
        for y in (y0, y1):  # the horizontal ones, continued left and right
            ops += [f"{n(x0 - near)} {n(y)} m {n(x0 - far)} {n(y)} l S",
                    f"{n(x1 + near)} {n(y)} m {n(x1 + far)} {n(y)} l S"]
    if "cross" in marks:
        middle = (near + far) / 2  # the slug's middle line
        arm = (far - near) / 2
        radius = arm * 0.6
        centre_x, centre_y = (x0 + x1) / 2, (y0 + y1) / 2
        for x, y in ((centre_x, y1 + middle), (centre_x, y0 - middle),
                     (x0 - middle, centre_y), (x1 + middle, centre_y)):
            ops += _circle(x, y, radius)
            ops += [f"{n(x - arm)} {n(y)} m {n(x + arm)} {n(y)} l S",
                    f"{n(x)} {n(y - arm)} m {n(x)} {n(y + arm)} l S"]
    return ops + ["Q"]


def _box(array: Any) -> Box:
    x0, y0, x1, y1 = (float(value) for value in array)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _grown(box: Box, by: float) -> pydyf.Array:
    x0, y0, x1, y1 = box
    return pydyf.Array([x0 - by, y0 - by, x1 + by, y1 + by])


def _page_objects(pdf: pydyf.PDF) -> list[pydyf.Dictionary]:
    kids = pdf.pages["Kids"]  # flat: number, 0, "R", number, 0, "R", ...
    return [pdf.objects[int(kids[index])] for index in range(0, len(kids), 3)]


def _resolved(pdf: pydyf.PDF, value: Any) -> Any:
    """``value``, or the object it names when it is a reference (``b"12 0 R"``)."""
    if isinstance(value, bytes | str):
        return pdf.objects[int(value.split()[0])]
    return value


def _colour_spaces(pdf: pydyf.PDF, page: pydyf.Dictionary) -> pydyf.Dictionary:
    """The ``/ColorSpace`` dictionary of the page's resources, made when missing."""
    resources = _resolved(pdf, page["Resources"])
    if "ColorSpace" not in resources:
        resources["ColorSpace"] = pydyf.Dictionary()
    return _resolved(pdf, resources["ColorSpace"])


def blank_pages(count: int, multiple: int) -> int:
    """How many blank pages make ``count`` pages a multiple of ``multiple``."""
    return -count % multiple


def print_finisher(brand: Brand, then: Finisher | None = None, *,
                   page_count: bool = True) -> Finisher:
    """WeasyPrint ``finisher`` for the print edition (see the module docstring): the
    boxes, the marks of ``brand.print`` and (with ``page_count``) the page count; then
    calls ``then``. A part of a document typeset apart (:mod:`.parallel`) leaves the
    page count to the whole."""
    settings = brand.print
    bleed = settings.bleed_mm * MM
    slug = settings.slug_mm * MM if settings.marks else 0.0  # no marks: no room for them

    def finish(document: Any, pdf: pydyf.PDF) -> None:
        pages = _page_objects(pdf)
        opening = pydyf.Stream([b"q"], compress=True)  # the page's own state, closed below
        pdf.add_object(opening)
        streams: dict[Box, pydyf.Stream] = {}

        def marks(trim: Box) -> pydyf.Stream:
            if trim not in streams:
                lines = mark_lines(trim, settings.bleed_mm, slug / MM, settings.marks)
                streams[trim] = pydyf.Stream([line.encode() for line in ["Q", *lines]],
                                             compress=True)
                pdf.add_object(streams[trim])
            return streams[trim]

        for page in pages:
            _colour_spaces(pdf, page)[REGISTRATION] = registration_space()
            trim = _box(page["TrimBox"])
            page["BleedBox"] = _grown(trim, bleed)
            page["MediaBox"] = _grown(trim, bleed + slug)
            contents = page["Contents"]
            page["Contents"] = pydyf.Array([opening.reference, contents,
                                            marks(trim).reference])
        missing = blank_pages(len(pages), settings.page_multiple) if page_count else 0
        if pages and missing:
            last = pages[-1]
            trim = _box(last["TrimBox"])
            kids = pdf.pages["Kids"]
            for _ in range(missing):
                blank = pydyf.Dictionary({
                    "Type": "/Page", "Parent": pdf.pages.reference,
                    "MediaBox": last["MediaBox"], "BleedBox": last["BleedBox"],
                    "TrimBox": last["TrimBox"], "Resources": last["Resources"],
                    "Contents": pydyf.Array([opening.reference, marks(trim).reference])})
                pdf.add_object(blank)
                kids[-3:-3] = [blank.number, 0, "R"]
            pdf.pages["Count"] = len(kids) // 3
        if then is not None:
            then(document, pdf)

    return finish
