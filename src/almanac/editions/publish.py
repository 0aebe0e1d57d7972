"""Publishing: an edition is written once into ``<archive>/<year>/<version>/``.

The archive is the folder ``archive.folder`` of ``report.yaml`` names (default
``editions/``, kept under version control; :mod:`almanac.editions.archive`). The
edition's folder holds the PDF/A-3a file and ``manifest.json``; a report in several
languages has a folder of that kind per language, ``<archive>/<year>/<version>/<tag>/``,
all written together. An edition published before the archive had a place of its
own, in ``output/<year>/<version>/``, still counts: publishing its version again
finds it there. Publishing is
reproducible (same inputs → same bytes), immutable (an edition is never
rewritten: the same inputs leave it as it is, other inputs are refused) and
atomic (the folder appears complete or not at all, see
:mod:`almanac.stages.output`).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem, ReportError
from ..project.archive import archive_bases
from ..project.languages import TAG
from ..project.model import Report
from ..project.parts import MANIFEST
from ..project.yamlfile import read_yaml
from ..stages.output import Writer, file_slug
from ..stages.variants import VARIANTS
from .signing import signature_record, unsigned_revision
from .sources import read_edition_manifest, sha256

EDITION_MANIFEST = "manifest.json"  # the manifest beside the PDF


@dataclass
class Published:
    """A published edition: its folder, its PDF and its ``manifest.json`` as data."""

    folder: Path
    pdf: Path
    created: bool  # False: the identical edition was there already
    manifest: dict = field(default_factory=dict)
    translations: list[Published] = field(default_factory=list)
    """The editions of the report's other languages, published with this one (the
    main language's)."""


def version_folder(report: Report) -> Path:
    """``<project>/<archive.folder>/<year>/<version>``: where the edition is
    published, or for a report in several languages the folder of its editions, one
    per language; for a family member ``…/<version>/<member key>``, each member's
    edition (or editions, one per language) in a folder of its own."""
    edition = report.manifest.edition
    folder = report.root / report.manifest.archive.folder / str(report.manifest.year) \
        / edition.version
    return folder / report.member.key if report.member is not None else folder


def published_version_folder(report: Report) -> Path | None:
    """The folder of this version's editions if it is published: in the archive
    (:func:`version_folder`), else in a place editions were published before
    (:func:`~almanac.project.archive.archive_bases`: ``editions/`` when
    ``archive.folder`` was set later, ``output/``); None when none holds it. For a
    family member, its own folder in the version's."""
    archive = version_folder(report).relative_to(report.root / report.manifest.archive.folder)
    for base in archive_bases(report.root, report.manifest.archive.folder):
        folder = base / archive
        if os.path.lexists(folder):
            return folder
    return None


def edition_folder(report: Report) -> Path:
    """:func:`version_folder`, and ``/<language>`` for a report in several languages:
    the folder of this language's edition."""
    folder = version_folder(report)
    return folder / report.manifest.language if report.multilingual else folder


def pdf_name(report: Report) -> str:
    """The edition's file name: ``<title slug>[-<year>]-<version>[-<member key>]
    [-<language>].pdf`` (the member's key for a family member, the language for a
    report in several)."""
    slug = file_slug(report.manifest.title)
    if str(report.manifest.year) not in slug:
        slug += f"-{report.manifest.year}"
    language = f"-{report.manifest.language}" if report.multilingual else ""
    member = f"-{report.member.key}" if report.member is not None else ""
    return f"{slug}-{report.manifest.edition.version}{member}{language}.pdf"


RESTORE = ("restore the edition folder from a copy (manifest.json gives each file's "
           "SHA-256, and 'almanac verify' checks the PDF); or, with its inputs, move the "
           "folder aside and publish again: the same inputs give the same bytes; or publish "
           "a new version (edition.version in report.yaml). An edition is never rewritten")


