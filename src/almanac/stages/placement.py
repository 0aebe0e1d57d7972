"""Stage 4a — placement: what a typesetter changes after seeing the pages.

CSS as WeasyPrint implements it has no page floats (CSS Page Floats, a working draft
it does not support) and no way to give way on a ``break-inside: avoid`` it cannot
meet: a figure that does not fit the rest of a page goes to the next one and leaves
a hole at the foot of the page, and a table row taller than a page pushes the table
away from its caption. :func:`adjust` reads a laid-out document and returns the
report's HTML changed where a typesetter would change it; :mod:`.typeset` lays the
changed HTML out again, a bounded number of times, and writes the last one, so the
PDF, its structure tree, links and cross-references (``target-counter``) all come from
one and the same HTML.

What is changed, and only when the first layout shows the need:

* **A figure pushed to the next page** (an element with ``break-inside: avoid``
  that is not floated: a chart, a photo, a quote), leaving more than :data:`HOLE` of
  the previous page's text area empty (:func:`~.preflight.page_holes`): it is moved
  after the paragraphs that follow it, as many as fill the hole, splitting their prose
  block when needed (``div.prose`` becomes two ``div.prose`` with the same
  attributes). It is never moved past a heading, another figure or table (their
  numbers, set when the HTML is made, stay in order), a floated aside or out of its
  parent (its section). A figure that closes its section has no text to wait for:
  a photo is cropped to fit (down to :data:`SHRINK_PHOTO` of its height); else the
  figure is moved before the last paragraphs above it on the page, as few as make
  room for it there, which then follow it on the next page. A chart is never scaled:
  its type stays the brand's size.
* **A sidebar pushed to the next page** (a floated ``aside`` with ``break-inside:
  avoid``, which :mod:`.breaks` moves whole to the next page together with the text
  after it): moved after the paragraphs that follow it, as for a figure, so that they
  fill the page it left; never after the last paragraph of its group (it keeps text
  of its own to stand beside, not the next sidebar's or the next section's), and
  never one that opens its section (``data-reading="after-next"``: it stands before
  its heading) or a sidebar's continuation.
* **Keep-together that cannot be met**: an element with ``break-inside: avoid``
  split over pages all the same (taller than the page: a table row with a long cell,
  a row of tiles, a quote) gets ``break-inside: auto``, so it starts where it stands
  (under its table's caption and header) instead of on a page of its own. A table
  row taller than a page gets it first, in a layout of its own kept whatever it
  measures, pushed or not: kept together it can never be, and kept it leaves the rows
  before it on a page of their own and is set without its header. A table
  with such a row gets ``table-layout: fixed`` with the column widths of the first
  layout, so its columns do not change from page to page.

Reading order: the structure tree follows the HTML (:mod:`.structure`), so a moved
figure is read where it is set, after the paragraphs it was moved past — as a
sighted reader meets it, and always inside its own section.

Changes are made on the HTML text itself (start and end offsets of the elements),
so what is not changed stays byte for byte as the templates made it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from weasyprint.formatting_structure import boxes

from .preflight import _children, _overflow, _page_content, _walk, page_holes

if TYPE_CHECKING:
    from weasyprint import Document

PASSES = 3
"""Layouts at most after the first one (each must leave fewer or smaller holes)."""
HOLE = 0.2
"""The largest empty part at the foot of a body page, as a fraction of its text area."""
GAIN = 0.05
"""The least empty part at the foot of the page before an element that cannot be kept
together for giving way to be worth a layout."""
SHRINK_PHOTO = 0.7
"""The smallest height a photo closing its section is cropped to, from its own."""
AVOID = frozenset({"avoid", "avoid-page"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                  "meta", "source", "track", "wbr"})
FLOWING = frozenset({"p", "ul", "ol", "dl", "blockquote", "pre"})
"""The children of a prose block a figure may be moved past."""


# --------------------------------------------------------------------------- the HTML text

@dataclass(eq=False)
class Node:
    """An element of the HTML text: its start tag at ``start:inner``, its end tag
    ending at ``end`` (``end == inner`` for a void element)."""

    tag: str
    attrs: dict[str, str]
    start: int
    inner: int
    end: int = -1
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()


class _Parser(HTMLParser):
    """The elements of an HTML text with their offsets; a missing end tag closes
    with its parent's (as the templates write well-formed HTML, only a safety)."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.text = text
        self.lines = [0]
        for line in text.splitlines(keepends=True):
            self.lines.append(self.lines[-1] + len(line))
        self.root = Node("#document", {}, 0, 0, len(text))
        self.stack = [self.root]

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def handle_starttag(self, tag, attrs):
        start = self._offset()
        inner = start + len(self.get_starttag_text() or "")
        node = Node(tag, {k: v or "" for k, v in attrs}, start, inner,
                    parent=self.stack[-1])
        self.stack[-1].children.append(node)
        if tag in VOID:
            node.end = inner
        else:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop().end = self.stack[-1].children[-1].inner

    def handle_endtag(self, tag):
        if not any(node.tag == tag for node in self.stack[1:]):
            return
        end = self.text.index(">", self._offset()) + 1
        while self.stack[-1].tag != tag:
            node = self.stack.pop()
            node.end = end if node.end < 0 else node.end
        self.stack.pop().end = end


