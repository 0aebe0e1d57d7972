"""The only way WeasyPrint reads anything: files inside the project, and data: URIs.

Everything else — http(s), ftp, ``file://`` outside the project root, ``..``
escapes, symlinks pointing out of the project — is refused and recorded, so a
data file cannot pull ``/etc/passwd`` or an internal URL into the PDF.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname
from xml.etree import ElementTree

from weasyprint import URLFetcher
from weasyprint.urls import FatalURLFetchingError, URLFetcherResponse

from ..errors import Problem
from ..project.checks import check_image
from ..project.files import Refused, Roots, read_bytes, roots_of

MAX_RESOURCE_BYTES = 64 * 1024 * 1024
POSTSCRIPT_SIGNATURES = (b"%!PS", b"\xc5\xd0\xd3\xc6")
"""How PostScript and DOS EPS files begin (what Pillow's ``EpsImagePlugin`` accepts,
whatever the file's name): WeasyPrint would ask Pillow to draw one, which runs
Ghostscript on it where Ghostscript is installed."""
POSTSCRIPT = ("a PostScript or EPS file (Pillow would hand it to Ghostscript); save it as "
              "PNG, JPEG or SVG")
MAX_SVG_ELEMENTS = 200_000
"""The most elements an SVG image may draw, each ``<use>`` counted as the elements it
copies (SVG 1.1, 5.6: a ``use`` element renders its referenced content as if it
were deeply cloned in its place): a 10 000-point chart draws about 10 000."""
MAX_FETCHES = 5_000
"""The most resources (stylesheets, images, fonts, ``data:`` URIs) one build reads."""
MAX_STYLESHEETS = 500
"""The most stylesheets one build reads, ``@import`` included (each is read again
each time it is imported)."""
MAX_FETCHED_BYTES = 1024 * 1024 * 1024
"""The most bytes one build reads through the fetcher, all resources together."""
MAX_COLUMNS = 100
"""The most columns a ``columns`` or ``column-count`` declaration may ask for: WeasyPrint
lays out each column in turn (``columns: 100000`` runs for many minutes)."""
RASTER_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff", ".bmp")


class FetchRefused(ValueError):
    """A resource outside the project was requested."""


class FetchStopped(FatalURLFetchingError):
    """A file the document needs will not exist (a chart that could not be drawn):
    WeasyPrint stops the typesetting (its documented rule for a fetcher's
    ``FatalURLFetchingError``) rather than lay out a document that is not wanted."""


class ProjectFetcher(URLFetcher):
    """A WeasyPrint URL fetcher confined to one folder."""

    def __init__(self, root: Path, before_read=None, transform=None,
                 roots: Roots = (), digests: bool = False, **kwargs):
        """``before_read(path)`` is called before a file is read and may return False:
        the file will never be there (:class:`FetchStopped`). ``transform(path,
        bytes)`` may change a file as it is read. Files are read from ``root`` (the
        project folder) and the other allowed ``roots``. With ``digests`` the SHA-256
        of each file read is kept in :attr:`read` (for a part kept between builds)."""
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False,
                         timeout=5, **kwargs)
        self.root = Path(root).resolve()
        self.roots = roots_of((self.root, *roots))
        self.refused: list[str] = []
        self.problems: list[Problem] = []  # input that fails the build, with its file
        self.stylesheets: list[Path] = []  # the project's stylesheets read, in order
        self.read: dict[Path, str] = {}  # with digests: each file read → its bytes' SHA-256
        self._digests = digests
        self.problem: Problem | None = None  # a bound reached: the typesetting stopped
        self._fetches = 0
        self._css_fetches = 0
        self._bytes = 0
        self._before_read = before_read  # e.g. wait until a chart file is drawn
        self._transform = transform  # (path, bytes) -> bytes, e.g. recolour for print

    def fetch(self, url, headers=None):
        """WeasyPrint's fetcher interface: the response for ``url``, or
        :class:`FetchRefused` (recorded in ``refused``) for anything outside the project
        and anything over a limit, a file or a ``data:`` URI (a warning; a strict
        build fails on it). A file of the project that is not read as it is (a link
        out of the project, a FIFO, a device, a link loop) is also recorded in
        :attr:`problems`, which fail the build."""
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return self._data(url, headers)
        if scheme != "file":
            return self._refuse(url, "only files inside the project are read")
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return self._refuse(url, "remote file URLs are not read")
        path = Path(url2pathname(unquote(parts.path)))
        if self._before_read is not None and self._before_read(path) is False:
            raise FetchStopped(f"{url} could not be made")
        return self._file(url, path)

    def _file(self, url: str, path: Path) -> URLFetcherResponse:
        """A file named by a ``file:`` URL: read as every project file is read
        (:func:`~almanac.project.files.read_bytes`: inside the project, a regular
        file, at most MAX_RESOURCE_BYTES), and checked as an image if it is one."""
        absolute = Path(os.path.normpath(path))  # ".." taken away before any link
        if not any(absolute.is_relative_to(root) for root in self.roots):
            return self._refuse(url, "outside the project folder")
        try:
            body = read_bytes(absolute, self.roots, MAX_RESOURCE_BYTES,
                              "make it smaller, or leave it out")
        except Refused as exc:
            if exc.kind == "missing" and absolute.suffix.lower() == ".css":
                return self._fail(url, Problem(  # the PDF would come out unstyled
                    "stylesheet not found", absolute,
                    hint="fix the stylesheet's link in the template, or create the file"))
            if exc.kind == "missing":
                return self._refuse(url, "file not found")
            if exc.kind == "too-large":
                return self._refuse(url, f"larger than {MAX_RESOURCE_BYTES // 2**20} MiB")
            return self._fail(url, Problem(f"file {exc.reason}", absolute, hint=exc.hint))
        if self._digests:
            self.read[absolute] = hashlib.sha256(body).hexdigest()
        if body[:4] in POSTSCRIPT_SIGNATURES:
            return self._refuse(url, POSTSCRIPT)
        suffix = absolute.suffix.lower()
        # a named image is checked whole (an SVG: UTF-8, well-formed); any other file
        # Pillow would take for an image, by its header
        problem = check_image(body, svg=suffix == ".svg") \
            if suffix in RASTER_SUFFIXES + (".svg",) else _image_problem(body)
        if problem is not None:
            return self._refuse(url, f"image {problem[0]}")
        mime, _ = mimetypes.guess_type(absolute.name)
        if suffix in (".ttf", ".otf", ".woff", ".woff2"):
            mime = "font/" + suffix.lstrip(".")
        if self._transform is not None:
            body = self._transform(absolute, body)
        if suffix == ".css":
            self.stylesheets.append(absolute)
        return self._bounded(url, body, mime or "application/octet-stream", absolute)

    def _data(self, url: str, headers=None) -> URLFetcherResponse:
        """A ``data:`` URI (RFC 2397), held to the limits of a file: at most
        MAX_RESOURCE_BYTES decoded (its text at most twice that, checked before it
        is decoded), and a raster image within the image check
        (:func:`~almanac.project.checks.check_image`, which reads its header only),
        wherever it stands: in the HTML, in CSS, in an SVG, in a ``data:`` SVG."""
        if len(url) > 2 * MAX_RESOURCE_BYTES:  # base64 is 4/3 of the bytes, plus a header
            return self._refuse(url, f"larger than {MAX_RESOURCE_BYTES // 2**20} MiB")
        response = super().fetch(url, headers)
        body = response.read(MAX_RESOURCE_BYTES + 1)
        if len(body) > MAX_RESOURCE_BYTES:
            return self._refuse(url, f"larger than {MAX_RESOURCE_BYTES // 2**20} MiB")
        if body[:4] in POSTSCRIPT_SIGNATURES:
            return self._refuse(url, POSTSCRIPT)
        problem = _image_problem(body)
        if problem is not None:
            return self._refuse(url, f"image {problem[0]}")
        return self._bounded(url, body, response.content_type, None)

    def _bounded(self, url: str, body: bytes, mime: str | None,
                 path: Path | None) -> URLFetcherResponse:
        """The response for ``body``, after the build's bounds on resources are checked:
        :data:`MAX_FETCHES`, :data:`MAX_STYLESHEETS`, :data:`MAX_FETCHED_BYTES`, and for
        an SVG (or anything WeasyPrint may take for one: it tries any image Pillow
        cannot open as SVG, ``weasyprint/images.py``) :data:`MAX_SVG_ELEMENTS`. At a
        bound the typesetting stops (:class:`FetchStopped`) with :attr:`problem` set."""
        self._fetches += 1
        self._bytes += len(body)
        is_css = mime == "text/css" or (path is not None and path.suffix.lower() == ".css")
        self._css_fetches += is_css
        name = (path.relative_to(self.root).as_posix() if path.is_relative_to(self.root)
                else path.name) if path is not None else shorten(url)
        if self._fetches > MAX_FETCHES:
            self._stop(path, f"the document reads more than {MAX_FETCHES:,} resources "
                       f"(the last: {name})", "check @import rules and repeated images")
        if self._css_fetches > MAX_STYLESHEETS:
            self._stop(path, f"the document reads more than {MAX_STYLESHEETS:,} stylesheets "
                       "(each @import of a stylesheet reads it again)",
                       "import each stylesheet once, from one place (no @import fan-out)")
        if self._bytes > MAX_FETCHED_BYTES:
            self._stop(path, f"the document reads more than {MAX_FETCHED_BYTES // 2**20:,} "
                       "MiB of resources", "use fewer or smaller images, fonts and stylesheets")
        if is_css:
            found = too_many_columns(body)
            if found is not None:
                self._stop(path, f"{found[1]} asks for {found[2]:,} columns; the limit is "
                           f"{MAX_COLUMNS}", "use fewer columns", found[0])
        if not is_css and (mime == "image/svg+xml" or body.lstrip()[:1] == b"<"):
            count = svg_elements(body)
            image = f"the SVG image {'' if path else name + ' '}"
            if count == INFINITE:
                self._stop(path, image + "has a <use> that refers to an element containing "
                           "it (SVG 1.1, 5.6): it would draw endlessly",
                           "remove that <use> or point it at another element")
            if count is not None and count > MAX_SVG_ELEMENTS:
                self._stop(path, image + f"draws {count:,} elements (counting what each "
                           f"<use> copies); the limit is {MAX_SVG_ELEMENTS:,}",
                           "simplify the image (fewer points or shapes, no nested <use>)")
        return URLFetcherResponse(url, body, {"Content-Type": mime or "application/octet-stream"})

    def _stop(self, path: Path | None, message: str, hint: str, line: int | None = None):
        if self.problem is None:
            self.problem = Problem(message, path, line, hint)
        raise FetchStopped(message)

    def _refuse(self, url: str, why: str):
        self.refused.append(f"{shorten(url)} ({why})")
        raise FetchRefused(f"refused to fetch {shorten(url)}: {why}")

    def _fail(self, url: str, problem: Problem):
        """Refuse ``url`` for a problem of the project's input: typesetting goes on
        (WeasyPrint would swallow a fatal error raised inside an SVG), and the build
        fails with ``problem`` once it is done (see :attr:`problems`)."""
        self.problems.append(problem)
        return self._refuse(url, problem.message)


def shorten(url: str, keep: int = 60) -> str:
    """``url`` for a message: a ``data:`` URI (megabytes, perhaps) cut to its first
    ``keep`` characters and its length."""
    if len(url) <= keep or not url[:5].lower() == "data:":
        return url
    return f"{url[:keep]}… ({len(url):,} characters)"


def _image_problem(body: bytes) -> tuple[str, str] | None:
    """What :func:`~almanac.project.checks.check_image` finds wrong with ``body`` if
    it is a raster image as WeasyPrint sees one, or None. WeasyPrint hands every image
    that is not a well-formed SVG to Pillow, whatever its name or declared type
    (``weasyprint/images.py``, ``get_image_from_uri``), so the bytes decide: what
    Pillow recognises from its header is held to the limit; what it does not
    recognise is never decoded."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(body)):
                pass
    except UnidentifiedImageError:
        return None
    except Exception:  # recognised, then too large or damaged: check_image says which
        pass
    return check_image(body)

INFINITE = -1


def svg_elements(body: bytes) -> int | None:
    """How many elements the SVG document ``body`` draws once every same-document
    ``<use>`` is expanded, counted from the id graph without expanding it (each
    element's count is computed once). :data:`INFINITE` (-1) for a ``<use>`` that
    refers to an ancestor or itself (SVG 1.1, 5.6: an error); None when ``body`` is
    not XML (WeasyPrint then does not draw it either).

    Parsed as WeasyPrint parses it (``xml.etree.ElementTree``, whose expat refuses
    entity expansion bombs); iterative, so a deeply nested document costs no stack."""
    try:
        tree = ElementTree.fromstring(body)
    except (ElementTree.ParseError, ValueError, LookupError):
        return None
    by_id: dict[str, ElementTree.Element] = {}
    for element in tree.iter():
        ident = element.get("id")
        if ident is not None:
            by_id.setdefault(ident, element)

    def target(element: ElementTree.Element) -> ElementTree.Element | None:
        if not isinstance(element.tag, str) or not element.tag.endswith("use"):
            return None
        href = element.get("{http://www.w3.org/1999/xlink}href") or element.get("href") or ""
        return by_id.get(href[1:]) if href.startswith("#") else None

    counts: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[ElementTree.Element, bool]] = [(tree, False)]
    while stack:
        element, expanded = stack.pop()
        key = id(element)
        if key in counts:
            continue
        referred = target(element)
        if not expanded:
            if key in visiting:
                return INFINITE
            visiting.add(key)
            stack.append((element, True))
            stack.extend((child, False) for child in element if id(child) not in counts)
            if referred is not None and id(referred) not in counts:
                if id(referred) in visiting:
                    return INFINITE
                stack.append((referred, False))
            continue
        total = 1 + sum(counts.get(id(child), 0) for child in element)
        if referred is not None:
            if id(referred) not in counts:
                return INFINITE
            total += counts[id(referred)]
        counts[key] = min(total, 2**62)
        visiting.discard(key)
    return counts[id(tree)]


def too_many_columns(body: bytes) -> tuple[int, str, int] | None:
    """The first ``columns``/``column-count`` declaration of the stylesheet ``body`` that
    asks for more than :data:`MAX_COLUMNS` columns: (its line, the property, the count);
    parsed with tinycss2 as WeasyPrint parses it, nested blocks (@media, nesting) too."""
    import tinycss2

    rules, _ = tinycss2.parse_stylesheet_bytes(body, skip_comments=True, skip_whitespace=True)
    blocks = [rule.content for rule in rules if getattr(rule, "content", None)]
    while blocks:
        for item in tinycss2.parse_blocks_contents(blocks.pop(), skip_comments=True,
                                                   skip_whitespace=True):
            if item.type == "declaration" and item.lower_name in ("columns", "column-count"):
                for token in item.value:
                    if token.type == "number" and token.is_integer \
                            and token.int_value > MAX_COLUMNS:
                        return item.source_line, item.lower_name, token.int_value
            elif getattr(item, "content", None):
                blocks.append(item.content)
    return None
