"""SVG images read when the layout first needs them, not when the box tree is built.

WeasyPrint 70 loads every ``<img>`` while it builds the box tree
(``weasyprint/html.py``, ``handle_img`` → ``images.get_image_from_uri``), before it
lays out the first page, but asks an image for its size only when it lays out the
page that holds it (``layout/replaced.py``) and for its drawing only when it writes
the PDF. A chart that the chart worker is still drawing made the whole box tree
wait for it (the fetcher's ``before_read``), so a cold build used the second core
only while the stylesheets were read. A :class:`DeferredSVGImage` stands in the
image cache (WeasyPrint's documented ``cache`` option: URL → image, looked up before
any fetch) for such a URL: the box tree is built and the pages before the chart are
laid out while the chart is drawn, and the file is fetched (through the same
fetcher, waiting for the chart there) and parsed into the very object WeasyPrint
would have made (``SVGImage(tree, url, url_fetcher, context)``, with the layout
context that looked it up, as ``get_image_from_uri`` makes one for an ``<img>``)
when its size is first asked. The pages and the PDF are therefore the same as when
the chart was drawn before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, MutableMapping
from typing import Any
from xml.etree import ElementTree

from weasyprint.images import SVGImage
from weasyprint.urls import URLFetchingError, fetch


class DeferredSVGImage(SVGImage):
    """An SVG image of ``url`` read through ``fetcher`` the first time its size or
    drawing is asked for. A fetch that stops the typesetting (WeasyPrint's
    ``FatalURLFetchingError``, e.g. a chart that could not be drawn) is raised from
    there, so the layout stops. A file that cannot be read or parsed is logged as
    WeasyPrint logs an image it cannot load, and is then drawn as nothing, with no
    size (WeasyPrint would have set the ``alt`` text instead: only a broken file
    differs)."""

    def __init__(self, url: str, fetcher: Any):  # SVGImage.__init__ runs on first use
        self._url = url
        self._fetcher = fetcher
        self._state = "waiting"  # then "loaded" or "broken"
        self._layout: Any = None  # the LayoutContext that looked it up (_lookup)

    def _load(self) -> bool:
        if self._state == "waiting":
            from weasyprint import LOGGER

            try:
                with fetch(self._fetcher, self._url) as response:
                    tree = ElementTree.fromstring(response.read())
                SVGImage.__init__(self, tree, self._url, self._fetcher, self._layout)
                self._state = "loaded"
            except (URLFetchingError, ElementTree.ParseError, ValueError) as exc:
                LOGGER.error("Failed to load image at %r: %s", self._url, exc)
                self._state = "broken"
        return self._state == "loaded"

    def get_intrinsic_size(self, image_resolution: Any, font_size: Any) -> Any:
        if not self._load():
            return 0, 0, None
        return super().get_intrinsic_size(image_resolution, font_size)

    def draw(self, stream: Any, concrete_width: Any, concrete_height: Any,
             style: Any) -> None:
        if self._load():
            super().draw(stream, concrete_width, concrete_height, style)


_install_lock = threading.Lock()
_original: Any = None  # weasyprint.images.get_image_from_uri, as weasyprint.document has it


def _lookup(cache: Any, url_fetcher: Any, options: Any, url: str, *args: Any,
            **kwargs: Any) -> Any:
    """WeasyPrint's ``get_image_from_uri``, which first gives a deferred image of
    ``url`` the layout context it is looked up with (its ``context`` argument, bound by
    ``LayoutContext``), as WeasyPrint gives it to an ``SVGImage`` it makes."""
    image = cache.get(url) if hasattr(cache, "get") else None
    if isinstance(image, DeferredSVGImage) and image._layout is None:
        image._layout = kwargs.get("context", args[1] if len(args) > 1 else None)
    return _original(cache, url_fetcher, options, url, *args, **kwargs)


def defer(cache: MutableMapping[str, Any], urls: Iterable[str], fetcher: Any) -> None:
    """Put a :class:`DeferredSVGImage` for each of ``urls`` (``file:`` URLs of SVG
    files, as the HTML names them) in WeasyPrint's image ``cache``, and have
    WeasyPrint's documents look their images up through :func:`_lookup` (once per
    process; it changes nothing for an image that is not deferred)."""
    global _original
    import weasyprint.document as document

    with _install_lock:
        if document.original_get_image_from_uri is not _lookup:
            _original = document.original_get_image_from_uri
            document.original_get_image_from_uri = _lookup
    for url in urls:
        cache[url] = DeferredSVGImage(url, fetcher)
