"""The details an archival PDF must get right, made while WeasyPrint writes it.

WeasyPrint's ``finisher`` hook gets the :class:`pydyf.PDF` before a byte of it is
written; :func:`archival_finisher` changes it there, so the file is not parsed and
written a second time:

- the XMP metadata: one packet holding one ``rdf:RDF`` (:func:`xmp_packet`, written
  with pikepdf's metadata API), replacing the stream WeasyPrint writes
  (``weasyprint/pdf/metadata.py`` writes its own ``rdf:RDF`` and appends any
  ``xmp_metadata`` given as another one after it: Adobe's XMP toolkit, and the
  parsers built on it, read the first and drop the rest). The packet carries the
  document's description, the PDF/A, PDF/UA and PDF/X identification the variant
  claims, and the properties of any extension schema with that schema's
  description (ISO 19005-3, 6.6.2.3: PDF/A accepts no property of a schema that is
  neither predefined nor described in the same packet);
- the embedded files' name tree sorted by key (ISO 32000-1, 7.9.6: a reader finds
  a name by comparing keys, so in an unsorted tree a lookup misses names; WeasyPrint
  writes them in the order of the attachments), each key the file's name as a PDF
  text string (ISO 32000-1, 7.9.2.2), the name a reader looks up (WeasyPrint
  writes a name's UTF-8 bytes, which a reader decodes as PDFDocEncoding);
- the catalogue's ``/AF`` listing each file specification once (ISO 19005-3, 6.8;
  ``weasyprint/pdf/pdfa.py`` adds the name tree's values and then every file
  specification again);
- for PDF/A, no image ``/Interpolate true`` (ISO 19005-3, 6.2.8; WeasyPrint sets it
  for ``image-rendering: auto``).
"""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from codecs import BOM_UTF16_BE
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pydyf

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PDFA_EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"
PDFA_SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
PDFA_PROPERTY = "http://www.aiim.org/pdfa/ns/property#"
PDFUA_ID = "http://www.aiim.org/pdfua/ns/id/"


@dataclass(frozen=True)
class XmpProperty:
    """One property of an extension schema and its value in this document.

    ``value_type`` is an XMP value type (``Text``, ``Date``, ``Integer``...; XMP
    Specification Part 1, 8.2); ``category`` is ``external`` for a property a user
    may read and ``internal`` for one that software keeps (ISO 19005-3, 6.6.2.3.3,
    table 4: pdfaProperty)."""

    name: str
    value_type: str
    description: str
    value: str
    category: Literal["external", "internal"] = "external"


@dataclass(frozen=True)
class ExtensionSchema:
    """A schema that is not predefined for PDF/A, its description written into the
    same packet (ISO 19005-3, 6.6.2.3.2: a ``pdfaExtension:schemas`` bag) and the
    values of its properties."""

    schema: str  # what the schema is, in words
    namespace: str  # its namespace URI
    prefix: str  # the prefix its properties are written with
    properties: tuple[XmpProperty, ...]


def pdfua_schema(part: int) -> ExtensionSchema:
    """The PDF/UA identification schema (ISO 14289-1, 5: ``pdfuaid:part``) as a PDF/A
    extension schema: it is none of the schemas PDF/A predefines, so a file that is
    PDF/A and claims PDF/UA describes it (veraPDF's rule 6.6.2.3.1-1 for PDF/A-2 and
    -3: a property is predefined or defined in the packet)."""
    return ExtensionSchema("PDF/UA Universal Accessibility", PDFUA_ID, "pdfuaid", (
        XmpProperty("part", "Integer", "Indicates, which part of ISO 14289 standard is "
                    "followed", str(part), "internal"),))


