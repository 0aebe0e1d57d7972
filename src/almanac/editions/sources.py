"""What an edition is made from, and how the PDF says so.

The sources manifest lists every input file of the edition (path, SHA-256,
size), the edition (version, date) and the tools that made it; it is embedded
in the PDF beside the inputs themselves. Its hash goes into the XMP metadata
under a namespace declared through a PDF/A extension schema (ISO 19005-1,
6.7.8: PDF/A accepts no undeclared properties).

An edition is bounded (:class:`EmbedLimits`): each embedded file, their number
and their total. ``publish`` refuses a project over a limit before it reads the
file, and the commands that read an edition back (``verify``, ``extract``,
``diff``, ``editions``) refuse a PDF over the same limits, so they open every
edition ``publish`` can make and no file can make them read without end.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import stat
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr, ValidationError

from ..errors import Problem, ReportError
from ..project import theme
from ..project.files import over_limit
from ..project.model import Report
from ..project.parts import MANIFEST, SOURCE_FILES, SOURCE_FOLDERS
from ..stages.pdfa import ExtensionSchema, XmpProperty

FORMAT = "almanac-edition/1"
SOURCES_MANIFEST = "almanac-sources.json"  # the manifest embedded in the PDF
XMP_NAMESPACE = "https://almanac.report/ns/edition/1.0/"


MAX_EMBEDDED_FILE_MIB = 32
"""Default limit of one embedded file, in MiB: a 50-megapixel JPEG photo (the
image limit) is 15-25 MiB, a CSV series at most 16 MiB, a YAML file 4 MiB, a
font about 1 MiB; the sample report's largest input is 0.7 MiB."""
MAX_EMBEDDED_TOTAL_MIB = 256
"""Default limit of all embedded files together, in MiB: a dozen photos at the
largest size plus a few workbooks and the fonts (the sample: 46 files, 4.3 MiB)."""
MAX_EMBEDDED_FILES = 10_000
"""Limit of the number of embedded files: each is two entries of the PDF's name
tree array, and pypdf refuses an array of more than 100 000 elements
(``pypdf.Configuration.array_maximum_element_count``)."""
FILE_LIMIT_VARIABLE = "ALMANAC_MAX_EMBEDDED_FILE_MIB"
TOTAL_LIMIT_VARIABLE = "ALMANAC_MAX_EMBEDDED_TOTAL_MIB"
MIB = 2**20


@dataclass(frozen=True)
class EmbedLimits:
    """The bounds of an edition's embedded files, in bytes.

    ``file``: one embedded file; ``total``: all of them together; ``files``: their
    number. ``pdf`` (derived): the largest edition PDF the reading commands open,
    twice the total (the pages hold the photos a second time, and the fonts).
    """

    file: int = MAX_EMBEDDED_FILE_MIB * MIB
    total: int = MAX_EMBEDDED_TOTAL_MIB * MIB
    files: int = MAX_EMBEDDED_FILES

    @property
    def pdf(self) -> int:
        """The largest edition PDF, in bytes, that the reading commands open."""
        return 2 * self.total + 64 * MIB

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> EmbedLimits:
        """The limits, each default replaced by its environment variable when set:
        ``ALMANAC_MAX_EMBEDDED_FILE_MIB`` and ``ALMANAC_MAX_EMBEDDED_TOTAL_MIB``, whole
        MiB (1 to 65 536; a file limit above the total is the total). ``publish``
        and the reading commands use the same, so an edition published with raised
        limits is read back with them raised too.
        A value that is not such a number is a :class:`ReportError`."""
        environ = os.environ if environ is None else environ
        values = {}
        for field, variable, default in (("file", FILE_LIMIT_VARIABLE, MAX_EMBEDDED_FILE_MIB),
                                         ("total", TOTAL_LIMIT_VARIABLE,
                                          MAX_EMBEDDED_TOTAL_MIB)):
            text = environ.get(variable, "").strip()
            if not text:
                values[field] = default * MIB
                continue
            if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 65_536):
                raise ReportError(Problem(
                    f"{variable}={text[:40]!r} is not a size in MiB",
                    hint=f"set it to a whole number of MiB from 1 to 65536 (default "
                    f"{default}), or unset it"))
            values[field] = int(text) * MIB
        return cls(file=min(values["file"], values["total"]), total=values["total"])


def limit_hint(variable: str, limit: int) -> str:
    """How to raise one limit (``variable``, now ``limit`` bytes), for a ``fix:`` line."""
    return (f"or raise the limit, e.g. {variable}={2 * limit // MIB} for publish and "
            "for the commands that read the edition (verify, extract, diff, editions)")


