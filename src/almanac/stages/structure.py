"""The structure tree of a tagged PDF (ISO 32000-1, 14.7–14.8; PDF/UA-1, ISO 14289-1,
7), built from the report's HTML rather than from WeasyPrint's pages.

WeasyPrint 70 marks every piece of text it draws with a marked-content identifier
(``/Span <</MCID n>> BDC … EMC``, its ``Stream.marked``) and every background and
border as an artifact; its own tag builder (``weasyprint/pdf/tags.py``) then makes one
tree per *page*, from the boxes. Read by a screen reader that tree is wrong in ways a
report cannot accept: a paragraph cut by a page break is two paragraphs, a section is
one ``Sect`` per page, the running heads and page numbers are tagged but hang outside
the tree, every text fragment is a ``Span`` of its own, links nest inside links and the
contents' leader dots are link text.

This module builds the tree once for the whole document, from the HTML *elements* the
boxes came from: every element is one structure element however many pages and boxes
it spans, in source order, with the role its HTML element has (``section`` → ``Sect``,
``h2`` → ``H2``, ``li`` → ``LI`` with ``Lbl`` and ``LBody``, a table's ``th`` →
``TH`` with ``/Scope``, a ``float: footnote`` → ``Note`` right after its call). What is
not content becomes an artifact (ISO 32000-1, 14.8.2.2): the page margin boxes
(running heads, page numbers: ``/Pagination``), leader dots, elements marked
``aria-hidden="true"``, images with an empty ``alt``. Inline elements (``em``,
``strong``, ``span``) add no element of their own unless they carry a ``lang`` of
their own (a ``Span`` with ``/Lang``), so the tree holds what a reader needs and the
file stays small.

WeasyPrint's builder is replaced through its module attribute ``weasyprint.pdf.add_tags``
once per process (as :mod:`.typeset` routes WeasyPrint's log records); the replacement
calls this builder only for a build that asked for it (a context variable), and
WeasyPrint's own builder for anything else in the process.
"""

from __future__ import annotations

import contextvars
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pydyf

LinkDescriber = Callable[[str, int | None], str]
"""``(text, page) -> description``: a link's ``/Contents`` (PDF/UA-1, 7.18.5) from the
link's own text (or its ``aria-label``) and, for a link inside the document, the
1-based number of the page it leads to (None for a link that leaves the document)."""


@dataclass
class Tagging:
    """What a tagged build needs besides the document: how a link is described."""

    describe_link: LinkDescriber
    first_page: int = 0
    """The 0-based index in the whole document of the document's first page: a part
    of a document typeset apart (:mod:`.paging`) describes its links with the pages
    of the whole."""
    outside: dict[str, int] = field(default_factory=dict)
    """Anchors of the rest of the whole document → their 0-based page index."""


_tagging: contextvars.ContextVar[Tagging | None] = contextvars.ContextVar(
    "almanac_tagging", default=None)
_install_lock = threading.Lock()
_original: Any = None


def _dispatch(pdf, document, pdf_version, page_streams):
    tagging = _tagging.get()
    if tagging is None:
        return _original(pdf, document, pdf_version, page_streams)
    return build_structure(pdf, document, page_streams, tagging)


@contextmanager
def tagged(tagging: Tagging) -> Iterator[None]:
    """Within this context, a PDF that WeasyPrint writes with tags (``pdf_tags`` or a
    tagged ``pdf_variant``) in this thread gets the structure tree of
    :func:`build_structure` instead of WeasyPrint's."""
    global _original
    import weasyprint.pdf as weasyprint_pdf

    with _install_lock:
        if weasyprint_pdf.add_tags is not _dispatch:
            _original = weasyprint_pdf.add_tags
            weasyprint_pdf.add_tags = _dispatch
    token = _tagging.set(tagging)
    try:
        yield
    finally:
        _tagging.reset(token)


# ------------------------------------------------------------------ roles

