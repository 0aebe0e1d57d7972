"""Big inputs: time and peak memory of a build with each, as whole processes.

Each case is a private copy of the sample project with one big input added:
  sample      the sample report as it is (for comparison);
  image       a 20 000 × 20 000 PNG as a chapter photo: refused (the limit is 50 MP);
  image-49mp  a 7 000 × 7 000 PNG as a chapter photo, just under the limit;
  csv-50k     a 50 000-row series: refused (the limit is 10 000 rows);
  table-5k    a table block of 5 000 rows;
  table-10k   a table block of 10 000 rows, the most a series may have;
  chart-5k    a line chart of a 5 000-row series;
  chart-10k   a line chart of a 10 000-row series.
Peak memory is the largest resident set size of the build process and of its
chart worker (getrusage of the waited-for children).

``--guard-overhead N`` instead times the typesetting of the sample (charts cached)
N times with the limits' watchdog (almanac.stages.guard) and N times without it,
alternating, and prints the medians and their ratio.

    python bench/bench_limits.py [--cases sample,image,...] [--project .]
    python bench/bench_limits.py --guard-overhead 7
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _project import copy_project

RESULTATEN = Path("chapters") / "07-resultaten"


def series(project: Path, rows: int) -> None:
    """Replace the 'overvallen' series (a line chart) with ``rows`` rows."""
    (project / RESULTATEN / "data" / "overvallen.csv").write_text(
        "jaar,aantal\n" + "".join(f"{1000 + i},{i % 97}\n" for i in range(rows)),
        encoding="utf-8")


def table(project: Path, rows: int) -> None:
    """Add a series of ``rows`` rows and a table block showing it."""
    (project / RESULTATEN / "data" / "groot.csv").write_text(
        "jaar,aantal,omschrijving\n"
        + "".join(f"{2000 + i % 20},{i},regel {i}\n" for i in range(rows)), encoding="utf-8")
    chapter = project / RESULTATEN / "chapter.yaml"
    text = chapter.read_text(encoding="utf-8").replace(
        "series:\n", "series:\n  groot:\n    file: data/groot.csv\n", 1)
    chapter.write_text(text + "\n  - title: Groot\n    blocks:\n      - type: table\n"
                       "        caption: Grote tabel\n        series: groot\n", encoding="utf-8")


def image(project: Path, side: int = 20_000) -> None:
    from PIL import Image

    folder = project / "chapters" / "03-inzetbaarheid"
    Image.new("RGB", (side, side), (21, 57, 107)).save(folder / "groot.png")
    chapter = folder / "chapter.yaml"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "        motif: classroom\n", "        motif: classroom\n        image: groot.png\n"),
        encoding="utf-8")


CASES = {
    "sample": lambda p: None,
    "image": image,
    "image-49mp": lambda p: image(p, 7_000),
    "csv-50k": lambda p: series(p, 50_000),
    "table-5k": lambda p: table(p, 5_000),
    "table-10k": lambda p: table(p, 10_000),
    "chart-5k": lambda p: series(p, 5_000),
    "chart-10k": lambda p: series(p, 10_000),
}


# Runs a command and prints the peak resident memory of it and all its descendants
# (the build and its chart worker), in KiB, and its exit code.
WRAPPER = (
    "import resource, subprocess, sys; "
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE); "
    "sys.stderr.buffer.write(r.stderr); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)"
)


def measure(command: list[str]) -> tuple[int, float, int, str]:
    """Exit code, wall time (s), peak resident memory (KiB) and the first line of stderr."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", WRAPPER, *command], capture_output=True,
                            text=True)
    elapsed = time.perf_counter() - start
    peak, code = map(int, result.stdout.split())
    lines = result.stderr.strip().splitlines()
    return code, elapsed, peak, lines[0] if lines else ""


def guard_overhead(source: Path, rounds: int) -> None:
    """Median typesetting time of the sample with and without the guard, in-process."""
    import statistics

    from almanac.pipeline import BuildOptions, build, load, render_html
    from almanac.stages import guard
    from almanac.stages.typeset import typeset
    from almanac.stages.variants import VARIANTS

    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(source, Path(tmp) / "project")
        build(project)  # the charts into the cache
        report = load(project)
        rendered, job = render_html(report, BuildOptions())
        job.finish()
        variant = VARIANTS["screen"]
        guarded = guard.Guard.run
        times: dict[str, list[float]] = {"with": [], "without": []}
        for _ in range(rounds):
            for name in times:
                guard.Guard.run = guarded if name == "with" else (  # type: ignore[method-assign]
                    lambda self, function: function())
                start = time.perf_counter()
                typeset(rendered, report.root, variant,
                        transform=variant.transform(report.brand, report.brand_path.parent))
                times[name].append(time.perf_counter() - start)
        guard.Guard.run = guarded  # type: ignore[method-assign]
    with_, without = (statistics.median(times[name]) for name in ("with", "without"))
    print(f"typesetting the sample, median of {rounds}: {without:.2f} s without the guard, "
          f"{with_:.2f} s with it: ratio {with_ / without:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--project", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--guard-overhead", type=int, metavar="N")
    args = parser.parse_args()
    if args.guard_overhead:
        guard_overhead(args.project, args.guard_overhead)
        return
    script = Path(sys.executable).with_name("almanac")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "almanac"]
    print(f"{'case':11}{'exit':>5}{'seconds':>9}{'peak MiB':>10}  message")
    for name in args.cases.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            project = copy_project(args.project, Path(tmp) / "project")
            CASES[name](project)
            code, seconds, peak, message = measure(command + ["build", str(project), "-q"])
        print(f"{name:11}{code:5}{seconds:9.1f}{peak / 1024:10.0f}  {message[:90]}")


if __name__ == "__main__":
    main()