def _parse(text: str) -> Node:
    parser = _Parser(text)
    parser.feed(text)
    parser.close()
    for node in parser.stack[1:]:
        node.end = len(text)
    return parser.root


Key = tuple[str, int, tuple[int, ...]]
"""An element: the ``data-source`` of its nearest block, that block's occurrence
among the elements with that ``data-source``, and the element's path of child
indices below it."""


def _keys_of_nodes(root: Node) -> dict[Key, Node]:
    keys: dict[Key, Node] = {}
    seen: dict[str, int] = {}

    def visit(node: Node, block: tuple[str, int] | None, path: tuple[int, ...]) -> None:
        source = node.attrs.get("data-source")
        if source:
            seen[source] = seen.get(source, -1) + 1
            block, path = (source, seen[source]), ()
        if block is not None:
            keys[(block[0], block[1], path)] = node
        for index, child in enumerate(node.children):
            visit(child, block, path + (index,))

    visit(root, None, ())
    return keys


def _keys_of_elements(root: Any) -> dict[int, Key]:
    """The same keys for the elements WeasyPrint parsed (html5lib's ElementTree), by id."""
    keys: dict[int, Key] = {}
    seen: dict[str, int] = {}

    def visit(element: Any, block: tuple[str, int] | None, path: tuple[int, ...]) -> None:
        source = element.get("data-source")
        if source:
            seen[source] = seen.get(source, -1) + 1
            block, path = (source, seen[source]), ()
        if block is not None:
            keys[id(element)] = (block[0], block[1], path)
        children = [child for child in element if isinstance(child.tag, str)]
        for index, child in enumerate(children):
            visit(child, block, path + (index,))

    visit(root, None, ())
    return keys


def _with_style(text: str, node: Node, declarations: str) -> str:
    """``node``'s start tag with ``declarations`` added to its ``style`` attribute
    (after what it has: an inline declaration of the same property wins)."""
    tag = text[node.start:node.inner]
    match = re.search(r'\sstyle="([^"]*)"', tag)
    if match is None:
        end = -2 if tag.endswith("/>") else -1
        return f'{tag[:end]} style="{declarations}"{tag[end:]}'
    before = match.group(1).rstrip().rstrip(";")
    joined = f"{before}; {declarations}" if before else declarations
    return tag[:match.start(1)] + joined + tag[match.end(1):]


# --------------------------------------------------------------------------- the layout

@dataclass
class _Layout:
    """Where each element of the document is on the pages."""

    pages: list[dict[int, list[boxes.Box]]]  # page index → element id → its boxes
    elements: dict[int, Any]  # element id → element
    heights: list[float]  # each page's content height, CSS px

    def on(self, element_id: int) -> list[int]:
        return [i for i, page in enumerate(self.pages) if element_id in page]


