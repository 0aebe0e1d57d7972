"""Where a project keeps its published editions, read without loading the report.

``report.yaml``'s ``archive.folder`` (default ``editions``) names the folder of the
archive, ``<folder>/<year>/<version>/``. Editions published before it existed lie
in ``output/<year>/<version>/`` (:data:`LEGACY`), and those published before the
folder was set in ``editions/``: they are still listed and still count for the
rules of the next version. The commands that only look at the
archive (``editions``, the refusal of ``build -o`` into an edition) read the folder
here, leniently: a ``report.yaml`` that does not load still has an archive.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from ..errors import ReportError
from .model import ARCHIVE_FOLDER, Archive
from .parts import MANIFEST, OUTPUT
from .yamlfile import read_yaml

LEGACY = OUTPUT
"""Where editions were published before ``archive.folder``: ``output/<year>/<version>/``."""


def archive_folder(root: Path | str) -> Path:
    """``<root>/<archive.folder>``: the folder of the project's archive as ``report.yaml``
    sets it, or ``<root>/editions`` when it sets none, cannot be read, or sets a
    folder :class:`~almanac.project.model.Archive` refuses (loading the report says
    why). Never raises for what the file holds."""
    root = Path(root)
    try:
        data, _ = read_yaml(root / MANIFEST, root)
    except (ReportError, OSError):
        return root / ARCHIVE_FOLDER
    archive = data.get("archive") if isinstance(data, dict) else None
    if not isinstance(archive, dict):
        return root / ARCHIVE_FOLDER
    try:
        return root / Archive.model_validate(archive).folder
    except ValidationError:
        return root / ARCHIVE_FOLDER


def archive_bases(root: Path | str, folder: str | None = None) -> list[Path]:
    """The folders that hold editions of the project at ``root``, the archive first:
    ``<root>/<folder>`` (``folder`` None: as ``report.yaml`` sets it), then the places
    editions may have been published before, each unless it is the archive: the
    default archive ``<root>/editions`` (the folder was set later) and ``<root>/output``."""
    root = Path(root)
    archive = root / folder if folder is not None else archive_folder(root)
    return [archive] + [place for place in (root / ARCHIVE_FOLDER, root / LEGACY)
                        if place != archive]
