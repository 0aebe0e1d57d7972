"""The one way the benchmarks copy a report project into a private folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from almanac.project import theme
from almanac.project.parts import copy_sources as copy_project

__all__ = ["almanac_command", "built_html", "copy_project", "override", "timed"]


def almanac_command() -> list[str]:
    """The console script users run, beside this Python; else ``python -m almanac``."""
    script = Path(sys.executable).with_name("almanac")
    return [str(script)] if script.exists() else [sys.executable, "-m", "almanac"]


def timed(command: list[str]) -> tuple[float, int]:
    """Wall time (s) and peak resident memory (KiB, ``ru_maxrss``) of one child
    process, which must end with exit status 0."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return elapsed, usage.ru_maxrss


def override(project: Path, relative: str) -> Path:
    """The project's own copy of a built-in theme file (``styles/x.css``), copied
    from the theme when the project has none yet."""
    path = project / relative
    if not path.exists():
        kind, _, name = relative.partition("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(theme.THEME / kind / name, path)
    return path


def built_html(project: Path, folder: Path) -> str:
    """The final HTML of a build of ``project`` (``almanac build --html``), the PDF and
    the HTML written into ``folder``."""
    html_path = folder / "r.html"
    subprocess.run(almanac_command() + ["build", str(project), "-q", "-o", str(folder / "r.pdf"),
                                        "--html", str(html_path)], check=True,
                   stdout=subprocess.DEVNULL)
    return html_path.read_text(encoding="utf-8")
