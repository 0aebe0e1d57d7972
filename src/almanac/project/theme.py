"""The built-in theme and the search path that lets a project override it.

Almanac ships a complete design as package data (``almanac/theme/``): the
templates (``layout/``), the stylesheets, a neutral brand with its fonts (OFL)
and the print profile (``styles/``), generic figure modules (``figures/``) and
the specimen chapter (``specimen/``). A project needs only ``report.yaml`` and
``chapters/``; each of its own ``layout/``, ``styles/`` and ``figures/`` files
overrides the theme's file of the same name. Lookup is a search path, most
specific first, as Jinja2's ``ChoiceLoader`` and Datasette's template folders:

    the chapter's folder → the project's folder → the built-in theme

A project template extends the built-in one by the prefix ``almanac/``
(``{% extends "almanac/chapter.html" %}``). The theme folder is one more allowed
root of :mod:`almanac.project.files`: it is read with the same checks as the
project, and nothing else outside the project is ever read.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from .files import Roots, roots_of

THEME = Path(__file__).resolve().parent.parent / "theme"
"""The built-in theme: package data installed with Almanac."""
THEME_PREFIX = "almanac"
"""The template prefix that names the built-in template whatever the project overrides."""
LAYOUT, STYLES, FIGURES = "layout", "styles", "figures"
"""The folders of a project (and of the theme) that the theme's files can be overridden in."""
DEFAULT_BRAND = Path(STYLES) / "brand.yaml"
"""Where a project's brand file is looked for when ``report.yaml`` names none."""
SPECIMEN = "specimen"
"""The specimen chapter: ``layout/specimen/`` in a project, ``specimen/`` in the theme."""


def roots(project: Path) -> Roots:
    """The folders files may be read from for the project at ``project``: the
    project itself and the built-in theme, every link resolved."""
    return roots_of((project, THEME))


def folders(project: Path, kind: str) -> tuple[Path, Path]:
    """The search path of one kind of file (``layout``, ``styles`` or ``figures``),
    most specific first: the project's folder, then the theme's."""
    return Path(project) / kind, THEME / kind


def find(project: Path, kind: str, name: str) -> Path | None:
    """The first file called ``name`` (a relative POSIX path) on the search path of
    ``kind``, or None. A name that exists in the project in any form (a link, a
    FIFO, a folder) is the project's: the readers then refuse it by name rather
    than fall back to the theme's file silently."""
    for folder in folders(project, kind):
        path = folder / name
        if path.exists() or path.is_symlink():
            return path
    return None


def in_theme(path: Path) -> bool:
    """Whether ``path`` is a file of the built-in theme (not of a project)."""
    return Path(path).resolve().is_relative_to(THEME)


def specimen_folder(project: Path) -> Path:
    """The project's own specimen chapter (``layout/specimen/``) when it has one,
    else the theme's."""
    own = Path(project) / LAYOUT / SPECIMEN
    return own if own.exists() or own.is_symlink() else THEME / SPECIMEN



def brand_file(brand_dir: Path, name: str) -> Path:
    """A file a brand names (a font, the output profile), relative to the brand
    file's folder ``brand_dir``; where that folder has no such file, the built-in
    theme's ``styles/`` is searched (so a project's brand can keep the theme's print
    profile or fonts without copying them). Without either, the path beside the
    brand, for the message that it is missing."""
    own = Path(brand_dir) / name
    if own.exists() or own.is_symlink():
        return own
    builtin = THEME / STYLES / name
    return builtin if builtin.is_file() else own


def brand_default(project: Path) -> Path:
    """The brand file of a project whose ``report.yaml`` names none: its own
    ``styles/brand.yaml`` when it has one, else the built-in theme's neutral brand."""
    own = Path(project) / DEFAULT_BRAND
    return own if own.exists() or own.is_symlink() else THEME / DEFAULT_BRAND


@functools.cache
def digest() -> tuple[str, int]:
    """The SHA-256 of the built-in theme as installed, and its number of files: of
    each file's path (relative, POSIX) and SHA-256, in path order. An edition
    records it beside the tool versions (a theme edited in place, or another
    release, then shows), as its project's own files are recorded one by one."""
    entries = []
    for path in sorted(THEME.rglob("*")):
        relative = path.relative_to(THEME)
        if path.is_file() and not any(part.startswith(".") or part == "__pycache__"
                                      for part in relative.parts):
            entries.append(f"{relative.as_posix()}\0"
                           f"{hashlib.sha256(path.read_bytes()).hexdigest()}\n")
    return hashlib.sha256("".join(entries).encode()).hexdigest(), len(entries)
