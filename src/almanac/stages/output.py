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
outside the project are staged beside their target, and so is a file whose rename
from the staging folder fails with ``EXDEV`` (``output/`` on another mount, e.g. a
bind mount: same device, yet ``rename(2)`` cannot cross it). Every ``OSError`` of
writing becomes a :class:`WriteError` naming the file, the cause and a fix, and
leaves the target as it was.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from ..errors import Problem, ReportError
from ..project.archive import archive_bases
from ..project.parts import CACHE, MANIFEST, OUTPUT, SOURCES, find_project, source_files

STAGING_DIR = CACHE / "tmp"
EDITION_MANIFEST = "manifest.json"  # beside the PDF of a published edition
NAME_KEPT = 120
"""Characters of a target's name kept in its temporary's name: the temporary adds
about 25, and a name may have at most 255 bytes (``NAME_MAX`` of Linux file systems)."""


def file_slug(title: str) -> str:
    """A file name for a title: lower-case ASCII words joined by dashes, at most
    80 characters (``report`` when the title has no such letters)."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:80].rstrip("-") or "report"


class WriteError(ReportError):
    """A file of the run could not be written (the disk is full, the folder is
    read-only, …); ``written`` lists what this run had written before it, so that
    a message can say truly what is on the disk."""

    def __init__(self, problems: list[Problem] | Problem, written: Iterable[Path] = ()):
        super().__init__(problems)
        self.written: list[Path] = list(written)


# --------------------------------------------------------------------------- what is refused

def check_target(target: Path | str, root: Path | None = None) -> Path:
    """Refuse, before anything is built, a path a run may not write its file to;
    return it as an absolute path.

    Refused (:class:`ReportError` naming the path, with a fix): an empty name, a
    NUL character (no POSIX path holds one), a name longer than the file system
    allows (``NAME_MAX``, ``PATH_MAX`` of ``pathconf(3)``), a folder, something
    that is not a regular file (a FIFO, a device such as ``/dev/null``, a
    socket: the rename would replace it), a path below a file, and an *input*:
    a file of a report's sources (``report.yaml``, ``chapters/``, ``figures/``,
    ``layout/``, ``styles/``) or its ``.almanac-cache/`` — of ``root`` or of the
    project the path lies in — also through a symbolic or a hard link, a file in
    a published edition's folder (an edition is never rewritten) and Almanac's
    own files. ``root`` is the project being built.
    """
    text = os.fspath(target)
    if text == "":
        raise _refused(text, "is an empty name", "name the file to write, e.g. -o report.pdf")
    if "\0" in text:
        raise _refused(text, "contains a NUL character, which no file name can hold",
                       "name the file without control characters")
    path = Path(os.path.abspath(text))
    _check_length(path, text)
    existing = _first_existing(path)
    if existing != path:
        if not existing.is_dir():
            raise _refused(text, f"lies below {existing}, which is a file, not a folder",
                           "choose a folder for the output, or move that file away")
    else:
        try:
            kind = os.stat(path).st_mode
        except OSError as exc:  # a link that loops or points nowhere
            if exc.errno != errno.ENOENT:
                raise _refused(text, f"cannot be followed ({exc.strerror})",
                               "remove the link or choose another name") from exc
            kind = stat.S_IFREG
        if stat.S_ISDIR(kind):
            raise _refused(text, "is a folder", "name a file in it, e.g. "
                           f"-o {os.path.join(text, 'report.pdf')}")
        if not stat.S_ISREG(kind):
            raise _refused(text, f"is {_kind(kind)}, not a regular file: writing would "
                           "replace it", "name a regular file")
    if root is not None:
        inside = Path(root).resolve()
        if path.is_relative_to(Path(os.path.abspath(root))) or path.is_relative_to(inside):
            if not path.resolve().is_relative_to(inside):
                raise _refused(text, f"leads through a link to {path.resolve()}, outside "
                               "the project", "remove the link, or give that place as -o")
    _check_not_an_input(path, text, root)
    return path


def check_targets(targets: Iterable[Path | str], root: Path | None = None) -> list[Path]:
    """:func:`check_target` for each of a run's outputs, and none written twice (two
    names of one file, also through a link, would overwrite each other)."""
    checked: list[Path] = []
    seen: dict[object, str] = {}
    for target in targets:
        path = check_target(target, root)
        same = _identity(path)
        if same in seen:
            raise _refused(os.fspath(target), f"is the same file as {seen[same]}",
                           "give each output (-o, --html) a file of its own")
        seen[same] = os.fspath(target)
        checked.append(path)
    return checked


def check_pages_folder(folder: Path | str) -> Path:
    """Refuse a folder ``verify --pages`` or ``diff --pages`` may not write its
    images into; return it as an absolute path. Refused (:class:`ReportError`
    naming it, with a fix): a folder among a report's inputs (``chapters/``,
    ``styles/``…, :func:`check_target`), a folder in the archive of the project it
    lies in (``archive.folder``: an archive holds editions only, and an edition is
    never changed), in a published edition's folder
    of its older places (``output/<year>/<version>/``), or in any folder that holds
    an edition's ``manifest.json`` (a copy of an edition's folder: its files are
    listed and hashed there)."""
    text = os.fspath(folder)
    path = Path(os.path.abspath(text))
    resolved = path.resolve()
    hint = "name a folder outside the archive of editions, e.g. --pages differences"
    start = _first_existing(resolved)
    try:
        project = find_project(start if start.is_dir() else start.parent)
    except (ReportError, OSError):
        project = None
    if project is not None:
        bases = archive_bases(project)
        archive = bases[0].resolve()
        if resolved.is_relative_to(archive):
            raise _refused(text, f"lies in the archive of editions ({archive})", hint)
        edition = _edition_of(resolved / "page.png", Path(project).resolve())
        if edition is not None:
            raise _refused(text, f"lies in the folder of a published edition ({edition})",
                           hint)
    for place in (resolved, *resolved.parents):
        if _is_edition_folder(place):
            raise _refused(text, f"lies in the folder of a published edition ({place})",
                           hint)
    try:  # nor among a report's inputs: an image there would be embedded as a source
        check_target(resolved / "page.png", project)
    except ReportError:
        raise _refused(text, "lies among a report's inputs (its images would become "
                       "sources of the next edition)", "name a folder outside the report's "
                       "sources and its archive, e.g. --pages differences") from None
    return path


def _is_edition_folder(folder: Path) -> bool:
    """Whether ``folder`` holds an edition's ``manifest.json`` (its ``pdf`` record with
    a ``sha256``, as publishing writes it)."""
    import json

    manifest = folder / EDITION_MANIFEST
    try:
        if not manifest.is_file() or manifest.stat().st_size > 1 << 20:
            return False
        data = json.loads(manifest.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and isinstance(data.get("pdf"), dict) \
        and "sha256" in data["pdf"]


def check_output_folder(root: Path, names: Iterable[str] = (OUTPUT, str(CACHE))) -> None:
    """Refuse a project whose ``output/`` or ``.almanac-cache/`` (``names``) is a file,
    or a link to somewhere outside the project: a project someone sent would make
    a run write (or read its cached charts) where the sender chose. ReportError
    naming it, with a fix."""
    root = Path(root).resolve()
    for name in names:
        folder = root / name
        if not os.path.lexists(folder):
            continue
        try:
            where = folder.resolve(strict=True)
        except (OSError, RuntimeError) as exc:  # a loop, or a link to nothing
            raise ReportError(Problem(f"{name} is a link that leads nowhere ({exc})", folder,
                                      None, f"remove the link (rm {name}); Almanac makes "
                                      f"{name}/ itself")) from exc
        if not where.is_relative_to(root) or where == root:
            raise ReportError(Problem(
                f"{name} is a link to {where}, outside the project", folder, None,
                f"remove the link (rm {name}); Almanac makes {name}/ itself; to write "
                "the PDF elsewhere, give -o FILE"))
        if not where.is_dir():
            raise ReportError(Problem(
                f"{name} is a file, not a folder", folder, None,
                f"move it away or delete it; Almanac makes {name}/ itself"))


def _refused(text: str, message: str, hint: str) -> ReportError:
    return ReportError(Problem(f"{text!r} {message}" if text == "" else f"{text} {message}",
                               hint=hint))


def _kind(mode: int) -> str:
    return ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a character device" if stat.S_ISCHR(mode)
            else "a block device" if stat.S_ISBLK(mode) else "not a file")


def _first_existing(path: Path) -> Path:
    """``path`` or the nearest of its parents that exists (a link counts)."""
    while not os.path.lexists(path) and path.parent != path:
        path = path.parent
    return path


def _check_length(path: Path, text: str) -> None:
    folder = _first_existing(path.parent)
    try:
        name_max = os.pathconf(folder, "PC_NAME_MAX")
        path_max = os.pathconf(folder, "PC_PATH_MAX")
    except (OSError, ValueError):
        name_max, path_max = 255, 4096
    longest = max(len(os.fsencode(part)) for part in path.parts)
    if longest > name_max:
        raise _refused(text, f"has a name of {longest} bytes; the file system allows "
                       f"{name_max}", "choose a shorter name")
    if len(os.fsencode(str(path))) >= path_max:
        raise _refused(text, f"is {len(os.fsencode(str(path)))} bytes long; the system "
                       f"allows {path_max - 1}", "choose a shorter path")


def _identity(path: Path) -> object:
    """What makes two paths one file: its device and inode when it exists (hard
    links), else its resolved path."""
    try:
        found = os.stat(path)
    except OSError:
        return path.resolve()
    return (found.st_dev, found.st_ino)


def _project_of(path: Path) -> Path | None:
    """The nearest folder at or above ``path`` that holds a ``report.yaml``."""
    for folder in (path, *path.parents):
        if (folder / MANIFEST).is_file():
            return folder
    return None


def _check_not_an_input(path: Path, text: str, root: Path | None) -> None:
    resolved = path.resolve()
    projects = {Path(root).resolve()} if root is not None else set()
    enclosing = _project_of(resolved.parent)
    if enclosing is not None:
        projects.add(enclosing)
    package = Path(__file__).resolve().parent.parent
    if resolved.is_relative_to(package):
        raise _refused(text, "is a file of Almanac itself", "write the output elsewhere")
    linked = os.path.lexists(path) and _links(path)
    for project in projects:
        for part in (*SOURCES, str(CACHE)):
            if resolved == project / part or resolved.is_relative_to(project / part):
                via = "" if resolved == path else " (through a link)"
                harm = "the output would replace it" if os.path.lexists(resolved) else \
                    "a file there would become one of its inputs"
                raise _refused(text, f"is {resolved.relative_to(project)}{via}, an input of "
                               f"the report in {project}: {harm}",
                               "write the PDF elsewhere, e.g. into output/")
        edition = _edition_of(resolved, project)
        if edition is not None:
            raise _refused(text, f"lies in the published edition {edition}, which is "
                           "never rewritten", "write the PDF elsewhere, e.g. into output/")
        if linked:
            identity = _identity(path)
            for name in source_files(project):
                if _identity(project / name) == identity:
                    raise _refused(text, f"is a hard link to {project / name}, an input of "
                                   "the report; the output would replace it",
                                   "write the PDF elsewhere, e.g. into output/")


def _edition_of(path: Path, project: Path) -> Path | None:
    """The published edition's folder ``path`` lies in, if any: a version's folder
    ``<base>/<year>/<version>`` that exists, where ``<base>`` is the project's archive
    (``archive.folder``, :func:`~almanac.project.archive.archive_folder`) or the old
    place, ``output/`` (the files of a report in several languages lie one folder
    deeper, in the same version's folder). A family's editions are one folder per
    member in the version's folder: ``<base>/<year>/<version>/<member key>``."""
    from ..project.family import is_family

    depth = 3 if is_family(project) else 2  # the folders that name one edition
    for base in archive_bases(project):
        base = base.resolve()
        if not path.is_relative_to(base):
            continue
        parts = path.relative_to(base).parts
        if len(parts) >= depth + 1 and parts[0].isdigit() \
                and base.joinpath(*parts[:depth]).is_dir():
            return base.joinpath(*parts[:depth])
    return None


def _links(path: Path) -> bool:
    """Whether the existing file ``path`` has other names (hard links)."""
    try:
        return os.stat(path).st_nlink > 1
    except OSError:
        return False


# --------------------------------------------------------------------------- what went wrong

CAUSES = {
    errno.ENOSPC: ("the disk is full (no space left on the device)",
                   "free some space on that disk, or write elsewhere (-o FILE)"),
    errno.EDQUOT: ("the disk quota is used up", "free some space, or write elsewhere (-o FILE)"),
    errno.EROFS: ("the file system is read-only",
                  "write elsewhere (-o FILE), or make the file system writable"),
    errno.EACCES: ("permission denied", "make the folder writable for you (chmod u+w), or "
                   "write elsewhere (-o FILE)"),
    errno.EPERM: ("the operation is not permitted", "make the folder writable for you, or "
                  "write elsewhere (-o FILE)"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder",
                    "move that file away, or write elsewhere (-o FILE)"),
    errno.EEXIST: ("a file is in the way of a folder",
                   "move that file away, or write elsewhere (-o FILE)"),
    errno.EISDIR: ("it is a folder", "name a file, e.g. -o report.pdf"),
    errno.ENAMETOOLONG: ("the path is too long for the file system", "choose a shorter path"),
    errno.ELOOP: ("a symbolic link in the path loops", "remove the link"),
    errno.EIO: ("the device reported an input/output error",
                "check the disk (dmesg), or write elsewhere (-o FILE)"),
    errno.EMFILE: ("too many open files", "raise the limit (ulimit -n) and run again"),
    errno.ETXTBSY: ("the file is busy", "close what uses it and run again"),
}
"""What an ``OSError`` of writing means for a person, and what to do (``errno(3)``)."""


def os_problem(exc: OSError, path: Path | None = None, doing: str = "write") -> Problem:
    """An ``OSError`` as a :class:`Problem`: the file, the cause in words, a fix."""
    cause, hint = CAUSES.get(exc.errno or 0, (exc.strerror or str(exc),
                                              "check the file and its folder, and run again"))
    name = path if path is not None else Path(os.fsdecode(exc.filename)) \
        if exc.filename is not None else None
    if exc.errno in (errno.EEXIST, errno.ENOTDIR) and name is not None:
        blocker = _first_existing(Path(os.path.abspath(name)).parent)
        if not blocker.is_dir():
            cause = f"{blocker} is a file where a folder should be"
    return Problem(f"cannot {doing} this file: {cause}" if name is not None
                   else f"cannot {doing} a file: {cause}", name, None, hint)


# --------------------------------------------------------------------------- the writer

class Writer:
    """Writes the files of one run, each atomically, and each at most once.

    ``root`` is the project folder (its staging folder holds the temporaries).
    Writing one target twice in a run is refused (:class:`ReportError`): two
    outputs that name the same file would silently overwrite each other. An
    ``OSError`` (disk full, read-only, no permission, …) becomes a
    :class:`WriteError` naming the file, its cause and a fix.
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
        return self.files({target: data}, durable=durable)[0]

    def files(self, files: Mapping[Path, bytes], *, durable: bool = True) -> list[Path]:
        """Write several files as nearly at once as a file system allows: each is
        staged complete (and synced) first, then all are renamed into place, so a
        full disk or a read-only folder leaves every target as it was. Only a
        rename failing between two renames leaves some new and some old: the
        :class:`WriteError` then lists in ``written`` the ones already in place."""
        pairs = [(self._claim(target), data) for target, data in files.items()]
        staged: list[tuple[Path, Path, bytes]] = []
        placed: list[Path] = []
        try:
            for target, data in pairs:
                staged.append((target, _stage(target, data, self.root, durable), data))
            for target, temporary, data in staged:
                _place(temporary, target, data, durable)
                placed.append(target)
        except OSError as exc:
            failed = pairs[len(placed)][0] if len(staged) == len(pairs) else \
                pairs[len(staged)][0]
            raise WriteError(os_problem(exc, failed), placed) from exc
        finally:
            for _, temporary, _ in staged:
                if os.path.lexists(temporary):
                    temporary.unlink(missing_ok=True)
        targets = [target for target, _ in pairs]
        return targets

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
    file. The file gets the permissions of any new file (0666 less the umask).
    :class:`WriteError` when it cannot be written (its cause and a fix)."""
    temporary: Path | None = None
    try:
        temporary = _stage(target, data, root, durable)
        _place(temporary, target, data, durable)
    except OSError as exc:
        raise WriteError(os_problem(exc, target)) from exc
    finally:
        if temporary is not None and os.path.lexists(temporary):
            temporary.unlink(missing_ok=True)


def _stage(target: Path, data: bytes, root: Path | None, durable: bool,
           beside: bool = False) -> Path:
    """``data`` in a new temporary file for ``target`` (in the staging folder, or
    beside ``target`` when ``beside``), complete and, when ``durable``, synced."""
    folder = target.parent if beside else staging_dir(root, target)
    if beside:
        folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / (prefix(target.name) + secrets.token_hex(4) + ".part")
    # O_EXCL: a new file of this process's own; mode 0666 with the umask applied by
    # open(2), as for any file a user makes (tempfile would make it 0600)
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _place(temporary: Path, target: Path, data: bytes, durable: bool) -> None:
    """Rename the staged ``temporary`` onto ``target``. A rename cannot cross file
    systems, nor mount points (``EXDEV``, e.g. ``output/`` bind-mounted from
    elsewhere): the data is then staged again beside ``target`` and renamed there."""
    try:
        os.replace(temporary, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        temporary.unlink(missing_ok=True)
        beside = _stage(target, data, None, durable, beside=True)
        try:
            os.replace(beside, target)
        except BaseException:
            beside.unlink(missing_ok=True)
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
    with ENOTEMPTY or EEXIST; an empty one is never replaced either). A rename
    that would cross mount points (``EXDEV``) is made again from beside ``target``.
    :class:`WriteError` when it cannot be written (its cause and a fix)."""
    try:
        staging = staging_dir(root, target)
    except OSError as exc:  # a file where a folder of the path should be, …
        raise WriteError(os_problem(exc, target)) from exc
    try:
        try:
            _write_folder(target, files, staging)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            _write_folder(target, files, target.parent)
    except FileExistsError:
        raise
    except OSError as exc:
        raise WriteError(os_problem(exc, target)) from exc


def _write_folder(target: Path, files: Mapping[str, bytes], staging: Path) -> None:
    temporary = Path(tempfile.mkdtemp(prefix=prefix(target.name), suffix=".partial",
                                      dir=staging))
    try:
        folders = {temporary}
        for name, data in files.items():
            path = temporary / name  # a name may have folders: "en/manifest.json"
            if path.parent not in folders:
                path.parent.mkdir(parents=True, exist_ok=True)
                folders.add(path.parent)
            with open(path, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
        for folder in folders - {temporary}:
            _sync_folder(folder)
        os.chmod(temporary, 0o755)
        if os.path.lexists(target):
            raise FileExistsError(errno.EEXIST, "the folder exists", str(target))
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


@contextmanager
def exclusive(root: Path, name: str) -> Iterator[bool]:
    """Hold the lock ``name`` of the project ``root`` (``flock(2)`` of the file
    ``.almanac-cache/<name>.lock``) for the ``with`` block; yields whether another
    process held it first (this one then waited for it to end). A lock ends with
    its process, also a killed one. :class:`WriteError` when the lock file cannot
    be made."""
    folder = Path(root) / CACHE
    lock = folder / f"{name}.lock"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise WriteError(os_problem(exc, lock)) from exc
    try:
        waited = False
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waited = True
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield waited
    finally:
        os.close(handle)


def staging_dir(root: Path | None, target: Path) -> Path:
    """The folder for temporaries of ``target``: the project's staging folder when
    ``target`` lies inside ``root`` on the same filesystem, else beside ``target``
    (whose folder is made if needed; OSError if it cannot be)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if root is not None:
        root = Path(root).resolve()
        if target.parent.resolve().is_relative_to(root):
            staging = root / STAGING_DIR
            staging.mkdir(parents=True, exist_ok=True)
            if staging.stat().st_dev == target.parent.stat().st_dev:
                remove_stale(staging)
                return staging
    remove_stale(target.parent, target.name)
    return target.parent


def prefix(name: str) -> str:
    """The name prefix of a temporary for ``name`` made by this process (of a long
    ``name``, its first :data:`NAME_KEPT` characters, so that the temporary's name
    stays within ``NAME_MAX``)."""
    return f".{os.getpid()}.{name[:NAME_KEPT]}."


TEMPORARY = re.compile(r"\.(\d+)\.(.*)\.([0-9a-f]{8}\.part|[0-9a-z_]{8}\.partial)")
"""The name of a temporary: ``.<pid>.<name>.<random>.part`` (a file) or ``.partial``
(a folder, :func:`tempfile.mkdtemp`)."""


def remove_stale(folder: Path, name: str | None = None) -> None:
    """Remove temporaries left in ``folder`` by processes that no longer run
    (a build that was killed); with ``name``, only those of the file ``name``
    (beside a target, in a folder of the user's). Those of running builds are
    left alone, and so is whatever cannot be removed."""
    try:
        found = list(folder.glob(".*.*"))
    except OSError:
        return
    for path in found:
        match = TEMPORARY.fullmatch(path.name)
        if match is None or (name is not None and match[2] != name[:NAME_KEPT]):
            continue
        if _running(int(match[1])):
            continue
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        except OSError:
            pass


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True