def _layout(document: Document) -> _Layout:
    pages: list[dict[int, list[boxes.Box]]] = []
    elements: dict[int, Any] = {}
    for page in document.pages:
        found: dict[int, list[boxes.Box]] = {}
        for root in _page_content(page._page_box):
            for box, _ in _walk(root):
                if box.element is not None and not isinstance(box, boxes.InlineLevelBox):
                    found.setdefault(id(box.element), []).append(box)
                    elements[id(box.element)] = box.element
        pages.append(found)
    return _Layout(pages, elements, [page._page_box.height for page in document.pages])


def _root_element(document: Document) -> Any:
    for page in document.pages:
        for root in _page_content(page._page_box):
            if root.element is not None:
                return root.element
    return None


def _top(box: boxes.Box) -> float:
    return box.position_y  # the margin edge


def _bottom(box: boxes.Box) -> float:
    return box.position_y + box.margin_height()


# --------------------------------------------------------------------------- decisions

@dataclass(frozen=True)
class Edit:
    """One change of the HTML text: ``text`` replaces ``[start, end)``."""

    start: int
    end: int
    text: str


Change = list[Edit]
"""Edits made together or not at all (a figure taken out and put in elsewhere)."""


def _apply(text: str, changes: list[Change]) -> str:
    """The changes applied; a change with an edit overlapping one already taken is
    left out whole (for the next pass)."""
    taken: list[Edit] = []
    for change in changes:
        if not any(edit.start < other.end and other.start < edit.end
                   or (edit.start == other.start and edit.end == other.end)
                   for edit in change for other in taken):
            taken += change
    for edit in sorted(taken, key=lambda e: (e.start, e.end), reverse=True):
        text = text[:edit.start] + edit.text + text[edit.end:]
    return text


def _is_figure(element: Any, box: boxes.Box) -> bool:
    return (element.tag == "figure" and box.style["break_inside"] in AVOID
            and box.style["float"] == "none" and not box.is_absolutely_positioned())


def _is_aside(element: Any, box: boxes.Box) -> bool:
    """A sidebar floated beside the text that keeps together (facts, tiles), set
    where it stands in the text: not one that opens its section (set before the
    heading it floats beside, ``data-reading="after-next"``), nor the continuation of
    one cut over pages."""
    return (element.tag == "aside" and box.style["break_inside"] in AVOID
            and box.style["float"] != "none" and not box.is_absolutely_positioned()
            and element.get("data-reading") != "after-next"
            and "continued" not in (element.get("class") or "").split())


def _first_block(document_page: Any, keys: dict[int, Key]) -> Any:
    """The first element with a ``data-source`` on a page, in document order."""
    for root in _page_content(document_page._page_box):
        for box, _ in _walk(root):
            element = box.element
            if element is not None and element.get("data-source") and id(element) in keys:
                return element
    return None


def _units(figure: Node, before: bool = False) -> list[Node]:
    """What may flow up before ``figure``: the elements after it in its parent, up to
    the first that a figure may not pass — each paragraph of a prose block, a norm or
    a note whole. With ``before``, what may go down after it instead: the elements
    before it, nearest first, back to the first it may not pass."""
    parent = figure.parent
    if parent is None:
        return []
    index = parent.children.index(figure)
    siblings = reversed(parent.children[:index]) if before else parent.children[index + 1:]
    units: list[Node] = []
    for sibling in siblings:
        classes = sibling.classes
        if sibling.tag == "div" and "prose" in classes and "two-columns" not in classes:
            for child in reversed(sibling.children) if before else sibling.children:
                if child.tag not in FLOWING:
                    return units
                units.append(child)
        elif sibling.tag in ("p", "div") and {"norm", "note"} & set(classes):
            units.append(sibling)
        else:
            break
    return units


def _move(text: str, figure: Node, anchor: Node, before: bool = False) -> list[Edit]:
    """``figure`` moved right after ``anchor`` (or, with ``before``, right before it):
    a paragraph of a prose block, which is split there, or a whole block."""
    block = anchor.parent
    source = text[figure.start:figure.end]
    edits = [Edit(figure.start, figure.end, "")]
    at = anchor.start if before else anchor.end
    if block is not None and "prose" in block.classes:
        if anchor is not block.children[0 if before else -1]:  # the block split there
            reopen = text[block.start:block.inner]
            edits.append(Edit(at, at, f"</{block.tag}>{source}{reopen}"))
            return edits
        at = block.start if before else block.end
    edits.append(Edit(at, at, source))
    return edits


