"""Reading an edition back: verify a published PDF, list the archived editions.

``verify`` checks, from the file alone, the embedded sources manifest and every
embedded input against its hash, the PDF/A identification and the manifest hash
in the XMP metadata, and that every font is embedded; the PDF/A details a
reader depends on: one XMP packet holding one ``rdf:RDF``, every property of a
schema PDF/A does not predefine described in it, the embedded files' name tree
sorted (every name found by lookup), the catalogue's ``/AF`` listing each file
once, no image interpolated; and the machine-checkable rules of the standards the
file claims (PDF/A-3, PDF/UA-1: :func:`~almanac.stages.conformance.check_pdf`, one
failed check per failing rule). With the edition folder beside the file, also the
file's SHA-256 against ``manifest.json``.

Any file may be given, so everything here reads a PDF as hostile: within the
edition's limits (:class:`~almanac.editions.sources.EmbedLimits`: the file's size,
each embedded file and their total as decompressed, their number), with pypdf's
own resource limits (``pypdf.Configuration``) set to match, every walk of the
object graph (the name tree of embedded files, resources) guarded against
cycles and fan-out, and every way the file can be damaged ending in a failed
check that says what was found, never in an exception.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..project.parts import MANIFEST
from .publish import EDITION_MANIFEST
from .signing import SignatureStatus, load_trust_roots, signatures
from .sources import (
    FILE_LIMIT_VARIABLE,
    MIB,
    SOURCES_MANIFEST,
    TOTAL_LIMIT_VARIABLE,
    XMP_NAMESPACE,
    EditionManifestRecord,
    EmbedLimits,
    SourcesRecord,
    over_limit,
    parse_manifest,
    read_bounded,
    sha256,
    source_name_problem,
    source_tree_problems,
)

NAME_TREE_DEPTH = 32
"""The deepest name tree read (ISO 32000-1, 7.9.6: a balanced tree of /Kids;
WeasyPrint writes one level, a tree of a million entries needs five)."""
XMP_LIMIT = 4 * MIB
"""The largest XMP metadata stream read (an edition's is about 4 KB)."""
RESOURCE_NODES = 100_000
"""The most resource dictionaries and form XObjects visited by the font check."""


RAISED = " (if it was published with a raised limit, set {} as it was then)"


class Unreadable(ValueError):
    """The PDF cannot be read as an edition; the message says what was found."""


@dataclass
class Check:
    """One check of :func:`verify`: its name, whether it passed, what was found."""

    name: str
    ok: bool
    detail: str = ""


@dataclass
class Verification:
    """Every check made of one PDF; ``ok`` when all passed. ``sources`` is the
    embedded sources manifest (when its shape is right) and ``files`` the embedded
    files as read and checked (name → bytes); ``pages`` its page count."""

    path: Path
    checks: list[Check]
    sources: dict | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    pages: int = 0
    signatures: list[SignatureStatus] | None = None
    """The file's signatures (:func:`~.signing.signatures`): empty when it is not
    signed, None when they could not be read."""
    rebuilt: bool | None = None
    """Whether the pages were checked by rebuilding the edition from its embedded
    sources (:func:`almanac.pipeline.verify`; the check ``pages rebuilt identical``
    says how that went); None: they were not (``--quick``, or see ``tools``)."""
    tools: list[tuple[str, str, str]] = field(default_factory=list)
    """Each tool whose installed version differs from the one the edition recorded,
    as (name, recorded, installed): the rebuild proves the pages only when its bytes
    are identical all the same."""
    unproven: str = ""
    """Why the pages could not be proven either way (other tools installed, and the
    rebuild differs or does not build); empty when they were proven, or not rebuilt."""
    unrecorded: list[str] = field(default_factory=list)
    """The tools the edition did not record (made before Almanac recorded them)."""
    page_images: list[Path] = field(default_factory=list)
    """The side-by-side image of the first page that differs from the rebuilt one."""
    data: bytes = field(default=b"", repr=False)
    """The file's bytes as they were read and checked (empty when they could not be
    read): what a rebuild is compared with."""

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(check.ok for check in self.checks)

    @property
    def intact(self) -> bool:
        """Whether every check of the edition itself passed (what was embedded and
        hashed, the metadata that says so): the file is the edition as published,
        though the preflight of the standards it claims may still find faults."""
        return all(check.ok for check in self.checks if not is_conformance(check))

    @property
    def unchanged(self) -> bool:
        """Whether every check of the edition itself passed but, perhaps, the trust
        in its signer (:data:`CHAIN_TRUSTED`): the bytes are those published, whoever
        signed them; the pages can be rebuilt and compared."""
        return all(check.ok for check in self.checks
                   if not is_conformance(check) and check.name != CHAIN_TRUSTED)


CHAIN_TRUSTED = "certificate chain trusted"
"""The check of a signer's certificate chain against the trust roots given: whom the
file is from, not whether it changed."""


def is_conformance(check: Check) -> bool:
    """A check of the preflight of the standards the file claims
    (:func:`~almanac.stages.conformance.check_pdf`): named by its rule."""
    return check.name.startswith(("ISO ", "Matterhorn ")) or check.name == "conformance"


@contextmanager
def pypdf_limits(limits: EmbedLimits) -> Iterator[None]:
    """pypdf's resource limits (``pypdf.Configuration``, a context variable, so
    only this thread's reading is affected) set to the edition's: no stream
    decompresses to more than one embedded file may hold (plus one byte, to tell
    "at the limit" from "over it"), no stream is declared longer than an
    edition's PDF may be, and the name tree's array may hold every embedded file."""
    from pypdf import apply_configuration

    output = limits.file + 1
    with apply_configuration(
            maximum_declared_stream_length=limits.pdf,
            zlib_maximum_output_length=output, lzw_maximum_output_length=output,
            run_length_maximum_output_length=output,
            array_based_stream_maximum_output_length=output,
            brotli_maximum_output_length=output,
            stream_decoding_work_maximum_length=max(300_000_000, 4 * output),
            array_maximum_element_count=max(100_000, 2 * limits.files + 2),
            xmp_maximum_input_length=XMP_LIMIT):
        yield


def _damage(exc: BaseException) -> str:
    """A library's exception on a damaged file, as a short detail for a check."""
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def open_pdf(data: bytes):
    """A pypdf reader of ``data``, tolerant of repairable damage (``strict=False``);
    :class:`Unreadable` when it is not a PDF, cannot be parsed or is encrypted
    (PDF/A forbids encryption: ISO 19005-3, 6.1.3)."""
    from pypdf import PdfReader

    if b"%PDF-" not in data[:1024]:  # ISO 32000-1, 7.5.2 (readers look in 1 KB)
        raise Unreadable("not a PDF (no %PDF- header in its first 1 024 bytes)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except Exception as exc:  # noqa: BLE001 — pypdf on a damaged file: any exception
        raise Unreadable(f"damaged ({_damage(exc)})")
    if encrypted:
        raise Unreadable("encrypted (an edition is never encrypted: PDF/A forbids it)")
    return reader


def _name_tree(node, depth: int, seen: set, entries: list, limit: int) -> None:
    """The (key, value) pairs of a name tree (ISO 32000-1, 7.9.6), in order, into
    ``entries``: each node visited once (a /Kids cycle or a shared node ends
    there), at most ``NAME_TREE_DEPTH`` deep and ``limit`` entries."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    if isinstance(node, IndirectObject):
        key = (node.idnum, node.generation)
        if key in seen:
            raise Unreadable("its name tree of embedded files refers back to itself")
        seen.add(key)
        node = node.get_object()
    if depth > NAME_TREE_DEPTH:
        raise Unreadable(f"its name tree of embedded files is more than {NAME_TREE_DEPTH} "
                         "levels deep")
    if not isinstance(node, DictionaryObject):
        raise Unreadable("its name tree of embedded files holds something else")
    kids, names = node.get("/Kids"), node.get("/Names")
    if names is not None:
        names = names.get_object()
        if not isinstance(names, ArrayObject) or len(names) % 2:
            raise Unreadable("the /Names of its embedded files is not an array of pairs")
        for index in range(0, len(names), 2):
            entries.append((names[index].get_object(), names[index + 1]))
            if len(entries) > limit:
                raise Unreadable(f"it embeds more than {limit:,} files")
    if kids is not None:
        kids = kids.get_object()
        if not isinstance(kids, ArrayObject):
            raise Unreadable("the /Kids of its name tree is not an array")
        for kid in kids:
            _name_tree(kid, depth + 1, seen, entries, limit)


def embedded_streams(reader, limits: EmbedLimits) -> list[tuple[str, Any]]:
    """The embedded files of a PDF as (name, file stream) pairs, in the order of
    its name tree (``/Root /Names /EmbeddedFiles``); :class:`Unreadable` when the
    tree is damaged, too large, names a file twice or names one with something
    other than text. (Call it within :func:`pypdf_limits`.)"""
    from pypdf.generic import DictionaryObject, StreamObject, TextStringObject

    catalog = reader.trailer.get("/Root")
    catalog = catalog.get_object() if catalog is not None else None
    if not isinstance(catalog, DictionaryObject):
        raise Unreadable("it has no document catalog")
    names = catalog.get("/Names")
    names = names.get_object() if names is not None else None
    tree = names.get("/EmbeddedFiles") if isinstance(names, DictionaryObject) else None
    if tree is None:
        return []
    entries: list = []
    _name_tree(tree, 0, set(), entries, limits.files + 1)
    streams, seen = [], set()
    for key, value in entries:
        if not isinstance(key, TextStringObject):
            raise Unreadable("an embedded file's name is not text")
        name = str(key)
        if name in seen:
            raise Unreadable(f"it embeds two files named {name!r}")
        seen.add(name)
        spec = value.get_object()
        files = spec.get("/EF") if isinstance(spec, DictionaryObject) else None
        files = files.get_object() if files is not None else None
        stream = (files.get("/UF") or files.get("/F")) \
            if isinstance(files, DictionaryObject) else None
        stream = stream.get_object() if stream is not None else None
        if not isinstance(stream, StreamObject):
            raise Unreadable(f"the embedded file {name!r} has no file stream")
        streams.append((name, stream))
    return streams


def read_embedded(streams: list[tuple[str, Any]], limits: EmbedLimits
                  ) -> dict[str, bytes]:
    """The decompressed bytes of each embedded file, by name; :class:`Unreadable`
    for one over ``limits.file``, all of them over ``limits.total``, or a stream
    that cannot be decoded. (Call it within :func:`pypdf_limits`, which stops
    each decompression one byte past the file limit.)"""
    from pypdf.errors import LimitReachedError
    from pypdf.filters import decode_stream_data

    files: dict[str, bytes] = {}
    total = 0
    for name, stream in streams:
        try:
            # pypdf 7's decode_stream_data takes a stream without /Filter (as
            # ``qpdf --qdf`` writes them: ISO 32000-1, 7.3.8.2, the filter is optional)
            # for one filtered by "()"; such a stream's data is its bytes as they are
            body = decode_stream_data(stream) if stream.get("/Filter") not in (None, [])\
                else stream.get_data()  # decoded: not cached in the reader, one copy
        except LimitReachedError:
            raise Unreadable(f"the embedded file {name!r} is larger than the limit of "
                             f"{limits.file // MIB} MiB{RAISED.format(FILE_LIMIT_VARIABLE)}")
        except Exception as exc:  # noqa: BLE001 — pypdf on a damaged stream
            raise Unreadable(f"the embedded file {name!r} cannot be decoded "
                             f"({_damage(exc)})")
        body = bytes(body)
        if len(body) > limits.file:
            raise Unreadable(f"the embedded file {name!r} {over_limit(len(body), limits.file)}"
                             + RAISED.format(FILE_LIMIT_VARIABLE))
        total += len(body)
        if total > limits.total:
            raise Unreadable(f"its embedded files together are more than the limit of "
                             f"{limits.total // MIB} MiB{RAISED.format(TOTAL_LIMIT_VARIABLE)}")
        files[name] = body
    return files


def embedded_files(reader, limits: EmbedLimits | None = None) -> dict[str, bytes]:
    """The PDF's embedded files by name, decompressed within ``limits`` (default:
    :meth:`EmbedLimits.from_environment`); :class:`Unreadable` when they cannot be
    read within them."""
    limits = limits or EmbedLimits.from_environment()
    with pypdf_limits(limits):
        try:
            return read_embedded(embedded_streams(reader, limits), limits)
        except Unreadable:
            raise
        except Exception as exc:  # noqa: BLE001 — pypdf on a damaged object graph
            raise Unreadable(f"its embedded files cannot be read ({_damage(exc)})")


def verify(path: Path, limits: EmbedLimits | None = None, *,
           follow_links: bool = True, trust: list[Path] | None = None) -> Verification:
    """Check a published PDF from the file alone (and its edition folder, if beside
    it). Never raises for what the file holds: a file that is not a PDF, is
    damaged, encrypted, over the limits (``limits``, default
    :meth:`EmbedLimits.from_environment`) or made to harm a reader gives failed
    checks. With ``follow_links`` False a symbolic link is not followed (a
    failed check).

    A signed file's signatures are checked too (:func:`_check_signatures`): intact,
    nothing changed after signing, and with ``trust`` (certificate files, PEM or
    DER) the certificate chain; a trust root that cannot be read is a ReportError."""
    limits = limits or EmbedLimits.from_environment()
    roots = load_trust_roots(trust) if trust else None
    path = Path(path)
    checks: list[Check] = []
    try:
        data = read_bounded(path, limits.pdf, follow_links=follow_links)
    except (OSError, ValueError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return Verification(path, [Check("readable PDF", False, f"the file {detail}")])
    with pypdf_limits(limits):
        try:
            reader = open_pdf(data)
            pages = len(reader.pages)
        except Unreadable as exc:
            return Verification(path, [Check("readable PDF", False, str(exc))])
        except Exception as exc:  # noqa: BLE001 — pypdf on a damaged page tree
            return Verification(path, [Check("readable PDF", False,
                                             f"its pages cannot be read ({_damage(exc)})")])
        checks.append(Check("readable PDF", True, f"{pages} pages"))
        try:
            files = embedded_files(reader, limits)
        except Unreadable as exc:
            checks.append(Check("embedded sources", False, str(exc)))
            return Verification(path, checks)
        result = Verification(path, checks, files=files, pages=pages, data=data)
        raw = files.get(SOURCES_MANIFEST)
        manifest = _check_manifest(raw, limits, checks)
        if manifest is not None:
            result.sources = manifest.model_dump()
            _check_sources(manifest, files, checks)
        _check_xmp(reader, raw, checks)
        _check_name_tree(reader, limits, checks)
        try:
            interpolated = _interpolated_images(reader)
            checks.append(Check("no image interpolation", not interpolated,
                                f"/Interpolate true on {len(interpolated)} image(s): "
                                + ", ".join(interpolated[:5]) if interpolated
                                else "no image has /Interpolate true"))
        except Exception as exc:  # noqa: BLE001 — a damaged file is what verify is for
            checks.append(Check("no image interpolation", False,
                                f"the pages cannot be read ({_damage(exc)})"))
        try:
            missing_fonts = _unembedded_fonts(reader)
            checks.append(Check("fonts embedded", not missing_fonts,
                                ", ".join(missing_fonts[:10]) or "every font"))
        except Exception as exc:  # noqa: BLE001 — a damaged file is what verify is for
            checks.append(Check("fonts embedded", False,
                                f"the pages cannot be read ({_damage(exc)})"))
    _check_beside(path, data, pages, limits, checks)
    result.signatures = _check_signatures(data, roots, checks)
    _check_conformance(data, checks)  # last: a listing names the first failed check
    return result


def _check_signatures(data: bytes, roots: list | None, checks: list[Check]
                      ) -> list[SignatureStatus] | None:
    """For each signature (:func:`~.signing.signatures`): "signature intact" (the
    covered bytes' hash and the signature value), "unchanged since signing" (the
    signature covers the whole file; an incremental update after it, of any kind, is
    named and fails), and
    with ``roots`` "certificate chain trusted" (not checked, and failed, when the
    signature is not intact: a chain of a changed signature says nothing). An unsigned
    file: nothing, or with ``roots`` a failed "certificate chain trusted" (a signature
    from those roots was asked for; removing a signature must not pass)."""
    try:
        found = signatures(data, roots)
    except ValueError as exc:
        checks.append(Check("signature", False, str(exc)[:600]))
        return None
    if roots is not None and not found:  # e.g. the signature's revision cut off
        checks.append(Check(CHAIN_TRUSTED, False, "the file is not signed, and --trust "
                            "asks for a signature from that root"))
    for status in found:
        who = f"{status.signer}" + (f", {status.signing_time:%Y-%m-%d %H:%M:%S %Z}"
                                    if status.signing_time else "")
        checks.append(Check("signature intact", status.intact,
                            who if status.intact else status.detail or
                            f"{who}: the signed bytes or the signature value do not match"))
        checks.append(Check("unchanged since signing", status.unchanged,
                            status.changes or "the signature covers the whole file"))
        if status.trusted is not None and not status.intact:  # whose signature, then?
            checks.append(Check(CHAIN_TRUSTED, False,
                                "not checked: the signature is not intact"))
        elif status.trusted is not None:
            at = f" at the timestamp's time, {status.trusted_at:%Y-%m-%d %H:%M:%S %Z}" \
                if status.trusted_at else ""
            why = f" ({status.trust_problem})" if status.trust_problem else ""
            checks.append(Check(CHAIN_TRUSTED, status.trusted,
                                f"the chain ends in a given trust root{at}" if status.trusted
                                else f"no valid chain from the signer to a given trust root"
                                f"{why}"))
    return found


def _check_conformance(data: bytes, checks: list[Check]) -> None:
    """The rules of the standards the file claims
    (:func:`~almanac.stages.conformance.check_pdf`): one failed check per failing rule,
    named by the rule's id, its detail the first finding and how many there are; one
    passed check when every rule passes. Nothing when the file claims no standard the
    check knows (the "PDF/A identification" check fails then)."""
    from ..stages.conformance import NotAPdf, check_pdf

    try:
        result = check_pdf(data)
    except NotAPdf as exc:
        checks.append(Check("conformance", False, f"pikepdf cannot read it: {exc}"))
        return
    if not result.profiles:
        return
    for rule, count in result.counts().items():
        first = next(finding for finding in result.findings if finding.rule == rule)
        detail = first.message if count == 1 else f"{count} findings, the first: " \
            f"{first.message}"
        checks.append(Check(rule, False, detail[:600]))
    checks += [Check("conformance", False, f"not checked: {what}"[:600])
               for what in result.unchecked]
    if result.ok:
        checks.append(Check("conformance", True, f"{', '.join(result.profiles)}: every "
                            "machine-checkable rule passes"))


def _check_manifest(raw: bytes | None, limits: EmbedLimits,
                    checks: list[Check]) -> SourcesRecord | None:
    """The "embedded manifest" check: there, of the right shape, within the limits,
    naming only paths that can be written as a source tree."""
    if raw is None:
        checks.append(Check("embedded manifest", False, f"no {SOURCES_MANIFEST} attached"))
        return None
    try:
        manifest = parse_manifest(raw, SourcesRecord)
    except ValueError as exc:
        checks.append(Check("embedded manifest", False, str(exc)))
        return None
    problems = [f"{item.path!r} {reason}" for item in manifest.inputs
                if (reason := source_name_problem(item.path, manifest.member is not None))]
    problems += source_tree_problems([item.path for item in manifest.inputs])
    if len(manifest.inputs) > limits.files:
        problems.append(f"{len(manifest.inputs):,} inputs; the limit is {limits.files:,}")
    problems += [f"{item.path} is said to be {item.size:,} bytes; the limit is "
                 f"{limits.file // MIB} MiB" for item in manifest.inputs
                 if item.size > limits.file]
    if problems:
        checks.append(Check("embedded manifest", False, "; ".join(problems[:3])[:600]
                            + (f" and {len(problems) - 3} more" if len(problems) > 3 else "")))
        return None
    checks.append(Check("embedded manifest", True, f"{len(manifest.inputs)} inputs, "
                        f"edition {manifest.edition.version}"))
    return manifest


def _check_sources(manifest: SourcesRecord, files: dict[str, bytes],
                   checks: list[Check]) -> None:
    bad = []
    for item in manifest.inputs:
        body = files.get(item.path)
        if body is None:
            bad.append(f"{item.path} is missing")
        elif sha256(body) != item.sha256 or len(body) != item.size:
            bad.append(f"{item.path} does not match its hash")
    extra = set(files) - {item.path for item in manifest.inputs} - {SOURCES_MANIFEST}
    bad += [f"{name!r} is not in the manifest" for name in sorted(extra)]
    checks.append(Check("embedded sources", not bad, "; ".join(bad[:10])[:600] or
                        "every input matches its hash"))


def _check_xmp(reader, raw: bytes | None, checks: list[Check]) -> None:
    """PDF/A identification, the manifest hash, one packet and its properties
    described, from the XMP metadata as pypdf parses it (expat, with entity
    declarations refused and the element count and size bounded: ``pypdf.xmp``).
    Only the first ``rdf:RDF`` of the packet is read, as Adobe's XMP toolkit reads
    it: a property after it is not there for such a reader."""
    from pypdf.xmp import PDFAID_NAMESPACE

    try:
        xmp = reader.xmp_metadata
        packet = bytes(reader.trailer["/Root"]["/Metadata"].get_object().get_data()) \
            if xmp is not None else b""
    except Exception as exc:  # noqa: BLE001 — not XML, a bomb, a damaged stream
        checks.append(Check("PDF/A identification", False,
                            f"the XMP metadata cannot be read ({_damage(exc)})"))
        if raw is not None:
            checks.append(Check("manifest hash in XMP", False, "no XMP metadata"))
        return
    descriptions = _descriptions(xmp.rdf_root) if xmp is not None else []

    def value(namespace: str, name: str) -> str | None:
        """The first value of a property, as an attribute or an element of an
        rdf:Description of the first rdf:RDF."""
        for description in descriptions:
            attribute = description.getAttributeNodeNS(namespace, name)
            if attribute is not None:
                return str(attribute.nodeValue).strip()
            for node in _children(description):
                if (node.namespaceURI, node.localName) == (namespace, name):
                    return "".join(child.data for child in node.childNodes
                                   if child.nodeType == child.TEXT_NODE).strip()
        return None

    part, conformance = value(PDFAID_NAMESPACE, "part"), value(PDFAID_NAMESPACE,
                                                               "conformance")
    identification = f"PDF/A-{part}{conformance.lower()}" if part and conformance else None
    checks.append(Check("PDF/A identification", identification == "PDF/A-3a",
                        (identification or "no pdfaid in the XMP metadata")[:80]))
    if raw is not None:
        recorded = value(XMP_NAMESPACE, "manifestSha256")
        checks.append(Check("manifest hash in XMP", recorded == sha256(raw),
                            "matches" if recorded == sha256(raw) else "missing or different"))
    if xmp is None:
        checks.append(Check("one XMP packet", False, "the PDF has no XMP metadata"))
        return
    packets = len(XPACKET.findall(packet))
    blocks = len(xmp.rdf_root.ownerDocument.getElementsByTagNameNS(RDF_NAMESPACE, "RDF"))
    problems = ([f"{packets} packets"] if packets > 1 else []) + (
        [f"{blocks} rdf:RDF blocks (a reader that keeps the first, as Adobe's XMP "
         "toolkit does, loses every property of the others)"] if blocks > 1 else [])
    checks.append(Check("one XMP packet", not problems,
                        "; ".join(problems) or "one packet, one rdf:RDF"))
    undescribed = _undescribed_properties(descriptions)
    checks.append(Check("XMP properties described", not undescribed,
                        "no PDF/A extension schema in the packet describes "
                        + ", ".join(undescribed[:8]) + (
                            f" and {len(undescribed) - 8} more" if len(undescribed) > 8
                            else "") if undescribed else
                        "each one predefined or described by an extension schema"))


XPACKET = re.compile(rb"<\?xpacket\s+begin\s*=")
RDF_NAMESPACE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PDFA_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
PDFA_PROPERTY = "http://www.aiim.org/pdfa/ns/property#"
PREDEFINED_SCHEMAS = frozenset({
    # the schemas of the XMP Specification (2005) that ISO 19005-3, 6.6.2.3.1 admits
    "http://purl.org/dc/elements/1.1/", "http://ns.adobe.com/xap/1.0/",
    "http://ns.adobe.com/xap/1.0/rights/", "http://ns.adobe.com/xap/1.0/mm/",
    "http://ns.adobe.com/xap/1.0/bj/", "http://ns.adobe.com/xap/1.0/t/pg/",
    "http://ns.adobe.com/xmp/1.0/DynamicMedia/", "http://ns.adobe.com/pdf/1.3/",
    "http://ns.adobe.com/photoshop/1.0/", "http://ns.adobe.com/camera-raw-settings/1.0/",
    "http://ns.adobe.com/exif/1.0/", "http://ns.adobe.com/exif/1.0/aux/",
    "http://ns.adobe.com/tiff/1.0/",
    # and those of ISO 19005 itself: identification and the extension schema container
    "http://www.aiim.org/pdfa/ns/id/", "http://www.aiim.org/pdfa/ns/extension/",
})
"""The namespaces whose properties need no extension schema in a PDF/A file."""


def _children(node) -> list:
    """The element children of a DOM node."""
    return [child for child in node.childNodes if child.nodeType == child.ELEMENT_NODE]


def _descriptions(rdf) -> list:
    """The top-level ``rdf:Description`` elements of an ``rdf:RDF`` element."""
    return [node for node in _children(rdf)
            if (node.namespaceURI, node.localName) == (RDF_NAMESPACE, "Description")]


def _undescribed_properties(descriptions: list) -> list[str]:
    """The top-level properties (``prefix:name``) of ``descriptions`` in a namespace
    that is not predefined (:data:`PREDEFINED_SCHEMAS`) and that no
    ``pdfaExtension:schemas`` of the same descriptions describes (ISO 19005-3,
    6.6.2.3.1 and 6.6.2.3.2: a schema's namespaceURI and its properties' names)."""
    described: set[tuple[str, str]] = set()
    properties: list[tuple[str, str, str]] = []
    for description in descriptions:
        for node in _children(description):
            properties.append((node.namespaceURI or "", node.localName, node.tagName))
        for index in range(description.attributes.length):
            attribute = description.attributes.item(index)
            if attribute.namespaceURI not in (RDF_NAMESPACE, XMLNS_NAMESPACE, None):
                properties.append((attribute.namespaceURI, attribute.localName,
                                   attribute.name))
        for schema in description.getElementsByTagNameNS(PDFA_SCHEMA, "namespaceURI"):
            namespace = _text(schema)
            holder = schema.parentNode
            for name in holder.getElementsByTagNameNS(PDFA_PROPERTY, "name"):
                described.add((namespace, _text(name)))
    return list(dict.fromkeys(
        shown for namespace, name, shown in properties
        if namespace not in PREDEFINED_SCHEMAS and (namespace, name) not in described))


XMLNS_NAMESPACE = "http://www.w3.org/2000/xmlns/"


def _text(node) -> str:
    """The text directly inside a DOM element, stripped."""
    return "".join(child.data for child in node.childNodes
                   if child.nodeType == child.TEXT_NODE).strip()


def _check_name_tree(reader, limits: EmbedLimits, checks: list[Check]) -> None:
    """The "embedded files' name tree" check (ISO 32000-1, 7.9.6: keys sorted in
    lexical order, each kid's /Limits its least and greatest key), as a reader finds
    a name: every name looked up by :func:`_look_up`; and the "associated files"
    check (ISO 19005-3, 6.8: the catalogue's /AF lists each embedded file's
    specification, once)."""
    from pypdf.generic import DictionaryObject, IndirectObject

    try:
        catalog = reader.trailer["/Root"].get_object()
        names = catalog.get("/Names")
        names = names.get_object() if names is not None else None
        tree = names.get("/EmbeddedFiles") if isinstance(names, DictionaryObject) else None
        entries: list = []
        if tree is not None:
            _name_tree(tree, 0, set(), entries, limits.files + 1)
        keys = [_key_bytes(key) for key, _ in entries]
        disorder = [index for index in range(1, len(keys)) if keys[index - 1] >= keys[index]]
        lost = [str(key) for (key, _), raw in zip(entries, keys)
                if tree is None or not _look_up(tree, raw)]
        problems = ([f"not sorted: {str(entries[disorder[0] - 1][0])!r} before "
                     f"{str(entries[disorder[0]][0])!r}"] if disorder else []) + (
            [f"{len(lost)} of {len(keys)} names not found by lookup: "
             + ", ".join(lost[:3]) + (" …" if len(lost) > 3 else "")] if lost else [])
        checks.append(Check("embedded files' name tree", not problems,
                            "; ".join(problems)[:600] or
                            f"{len(keys)} names, sorted, each found by lookup"))
        listed = catalog.get("/AF")
        listed = listed.get_object() if listed is not None else None
        refs = [(item.idnum, item.generation) if isinstance(item, IndirectObject) else None
                for item in (listed if isinstance(listed, list) else [])]
        named = {(value.idnum, value.generation): str(key) for key, value in entries
                 if isinstance(value, IndirectObject)}
        twice = [named.get(ref, f"object {ref[0]}") for ref in dict.fromkeys(refs)
                 if ref is not None and refs.count(ref) > 1]
        missing = [str(key) for key, value in entries
                   if not isinstance(value, IndirectObject)
                   or (value.idnum, value.generation) not in refs]
        problems = (["no /AF in the catalogue"] if listed is None and entries else []) + (
            [f"{len(twice)} listed more than once: {', '.join(twice[:3])}"
             + (" …" if len(twice) > 3 else "")] if twice else []) + (
            [f"{len(missing)} embedded files missing: {', '.join(missing[:3])}"
             + (" …" if len(missing) > 3 else "")] if missing and listed is not None else [])
        checks.append(Check("associated files (/AF)", not problems,
                            "; ".join(problems)[:600] or f"each of {len(entries)} once"))
    except Unreadable as exc:
        checks.append(Check("embedded files' name tree", False, str(exc)))
    except Exception as exc:  # noqa: BLE001 — pypdf on a damaged object graph
        checks.append(Check("embedded files' name tree", False,
                            f"it cannot be read ({_damage(exc)})"))


def _key_bytes(key) -> bytes:
    """The bytes of a name tree's key as the file holds them (a text string's
    encoding, which is what keys are compared by)."""
    from pypdf.generic import ByteStringObject, TextStringObject

    if isinstance(key, TextStringObject):
        return bytes(key.original_bytes)
    if isinstance(key, ByteStringObject):
        return bytes(key)
    return b""


def _look_up(node, key: bytes, depth: int = 0) -> bool:
    """Whether a reader finds ``key`` in the name tree ``node`` (ISO 32000-1, 7.9.6):
    through the kid whose /Limits hold it, then by binary search of a leaf's sorted
    /Names. At most :data:`NAME_TREE_DEPTH` deep (the tree was read whole before)."""
    from pypdf.generic import ArrayObject, DictionaryObject

    node = node.get_object()
    if depth > NAME_TREE_DEPTH or not isinstance(node, DictionaryObject):
        return False
    names = node.get("/Names")
    names = names.get_object() if names is not None else None
    if isinstance(names, ArrayObject):
        low, high = 0, len(names) // 2 - 1
        while low <= high:
            middle = (low + high) // 2
            found = _key_bytes(names[2 * middle].get_object())
            if found == key:
                return True
            low, high = (middle + 1, high) if found < key else (low, middle - 1)
        return False
    kids = node.get("/Kids")
    kids = kids.get_object() if kids is not None else None
    for kid in kids if isinstance(kids, ArrayObject) else ():
        limits = kid.get_object().get("/Limits") \
            if isinstance(kid.get_object(), DictionaryObject) else None
        limits = limits.get_object() if limits is not None else None
        if isinstance(limits, ArrayObject) and len(limits) == 2 and \
                _key_bytes(limits[0].get_object()) <= key <= _key_bytes(limits[1].get_object()):
            return _look_up(kid, key, depth + 1)
    return False


def _check_beside(path: Path, data: bytes, pages: int, limits: EmbedLimits,
                  checks: list[Check]) -> None:
    """The "sha256 against manifest.json" check, when the edition folder's manifest
    is beside the PDF."""
    beside = path.parent / EDITION_MANIFEST
    if not os.path.lexists(beside):
        return
    try:
        edition = parse_manifest(read_bounded(beside, limits.file, follow_links=False),
                                 EditionManifestRecord)
    except (OSError, ValueError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        checks.append(Check("sha256 against manifest.json", False, f"unreadable: {detail}"))
        return
    expected, actual = edition.pdf.sha256, sha256(data)
    checks.append(Check("sha256 against manifest.json", expected == actual,
                        "matches" if expected == actual else
                        f"file {actual[:16]}…, manifest {expected[:16]}…"))
    if edition.pdf.size != len(data) or edition.pdf.pages != pages:
        checks.append(Check("size and pages against manifest.json", False,
                            f"file {len(data):,} bytes, {pages} pages; manifest "
                            f"{edition.pdf.size:,} bytes, {edition.pdf.pages:,} pages"))


def _appearance_resources(reader) -> list:
    """The /Resources of the normal appearance streams (every state's) of the
    annotations the pages show (not Hidden, ISO 32000-1 12.5.3), such as a visible
    signature: what a reader draws besides the page content."""
    from pypdf.generic import ArrayObject, DictionaryObject

    found: list = []
    for page in reader.pages:
        annotations = page.get("/Annots")
        annotations = annotations.get_object() if annotations is not None else None
        for ref in (annotations if isinstance(annotations, ArrayObject) else ())[:10_000]:
            annotation = ref.get_object()
            if not isinstance(annotation, DictionaryObject) or \
                    int(annotation.get("/F", 0) or 0) & 2:  # Hidden: never drawn
                continue
            appearance = annotation.get("/AP")
            appearance = appearance.get_object() if appearance is not None else None
            normal = appearance.get("/N") if isinstance(appearance, DictionaryObject) else None
            normal = normal.get_object() if normal is not None else None
            states = list(normal.values()) if isinstance(normal, DictionaryObject) \
                and "/Subtype" not in normal else [normal]  # a stream, or one per state
            for state in states[:100]:
                stream = state.get_object() if state is not None else None
                if isinstance(stream, DictionaryObject) and "/Resources" in stream:
                    found.append(stream.raw_get("/Resources"))
    return found


def _unembedded_fonts(reader) -> list[str]:
    """The fonts the pages use that are not embedded, those of the appearance streams
    of the annotations they show included (ISO 19005-3 6.2.11.4.1 asks it of every
    font a conforming reader renders), each resource dictionary and form XObject
    visited once (a /Resources that refers to itself, or a fan-out of
    forms that share forms, is walked in time linear in its objects)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    missing: list[str] = []
    seen_fonts: set[str] = set()
    visited: set = set()

    def resolve(value):
        if isinstance(value, IndirectObject):
            key = (value.idnum, value.generation)
            if key in visited:
                return None
            visited.add(key)
            if len(visited) > RESOURCE_NODES:
                raise Unreadable(f"more than {RESOURCE_NODES:,} resource objects")
            return value.get_object()
        return value

    pending = [page.get("/Resources") for page in reader.pages]
    pending += _appearance_resources(reader)  # what a shown annotation draws
    while pending:
        resources = resolve(pending.pop())
        if not isinstance(resources, DictionaryObject):
            continue
        fonts = resources.get("/Font")
        fonts = fonts.get_object() if fonts is not None else None
        for ref in (fonts.values() if isinstance(fonts, DictionaryObject) else ()):
            font = ref.get_object()
            if not isinstance(font, DictionaryObject):
                continue
            name = str(font.get("/BaseFont"))[:100]
            if name in seen_fonts:
                continue
            seen_fonts.add(name)
            descendants = font.get("/DescendantFonts")
            descendants = descendants.get_object() if descendants is not None else None
            target = descendants[0].get_object() \
                if isinstance(descendants, ArrayObject) and descendants else font
            descriptor = target.get("/FontDescriptor") \
                if isinstance(target, DictionaryObject) else None
            descriptor = descriptor.get_object() if descriptor is not None else None
            if not isinstance(descriptor, DictionaryObject) or not any(
                    key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.append(name)
        xobjects = resources.get("/XObject")
        xobjects = xobjects.get_object() if xobjects is not None else None
        for ref in (xobjects.values() if isinstance(xobjects, DictionaryObject) else ()):
            xobject = resolve(ref)
            if isinstance(xobject, DictionaryObject) and xobject.get("/Subtype") == "/Form":
                pending.append(xobject.get("/Resources"))
    return missing


def _interpolated_images(reader) -> list[str]:
    """The images the pages use (through their resources, forms, patterns and soft
    masks) whose /Interpolate is true, as ``object N`` (ISO 19005-3, 6.2.8, through
    ISO 19005-2: it shall be false); each object visited once, at most
    :data:`RESOURCE_NODES` of them."""
    from pypdf.generic import BooleanObject, DictionaryObject, IndirectObject

    found: list[str] = []
    visited: set = set()

    def resolve(value):
        if isinstance(value, IndirectObject):
            key = (value.idnum, value.generation)
            if key in visited:
                return None, key
            visited.add(key)
            if len(visited) > RESOURCE_NODES:
                raise Unreadable(f"more than {RESOURCE_NODES:,} resource objects")
            return value.get_object(), key
        return value, None

    pending = [page.get("/Resources") for page in reader.pages]
    pending += _appearance_resources(reader)  # what a shown annotation draws
    while pending:
        resources, _ = resolve(pending.pop())
        if not isinstance(resources, DictionaryObject):
            continue
        for kind in ("/XObject", "/Pattern"):
            named = resources.get(kind)
            named = named.get_object() if named is not None else None
            pending_images = list(named.values()) if isinstance(named, DictionaryObject) \
                else []
            while pending_images:
                item, key = resolve(pending_images.pop())
                if not isinstance(item, DictionaryObject):
                    continue
                if item.get("/Subtype") == "/Image":
                    interpolate = item.get("/Interpolate")
                    if isinstance(interpolate, BooleanObject) and interpolate.value:
                        found.append(f"object {key[0]}" if key else "an inline object")
                    if item.get("/SMask") is not None:
                        pending_images.append(item.raw_get("/SMask"))
                elif item.get("/Resources") is not None:  # a form or a tiling pattern
                    pending.append(item.raw_get("/Resources"))
    return found


def _signed(status: SignatureStatus) -> dict[str, Any]:
    """A signature as :func:`list_editions` lists it."""
    when = status.timestamp_time or status.signing_time
    return {"signer": status.signer, "time": when.isoformat() if when else None,
            "timestamped": status.timestamp_time is not None}


def list_editions(root: Path) -> list[dict]:
    """Every archived edition of the project at ``root``: in its archive,
    ``<archive.folder>/<year>/<version>/`` (default ``editions/``), and in the old
    place ``output/<year>/<version>/`` (a report in several languages: a folder per
    language below that, listed together), by year and version (PEP 440 order): a
    dict with ``version`` (its folder's name: what it was published as, whatever its
    ``manifest.json`` now says), ``year``, ``language`` (None for a report in one
    language), ``date``, ``pages``, ``size``, ``sha256``, ``path``, ``status``
    (``verified``, or ``FAILED`` and why), ``changes`` (the changelog of the
    edition's own ``report.yaml`` as embedded, up to its version, newest first:
    ``version``, ``date``, ``text`` each), ``signed`` (its PAdES signatures:
    ``signer``, ``time`` (the timestamp's, else the signing time the signer
    claims, ISO 8601), ``timestamped``; empty when unsigned; the chain is not
    judged here: ``almanac verify --trust``), ``current`` (True for the highest
    verified version of its year; a FAILED edition is never current) and
    ``legacy`` (True when it lies in ``output/``, which it should be moved out of). A
    folder there that is not an edition (no readable ``manifest.json`` of the right
    shape, a link, a file) is listed as FAILED, never followed out of the project."""
    from packaging.version import Version

    from ..project.languages import TAG
    from .archive import archived_editions, member_of, parse_version

    limits = EmbedLimits.from_environment()
    root = Path(root)
    editions: list[dict[str, Any]] = []
    archived = archived_editions(root)
    # the languages of each version of a report in several languages, as the
    # report.yaml embedded in its editions lists them
    spoken: dict[Path, set[str]] = {}
    # a family member's edition (publish --family): <version>/<key>[/<language>]
    members = {found.folder: key for found in archived
               if (key := member_of(found.folder) if found.folder.parent.name == found.version
                   else None) == found.folder.name
               or (key := member_of(found.folder.parent)) == found.folder.parent.name}
    for found in archived:
        if found.folder.name != found.version and found.folder.name != members.get(
                found.folder):
            spoken.setdefault(found.folder.parent, set()).update(found.languages)
    for found in archived:
        folder, version = found.folder, found.version
        member = members.get(folder)
        named = version if folder.name == member else folder.name  # its language, if any
        where = str(folder.relative_to(root))
        base = {"version": version, "year": found.year, "path": where,
                **({"member": member} if member else {}),
                "legacy": found.legacy, "changes": [], "current": False}
        if named != version and (not TAG.match(named) or (
                spoken[folder.parent] and named not in spoken[folder.parent])):
            editions.append({**base, "language": None, "status": f"FAILED: {folder.name} is "
                             "not an edition folder (its name is no language of the report)"})
            continue
        if folder.is_symlink() or not folder.is_dir():
            editions.append({**base, "status": "FAILED: not an edition folder (a link or a "
                                               "file)"})
            continue
        try:
            manifest = parse_manifest(read_bounded(folder / EDITION_MANIFEST, limits.file,
                                                   follow_links=False),
                                      EditionManifestRecord)
        except (OSError, ValueError) as exc:
            detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            editions.append({**base, "status": f"FAILED: unreadable {EDITION_MANIFEST} "
                                               f"({detail})"})
            continue
        pdf = folder / manifest.pdf.file  # a plain name (EditionManifestRecord)
        verification = verify(pdf, limits, follow_links=False)
        failed = [f"{check.name}: {check.detail}" for check in verification.checks
                  if not check.ok]
        if not os.path.lexists(pdf):  # not "readable PDF: ... No such file or directory"
            failed = [f"its PDF {manifest.pdf.file} is missing"]
        if manifest.edition.version != version:  # retitled after publishing
            failed.insert(0, f"{EDITION_MANIFEST} names version {manifest.edition.version!r}; "
                             f"its folder is {version}")
        if version != named and manifest.language != named:
            failed.insert(0, f"{EDITION_MANIFEST} names language {manifest.language!r}; "
                             f"its folder is {folder.name}")
        if found.report_year is not None and found.report_year != found.year:
            failed.insert(0, f"its {MANIFEST} names year {found.report_year}; its "
                             f"folder is {found.year}")
        editions.append({
            **base, "language": manifest.language,  # the version: its folder's, not the
            "date": manifest.edition.date,          # manifest's (which may be changed)
            "pages": manifest.pdf.pages, "size": manifest.pdf.size,
            "sha256": manifest.pdf.sha256, "path": str(pdf.relative_to(root)),
            "changes": embedded_changelog(verification.files.get(MANIFEST),
                                          version, manifest.edition.date,
                                          manifest.language),
            "signed": [_signed(status) for status in verification.signatures or []],
            "status": "verified" if not failed else f"FAILED ({failed[0][:120]})"})

    for parent, tags in spoken.items():  # a language folder removed from a version
        for tag in sorted(tags - {path.name for path in parent.iterdir()}):
            year = parent.parent.name
            editions.append({
                "version": parent.name, "year": year, "language": tag,
                "path": str((parent / tag).relative_to(root)),
                "legacy": any(f.legacy for f in archived if f.folder.parent == parent),
                "changes": [], "current": False,
                "status": f"FAILED (its language folder {tag} is missing; the other "
                          f"languages' {MANIFEST} lists {tag})"})

    # the highest verified version of each year is current (a FAILED edition never is,
    # nor a year that is no folder, listed by its name)
    ranked = [(e, parse_version(str(e["version"]))) for e in editions
              if e["version"] != e["year"] and e["status"] == "verified"]
    highest: dict[str, Version] = {}
    for e, rank in ranked:
        if rank is not None and (e["year"] not in highest or rank > highest[e["year"]]):
            highest[e["year"]] = rank
    for e, rank in ranked:
        e["current"] = rank is not None and rank == highest[e["year"]]
    return sorted(editions, key=lambda e: (
        e["year"], [(0, int(p), "") if p.isdigit() else (1, 0, p)
                    for p in str(e["version"]).split(".")], e.get("language") or ""))



def embedded_changelog(raw: bytes | None, version: str, date: str,
                       language: str | None) -> list[dict[str, str]]:
    """The changelog of an edition's embedded ``report.yaml`` (``raw``): its
    ``edition.changes`` entries for versions up to ``version``, newest first, each
    ``{"version", "date", "text"}`` (:func:`changelog_entries`), a text given by
    language shown in ``language`` (:func:`text_in`: ``en-GB`` falls back to ``en``).
    Lenient, for a listing: what cannot be read gives no entry."""
    return [{**entry, "text": text_in(entry["text"], language)}
            for entry in changelog_entries(raw, version, date)]


def text_in(text: str | dict[str, str], language: str | None) -> str:
    """A changelog text (plain, or by language: ``{nl: …, en: …}``) as the edition in
    ``language`` shows it: the key RFC 4647 §3.4 "Lookup" finds first
    (:func:`~almanac.project.languages.lookup`, as the colophon selects it), else the
    first given (a text the report's main language serves)."""
    from ..project.languages import lookup

    if not isinstance(text, dict):
        return str(text)
    key = next((tag for tag in lookup(language) if tag in text), None) if language else None
    return str(text[key] if key is not None else next(iter(text.values()), ""))


def changelog_entries(raw: bytes | None, version: str,
                      date: str) -> list[dict[str, Any]]:
    """The ``edition.changes`` entries of an embedded ``report.yaml`` (``raw``) for
    versions up to ``version``, newest first, each ``{"version", "date", "text"}``
    with ``text`` as written: a string, or a mapping of language tag to string. Every
    form of entry is read: a plain string and a plain text by language
    (:func:`~almanac.project.load.plain_entries`) are ``version``'s own entry, dated
    ``date``. Lenient: what cannot be read gives no entry."""
    from packaging.version import InvalidVersion, Version

    from ..project.load import plain_entries
    from ..project.yamlfile import parse_yaml

    if raw is None:
        return []
    try:
        data = plain_entries(parse_yaml(raw.decode("utf-8"), Path(MANIFEST)))
        changes = data["edition"].get("changes") or []
        top = Version(version)
    except Exception:  # noqa: BLE001 — an edition's file as it was; nothing to list
        return []
    entries = []
    for item in [changes] if isinstance(changes, str) else \
            changes if isinstance(changes, list) else []:
        if isinstance(item, str):
            item = {"version": version, "date": date, "text": item}
        if not isinstance(item, dict):
            continue
        text = item.get("text")
        if isinstance(text, dict):
            text = {str(key): str(value) for key, value in text.items()}
        elif text is not None:
            text = str(text)
        try:
            if not text or Version(str(item.get("version"))) > top:
                continue
        except InvalidVersion:
            continue
        stamp = item.get("date")
        entries.append({"version": str(item.get("version")),
                        "date": stamp.isoformat() if isinstance(stamp, dt.date)
                        else str(stamp), "text": text})
    return entries