@dataclass(frozen=True)
class Claims:
    """What a PDF says it conforms to, in its XMP identification schemas.

    ``pdfa``: (part, conformance level), e.g. (3, "A") for PDF/A-3a (ISO 19005-3,
    6.6.4); ``pdfua``: the part of ISO 14289 (5); ``pdfx``: the PDF/X version as
    ``GTS_PDFXVersion`` gives it, e.g. ``PDF/X-4`` (ISO 15930-7, 6.7.2), which also
    needs ``document_id`` (``xmpMM:DocumentID``)."""

    pdfa: tuple[int, str] | None = None
    pdfua: int | None = None
    pdfx: str | None = None
    document_id: str | None = None


PDFA_LEVEL_A_IS_UA = 1
"""The PDF/UA part a level-A PDF/A variant of Almanac claims too: its structure tree
is the one of the PDF/UA-1 screen edition (a level-A PDF/A file is tagged, ISO
19005-3, 6.7), so the archival edition is PDF/A-3a and PDF/UA-1."""
_PDFX_VERSIONS = {"1a": "PDF/X-1a:2003", "3": "PDF/X-3:2003"}  # as WeasyPrint writes them


def claims(pdf_variant: str | None, identifier: bytes) -> Claims:
    """The :class:`Claims` of a PDF made with WeasyPrint's ``pdf_variant`` (``pdf/a-3a``,
    ``pdf/ua-1``, ``pdf/x-4``, None...): a level-A PDF/A variant also claims
    :data:`PDFA_LEVEL_A_IS_UA`. A PDF/X-4 or later gets an ``xmpMM:DocumentID``
    derived from ``identifier`` (the PDF's file identifier), a UUID as WeasyPrint
    writes one but the same for the same document, so the same input gives the same
    bytes."""
    match = re.fullmatch(r"pdf/(a|ua|x)-(\d)(\w*)", pdf_variant or "")
    if match is None:
        return Claims()
    kind, number, level = match[1], int(match[2]), match[3]
    if kind == "a":
        return Claims(pdfa=(number, level.upper()),
                      pdfua=PDFA_LEVEL_A_IS_UA if level == "a" else None)
    if kind == "ua":
        return Claims(pdfua=number)
    version = _PDFX_VERSIONS.get(f"{number}{level}", f"PDF/X-{number}{level}")
    digest = hashlib.sha256(identifier).digest()[:16]
    return Claims(pdfx=version, document_id=f"xmp.did:{uuid.UUID(bytes=digest, version=4)}"
                  if number >= 4 else None)


@dataclass(frozen=True)
class Description:
    """The document's description as its XMP metadata gives it: the values of the
    document information dictionary WeasyPrint writes (from the HTML ``<title>``,
    ``<meta>`` and ``<html lang>``), so both agree (ISO 19005-1, 6.7.3; PDF/A-2 and
    -3 keep the advice). Dates are W3C dates (``2022-05-01``), as the ``<meta>``
    gave them."""

    title: str | None = None
    language: str | None = None
    creators: tuple[str, ...] = ()
    subject: str | None = None
    keywords: tuple[str, ...] = ()
    producer: str | None = None
    creator_tool: str | None = None
    created: str | None = None
    modified: str | None = None


def describe(document: Any, pdf: pydyf.PDF) -> Description:
    """The :class:`Description` of a WeasyPrint ``document`` (its ``metadata``, see
    ``weasyprint.document.DocumentMetadata``) being written as ``pdf``."""
    metadata = document.metadata
    producer = pdf.info.get("Producer")
    return Description(
        title=metadata.title or None, language=metadata.lang or None,
        creators=tuple(metadata.authors or ()), subject=metadata.description or None,
        keywords=tuple(metadata.keywords or ()),
        producer=str(producer.string) if isinstance(producer, pydyf.String) else None,
        creator_tool=metadata.generator or None, created=metadata.created or None,
        modified=metadata.modified or None)


_namespaces_lock = threading.Lock()


