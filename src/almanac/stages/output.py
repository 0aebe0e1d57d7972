"""Output: the one writer of every file a run produces.

A PDF, the HTML beside it, a published edition's folder and a drawn chart in the
cache are each made under a temporary name first and renamed into place in one
step, so a reader — or a build killed at any moment — sees the old file or the
new one, never half of one (POSIX ``rename(2)`` is atomic within a filesystem).

Temporaries of files inside a project live in its staging folder,
``<project>/.almanac-cache/tmp/``: on the same filesystem as ``output/`` (a
rename cannot cross filesystems) and not in ``output/`` itself, so a killed
build leaves nothing half-written there. Their names start with the writer's
process id; the ones whose writer is gone are removed by the next run. Files
outside the project are staged beside their target.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ..errors import Problem, ReportError
from ..project.parts import CACHE

STAGING_DIR = CACHE / "tmp"


def file_slug(title: str) -> str:
    """A file name for a title: lower-case ASCII words joined by dashes, at most
    80 characters (``report`` when the title has no such letters)."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:80].rstrip("-") or "report"


class Writer:
    """Writes the files of one run, each atomically, and each at most once.

    ``root`` is the project folder (its staging folder holds the temporaries).
    Writing one target twice in a run is refused (:class:`ReportError`): two
    outputs that name the same file would silently overwrite each other.
    """

    def __init__(self, root: Path | None = None):
        self.root = Path(root).resolve() if root is not None else None
        self.written: list[Path] = []

    def _claim(self, target: Path) -> Path:
        target = Path(target).absolute()
        if target in self.written:
            raise ReportError(Problem(f"{target} is written twice in one run",
                                      hint="give each output (-o, --html) its own file"))
        self.written.append(target)
        return target

    def file(self, target: Path, data: bytes, *, durable: bool = True) -> Path:
        """Write ``data`` to ``target``: readers see the old file or the new one.

        ``durable`` syncs the data to the disk before the rename (a report, an
        edition); a cache entry that can be drawn again skips it.
        """
        target = self._claim(target)
        write_file(target, data, self.root, durable=durable)
        return target

    def folder(self, target: Path, files: Mapping[str, bytes]) -> Path:
        """Make the folder ``target`` holding ``files`` (name → bytes), complete
        or not at all; :class:`FileExistsError` if it exists (it is never replaced)."""
        target = self._claim(target)
        write_folder(target, files, self.root)
        return target


def write_file(target: Path, data: bytes, root: Path | None = None, *,
               durable: bool = True) -> None:
    """Write ``data`` to the file ``target`` atomically (see the module docstring).

    ``durable``: the data, then the rename, are synced to the disk (``fsync(2)`` of
    the file, then of its folder), so that a power cut after the call keeps the new
    file. The file gets the permissions of any new file (0666 less the umask)."""
    temporary = staging_dir(root, target) / (prefix(target.name) + secrets.token_hex(4)
                                             + ".part")
    # O_EXCL: a new file of this process's own; mode 0666 with the umask applied by
    # open(2), as for any file a user makes (tempfile would make it 0600)
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    if durable:
        _sync_folder(target.parent)


def _sync_folder(folder: Path) -> None:
    """``fsync(2)`` of a folder: a rename in it is on the disk once this returns."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def write_folder(target: Path, files: Mapping[str, bytes], root: Path | None = None) -> None:
    """Make the folder ``target`` with ``files`` in it, complete and synced, by
    renaming a finished temporary folder into place; :class:`FileExistsError` if
    ``target`` exists by then (``rename(2)`` of a folder onto a non-empty one fails
    with ENOTEMPTY or EEXIST; an empty one is never replaced either)."""
    temporary = Path(tempfile.mkdtemp(prefix=prefix(target.name), suffix=".partial",
                                      dir=staging_dir(root, target)))
    try:
        for name, data in files.items():
            with open(temporary / name, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
        os.chmod(temporary, 0o755)
        if target.exists():
            raise FileExistsError(target)
        try:
            os.rename(temporary, target)
        except OSError as exc:  # made meanwhile by another process
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise FileExistsError(errno.EEXIST, "the folder exists", str(target)) from exc
            raise
        _sync_folder(target.parent)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


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
