"""Stage 4 — typeset: HTML → WeasyPrint ``Document`` → PDF bytes.

WeasyPrint only *logs* a missing image or an unknown CSS property (to the
``weasyprint`` logger, its documented logging contract); here those records are
collected as the build's warnings, so the pipeline can show them and a strict
build can refuse them. One handler, added to that logger once, hands each
record to the collector of the build running in the same thread (a context
variable), so builds running at the same time in one process each get only
their own warnings; records still propagate as WeasyPrint's always do.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import io
import logging
import re
import shutil
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

from ..errors import Problem, ReportError
from ..project.theme import THEME
from .breaks import floats_kept_together
from .deferred import defer
from .fetcher import FetchStopped, ProjectFetcher, shorten
from .guard import Guard, Limits
from .leaders import leaders_in_one_run
from .pdfa import ExtensionSchema, archival_finisher
from .placement import placed
from .render import Rendered
from .structure import Tagging, tagged
from .svgreuse import svgs_drawn_once
from .variants import Transform, Variant


@dataclass(frozen=True)
class Attachment:
    """A file embedded in the PDF as an associated file (PDF/A-3, ISO 19005-3, 6.8)."""

    name: str
    data: bytes
    relationship: str = "Source"  # "Source", "Data", "Supplement", ...
    description: str | None = None


@dataclass(frozen=True)
class Embedding:
    """What an archival PDF carries besides its pages (see :mod:`almanac.editions`)."""

    identifier: bytes  # the PDF's file identifier (ISO 32000-1, 14.4)
    date: dt.datetime  # the attachments' dates
    xmp: tuple[ExtensionSchema, ...]  # properties for the XMP metadata, with their schemas
    attachments: tuple[Attachment, ...]


@dataclass
class Typeset:
    """The laid-out document and its PDF."""

    pdf: bytes
    pages: int
    warnings: list[str] = field(default_factory=list)
    document: Any = None  # the weasyprint.Document, for the preflight
    html: str = ""  # the HTML laid out: the rendered one, adjusted by the placement passes
    layouts: int = 1  # how many times the document was laid out
    read: dict[Path, str] = field(default_factory=dict)  # a part's files read → SHA-256


_collector: contextvars.ContextVar[_Collector | None] = contextvars.ContextVar(
    "almanac_typeset_collector", default=None)


class _Router(logging.Handler):
    """Hands a WeasyPrint record to the collector of the build in this context."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        collector = _collector.get()
        if collector is not None:
            collector.collect(record)


_ROUTER = _Router()
_router_lock = threading.Lock()


