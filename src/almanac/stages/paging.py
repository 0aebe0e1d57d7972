"""Lay out one *part* of a document (a run of its chapters) exactly as the single
pass lays those pages out, given where the part starts in the whole document.

WeasyPrint lays out a document from its first page: the page counter starts at 0,
the first page is a right-hand page and matches ``@page :first``, the first element
opens no forced break, ``counter(pages)`` is the part's own page count, a named
string (``string-set``) has no value before it is set, ``target-counter()`` finds
only the part's own anchors and a link to an anchor outside it is dropped
(``weasyprint/pdf/anchors.py``, ``resolve_links``). Each of those is a state the
single pass carries across a chapter boundary; :class:`PartStart` gives them to a
part, and inside :func:`laid_out_as_part` WeasyPrint starts from them:

* ``layout_document`` (``weasyprint/layout/__init__.py``) is replaced by
  :func:`_lay_out_part`, the same loop with the first page maker state of the part
  (page counter, total, side of the page, the break that opens the part: a
  ``break-before: right`` part whose first page would be a left-hand one starts with
  the blank page the single pass inserts there), and the page total held at the
  document's;
* the pages' ``PageType`` carries its index in the whole document, so ``:first``
  and ``:nth()`` page selectors match as in the single pass;
* a ``target-counter()`` to an anchor of another part takes that anchor's page
  (``TargetCollector.lookup_target``), and records that it did;
* the margin boxes find the named strings in force before the part;
* a link to an anchor of another part is kept (``/Dest`` by name, which the merged
  document's name tree resolves).

Outside that context every replaced hook calls WeasyPrint's own, so other builds in
the process are untouched. The hooks are installed once per process, as
:mod:`.structure` installs its tag builder. WeasyPrint 70 (pinned ``>=70,<71``): the
replaced functions follow its sources line for line where they are not changed.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


class NotSplittable(Exception):
    """A part's content asks for something the single pass knows only across parts
    (the text or an element counter of an anchor in another part: ``target-text()``,
    ``target-counter(…, section)``): the document is typeset in one pass instead."""


@dataclass(frozen=True)
class PartStart:
    """Where a part starts in the whole document: the state the single pass has
    after the page before the part.

    ``first_page``: the 0-based index of the part's first page in the document (the
    page counter before it; no ``@page`` rule may reset the counter);
    ``right``: whether that page is a right-hand one; ``opening``: the forced break
    that opens the part (``"any"`` for the first part, else the break value of the
    boundary: ``"page"``, ``"right"``, ``"left"``, ``"recto"``, ``"verso"``; None:
    the break its own first element asks for, :func:`break_chains`);
    ``total``: the document's page count (``counter(pages)``); ``targets``: the
    anchors of the other parts → their 0-based page index; ``strings``: the named
    strings in force before the part (``string-set``, their last value)."""

    first_page: int = 0
    right: bool = True
    opening: str | None = "any"
    total: int = 0
    targets: dict[str, int] = field(default_factory=dict)
    strings: dict[str, str] = field(default_factory=dict)
    complete: bool = False
    """Whether ``targets`` holds every anchor of the other parts: a target not in it
    is then undefined, as in the single pass; else a guess (the part's first page)."""


@dataclass
class PartPages:
    """What laying out a part found, for the others: its page count (a blank page
    that opens it included), its anchors (name → 0-based page in the part), the last
    value of each named string it set, whether its content prints page numbers
    (``target-counter``, ``counter(page)`` outside the margins) or the page total,
    and the anchors of other parts whose numbers it printed (name → page index)."""

    pages: int
    anchors: dict[str, int]
    strings: dict[str, str]
    numbered: bool
    totalled: bool
    used: dict[str, int]
    blank: list[int] = field(default_factory=list)  # its blank pages (0-based, in the part)
    nth: bool = False  # its stylesheets select pages by their place (@page :nth())


Glyphs = dict[str, dict[int, str]]
"""A PDF font (``"<Font.hash> <font key>"``: its file's and its Pango description's
hashes, the same in every process) → glyph id → the text it was first drawn for (its
``/ToUnicode`` entry)."""


class _Part:
    """The part being laid out in this context. ``glyphs``, when set, is called with
    the glyphs the part draws of each font and returns those the whole document
    draws: each part embeds that subset, the single pass's font program, so that the
    glyphs rasterise alike (a rasteriser's auto-hinting reads the glyphs a font has),
    and maps each glyph to the text the document first drew it for, as the single pass
    does (WeasyPrint's ``/ToUnicode``: the first text drawn wins, ``draw/text.py``)."""

    def __init__(self, start: PartStart):
        self.start = start
        self.used: dict[str, int] = {}
        self.glyphs: Callable[[Glyphs], Glyphs] | None = None


_part: contextvars.ContextVar[_Part | None] = contextvars.ContextVar(
    "almanac_part", default=None)
_lock = threading.Lock()
_originals: dict[str, Any] = {}


@contextmanager
def laid_out_as_part(start: PartStart) -> Iterator[_Part]:
    """Within this context, a document WeasyPrint lays out in this thread is laid out
    as the part of a larger document that ``start`` describes."""
    _install()
    part = _Part(start)
    token = _part.set(part)
    try:
        yield part
    finally:
        _part.reset(token)


def anchor_pages(document: Any) -> tuple[dict[str, int], list[int]]:
    """Where a laid-out ``document``'s anchors are (name → 0-based page of its first
    occurrence, as WeasyPrint's links resolve it) and which of its pages are blank (a
    page a forced ``left``/``right`` break inserted)."""
    anchors: dict[str, int] = {}
    for number, page in enumerate(document.pages):
        for name in page.anchors:
            anchors.setdefault(name, number)
    return anchors, [number for number, page in enumerate(document.pages)
                     if page._page_box.page_type.blank]


def part_pages(document: Any, part: _Part) -> PartPages:
    """What the laid-out ``document`` of ``part`` tells the other parts."""
    context = _context_of(document)
    anchors, blank = anchor_pages(document)
    strings: dict[str, str] = {}
    for name, by_page in context.string_set.items():
        last = [values[-1] for number, values in sorted(by_page.items()) if values]
        if last:
            strings[name] = last[-1]
    numbered = totalled = False
    for (_, token), item in context.target_collector.counter_lookup_items.items():
        if token != "content":
            continue
        if item.missing_counters or item.missing_target_counters:
            numbered = True
        if "pages" in item.missing_counters or any(
                "pages" in names for names in item.missing_target_counters.values()):
            totalled = True
    return PartPages(len(document.pages), anchors, strings, numbered, totalled,
                     dict(part.used), blank, _selects_nth(context))


def _selects_nth(context: Any) -> bool:
    """Whether an ``@page`` rule of the document selects pages by their place
    (``:nth()``, CSS Paged Media 3, 3.2.1): a part's pages then depend on where it
    starts, not only its margins."""
    for sheet, _, _ in getattr(context.style_for, "_sheets", ()):
        for _, selectors, _ in getattr(sheet, "page_rules", ()):
            for selector in selectors:
                if getattr(selector[2], "index", None) is not None:
                    return True
    return False


def renumbered(document: Any, start: PartStart, was: PartStart) -> Any:
    """``document``, laid out from ``was``, with the page numbers, total and named
    strings of ``start`` in its margin boxes, bookmark labels and ``string-set``
    values: for a part whose content printed no page number, so that its pages do
    not change. Returns a new ``weasyprint.Document`` of the same pages."""
    from weasyprint.document import Document, Page
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import layout_backgrounds
    from weasyprint.layout.page import make_margin_boxes

    context = _context_of(document)
    shift = start.first_page - was.first_page
    for _, _, _, state, _ in context.page_maker:
        values = state[1]
        if "page" in values:
            values["page"] = [value + shift for value in values["page"]]
        values["pages"] = [start.total]
    context.almanac_strings = dict(start.strings)
    page_boxes = [page._page_box for page in document.pages]
    for number, page in enumerate(page_boxes):
        context.current_page = number + 1
        state = context.page_maker[number + 1][3]
        kept = [child for child in page.children if not isinstance(child, boxes.MarginBox)]
        page.children = tuple(kept) + tuple(make_margin_boxes(context, page, state))
        layout_backgrounds(page, context.get_image_from_uri)
    again = Document([Page(box) for box in page_boxes], document.metadata,
                     document.url_fetcher, document.font_config, document.color_profiles,
                     document.output_intent)
    again._html = getattr(document, "_html", None)
    return again


def _context_of(document: Any) -> Any:
    context = getattr(document.pages[0]._page_box, "almanac_context", None) \
        if document.pages else None
    if context is None:
        raise RuntimeError("the document was not laid out as a part")
    return context


# ---------------------------------------------------------------- the hooks


class _Stub:
    """The target box of an anchor in another part: no element counters, no text."""

    cached_counter_values: dict[str, list[int]] = {}

    def __getattr__(self, name: str) -> Any:
        raise NotSplittable(f"the content reads '{name}' of an anchor in another part")


class _DesignWidths(dict):
    """A font's glyph widths for the PDF's ``/W`` array (ISO 32000-1, 9.7.4.3): each
    glyph's advance in the font's own units (its ``hmtx`` table), per 1000 em.

    WeasyPrint records a glyph's width at the size it is first drawn (Pango's
    rounded logical width) and makes up the difference at every other size with a
    kerning offset in the text's ``TJ`` array: the bytes, and the glyphs' positions
    by rounding, then depend on which size of a glyph comes first in the document,
    so that a part typeset apart would differ from the single pass. Widths from the
    font itself do not depend on the order, in either."""

    def __init__(self, advances: list[int], upem: int):
        super().__init__()
        self.advances, self.upem = advances, upem

    def __contains__(self, glyph: object) -> bool:
        return dict.__contains__(self, glyph) or (
            isinstance(glyph, int) and 0 <= glyph < len(self.advances))

    def __missing__(self, glyph: int) -> int:
        value = self[glyph] = round(self.advances[glyph] * 1000 / self.upem)
        return value


_advances: dict[tuple[str, int], list[int]] = {}


def _font_advances(content: bytes, index: int) -> list[int]:
    """The advance widths (font units) of a font file's glyphs, by glyph id."""
    import hashlib
    import io

    from fontTools.ttLib import TTFont

    key = (hashlib.sha1(content, usedforsecurity=False).hexdigest(), index)
    if key not in _advances:
        # fontTools logs a font's odd header dates (its 'head' table): not the build's
        # business, and not to be printed on the terminal
        logger = logging.getLogger("fontTools")
        level = logger.level
        logger.setLevel(logging.ERROR)
        try:
            font = TTFont(io.BytesIO(content), fontNumber=index, lazy=True)
            metrics = font["hmtx"].metrics
            _advances[key] = [metrics[name][0] for name in font.getGlyphOrder()]
        finally:
            logger.setLevel(level)
    return _advances[key]


def install_design_widths() -> None:
    """Make every PDF font WeasyPrint writes in this process take its glyph widths
    from the font file (:class:`_DesignWidths`); a variable font keeps WeasyPrint's
    (its widths change with its axes). Once per process."""
    with _lock:
        if "Font.__init__" in _originals:
            return
        import weasyprint.pdf.fonts as fonts_module

        real_init = fonts_module.Font.__init__

        def init(self, *args, **kwargs):
            real_init(self, *args, **kwargs)
            if "fvar" not in self.tables and "hmtx" in self.tables and not self.bitmap:
                try:
                    advances = _font_advances(self.file_content, self.index)
                except Exception:  # a font fontTools cannot read: WeasyPrint's widths
                    return
                self.widths = _DesignWidths(advances, self.upem)

        real_dictionary = fonts_module._build_vector_font_dictionary

        def vector_dictionary(font_dictionary, pdf, font, widths, *args, **kwargs):
            # the widths drawn, as a plain dict (its ``in`` for the glyphs stored)
            return real_dictionary(font_dictionary, pdf, font, dict(widths), *args, **kwargs)

        _originals["Font.__init__"] = real_init
        fonts_module.Font.__init__ = init
        fonts_module._build_vector_font_dictionary = vector_dictionary


def _install() -> None:
    install_design_widths()
    with _lock:
        if "layout_document" in _originals:
            return
        import weasyprint.document as document_module
        import weasyprint.layout.page as page_module
        import weasyprint.pdf as pdf_module
        from weasyprint.css.targets import TargetCollector
        from weasyprint.layout import LayoutContext

        class PartTargets(TargetCollector):
            def lookup_target(self, anchor_token, source_box, css_token, parse_again):
                part = _part.get()
                if part is not None:
                    name = _anchor_name(anchor_token, source_box)
                    if isinstance(name, str) and name not in self.target_lookup_items:
                        self._external(part, name)
                return super().lookup_target(anchor_token, source_box, css_token,
                                             parse_again)

            def _external(self, part: _Part, name: str) -> None:
                from weasyprint.css.targets import TargetLookupItem

                page = part.start.targets.get(name)
                if page is None and part.start.complete:
                    return  # undefined, as in the single pass
                if page is None:  # not known yet: a number of the same part, for now
                    page = part.start.first_page
                item = TargetLookupItem("up-to-date")
                item.target_box = _Stub()
                item.page_maker_index = -1
                item.cached_page_counter_values = {"page": [page + 1],
                                                   "pages": [part.start.total]}
                self.target_lookup_items[name] = item
                part.used[name] = page

        class PartContext(LayoutContext):
            almanac_strings: dict[str, str] = {}

            def get_string_or_element_for(self, store, page, name, keyword):
                found = super().get_string_or_element_for(store, page, name, keyword)
                if found or store is not self.string_set or keyword == "all-once" \
                        or self.current_page in store[name]:
                    return found
                carried = self.almanac_strings.get(name)
                return (carried,) if carried is not None else found

        def targets() -> Any:
            return PartTargets() if _part.get() is not None else TargetCollector()

        def context(*args, **kwargs) -> Any:
            made = PartContext(*args, **kwargs) if _part.get() is not None \
                else LayoutContext(*args, **kwargs)
            part = _part.get()
            if part is not None:
                made.almanac_strings = dict(part.start.strings)
                made.almanac_first_page = part.start.first_page  # for the guard's count
            return made

        def lay_out(html, root_box, context, max_loops=8):
            part = _part.get()
            if part is None:
                return _originals["layout_document"](html, root_box, context, max_loops)
            return _lay_out_part(html, root_box, context, part.start, max_loops)

        real_page_type = page_module.PageType

        def page_type(side, blank, name, index, groups):
            part = _part.get()
            offset = part.start.first_page if part is not None else 0
            return real_page_type(side, blank, name, index + offset, groups)

        def resolve(pages):
            part = _part.get()
            if part is None:
                return _originals["resolve_links"](pages)
            return _resolve_links(pages, set(part.start.targets) | set(part.used))

        import weasyprint.pdf.fonts as fonts_module

        def fonts_dictionary(pdf, fonts, compress, subset, options):
            part = _part.get()
            if part is not None and part.glyphs is not None and subset:
                # by WeasyPrint's font key (a hash of the Pango description, the same
                # in every process): a font file may have several PDF fonts, each with
                # its own /ToUnicode
                mine: Glyphs = {}
                for key, font in fonts.items():
                    if not font.used_in_forms and not font.bitmap:
                        mine[f"{font.hash} {key}"] = dict(font.to_unicode)
                whole = part.glyphs(mine)
                by_file: dict[str, set[int]] = {}
                for name, texts in whole.items():
                    by_file.setdefault(name.split(" ")[0], set()).update(texts)
                for key, font in fonts.items():
                    if not font.used_in_forms and not font.bitmap:
                        font.almanac_glyphs = by_file.get(font.hash)
                        font.to_unicode = dict(whole.get(f"{font.hash} {key}",
                                                         font.to_unicode))
            return _originals["build_fonts_dictionary"](pdf, fonts, compress, subset,
                                                        options)

        real_clean = fonts_module.Font.clean

        def clean(self, to_unicode, hinting):
            extra = getattr(self, "almanac_glyphs", None)
            if extra and to_unicode:
                to_unicode = {**dict.fromkeys(extra, ""), **to_unicode}
            return real_clean(self, to_unicode, hinting)

        fonts_module.Font.clean = clean
        _originals.update(build_fonts_dictionary=pdf_module.build_fonts_dictionary)
        pdf_module.build_fonts_dictionary = fonts_dictionary
        _originals.update(TargetCollector=document_module.TargetCollector,
                          LayoutContext=document_module.LayoutContext,
                          layout_document=document_module.layout_document,
                          PageType=page_module.PageType,
                          resolve_links=pdf_module.resolve_links)
        document_module.TargetCollector = targets
        document_module.LayoutContext = context
        document_module.layout_document = lay_out
        page_module.PageType = page_type
        pdf_module.resolve_links = resolve


def _anchor_name(anchor_token: Any, source_box: Any) -> Any:
    """The anchor a ``target-*()`` token names (as ``TargetCollector.lookup_target``)."""
    from weasyprint.css.targets import anchor_name_from_token
    from weasyprint.urls import get_url_tuple

    if anchor_token[0] == "attr()":
        attr_name, type_, fallback = anchor_token[1]
        attr_value = source_box.element.get(attr_name, fallback)
        if type_ == "string":
            anchor_token = ("string", attr_value)
        elif type_ == "url":
            anchor_token = ("url", get_url_tuple(attr_value, source_box.style.base_url))
    return anchor_name_from_token(anchor_token)


def _resolve_links(pages: list[Any], outside: set[str]) -> Iterator[tuple[list, list]]:
    """``weasyprint.pdf.anchors.resolve_links``, keeping the links to ``outside``
    anchors (another part's): the merged document has them."""
    from weasyprint.logger import LOGGER

    anchors: set[str] = set()
    paged_anchors: list[list[tuple[str, float, float]]] = []
    for page in pages:
        paged_anchors.append([])
        for anchor_name, (point_x, point_y, _, _) in page.anchors.items():
            if anchor_name not in anchors:
                paged_anchors[-1].append((anchor_name, point_x, point_y))
                anchors.add(anchor_name)
    for page in pages:
        page_links = []
        for link in page.links:
            link_type, anchor_name, _, _ = link
            if link_type == "internal" and anchor_name not in anchors \
                    and anchor_name not in outside:
                LOGGER.error("No anchor #%s for internal URI reference", anchor_name)
            else:
                page_links.append(link)
        yield page_links, paged_anchors.pop(0)


def combined_break(values: list[str]) -> str:
    """The break that wins among ``values`` at a margin between siblings, in tree
    order (``weasyprint.layout.block.block_level_page_break``)."""
    result = "auto"
    for value in values:
        if value in ("left", "right", "recto", "verso") or (value, result) in (
                ("page", "auto"), ("page", "avoid"), ("page", "avoid-page"),
                ("page", "avoid-column"), ("column", "auto"), ("column", "avoid"),
                ("column", "avoid-page"), ("column", "avoid-column"), ("avoid", "auto"),
                ("avoid-page", "auto"), ("avoid-column", "auto")):
            result = value
    return result


def _body_of(root_box: Any) -> tuple[Any, list[Any]]:
    """The body's box of a document's root box, and its children in the normal flow
    (a part's chapters)."""
    body = root_box.children[0] if getattr(root_box, "children", None) else None
    return body, [child for child in getattr(body, "children", []) if child.is_in_normal_flow()]


def break_chains(root_box: Any) -> tuple[list[str], list[str]]:
    """The ``break-before`` values of the body's first in-flow child and its first
    descendants, and the ``break-after`` values of its last child and their last
    descendants (as ``block_level_page_break`` collects them)."""
    from weasyprint.layout.block import _add_break_values

    _, children = _body_of(root_box)
    leading = list(_add_break_values(children[0], "before")) if children else []
    trailing = list(_add_break_values(children[-1], "after")) if children else []
    return leading, trailing


def _names(style: Any, *properties: str) -> set[str]:
    """The counter names a box's ``counter-reset``/``-set``/``-increment`` name."""
    found: set[str] = set()
    for name in properties:
        value = style[name]
        if isinstance(value, (tuple, list)):
            found.update(counter for counter, _ in value)
    return found


def carried_counters(root_box: Any) -> set[str]:
    """The CSS counters whose values run from one part into the next, which a part
    laid out apart would start again from 0: those the root or the body reset, set
    or increment (their scope is the whole document), and those a child of the body
    (a chapter) sets or increments (their scope is the body's children), less those
    the part's first element resets itself (``.chapter { counter-reset: footnote }``
    starts each chapter's notes again) and the page-based ``page`` and ``pages``
    (CSS Lists 3, 4.4: counter inheritance and scope)."""
    body, children = _body_of(root_box)
    names = _names(root_box.style, "counter_reset", "counter_set", "counter_increment")
    if body is not None:
        names |= _names(body.style, "counter_reset", "counter_set", "counter_increment")
    for child in children:
        names |= _names(child.style, "counter_set", "counter_increment")
    if children:
        names -= _names(children[0].style, "counter_reset")
    return names - {"page", "pages"}


def _lay_out_part(html: Any, root_box: Any, context: Any, start: PartStart,
                  max_loops: int) -> Iterator[Any]:
    """``weasyprint.layout.layout_document`` for a part: the first page maker state
    is the single pass's at the part's first page, and ``pages`` stays the
    document's total."""
    import weasyprint.layout as layout_module
    from weasyprint.layout import initialize_page_maker, layout_backgrounds, layout_fixed_boxes
    from weasyprint.layout.page import make_margin_boxes

    carried = carried_counters(root_box) if start.opening != "any" else set()
    if carried:
        raise NotSplittable("counters run across chapters: " + ", ".join(sorted(carried)))
    initialize_page_maker(context, root_box)
    context.almanac_root = root_box
    resume_at, next_page, _, page_state, remake_state = context.page_maker[0]
    counters, scopes = page_state[1], page_state[2]
    counters.clear()
    counters.update({"pages": [0], "page": [start.first_page]})
    scopes[0].update({"pages", "page"})
    opening = start.opening if start.opening is not None else \
        combined_break(break_chains(root_box)[0])
    if start.opening != "any":
        # the single pass resumes inside the body here: its first child from its start,
        # the body (and the root) continued, not begun (no top margin, border or
        # padding of theirs); and a blank page that opens the part (a right-hand chapter
        # start) keeps that place, where None would end the document
        resume_at = {0: {0: None}}
    context.page_maker[0] = (resume_at, {"break": opening, "page": next_page["page"]},
                             start.right, page_state, remake_state)
    # the loop of layout_document, the document's total in place of the part's count:
    # as there, the first loop runs with a total of 0 and the next ones with the
    # total, which is what makes the contents' target-counter()s read again
    pages: list[Any] = []
    original_footnotes: list[Any] = []
    actual_total_pages = 0
    for loop in range(max_loops):
        if loop > 0:
            context.footnotes = original_footnotes.copy()
        initial_total_pages = actual_total_pages
        if loop == 0:
            original_footnotes = context.footnotes.copy()
        # looked up at each call, as layout_document does: the typesetting guard
        # wraps it (stages/guard.py)
        pages = list(layout_module.make_all_pages(context, root_box, html, pages))
        actual_total_pages = start.total
        reloop_content = reloop_pages = False
        for _, _, _, state, remake in context.page_maker:
            state[1]["pages"] = [actual_total_pages]
            if remake["content_changed"]:
                reloop_content = True
            if remake["pages_wanted"]:
                reloop_pages = initial_total_pages != actual_total_pages
        if not reloop_content and not reloop_pages:
            break

    # as layout_document: string-sets and bookmark labels with page-based counters
    watch: dict[str, list[Any]] = {"": [], "::before": [], "::after": []}
    for i, page in enumerate(pages):
        page_counter_values = context.page_maker[i + 1][3][1]
        for child in page.descendants():
            if child.bookmark_label:
                kind = "::before" if child.element_tag.endswith("::before") else \
                    "::after" if child.element_tag.endswith("::after") else ""
                if child.element in watch[kind]:
                    child.bookmark_label = ""
                else:
                    watch[kind].append(child.element)
            if child.missing_link:
                for (box, css_token), item in \
                        context.target_collector.counter_lookup_items.items():
                    if child.missing_link == box and css_token != "content":
                        if css_token == "bookmark-label" and not child.bookmark_label:
                            continue
                        item.parse_again(page_counter_values)
                        if css_token == "bookmark-label":
                            child.bookmark_label = box.bookmark_label
            string_sets = child.string_set
            if string_sets and string_sets != "none":
                for string_name, text in string_sets:
                    context.string_set[string_name][i + 1].append(text)

    for i, page in enumerate(pages):
        root, footnote_area, note_area = page.children
        root.children = list(layout_fixed_boxes(context, pages[:i], page)) + \
            list(root.children) + list(layout_fixed_boxes(context, pages[i + 1:], page))
        context.current_page = i + 1
        state = context.page_maker[context.current_page][3]
        children = [root]
        if footnote_area.children:
            children.append(footnote_area)
        if note_area.children:
            children.append(note_area)
        children.extend(make_margin_boxes(context, page, state))
        page.children = tuple(children)
        layout_backgrounds(page, context.get_image_from_uri)
        page.almanac_context = context
        yield page


__all__ = ["NotSplittable", "PartPages", "PartStart", "anchor_pages", "carried_counters",
           "laid_out_as_part", "part_pages", "renumbered"]
