"""Pages as pictures: which pages changed (a hash of what each draws) and
drawing them as PNG with poppler's ``pdftoppm``, a few at a time."""

from __future__ import annotations

import hashlib
import io
import subprocess
from pathlib import Path
from typing import Any

RASTER_TIMEOUT = 120  # seconds for one pdftoppm run


def rasterise(source: Path, first: int, last: int, dpi: int, workdir: Path) -> list[bytes]:
    """Pages ``first`` to ``last`` (from 1) of the PDF file ``source`` as PNG images
    at ``dpi``, drawn by ``pdftoppm`` in ``workdir``; raises OSError or
    :class:`subprocess.SubprocessError` if it cannot."""
    prefix = workdir / f"{source.stem}-p{first}"
    subprocess.run(["pdftoppm", "-f", str(first), "-l", str(last), "-r", str(dpi),
                    "-png", str(source), str(prefix)], check=True,
                   timeout=RASTER_TIMEOUT, capture_output=True)
    files = sorted(workdir.glob(f"{prefix.name}-*.png"),
                   key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    images = [p.read_bytes() for p in files]
    for path in files:
        path.unlink()
    return images


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