def xmp_packet(description: Description, claimed: Claims,
               schemas: tuple[ExtensionSchema, ...] = ()) -> bytes:
    """The XMP packet (ISO 16684-1) of a document: one ``x:xmpmeta`` holding one
    ``rdf:RDF``, as UTF-8 bytes with its ``<?xpacket?>`` wrapper.

    It holds ``dc:title`` and ``dc:description`` (the default and the document's
    language), ``dc:creator``, ``dc:language``, ``pdf:Producer``, ``pdf:Keywords``,
    ``xmp:CreatorTool``, ``xmp:CreateDate``, ``xmp:ModifyDate`` and
    ``xmp:MetadataDate`` (the document's dates, never the clock), the
    identification ``claimed``, and every property of ``schemas``; when PDF/A is
    claimed, a ``pdfaExtension:schemas`` bag describes those schemas and, if PDF/UA
    is claimed too, :func:`pdfua_schema`. Written with pikepdf's metadata API
    (``Pdf.open_metadata``) on an empty PDF, without pikepdf's own mark (its
    producer and the current time); the extension schemas' structures, which the
    API does not write, are added to its lxml tree. The same arguments give the
    same bytes."""
    import pikepdf
    from lxml import etree
    from lxml.etree import QName
    from pikepdf.models.metadata import PdfMetadata

    extension = list(schemas)
    if claimed.pdfa is not None and claimed.pdfua is not None:
        extension.append(pdfua_schema(claimed.pdfua))
    with _namespaces_lock:  # a registry of pikepdf's and lxml's, for the whole process
        for schema in schemas:
            if PdfMetadata.NS.get(schema.prefix) != schema.namespace:
                PdfMetadata.register_xml_namespace(schema.namespace, schema.prefix)
    values: list[tuple[str, Any]] = [
        ("dc:title", description.title), ("dc:creator", list(description.creators) or None),
        ("dc:description", description.subject),
        ("dc:language", [description.language] if description.language else None),
        ("pdf:Producer", description.producer),
        ("pdf:Keywords", ", ".join(description.keywords) or None),
        ("xmp:CreatorTool", description.creator_tool),
        ("xmp:CreateDate", description.created), ("xmp:ModifyDate", description.modified),
        ("xmp:MetadataDate", description.modified or description.created)]
    if claimed.pdfa is not None:  # PDF/A-4 and PDF/UA-2 add their revision, as WeasyPrint
        values += [("pdfaid:part", str(claimed.pdfa[0])),
                   ("pdfaid:conformance", claimed.pdfa[1] or None),
                   ("pdfaid:rev", "2020" if claimed.pdfa[0] == 4 else None)]
    if claimed.pdfua is not None:  # writes them (weasyprint/pdf/metadata.py)
        values += [("pdfuaid:part", str(claimed.pdfua)),
                   ("pdfuaid:rev", "2024" if claimed.pdfua == 2 else None)]
    if claimed.pdfx is not None:
        values += [("pdfxid:GTS_PDFXVersion", claimed.pdfx),
                   ("pdfx:GTS_PDFXVersion", claimed.pdfx),
                   ("pdfx:GTS_PDFXConformance", claimed.pdfx), ("pdf:Trapped", "False")]
    if claimed.document_id is not None:
        values += [("xmpMM:DocumentID", claimed.document_id),
                   ("xmpMM:RenditionClass", "proof:pdf"), ("xmpMM:VersionID", "1")]
    values += [(f"{schema.prefix}:{item.name}", item.value)
               for schema in schemas for item in schema.properties]
    holder = pikepdf.new()
    with holder.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        for key, value in values:
            if value is not None:
                meta[key] = value
        rdf = meta._get_rdf_root()  # pikepdf's lxml tree, kept for code that adds to it
        about = rdf.find(f"{{{RDF}}}Description")
        if about is None:
            about = etree.SubElement(rdf, f"{{{RDF}}}Description", {f"{{{RDF}}}about": ""})
        if description.language and description.language != "x-default":
            for name in ("title", "description"):
                alternatives = about.find(f"{{http://purl.org/dc/elements/1.1/}}{name}"
                                          f"/{{{RDF}}}Alt")
                if alternatives is not None and len(alternatives):
                    item = etree.SubElement(alternatives, f"{{{RDF}}}li",
                                            {XML_LANG: description.language})
                    item.text = alternatives[0].text
        if claimed.pdfa is not None and extension:
            about.append(_extension_schemas(extension))
        used = {QName(node).namespace for node in about.iter() if isinstance(node.tag, str)}
        used |= {QName(name).namespace for node in about.iter() for name in node.attrib}
        etree.cleanup_namespaces(about, top_nsmap={  # each declared once, on the description
            PdfMetadata.REVERSE_NS[uri]: uri for uri in sorted(used - {RDF, None})
            if uri in PdfMetadata.REVERSE_NS})
    return bytes(holder.Root.Metadata.read_bytes())


