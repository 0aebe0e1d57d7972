"""Stage 7 — archive: versioned editions an archivist can trust.

An edition is published once into ``output/<year>/<version>/``: the PDF/A-3a file
and ``manifest.json``. The PDF carries its own sources — every input file and the
sources manifest (hashes, tool versions, edition) are embedded as associated
files — and the manifest's hash and the edition in its XMP metadata, so that
years later the file alone says what it is, what it was made from, and whether
anything changed. Publishing is reproducible (same inputs → same bytes),
immutable (an edition is never rewritten) and atomic (an edition folder
appears complete or not at all).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import platform
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from xml.sax.saxutils import escape

from .errors import Problem, ReportError
from .model import Report
from .staging import prefix, staging_dir

FORMAT = "almanac-edition/1"
SOURCES_MANIFEST = "almanac-sources.json"  # the manifest embedded in the PDF
EDITION_MANIFEST = "manifest.json"  # the manifest beside the PDF
INPUT_FOLDERS = ("chapters", "figures", "layout", "styles")
INPUT_FILES = ("report.yaml",)
XMP_NAMESPACE = "https://almanac.report/ns/edition/1.0/"
ARCHIVE_VARIANT = "pdf/a-3a"


# --------------------------------------------------------------------------- sources

@dataclass(frozen=True)
class Attachment:
    """A file embedded in the PDF as a PDF/A-3 associated file."""

    name: str
    data: bytes
    relationship: str = "Source"  # "Source", "Data", "Supplement", ...
    description: str | None = None


def input_files(root: Path) -> list[str]:
    """Every file the edition is made from, as sorted POSIX paths relative to ``root``
    (a link to a file outside the project is not one: it is never embedded)."""
    found = [name for name in INPUT_FILES if (root / name).is_file()]
    inside = Path(root).resolve()
    for folder in INPUT_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and not any(part.startswith(".") or part == "__pycache__"
                                          for part in relative.parts) \
                    and path.resolve().is_relative_to(inside):
                found.append(relative.as_posix())
    return sorted(found)


def tool_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(), "almanac": version("almanac"),
        "weasyprint": version("weasyprint"), "vl-convert": version("vl-convert-python"),
        "altair": version("altair"), "pypdf": version("pypdf"),
    }


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sources_manifest(report: Report, files: dict[str, bytes]) -> bytes:
    """The manifest embedded in the PDF: the edition, the tools and every input's hash."""
    manifest = report.manifest
    data = {
        "format": FORMAT,
        "title": manifest.title, "organisation": manifest.organisation,
        "year": manifest.year,
        "edition": {"version": manifest.edition.version,
                    "date": manifest.edition.date.isoformat()},
        "tools": tool_versions(),
        "inputs": [{"path": name, "sha256": sha256(body), "size": len(body)}
                   for name, body in sorted(files.items())],
    }
    return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def edition_date(report: Report) -> dt.datetime:
    date = report.manifest.edition.date
    return dt.datetime(date.year, date.month, date.day, tzinfo=dt.timezone.utc)


def xmp_block(report: Report, manifest_hash: str) -> bytes:
    """An RDF block for the XMP metadata, with the PDF/A extension schema that
    declares Almanac's properties (PDF/A accepts no undeclared properties)."""
    tools = tool_versions()
    properties = {
        "editionVersion": ("Text", "Version of the edition", report.manifest.edition.version),
        "editionDate": ("Date", "Publication date of the edition",
                        report.manifest.edition.date.isoformat()),
        "manifestSha256": ("Text", "SHA-256 of the embedded sources manifest", manifest_hash),
        "tools": ("Text", "Versions of the tools that made the file",
                  ", ".join(f"{name} {value}" for name, value in tools.items())),
    }
    schema = "".join(
        f"<rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>{name}</pdfaProperty:name>"
        f"<pdfaProperty:valueType>{kind}</pdfaProperty:valueType>"
        f"<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{escape(text)}</pdfaProperty:description></rdf:li>"
        for name, (kind, text, _) in properties.items())
    values = "".join(f"<almanac:{name}>{escape(value)}</almanac:{name}>"
                     for name, (_, _, value) in properties.items())
    return (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" '
        'xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" '
        'xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" '
        'xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">'
        '<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">'
        '<pdfaSchema:schema>Almanac edition</pdfaSchema:schema>'
        f'<pdfaSchema:namespaceURI>{XMP_NAMESPACE}</pdfaSchema:namespaceURI>'
        '<pdfaSchema:prefix>almanac</pdfaSchema:prefix>'
        f'<pdfaSchema:property><rdf:Seq>{schema}</rdf:Seq></pdfaSchema:property>'
        '</rdf:li></rdf:Bag></pdfaExtension:schemas></rdf:Description>'
        f'<rdf:Description rdf:about="" xmlns:almanac="{XMP_NAMESPACE}">{values}'
        '</rdf:Description></rdf:RDF>').encode()


