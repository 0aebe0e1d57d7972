"""Typesetting in parts on every core against the single pass, in one run:

For reports of about 30, 150, 300 and 600 pages (the repository's report with its
chapters repeated, each copy's numbers and figure ids renamed), each built in a
process of its own with its charts drawn and the last build's page record kept (a
warm build; the parts kept between builds removed, so every part is typeset):

- **one pass** (``--jobs 1``) and **in parts** (``--jobs N``, N the cores): wall time,
  CPU time (the build's process and every process it started) and the peak resident
  memory of the largest process (``getrusage``'s ``ru_maxrss``);
- **WeasyPrint alone** laying out and writing the same HTML (the build's ``--html``),
  in a process of its own: the engine's floor;
- the ratios: parts / one pass (targets on two cores: at most 0.6 from 300 pages,
  at most 1.0 at 30), one pass / WeasyPrint, and the time per page of each against
  the smallest report's (target: at most 1.25 from 30 to 600 pages).

    python bench/bench_parallel.py [--sizes 1,5,10,20] [--jobs N]

``--sizes``: how many times the report's chapters are repeated for each report.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from almanac.stages.variants import VARIANTS

from _project import copy_project

SAMPLE = Path(__file__).resolve().parent.parent
"""The repository's own report."""

BUILD = """
import json, os, resource, sys, time
from pathlib import Path
from almanac.pipeline import BuildOptions, build
start, times = time.perf_counter(), os.times()
html = Path(sys.argv[4]) if sys.argv[4] else None
result = build(sys.argv[1], Path(sys.argv[3]),
               BuildOptions(jobs=int(sys.argv[2]), html_output=html))
wall, after = time.perf_counter() - start, os.times()
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "pages": result.pages,
                  "cpu": sum(after[:4]) - sum(times[:4]),
                  "peak": max(own, children) / 1024, "main": own / 1024}))
"""
"""One build in a process of its own: its wall and CPU time (its own and its part
processes', which it waits for) and the peak resident memory of its largest process
(MiB; a forked part's ``ru_maxrss`` counts the pages it shares with its parent)."""

ENGINE = """
import json, os, resource, sys, time
from pathlib import Path
import weasyprint
html = Path(sys.argv[1]).read_text(encoding="utf-8")
start, times = time.perf_counter(), os.times()
weasyprint.HTML(string=html, base_url=sys.argv[2]).write_pdf(os.devnull,
                                                             pdf_variant=sys.argv[3])
wall, after = time.perf_counter() - start, os.times()
print(json.dumps({"wall": wall, "cpu": sum(after[:4]) - sum(times[:4]),
                  "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""
"""WeasyPrint alone on a build's HTML (its own fetcher and fonts), with the screen
edition's PDF variant (PDF/UA-1: tagged, as the build)."""


def repeated(target: Path, times: int) -> Path:
    """A copy of the repository's report with its chapters repeated ``times`` times:
    each copy a chapter folder of its own whose numbers and figure and table ids get
    a suffix (a report defines each once)."""
    project = copy_project(SAMPLE, target)
    manifest = (project / "report.yaml").read_text(encoding="utf-8")
    head, tail = manifest.split("\nchapters:\n", 1)
    listed = re.match(r"((?:  - \S+\n)+)", tail)
    assert listed is not None
    chapters = re.findall(r"  - (\S+)", listed[1])
    names = list(chapters)
    for copy in range(2, times + 1):
        for chapter in chapters:
            name = f"{chapter}-r{copy}"  # not -N: a section anchor ends so
            shutil.copytree(project / "chapters" / chapter, project / "chapters" / name)
            names.append(name)
            for path in (project / "chapters" / name).iterdir():
                if path.suffix in (".yaml", ".md"):
                    path.write_text(_renamed(path.read_text(encoding="utf-8"), copy),
                                    encoding="utf-8")
    (project / "report.yaml").write_text(
        head + "\nchapters:\n" + "".join(f"  - {name}\n" for name in names)
        + tail[len(listed[1]):], encoding="utf-8")
    return project


def _renamed(text: str, copy: int) -> str:
    block = re.search(r"^numbers:\n((?:[ ].*\n|\n)*)", text, re.M)
    keys = set(re.findall(r"^  ([a-z][a-z0-9_]*):", block[1], re.M)) if block else set()
    text = re.sub(r"\{\{\s*([a-z][a-z0-9_]*)", lambda m: "{{ " + m[1]
                  + (f"_r{copy}" if m[1] in keys else ""), text)
    for key in keys:
        text = re.sub(rf"^  {key}:", f"  {key}_r{copy}:", text, flags=re.M)
    return re.sub(r"(\bid:\s*)([a-z][a-z0-9_]*)", rf"\1\2_r{copy}", text)


def run(script: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def built(project: Path, jobs: int, html: Path | None = None) -> dict:
    """One warm build: the parts kept by the last build removed first."""
    shutil.rmtree(project / ".almanac-cache" / "parts", ignore_errors=True)
    return run(BUILD, str(project), str(jobs), str(project / "output" / "bench.pdf"),
               str(html) if html else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,5,10,20")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="almanac-bench-parallel-") as tmp:
        for times in [int(value) for value in args.sizes.split(",")]:
            project = repeated(Path(tmp) / f"report-{times}", times)
            html = Path(tmp) / f"report-{times}.html"
            built(project, 1, html)  # charts drawn, the page record kept
            one = built(project, 1)
            parts = built(project, args.jobs)
            engine = run(ENGINE, str(html), project.as_uri() + "/",
                         VARIANTS["screen"].pdf_variant or "")
            rows.append((one["pages"], one, parts, engine))
            print(f"{one['pages']:4d} pages  one pass {one['wall']:6.1f} s "
                  f"(CPU {one['cpu']:6.1f} s, {one['peak']:5.0f} MiB)  "
                  f"in parts {parts['wall']:6.1f} s (CPU {parts['cpu']:6.1f} s, largest "
                  f"process {parts['peak']:5.0f} MiB)  WeasyPrint alone {engine['wall']:6.1f} s"
                  f"  → parts/one {parts['wall'] / one['wall']:.2f}, one/WeasyPrint "
                  f"{one['wall'] / engine['wall']:.2f}", flush=True)
    first = rows[0]
    print("\ntime per page against the smallest report (one pass, in parts):")
    for pages, one, parts, _ in rows:
        print(f"{pages:4d} pages  {one['wall'] / pages / (first[1]['wall'] / first[0]):.2f}  "
              f"{parts['wall'] / pages / (first[2]['wall'] / first[0]):.2f}")


if __name__ == "__main__":
    main()