def _extension_schemas(schemas: list[ExtensionSchema]) -> Any:
    """The ``pdfaExtension:schemas`` property describing ``schemas`` (ISO 19005-3,
    6.6.2.3.3: a Bag of pdfaSchema structures, each with a Seq of pdfaProperty
    structures, every field present)."""
    from lxml import etree

    def field(parent: Any, namespace: str, name: str, text: str) -> None:
        etree.SubElement(parent, f"{{{namespace}}}{name}").text = text

    resource = {f"{{{RDF}}}parseType": "Resource"}
    container = etree.Element(f"{{{PDFA_EXTENSION}}}schemas")
    bag = etree.SubElement(container, f"{{{RDF}}}Bag")
    for schema in schemas:
        item = etree.SubElement(bag, f"{{{RDF}}}li", resource)
        field(item, PDFA_SCHEMA, "schema", schema.schema)
        field(item, PDFA_SCHEMA, "namespaceURI", schema.namespace)
        field(item, PDFA_SCHEMA, "prefix", schema.prefix)
        sequence = etree.SubElement(etree.SubElement(item, f"{{{PDFA_SCHEMA}}}property"),
                                    f"{{{RDF}}}Seq")
        for prop in schema.properties:
            entry = etree.SubElement(sequence, f"{{{RDF}}}li", resource)
            field(entry, PDFA_PROPERTY, "name", prop.name)
            field(entry, PDFA_PROPERTY, "valueType", prop.value_type)
            field(entry, PDFA_PROPERTY, "category", prop.category)
            field(entry, PDFA_PROPERTY, "description", prop.description)
    return container


def archival_finisher(pdf_variant: str | None, identifier: bytes,
                      schemas: tuple[ExtensionSchema, ...] = (),
                      then: Callable[[Any, pydyf.PDF], None] | None = None
                      ) -> Callable[[Any, pydyf.PDF], None]:
    """WeasyPrint's ``finisher`` (``Document.write_pdf(finisher=...)``, called with the
    document and the :class:`pydyf.PDF` before it is written) for a PDF of
    ``pdf_variant``: sorts the embedded files' name tree, lists each associated file
    once in ``/AF``, turns image interpolation off for PDF/A, and replaces the XMP
    metadata by :func:`xmp_packet` (with the :func:`claims` of the variant and
    ``schemas``; a PDF without metadata gets the packet too); then calls ``then``."""
    claimed = claims(pdf_variant, identifier)

    def finish(document: Any, pdf: pydyf.PDF) -> None:
        tree = sort_embedded_files(pdf)
        unique_associated_files(pdf, tree)
        if claimed.pdfa is not None:
            no_interpolation(pdf)
        set_metadata(pdf, xmp_packet(describe(document, pdf), claimed, schemas))
        if then is not None:
            then(document, pdf)

    return finish


def _object(pdf: pydyf.PDF, reference: Any) -> Any:
    """The object of ``pdf`` that ``reference`` (``b"12 0 R"``) names, or None."""
    if not isinstance(reference, bytes | str):
        return None
    number = reference.split()[0] if reference.split() else b""
    if not number.isdigit() or int(number) >= len(pdf.objects):
        return None
    return pdf.objects[int(number)]


