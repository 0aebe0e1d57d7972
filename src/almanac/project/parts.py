"""The parts of a report project, named once.

A project is a folder holding ``report.yaml`` and the folders below. Everything
that needs to know what a project is made of — the loader, the archive (which
embeds exactly these files in a published edition), the preview (which watches
them), the tests and the benchmarks (which copy them) — asks this module.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import Problem, ReportError
from .files import Refused, confine

MANIFEST = "report.yaml"
"""The project's manifest: title, edition, language, chapters in order."""
CHAPTERS = "chapters"
CHAPTER_FILE = "chapter.yaml"
"""A chapter written as YAML: its data, sections and blocks as keys with values."""
CHAPTER_MARKDOWN = "chapter.md"
"""A chapter written as Markdown: YAML front matter, ``##`` sections and directives
(:mod:`almanac.project.markdown`)."""
CHAPTER_FILES = (CHAPTER_MARKDOWN, CHAPTER_FILE)
"""The names a chapter folder's file may have; a folder holds one of them."""
LOCALE = "locale"
"""The project's own message catalogues, ``locale/<tag>.po`` (:mod:`almanac.text.messages`)."""
FAMILY = "family.yaml"
"""Beside report.yaml, it makes the project a report family (:mod:`~.family`)."""
DATA = "data"
"""The project's own data: a family's member table (:mod:`~.family`)."""
SOURCE_FOLDERS = ("chapters", DATA, "figures", "layout", LOCALE, "styles")
"""Folders whose files are inputs of the report."""
SOURCE_FILES = (MANIFEST, FAMILY)
SOURCES = SOURCE_FILES + SOURCE_FOLDERS
"""Every part a report is made from, relative to the project folder."""
OUTPUT = "output"
"""Where builds and published editions go (never an input)."""
CACHE = Path(".almanac-cache")
"""What a build may keep between runs: drawn charts, staged temporaries."""


def find_project(start: Path | str) -> Path:
    """The project folder for a command run in ``start``: ``start`` itself when it
    holds a ``report.yaml`` (returned as given), else the nearest folder above it
    that does (absolute, links resolved), as git finds a repository from any folder
    in it. Like git (without ``GIT_DISCOVERY_ACROSS_FILESYSTEM``), the search stops
    at the edge of ``start``'s file system.

    ReportError naming ``start`` when no folder up to the file system's root (or its
    edge) holds one; OSError when ``start`` cannot be read.
    """
    start = Path(start)
    if os.path.lexists(start / MANIFEST):
        return start
    here = start.resolve()
    device = here.stat().st_dev
    for folder in here.parents:
        try:
            if folder.stat().st_dev != device:
                break
            if os.path.lexists(folder / MANIFEST):
                return folder
        except OSError:  # a folder above that cannot be read: the search ends there
            break
    raise ReportError(Problem(
        f"no {MANIFEST} in this folder or any folder above it", here,
        hint="run the command in a report folder or pass its path; "
        "'almanac new FOLDER' starts a report"))


def chapter_file(folder: Path) -> Path:
    """The file of the chapter in ``folder``: its ``chapter.md`` or its ``chapter.yaml``
    (as a path, whether or not it exists: the YAML file's when there is neither, for
    the message that it is missing). A file that exists in any form (a link, a FIFO)
    counts, so the reader refuses it by name. ReportError naming both when the folder
    holds both: one of them would silently be left out."""
    present = [folder / name for name in CHAPTER_FILES
               if os.path.lexists(folder / name)]
    if len(present) > 1:
        raise ReportError(Problem(
            f"the chapter folder holds both {CHAPTER_MARKDOWN} and {CHAPTER_FILE}",
            present[0], hint=f"keep one of them: a chapter is one file, Markdown or YAML "
            f"(delete or rename {CHAPTER_FILE} if {CHAPTER_MARKDOWN} is the one you edit)"))
    return present[0] if present else folder / CHAPTER_FILE


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") or part == "__pycache__" for part in relative.parts)


def source_files(root: Path) -> list[str]:
    """Every file the report is made from, as sorted POSIX paths relative to ``root``.

    Hidden files and ``__pycache__`` are not sources; neither is what no build reads
    (:func:`~almanac.project.files.confine` refuses it): a link to a file outside
    the project, a FIFO, a device, a link loop. A build that needs such a file fails
    naming it; one that does not need it embeds nothing of it.
    """
    root = Path(root)
    found = []
    for path in [root / name for name in SOURCE_FILES] + [
            path for folder in SOURCE_FOLDERS for path in sorted((root / folder).rglob("*"))]:
        relative = path.relative_to(root)
        if _hidden(relative) or path.is_dir():
            continue
        try:
            confine(path, root)
        except Refused:
            continue
        found.append(relative.as_posix())
    return sorted(found)


def copy_sources(source: Path, target: Path) -> Path:
    """Copy a project's sources (not its output or cache) from ``source`` into the
    folder ``target``, which is made if needed; returns ``target``."""
    source, target = Path(source), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        elif (source / name).is_file():
            shutil.copy2(source / name, target / name)
    return target