def read_bounded(path: Path, limit: int, *, follow_links: bool = True) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    The file is opened without blocking (a FIFO swapped in cannot stall the
    read), checked to be a regular file (``fstat(2)`` of the open file, so the
    check and the read are of one file: not a device, FIFO or folder), its size
    compared with ``limit`` before anything is read, and at most ``limit + 1``
    bytes are read (a file that grows meanwhile is caught too). With
    ``follow_links`` False a symbolic link is refused (``O_NOFOLLOW``).
    Raises :class:`OSError` when it cannot be opened or read, and
    :class:`ValueError` (with a message for a user) when it is not a regular
    file or is larger than ``limit``.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_links:
        flags |= os.O_NOFOLLOW
    try:
        handle = os.open(path, flags)
    except OSError as exc:
        if not follow_links and os.path.islink(path):
            raise ValueError("is a symbolic link, not a file") from exc
        raise
    with os.fdopen(handle, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("is not a regular file (a folder, device, FIFO or socket)")
        if info.st_size > limit:
            raise ValueError(over_limit(info.st_size, limit))
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"grew while it was read; {over_limit(len(data), limit)}")
    return data


LEAVE_OUT = ("make it smaller, or leave it out of the edition (move it out of "
             + ", ".join(f"{name}/" for name in SOURCE_FOLDERS)
             + ", or give it a name starting with '.')")


def read_sources(root: Path, names: list[str], limits: EmbedLimits | None = None
                 ) -> dict[str, bytes]:
    """The bytes of every source file to embed in an edition, by name (``names``:
    POSIX paths relative to ``root``, as :func:`almanac.project.parts.source_files`
    gives them).

    Bounded before anything is read: the number of files, each file's size and
    the total are compared with ``limits`` (default: :meth:`EmbedLimits.from_environment`)
    from ``stat(2)``; then each file is read by :func:`read_bounded`. Every file
    over a limit, not a regular file or unreadable is a :class:`Problem`; all of
    them are raised together in one :class:`ReportError`.
    """
    limits = limits or EmbedLimits.from_environment()
    root = Path(root)
    if len(names) > limits.files:
        folders = Counter(name.rsplit("/", 1)[0] for name in names if "/" in name)
        fullest, count = folders.most_common(1)[0] if folders else (MANIFEST, 0)
        raise ReportError(Problem(
            f"the report has {len(names):,} source files ({count:,} in this folder); an "
            f"edition embeds at most {limits.files:,}", root / fullest,
            hint="leave out what is not an input of the report (files in "
            + ", ".join(f"{name}/" for name in SOURCE_FOLDERS) + " are embedded)"))
    problems: list[Problem] = []
    sizes: dict[str, int] = {}
    for name in names:
        try:
            info = os.stat(root / name)
        except OSError as exc:
            problems.append(Problem(f"cannot be read ({exc.strerror})", root / name,
                                    hint="make it readable, or remove it"))
            continue
        if stat.S_ISREG(info.st_mode) and info.st_size > limits.file:
            problems.append(Problem(
                f"this source file {over_limit(info.st_size, limits.file)} for one "
                "embedded file of an edition", root / name,
                hint=f"{LEAVE_OUT}, {limit_hint(FILE_LIMIT_VARIABLE, limits.file)}"))
        sizes[name] = info.st_size
    total = sum(sizes.values())
    if not problems and total > limits.total:
        largest = sorted(sizes, key=lambda name: -sizes[name])[:3]
        problems.append(Problem(
            f"the source files together {over_limit(total, limits.total)} for an "
            f"edition; the largest: " + ", ".join(
                f"{name} ({sizes[name] / MIB:.1f} MiB)" for name in largest),
            root / MANIFEST,
            hint=f"{LEAVE_OUT}, {limit_hint(TOTAL_LIMIT_VARIABLE, limits.total)}"))
    if problems:
        raise ReportError(problems)
    files: dict[str, bytes] = {}
    for name in names:
        try:
            files[name] = read_bounded(root / name, limits.file)
        except ValueError as exc:
            problems.append(Problem(f"this source file {exc}", root / name,
                                    hint=f"{LEAVE_OUT}, "
                                    f"{limit_hint(FILE_LIMIT_VARIABLE, limits.file)}"))
        except OSError as exc:
            problems.append(Problem(f"cannot be read ({exc.strerror})", root / name,
                                    hint="make it readable, or remove it"))
    if sum(len(body) for body in files.values()) > limits.total:  # grew while read
        problems.append(Problem(f"the source files together grew over "
                                f"{limits.total // MIB} MiB while they were read",
                                root / MANIFEST, hint="publish again once they are saved"))
    if problems:
        raise ReportError(problems)
    return files


