"""Reading an edition back: verify a published PDF, list the archived editions.

``verify`` checks, from the file alone, the embedded sources manifest and every
embedded input against its hash, the PDF/A identification and the manifest hash
in the XMP metadata, and that every font is embedded; with the edition folder
beside the file, also the file's SHA-256 against ``manifest.json``.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..project.parts import OUTPUT
from .publish import EDITION_MANIFEST
from .sources import FORMAT, SOURCES_MANIFEST, sha256


@dataclass
class Check:
    """One check of :func:`verify`: its name, whether it passed, what was found."""

    name: str
    ok: bool
    detail: str = ""


@dataclass
class Verification:
    """Every check made of one PDF; ``ok`` when all passed."""

    path: Path
    checks: list[Check]
    sources: dict | None = None

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(check.ok for check in self.checks)


def embedded_files(reader) -> dict[str, bytes]:
    """The PDF's embedded files by name."""
    files = {}
    for name, contents in reader.attachments.items():
        files[name] = contents[0] if isinstance(contents, list) else contents
    return files


def verify(path: Path) -> Verification:
    """Check a published PDF from the file alone (and its edition folder, if beside it)."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    path = Path(path)
    checks: list[Check] = []
    data = path.read_bytes()
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        files = embedded_files(reader)
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        return Verification(path, [Check("readable PDF", False, str(exc))])
    checks.append(Check("readable PDF", True, f"{len(reader.pages)} pages"))

    sources = None
    raw = files.get(SOURCES_MANIFEST)
    if raw is None:
        checks.append(Check("embedded manifest", False, f"no {SOURCES_MANIFEST} attached"))
    else:
        try:
            sources = json.loads(raw)
            checks.append(Check("embedded manifest", sources.get("format") == FORMAT,
                                f"{len(sources.get('inputs', []))} inputs, edition "
                                f"{sources.get('edition', {}).get('version')}"))
        except ValueError as exc:
            checks.append(Check("embedded manifest", False, f"not JSON: {exc}"))
    if sources is not None:
        bad = []
        for item in sources.get("inputs", []):
            body = files.get(item["path"])
            if body is None:
                bad.append(f"{item['path']} is missing")
            elif sha256(body) != item["sha256"] or len(body) != item["size"]:
                bad.append(f"{item['path']} does not match its hash")
        extra = set(files) - {item["path"] for item in sources.get("inputs", [])} \
            - {SOURCES_MANIFEST}
        bad += [f"{name} is not in the manifest" for name in sorted(extra)]
        checks.append(Check("embedded sources", not bad, "; ".join(bad) or
                            "every input matches its hash"))

    xmp = _xmp(reader)
    part = re.search(r'pdfaid:part="?(\d)', xmp) or re.search(r"<pdfaid:part>(\d)", xmp)
    conformance = re.search(r'pdfaid:conformance="?([ABU])', xmp) or \
        re.search(r"<pdfaid:conformance>([ABU])", xmp)
    identification = f"PDF/A-{part.group(1)}{conformance.group(1).lower()}" \
        if part and conformance else None
    checks.append(Check("PDF/A identification", identification == "PDF/A-3a",
                        identification or "no pdfaid in the XMP metadata"))
    recorded = re.search(r"<almanac:manifestSha256>([0-9a-f]{64})<", xmp)
    if raw is not None:
        checks.append(Check("manifest hash in XMP",
                            recorded is not None and recorded.group(1) == sha256(raw),
                            "matches" if recorded and recorded.group(1) == sha256(raw)
                            else "missing or different"))

    try:
        missing_fonts = _unembedded_fonts(reader)
        checks.append(Check("fonts embedded", not missing_fonts,
                            ", ".join(missing_fonts) or "every font"))
    except Exception as exc:  # noqa: BLE001 — a damaged file is what verify is for
        checks.append(Check("fonts embedded", False,
                            f"the pages cannot be read ({type(exc).__name__}: {exc})"[:300]))

    beside = path.parent / EDITION_MANIFEST
    if beside.is_file():
        try:
            edition = json.loads(beside.read_text(encoding="utf-8"))
            expected = edition["pdf"]["sha256"]
            checks.append(Check("sha256 against manifest.json", expected == sha256(data),
                                "matches" if expected == sha256(data) else
                                f"file {sha256(data)[:16]}…, manifest {expected[:16]}…"))
        except (ValueError, KeyError) as exc:
            checks.append(Check("sha256 against manifest.json", False, f"unreadable: {exc}"))
    return Verification(path, checks, sources)


def _xmp(reader) -> str:
    try:
        metadata = reader.trailer["/Root"].get("/Metadata")
        return metadata.get_object().get_data().decode("utf-8", "replace") if metadata else ""
    except Exception:  # a damaged metadata stream is reported as missing identification
        return ""


def _unembedded_fonts(reader) -> list[str]:
    missing, seen = [], set()

    def visit(resources):
        if not resources:
            return
        resources = resources.get_object()
        for ref in (resources.get("/Font") or {}).values():
            font = ref.get_object()
            name = str(font.get("/BaseFont"))
            if name in seen:
                continue
            seen.add(name)
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor else {}
            if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.append(name)
        for ref in (resources.get("/XObject") or {}).values():
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Form":
                visit(xobject.get("/Resources"))

    for page in reader.pages:
        visit(page.get("/Resources"))
    return missing


def list_editions(root: Path) -> list[dict]:
    """Every archived edition under ``output/<year>/<version>/``, oldest first."""
    editions = []
    for manifest_path in sorted(Path(root, OUTPUT).glob(f"*/*/{EDITION_MANIFEST}")):
        folder = manifest_path.parent
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            pdf = folder / manifest["pdf"]["file"]
            status = "verified" if pdf.is_file() and verify(pdf).ok else "FAILED"
            editions.append({
                "version": manifest["edition"]["version"], "date": manifest["edition"]["date"],
                "pages": manifest["pdf"]["pages"], "size": manifest["pdf"]["size"],
                "sha256": manifest["pdf"]["sha256"], "path": str(pdf.relative_to(root)),
                "status": status})
        except (ValueError, KeyError, OSError) as exc:
            editions.append({"version": folder.name, "path": str(folder.relative_to(root)),
                             "status": f"FAILED: unreadable manifest ({exc})"})
    return sorted(editions, key=lambda e: [int(p) if p.isdigit() else p
                                           for p in str(e["version"]).split(".")])
