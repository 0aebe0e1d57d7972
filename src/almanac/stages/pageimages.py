"""Pages as pictures: PNG images of a PDF's pages, drawn by PDFium (pypdfium2).

PDFium is a library, not a program, so a page is drawn in a process of its own
(``python -m almanac.stages.pageimages``) that this module starts and bounds:

- *time*: the process is killed after ``timeout`` seconds (a page can draw a
  form that draws itself ten times, ten levels deep);
- *image size*: a page wider or taller than ``max_side`` pixels at the asked
  resolution is drawn cropped to its top left ``max_side`` × ``max_side``
  pixels, as poppler's ``pdftoppm -x 0 -y 0 -W -H`` does, so no page makes an
  image of more than ``max_side``² pixels, whatever its MediaBox;
- *memory*: on POSIX the process sets itself an address-space limit
  (``RLIMIT_AS``) of :data:`MEMORY_LIMIT` before it loads PDFium;
- *pages*: only the pages asked for are drawn; the callers bound how many.

A crash of PDFium on a hostile file ends that process, not the caller. The
process also ends when the one that started it is gone.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

MAX_SIDE = 4_000
"""The widest and tallest page image drawn, in pixels (a page of 2 m at 50 dpi)."""
TIMEOUT = 120.0
"""Seconds one call of :func:`draw_pages` may take, unless it says otherwise."""
MEMORY_LIMIT = 2 * 2**30
"""The address space the drawing process may use, in bytes: PDFium itself takes
some 40 MB, the largest image (``MAX_SIDE``² pixels of 3 bytes) 48 MB."""
_POINTS_PER_INCH = 72  # PDF 2.0 (ISO 32000-2), 8.3.2.3: a default user space unit is 1/72 in


class PagesNotDrawn(Exception):
    """The pages could not be drawn: the PDF is not one PDFium reads, the process
    ran out of time or memory, or it could not be started. The message says which,
    in words for a user (no traceback)."""


def draw_pages(pdf: Path, folder: Path, dpi: float, first: int = 1, last: int | None = None,
               *, max_side: int = MAX_SIDE, timeout: float = TIMEOUT) -> list[Path]:
    """Pages ``first`` to ``last`` (from 1, both included; ``last`` None or past the
    end: to the last page) of the PDF file ``pdf`` as PNG files in ``folder``, in
    page order, drawn at ``dpi`` pixels per inch on white, RGB.

    The files are named ``<pdf stem>-<first>-<page number>.png``, so that several
    calls may draw into one folder at once for different runs of pages. Each side
    of an image is at most ``max_side`` pixels (a larger page is cropped to its top
    left corner). Raises :class:`PagesNotDrawn` when the pages cannot be drawn in
    ``timeout`` seconds, or at all; files of pages drawn before then may be left in
    ``folder``.
    """
    if first < 1 or (last is not None and last < first) or dpi <= 0 or max_side < 1:
        raise ValueError(f"no pages to draw: {first}..{last} at {dpi} dpi, {max_side} px")
    prefix = f"{pdf.stem}-{first}"
    request = {"pdf": str(pdf), "folder": str(folder), "prefix": prefix, "dpi": dpi,
               "first": first, "last": last, "max_side": max_side}
    try:
        done = subprocess.run(
            # -P: the current folder is not put on the process's import path
            [sys.executable, "-P", "-m", "almanac.stages.pageimages", json.dumps(request)],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise PagesNotDrawn(f"PDFium took over {timeout:g} s")
    except OSError as exc:
        raise PagesNotDrawn(f"the process that draws pages could not start ({exc})")
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        if done.returncode < 0:
            reason = f"PDFium's process ended by {_signal(-done.returncode)}"
        else:
            reason = lines[-1][:300] if lines else f"exit status {done.returncode}"
        raise PagesNotDrawn(reason)
    files = sorted(folder.glob(f"{prefix}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return files


def _signal(number: int) -> str:
    try:
        return f"signal {signal.Signals(number).name}"
    except ValueError:
        return f"signal {number}"


# ---------------------------------------------------------------------- the process


def main(argv: list[str]) -> int:
    """The drawing process: ``argv[1]`` is the request of :func:`draw_pages` as JSON.
    Exits 0 when every page is drawn, else 1 with the reason as its last line of
    standard error."""
    request = json.loads(argv[1])
    parent = os.getppid()
    threading.Thread(target=_lifeline, args=(parent,), daemon=True).start()
    _limit_memory()
    try:
        _draw(Path(request["pdf"]), Path(request["folder"]), request["prefix"],
              float(request["dpi"]), int(request["first"]), request["last"],
              int(request["max_side"]))
    except MemoryError:
        sys.stderr.write(f"PDFium needs over {MEMORY_LIMIT / 2**30:g} GiB of memory\n")
        return 1
    except Exception as exc:  # PDFium's reason for a file it cannot read or draw
        sys.stderr.write(" ".join(str(exc).split()) or type(exc).__name__)
        sys.stderr.write("\n")
        return 1
    return 0


def _draw(pdf: Path, folder: Path, prefix: str, dpi: float, first: int, last: int | None,
          max_side: int) -> None:
    import pypdfium2 as pdfium

    scale = dpi / _POINTS_PER_INCH
    document = pdfium.PdfDocument(pdf)
    try:
        count = len(document)
        for number in range(first, min(count, last or count) + 1):
            page = document[number - 1]
            try:
                # the size as shown, its /Rotate applied (FPDF_GetPageWidthF)
                width, height = page.get_size()
                if not (math.isfinite(width) and math.isfinite(height)) \
                        or width * scale > 2**30 or height * scale > 2**30:
                    raise ValueError(f"page {number} is {width:g} × {height:g} pt, "
                                     "too large to draw")
                # what lies beyond max_side pixels to the right and below is cut off
                # (crop: left, bottom, right, top in points, applied after rotation)
                crop = (0.0, max(0.0, height - max_side / scale),
                        max(0.0, width - max_side / scale), 0.0)
                bitmap = page.render(scale=scale, crop=crop, may_draw_forms=False)
                image = bitmap.to_pil()
                if image.width > max_side or image.height > max_side:  # a pixel of rounding
                    image = image.crop((0, 0, min(image.width, max_side),
                                        min(image.height, max_side)))
                image.save(folder / f"{prefix}-{number}.png", "PNG")
                bitmap.close()
            finally:
                page.close()
    finally:
        document.close()


def _limit_memory() -> None:
    try:
        import resource
    except ImportError:  # not POSIX: bounded by time alone
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = MEMORY_LIMIT if hard == resource.RLIM_INFINITY else min(MEMORY_LIMIT, hard)
    if soft == resource.RLIM_INFINITY or soft > wanted:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))


def _lifeline(parent: int) -> None:
    """End the process when the one that started it is gone (it is then adopted by
    another, and its parent's id changes)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