def _damaged(folder: Path, message: str, path: Path | None = None) -> Problem:
    name = f"{folder.parent.name}/{folder.name}" if TAG.match(folder.name) else folder.name
    return Problem(f"the published edition {name} is damaged: {message}",
                   path or folder, None, RESTORE)


def read_edition(folder: Path) -> tuple[dict, Path]:
    """The ``manifest.json`` of the edition in ``folder`` and the path of its PDF,
    both checked: the manifest is a JSON object with ``pdf`` (``file``, a plain
    file name; ``sha256``; ``size``) and ``inputs`` (each with ``path`` and
    ``sha256``), and the PDF it names is there with that size and SHA-256.
    ReportError naming what is missing or wrong, with how to restore it."""
    manifest_path = folder / EDITION_MANIFEST
    if os.path.islink(folder) or not folder.is_dir():
        raise ReportError(_damaged(folder, "it is not a folder"))
    try:
        manifest = read_edition_manifest(manifest_path)  # bounded, its shape checked
    except FileNotFoundError:
        raise ReportError(_damaged(folder, f"{EDITION_MANIFEST} is missing",
                                   manifest_path)) from None
    except (OSError, ValueError) as exc:
        raise ReportError(_damaged(folder, f"{EDITION_MANIFEST} cannot be read ({exc})",
                                   manifest_path)) from exc
    name = manifest["pdf"]["file"]  # a plain file name (PdfRecord)
    path = folder / name
    if not path.is_file():
        raise ReportError(_damaged(folder, f"its PDF {name} is missing", path))
    size = manifest["pdf"]["size"]
    data = path.read_bytes() if path.stat().st_size == size else b""
    if path.stat().st_size != size or sha256(data) != manifest["pdf"]["sha256"]:
        raise ReportError(_damaged(folder, f"its PDF {name} is not the one published (its "
                                   f"size or SHA-256 differs from {EDITION_MANIFEST})", path))
    return manifest, path


def manifest_line(root: Path, loc: tuple) -> int | None:
    """The line of ``loc`` (keys and indexes, e.g. ``("edition", "version")``) in
    ``root``'s ``report.yaml``, from its YAML line map; None when it cannot be read."""
    try:
        return read_yaml(root / MANIFEST, root)[1].line(loc)
    except (ReportError, OSError):
        return None


def next_version(version: str) -> str:
    """The version after ``version`` (``"1.1"`` → ``"1.2"``, ``"1.2.1"`` →
    ``"1.2.2"``): its last number raised by one; unchanged when that is no number."""
    parts = version.split(".")
    parts[-1] = str(int(parts[-1]) + 1) if parts[-1].isascii() and parts[-1].isdigit() \
        else parts[-1]
    return ".".join(parts)


def existing_edition(report: Report, inputs: list[dict]) -> Published | None:
    """The published edition of this version, if any, checked whole (see
    :func:`read_edition`); a ReportError when it is damaged or was made from other
    inputs (an edition is never rewritten: restore it, or bump the version). For a
    report in several languages, the edition of its language once the version's
    folder is there."""
    published = published_version_folder(report)
    if published is None:
        return None
    folder = published / report.manifest.language if report.multilingual else published
    manifest, pdf = read_edition(folder)
    hashes = {item["path"]: item["sha256"] for item in manifest["inputs"]}
    current = {item["path"]: item["sha256"] for item in inputs}
    if hashes != current:
        changed = sorted(name for name in hashes.keys() | current.keys()
                         if hashes.get(name) != current.get(name))
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more"
                                          if len(changed) > 5 else "")
        version = report.manifest.edition.version
        raise ReportError(Problem(
            f"edition {version} is already published "
            f"({folder.relative_to(report.root)}) from other inputs; changed: {shown}",
            report.root / MANIFEST, manifest_line(report.root, ("edition", "version")),
            f"bump edition.version (e.g. {version} → {next_version(version)}), add a "
            "changelog entry, then publish", "edition.version"))
    return Published(folder=folder, pdf=pdf, created=False, manifest=manifest)