def source_name_problem(name: object, member: bool = False) -> str | None:
    """Why ``name`` cannot be the name of an embedded source, or None when it can.

    A source name is what :func:`almanac.project.parts.source_files` gives: a
    relative POSIX path, ``report.yaml`` or a path under one of the source
    folders, with no empty, ``.`` or ``..`` part, no hidden part (a name that
    starts with a dot is never a source), no backslash, NUL or other control
    character, each part at most 255 bytes in UTF-8 (the ``NAME_MAX`` of common
    file systems) and the whole at most 1 024 characters. A family member's edition
    (``member``) also holds ``family.yaml`` and the member table, which may lie in
    any folder of the project: any such plain relative path is a source there.
    """
    if not isinstance(name, str) or not name:
        return "is not a file name"
    if len(name) > 1024:
        return "is longer than 1024 characters"
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in name) or "\\" in name:
        return "holds a control character or a backslash"
    parts = name.split("/")
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return "is not a plain relative path (an empty, '.', '..' or hidden part)"
    if any(len(part.encode("utf-8")) > 255 for part in parts):
        return "has a part longer than 255 bytes"
    if (len(parts) == 1 and parts[0] in SOURCE_FILES) \
            or (len(parts) > 1 and parts[0] in SOURCE_FOLDERS) or member:
        return None
    return f"is neither {MANIFEST} nor a file under " + ", ".join(
        f"{folder}/" for folder in SOURCE_FOLDERS) + " (nor " + ", ".join(
        name for name in SOURCE_FILES if name != MANIFEST) + ")"


def source_tree_problems(names: list[str]) -> list[str]:
    """What keeps ``names`` from being written as one folder tree: a name given
    twice, or a name that is also the folder of another (``a`` beside ``a/b``)."""
    problems, seen = [], set()
    for name in names:
        if name in seen:
            problems.append(f"{name} is given twice")
        seen.add(name)
    folders = {"/".join(name.split("/")[:end]) for name in seen
               for end in range(1, name.count("/") + 1)}
    problems += [f"{name} is both a file and a folder" for name in sorted(seen & folders)]
    return problems


SHA256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", strict=True)]
Size = Annotated[int, Field(ge=0, strict=True)]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class InputRecord(_Shape):
    """One input of the sources manifest."""

    path: StrictStr
    sha256: SHA256
    size: Size


class EditionRecord(_Shape):
    """The edition named in a manifest."""

    version: StrictStr
    date: StrictStr


class SourcesRecord(_Shape):
    """The shape of the sources manifest (``almanac-sources.json``)."""

    format: Literal["almanac-edition/1"]
    edition: EditionRecord
    inputs: list[InputRecord]
    language: StrictStr | None = None  # the edition's, for a report in several languages
    member: StrictStr | None = None  # the family member's key, for a member's edition


def _plain_file_name(name: str) -> str:
    if name in ("", ".", "..") or any(char in name for char in "/\\\0") \
            or len(name.encode("utf-8")) > 255:
        raise ValueError("not a file name in the edition's folder")
    return name


class PdfRecord(_Shape):
    """The PDF named in an edition folder's ``manifest.json``: ``file`` is a plain
    file name in that folder (no folder part, not ``.`` or ``..``)."""

    file: Annotated[str, Field(strict=True), AfterValidator(_plain_file_name)]
    sha256: SHA256
    size: Size
    pages: Size


class EditionManifestRecord(SourcesRecord):
    """The shape of an edition folder's ``manifest.json``: the sources manifest and
    the PDF beside it."""

    pdf: PdfRecord


Shape = TypeVar("Shape", bound=BaseModel)


