"""Stage 5 — preflight: what a proof-reader would circle on the laid-out pages.

``preflight`` walks the box tree of a laid-out WeasyPrint ``Document`` page
by page and reports, with page numbers: boxes past the content area and lines
wider than their column (``overflow``), an h1–h4 at the foot of a page
(``stranded-heading``), a split table with a single body row on a page
(``table-orphan-row``), raster images printed below a resolution (``low-dpi``)
and text below the WCAG 2.1 contrast minimum (``contrast``).

It only reads the layout. Lengths in the box tree are CSS pixels (96 per inch);
messages give points.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from weasyprint.formatting_structure import boxes
from weasyprint.images import RasterImage
from weasyprint.layout.absolute import AbsolutePlaceholder

from ..project.model import Brand

if TYPE_CHECKING:
    from weasyprint import Document

PX_PER_PT = 96 / 72
TOLERANCE = 1 * PX_PER_PT  # 1pt, in CSS pixels
HEADINGS = frozenset({"h1", "h2", "h3", "h4"})
KINDS = ("overflow", "stranded-heading", "table-orphan-row", "low-dpi", "contrast", "font",
         "rgb", "marks-in-bleed", "total-ink", "black-text")  # the last four: .presscheck

RGB = tuple[float, float, float]
Ancestors = tuple[boxes.Box, ...]
Fragments = dict[int, list[tuple[int, int, str, Ancestors, frozenset[int]]]]
"""table → (page, body rows, label, the table box and its ancestors, the ids of its body
rows' elements) per fragment"""


@dataclass(frozen=True)
class Finding:
    """One layout problem on one page."""

    page: int  # 1-based page number
    kind: str  # one of KINDS
    message: str  # for people, e.g. "page 12: heading 'Verzuim' at the foot of the page"
    path: Path | None = None  # the file to change, when it is not a stylesheet in general
    line: int | None = None  # its line
    hint: str | None = None  # the fix, when the kind's general one does not say it


def preflight(document: Document, brand: Brand, *, min_dpi: float = 150,
              root: Path | None = None) -> list[Finding]:
    """Check a rendered document (``HTML(...).render()``); return its findings in page
    order, an empty list when the layout is clean. A finding about a block names the
    block's file and line (:func:`source_of`), under ``root`` when given.

    Text without a background of its own is judged against ``brand.colors.paper``;
    raster images with fewer than ``min_dpi`` pixels per printed inch are reported.
    """
    paper = _hex_rgb(brand.colors.paper.hex)
    findings: list[Finding] = []
    tables: Fragments = {}
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        findings += _overflow(page_box, number)
        findings += _stranded_heading(page_box, number)
        findings += _low_dpi(page_box, number, min_dpi)
        findings += _contrast(page_box, number, paper)
        _collect_tables(page_box, number, tables)
    findings += _table_orphans(tables)
    if root is not None:
        findings = [replace(f, path=root / f.path) if f.path is not None
                    and not f.path.is_absolute() else f for f in findings]
    return sorted(findings, key=lambda finding: (finding.page, KINDS.index(finding.kind)))


# --------------------------------------------------------------------------- the box tree

def _children(box: boxes.Box) -> list[boxes.Box]:
    """A box's children; absolutely positioned ones taken out of their placeholders."""
    return [child._box if isinstance(child, AbsolutePlaceholder) else child
            for child in getattr(box, "children", ())]


def _walk(box: boxes.Box, ancestors: Ancestors = (),
          prune: Callable[[boxes.Box], bool] | None = None
          ) -> Iterator[tuple[boxes.Box, Ancestors]]:
    """``box`` and everything in it in document order, each with its ancestors;
    ``prune(box)`` leaves out a box and its descendants."""
    if prune is not None and prune(box):
        return
    yield box, ancestors
    inner = ancestors + (box,)
    for child in _children(box):
        yield from _walk(child, inner, prune)


def _page_content(page_box: boxes.PageBox) -> list[boxes.Box]:
    """The document's boxes on a page: the root element (and footnotes), no margin boxes."""
    return [child for child in _children(page_box) if not isinstance(child, boxes.MarginBox)]


def source_of(boxes_: Ancestors, root: Path | None = None) -> tuple[Path | None, int | None]:
    """The file and line a laid-out box comes from: the ``data-source`` attribute
    (``chapters/02-x/chapter.yaml:41``, set by the templates on each block's outer
    element, see :meth:`~.render.Renderer.source`) of the innermost of ``boxes_``
    (a box and its ancestors, outermost first) that has one; the path relative to the
    project, or under ``root`` when given. ``(None, None)`` when none carries it (a
    project's own template may leave it out)."""
    for box in reversed(boxes_):
        element = box.element
        value = element.get("data-source") if element is not None else None
        if value:
            name, _, line = value.rpartition(":")
            if not name or not line.isdigit():
                name, line = value, ""
            path = Path(name) if root is None else root / name
            return path, int(line) if line else None
    return None, None


def _clip(text: str, limit: int = 40) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _text(box: boxes.Box) -> str:
    """The start of the text of ``box`` on this page."""
    lines = [b for b, _ in _walk(box) if isinstance(b, boxes.LineBox)]
    return _clip(" ".join("".join(t.text for t, _ in _walk(line) if isinstance(t, boxes.TextBox))
                          for line in lines))


def _describe(box: boxes.Box, with_text: bool = True) -> str:
    """``tag.class 'text…'``, for messages."""
    name = (box.element_tag or type(box).__name__).split("::")[0]
    classes = (box.element.get("class") or "").split() if box.element is not None else []
    name += f".{classes[0]}" if classes else ""
    text = _text(box) if with_text else ""
    return f"{name} '{text}'" if text else name


def _pt(px: float) -> str:
    return f"{px / PX_PER_PT:.1f}pt"


# --------------------------------------------------------------------------- overflow

def _overflow(page_box: boxes.PageBox, page: int) -> list[Finding]:
    """Lines wider than their containing block (on every page), and boxes past the
    right or bottom edge of the content area, except on full-bleed pages (zero
    margins: the content area is the sheet and pictures may bleed). Only the
    outermost overflowing box of a subtree is reported; the descendants of a box that
    clips (``overflow`` other than ``visible``) are not compared with the page."""
    full_bleed = not any((page_box.margin_top, page_box.margin_right,
                          page_box.margin_bottom, page_box.margin_left))
    right = page_box.content_box_x() + page_box.width
    bottom = page_box.content_box_y() + page_box.height
    findings: list[Finding] = []

    def visit(box: boxes.Box, parent: boxes.Box | None, contained: bool,
              chain: Ancestors) -> None:
        chain = chain + (box,)
        if isinstance(box, boxes.LineBox) and parent is not None:
            excess = max(box.width - parent.width,
                         box.position_x + box.width - parent.content_box_x() - parent.width)
            if excess > TOLERANCE:
                findings.append(Finding(page, "overflow", f"page {page}: line '{_text(box)}' "
                                        f"is {_pt(excess)} wider than its "
                                        f"{_describe(parent, with_text=False)}",
                                        *source_of(chain)))
                contained = True
        if not (full_bleed or contained or isinstance(box, (boxes.TextBox, boxes.InlineBox))):
            past = {"right": box.border_box_x() + box.border_width() - right,
                    "bottom": box.border_box_y() + box.border_height() - bottom}
            edges = [f"{_pt(d)} past the {edge} edge" for edge, d in past.items() if d > TOLERANCE]
            if edges:
                findings.append(Finding(page, "overflow", f"page {page}: {_describe(box)} runs "
                                        f"{' and '.join(edges)} of the content area",
                                        *source_of(chain)))
                contained = True
        contained = contained or box.style["overflow"] != "visible"
        for child in _children(box):
            visit(child, box, contained, chain)

    for root in _page_content(page_box):
        visit(root, None, False, ())
    return findings


# --------------------------------------------------------------------------- headings

def _is_content(box: boxes.Box) -> bool:
    """Whether a box shows something of its own: a line with text or an object, an
    image, or an empty box with a background colour or a border."""
    if box.style["visibility"] != "visible":
        return False
    if isinstance(box, boxes.LineBox):
        return any(isinstance(b, boxes.AtomicInlineLevelBox)
                   or (isinstance(b, boxes.TextBox) and not b.is_whitespace())
                   for b, _ in _walk(box))
    if isinstance(box, boxes.ReplacedBox):
        return True
    if _children(box) or isinstance(box, boxes.InlineLevelBox):
        return False
    painted = box.style["background_color"].alpha > 0 or any(
        box.style[f"border_{side}_width"] > 0 for side in ("top", "right", "bottom", "left"))
    return painted and box.border_height() > 0 and box.border_width() > 0


def _stranded_heading(page_box: boxes.PageBox, page: int) -> list[Finding]:
    """An h1–h4 holding the last content of the page. Absolutely positioned and running
    elements do not count (neither as heading nor as content after it); floats do."""
    last: Ancestors = ()
    for root in _page_content(page_box):
        for box, ancestors in _walk(root, prune=lambda b: b.is_absolutely_positioned()
                                    or b.is_running()):
            if _is_content(box):
                last = ancestors + (box,)
    heading = next((b for b in reversed(last) if b.element_tag in HEADINGS), None)
    if heading is None:
        return []
    return [Finding(page, "stranded-heading",
                    f"page {page}: heading '{_text(heading)}' at the foot of the page",
                    *source_of(last))]


# --------------------------------------------------------------------------- tables

def _collect_tables(page_box: boxes.PageBox, page: int, tables: Fragments) -> None:
    """Record each table fragment on the page with its number of body rows (repeated
    header and footer rows are not body rows)."""
    for root in _page_content(page_box):
        for box, ancestors in _walk(root):
            if isinstance(box, boxes.TableBox) and box.element is not None:
                body = [row for group in _children(box)
                        if isinstance(group, boxes.TableRowGroupBox)
                        and not group.is_header and not group.is_footer
                        for row in _children(group)]
                rows = len(body)
                caption = box.element.find("caption") if box.element.tag == "table" else None
                label = _clip(" ".join((box.element if caption is None else caption).itertext()))
                tables.setdefault(id(box.element), []).append(
                    (page, rows, label, ancestors + (box,),
                     frozenset(id(row.element) for row in body)))


def _table_orphans(tables: Fragments) -> list[Finding]:
    """A table on more than one page with exactly one body row on one of them — unless
    that row is itself split over pages (taller than a page: alone by necessity)."""
    findings = []
    for fragments in tables.values():
        pages = sorted({page for page, _, _, _, _ in fragments})
        if len(pages) < 2:
            continue
        split = {row for _, _, _, _, rows in fragments for row in rows
                 if sum(row in other for _, _, _, _, other in fragments) > 1}
        findings += [Finding(page, "table-orphan-row", f"page {page}: table '{label}' (pages "
                             f"{pages[0]}–{pages[-1]}) has a single body row on this page",
                             *source_of(chain))
                     for page, rows, label, chain, ids in fragments
                     if rows == 1 and not ids & split]
    return findings


# --------------------------------------------------------------------------- images

def _painted_size(box: boxes.ReplacedBox, image: RasterImage) -> tuple[float, float]:
    """The size in CSS pixels at which the image is painted, after ``object-fit``."""
    fit = box.style["object_fit"]
    if fit == "fill":
        return box.width, box.height
    contain = min(box.width / image.width, box.height / image.height)
    resolution = box.style["image_resolution"]  # image pixels per CSS pixel
    natural = 1 / float(getattr(resolution, "value", resolution))
    scale = {"cover": max(box.width / image.width, box.height / image.height),
             "none": natural, "scale-down": min(natural, contain)}.get(fit, contain)
    return image.width * scale, image.height * scale


def _low_dpi(page_box: boxes.PageBox, page: int, min_dpi: float) -> list[Finding]:
    """Raster images with fewer than ``min_dpi`` pixels per printed inch (on the worse
    axis). Vector images (SVG) are never reported."""
    findings = []
    for root in _page_content(page_box):
        for box, _ in _walk(root):
            image = getattr(box, "replacement", None)
            if (not isinstance(box, boxes.ReplacedBox) or not isinstance(image, RasterImage)
                    or min(box.width, box.height, image.width, image.height) <= 0):
                continue
            width, height = _painted_size(box, image)
            dpi = min(image.width / (width / 96), image.height / (height / 96))
            if dpi < min_dpi:
                findings.append(Finding(page, "low-dpi", f"page {page}: image {_image_name(box)} "
                                        f"({image.width}×{image.height} px) prints at {dpi:.0f} "
                                        f"dpi, below {min_dpi:g}"))
    return findings


def _image_name(box: boxes.Box) -> str:
    """The file name of an image, or its alt text when it is embedded."""
    element = box.element
    source = element.get("src", "") if element is not None else ""
    if source and not source.startswith("data:"):
        return f"'{source.rsplit('/', 1)[-1]}'"
    alt = element.get("alt", "") if element is not None else ""
    return f"'{_clip(alt)}'" if alt else "(embedded)"


# --------------------------------------------------------------------------- contrast

def _hex_rgb(value: str) -> RGB:
    return (int(value[1:3], 16) / 255, int(value[3:5], 16) / 255, int(value[5:7], 16) / 255)


def _hex(color: RGB) -> str:
    return "#" + "".join(f"{round(c * 255):02X}" for c in color)


def _over(css_color, below: RGB) -> RGB:
    """A computed CSS colour composited over ``below`` (sRGB, clamped to the gamut).

    Process colours (``device-cmyk()``, the print edition) are judged by their
    naive sRGB equivalent, as no profile conversion is at hand here.
    """
    if css_color.space == "device-cmyk":
        c, m, y, k = css_color.coordinates
        coordinates = ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    else:
        coordinates = css_color.to("srgb").coordinates
    alpha = css_color.alpha
    r, g, b = (alpha * min(1.0, max(0.0, c)) + (1 - alpha) * under
               for c, under in zip(coordinates, below))
    return r, g, b


def _luminance(color: RGB) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour."""
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: RGB, second: RGB) -> float:
    """WCAG 2.1 contrast ratio of two sRGB colours (channels 0–1), from 1 to 21."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _contrast(page_box: boxes.PageBox, page: int, paper: RGB) -> list[Finding]:
    """Visible text whose colour against its background is below 4.5:1, or 3:1 for large
    text (18pt, or 14pt bold). The background is the background colours of the text's
    ancestors composited over the paper; images and gradients behind text are not seen.
    Text without a letter or digit (bullets, leaders) is decoration and not judged.
    One finding per distinct (colour, background) on a page."""
    findings = []
    seen: set[tuple[str, str]] = set()
    for box, ancestors in _walk(page_box):  # margin boxes included
        if (not isinstance(box, boxes.TextBox) or box.style["visibility"] != "visible"
                or box.style["color"].alpha == 0 or not any(c.isalnum() for c in box.text)):
            continue
        background = paper
        for ancestor in ancestors + (box,):
            background = _over(ancestor.style["background_color"], background)
        color = _over(box.style["color"], background)
        size_pt = box.style["font_size"] / PX_PER_PT
        large = size_pt >= 17.99 or (size_pt >= 13.99 and box.style["font_weight"] >= 700)
        minimum = 3.0 if large else 4.5
        ratio = contrast_ratio(color, background)
        key = (_hex(color), _hex(background))
        if ratio < minimum and key not in seen:
            seen.add(key)
            findings.append(Finding(page, "contrast", f"page {page}: text '{_clip(box.text)}' "
                                    f"in {key[0]} on {key[1]} has contrast {ratio:.2f}:1, "
                                    f"below {minimum:g}:1"))
    return findings


# --------------------------------------------------------------------------- holes

FORCED_BREAKS = frozenset({"page", "left", "right", "recto", "verso"})
"""``break-before``/``break-after`` values that force a page break (CSS Fragmentation 3, 3.1)."""


def _elements(page_box: boxes.PageBox) -> dict[int, boxes.Box]:
    """The block-level boxes of a page's content, by the id of their element."""
    found: dict[int, boxes.Box] = {}
    for root in _page_content(page_box):
        for box, _ in _walk(root):
            if isinstance(box, boxes.BlockLevelBox) and box.element is not None:
                found.setdefault(id(box.element), box)
    return found


def _ends_flow(page: dict[int, boxes.Box], following: dict[int, boxes.Box] | None) -> bool:
    """Whether a page ends a run of pages of one flow: the document's last page, a
    page with an element ending there with a forced break after it, or a page before
    one that opens an element with a forced break before it (a chapter, an appendix)."""
    if following is None:
        return True
    if any(box.style["break_after"] in FORCED_BREAKS and key not in following
           for key, box in page.items()):
        return True
    return any(box.style["break_before"] in FORCED_BREAKS and key not in page
               for key, box in following.items())


def page_holes(document: Document) -> dict[int, float]:
    """The empty part at the foot of each body page: {page number (from 1): the height
    between the lowest content of the page and the foot of its content area — or the
    top of its footnote area's margin — as a fraction (0–1) of the content area's height}.

    Body pages are the pages with margins (a full-bleed page — a cover, an opener —
    is artwork, not text area) that are followed by a page of the same flow: the last
    page before a forced break (``break-before``/``break-after: page``, CSS
    Fragmentation 3, 3.1: a chapter's or the document's last page) is left out, its
    foot being empty by design. Content is what :func:`_is_content` counts, floats
    included; absolutely positioned and running elements are not."""
    pages = [_elements(page._page_box) for page in document.pages]
    holes: dict[int, float] = {}
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        if not any((page_box.margin_top, page_box.margin_right, page_box.margin_bottom,
                    page_box.margin_left)) or page_box.height <= 0:
            continue
        if _ends_flow(pages[number - 1], pages[number] if number < len(pages) else None):
            continue
        top = page_box.content_box_y()
        foot = top + page_box.height
        lowest = top
        for root in _page_content(page_box):
            if isinstance(root, boxes.FootnoteAreaBox):
                if any(_is_content(box) for box, _ in _walk(root)):
                    foot = min(foot, root.position_y)
                continue
            for box, _ in _walk(root, prune=lambda b: b.is_absolutely_positioned()
                                or b.is_running()):
                if _is_content(box):
                    lowest = max(lowest, box.border_box_y() + box.border_height())
        holes[number] = max(0.0, foot - lowest) / page_box.height
    return holes