class _HexString(pydyf.String):
    """A PDF string written in hexadecimal (ISO 32000-1, 7.3.4.3): its bytes as they
    are, which a literal string cannot promise (a reader turns a carriage return in
    one into a line feed, 7.3.4.2, and UTF-16 holds such bytes)."""

    @property
    def data(self) -> bytes:
        return b"<" + bytes(self.string).hex().encode("ascii") + b">"


def sort_embedded_files(pdf: pydyf.PDF) -> list[bytes]:
    """Sort the ``/EmbeddedFiles`` name tree of the catalogue (one level, as WeasyPrint
    writes it) by key; return the file specifications' references in that order
    (none without embedded files).

    Each key is the file's name (its file specification's ``/UF``) as a PDF text
    string (ISO 32000-1, 7.9.2.2), all in one encoding: ASCII when every name is,
    else UTF-16BE with its byte order mark. Keys are compared byte by byte (ISO
    32000-1, 7.9.6), and in one encoding that order is also the order of the names
    as text, which readers that compare decoded keys (qpdf) use."""
    names = pdf.catalog.get("Names")
    node = _object(pdf, names.get("EmbeddedFiles")) if isinstance(names, dict) else None
    if not isinstance(node, dict) or not isinstance(node.get("Names"), list):
        return []
    flat = node["Names"]
    entries = []
    for key, reference in zip(flat[0::2], flat[1::2]):
        spec = _object(pdf, reference)
        name = spec.get("UF") if isinstance(spec, dict) else key
        text = name.string if isinstance(name, pydyf.String) else ""
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        entries.append((str(text), reference))
    if all(text.isascii() for text, _ in entries):
        keyed = [(text.encode("ascii"), pydyf.String(text), reference)
                 for text, reference in entries]
    else:
        keyed = [(raw, _HexString(raw), reference) for raw, reference in (
            (BOM_UTF16_BE + text.encode("utf-16-be"), reference)
            for text, reference in entries)]
    keyed.sort(key=lambda entry: entry[0])
    node["Names"] = pydyf.Array([part for _, key, reference in keyed
                                 for part in (key, reference)])
    return [reference for _, _, reference in keyed]


def unique_associated_files(pdf: pydyf.PDF, tree: list[bytes]) -> None:
    """The catalogue's ``/AF`` with each file specification once: those of the name
    tree (``tree``) in its order, then any other it listed (ISO 19005-3, 6.8)."""
    listed = pdf.catalog.get("AF")
    if listed is None and not tree:
        return
    ordered = list(dict.fromkeys([*tree, *(listed or ())]))
    pdf.catalog["AF"] = pydyf.Array(ordered)


def no_interpolation(pdf: pydyf.PDF) -> None:
    """``/Interpolate false`` on every image XObject (and soft mask) that has the key
    (ISO 19005-3, 6.2.8, through ISO 19005-2: an image's Interpolate shall be false)."""
    for item in pdf.objects:
        extra = getattr(item, "extra", None)
        if isinstance(extra, dict) and extra.get("Subtype") == "/Image" \
                and "Interpolate" in extra:
            extra["Interpolate"] = "false"


def set_metadata(pdf: pydyf.PDF, packet: bytes) -> None:
    """Make ``packet`` the content of the catalogue's ``/Metadata`` stream, added when
    there is none; uncompressed, so that a tool that scans a file's bytes for XMP
    packets (what the ``<?xpacket?>`` wrapper is for) finds it."""
    stream = _object(pdf, pdf.catalog.get("Metadata"))
    if not isinstance(stream, pydyf.Stream):
        stream = pydyf.Stream([], {"Type": "/Metadata", "Subtype": "/XML"})
        pdf.add_object(stream)
        pdf.catalog["Metadata"] = stream.reference
    stream.stream = [packet]
    stream.compress = False
