"""The one way Almanac reads a file of a project: confined and bounded.

Every reader — the YAML files, the series, the images, fonts and colour profile,
the templates, what WeasyPrint fetches, the figure modules — asks this module.
The rule, checked on the path with every symbolic link resolved:

- it lies inside one of the allowed roots (the project folder; a later built-in
  theme folder is another root), so a link inside the project to a file inside
  it is fine and a link to a file elsewhere is refused;
- it is a regular file: a FIFO, a device (``/dev/zero``), a socket or a folder is
  refused, checked on the open descriptor (``fstat``), since ``st_size`` is 0 for
  most of them and a size check by ``stat`` alone would read them without end;
  a FIFO is opened non-blocking (``O_NONBLOCK``, POSIX ``open(2)``), so the open
  itself cannot wait for a writer;
- a link that leads to itself (``ELOOP``) is refused;
- at most ``limit + 1`` bytes are read, so a file over its limit costs no more
  than the limit in memory.

A refusal is a :class:`Refused` (why, and the fix); the caller names the file and,
where there is one, the line that refers to it.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

Roots = tuple[Path, ...]
"""The folders a project's files may lie in, each resolved (no symbolic links)."""

_CHUNK = 1 << 20


class Refused(Exception):
    """A file is not read: ``reason`` completes "<the file> …" (e.g. "is outside
    the project folder"), ``hint`` says what to do about it, and ``kind`` is one of
    ``missing``, ``outside``, ``loop``, ``not-regular``, ``too-large``, ``unreadable``."""

    def __init__(self, reason: str, hint: str, kind: str = "unreadable"):
        super().__init__(reason)
        self.reason = reason
        self.hint = hint
        self.kind = kind


def over_limit(size: int, limit: int) -> str:
    """How a file's size compares with its limit, both in bytes, for a message:
    ``is 16.5 MiB (17,301,504 bytes); the limit is 16 MiB (16,777,216 bytes)``."""
    return (f"is {size / 2**20:.1f} MiB ({size:,} bytes); the limit is "
            f"{limit / 2**20:g} MiB ({limit:,} bytes)")


def roots_of(roots: Path | str | Iterable[Path | str]) -> Roots:
    """One folder or several as :data:`Roots`: absolute, every link resolved."""
    if isinstance(roots, (str, os.PathLike)):
        roots = (roots,)
    return tuple(Path(root).resolve() for root in roots)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _not_regular(mode: int) -> Refused:
    kind = _kind(mode)
    return Refused(f"is {kind}, not a regular file" if kind.startswith("a ") else
                   f"is {kind}", "replace it with the file itself", "not-regular")


def _loop() -> Refused:
    return Refused("is a symbolic link that leads back to itself (a link loop)",
                   "replace the link with the file it should point to", "loop")


def confine(path: Path | str, roots: Path | Iterable[Path]) -> Path:
    """``path`` with every symbolic link resolved, if it is a regular file inside one
    of ``roots``; else :class:`Refused`: not found, a link loop (``ELOOP``), outside
    every root, or not a regular file (folder, FIFO, device, socket). Reads nothing
    but the file's metadata (``stat``)."""
    allowed = roots_of(roots)
    try:
        resolved = Path(path).resolve(strict=True)
    except FileNotFoundError:  # a path, or a link, to nothing: outside, or not found
        try:
            target = Path(path).resolve()
        except (OSError, RuntimeError):
            raise _loop() from None
        if not any(target.is_relative_to(root) for root in allowed):
            raise _outside() from None
        raise Refused("not found", "create it or fix the name", "missing") from None
    except RuntimeError:  # pathlib's report of a link loop
        raise _loop() from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _loop() from None
        raise Refused(f"cannot be read: {exc.strerror}", "make it a readable file") from None
    if not any(resolved.is_relative_to(root) for root in allowed):
        raise _outside()
    try:
        mode = os.stat(resolved).st_mode
    except OSError as exc:
        raise Refused(f"cannot be read: {exc.strerror}", "make it a readable file") from None
    if not stat.S_ISREG(mode):
        raise _not_regular(mode)
    return resolved


def _outside() -> Refused:
    return Refused("is outside the project folder",
                   "copy the file into the project instead of linking to it", "outside")


def read_bytes(path: Path | str, roots: Path | Iterable[Path], limit: int,
               too_large: str = "make it smaller") -> bytes:
    """The bytes of the regular file ``path`` inside ``roots`` (see :func:`confine`), at
    most ``limit`` of them; :class:`Refused` for anything :func:`confine` refuses, and
    for a file of more than ``limit`` bytes (``too_large`` is the fix). The type is
    checked again on the open descriptor, so a file swapped for a FIFO or a device
    after the check is refused too; at most ``limit + 1`` bytes are ever read."""
    resolved = confine(path, roots)
    try:
        # the resolved path has no links: O_NOFOLLOW refuses one put in its place
        handle = os.open(resolved, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW
                         | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused("was replaced by a symbolic link while it was read",
                          "build again") from None
        if exc.errno == errno.ENXIO:  # open(2) of a socket
            raise Refused("is a socket, not a regular file",
                          "replace it with the file itself", "not-regular") from None
        raise Refused(f"cannot be read: {exc.strerror}", "make it a readable file") from None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(info.st_mode)
        if info.st_size > limit:  # no need to read it to know
            raise Refused(over_limit(info.st_size, limit), too_large, "too-large")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(handle, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while it was read
            raise Refused(over_limit(size, limit), too_large, "too-large")
        return b"".join(chunks)
    except OSError as exc:
        raise Refused(f"cannot be read: {exc.strerror}", "make it a readable file") from None
    finally:
        os.close(handle)
