"""Build speed and memory, as ratios against WeasyPrint alone, in one run.

Each round, on a private copy of the sample project:
  cold   `almanac build` with an empty chart cache (imports, charts, templates,
         WeasyPrint, finishing) as a whole process;
  warm   the same build again, no chart changed since the last one;
  alone  WeasyPrint alone, as a whole process, on the final HTML that the cold
         build produced (same fonts, same SVGs, default URL fetcher).
Rounds are interleaved so that machine noise hits all three alike; the
medians are reported.

    python bench/bench_build.py [--rounds 5] [--project .]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from pypdf import PdfReader

from _project import almanac_command, copy_project, timed

WEASYPRINT_ALONE = (
    "import sys; from weasyprint import HTML; "
    "HTML(filename=sys.argv[1], base_url=sys.argv[2]).write_pdf(sys.argv[3])"
)



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--project", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(args.project, Path(tmp) / "project")
        pdf, html, alone_pdf = Path(tmp) / "r.pdf", Path(tmp) / "r.html", Path(tmp) / "w.pdf"
        command = almanac_command()
        build = command + ["build", str(project), "-q", "-o", str(pdf)]
        results: dict[str, list[tuple[float, int]]] = {"cold": [], "warm": [], "alone": []}
        for _ in range(args.rounds):
            shutil.rmtree(project / ".almanac-cache", ignore_errors=True)
            results["cold"].append(timed(build + ["--html", str(html)]))
            results["warm"].append(timed(build))
            results["alone"].append(timed([sys.executable, "-c", WEASYPRINT_ALONE, str(html),
                                           project.as_uri() + "/", str(alone_pdf)]))
        pages = len(PdfReader(pdf).pages)
        size = pdf.stat().st_size

    median = {key: statistics.median(t for t, _ in runs) for key, runs in results.items()}
    memory = {key: max(m for _, m in runs) for key, runs in results.items()}
    print(f"sample report: {pages} pages, {size / 1024:.0f} KiB PDF, {args.rounds} rounds")
    print(f"{'':8}{'median s':>10}{'ratio':>8}{'peak MiB':>10}")
    for key, label in (("alone", "weasyprint alone"), ("cold", "cold build"),
                       ("warm", "warm build")):
        ratio = median[key] / median["alone"]
        print(f"{label:18}{median[key]:8.2f}{ratio:8.2f}x{memory[key] / 1024:9.0f}")
    cold, warm = median["cold"] / median["alone"], median["warm"] / median["alone"]
    print(f"targets: cold <= 1.25x ({'met' if cold <= 1.25 else 'MISSED'})"
          f", warm <= 1.15x ({'met' if warm <= 1.15 else 'MISSED'})")


if __name__ == "__main__":
    main()
