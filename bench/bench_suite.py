"""The test suite's own cost: wall time and CPU of a full run, against a baseline.

In one command, on this machine: the suite of a baseline revision (checked out
into a temporary folder, run with its own sources and its own pytest options) and
the suite of the working tree (run as the README runs it), one after the other,
as whole processes. Prints wall time, CPU time (user + system, of the run and
everything it started), passed and failed counts and the ratios new / baseline.

    python bench/bench_suite.py [--baseline REV] [--rounds 1] [-- PYTEST_ARGS...]

PYTEST_ARGS go to the working tree's run, e.g. ``-- -p random_order
--random-order`` for a run in random order. ``--single-core`` runs both under
``taskset -c 0``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def checkout(revision: str, target: Path) -> Path:
    """The files of ``revision`` in ``target`` (no .git: only what the suite reads)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], check=True,
                             capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def run(command: list[str], cwd: Path, env: dict[str, str]) -> dict:
    """Wall and CPU seconds of one suite run (CPU: of the run and every process it
    started and waited for), and its summary line."""
    before, start = os.times(), time.perf_counter()
    output = subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True).stdout
    wall, after = time.perf_counter() - start, os.times()
    summary = next((line for line in reversed(output.splitlines())
                    if re.search(r"\d+ (passed|failed)", line)), "no summary")
    counts = {kind: int(number) for number, kind in
              re.findall(r"(\d+) (passed|failed|error|errors|skipped)", summary)}
    cpu = (after.children_user - before.children_user
           + after.children_system - before.children_system)
    return {"wall": wall, "cpu": cpu,
            "summary": summary.strip("= "), "failed": counts.get("failed", 0)
            + counts.get("error", 0) + counts.get("errors", 0), "output": output}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=None,
                        help="git revision to compare with (default: none, the working "
                        "tree only)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--single-core", action="store_true")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()

    python = Path(sys.executable)
    prefix = ["taskset", "-c", "0"] if args.single_core else []
    results: dict[str, list[dict]] = {"baseline": [], "new": []}
    with tempfile.TemporaryDirectory() as tmp:
        suites = {"new": (ROOT, dict(os.environ),
                          prefix + [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                    *args.pytest_args])}
        if args.baseline:
            old = checkout(args.baseline, Path(tmp) / "baseline")
            # its own sources first on the path, for the suite and every process it starts
            env = {**os.environ, "PYTHONPATH": str(old / "src")}
            suites["baseline"] = (old, env, prefix + [str(python), "-m", "pytest", "-q",
                                                      "-p", "no:cacheprovider"])
        for _ in range(args.rounds):
            for name in ("baseline", "new"):
                if name not in suites:
                    continue
                cwd, env, command = suites[name]
                result = run(command, cwd, env)
                results[name].append(result)
                print(f"{name:9}{result['wall']:8.1f} s wall {result['cpu']:8.1f} s CPU  "
                      f"{result['summary']}", flush=True)
                if result["failed"]:
                    print(result["output"][-4000:])
    if results["baseline"]:
        wall = sum(r["wall"] for r in results["new"]) / sum(r["wall"] for r in results["baseline"])
        cpu = sum(r["cpu"] for r in results["new"]) / sum(r["cpu"] for r in results["baseline"])
        print(f"new / baseline: wall {wall:.2f}x, CPU {cpu:.2f}x (target: wall <= 0.5x)")


if __name__ == "__main__":
    main()
