"""What tagging costs: the screen edition with its structure tree (PDF/UA-1) against the
same edition untagged, in one run, as ratios.

- **size**: the PDF's bytes, tagged / untagged (the issue's target: at most 1.3×);
- **time**: laying out and writing the PDF (charts from the cache), tagged / untagged;
- **tree**: the structure elements, marked runs and artifact sequences of the tagged file;
- **memory**: the peak resident size of a process of its own that loads the report and
  makes the PDF (charts from the cache), tagged / untagged.

Medians of interleaved rounds.

    python bench/bench_structure.py [--rounds 4]
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import pikepdf

from almanac.pipeline import BuildOptions, load, make_pdf
from almanac.stages import variants

from _project import copy_project

SAMPLE = Path(__file__).resolve().parent.parent
"""The repository's own report."""


def made(report, variant: str) -> tuple[float, bytes]:
    start = time.perf_counter()
    result = make_pdf(report, BuildOptions(variant=variant))
    return time.perf_counter() - start, result.pdf


PEAK = """
import dataclasses, logging, resource, sys
logging.disable(logging.WARNING)
from almanac.pipeline import BuildOptions, load, make_pdf
from almanac.stages import variants
variants.VARIANTS["screen-untagged"] = dataclasses.replace(
    variants.VARIANTS["screen"], name="screen-untagged", pdf_variant=None, tagged=False)
make_pdf(load(sys.argv[1]), BuildOptions(variant=sys.argv[2]))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""
"""A process that makes one variant and prints its peak resident size in KiB
(``getrusage``'s ``ru_maxrss``, KiB on Linux)."""


def peak_mib(project: Path, variant: str) -> float:
    """The peak resident size (MiB) of a fresh process making ``variant``."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", PEAK, str(project), variant],
                         capture_output=True, text=True, check=True).stdout
    return int(out.split()[-1]) / 1024


def counts(pdf: bytes) -> dict[str, int]:
    """Structure elements, marked runs (MCIDs) and artifact sequences of a PDF."""
    import io

    with pikepdf.open(io.BytesIO(pdf)) as document:
        elements = sum(1 for item in document.objects if isinstance(item, pikepdf.Dictionary)
                       and item.get("/Type") == "/StructElem")
        marked = artifacts = 0
        for page in document.pages:
            for operation in pikepdf.parse_content_stream(page):
                if str(operation.operator) in ("BDC", "BMC"):
                    if str(operation.operands[0]) == "/Artifact":
                        artifacts += 1
                    else:
                        marked += 1
    return {"structure elements": elements, "marked runs": marked, "artifacts": artifacts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    rounds = parser.parse_args().rounds
    logging.disable(logging.WARNING)
    untagged = dataclasses.replace(variants.VARIANTS["screen"], name="screen-untagged",
                                   pdf_variant=None, tagged=False)
    variants.VARIANTS[untagged.name] = untagged  # for this benchmark only
    folder = Path(tempfile.mkdtemp(prefix="almanac-bench-"))
    try:
        project = folder / "project"
        copy_project(SAMPLE, project)
        report = load(project)
        made(report, "screen")  # the charts into the cache
        times: dict[str, list[float]] = {"screen": [], "screen-untagged": []}
        sizes: dict[str, int] = {}
        pdfs: dict[str, bytes] = {}
        for index in range(rounds):  # the order alternates: no variant always goes first
            order = ("screen-untagged", "screen")
            for variant in order if index % 2 == 0 else order[::-1]:
                seconds, pdf = made(report, variant)
                times[variant].append(seconds)
                sizes[variant], pdfs[variant] = len(pdf), pdf
        tagged, plain = statistics.median(times["screen"]), statistics.median(
            times["screen-untagged"])
        print(f"size: tagged {sizes['screen']:,} bytes / untagged "
              f"{sizes['screen-untagged']:,} bytes = "
              f"{sizes['screen'] / sizes['screen-untagged']:.2f}×")
        print(f"time: tagged {tagged:.2f} s / untagged {plain:.2f} s = {tagged / plain:.2f}×")
        memory = {variant: statistics.median(peak_mib(project, variant) for _ in range(2))
                  for variant in ("screen-untagged", "screen")}
        print(f"memory: tagged {memory['screen']:.0f} MiB / untagged "
              f"{memory['screen-untagged']:.0f} MiB = "
              f"{memory['screen'] / memory['screen-untagged']:.2f}× (peak resident size)")
        print("tree:", ", ".join(f"{key} {value:,}" for key, value in
                                 counts(pdfs["screen"]).items()))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
