"""What the placement passes cost: the screen edition laid out and written with the
passes against the same edition without them, in one run, as a ratio.

On a private copy of a report (by default the sample; charts drawn once, before the
rounds), the same rendered HTML is typeset with ``placement`` off and on, in
interleaved rounds so that machine noise hits both alike; the medians are reported,
with the layouts the passes made and the largest hole at the foot of a body page
(:func:`almanac.stages.preflight.page_holes`) each way.

    python bench/bench_placement.py [--rounds 3] [--project .]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

from almanac.pipeline import BuildOptions, load, render_html
from almanac.stages.preflight import page_holes
from almanac.stages.typeset import Typeset, typeset
from almanac.stages.variants import VARIANTS

from _project import copy_project


def timed(project: Path, placement: bool) -> tuple[float, Typeset]:
    """Seconds to typeset the project's screen edition (render included, charts cached)."""
    report = load(project)
    start = time.perf_counter()
    rendered, charts = render_html(report, BuildOptions())
    try:
        result = typeset(rendered, report.root, VARIANTS["screen"], before_read=charts.wait,
                         placement=placement)
    finally:
        charts.finish()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--project", type=Path,
                        default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)

    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(args.project, Path(tmp) / "project")
        timed(project, False)  # draws the charts into the cache
        times: dict[bool, list[float]] = {False: [], True: []}
        results: dict[bool, Typeset] = {}
        for _ in range(args.rounds):
            for placement in (False, True):
                seconds, results[placement] = timed(project, placement)
                times[placement].append(seconds)

    off, on = (statistics.median(times[key]) for key in (False, True))
    print(f"{args.project.name}: {args.rounds} rounds, medians")
    print(f"{'':22}{'seconds':>9}{'layouts':>9}{'pages':>7}{'largest hole':>14}")
    for key, label in ((False, "without the passes"), (True, "with the passes")):
        result = results[key]
        holes = page_holes(result.document)
        print(f"{label:22}{statistics.median(times[key]):9.2f}{result.layouts:9d}"
              f"{result.pages:7d}{max(holes.values(), default=0):13.0%}")
    print(f"cost of the passes: {on / off:.2f}x")


if __name__ == "__main__":
    main()
