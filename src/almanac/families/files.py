"""A family's project files, content-addressed, and their materialisation on a worker.

The client reads every file a family's members are built from once
(:func:`project_files`): the files all members share, and each member's own files
(``{member}`` in a series' ``file:``), each named by its SHA-256 (FIPS 180-4). The
shared files travel to each worker once (one scattered value per run; Dask's
documented ``Client.scatter(..., broadcast=True)``), never per member, and a
member's own files with its task, to the one worker that builds it; workers need no
file system shared with the client.

On a worker, :func:`member_folder` lays out one member's project (the shared files
and that member's own files, nothing of another member) in a folder of the
worker's own local directory, reused by the next member and the next run: a file
whose bytes are already there is not written again, and the folder's chart store
(``.almanac-cache/charts``) stays, so a chart drawn for one member is reused by
every later member and run that draws the same chart (it is named by its content
hash: :class:`~almanac.stages.charts.ChartJob`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..project.parts import CACHE, source_files
from ..stages.output import write_file

INDEX = "files.json"
"""The list of files a member folder holds (relative path → SHA-256), in its cache."""
FOLDERS = "almanac-members"
"""The folder of member folders in a worker's local directory."""


def digest(data: bytes) -> str:
    """The SHA-256 of ``data``, 64 lower-case hex digits (FIPS 180-4)."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class ProjectFiles:
    """A family's files by content: ``shared`` (POSIX path relative to the project →
    SHA-256) are read by every member, ``members`` (member key → path → SHA-256) by
    that member alone; ``blobs`` holds each distinct content once (SHA-256 → bytes).
    Picklable, so that Dask can send it to a worker."""

    shared: dict[str, str]
    members: dict[str, dict[str, str]]
    blobs: dict[str, bytes] = field(repr=False)

    def files_of(self, key: str) -> dict[str, str]:
        """Every file the member ``key`` is built from (path → SHA-256), sorted by
        path: the shared files and its own."""
        return dict(sorted({**self.shared, **self.members.get(key, {})}.items()))

    def shared_only(self) -> ProjectFiles:
        """The files every member reads, without any member's own: what travels to
        every worker once (a member's own files travel with its task, to the one
        worker that builds it: :meth:`own`)."""
        wanted = set(self.shared.values())
        return ProjectFiles(self.shared, {}, {sha: blob for sha, blob in self.blobs.items()
                                              if sha in wanted})

    def own(self, key: str) -> ProjectFiles:
        """The member ``key``'s own files alone (see :meth:`shared_only`)."""
        files = self.members.get(key, {})
        return ProjectFiles({}, {key: files}, {sha: self.blobs[sha] for sha in files.values()})

    def joined(self, other: ProjectFiles) -> ProjectFiles:
        """These files and ``other``'s, ``other``'s members' own files added (a
        worker's shared files and a task's member files)."""
        return ProjectFiles({**self.shared, **other.shared}, {**self.members, **other.members},
                            {**self.blobs, **other.blobs})

    @property
    def size(self) -> int:
        """The bytes of all distinct contents together."""
        return sum(len(blob) for blob in self.blobs.values())


def project_files(root: Path, shared: list[str], members: dict[str, list[str]]
                  ) -> ProjectFiles:
    """Read the family in ``root``: ``shared`` and each member's files (POSIX paths
    relative to ``root``), each distinct content once. A path that is some member's
    own file is not shared (a member never sees another member's file). OSError when
    a file cannot be read."""
    blobs: dict[str, bytes] = {}

    def add(name: str) -> str:
        data = (root / name).read_bytes()
        key = digest(data)
        blobs.setdefault(key, data)
        return key

    own = {name for names in members.values() for name in names}
    return ProjectFiles(
        shared={name: add(name) for name in sorted(set(shared) - own)},
        members={key: {name: add(name) for name in sorted(names)}
                 for key, names in members.items()},
        blobs=blobs)


def family_sources(root: Path, extra: list[Path], members: dict[str, set[Path]]
                   ) -> tuple[list[str], dict[str, list[str]]]:
    """The shared files and each member's own files of the family in ``root``, as
    POSIX paths relative to it: the report's sources
    (:func:`~almanac.project.parts.source_files`) and ``extra`` (family.yaml, the
    member table) shared; ``members`` (key → the member's files, absolute or relative
    to ``root``) each member's own. A member's file that does not exist is left out
    (loading that member then names it)."""
    def relative(path: Path) -> str:
        path = Path(path)
        return (path.relative_to(root) if path.is_absolute() else path).as_posix()

    shared = list(source_files(root)) + [relative(path) for path in extra
                                         if (root / relative(path)).is_file()]
    own = {key: sorted(relative(path) for path in paths if (root / relative(path)).is_file())
           for key, paths in members.items()}
    return shared, own


@contextlib.contextmanager
def member_folder(files: ProjectFiles, key: str, home: Path) -> Iterator[Path]:
    """A project folder under ``home`` holding exactly the files of member ``key``
    (:meth:`ProjectFiles.files_of`), for the time of the ``with`` block.

    The folders ``home/almanac-members/<n>`` are reused: a folder is taken by one
    build at a time (an exclusive ``flock(2)`` on its lock file, so two threads or
    processes of one worker never share one), brought to the member's files (a file
    with other bytes is replaced atomically, one no longer listed is removed; the
    cache folder stays), and left as it is after the build for the next member.
    """
    base = home / FOLDERS
    base.mkdir(parents=True, exist_ok=True)
    for number in range(1024):
        folder = base / str(number)
        folder.mkdir(exist_ok=True)
        handle = os.open(folder.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            continue
        try:
            _synchronise(folder, files, key)
            yield folder
        finally:
            os.close(handle)  # releases the lock
        return
    raise RuntimeError(f"no free member folder in {base}")  # 1024 builds at once


def _synchronise(folder: Path, files: ProjectFiles, key: str) -> None:
    wanted = files.files_of(key)
    index = folder / CACHE / INDEX
    try:
        held: dict[str, str] = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        held = {}
        _clear(folder)
    index.unlink(missing_ok=True)  # a build killed while writing leaves no stale index
    for name in held.keys() - wanted.keys():
        (folder / name).unlink(missing_ok=True)
    for name, sha in wanted.items():
        if held.get(name) != sha:
            target = folder / PurePosixPath(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            write_file(target, files.blobs[sha], folder, durable=False)
    write_file(index, json.dumps(wanted, sort_keys=True).encode(), folder, durable=False)


def _clear(folder: Path) -> None:
    """Remove everything in ``folder`` but its cache (a folder of unknown content)."""
    import shutil

    for path in folder.iterdir():
        if path.name == CACHE.parts[0]:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