class _Collector:
    """Keeps one build's warnings; one about a stylesheet starts with its file."""

    def __init__(self, root: Path | None = None):
        self.messages: list[str] = []
        self.root = root.resolve() if root is not None else None

    def collect(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        source = self._stylesheet()
        self.messages.append(f"{source}: {message}" if source else message)

    def _stylesheet(self) -> str | None:
        """The stylesheet being read when the warning was logged (WeasyPrint's
        warnings give a line and column but not the file), relative to the project."""
        frame: FrameType | None = sys._getframe(3)
        while frame is not None:
            url = frame.f_locals.get("base_url") if frame.f_code.co_name.startswith(
                "preprocess_") else None
            if isinstance(url, str) and url.startswith("file:") and url.endswith(".css"):
                path = Path(url2pathname(urlsplit(url).path))
                if self.root is not None and path.is_relative_to(self.root):
                    return path.relative_to(self.root).as_posix()
                return path.name
            frame = frame.f_back
        return None


@contextmanager
def _captured_warnings(root: Path | None = None) -> Iterator[list[str]]:
    from weasyprint import LOGGER

    with _router_lock:
        if _ROUTER not in LOGGER.handlers:
            LOGGER.addHandler(_ROUTER)
    collector = _Collector(root)
    token = _collector.set(collector)
    try:
        yield collector.messages
    finally:
        _collector.reset(token)


@contextmanager
def _font_files_removed(fonts: Any) -> Iterator[None]:
    """Remove the temporary folder in which WeasyPrint keeps a document's
    ``@font-face`` files once the PDF is written. WeasyPrint removes it only when
    its ``FontConfiguration`` is garbage-collected (``weasyprint/text/fonts.py``,
    ``__del__``), which never happens in a process that ends without interpreter
    teardown (the command line, the preview's build processes): a few MB in the
    temporary folder per build, for ever."""
    try:
        yield
    finally:
        folder = getattr(fonts, "_folder", None)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
            fonts._folder = None


def _page_suffix(text: str, page: int | None) -> str:
    """A link's description when the build gives no words for it: its text and the
    number of its target page ("Results, 12")."""
    return f"{text}, {page}" if page is not None else text


class NoFontFaces(Exception):
    """Raised in the typesetting thread: the document brought no font face."""


BACK_COVER = re.compile(r'<[A-Za-z][^<>]*\sclass\s*=\s*["\']?(?:[^"\'<>]*\s)?back-cover'
                        r'(?=[\s"\'>])')
"""The opening tag of the back cover (``class="back-cover"``, layout/colophon.html)."""
BLANK_SHEET = ('<div class="blank-sheet" aria-hidden="true" style="page: almanac-blank; '
               'break-before: page; height: 0; margin: 0; padding: 0; border: 0"></div>')
"""An empty page of the named page ``almanac-blank`` (no margin boxes, see
:func:`~.brand.brand_css`)."""


def with_blank_pages(html: str, count: int) -> str | None:
    """``html`` with ``count`` blank pages before the back cover (the last element
    of class ``back-cover``), or at the end of the body when it has none (a
    specimen); None when ``count`` is 0 or there is no body end either. Laid out
    again, the pages before keep their numbers and the page total printed on each
    counts the blank pages."""
    found = list(BACK_COVER.finditer(html))
    start = found[-1].start() if found else html.lower().rfind("</body")
    if count <= 0 or start < 0:
        return None
    return html[:start] + BLANK_SHEET * count + html[start:]


class ImagesByPlace(dict):
    """WeasyPrint's image cache (its documented ``cache`` option: URL → image) that
    names each raster image by its place in the project
    (``project/chapters/…/photo.png``), not by where the project lies on the disk.

    WeasyPrint names a raster image's XObject in the page content by the MD5 of the
    URL it was loaded from (``weasyprint.images.get_image_from_uri``: ``i<md5><0|1>``),
    and that URL holds the folder's absolute path: the same sources published in
    another folder (an extracted edition, rebuilt by ``almanac verify``) would give
    other bytes. An image is put in the cache as soon as it is loaded, before it is
    drawn (an image in an SVG frame is loaded while the PDF is written), so here
    each raster image under one of ``roots`` (folder → label) gets the MD5 of
    ``<label>/<URL relative to the folder>`` as its id. Two URLs keep two names."""

    def __init__(self, roots: dict[Path, str]):
        super().__init__()
        self.prefixes = [(Path(folder).resolve().as_uri().rstrip("/") + "/", label)
                         for folder, label in roots.items()]

    def __setitem__(self, url: Any, image: Any) -> None:
        from weasyprint.images import RasterImage

        if isinstance(image, RasterImage) and isinstance(url, str):
            for prefix, label in self.prefixes:
                if url.startswith(prefix):
                    image.id = hashlib.md5(f"{label}/{url[len(prefix):]}".encode(),
                                           usedforsecurity=False).hexdigest()
                    break
        super().__setitem__(url, image)


def document_identifier(rendered: Rendered) -> bytes:
    """The file identifier of a PDF made from ``rendered`` (ISO 32000-1, 14.4): a hash
    of its HTML with the project folder left out, so that the same document gives the
    same bytes wherever the project lies. 32 bytes."""
    return hashlib.sha256(rendered.html.replace(rendered.base_url, "").encode()
                          ).hexdigest()[:32].encode()


def typeset(rendered: Rendered, root: Path, variant: Variant, *,
            embedding: Embedding | None = None, finisher: Callable | None = None,
            before_read: Callable[[Path], bool] | None = None,
            transform: Transform | None = None, limits: Limits | None = None,
            tagging: Tagging | None = None, page_multiple: int = 1,
            placement: bool = True, deferred: Iterable[str] = (),
            settle: Callable[[Any, str], Any] | None = None,
            identifier: bytes | None = None) -> Typeset:
    """Lay out ``rendered`` and write it as PDF bytes for ``variant`` (nothing
    touches the disk); WeasyPrint reads only files inside ``root``.

    ``before_read(path)`` is called before a project file is read, e.g. to wait
    for a chart that is still being drawn; when it returns False the file will not
    be made, and the typesetting stops (``FetchStopped``, a WeasyPrint
    ``FatalURLFetchingError``). ``transform(path, bytes)`` may change a
    file as it is read (recolouring for print). ``finisher`` is WeasyPrint's hook
    on the PDF before it is written, called after
    :func:`~.pdfa.archival_finisher` (the XMP packet, the name tree, /AF). ``embedding``
    carries an archival PDF's identifier, XMP properties and attached files; without
    it the identifier is ``identifier``, else :func:`document_identifier`. A tagged variant
    gets the structure tree of :mod:`.structure`, its links described by ``tagging``
    (by default, a link's own text and the number of the page it leads to).
    ``page_multiple`` (the print edition's ``print.page_multiple``): when the page
    count is not a multiple of it, the document is laid out once more with the
    blank pages it lacks before the back cover (:func:`with_blank_pages`).

    With ``placement`` (the default) a first layout that leaves a figure's hole at the
    foot of a page, or a keep-together that cannot be met, is adjusted and laid out
    again (:mod:`.placement`, at most :data:`~.placement.PASSES` more layouts, each
    kept only when it leaves less empty space at the pages' feet); the PDF is written
    from the last layout kept, and ``Typeset.html`` is its HTML.

    ``settle(document, html)``, when given, is called with the last layout kept and
    its HTML before the PDF is written, and returns the document to write (a part of
    a document typeset apart: :mod:`.parallel` settles its page numbers there).

    ``deferred``: ``file:`` URLs of SVG images that may not be there yet (charts
    still being drawn), read only when the layout first needs them
    (:mod:`.deferred`), so the box tree is built and the pages before them are laid
    out meanwhile; ``before_read`` is called for them then.

    ``limits`` bound the time, memory and pages (:class:`~.guard.Guard`); at a
    limit, or when WeasyPrint crashes on the report's styles (an exception raised
    inside the engine, e.g. ``font-size: 1e9pt``), a ReportError says what failed
    and where; Ctrl-C raises ``KeyboardInterrupt`` even where WeasyPrint caught it.
    """
    import weasyprint

    fetcher = ProjectFetcher(root, before_read=before_read, transform=transform,
                             roots=(THEME,), digests=settle is not None)
    identifier = identifier or (embedding.identifier if embedding else
                                document_identifier(rendered))
    options: dict[str, Any] = {"pdf_variant": variant.pdf_variant, "pdf_identifier": identifier}
    from .fonts import BrandFontConfiguration
    from .paging import install_design_widths

    install_design_widths()  # glyph widths that do not depend on the order of drawing
    fonts = BrandFontConfiguration()  # no system font: the @font-face faces only
    guard = Guard(limits, root)

    def lay_out(text: str) -> Any:
        html = weasyprint.HTML(string=text, base_url=rendered.base_url, url_fetcher=fetcher)
        cache = ImagesByPlace({root: "project", THEME: "theme"})
        defer(cache, deferred, fetcher)
        with floats_kept_together(), leaders_in_one_run():
            document = html.render(pdf_variant=variant.pdf_variant, font_config=fonts,
                                   cache=cache)
        if not fonts.faces:  # Pango would draw with no font at all: a crash, not a PDF
            raise NoFontFaces
        return document

    laid_out: dict[str, Any] = {"html": rendered.html, "layouts": 1}

    def lay_out_and_draw() -> tuple[Any, bytes]:
        document = lay_out(rendered.html)
        if placement:
            document, laid_out["html"], laid_out["layouts"] = placed(
                document, rendered.html, lay_out)
        padded = with_blank_pages(laid_out["html"], -len(document.pages) % page_multiple)
        if padded is not None:  # after the placement, which may change the page count
            document = lay_out(padded)
            laid_out["html"], laid_out["layouts"] = padded, laid_out["layouts"] + 1
        if settle is not None:
            document = settle(document, laid_out["html"])
        files = [weasyprint.Attachment(file_obj=io.BytesIO(item.data), name=item.name,
                                       description=item.description, created=embedding.date,
                                       modified=embedding.date, relationship=item.relationship,
                                       url_fetcher=fetcher)
                 for item in embedding.attachments] if embedding is not None else []
        with tagged(tagging or Tagging(_page_suffix)) if variant.tagged else nullcontext(), \
                svgs_drawn_once(document):
            pdf = document.write_pdf(finisher=archival_finisher(
                variant.pdf_variant, identifier, embedding.xmp if embedding else (), finisher),
                attachments=files or None, **options)
        return document, pdf

    with _captured_warnings(root) as warnings, _font_files_removed(fonts):
        try:
            document, pdf = guard.run(lay_out_and_draw)
        except NoFontFaces:  # after what else the project's files did wrong
            raise ReportError(list(dict.fromkeys(fetcher.problems)) + [Problem(
                "the document declares no font: no @font-face rule of the brand reached "
                "WeasyPrint", None, None, "keep {{ brand_css }} in the <style> of the "
                "document's head (layout/head.html), or give the fonts in a stylesheet "
                "with @font-face rules")]) from None
        except FetchStopped:
            if fetcher.problem is None:  # a chart that cannot be drawn: the caller says why
                raise
            raise ReportError(fetcher.problem) from None
        except Exception as exc:
            problem = engine_failure(exc, root, fetcher.stylesheets)
            if problem is None:  # not WeasyPrint's: a bug of Almanac, with its traceback
                raise
            raise ReportError(problem) from None
    if fetcher.problem is not None:  # a bound reached where WeasyPrint swallowed the stop
        raise ReportError(fetcher.problem)
    if fetcher.problems:  # a file of the project that is not read as it is, over a limit
        raise ReportError(list(dict.fromkeys(fetcher.problems)))
    messages = list(dict.fromkeys(warnings + [f"refused: {r}" for r in fetcher.refused]))
    return Typeset(pdf=pdf, pages=len(document.pages), warnings=messages, document=document,
                   html=laid_out["html"], layouts=laid_out["layouts"], read=dict(fetcher.read))


ENGINE_PACKAGES = ("weasyprint", "tinycss2", "cssselect2", "pydyf", "fontTools", "PIL")
"""The packages that lay out and draw: an exception raised inside them, on input
that Almanac passed on, is caused by the report's styles, templates or images."""


def engine_failure(exc: BaseException, root: Path,
                   stylesheets: list[Path] | None = None) -> Problem | None:
    """What a WeasyPrint crash means for the report, or None when it did not come
    from WeasyPrint (the innermost frame of its traceback is not in
    :data:`ENGINE_PACKAGES`: a bug of Almanac).

    The problem names the stylesheet WeasyPrint was parsing, when it was parsing
    one; else the stylesheet of the document changed last (``stylesheets``, in the
    order they were read), the likeliest cause of a crash that was not there before;
    and the element being laid out or drawn, when there is one on the stack."""
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    if not frames or not frames[-1].f_globals.get("__name__", "").startswith(ENGINE_PACKAGES):
        return None
    root = root.resolve()
    path: Path | None = None
    element = ""
    for frame in reversed(frames):
        if path is None and frame.f_code.co_name.startswith("preprocess_"):
            url = frame.f_locals.get("base_url")
            if isinstance(url, str) and url.startswith("file:"):
                path = Path(url2pathname(urlsplit(url).path))
        box = frame.f_locals.get("box")
        if not element and getattr(box, "element_tag", None):
            element = _describe(box)
    changed = ""
    if path is None and stylesheets:
        path = max(stylesheets, key=lambda p: p.stat().st_mtime if p.exists() else 0)
        changed = " (the stylesheet changed last)"
    what = f"{type(exc).__name__}: {str(exc)[:200]}" if str(exc) else type(exc).__name__
    where = f" on {element}" if element else ""
    return Problem(f"WeasyPrint failed{where}{changed}: {what}",
                   path if path is None or path.is_relative_to(root) else None, None,
                   "look for an extreme or malformed value in the rules that apply there: "
                   "huge sizes (font-size, margins, borders, letter-spacing), transforms "
                   "such as scale(1e30), deep nesting of :not() or calc(), a malformed "
                   "leader() or counter(); use values a page can hold")


def _describe(box: Any) -> str:
    """``<div class="kpi">`` for a box of that element."""
    element = getattr(box, "element", None)
    classes = element.get("class") if element is not None and hasattr(element, "get") else None
    name = getattr(box, "element_tag", "?")
    return f'<{name} class="{classes}">' if classes else f"<{name}>"


class _StylesheetLinks(HTMLParser):
    """The ``href`` of every ``<link rel="stylesheet">`` of a document, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "link" and "stylesheet" in (found.get("rel") or "").lower().split() \
                and found.get("href"):
            self.hrefs.append(found["href"])


def check_stylesheets(rendered: Rendered, root: Path) -> list[str]:
    """Read and parse every stylesheet the rendered document links (and each one they
    ``@import``) as :func:`typeset` would, without laying anything out: the fetcher's
    rules apply (a stylesheet not found, outside the project and the theme, a FIFO or
    over a limit is a ReportError naming it), and what WeasyPrint's CSS parser ignores
    comes back as its warnings (``file: Ignored `colr: red` at 3:1, unknown
    property.``), the same words a build gives (its logging contract,
    ``weasyprint/logger.py``). Raises ReportError; returns the warnings."""
    import weasyprint

    links = _StylesheetLinks()
    links.feed(rendered.html)
    fetcher = ProjectFetcher(root, roots=(THEME,))
    with _captured_warnings(root) as warnings:
        for href in links.hrefs:
            url = urljoin(rendered.base_url, href)
            try:
                weasyprint.CSS(url=url, url_fetcher=fetcher)
            except FetchStopped:
                break
            except Exception as exc:  # a stylesheet WeasyPrint could not fetch or read
                if fetcher.problem is None and not fetcher.problems:
                    warnings.append(f"{shorten(url)}: {type(exc).__name__}: {exc}"[:300])
    if fetcher.problem is not None:
        raise ReportError(fetcher.problem)
    if fetcher.problems:
        raise ReportError(list(dict.fromkeys(fetcher.problems)))
    return list(dict.fromkeys(warnings + [f"refused: {r}" for r in fetcher.refused]))

