"""Drawing the PDF with each repeated SVG image written once (a form XObject every
place paints, :mod:`almanac.stages.svgreuse`) against WeasyPrint's own drawing (the
SVG replayed at each place), on one layout of a long report, in one run.

The sample is built once (``--html``); its chapters are then repeated ``--repeat``
times in that HTML (the same photos, placeholders and charts again, as a long report
repeats a logo or a placeholder), laid out once, and drawn as a PDF/UA file each way
in turns. Medians of the rounds, the file sizes and the pages that differ when drawn
(pypdfium2, 100 dpi) are printed.

    python bench/bench_drawing.py [--rounds 3] [--repeat 5] [--project .]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

from almanac.stages.svgreuse import svgs_drawn_once

from _project import built_html, copy_project


def repeated_chapters(html: str, repeat: int) -> str:
    """``html`` with the run of chapters (from the first ``<section class="chapter"``
    to the back cover) ``repeat`` times."""
    start = html.index('<section class="chapter"')
    end = html.index('<section class="back-cover"')
    return html[:start] + html[start:end] * repeat + html[end:]


def differing_pages(first: bytes, second: bytes) -> tuple[int, int]:
    """How many pages of two PDFs differ in any pixel, drawn at 100 dpi, and the
    largest difference of a pixel's channel (0-255)."""
    import pypdfium2
    from PIL import ImageChops

    a, b = pypdfium2.PdfDocument(first), pypdfium2.PdfDocument(second)
    pages, largest = 0, 0
    for i in range(len(a)):
        difference = ImageChops.difference(
            a[i].render(scale=100 / 72).to_pil().convert("RGB"),
            b[i].render(scale=100 / 72).to_pil().convert("RGB"))
        if difference.getbbox() is not None:
            pages += 1
            largest = max(largest, max(high for _, high in difference.getextrema()))
    return pages, largest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--project", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    from weasyprint import HTML

    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(args.project, Path(tmp) / "project")
        html = repeated_chapters(built_html(project, Path(tmp)), args.repeat)
        document = HTML(string=html, base_url=project.as_uri() + "/").render()
        times: dict[str, list[float]] = {"weasyprint": [], "drawn once": []}
        pdfs: dict[str, bytes] = {}
        for _ in range(args.rounds):  # interleaved: machine noise hits both alike
            for name in times:
                hook = svgs_drawn_once(document) if name == "drawn once" else nullcontext()
                start = time.perf_counter()
                with hook:
                    pdfs[name] = document.write_pdf(pdf_variant="pdf/ua-1")
                times[name].append(time.perf_counter() - start)
    print(f"{len(document.pages)} pages, {args.rounds} rounds (median s)")
    for name, runs in times.items():
        print(f"{name:12}{statistics.median(runs):8.2f} s{len(pdfs[name]) / 1024:8.0f} KiB")
    pages, largest = differing_pages(pdfs["weasyprint"], pdfs["drawn once"])
    print(f"pages with a pixel that differs: {pages}, by at most {largest} of 255")


if __name__ == "__main__":
    main()
