"""Leaders (``content: leader(". ")``) laid out as one run of text, not one box per dot.

WeasyPrint 70 fills a leader by copying its text box once per repetition that fits
(``weasyprint/layout/leader.py``, ``handle_leader``): a contents line across a page
holds some 60 boxes of ``". "``, each drawn as a text object of its own
(``weasyprint/draw/text.py``), which made the contents page cost more to draw than
the rest of a chapter's page. Within :func:`leaders_in_one_run`, a leader is filled
with one text box instead: the same text repeated as many times as WeasyPrint would
place copies, starting where the leftmost copy would be. The dots keep their font,
colour and places (to the rounding of a run's glyph advances: at most a few tenths
of a point at the end of a line, measured), and the leader box keeps ``is_leader``,
so :mod:`.structure` still marks the dots as artifacts.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_merging: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "almanac_leaders_merged", default=False)
_install_lock = threading.Lock()
_original: Any = None  # WeasyPrint's handle_leader


def _run(context: Any, text_box: Any, count: int) -> Any | None:
    """One text box of the text of ``text_box`` repeated ``count`` times, laid out by
    Pango; None when it does not measure ``count`` times the text's width to within a
    hundredth of a point (a font that kerns the text against itself)."""
    from weasyprint.text.line_break import split_first_line

    text = text_box.text * count
    layout, length, _, width, _, _ = split_first_line(
        text, text_box.style, context, None, text_box.justification_spacing,
        is_line_start=False)
    if length != len(text.encode()) or abs(width - text_box.width * count) > 0.01:
        return None
    run = text_box.copy_with_text(text)
    run.pango_layout = layout
    run.width = width
    return run


def _handle_leader(context: Any, line: Any, containing_block: Any) -> None:
    """WeasyPrint's ``handle_leader`` (``weasyprint/layout/leader.py``, version 70),
    with the leader's text placed once, repeated, where WeasyPrint places copies of
    it: at multiples of its width from the line's end, never behind the text before
    or after the leader. Outside :func:`leaders_in_one_run`, WeasyPrint's own."""
    from weasyprint.layout.leader import leader_index

    if not _merging.get():
        return _original(context, line, containing_block)
    index, leader_box = leader_index(line)
    extra_width = 0
    if index is not None and leader_box.children:
        text_box, = leader_box.children
        if text_box.width <= 0:
            return None
        extra_width = containing_block.width - sum(
            child.margin_width() for child in line.children if child.is_in_normal_flow())
        for shape in context.excluded_shapes:
            if shape.position_y + shape.height > line.position_y:
                extra_width -= shape.width
        available_width = extra_width + text_box.width
        line.width = containing_block.width
        step = text_box.width
        right = line.position_x + line.width
        places = [right - step * (i + 1) for i in range(int(line.width // step))]
        places = [x for x in places if leader_box.position_x <= x
                  and x + step <= leader_box.position_x + available_width]
        run = _run(context, text_box, len(places)) if len(places) > 1 else None
        if run is not None:
            run.position_x = min(places)
            leader_box.children = (run,)
        else:  # no dot, one, or a text that kerns against itself: one box per copy
            copies = []
            for x in places:
                copy = text_box.copy()
                copy.position_x = x
                copies.append(copy)
            leader_box.children = tuple(copies)
        if line.style["direction"] == "rtl":
            leader_box.translate(dx=-extra_width)
    box = line  # widen the leader's parents, move what follows it (as WeasyPrint does)
    while index is not None:
        for child in box.children[index[0] + 1:]:
            if child.is_in_normal_flow():
                child.translate(dx=extra_width if line.style["direction"] == "ltr"
                                else -extra_width)
        box = box.children[index[0]]
        box.width += extra_width
        index = index[1]
    return None


@contextmanager
def leaders_in_one_run() -> Iterator[None]:
    """Within this context, a layout that WeasyPrint makes in this thread sets each
    leader as one run of text (:func:`merged_leader`); elsewhere WeasyPrint's own
    leaders are untouched."""
    global _original
    import weasyprint.layout.inline as inline

    with _install_lock:
        if inline.handle_leader is not _handle_leader:
            _original = inline.handle_leader
            inline.handle_leader = _handle_leader
    token = _merging.set(True)
    try:
        yield
    finally:
        _merging.reset(token)
