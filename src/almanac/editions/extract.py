"""Extract: the exact source tree of a published edition, from the PDF alone.

``almanac extract FILE.pdf DIR`` followed by ``almanac publish DIR`` makes the
identical PDF (publishing is byte-reproducible).

Only an edition that verifies is extracted, and only what was verified: the
embedded files read once, within the edition's limits, each named by a plain
relative path under a source folder (:func:`~almanac.editions.sources.source_name_problem`).
The tree is made in a new temporary folder beside ``DIR`` and renamed into place
in one step, so nothing is written outside ``DIR``, no link already in ``DIR``
is followed, a file already there is never overwritten, and an interrupted
extraction leaves nothing behind.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
from pathlib import Path

from ..errors import Problem, ReportError
from .sources import EmbedLimits, source_name_problem, source_tree_problems
from .verify import Verification, verify

NOT_AN_EDITION = "only an intact published edition can be extracted (almanac verify " \
    "names what fails)"


def extract(path: Path, target: Path, limits: EmbedLimits | None = None) -> list[str]:
    """Restore the source tree embedded in the published PDF ``path`` into the
    folder ``target`` (made if needed; it must be new or empty); returns the
    paths written, relative to ``target``. A :class:`ReportError` names what
    fails: the PDF (a check :func:`~almanac.editions.verify.verify` fails), or
    ``target`` (not empty, not a folder, not writable)."""
    path, target = Path(path), Path(target)
    return write_tree(path, verified(path, limits), target)


def verified(path: Path, limits: EmbedLimits | None = None) -> Verification:
    """:func:`~almanac.editions.verify.verify` of ``path``, or a :class:`ReportError`
    naming each check an extraction needs that fails (the PDF is readable, its
    manifest and its embedded sources are intact)."""
    verification = verify(path, limits)
    failed = [c for c in verification.checks
              if not c.ok and c.name in ("readable PDF", "embedded manifest", "embedded sources")]
    if failed or verification.sources is None:
        raise ReportError([Problem(f"{c.name}: {c.detail}", path, hint=NOT_AN_EDITION)
                           for c in failed] or Problem("no embedded manifest", path,
                                                       hint=NOT_AN_EDITION))
    return verification


def embedded_place(path: Path | str | None, line: int | None, folder: Path) -> str | None:
    """Where a problem found in sources restored into ``folder`` (by
    :func:`write_tree`) lies in the edition: the embedded file's name, with
    ``:line`` when there is one; None when ``path`` is not in ``folder`` (the
    folder is temporary: its own path means nothing to the reader)."""
    if path is None:
        return None
    try:
        name = Path(path).resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return None
    return f"{name}:{line}" if line else name


def write_tree(path: Path, verification: Verification, target: Path) -> list[str]:
    """Write the embedded sources of ``verification`` (of the PDF ``path``, which
    verified) into the new or empty folder ``target``; see :func:`extract`."""
    assert verification.sources is not None  # verified() refuses an edition without
    names = [item["path"] for item in verification.sources["inputs"]]
    member = isinstance(verification.sources.get("member"), str)  # a member's edition
    wrong = [f"{name!r} {reason}" for name in names
             if (reason := source_name_problem(name, member))]
    wrong += source_tree_problems(names)
    if wrong:  # verify refuses these already; the check stays beside the writing
        raise ReportError(Problem(f"embedded names that cannot be written: {'; '.join(wrong)}",
                                  path, hint=NOT_AN_EDITION))
    if os.path.lexists(target) and (target.is_symlink() or not target.is_dir()):
        raise ReportError(Problem("exists and is not a folder", target,
                                  hint="name a new or empty folder"))
    if target.is_dir() and any(target.iterdir()):
        raise ReportError(Problem("is not empty", target,
                                  hint="name a new or empty folder (extract never "
                                  "overwrites files)"))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # a new folder beside the target (a rename cannot cross file systems), mode
        # 0777 less the umask, as for any folder a user makes (mkdtemp makes it 0700)
        staging = target.parent / f".{target.name[:100]}.{secrets.token_hex(8)}.partial"
        os.mkdir(staging, 0o777)
    except OSError as exc:
        raise ReportError(Problem(f"cannot be made ({exc.strerror})", target,
                                  hint="name a folder you can write to"))
    try:
        for name in names:
            destination = staging / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            # O_EXCL|O_NOFOLLOW: a new file in the new folder, never through a link
            handle = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                             | os.O_NOFOLLOW, 0o666)
            with os.fdopen(handle, "wb") as stream:
                stream.write(verification.files[name])
        try:
            os.rename(staging, target)  # onto an empty folder, or a new name
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise ReportError(Problem("was filled while extracting", target,
                                          hint="name a new or empty folder"))
            raise
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ReportError(Problem(f"cannot be written ({exc.strerror})", target,
                                  hint="free some space, or name a folder you can write to"))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return names
