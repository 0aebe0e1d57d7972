"""Pages as pictures: which pages changed (a hash of what each draws) and
drawing them as PNG with PDFium (:mod:`almanac.stages.pageimages`), a few at a time."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

from ..stages.pageimages import draw_pages

RASTER_TIMEOUT = 120  # seconds for one run of pages


def rasterise(source: Path, first: int, last: int, dpi: int, workdir: Path) -> list[bytes]:
    """Pages ``first`` to ``last`` (from 1) of the PDF file ``source`` as PNG images
    at ``dpi``, drawn in ``workdir`` (see :func:`~almanac.stages.pageimages.draw_pages`:
    a page is at most 4,000 pixels each way); raises
    :class:`~almanac.stages.pageimages.PagesNotDrawn` if they cannot be drawn in
    ``RASTER_TIMEOUT`` seconds, or at all."""
    files = draw_pages(source, workdir, dpi, first, last, timeout=RASTER_TIMEOUT)
    try:
        return [path.read_bytes() for path in files]
    finally:
        for path in files:
            path.unlink(missing_ok=True)


def runs(numbers: list[int], size: int = 4) -> list[tuple[int, int]]:
    """Consecutive page numbers as (first, last) runs of at most ``size`` pages, in
    page order: the first changed page alone, so that it is shown first."""
    runs: list[list[int]] = []
    for number in numbers:
        if len(runs) > 1 and number == runs[-1][1] + 1 \
                and runs[-1][1] - runs[-1][0] + 1 < size:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return [(first, last) for first, last in runs]


def analyse(pdf: bytes) -> tuple[list[str], list[dict]]:
    """Per page, a hash of what it draws (its content stream and the images and forms
    it uses, as stored); and the chapters with their first page, from the outline."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    hashes = []
    for page in reader.pages:
        digest = hashlib.sha256()
        contents = page.get("/Contents")
        contents = contents.get_object() if contents is not None else []
        for stream in contents if isinstance(contents, list) else [contents]:
            digest.update(stream.get_object().get_data())
        _hash_resources(page.get("/Resources"), digest, set())
        hashes.append(digest.hexdigest())
    chapters = []
    for item in reader.outline:
        if not isinstance(item, list):
            number = reader.get_destination_page_number(item)
            assert number is not None  # WeasyPrint's bookmarks point at its own pages
            chapters.append({"title": item.title, "page": number + 1})
    return hashes, chapters


def _hash_resources(resources: Any, digest: Any, seen: set) -> None:
    if resources is None:
        return
    resources = resources.get_object()
    for name, ref in sorted((resources.get("/XObject") or {}).items()):
        xobject = ref.get_object()
        if id(xobject) in seen:
            continue
        seen.add(id(xobject))
        digest.update(name.encode() + xobject.get_data())
        _hash_resources(xobject.get("/Resources"), digest, seen)
    for name in ("/ExtGState", "/Pattern", "/Shading"):
        digest.update(repr(sorted((resources.get(name) or {}).keys())).encode())

