"""The one way the benchmarks copy the sample project into a private folder."""

from __future__ import annotations

import shutil
from pathlib import Path

PARTS = ("report.yaml", "chapters", "figures", "layout", "styles")


def copy_project(source: Path, target: Path) -> Path:
    """Copy a report's sources (not its output or caches) from ``source`` to ``target``."""
    target.mkdir(parents=True)
    for name in PARTS:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source / name, target / name)
    return target
