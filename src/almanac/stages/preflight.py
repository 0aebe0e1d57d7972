"""Stage 5 — preflight: what a proof-reader would circle on the laid-out pages.

``preflight`` walks the box tree of a laid-out WeasyPrint ``Document`` page
by page and reports, with page numbers: boxes past the content area and lines
wider than their column (``overflow``), an h1–h4 at the foot of a page
(``stranded-heading``), a split table with a single body row on a page
(``table-orphan-row``), raster images printed below a resolution (``low-dpi``)
and text below the WCAG 2.1 contrast minimum (``contrast``).

Where the breaks fall: a block that must be kept together (``break-inside:
avoid``) set on two pages (``split-block``), a caption on another page than its
table or image (``caption-parted``), a table whose repeated header is missing on
one of its pages (``header-missing``), a footnote on another page than its call
(``footnote-parted``), a section's last line or short block alone on a page
(``lone-block``) and a body page whose foot is left empty (``hole``).

It only reads the layout. Lengths in the box tree are CSS pixels (96 per inch);
messages give points.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
         "rgb", "marks-in-bleed", "total-ink", "black-text",  # these four: .presscheck
         "split-block", "caption-parted", "header-missing", "footnote-parted", "lone-block",
         "hole")
FORCED_BREAKS = frozenset({"page", "left", "right", "recto", "verso"})
"""``break-before``/``break-after`` values that force a page break (CSS Fragmentation 3, 3.1)."""
CAPTIONS = frozenset({"figcaption", "caption"})
PICTURED = ("img", "svg", "table", "object", "video", "canvas", "picture")
"""The elements a figure or table shows, in the order one is looked for under its caption."""

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
              root: Path | None = None, max_hole: float = 0.2,
              first_page: int = 0) -> list[Finding]:
    """Check a rendered document (``HTML(...).render()``); return its findings in page
    order, an empty list when the layout is clean. A finding about a block names the
    block's file and line (:func:`source_of`), under ``root`` when given.

    Text without a background of its own is judged against ``brand.colors.paper``;
    raster images with fewer than ``min_dpi`` pixels per printed inch are reported;
    a body page (one of the running text: not blank, unnamed, with margins) that is not
    the last of its run (a chapter's last page: the next page is not a body page, or
    a forced break starts it) with more than ``max_hole`` (a fraction, 0–1) of its
    text area's height empty at its foot is a ``hole``.

    ``first_page``: the 0-based index of the document's first page in a larger one
    (a part typeset apart, :mod:`.parallel`): findings name the pages of the whole.
    """
    paper = _hex_rgb(brand.colors.paper.hex)
    findings: list[Finding] = []
    tables: Fragments = {}
    layout = _Layout(first_page + 1)
    for number, page in enumerate(document.pages, start=first_page + 1):
        page_box = page._page_box
        findings += _overflow(page_box, number)
        findings += _stranded_heading(page_box, number)
        findings += _low_dpi(page_box, number, min_dpi)
        findings += _contrast(page_box, number, paper)
        _collect_tables(page_box, number, tables)
        layout.add(page_box, number)
    findings += _table_orphans(tables)
    findings += _header_missing(tables, layout.headed)
    parted = _captions_parted(layout, tables)
    findings += list(parted.values()) + _split_blocks(layout, set(parted))
    findings += _footnotes_parted(layout)
    findings += _lone_blocks(layout, set(parted)) + _holes(layout, max_hole)
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


def _header_missing(tables: Fragments, headed: dict[int, set[int]]) -> list[Finding]:
    """A table whose header rows repeat (a ``thead``, ``table-header-group`` by
    default) with body rows on a page but not its header: WeasyPrint leaves the header
    out of a page when it does not fit there with the next row (``layout/table.py``).
    ``headed`` gives the pages on which each table has its header, 0 among them for a
    table whose ``thead`` is set as ordinary rows (not judged); a table with a
    ``thead`` on none of its pages has lost it on all of them."""
    findings = []
    for key, fragments in tables.items():
        header = headed.get(key, set())
        if 0 in header or not header and fragments[0][3][-1].element.find("thead") is None:
            continue
        pages = sorted({page for page, *_ in fragments})
        span = f"pages {pages[0]}–{pages[-1]}" if len(pages) > 1 else f"page {pages[0]}"
        findings += [Finding(page, "header-missing", f"page {page}: table '{label}' ({span}) "
                             "is without its header row on this page", *source_of(chain))
                     for page, rows, label, chain, *_ in fragments
                     if rows and page not in header]
    return findings


# --------------------------------------------------------------------------- breaks

Chains = dict[int, dict[int, Ancestors]]
"""element → page → its first box on that page, with the box's ancestors (outermost
first, the box itself last)"""


@dataclass
class _Sheet:
    """What the break checks need of one laid-out page."""

    number: int
    box: boxes.PageBox
    body: bool  # a page of the running text (see _Layout.add)
    content: list[Ancestors]  # what shows on it, in the flow and floats (footnotes apart)
    foot: float  # the bottom of the room for text: the footnote area's top, or the content's
    forced: bool = False  # an element begins on it with a forced break before it
    breaks_after: list[int] = field(default_factory=list)  # elements with a forced break after


class _Layout:
    """The pages of a document as the break checks read them: each page's content, and
    on which pages each element shows something."""

    def __init__(self, first: int = 1) -> None:
        self.first = first  # the number of the first page
        self.sheets: list[_Sheet] = []
        self.chains: Chains = {}  # every element's boxes
        self.shown: dict[int, set[int]] = {}  # element → the pages where it shows content
        self.calls: dict[int, tuple[int, Ancestors]] = {}  # footnote → page of its call
        self.notes: dict[int, tuple[int, Ancestors]] = {}  # footnote → page of its note
        self.headed: dict[int, set[int]] = {}  # table → the pages with its header rows
        # (0 among them when its thead is set as ordinary rows)

    def add(self, page_box: boxes.PageBox, page: int) -> None:
        """Read one page. A body page is one of the running text: not blank, with no
        page name (cover, contents, opener and back cover pages are named) and with
        margins (a full-bleed page is a picture)."""
        kind = page_box.page_type
        body = not kind.blank and not kind.name and any(
            (page_box.margin_top, page_box.margin_right, page_box.margin_bottom,
             page_box.margin_left))
        sheet = _Sheet(page, page_box, body, [], page_box.content_box_y() + page_box.height)
        for root in _page_content(page_box):
            in_notes = isinstance(root, boxes.FootnoteAreaBox)
            if in_notes and _children(root):
                sheet.foot = min(sheet.foot, root.position_y)
            for box, ancestors in _walk(root):
                chain = ancestors + (box,)
                if box.element is not None and "::" not in (box.element_tag or ""):
                    pages = self.chains.setdefault(id(box.element), {})
                    if not pages and box.style["break_before"] in FORCED_BREAKS:
                        sheet.forced = True
                    if box.style["break_after"] in FORCED_BREAKS:
                        sheet.breaks_after.append(id(box.element))
                    pages.setdefault(page, chain)
                    if in_notes:  # a note's outermost box comes first
                        self.notes.setdefault(id(box.element), (page, chain))
                if isinstance(box, boxes.TableRowGroupBox) and ancestors \
                        and ancestors[-1].element is not None and (
                            box.is_header or box.element_tag == "thead"):
                    headers = self.headed.setdefault(id(ancestors[-1].element), set())
                    headers.add(page if box.is_header else 0)  # 0: a thead of ordinary rows
                elif (box.element is not None and isinstance(box, boxes.InlineBox)
                      and (box.element_tag or "").endswith("::footnote-call")):
                    self.calls.setdefault(id(box.element), (page, chain))
                if in_notes or not _is_content(box) or any(
                        b.is_absolutely_positioned() or b.is_running() for b in chain):
                    continue
                sheet.content.append(chain)
                for holder in chain:
                    if holder.element is not None:
                        self.shown.setdefault(id(holder.element), set()).add(page)
        self.sheets.append(sheet)

    def sheet(self, page: int) -> _Sheet | None:
        index = page - self.first
        return self.sheets[index] if 0 <= index < len(self.sheets) else None

    def starts_run(self, sheet: _Sheet) -> bool:
        """Whether a body page begins a run of body pages: the page before is not a
        body page, or a forced break ends it (an element that begins on this page with
        ``break-before: page``, as a chapter or appendix does, or one that ends on the
        page before with ``break-after: page``)."""
        before = self.sheet(sheet.number - 1)
        if before is None or not before.body or not sheet.content or sheet.forced:
            return True
        return any(max(self.chains[key]) == before.number for key in before.breaks_after)

    def ends_run(self, sheet: _Sheet) -> bool:
        """Whether a body page is the last of its run (a chapter's last page): the
        next page is not a body page, is empty, or begins a run."""
        after = self.sheet(sheet.number + 1)
        return after is None or not after.body or self.starts_run(after)


def _bottom(chain: Ancestors) -> float:
    """The bottom of a piece of content, and of the painted boxes (a background, a
    border) around it, in CSS pixels from the top of the page."""
    leaf = chain[-1]
    bottom = (leaf.position_y + leaf.height if isinstance(leaf, boxes.LineBox)
              else leaf.border_box_y() + leaf.border_height())
    for box in chain[:-1]:
        if isinstance(box, boxes.BlockLevelBox) and box.element_tag not in ("html", "body") \
                and (box.style["background_color"].alpha > 0 or any(
                    box.style[f"border_{side}_width"] > 0
                    for side in ("top", "right", "bottom", "left"))):
            bottom = max(bottom, box.border_box_y() + box.border_height())
    return bottom


def _top(chain: Ancestors) -> float:
    leaf = chain[-1]
    return leaf.position_y if isinstance(leaf, boxes.LineBox) else leaf.border_box_y()


def _extent(box: boxes.Box) -> float:
    """The height of what a box shows on its page, from its first content's top to its
    last's bottom (a box cut by a break may reach further, to the foot of the page)."""
    shown = [(leaf,) for leaf, _ in _walk(box) if _is_content(leaf)]
    return max(map(_bottom, shown)) - min(map(_top, shown)) if shown else 0.0


def _block(chain: Ancestors) -> boxes.Box:
    """The block a piece of content belongs to: the innermost box with a
    ``data-source`` (a block of a chapter), else the innermost block box."""
    for box in reversed(chain):
        if box.element is not None and box.element.get("data-source"):
            return box
    return next((box for box in reversed(chain) if isinstance(box, boxes.BlockBox)), chain[-1])


def _section(chain: Ancestors) -> int | None:
    """The innermost ``section`` element holding a piece of content."""
    return next((id(box.element) for box in reversed(chain)
                 if box.element is not None and box.element.tag == "section"), None)


def _split_blocks(layout: _Layout, parted: set[int]) -> list[Finding]:
    """An element to be kept whole (computed ``break-inside: avoid`` or ``avoid-page``:
    the theme's sidebars, tiles, quotes and figures) that shows content on more than
    one page, when it would fit on one (its pieces together no taller than the text
    area) or when a piece lands on another kind of page (a named page such as the
    back cover). Only the outermost such element is reported; one reported as
    ``caption-parted`` (``parted``) is not reported again."""
    findings: list[Finding] = []
    reported: set[int] = set()
    for key, chains in layout.chains.items():
        pages = sorted(layout.shown.get(key, ()))
        first = chains[min(chains)]
        box = first[-1]
        if (len(pages) < 2 or key in parted or box.style["break_inside"] not in
                ("avoid", "avoid-page") or any(id(b.element) in reported
                                               for b in first[:-1] if b.element is not None)
                or any(isinstance(b, boxes.TableRowGroupBox) and (b.is_header or b.is_footer)
                       for b in first)):
            continue  # (a table's header and footer rows are repeated, not split)
        pieces = [chains[page][-1] for page in pages if page in chains]
        height = sum(map(_extent, pieces)) + pieces[0].padding_top + pieces[0].border_top_width \
            + pieces[-1].padding_bottom + pieces[-1].border_bottom_width
        sheet = layout.sheets[pages[0] - layout.first]
        kinds = {(layout.sheets[page - layout.first].box.page_type.name,
                  layout.sheets[page - layout.first].body)
                 for page in pages}
        if height > sheet.box.height + TOLERANCE and len(kinds) == 1:
            continue  # taller than a page: it has to break
        reported.add(key)
        findings.append(Finding(pages[0], "split-block",
                                f"page {pages[0]}: {_describe(box)} is kept together but set "
                                f"on pages {pages[0]}–{pages[-1]}", *source_of(first)))
    return findings


def _pictured(element: Any, caption: Any) -> Any:
    """What a figure or table shows under its caption: the first of :data:`PICTURED`
    in it outside the caption (a ``table`` shows itself)."""
    if element.tag == "table":
        return element
    skip = set(map(id, caption.iter()))
    for tag in PICTURED:
        found = next((e for e in element.iter(tag) if id(e) not in skip), None)
        if found is not None:
            return found
    return None


def _captions_parted(layout: _Layout, tables: Fragments) -> dict[int, Finding]:
    """A ``figure`` or ``table`` whose caption (``figcaption``, ``caption``) shows on
    no page of what it captions: its image, or its table's body rows. Keyed by the
    figure's element."""
    findings = {}
    for key, chains in layout.chains.items():
        chain = chains[min(chains)]
        element = chain[-1].element
        if element.tag not in ("figure", "table"):
            continue
        caption = next((child for child in element if child.tag in CAPTIONS), None)
        if caption is None or (pictured := _pictured(element, caption)) is None:
            continue
        captioned = layout.shown.get(id(caption), set())
        rows = {page for page, count, *_ in tables.get(id(pictured), ()) if count}
        shows = rows or layout.shown.get(id(pictured), set())
        if not captioned or not shows or captioned & shows:
            continue
        before = max(captioned) < min(shows)
        page, other = (max(captioned), min(shows)) if before else (min(captioned), max(shows))
        what = "table" if pictured.tag == "table" else "image"
        findings[key] = Finding(page, "caption-parted", f"page {page}: the caption "
                                f"'{_clip(' '.join(caption.itertext()))}' is on page {page}, "
                                f"its {what} on page {other}", *source_of(chain))
    return findings


def _footnotes_parted(layout: _Layout) -> list[Finding]:
    """A footnote (``float: footnote``) set on another page than its call: WeasyPrint
    moves a note that does not fit under its call's page to the next page
    (``layout/page.py``, reported footnotes)."""
    findings = []
    for key, (page, chain) in layout.calls.items():
        placed = layout.notes.get(key)
        if placed is None or placed[0] == page:
            continue
        findings.append(Finding(page, "footnote-parted", f"page {page}: the footnote "
                                f"'{_text(placed[1][-1])}' called on this page is set on "
                                f"page {placed[0]}", *source_of(chain)))
    return findings


def _lone_blocks(layout: _Layout, parted: set[int], short: float = 0.1) -> list[Finding]:
    """A body page that holds nothing but one line, or one block no taller than
    ``short`` of the text area, that continues the page before (no forced break) and
    ends its run or its ``section``: the close of a section pushed onto a page of
    its own. A table's rows are not judged here (a lone row is a
    ``table-orphan-row``), nor a caption of a figure in ``parted``."""
    findings = []
    for sheet in layout.sheets:
        if not sheet.body or not sheet.content or layout.starts_run(sheet) or any(
                isinstance(box, boxes.TableBox) or id(box.element) in parted
                for box in sheet.content[0]):
            continue
        line = len(sheet.content) == 1 and isinstance(sheet.content[0][-1], boxes.LineBox)
        blocks = {id(_block(chain)) for chain in sheet.content}
        extent = max(map(_bottom, sheet.content)) - min(map(_top, sheet.content))
        if not (line or len(blocks) == 1 and extent <= short * sheet.box.height):
            continue
        after = layout.sheet(sheet.number + 1)
        if not (layout.ends_run(sheet) or after is None or not after.content
                or _section(after.content[0]) != _section(sheet.content[-1])):
            continue
        block = _block(sheet.content[0])
        findings.append(Finding(sheet.number, "lone-block", f"page {sheet.number}: "
                                f"{_describe(block)} stands alone at the end of its section, "
                                f"pushed over from page {sheet.number - 1}",
                                *source_of(sheet.content[0])))
    return findings


def _hole(sheet: _Sheet) -> float:
    """The empty height at the foot of a page's room for text, in CSS pixels."""
    return max(0.0, sheet.foot - max(map(_bottom, sheet.content),
                                     default=sheet.box.content_box_y()))


def _holes(layout: _Layout, limit: float) -> list[Finding]:
    """A body page, not the last of its run, whose content ends more than ``limit``
    (a fraction) of the text area's height above the foot of the room for text (the
    footnotes' top, or the content area's bottom). The finding names the block that
    opens the next page: the one that did not fit."""
    findings = []
    for sheet in layout.sheets:
        if not sheet.body or layout.ends_run(sheet):
            continue
        hole = _hole(sheet)
        if hole <= limit * sheet.box.height:
            continue
        after = layout.sheets[sheet.number - layout.first + 1]  # a run goes on
        first = after.content[0]
        findings.append(Finding(sheet.number, "hole", f"page {sheet.number}: "
                                f"{hole / sheet.box.height:.0%} of the text area ({_pt(hole)}) "
                                f"is left empty at the foot of the page; page {after.number} "
                                f"begins with {_describe(_block(first))}", *source_of(first)))
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

def page_holes(document: Document) -> dict[int, float]:
    """The empty part at the foot of each body page that is not the last of its run:
    {page number (from 1): the height between the lowest content of the page (and the
    painted boxes around it) and the foot of the room for text — the footnote area's
    top, or the content area's bottom — as a fraction (0–1) of the content area's
    height}.

    Body pages are those :meth:`_Layout.add` counts as running text (not blank, no
    page name, with margins: a cover, an opener is artwork, not text area). The last
    page of a run (:meth:`_Layout.ends_run`: the next page begins with a forced break,
    CSS Fragmentation 3, 3.1, or is no body page — a chapter's last page) is left out,
    its foot being empty by design. The same measure as the ``hole`` finding."""
    layout = _Layout()
    for number, page in enumerate(document.pages, start=1):
        layout.add(page._page_box, number)
    return {sheet.number: _hole(sheet) / sheet.box.height for sheet in layout.sheets
            if sheet.body and not layout.ends_run(sheet) and sheet.box.height > 0}