def _pull_up(context: _Context, figure: Node, page: int, needed: float,
             room: float) -> Node | None:
    """The nearest element before ``figure`` (:func:`_units`), all of it on ``page``
    (from 0), such that the figure (``needed`` px high with its margins) fits where that
    element starts, with ``room`` px empty at the page's foot; None when none is."""
    layout = context.layout
    found_all = [b for node in _units(figure, before=True) for b in context.boxes_of(node, page)]
    if not found_all:
        return None
    lowest = max(_bottom(b) for b in found_all)
    for unit in _units(figure, before=True):
        found = context.boxes_of(unit, page)
        key = context.node_keys.get(id(unit))
        element = context.element_ids.get(key) if key is not None else None
        if not found or element is None or layout.on(element) != [page]:
            return None
        if lowest + room - _top(found[0]) >= needed:
            return unit
    return None


def _shrink(context: _Context, figure: Node, page: int, scale: float) -> list[Edit]:
    """A photo cropped (``object-fit: cover``) to ``scale`` of its laid-out height."""
    edits: list[Edit] = []
    for node in _descendants(figure):
        if node.tag == "img" or (node.tag == "div" and "photo-frame" in node.classes):
            found = context.boxes_of(node, page)
            if not found:
                continue
            declarations = f"height: {found[0].height * scale:.2f}px"
            declarations += "; object-fit: cover" if node.tag == "img" else ""
            edits.append(Edit(node.start, node.inner,
                              _with_style(context.html, node, declarations)))
    return edits


def _descendants(node: Node) -> list[Node]:
    found = []
    for child in node.children:
        found.append(child)
        found += _descendants(child)
    return found


@dataclass
class _Context:
    """One pass: the HTML, its elements and where the layout put them."""

    document: Document
    html: str
    layout: _Layout
    element_keys: dict[int, Key]  # WeasyPrint's element id → key
    nodes: dict[Key, Node]
    done: set[Key]
    holes: dict[int, float] = field(default_factory=dict)  # page_holes of the layout
    node_keys: dict[int, Key] = field(default_factory=dict)  # id(node) → key
    element_ids: dict[Key, int] = field(default_factory=dict)  # key → WeasyPrint's element id

    def __post_init__(self) -> None:
        self.node_keys = {id(node): key for key, node in self.nodes.items()}
        self.element_ids = {key: element for element, key in self.element_keys.items()}

    def boxes_of(self, node: Node, page: int) -> list[boxes.Box]:
        """The boxes of ``node``'s element on page ``page`` (from 0)."""
        key = self.node_keys.get(id(node))
        element = self.element_ids.get(key) if key is not None else None
        return self.layout.pages[page].get(element, []) if element is not None else []


def adjust(document: Document, html: str, done: set[Key] | None = None, *,
           rows: bool = False) -> str | None:
    """The report's HTML adjusted after seeing its layout ``document`` (see the module's
    docstring), or None when the layout needs nothing. ``done`` holds the elements
    adjusted by earlier passes, which are not adjusted again (a pass never undoes
    another: the passes end). With ``rows``, only the table rows taller than a page
    give way (:func:`_giving_way`), wherever they stand."""
    done = set() if done is None else done
    root_element = _root_element(document)
    if root_element is None:
        return None
    element_keys = _keys_of_elements(root_element)
    tree = _parse(html)
    nodes = _keys_of_nodes(tree)
    layout = _layout(document)
    context = _Context(document, html, layout, element_keys, nodes, done, page_holes(document))
    edits = _giving_way(context, rows=True) if rows else \
        _figures(context) + _giving_way(context)
    if not edits:
        return None
    return _apply(html, edits)


