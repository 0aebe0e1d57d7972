"""The only way WeasyPrint reads anything: files inside the project, and data: URIs.

Everything else — http(s), ftp, ``file://`` outside the project root, ``..``
escapes, symlinks pointing out of the project — is refused and recorded, so a
data file cannot pull ``/etc/passwd`` or an internal URL into the PDF.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint import URLFetcher
from weasyprint.urls import FatalURLFetchingError, URLFetcherResponse

from ..project.checks import check_image

MAX_RESOURCE_BYTES = 64 * 1024 * 1024
POSTSCRIPT_SIGNATURES = (b"%!PS", b"\xc5\xd0\xd3\xc6")
"""How PostScript and DOS EPS files begin (what Pillow's ``EpsImagePlugin`` accepts,
whatever the file's name): WeasyPrint would ask Pillow to draw one, which runs
Ghostscript on it where Ghostscript is installed."""
RASTER_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff", ".bmp")


class FetchRefused(ValueError):
    """A resource outside the project was requested."""


class FetchStopped(FatalURLFetchingError):
    """A file the document needs will not exist (a chart that could not be drawn):
    WeasyPrint stops the typesetting (its documented rule for a fetcher's
    ``FatalURLFetchingError``) rather than lay out a document that is not wanted."""


class ProjectFetcher(URLFetcher):
    """A WeasyPrint URL fetcher confined to one folder."""

    def __init__(self, root: Path, before_read=None, transform=None, **kwargs):
        """``before_read(path)`` is called before a file is read and may return False:
        the file will never be there (:class:`FetchStopped`). ``transform(path,
        bytes)`` may change a file as it is read."""
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False,
                         timeout=5, **kwargs)
        self.root = Path(root).resolve()
        self.refused: list[str] = []
        self._before_read = before_read  # e.g. wait until a chart file is drawn
        self._transform = transform  # (path, bytes) -> bytes, e.g. recolour for print

    def fetch(self, url, headers=None):
        """WeasyPrint's fetcher interface: the response for ``url``, or
        :class:`FetchRefused` (recorded in ``refused``) for anything outside the project."""
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme != "file":
            return self._refuse(url, "only files inside the project are read")
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return self._refuse(url, "remote file URLs are not read")
        path = Path(url2pathname(unquote(parts.path)))
        if self._before_read is not None and self._before_read(path) is False:
            raise FetchStopped(f"{url} could not be made")
        try:
            resolved = path.resolve(strict=True)
        except (OSError, RuntimeError):
            return self._refuse(url, "file not found")
        if not resolved.is_relative_to(self.root) or not resolved.is_file():
            return self._refuse(url, "outside the project folder")
        if resolved.stat().st_size > MAX_RESOURCE_BYTES:
            return self._refuse(url, f"larger than {MAX_RESOURCE_BYTES // 2**20} MiB")
        with resolved.open("rb") as stream:
            head = stream.read(4)
        if head in POSTSCRIPT_SIGNATURES:
            return self._refuse(url, "a PostScript or EPS file (Pillow would hand it to "
                                "Ghostscript); save it as PNG, JPEG or SVG")
        if resolved.suffix.lower() in RASTER_SUFFIXES + (".svg",):
            problem = check_image(resolved)  # e.g. too many pixels, or an SVG not in UTF-8
            if problem is not None:
                return self._refuse(url, f"image {problem[0]}")
        mime, _ = mimetypes.guess_type(resolved.name)
        if resolved.suffix.lower() in (".ttf", ".otf", ".woff", ".woff2"):
            mime = "font/" + resolved.suffix.lower().lstrip(".")
        body = resolved.read_bytes()
        if self._transform is not None:
            body = self._transform(resolved, body)
        return URLFetcherResponse(url, body, {"Content-Type": mime or "application/octet-stream"})

    def _refuse(self, url: str, why: str):
        self.refused.append(f"{url} ({why})")
        raise FetchRefused(f"refused to fetch {url}: {why}")