BLOCK_ROLES = {
    "section": "Sect", "article": "Art", "main": "Part", "nav": "Sect", "aside": "Div",
    "header": "Div", "footer": "Div", "div": "Div", "figure": "Div", "p": "P",
    "blockquote": "BlockQuote", "address": "P", "pre": "P", "caption": "Caption",
    "figcaption": "Caption", "table": "Table", "thead": "THead", "tbody": "TBody",
    "tfoot": "TFoot", "tr": "TR", "th": "TH", "td": "TD", "ul": "L", "ol": "L", "dl": "L",
    "h1": "H1", "h2": "H2", "h3": "H3", "h4": "H4", "h5": "H5", "h6": "H6",
    "hr": None, "br": None,
}
"""Block-level HTML elements and the standard structure type each becomes
(ISO 32000-1, 14.8.4; HTML's own mapping in the W3C's *HTML-AAM*); None: no element."""

INLINE_ROLES = {"a": "Link", "q": "Quote", "code": "Code"}
"""Inline elements that are structure elements of their own; every other inline
element (``em``, ``strong``, ``span``, ``sup`` …) adds its text to its parent's."""

HTML = "{http://www.w3.org/1999/xhtml}"
SVG = "{http://www.w3.org/2000/svg}svg"


def _tag(element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag[len(HTML):] if tag.startswith(HTML) else tag


@dataclass(eq=False)
class Node:
    """One structure element while the tree is built."""

    role: str
    element: Any = None
    parent: Node | None = None
    kids: list[Any] = field(default_factory=list)  # Node | (page, WeasyPrint's MCID)
    attributes: dict[str, Any] = field(default_factory=dict)
    page: int | None = None  # the page of its first content
    pdf: Any = None  # the pydyf dictionary, once written
    extra: Any = None  # for LI: its Lbl and LBody, once made
    drawn: list[tuple[str, str]] = field(default_factory=list)  # Link: (box tag, text)


class _Builder:
    def __init__(self, document, tagging: Tagging):
        self.document = document
        self.tagging = tagging
        self.root = Node("Document")
        self.nodes: dict[Any, Node] = {}
        self.parents: dict[Any, Any] = {}
        self.previous: dict[Any, Any] = {}  # element -> the sibling element before it
        self.artifacts: dict[int, dict[int, str]] = {}  # page -> mcid -> artifact type
        self.real: dict[int, dict[int, Node]] = {}  # page -> mcid -> node
        self.actual_text: dict[tuple[int, int], str] = {}
        self.annotations: list[tuple[Node, Any, int]] = []
        self.anchor_pages: dict[str, int] = {}
        self.ids: list[tuple[str, Node]] = []
        self.footnotes: set[Any] = set()
        self.hidden: dict[Any, bool] = {}  # element -> aria-hidden, itself or an ancestor
        self.heading_level = 0  # the level of the last heading met
        self.renumbered: dict[tuple[int, int], int] = {}  # (page, WeasyPrint's MCID) -> MCID
        html = next((box.element for page in document.pages[:1]
                     for box in page._page_box.children
                     if box.element is not None and box.element_tag == "html"), None)
        if html is not None:
            for parent in html.iter():
                before = None
                for child in parent:
                    self.parents[child] = parent
                    if before is not None:
                        self.previous[child] = before
                    before = child
            self.language = html.get("lang") or ""
        else:
            self.language = ""
        for number, page in enumerate(document.pages):
            for anchor in page.anchors:
                self.anchor_pages.setdefault(anchor, number)

    # ---------------------------------------------------------------- walk

    def walk(self, page_number: int, box, tags: dict, state: str | None = None) -> None:
        """Visit ``box`` and its descendants in tree order (the source order);
        ``state`` is the artifact type every mark inside gets, if any."""
        from weasyprint.formatting_structure import boxes
        from weasyprint.layout.absolute import AbsolutePlaceholder

        if isinstance(box, AbsolutePlaceholder):
            box = box._box
        if isinstance(box, boxes.MarginBox):
            state = "Pagination"
        elif getattr(box, "is_leader", False):
            state = state or "Layout"
        elif state is None and box.element is not None and self._hidden(box):
            state = "Layout"
        if box in tags:
            mark = tags[box]
            if state is not None:
                self.artifacts.setdefault(page_number, {})[mark["mcid"]] = state
            else:
                self.content(page_number, box, mark["mcid"])
        annotation = getattr(box, "link_annotation", None)
        if annotation is not None and state != "Pagination":
            self.annotations.append((self.node_for(box, page_number), annotation,
                                     page_number))
        for child in getattr(box, "children", ()):
            self.walk(page_number, child, tags, state)

    def _hidden(self, box) -> bool:
        """Whether the box's content is no content: its element or an ancestor is
        ``aria-hidden="true"``, or it is an image with an empty ``alt``."""
        if self._aria_hidden(box.element):
            return True
        tag = _tag(box.element)
        if tag in ("img", "svg", SVG) and box.element.get("alt") == "" \
                and box.element_tag in ("img", SVG):
            return True
        return False

    def _aria_hidden(self, element) -> bool:
        """``aria-hidden="true"`` on the element or an ancestor (known per element)."""
        if element not in self.hidden:
            parent = self.parents.get(element)
            self.hidden[element] = element.get("aria-hidden") == "true" or (
                parent is not None and self._aria_hidden(parent))
        return self.hidden[element]

    # ---------------------------------------------------------------- content

    def content(self, page_number: int, box, mcid: int) -> None:
        """A marked piece of content: text, an image."""
        from weasyprint.formatting_structure import boxes

        node = self.node_for(box, page_number)
        if isinstance(box, boxes.TextBox):
            text = self._dehyphenated(box)
            if text is not None:
                self.actual_text[(page_number, mcid)] = text
        node.kids.append((page_number, mcid))
        if node.role == "Link" and isinstance(box, boxes.TextBox):
            node.drawn.append((box.element_tag, box.text))
        if node.page is None:
            node.page = page_number
        self.real.setdefault(page_number, {})[mcid] = node
        if node.role == "Figure" and "BBox" not in node.attributes:
            scale = 0.75  # CSS px → PDF points (72 / 96)
            height = self.document.pages[page_number].height * scale
            x1, y1 = box.content_box_x() * scale, box.content_box_y() * scale
            x2, y2 = x1 + box.width * scale, y1 + box.height * scale
            node.attributes["BBox"] = [round(x1, 2), round(height - y2, 2),
                                       round(x2, 2), round(height - y1, 2)]

    def _dehyphenated(self, box) -> str | None:
        """The text of a line that ends in a hyphen set by hyphenation, with that
        hyphen as U+00AD SOFT HYPHEN (ISO 32000-1, 14.8.2.2.3: a hyphen that only marks
        a line break is a soft hyphen in the text, so copying joins the word); None for
        any other text."""
        hyphen = box.style["hyphenate_character"]
        text = box.text
        if not hyphen or not text.endswith(hyphen) or box.element is None:
            return None
        word = text.split()[-1] if text.split() else text
        source = " ".join("".join(box.element.itertext()).replace("\u00ad", "").split())
        if word in source:  # a hyphen of the text itself ("Noord-", "inzet- en")
            return None
        # without the characters that draw nothing (a zero-width space where a long
        # word may break, a soft hyphen not taken), which copying never gave
        return re.sub("[\u200b\u00ad]", "", text[:-len(hyphen)]) + "\u00ad"

    # ---------------------------------------------------------------- nodes

    def node_for(self, box, page_number: int) -> Node:
        """The structure element a box's content belongs to (created with its
        ancestors when first met)."""
        element = box.element
        if element is None:
            return self.root
        pseudo = box.element_tag.split("::", 1)[1] if "::" in box.element_tag else ""
        if pseudo == "footnote-call":
            self.footnotes.add(element)
            note = self.element_node(element, page_number)
            reference = self._kid(note.parent, "Reference", note, page_number) \
                if note.parent is not None else None
            return reference if reference is not None else note
        node = self.element_node(element, page_number)
        if pseudo == "marker" and node.role == "LI":
            return self._part(node, "Lbl", page_number)
        link_node = self._inside_link(node)
        if link_node is not None:
            return link_node
        if node.role == "LI":
            return self._part(node, "LBody", page_number)
        return node

    def _inside_link(self, node: Node) -> Node | None:
        current: Node | None = node
        while current is not None:
            if current.role == "Link":
                return current
            current = current.parent
        return None

    def _kid(self, parent: Node, role: str, before: Node, page_number: int) -> Node:
        """A new element of ``role`` under ``parent``, just before ``before``."""
        kid = Node(role, parent=parent, page=page_number)
        index = parent.kids.index(before) if before in parent.kids else len(parent.kids)
        parent.kids.insert(index, kid)
        return kid

    def _part(self, node: Node, role: str, page_number: int) -> Node:
        """A list item's ``Lbl`` (first among its kids) or ``LBody`` (its content
        besides the label), made when first needed. A note's marker is the note's own
        text: ``Lbl`` belongs in ``LI`` and ``TOCI`` (ISO 32000-1, 14.8.4.3.3)."""
        if node.extra is None:
            node.extra = {}
        if role not in node.extra:
            part = Node(role, parent=node, page=page_number)
            node.kids.insert(0 if role == "Lbl" else len(node.kids), part)
            node.extra[role] = part
        return node.extra[role]

    def element_node(self, element, page_number: int) -> Node:
        """The node of an HTML element, or of the nearest ancestor that is one."""
        if element in self.nodes:
            return self.nodes[element]
        tag = _tag(element)
        if tag in ("html", "body") or element not in self.parents:
            self.nodes[element] = self.root
            return self.root
        parent_element = self.parents.get(element)
        parent = self.element_node(parent_element, page_number) \
            if parent_element is not None else self.root
        if element in self.nodes:  # made while its parent was (a table's cells)
            return self.nodes[element]
        role = self._role(element, tag, parent)
        if role is None:  # transparent: its content is its parent's
            self.nodes[element] = parent
            return parent
        # A link's content is the link's: no element inside one (no link in a link).
        enclosing_link = self._inside_link(parent)
        if enclosing_link is not None:
            self.nodes[element] = enclosing_link
            return enclosing_link
        if parent.role == "LI":  # an item's content (a nested list too) is its body
            parent = self._part(parent, "LBody", page_number)
        if parent.role == "L" and role in ("Lbl", "LBody"):  # a dl's dt and dd
            last = parent.kids[-1] if parent.kids else None
            item = last if isinstance(last, Node) and last.role == "LI" and role == "LBody" \
                and "LBody" not in (last.extra or {}) else None
            if item is None:
                item = Node("LI", parent=parent, page=page_number, extra={})
                parent.kids.append(item)
            node = Node(role, element=element, parent=item, page=page_number)
            item.kids.append(node)
            item.extra[role] = node
            self.nodes[element] = node
            return node
        if re.fullmatch(r"H[1-6]", role):
            role = self._heading(int(role[1]))
        node = Node(role, element=element, parent=parent, page=page_number)
        self._describe(node, element, tag, parent)
        target = self._reading_position(parent, element)
        if target is None:
            parent.kids.append(node)
        else:
            parent.kids.insert(target, node)
        self.nodes[element] = node
        if role == "Table":
            self._cells(element, node, page_number)
        return node

    def _heading(self, level: int) -> str:
        """The heading's structure type: its level, but at most one deeper than the
        heading before it (PDF/UA-1, 7.4.2, Matterhorn 14-003: no level is skipped),
        e.g. a heading block (``h3``) in a chapter section without a title."""
        level = min(level, self.heading_level + 1)
        self.heading_level = level
        return f"H{level}"

    def _cells(self, table, node: Node, page_number: int) -> None:
        """Every row and cell of a table, made when the table is met, so that an empty
        cell keeps its place (a screen reader pairs cells with headers by position)."""
        for element in table.iter():
            if _tag(element) in ("tr", "th", "td") and element is not table:
                self.element_node(element, page_number)

    def _reading_position(self, parent: Node, element) -> int | None:
        """Where a new element goes among its parent's kids: last, except after
        siblings marked ``data-reading="after-next"`` (an aside set before the
        heading or paragraph it floats beside, for the layout's sake): the element
        goes before the first of them, so it is read first (PDF/UA-1, 7.2: the logical
        reading order is the order of the structure tree)."""
        earliest = None
        sibling = self.previous.get(element)
        while sibling is not None and sibling.get("data-reading") == "after-next":
            node = self.nodes.get(sibling)
            if node is not None and node in parent.kids:
                earliest = parent.kids.index(node)
            sibling = self.previous.get(sibling)
        return earliest

    def _role(self, element, tag: str, parent: Node) -> str | None:
        """The structure type of an HTML element (:data:`BLOCK_ROLES`,
        :data:`INLINE_ROLES`, ARIA roles of DPUB-ARIA and WAI-ARIA), None for an
        element whose content is its parent's."""
        role = (element.get("role") or "").strip()
        if role in ("presentation", "none"):
            return None
        if role == "doc-toc" or (parent.role == "TOCI" and tag in ("ol", "ul")):
            return "TOC"  # the contents, and the entries under an entry
        if parent.role == "TOC" and tag == "li":
            return "TOCI"
        if tag == "li":
            return "LI"
        if tag == "dt":
            return "Lbl"
        if tag == "dd":
            return "LBody"
        if tag in ("img", "svg") or element.tag == SVG or tag == "object":
            return "Figure"
        if tag == "a" and element.get("href") is not None:
            return "Link"
        if role == "doc-footnote" or role == "note" or self._is_footnote(element):
            return "Note"
        if role in ("heading",) and element.get("aria-level", "").isdigit():
            return f"H{min(6, max(1, int(element.get('aria-level'))))}"
        if tag in BLOCK_ROLES:
            return BLOCK_ROLES[tag]
        if tag in INLINE_ROLES:
            return INLINE_ROLES[tag]
        if element.get("lang") and element.get("lang") != self._language_of(parent):
            return "Span"
        return None

    def _is_footnote(self, element) -> bool:
        """A ``float: footnote`` element: one whose call was met (WeasyPrint lays the
        note out with ``float: none`` in the footnote area; its call, the
        ``::footnote-call`` pseudo-element, comes first in the walk)."""
        return element in self.footnotes

    def _language_of(self, node: Node | None) -> str:
        while node is not None:
            if node.element is not None and node.element.get("lang"):
                return node.element.get("lang")
            node = node.parent
        return self.language

    def _describe(self, node: Node, element, tag: str, parent: Node) -> None:
        """Attributes of the new element: /Lang, /Alt, table scope, note id."""
        language = element.get("lang")
        if language and language != self._language_of(parent):
            node.attributes["Lang"] = language
        if node.role == "Figure":
            alt = element.get("alt") or element.get("aria-label")
            if element.tag == SVG:
                title = element.find("{http://www.w3.org/2000/svg}title")
                alt = alt or (title.text if title is not None else None)
            if alt:
                node.attributes["Alt"] = alt
        elif node.role == "TH":
            scope = (element.get("scope") or "").lower()
            if scope not in ("row", "col", "rowgroup", "colgroup", "both"):
                section = self._section_of(element)
                scope = "col" if section == "thead" else "row"
            node.attributes["Scope"] = {"row": "Row", "rowgroup": "Row", "col": "Column",
                                        "colgroup": "Column", "both": "Both"}[scope]
        elif node.role == "Note":
            ident = f"note-{len(self.ids) + 1}"
            node.attributes["ID"] = ident
            self.ids.append((ident, node))
        elif node.role == "L":
            style = "Decimal" if tag == "ol" else "None" if tag == "dl" else "Disc"
            node.attributes["ListNumbering"] = style

    def _section_of(self, element) -> str:
        current = self.parents.get(element)
        while current is not None:
            tag = _tag(current)
            if tag in ("thead", "tbody", "tfoot", "table"):
                return tag
            current = self.parents.get(current)
        return ""

    # ---------------------------------------------------------------- text of a link

    def link_text(self, node: Node) -> str:
        """What a link says: its ``aria-label`` or ``title``, else the text drawn in it
        (with what the stylesheet adds, such as a page number from ``target-counter``)."""
        element = node.element
        label = element.get("aria-label") or element.get("title") \
            if element is not None else None
        if not label:  # a space where the text of one box ends and another's (::after) starts
            label = "".join(text if index == 0 or tag == node.drawn[index - 1][0]
                            else " " + text for index, (tag, text) in enumerate(node.drawn))
        return " ".join(label.split())

    def describe(self, node: Node, page: int | None) -> str:
        """A link's ``/Contents``: its text, and the page it leads to in the words of
        :attr:`Tagging.describe_link` ("Results, page 12"), unless the text already
        says it ("figure 3 on page 12"); a bare page number after the text (a
        contents entry) is said in those words too."""
        text = self.link_text(node)
        if page is None:
            return text
        bare = re.fullmatch(rf"(.*\S)\s+{page}", text)  # a contents entry: title, number
        if bare:
            return self.tagging.describe_link(bare[1], page)
        if re.search(rf"(?<!\d){page}(?!\d)", text):
            return text
        return self.tagging.describe_link(text, page)


def build_structure(pdf, document, page_streams, tagging: Tagging) -> None:
    """Write the structure tree of ``document`` into ``pdf`` (a ``pydyf.PDF`` being
    written by WeasyPrint; ``page_streams`` its page content streams, whose marked
    content WeasyPrint recorded as ``stream._tags``: box → ``{"tag", "mcid"}``).

    Sets the catalogue's ``/StructTreeRoot``, ``/MarkInfo <</Marked true>>`` and
    ``/ViewerPreferences /DisplayDocTitle``; each page's ``/StructParents``; each link
    annotation's ``/StructParent`` and ``/Contents``. In the content streams the
    marks of artifacts become ``/Artifact`` sequences and the marked-content
    identifiers are numbered again from 0 on every page (ISO 32000-1, 14.7.4.4)."""
    builder = _Builder(document, tagging)
    for number, (page, stream) in enumerate(zip(document.pages, page_streams)):
        builder.walk(number, page._page_box, stream._tags)
    _rewrite_marks(pdf, page_streams, builder)
    _write_tree(pdf, document, builder)
    _hyphen_as_hyphen_minus(pdf)


_HYPHEN_TARGET = re.compile(rb"^(<[0-9a-f]{4}>) <2010>$")


def _hyphen_as_hyphen_minus(pdf) -> None:
    """In every font's ``/ToUnicode`` CMap, a glyph mapped to U+2010 HYPHEN maps to
    U+002D HYPHEN-MINUS instead. WeasyPrint maps a glyph to the last text it drew it
    for (``weasyprint/draw/text.py``): with hyphenation, the glyph a font shares
    between ``-`` and U+2010 becomes U+2010, and every hyphen of the text is then
    copied and searched as U+2010, which no one types. The hyphens set by
    hyphenation are soft hyphens through ``/ActualText`` (:meth:`_Builder._dehyphenated`)."""
    for item in pdf.objects:
        lines = getattr(item, "stream", None)
        if not isinstance(lines, list) or b"/CMapName /Adobe-Identity-UCS def" not in lines:
            continue
        for index, line in enumerate(lines):
            if isinstance(line, bytes) and line.endswith(b"<2010>"):
                lines[index] = _HYPHEN_TARGET.sub(rb"\1 <002d>", line)


def _rewrite_marks(pdf, page_streams, builder: _Builder) -> None:
    """Make artifacts' marks ``/Artifact`` sequences, set ``/ActualText`` and renumber
    the real marks of each page 0, 1, 2 … in the order they are drawn."""
    owner = {id(stream._tags): number for number, stream in enumerate(page_streams)}
    counters: dict[int, int] = {}
    for item in pdf.objects:
        tags = getattr(item, "_tags", None)
        if tags is None or id(tags) not in owner or not hasattr(item, "stream"):
            continue
        number = owner[id(tags)]
        page_stream = item is page_streams[number]
        operations = item.stream
        for index, operation in enumerate(operations):
            if not isinstance(operation, pydyf.Dictionary) or "MCID" not in operation:
                continue
            mcid = operation["MCID"]
            artifact = builder.artifacts.get(number, {}).get(mcid)
            node = builder.real.get(number, {}).get(mcid)
            if artifact is not None or node is None or not page_stream:
                # marked content in a form XObject cannot be referenced by page and
                # MCID alone; it is kept out of the tree as an artifact
                operations[index - 1] = "/Artifact"
                operations[index] = pydyf.Dictionary(
                    {"Type": f"/{artifact or 'Layout'}"} if artifact != "Layout" else {})
                if node is not None:
                    node.kids = [kid for kid in node.kids if kid != (number, mcid)]
                continue
            new = counters.get(number, 0)
            counters[number] = new + 1
            builder.renumbered[(number, mcid)] = new
            operation["MCID"] = new
            text = builder.actual_text.get((number, mcid))
            if text is not None:
                operation["ActualText"] = pydyf.String(text)


def _write_tree(pdf, document, builder: _Builder) -> None:
    pages = pdf.page_references
    linked = {id(node) for node, _, _ in builder.annotations}
    parent_tree: dict[int, list[Any]] = {}
    root = pydyf.Dictionary({"Type": "/StructTreeRoot"})
    pdf.add_object(root)

    kept: dict[int, bool] = {}

    def keep(node: Node) -> bool:
        """Whether an element goes into the tree: it has content left (not all of it
        became artifacts), a link annotation, or is a table row or cell (an empty cell
        keeps its place)."""
        if id(node) not in kept:
            own = any(builder.renumbered.get(kid) is not None for kid in node.kids
                      if not isinstance(kid, Node))
            kids = [keep(kid) for kid in node.kids if isinstance(kid, Node)]
            kept[id(node)] = node is builder.root or own or any(kids) or \
                id(node) in linked or node.role in ("TR", "TH", "TD")
        return kept[id(node)]

    def write(node: Node, parent_reference) -> pydyf.Dictionary:
        kids = pydyf.Array()
        first_page = None
        element = pydyf.Dictionary({"Type": "/StructElem", "S": f"/{node.role}",
                                    "P": parent_reference})
        pdf.add_object(element)
        node.pdf = element
        for kid in node.kids:
            if isinstance(kid, Node):
                if keep(kid):
                    kids.append(write(kid, element.reference).reference)
                continue
            page_number, mcid = kid
            new = builder.renumbered.get((page_number, mcid))
            if new is None:
                continue
            if first_page is None:
                first_page = page_number
            if page_number == first_page:
                kids.append(new)
            else:
                kids.append(pydyf.Dictionary({"Type": "/MCR", "Pg": pages[page_number],
                                              "MCID": new}))
            slots = parent_tree.setdefault(page_number, [])
            while len(slots) <= new:
                slots.append(None)
            slots[new] = element.reference
        if first_page is None:
            first_page = node.page
        if first_page is not None:
            element["Pg"] = pages[first_page]
        element["K"] = kids
        _attributes(element, node)
        return element

    keep(builder.root)
    document_element = write(builder.root, root.reference)
    root["K"] = pydyf.Array([document_element.reference])

    # link annotations: one OBJR each in their Link element (PDF/UA-1, 7.18.5)
    next_key = len(document.pages)
    annotations = []
    for node, annotation, page_number in _one_per_area(pdf, builder.annotations):
        if node.pdf is None:
            continue
        objr = pydyf.Dictionary({"Type": "/OBJR", "Obj": annotation.reference,
                                 "Pg": pages[page_number]})
        node.pdf["K"].append(objr)
        annotation["StructParent"] = next_key
        target = str(annotation.get("Dest").string) if annotation.get("Dest") else None
        page = builder.anchor_pages.get(target) if target else None
        page = page + builder.tagging.first_page if page is not None else \
            builder.tagging.outside.get(target) if target else None
        annotation["Contents"] = pydyf.String(builder.describe(
            node, page + 1 if page is not None else None))
        annotations.append((next_key, node.pdf.reference))
        next_key += 1

    nums = pydyf.Array()
    for number in range(len(document.pages)):
        slots = parent_tree.get(number, [])
        nums.append(number)
        nums.append(pydyf.Array([slot if slot is not None else "null" for slot in slots]))
    for key, reference in annotations:
        nums.append(key)
        nums.append(reference)
    parent = pydyf.Dictionary({"Nums": nums})
    pdf.add_object(parent)
    root["ParentTree"] = parent.reference
    root["ParentTreeNextKey"] = next_key
    if builder.ids:
        names = pydyf.Array()
        for ident, node in sorted(builder.ids, key=lambda item: item[0]):
            if node.pdf is not None:
                names.append(pydyf.String(ident))
                names.append(node.pdf.reference)
        root["IDTree"] = pydyf.Dictionary({"Names": names})
    pdf.catalog["StructTreeRoot"] = root.reference
    pdf.catalog["MarkInfo"] = pydyf.Dictionary({"Marked": "true"})
    preferences = pdf.catalog.get("ViewerPreferences") or pydyf.Dictionary()
    preferences["DisplayDocTitle"] = "true"
    pdf.catalog["ViewerPreferences"] = preferences
    if "Lang" not in pdf.catalog and builder.language:
        pdf.catalog["Lang"] = pydyf.String(builder.language)


def _one_per_area(pdf, annotations: list[tuple[Node, Any, int]]) -> list[tuple[Node, Any, int]]:
    """The link annotations, less those inside another one of the same link on the same
    page: WeasyPrint makes one per box of a link (the ``a``, a ``span`` in it, its
    ``::after``), and with ``/Tabs /S`` a keyboard stops on each. Those left out are
    taken off their page's ``/Annots``."""
    def rect(annotation) -> list[float]:
        x1, y1, x2, y2 = (float(value) for value in annotation["Rect"])
        return [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)]

    def inside(inner, outer) -> bool:
        return inner[0] >= outer[0] - 0.5 and inner[1] >= outer[1] - 0.5 and \
            inner[2] <= outer[2] + 0.5 and inner[3] <= outer[3] + 0.5

    kept: list[tuple[Node, Any, int]] = []
    dropped: list[tuple[Any, int]] = []
    by_link: dict[tuple[int, int], list[tuple[Node, Any, int]]] = {}
    for item in annotations:
        by_link.setdefault((id(item[0]), item[2]), []).append(item)
    for group in by_link.values():
        # the largest first, so that each is compared with those that may hold it
        group = sorted(group, key=lambda item: -_area(rect(item[1])))
        chosen: list[tuple[Node, Any, int]] = []
        for item in group:
            if any(inside(rect(item[1]), rect(other[1])) for other in chosen):
                dropped.append((item[1], item[2]))
            else:
                chosen.append(item)
        kept.extend(chosen)
    for annotation, page_number in dropped:
        page = pdf.objects[pdf.pages["Kids"][::3][page_number]]
        page["Annots"] = pydyf.Array([reference for reference in page["Annots"]
                                      if reference != annotation.reference])
    order = {id(item[1]): index for index, item in enumerate(annotations)}
    return sorted(kept, key=lambda item: order[id(item[1])])


def _area(box: list[float]) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


_OWNERS = {"Scope": "/Table", "ListNumbering": "/List", "BBox": "/Layout"}


def _attributes(element: pydyf.Dictionary, node: Node) -> None:
    """The node's attributes on its PDF element: ``/Alt``, ``/Lang``, ``/ID``
    entries and ``/A`` attribute objects by owner (ISO 32000-1, 14.8.5)."""
    owners: dict[str, pydyf.Dictionary] = {}
    for key, value in node.attributes.items():
        if key in ("Alt", "Lang", "ID", "ActualText"):
            element[key] = pydyf.String(value)
        elif key in _OWNERS:
            owner = owners.setdefault(_OWNERS[key], pydyf.Dictionary({"O": _OWNERS[key]}))
            owner[key] = pydyf.Array(value) if isinstance(value, list) else f"/{value}"
    if owners:
        values = list(owners.values())
        element["A"] = values[0] if len(values) == 1 else pydyf.Array(values)

