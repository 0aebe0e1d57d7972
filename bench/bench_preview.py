"""The designer's loop: time from saving a CSS change to the refreshed page.

In one run, on a private copy of the sample project:
  cold     `almanac build` as a whole process, chart cache empty (the baseline);
  full     the preview server of the whole report: save a CSS change, wait for the
           server's build event, fetch the new state and the first changed page image;
  chapter  the same with `--chapter` (one chapter typeset with the report's styles).
Each change alternates between two values of one CSS rule, so every round really
changes the pages. A save follows as soon as the changed page has arrived, while
the other pages of the last build may still be being drawn (the harder case).
Medians are reported, with the ratio full / cold; and memory: the preview
process's resident size after the first and the last round (it must not grow:
each build runs in a fresh process), and the largest build process.

    python bench/bench_preview.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from almanac.preview.server import make_server
from almanac.preview.session import Preview

from _project import copy_project, override

RULE = "\n/* bench */ h2 {{ letter-spacing: {}em; }}\n"


def resident_mib() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def loop(project: Path, chapter: str | None, rounds: int
         ) -> tuple[list[float], int, list[float]]:
    """Seconds from saving a CSS change to the refreshed page, per round; the
    number of pages; this process's resident memory after each round."""
    preview = Preview(project, chapter)
    stop = threading.Event()
    server = make_server(preview, port=0, stop=stop)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    threads = [threading.Thread(target=server.serve_forever, daemon=True),
               threading.Thread(target=preview.watch, args=(stop,), daemon=True)]
    for thread in threads:
        thread.start()
    preview.rebuild()
    time.sleep(0.5)  # let the watcher settle
    css = override(project, "styles/components.css")
    original = css.read_text()
    timings, memory = [], []
    events = urllib.request.urlopen(base + "events", timeout=120)
    for index in range(rounds):
        state = json.loads(urllib.request.urlopen(base + "state.json").read())
        old = {page["url"] for page in state["pages"]}
        start = time.perf_counter()
        css.write_text(original + RULE.format(0.01 * (index % 2 + 1)))
        while True:  # the server's event stream: wait for a finished build
            line = events.readline().decode()
            if line.startswith("data:") and not json.loads(line[5:])["building"]:
                state = json.loads(urllib.request.urlopen(base + "state.json").read())
                if {page["url"] for page in state["pages"]} != old:
                    break
        changed = next(p["url"] for p in state["pages"] if p["url"] not in old)
        urllib.request.urlopen(base + changed.lstrip("/")).read()
        timings.append(time.perf_counter() - start)
        memory.append(resident_mib())
    stop.set()
    with preview.changed:
        preview.changed.notify_all()
    server.shutdown()
    server.server_close()
    preview.close()
    css.write_text(original)
    return timings, len(state["pages"]), memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--chapter", default="03-inzetbaarheid")
    args = parser.parse_args()
    source = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(source, Path(tmp) / "project")
        full, pages, memory = loop(project, None, args.rounds)
        chapter, chapter_pages, _ = loop(project, args.chapter, args.rounds)
        builds = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        script = Path(sys.executable).with_name("almanac")
        command = [str(script)] if script.exists() else [sys.executable, "-m", "almanac"]
        cold = []
        for _ in range(3):
            shutil.rmtree(project / ".almanac-cache", ignore_errors=True)
            start = time.perf_counter()
            subprocess.run(command + ["build", str(project), "-q", "-o", f"{tmp}/cold.pdf"],
                           check=True, stdout=subprocess.DEVNULL)
            cold.append(time.perf_counter() - start)
    c, f, ch = statistics.median(cold), statistics.median(full), statistics.median(chapter)
    print("rounds, whole report: " + ", ".join(f"{t:.2f}" for t in full) + " s")
    print("rounds, one chapter:  " + ", ".join(f"{t:.2f}" for t in chapter) + " s")
    print(f"cold almanac build           {c:5.2f} s  ({pages} pages)")
    print(f"preview, whole report        {f:5.2f} s  = {f / c:.2f}x cold   target < 0.80x "
          f"({'met' if f / c < 0.8 else 'MISSED'})")
    print(f"preview, one chapter         {ch:5.2f} s  ({chapter_pages} pages)   target < 1.5 s "
          f"({'met' if ch < 1.5 else 'MISSED'})")
    print(f"preview process memory       {memory[0]:5.0f} MiB after round 1, "
          f"{memory[-1]:.0f} MiB after round {len(memory)}")
    print(f"largest build process        {builds:5.0f} MiB")


if __name__ == "__main__":
    main()
