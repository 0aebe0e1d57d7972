"""Staging: where files and folders are made before they are renamed into place.

A build or a publish writes its output to a temporary file (or folder) first and
renames it into ``output/`` in one step, so a reader — or a build killed at any
moment — sees the old file or the new one, never half of one. Temporaries live in
``<project>/.almanac-cache/tmp/``, on the same filesystem as ``output/`` (a rename
cannot cross filesystems), and not in ``output/`` itself, so a killed build leaves
nothing half-written there. Their names start with the process id of their writer;
the ones whose writer is gone are removed by the next build.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

STAGING_DIR = Path(".almanac-cache") / "tmp"


def staging_dir(root: Path | None, target: Path) -> Path:
    """The folder for temporaries of ``target``: the project's staging folder when
    ``target`` lies inside ``root`` on the same filesystem, else beside ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if root is not None:
        root = Path(root).resolve()
        if target.parent.resolve().is_relative_to(root):
            staging = root / STAGING_DIR
            staging.mkdir(parents=True, exist_ok=True)
            if staging.stat().st_dev == target.parent.stat().st_dev:
                remove_stale(staging)
                return staging
    return target.parent


def prefix(name: str) -> str:
    """The name prefix of a temporary for ``name`` made by this process."""
    return f".{os.getpid()}.{name}."


def remove_stale(folder: Path) -> None:
    """Remove temporaries left in ``folder`` by processes that no longer run
    (a build that was killed). Those of running builds are left alone."""
    for path in folder.glob(".*.*"):
        owner = path.name.split(".")[1]
        if not owner.isdigit() or _running(int(owner)):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True