def parse_manifest(data: bytes, shape: type[Shape]) -> Shape:
    """``data`` (JSON) checked against ``shape``; :class:`ValueError` with a short
    message naming the first wrong fields (not JSON, wrong nesting, a string for a
    number, a missing key...)."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply")
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, a number too long
        if "int_max_str_digits" in str(exc):  # Python's guard against slow int parsing
            raise ValueError("a number with more than 4 300 digits")
        raise ValueError(f"not JSON: {str(exc)[:120]}")
    try:
        return shape.model_validate(value)
    except ValidationError as exc:
        shown = "; ".join(
            f"{'.'.join(map(str, error['loc'])) or 'the whole'}: {error['msg']}"
            for error in exc.errors()[:3])
        more = exc.error_count() - 3
        raise ValueError(f"not an Almanac manifest: {shown}"
                         + (f" and {more} more" if more > 0 else ""))


def read_edition_manifest(path: Path, limits: EmbedLimits | None = None) -> dict:
    """An edition folder's ``manifest.json`` as data, read by :func:`read_bounded`
    (at most ``limits.file`` bytes, a regular file, not a link) and checked against
    :class:`EditionManifestRecord`; :class:`OSError` when it cannot be read and
    :class:`ValueError` (a message for a user) when it is not such a manifest."""
    limits = limits or EmbedLimits.from_environment()
    data = read_bounded(path, limits.file, follow_links=False)
    parse_manifest(data, EditionManifestRecord)
    return json.loads(data)


TOOLS = {"python": None, "almanac": "almanac", "weasyprint": "weasyprint",
         "vl-convert": "vl-convert-python", "altair": "altair", "pypdf": "pypdf",
         "fonttools": "fonttools", "pydyf": "pydyf", "pillow": "pillow",
         "pikepdf": "pikepdf"}
"""The tools whose versions an edition records (name → its distribution; Python's
own version for ``python``): those whose code decides the PDF's bytes, so that
``almanac verify`` rebuilds with the same ones. WeasyPrint lays out the pages,
pydyf writes the PDF, fontTools subsets the fonts, vl-convert and Altair draw the
charts, Pillow encodes the images, pypdf and pikepdf finish the file (outline,
metadata, XMP). Editions made before fontTools, pydyf, Pillow and pikepdf were
recorded lack those four."""


def tool_versions() -> dict[str, str]:
    """The installed versions of Python and of the tools that make a PDF
    (:data:`TOOLS`), by name."""
    return {name: platform.python_version() if distribution is None
            else version(distribution) for name, distribution in TOOLS.items()}


def sha256(data: bytes) -> str:
    """The SHA-256 of ``data`` as 64 lower-case hex digits (FIPS 180-4)."""
    return hashlib.sha256(data).hexdigest()


def sources_manifest(report: Report, files: dict[str, bytes],
                     tools: Mapping[str, str] | None = None,
                     theme_record: Mapping[str, Any] | None = None) -> bytes:
    """The manifest embedded in the PDF: the edition, the tools (``tools``, default
    :func:`tool_versions`; a rebuild passes the versions the edition recorded, which
    are only data in the file), the built-in theme's
    hash and file count (``theme_record``, default
    :func:`~almanac.project.theme.digest`; a rebuild passes the one recorded) and
    every input's hash; for a report
    in several languages also the edition's ``language`` and all ``languages`` (a
    report in one language has neither, so its editions stay as they were); for a
    family member its key, ``member``, by which a rebuild loads that member."""
    manifest = report.manifest
    data = {
        "format": FORMAT,
        "title": manifest.title, "organisation": manifest.organisation,
        "year": manifest.year,
        "edition": {"version": manifest.edition.version,
                    "date": manifest.edition.date.isoformat()},
        **({"language": manifest.language, "languages": report.languages}
           if report.multilingual else {}),
        **({"member": report.member.key} if report.member is not None else {}),
        "tools": dict(tool_versions() if tools is None else tools),
        "theme": dict(zip(("sha256", "files"), theme.digest(), strict=True))
        if theme_record is None else dict(theme_record),
        "inputs": [{"path": name, "sha256": sha256(body), "size": len(body)}
                   for name, body in sorted(files.items())],
    }
    return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def edition_date(report: Report) -> dt.datetime:
    """The edition's date as midnight UTC: the date of the embedded files, so that
    the bytes do not depend on the clock or the time zone of the machine."""
    date = report.manifest.edition.date
    return dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)


def xmp_schema(report: Report, manifest: bytes) -> ExtensionSchema:
    """Almanac's properties of an edition for its XMP metadata (the edition, the
    SHA-256 of its sources ``manifest``, the tools the manifest records, in the order
    of :data:`TOOLS`), as the PDF/A extension schema that describes them
    (ISO 19005-3, 6.6.2.3: PDF/A accepts no undeclared properties)."""
    manifest_hash = sha256(manifest)
    recorded = json.loads(manifest)["tools"]
    tools = {name: recorded[name] for name in TOOLS if name in recorded}
    return ExtensionSchema("Almanac edition", XMP_NAMESPACE, "almanac", (
        XmpProperty("editionVersion", "Text", "Version of the edition",
                    report.manifest.edition.version),
        XmpProperty("editionDate", "Date", "Publication date of the edition",
                    report.manifest.edition.date.isoformat()),
        XmpProperty("manifestSha256", "Text", "SHA-256 of the embedded sources manifest",
                    manifest_hash),
        XmpProperty("tools", "Text", "Versions of the tools that made the file",
                    ", ".join(f"{name} {value}" for name, value in tools.items()))))
