"""Verify by rebuilding: the parts that compare an edition with its rebuild.

Publishing is byte-reproducible (same inputs and tools → same bytes), so the
strongest check of a published PDF is to make it again from the sources it
embeds and compare the bytes: a change anywhere in the file, the pages included,
shows. :func:`almanac.pipeline.verify` runs the rebuild; this module holds what
does not need the pipeline: whether the installed tools are those the edition
recorded (:func:`compare_tools`), and the comparison of the published bytes with
the rebuilt ones (:func:`compare_rebuilt`), which names the first page that looks
different (with a side-by-side image, as ``almanac diff`` draws it) or, when every
page looks the same, what else differs.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem, ReportError
from ..project import theme
from .diff import _compare_pages
from .sources import SOURCES_MANIFEST, tool_versions
from .verify import Check, Verification

REBUILT = "pages rebuilt identical"
"""The name of the check the rebuild adds to a :class:`~.verify.Verification`."""
THEME = "theme"
"""The name under which the built-in theme's digest is compared with the tools."""
_EOF = re.compile(rb"%%EOF[ \t]*(?:\r\n|\r|\n|$)")


@dataclass
class Tools:
    """The installed tools against those an edition recorded (its sources manifest's
    ``tools`` and ``theme``): ``differing`` as (name, recorded, installed), and the
    names of the tools the edition did not record (``unrecorded``); ``recorded`` the
    tools' versions as the edition records them (name → version) and ``theme`` its
    record of the built-in theme (``sha256``, ``files``; None when it records none of
    that shape): a rebuild writes these into its manifest, where they are only data."""

    differing: list[tuple[str, str, str]] = field(default_factory=list)
    unrecorded: list[str] = field(default_factory=list)
    recorded: dict[str, str] = field(default_factory=dict)
    theme: dict | None = None


def compare_tools(verification: Verification) -> Tools:
    """The installed tools (:func:`~.sources.tool_versions`) and built-in theme
    (:func:`~almanac.project.theme.digest`, shown as its first 12 hex digits)
    against those recorded in the edition's embedded sources manifest. A tool the
    edition recorded that is not installed is differing (installed ``none``); a
    tool it did not record is unrecorded, not differing: an edition made before
    Almanac recorded it is rebuilt all the same, and the verdict says so. A
    manifest whose ``tools`` or ``theme`` is not of the shape Almanac writes
    records nothing."""
    try:
        manifest = json.loads(verification.files.get(SOURCES_MANIFEST, b"{}"))
    except ValueError:
        manifest = {}
    recorded = manifest.get("tools") if isinstance(manifest, dict) else None
    recorded = {str(name): str(value) for name, value in recorded.items()} \
        if isinstance(recorded, dict) else {}
    installed = tool_versions()
    result = Tools(recorded=recorded)
    for name in sorted(recorded.keys() | installed.keys()):
        if name not in recorded:
            result.unrecorded.append(name)
        elif recorded[name] != installed.get(name):
            result.differing.append((name, recorded[name][:40],
                                     installed.get(name, "none")))
    recorded_theme = manifest.get("theme") if isinstance(manifest, dict) else None
    digest = theme.digest()[0]
    if not isinstance(recorded_theme, dict) or "sha256" not in recorded_theme:
        result.unrecorded.append(THEME)
        return result
    result.theme = recorded_theme
    if recorded_theme["sha256"] != digest:
        result.differing.append((THEME, str(recorded_theme["sha256"])[:12], digest[:12]))
    return result


