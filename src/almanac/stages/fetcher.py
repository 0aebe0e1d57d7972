"""The only way WeasyPrint reads anything: files inside the project, and data: URIs.

Everything else — http(s), ftp, ``file://`` outside the project root, ``..``
escapes, symlinks pointing out of the project — is refused and recorded, so a
data file cannot pull ``/etc/passwd`` or an internal URL into the PDF.
"""

from __future__ import annotations

import io
import mimetypes
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

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
                 roots: Roots = (), **kwargs):
        """``before_read(path)`` is called before a file is read and may return False:
        the file will never be there (:class:`FetchStopped`). ``transform(path,
        bytes)`` may change a file as it is read. Files are read from ``root`` (the
        project folder) and the other allowed ``roots``."""
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False,
                         timeout=5, **kwargs)
        self.root = Path(root).resolve()
        self.roots = roots_of((self.root, *roots))
        self.refused: list[str] = []
        self.problems: list[Problem] = []  # input that fails the build, with its file
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
            if exc.kind == "missing":
                return self._refuse(url, "file not found")
            if exc.kind == "too-large":
                return self._refuse(url, f"larger than {MAX_RESOURCE_BYTES // 2**20} MiB")
            return self._fail(url, Problem(f"file {exc.reason}", absolute, hint=exc.hint))
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
        return URLFetcherResponse(url, body, {"Content-Type": mime or "application/octet-stream"})

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
        return URLFetcherResponse(url, body, {"Content-Type": response.content_type
                                              or "application/octet-stream"})

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