def _figures(context: _Context) -> list[Change]:
    """Moves (or crops) the figures pushed to the next page from a page left with a
    hole larger than :data:`HOLE`."""
    layout, edits = context.layout, []
    for number, hole in sorted(context.holes.items()):
        if hole <= HOLE or number >= len(layout.pages):
            continue
        index = number  # the next page, from 0
        page = layout.pages[index]
        element = _first_block(context.document.pages[index], context.element_keys)
        if element is None or id(element) not in page:
            continue
        box = page[id(element)][0]
        key = context.element_keys[id(element)]
        figure = context.nodes.get(key)
        if (figure is None or key in context.done or layout.on(id(element)) != [index]):
            continue
        aside = _is_aside(element, box)
        if not (aside or _is_figure(element, box)):
            continue
        height = layout.heights[index - 1]
        room = hole * height
        # the text after a figure starts under it; beside a sidebar, at its top
        top = _top(box) if aside else _bottom(box)
        chosen: Node | None = None
        filled = 0.0
        units = _units(figure)
        last = units[-1] if units and aside else None
        for unit in units:
            found = context.boxes_of(unit, index)
            if not found:
                break
            bottom = max(_bottom(b) for b in found)
            # a paragraph the page cannot end is split by it (the figure follows its
            # end on the next page); a sidebar keeps text of its own to stand beside:
            # after its group's last paragraph it would stand beside what follows (the
            # next sidebar's text, the next section)
            if bottom - top <= room or (room - filled > HOLE * height and unit is not last):
                chosen, filled = unit, bottom - top
            if filled >= room or room - filled <= HOLE * height:
                break
        if chosen is not None:
            context.done.add(key)
            edits.append(_move(context.html, figure, chosen))
            continue
        if aside:
            continue  # a sidebar is never cropped, nor set before the text it follows
        # nothing may flow up (it closes its section): a photo is cropped to fit
        pictures = [b for node in _descendants(figure) if node.tag == "img"
                    for b in context.boxes_of(node, index)]
        scalable = sum(b.height for b in pictures)
        # its margins whole, the top one taken twice (it may collapse with a larger
        # one above): a figure ending flush with the page would hang its bottom
        # margin, and its section's, past the page's foot
        needed = box.margin_height() + box.margin_top + box.margin_bottom
        scale = (room - needed + scalable) / scalable if scalable > 0 else 0
        if "photo" in figure.classes and SHRINK_PHOTO <= scale < 1:
            context.done.add(key)
            edits.append(_shrink(context, figure, index, scale * 0.99))
            continue
        # or the text before it on the page goes down with it, so that it stands there
        earlier = _pull_up(context, figure, index - 1, box.margin_height(), room)
        if earlier is not None:
            context.done.add(key)
            edits.append(_move(context.html, figure, earlier, before=True))
    return edits


def _giving_way(context: _Context, rows: bool = False) -> list[Change]:
    """``break-inside: auto`` for each kept-together element split over pages and
    taller than a page, when it was pushed away from a page with room; its table (if
    any) gets fixed column widths. With ``rows``, the table rows taller than a page
    only, pushed or not: such a row can never be kept together, and kept it leaves its
    rows before it, the caption and the header row on a page of their own and is set
    without the header (WeasyPrint repeats a ``thead`` only on the pages where the row
    starts under it)."""
    layout, edits = context.layout, []
    tables: dict[int, boxes.TableBox] = {}
    for element_id in layout.elements:
        pages = layout.on(element_id)
        if len(pages) < 2:
            continue
        first = layout.pages[pages[0]][element_id][0]
        if first.style["break_inside"] not in AVOID:
            continue
        if rows and not isinstance(first, boxes.TableRowBox):
            continue
        total = sum(box.margin_height() for i in pages for box in layout.pages[i][element_id])
        if total < min(layout.heights[i] for i in pages) * 0.95:
            continue  # it fits on a page: kept together elsewhere (a sidebar's own rules)
        if not rows and context.holes.get(pages[0], 0.0) <= GAIN:
            continue  # nothing to gain: it was not pushed away from a page with room
        key = context.element_keys.get(element_id)
        node = context.nodes.get(key) if key is not None else None
        if key is None or node is None or key in context.done:
            continue
        context.done.add(key)
        edits.append([Edit(node.start, node.inner,
                           _with_style(context.html, node, "break-inside: auto"))])
        if isinstance(first, boxes.TableRowBox):
            table = _table_of(first, layout)
            if table is not None:
                tables[id(table.element)] = table
    for table in tables.values():
        edits.append(_fixed_widths(context, table))
    return edits


