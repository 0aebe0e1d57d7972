"""Verify speed: the rebuild against the structural checks alone, as a ratio, in one run.

On a private copy of the sample project, published once, its edition's PDF is
copied alone (as if mailed) and checked, each round:
  quick    `almanac verify --quick` (the file's own checks) as a whole process;
  rebuild  `almanac verify` (those checks, then the edition made again from its
           embedded sources and compared byte for byte) as a whole process.
Rounds are interleaved so that machine noise hits both alike; the medians are
reported, with the peak resident memory of each.

    python bench/bench_verify.py [--rounds 3] [--project .]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from pypdf import PdfReader

from _project import almanac_command, copy_project, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--project", type=Path, default=Path(__file__).resolve().parent.parent)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(args.project, Path(tmp) / "project")
        command = almanac_command()
        published = subprocess.run(command + ["publish", "-q", str(project)], check=True,
                                   capture_output=True, text=True).stdout.strip()
        pdf = Path(tmp) / "mailed" / Path(published).name
        pdf.parent.mkdir()
        shutil.copyfile(published, pdf)
        verify = command + ["verify", str(pdf)]
        results: dict[str, list[tuple[float, int]]] = {"quick": [], "rebuild": []}
        for _ in range(args.rounds):
            results["quick"].append(timed(verify + ["--quick"]))
            results["rebuild"].append(timed(verify))
        pages = len(PdfReader(pdf).pages)
        size = pdf.stat().st_size

    median = {key: statistics.median(t for t, _ in runs) for key, runs in results.items()}
    memory = {key: max(m for _, m in runs) for key, runs in results.items()}
    print(f"sample edition: {pages} pages, {size / 1024:.0f} KiB PDF, {args.rounds} rounds")
    print(f"{'':18}{'median s':>10}{'ratio':>8}{'peak MiB':>10}")
    for key, label in (("quick", "verify --quick"), ("rebuild", "verify (rebuild)")):
        ratio = median[key] / median["quick"]
        print(f"{label:18}{median[key]:10.2f}{ratio:7.2f}x{memory[key] / 1024:10.0f}")


if __name__ == "__main__":
    main()
