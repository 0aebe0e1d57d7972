"""Floats that keep together: ``break-inside: avoid`` on a float, as CSS asks.

CSS Fragmentation 3 (§3.2, ``break-inside``) applies ``avoid`` to every box, floats
included: a float that would be cut by a page break moves whole to the next page
when it fits there. WeasyPrint 70 lays a float out as if it stood at the top of an
empty page (``weasyprint/layout/float.py``, ``float_layout`` calls
``block_container_layout(..., page_is_empty=True)``), so the ``avoid`` of the float
is never consulted (``layout/block.py``, ``block_container_layout`` honours it only
``not page_is_empty``): a sidebar of facts or a column of tiles that starts near the
foot of a page is cut wherever the page ends, and its tail goes on the next page
whatever that page is — a chapter opener or the back cover, which have no margins.

Here the float is pushed to the next page instead, by the path WeasyPrint takes for
a float taller than the space left (``layout/block.py``, ``_out_of_flow_layout``:
the parent stops before the float, which resumes at the top of the next page with
the content that follows it). A float that starts at the top of a page (nothing
before it on the page) is cut as before: it is taller than a page and cannot move.

A sidebar longer than a page has to be cut; its continuation then gets a head of its
own (:func:`continuations` finds where the pages cut it, and the templates set it in
one part a page, :meth:`~.render.Renderer.parts`).

WeasyPrint's function is replaced through its module attribute once per process (as
:mod:`.structure` replaces the tag builder); the replacement changes only the layout
of a build that asked for it (a context variable), every other layout in the
process is WeasyPrint's own.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from weasyprint import Document

Splits = dict[str, tuple[int, ...]]
"""A block's ``data-source`` → the index (``data-item``, from 0) of the item that
starts each of its parts after the first."""

CONTINUATION_PASSES = 3
"""Layouts after the first, at most, that set long sidebars in parts: a part headed
as a continuation is a line longer than the layout that cut it, so it may be cut once
more; an item longer than a page is cut where it is, and nothing changes."""

_keeping: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "almanac_floats_keep_together", default=False)
_install_lock = threading.Lock()
_original: Any = None


def _out_of_flow_layout(context, box, index, child, new_children, page_is_empty,
                        absolute_boxes, fixed_boxes, adjoining_margins, bottom_space):
    """WeasyPrint's ``_out_of_flow_layout``; a float with ``break-inside: avoid`` that
    it cut on a page where something stands before it is taken back and moved to the
    next page."""
    from weasyprint.layout.block import (
        avoid_page_break,
        block_level_page_break,
        find_earlier_page_break,
        find_last_class_a_break_point_child,
        remove_placeholders,
    )

    movable = not (page_is_empty and not new_children)  # WeasyPrint's own test
    stop, resume_at, new_child, float_resume_at = _original(
        context, box, index, child, new_children, page_is_empty, absolute_boxes,
        fixed_boxes, adjoining_margins, bottom_space)
    if not (_keeping.get() and movable and child.is_floated() and new_child is not None
            and float_resume_at is not None
            and avoid_page_break(child.style["break_inside"], context)):
        return stop, resume_at, new_child, float_resume_at
    # as WeasyPrint does for a float that overflows the page (layout/block.py)
    if new_child in new_children:
        new_children.remove(new_child)
    remove_placeholders(context, [new_child], absolute_boxes, fixed_boxes)
    last_child = find_last_class_a_break_point_child(new_children)
    page_break = block_level_page_break(last_child, child)
    resume_at = {index: None}
    if new_children and avoid_page_break(page_break, context):
        earlier = find_earlier_page_break(context, new_children, absolute_boxes, fixed_boxes)
        if earlier:
            new_children[:], resume_at = earlier
    return True, resume_at, None, None


@contextmanager
def floats_kept_together() -> Iterator[None]:
    """Within this context, a layout that WeasyPrint makes in this thread moves a
    float with ``break-inside: avoid`` (or ``avoid-page``) whole to the next page
    rather than cutting it, unless it starts at the top of a page."""
    global _original
    import weasyprint.layout.block as block

    with _install_lock:
        if block._out_of_flow_layout is not _out_of_flow_layout:
            _original = block._out_of_flow_layout
            block._out_of_flow_layout = _out_of_flow_layout
    token = _keeping.set(True)
    try:
        yield
    finally:
        _keeping.reset(token)


def continuations(document: Document, splits: Splits | None = None) -> Splits | None:
    """Where the pages of a laid-out ``document`` cut its sidebars: for each element
    with a ``data-source`` whose items (descendants with ``data-item``) lie on more
    than one page, the first item on each page after its first. For a sidebar the
    layout already set in parts (``splits``), the first part it still cuts ends
    where it is cut, and the parts after it are one again. None when this layout
    cuts no part: it is settled. An item cut by a page starts the next part.

    A sidebar that runs past the end of its chapter is continued by WeasyPrint on the
    next page whatever it is (an opener, the back cover: pages without margins, which
    hold more); there the cuts are those a page of running text would make: the
    items are packed, as laid out, into the height of the text area of the page the
    sidebar started on, less the sidebar's own padding and borders."""
    splits = dict(splits or {})
    pages: dict[str, dict[int, dict[int, tuple[float, float]]]] = {}
    frames: dict[str, float] = {}  # source → vertical padding and borders of one part
    heights: dict[str, float] = {}  # source → text area height of its first page
    for number, page in enumerate(document.pages):
        page_box = page._page_box
        stack: list[tuple[Any, str | None]] = [(page_box, None)]
        while stack:
            box, source = stack.pop()
            element = box.element
            if element is not None and hasattr(element, "get"):
                if element.get("data-source"):
                    source = element.get("data-source")
                    frames.setdefault(source, box.padding_top + box.border_top_width
                                      + box.padding_bottom + box.border_bottom_width)
                item = element.get("data-item")
                if source and item is not None and item.isdigit():
                    found = pages.setdefault(source, {}).setdefault(number, {})
                    top = box.border_box_y()
                    found.setdefault(int(item), (top, top + box.border_height()))
                    if page_box.margin_top:
                        heights.setdefault(source, page_box.height)
            inner = getattr(box, "_box", None)  # an absolutely positioned box's placeholder
            stack += [(child, source) for child in getattr(inner or box, "children", ())]
    changed = False
    for source, items in pages.items():
        starts: set[int] = set()
        room = heights.get(source, 0.0) - frames.get(source, 0.0)
        column: tuple[float, float] | None = None  # on pages without margins: (origin, end)
        for number in sorted(items)[1:]:
            placed = sorted(items[number].items())
            if document.pages[number]._page_box.margin_top or room <= 0:
                starts.add(placed[0][0])
                column = None
                continue
            # one column through the pages without margins, packed into pages of text
            if column is None:
                starts.add(placed[0][0])
                origin, shift = placed[0][1][0], 0.0
            else:
                gaps = [after[0] - before[1] for (_, before), (_, after)
                        in zip(placed, placed[1:])]
                origin, end = column
                shift = end + (min(gaps) if gaps else 0.0) - placed[0][1][0]
            for index, (top, bottom) in placed:
                if bottom + shift - origin > room and top + shift > origin:
                    starts.add(index)  # past the foot of a page of running text
                    origin = top + shift
            column = (origin, placed[-1][1][1] + shift)
        starts.discard(0)
        current = splits.get(source, ())
        new = sorted(starts - set(current))
        if not new:
            continue
        if current:  # a part still cut: the parts before it stand, and it ends there;
            # what follows is one part again, for the next layout to cut where its
            # pages end (the parts after it were made for pages that have moved)
            merged = {cut for cut in current if cut < new[0]} | {new[0]}
        else:
            merged = starts
        splits[source] = tuple(sorted(merged))
        changed = True
    return splits if changed else None