def write_edition(report: Report, pdf: bytes, pages: int, sources: bytes) -> Published:
    """Write the edition folder (the PDF and ``manifest.json``) through the one
    writer: complete and synced, renamed into place in one step. If another run
    published this version meanwhile, its edition is returned when it has the same
    inputs (``created`` False), and refused (ReportError) when not."""
    folder = edition_folder(report)
    for stale in folder.parent.glob(f".{folder.name}.*.partial"):  # left by older versions
        shutil.rmtree(stale, ignore_errors=True)
    manifest, body = _edition_manifest(report, pdf, pages, sources)
    try:
        Writer(report.root).folder(folder, {pdf_name(report): pdf, EDITION_MANIFEST: body})
    except FileExistsError:  # another publish of this version finished first
        existing = existing_edition(report, manifest["inputs"])  # refused if other inputs
        if existing is not None:
            return existing
        raise
    return Published(folder=folder, pdf=folder / pdf_name(report), created=True,
                     manifest=manifest)


def _edition_manifest(report: Report, pdf: bytes, pages: int, sources: bytes
                      ) -> tuple[dict, bytes]:
    """The edition folder's ``manifest.json``: the sources manifest and the PDF beside
    it, as data and as the bytes written. For a signed PDF (:mod:`.signing`) the
    ``pdf`` record's ``sha256`` and ``size`` are the signed file's, and it adds
    ``unsigned_sha256`` and ``unsigned_size`` (the file before its signature, which a
    rebuild reproduces) and ``signature`` (``signer``, ``signing_time``,
    ``timestamped``)."""
    manifest = json.loads(sources)
    manifest["pdf"] = {"file": pdf_name(report), "sha256": sha256(pdf), "size": len(pdf),
                       "pages": pages, "variant": VARIANTS["archive"].pdf_variant,
                       "sources_sha256": sha256(sources)}
    unsigned = unsigned_revision(pdf)
    if unsigned is not None:  # signed: the file before its signature, and who signed
        manifest["pdf"].update(unsigned_sha256=sha256(unsigned), unsigned_size=len(unsigned),
                               signature=signature_record(pdf))
    body = (json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()
    return manifest, body


def write_editions(editions: list[tuple[Report, bytes, int, bytes]]) -> Published:
    """Write the editions of one version — (report, PDF, pages, sources manifest) per
    language, the main language first — together: for a report in one language its
    folder (:func:`write_edition`), for one in several the version's folder holding a
    folder per language, complete or not at all. The main language's edition is
    returned, the others in its ``translations``. If another run published this
    version meanwhile, its editions are returned when they have the same inputs
    (``created`` False), and refused (ReportError) when not."""
    first = editions[0][0]
    if not first.multilingual:
        return write_edition(*editions[0])
    folder = version_folder(first)
    for stale in folder.parent.glob(f".{folder.name}.*.partial"):
        shutil.rmtree(stale, ignore_errors=True)
    files: dict[str, bytes] = {}
    published = []
    for report, pdf, pages, sources in editions:
        manifest, body = _edition_manifest(report, pdf, pages, sources)
        tag = report.manifest.language
        files[f"{tag}/{pdf_name(report)}"] = pdf
        files[f"{tag}/{EDITION_MANIFEST}"] = body
        published.append(Published(folder=folder / tag, pdf=folder / tag / pdf_name(report),
                                   created=True, manifest=manifest))
    try:
        Writer(first.root).folder(folder, files)
    except FileExistsError:  # another publish of this version finished first
        existing = [existing_edition(report, json.loads(sources)["inputs"])
                    for report, _, _, sources in editions]  # refused if other inputs
        if all(edition is not None for edition in existing):
            return together([edition for edition in existing if edition is not None])
        raise
    return together(published)


def together(editions: list[Published]) -> Published:
    """The main language's edition with the others as its ``translations``."""
    editions[0].translations = editions[1:]
    return editions[0]
