"""Extract: the exact source tree of a published edition, from the PDF alone.

``almanac extract FILE.pdf DIR`` followed by ``almanac publish DIR`` makes the
identical PDF (publishing is byte-reproducible).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import Problem, ReportError
from .verify import embedded_files, verify


def extract(path: Path, target: Path) -> list[str]:
    """Restore the source tree embedded in a published PDF into ``target``."""
    from pypdf import PdfReader

    verification = verify(path)
    failed = [c for c in verification.checks
              if not c.ok and c.name in ("readable PDF", "embedded manifest", "embedded sources")]
    if failed:
        raise ReportError([Problem(f"{c.name}: {c.detail}", Path(path),
                                   hint="only an intact published edition can be extracted")
                           for c in failed])
    files = embedded_files(PdfReader(path))
    target = Path(target)
    written = []
    assert verification.sources is not None  # its "embedded manifest" check passed
    for item in verification.sources["inputs"]:
        destination = (target / item["path"]).resolve()
        if not destination.is_relative_to(target.resolve()):
            raise ReportError(Problem(f"embedded path {item['path']} leaves the folder",
                                      Path(path), hint="this file was not made by Almanac"))
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(files[item["path"]])
        written.append(item["path"])
    return written