# --------------------------------------------------------------------------- publish

@dataclass
class Published:
    folder: Path
    pdf: Path
    created: bool  # False: the identical edition was there already
    manifest: dict = field(default_factory=dict)


def edition_folder(report: Report) -> Path:
    edition = report.manifest.edition
    return report.root / "output" / str(report.manifest.year) / edition.version


def file_slug(title: str) -> str:
    """A file name for a title: lower-case ASCII words joined by dashes, at most
    80 characters (``report`` when the title has no such letters)."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:80].rstrip("-") or "report"


def pdf_name(report: Report) -> str:
    slug = file_slug(report.manifest.title)
    if str(report.manifest.year) not in slug:
        slug += f"-{report.manifest.year}"
    return f"{slug}-{report.manifest.edition.version}.pdf"


def existing_edition(report: Report, inputs: list[dict]) -> Published | None:
    """The published edition of this version, if any; a ReportError when it was made
    from other inputs (an edition is never rewritten: bump the version)."""
    folder = edition_folder(report)
    if not folder.exists():
        return None
    manifest_path = folder / EDITION_MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        published = {item["path"]: item["sha256"] for item in manifest["inputs"]}
    except (OSError, ValueError, KeyError) as exc:
        raise ReportError(Problem(f"edition folder exists but its manifest is unreadable "
                                  f"({exc})", manifest_path,
                                  hint="leave archived editions as they are; publish a new "
                                  "version (edition.version in report.yaml)"))
    current = {item["path"]: item["sha256"] for item in inputs}
    if published != current:
        changed = sorted(name for name in published.keys() | current.keys()
                         if published.get(name) != current.get(name))
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more"
                                          if len(changed) > 5 else "")
        version_line = _line(report.root / "report.yaml", "version:")
        raise ReportError(Problem(
            f"edition {report.manifest.edition.version} is already published "
            f"({folder.relative_to(report.root)}) from other inputs; changed: {shown}",
            report.root / "report.yaml", version_line,
            "bump edition.version (e.g. 1.0 → 1.1), add a changelog entry, then publish"))
    return Published(folder=folder, pdf=folder / manifest["pdf"]["file"], created=False,
                     manifest=manifest)


def _line(path: Path, needle: str) -> int | None:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    return None


def write_edition(report: Report, pdf: bytes, pages: int, sources: bytes) -> Published:
    """Write the edition folder atomically: a temporary folder in the project's
    staging folder (see staging.py), complete and synced, renamed into place in
    one step."""
    folder = edition_folder(report)
    for stale in folder.parent.glob(f".{folder.name}.*.partial"):  # left by older versions
        shutil.rmtree(stale, ignore_errors=True)
    manifest = json.loads(sources)
    manifest["pdf"] = {"file": pdf_name(report), "sha256": sha256(pdf), "size": len(pdf),
                       "pages": pages, "variant": ARCHIVE_VARIANT,
                       "sources_sha256": sha256(sources)}
    body = (json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()
    temporary = Path(tempfile.mkdtemp(prefix=prefix(folder.name), suffix=".partial",
                                      dir=staging_dir(report.root, folder)))
    try:
        for name, data in ((pdf_name(report), pdf), (EDITION_MANIFEST, body)):
            with open(temporary / name, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
        os.chmod(temporary, 0o755)
        os.rename(temporary, folder)  # atomic; fails if the edition appeared meanwhile
        directory = os.open(folder.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return Published(folder=folder, pdf=folder / pdf_name(report), created=True,
                     manifest=manifest)


# --------------------------------------------------------------------------- read back

@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Verification:
    path: Path
    checks: list[Check]
    sources: dict | None = None

    @property
    def ok(self) -> bool:
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
                            bool(recorded) and recorded.group(1) == sha256(raw),
                            "matches" if recorded and recorded.group(1) == sha256(raw)
                            else "missing or different"))

    missing_fonts = _unembedded_fonts(reader)
    checks.append(Check("fonts embedded", not missing_fonts,
                        ", ".join(missing_fonts) or "every font"))

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
    for item in verification.sources["inputs"]:
        destination = (target / item["path"]).resolve()
        if not destination.is_relative_to(target.resolve()):
            raise ReportError(Problem(f"embedded path {item['path']} leaves the folder",
                                      Path(path), hint="this file was not made by Almanac"))
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(files[item["path"]])
        written.append(item["path"])
    return written


def list_editions(root: Path) -> list[dict]:
    """Every archived edition under ``output/<year>/<version>/``, oldest first."""
    editions = []
    for manifest_path in sorted(Path(root, "output").glob(f"*/*/{EDITION_MANIFEST}")):
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