def _table_of(row: boxes.Box, layout: _Layout) -> boxes.TableBox | None:
    for page in layout.pages:
        for found in page.values():
            for box in found:
                if isinstance(box, boxes.TableBox) and any(
                        row in _children(group) for group in _children(box)):
                    return box
    return None


def _fixed_widths(context: _Context, table: boxes.TableBox) -> list[Edit]:
    """``table-layout: fixed`` on ``table`` (CSS 2.1, 17.5.2.1: the first row's cells set
    the columns), the cells of its first row in the HTML (its header) given the column
    widths of this layout as shares of the table's width: the same columns on every
    page."""
    key = context.element_keys.get(id(table.element))
    node = context.nodes.get(key) if key is not None else None
    widths = list(getattr(table, "column_widths", None) or [])
    if node is None or sum(widths) <= 0:
        return []
    first = next((n for n in _descendants(node) if n.tag == "tr"), None)
    if first is None:
        return []
    edits = [Edit(node.start, node.inner, _with_style(context.html, node, "table-layout: fixed"))]
    column = 0
    for cell in first.children:
        if cell.tag not in ("td", "th"):
            continue
        colspan = cell.attrs.get("colspan") or "1"
        span = int(colspan) if colspan.isdigit() and int(colspan) > 0 else 1
        share = 100 * sum(widths[column:column + span]) / sum(widths)
        column += span
        edits.append(Edit(cell.start, cell.inner,
                          _with_style(context.html, cell, f"width: {share:.3f}%")))
    return edits


def excess(document: Document) -> float:
    """How much of the body pages' text areas lies empty at their feet beyond
    :data:`HOLE` (the sum, in page heights, over :func:`~.preflight.page_holes`)."""
    return sum(max(0.0, hole - HOLE) for hole in page_holes(document).values())


def overflows(document: Document) -> int:
    """The preflight's ``overflow`` findings of a layout (a pass must not add one)."""
    return sum(len(_overflow(page._page_box, number))
               for number, page in enumerate(document.pages, start=1))


def placed(document: Document, html: str, lay_out: Callable[[str], Document]
           ) -> tuple[Document, str, int]:
    """The passes: ``document`` (laid out from ``html``), its table rows taller than a
    page given way first (one layout more, kept whatever it measures), then adjusted
    (:func:`adjust`) and
    laid out again by ``lay_out(html)`` until nothing needs adjusting, a layout leaves
    no less empty space than the one before or runs past a page's edge where that one
    did not (it is then dropped), or after
    :data:`PASSES` more layouts. Returns the document kept, its HTML and the number of
    layouts made (1 when the first needed nothing: no cost beyond a walk of its pages).
    Deterministic: the same HTML and fonts give the same passes."""
    done: set[Key] = set()
    layouts = 1
    # rows taller than a page give way first, whatever the rest: kept or not, they
    # cannot fit, and the layout without them is no measure to hold against
    adjusted = adjust(document, html, done, rows=True)
    if adjusted is not None and adjusted != html:
        document, html = lay_out(adjusted), adjusted
        layouts += 1
    score, overflowing = excess(document), None
    for _ in range(PASSES):
        adjusted = adjust(document, html, done)
        if adjusted is None or adjusted == html:
            break
        candidate = lay_out(adjusted)
        layouts += 1
        candidate_score = excess(candidate)
        if candidate_score >= score:
            break
        overflowing = overflows(document) if overflowing is None else overflowing
        candidate_overflowing = overflows(candidate)
        if candidate_overflowing > overflowing:
            break
        document, html, score = candidate, adjusted, candidate_score
        overflowing = candidate_overflowing
    return document, html, layouts
