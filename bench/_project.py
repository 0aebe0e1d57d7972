"""The one way the benchmarks copy a report project into a private folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from almanac.project import theme
from almanac.project.parts import copy_sources as copy_project

__all__ = ["copy_project", "override"]


def override(project: Path, relative: str) -> Path:
    """The project's own copy of a built-in theme file (``styles/x.css``), copied
    from the theme when the project has none yet."""
    path = project / relative
    if not path.exists():
        kind, _, name = relative.partition("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(theme.THEME / kind / name, path)
    return path
