"""An SVG image drawn in many places (a photo placeholder, a logo) written once.

WeasyPrint 70 draws an ``<img>`` of an SVG file by replaying the SVG's drawing into
the content stream of each page that shows it (``weasyprint/images.py``,
``SVGImage.draw``), where a raster image becomes one image XObject that every page
names (``pdf/stream.py``, ``add_image``). Within :func:`svgs_drawn_once`, an SVG
image that the laid-out document shows (:data:`SHOWN`: once or more) at one size is
drawn once into a form XObject (ISO 32000-1, 8.10) and every place paints that form (``Do``):
the same operators, run in the same coordinates (a form's matrix is the identity
and its content is painted in the coordinate space in effect where it is invoked,
8.10.1), so the pages look the same, and the file holds the drawing once.

The form has no transparency group (drawing it composites as drawing its content
in place would) and a bounding box far larger than any page, since WeasyPrint does
not clip the outermost ``<svg>`` of an image to its box: an SVG that draws outside
its box is painted there too, as before. The marked content around an image (its
figure, or an artifact) encloses the ``Do``, so the structure tree is unchanged.
"""

from __future__ import annotations

import contextvars
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

FORM_BOUNDS = 16_384.0
"""Half the side of a form's bounding box, in its own units (points at scale 1): far
larger than a page, well within the limits of a PDF/A reader (ISO 19005-1, 6.1.12:
a real value's magnitude at most 32 767)."""

SHOWN = 1
"""An SVG image shown this many times at one size is drawn as a form XObject: every
one, so that a document typeset in parts (:mod:`.parallel`), where a part may show
an image once that the document shows twice, draws it as the single pass does (a
form and the same drawing in place differ by a level of 255 at some edge pixels)."""

_repeated: contextvars.ContextVar[Counter | None] = contextvars.ContextVar(
    "almanac_svg_repeated", default=None)
_install_lock = threading.Lock()
_original: Any = None  # WeasyPrint's SVGImage.draw


def _key(image: Any, width: float, height: float) -> tuple[int, float, float]:
    return id(image), round(width, 4), round(height, 4)


def repeated_svgs(document: Any) -> Counter:
    """How many times each SVG image of a laid-out WeasyPrint ``document`` is drawn
    as a replaced element (an ``<img>``), by (image, width, height) in points, as
    WeasyPrint's ``draw_replacedbox`` will size it (``layout/replaced.py``,
    ``replacedbox_layout``)."""
    from weasyprint.formatting_structure import boxes
    from weasyprint.images import SVGImage
    from weasyprint.layout import replaced

    counts: Counter = Counter()
    for page in document.pages:
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            box = getattr(box, "_box", box)  # an absolutely placed box's placeholder
            if isinstance(box, boxes.ReplacedBox) and isinstance(box.replacement, SVGImage) \
                    and box.width and box.height:
                width, height, _, _ = replaced.replacedbox_layout(box)
                if width > 0 and height > 0:
                    counts[_key(box.replacement, width, height)] += 1
            stack.extend(getattr(box, "children", ()))
    return counts


def _form(stream: Any) -> Any:
    """An empty form XObject in the resources of ``stream`` (as WeasyPrint's
    ``Stream.add_group`` makes one, without its transparency group)."""
    import pydyf

    resources = pydyf.Dictionary({
        "ExtGState": pydyf.Dictionary(), "XObject": pydyf.Dictionary(),
        "Pattern": pydyf.Dictionary(), "Shading": pydyf.Dictionary(),
        "ColorSpace": stream._resources["ColorSpace"], "Font": None})
    bounds = pydyf.Array((-FORM_BOUNDS, -FORM_BOUNDS, FORM_BOUNDS, FORM_BOUNDS))
    form = stream.clone(resources=resources, extra=pydyf.Dictionary({
        "Type": "/XObject", "Subtype": "/Form", "BBox": bounds, "Resources": resources}))
    form.id = f"x{len(stream._resources['XObject'])}"
    stream._resources["XObject"][form.id] = form
    return form


def _draw(self: Any, stream: Any, width: float, height: float, style: Any) -> None:
    counts = _repeated.get()
    key = _key(self, width, height)
    if counts is None or counts.get(key, 0) < SHOWN:
        return _original(self, stream, width, height, style)
    forms = self.__dict__.setdefault("_almanac_forms", {})
    drawn = forms.get(key)
    names = stream._resources["XObject"]
    if drawn is None or names.get(drawn.id) is not drawn:  # first here: draw it once
        drawn = forms[key] = _form(stream)
        _original(self, drawn, width, height, style)
    stream.draw_x_object(drawn.id)
    return None


@contextmanager
def svgs_drawn_once(document: Any) -> Iterator[None]:
    """Within this context, the PDF of ``document`` that WeasyPrint writes in this
    thread holds each SVG image shown at one size (:data:`SHOWN` times or more) as one
    form XObject, painted at each place (:func:`repeated_svgs`); other SVG images
    are drawn as WeasyPrint draws them."""
    global _original
    from weasyprint.images import SVGImage

    with _install_lock:
        if SVGImage.draw is not _draw:
            _original = SVGImage.draw
            SVGImage.draw = _draw
    token = _repeated.set(repeated_svgs(document))
    try:
        yield
    finally:
        _repeated.reset(token)