def compare_rebuilt(expected: bytes, rebuilt: bytes, pages: Path | None = None,
                    label: str = "") -> tuple[Check, list[Path]]:
    """The check :data:`REBUILT` of the published PDF's bytes ``expected`` against
    ``rebuilt``, the bytes the edition's sources make again, and the image written.

    Equal bytes pass. Otherwise both are drawn with PDFium (as ``almanac diff``
    does: :func:`~.diff._compare_pages`) and the check fails naming the first page
    that looks different, the number of others, and the side-by-side image of that
    page (published | rebuilt | the changes in red on the rebuilt page, faded) written
    into ``pages``, or
    when it is None into a new temporary folder (removed again when no page looks
    different). When every page looks the same it names what else differs
    (:func:`what_differs`). A :class:`ReportError` when the pages cannot be drawn
    or the image cannot be written. The image is named ``<label>-page-NNN.png``
    (``page-NNN.png`` without a label): a run names its own, and leaves the other
    files of ``pages`` as they are."""
    if expected == rebuilt:
        return Check(REBUILT, True, f"the same {len(expected):,} bytes"), []
    made = pages is None
    try:
        folder = Path(tempfile.mkdtemp(prefix="almanac-verify-")) if pages is None else pages
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(Problem(f"cannot be made ({exc.strerror})", pages,
                                  hint="name a folder you can write to (--pages)"))
    with tempfile.TemporaryDirectory() as tmp:
        published, remade = Path(tmp, "published.pdf"), Path(tmp, "rebuilt.pdf")
        published.write_bytes(expected)
        remade.write_bytes(rebuilt)
        try:
            changed, images = _compare_pages(
                published, remade, folder, most=1,
                name=f"{label}-page-{{:03d}}.png" if label else "page-{:03d}.png")
        except OSError as exc:
            raise ReportError(Problem(f"the page image cannot be written ({exc.strerror})",
                                      folder, hint="free some space, or name another "
                                      "folder (--pages)"))
    if made and not images:
        try:
            os.rmdir(folder)
        except OSError:
            pass
    if changed:
        others = changed[1:]
        detail = f"page {changed[0]} differs" + (
            f" (and {len(others)} more: {', '.join(map(str, others[:10]))}"
            f"{' …' if len(others) > 10 else ''})" if others else "")
        differs = what_differs(expected, rebuilt)
        counts = [item for item in differs if item.startswith("page count")]
        return Check(REBUILT, False, "; ".join([detail, *counts])
                     + f"; published | rebuilt | changes: {images[0]}"), images
    differs = what_differs(expected, rebuilt)
    return Check(REBUILT, False, "every page looks the same, but the bytes differ: "
                 + ("; ".join(differs) if differs else
                    f"first at byte {_first_difference(expected, rebuilt):,}")), []


def what_differs(expected: bytes, rebuilt: bytes) -> list[str]:
    """What differs between two PDFs besides how their pages look, each in a few
    words: objects added by incremental updates (ISO 32000-1, 7.5.6: each ends in
    its own ``%%EOF``), the page count, the document information dictionary (its
    keys that differ), the XMP metadata packet, the embedded files (added, removed,
    changed), and each page's content streams. Read with pikepdf
    (qpdf); a file it cannot open gives that as the one difference."""
    import pikepdf

    found = []
    updates = len(_EOF.findall(expected)) - len(_EOF.findall(rebuilt))
    if updates > 0:
        found.append(f"{updates} incremental update(s) added after the edition was made"
                      + (f" ({len(expected) - len(rebuilt):,} bytes appended)"
                         if expected.startswith(rebuilt) else ""))
    try:
        with pikepdf.open(io.BytesIO(expected)) as a, pikepdf.open(io.BytesIO(rebuilt)) as b:
            if len(a.pages) != len(b.pages):
                found.append(f"page count {len(a.pages)}, rebuilt {len(b.pages)}")
            info_a, info_b = _info(a), _info(b)
            keys = sorted(key for key in info_a.keys() | info_b.keys()
                          if info_a.get(key) != info_b.get(key))
            if keys:
                found.append("the document information (" + ", ".join(keys[:6]) + ")")
            if _stream(a.Root, "/Metadata") != _stream(b.Root, "/Metadata"):
                found.append("the XMP metadata packet")
            files_a, files_b = _attachments(a), _attachments(b)
            for name in sorted(files_a.keys() | files_b.keys())[:200]:
                if name not in files_b:
                    found.append(f"the embedded file {name!r} (not in the rebuild)")
                elif name not in files_a:
                    found.append(f"the embedded file {name!r} (missing)")
                elif files_a[name] != files_b[name]:
                    found.append(f"the embedded file {name!r}")
            for number, (page_a, page_b) in enumerate(zip(a.pages, b.pages), 1):
                if _contents(page_a) != _contents(page_b):
                    found.append(f"the content of page {number}")
                    break
    except Exception as exc:  # noqa: BLE001 — qpdf on a damaged or hostile file
        found.append(f"pikepdf cannot compare them ({type(exc).__name__}: "
                     f"{str(exc)[:120]})")
    return found


def _info(pdf) -> dict[str, str]:
    return {str(key): str(value) for key, value in pdf.docinfo.items()} \
        if "/Info" in pdf.trailer else {}


def _stream(dictionary, key: str) -> bytes | None:
    value = dictionary.get(key)
    try:
        return bytes(value.read_bytes()) if value is not None else None
    except Exception:  # noqa: BLE001 — not a stream, or damaged
        return b"?"


def _attachments(pdf) -> dict[str, bytes]:
    return {str(name): bytes(spec.get_file().read_bytes())
            for name, spec in pdf.attachments.items()}


def _contents(page) -> bytes:
    """A page's content streams (ISO 32000-1, 7.8.2: one stream or an array of them),
    decoded and joined."""
    import pikepdf

    contents = page.obj.get("/Contents")
    streams = list(contents) if isinstance(contents, pikepdf.Array) else \
        [contents] if contents is not None else []
    return b"\n".join(bytes(stream.read_bytes()) for stream in streams)


def _first_difference(a: bytes, b: bytes) -> int:
    return next((index for index, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a),
                                                                                len(b)))
