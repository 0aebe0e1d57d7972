"""What an edition is made from, and how the PDF says so.

The sources manifest lists every input file of the edition (path, SHA-256,
size), the edition (version, date) and the tools that made it; it is embedded
in the PDF beside the inputs themselves. Its hash goes into the XMP metadata
under a namespace declared through a PDF/A extension schema (ISO 19005-1,
6.7.8: PDF/A accepts no undeclared properties).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
from importlib.metadata import version
from xml.sax.saxutils import escape

from ..project.model import Report

FORMAT = "almanac-edition/1"
SOURCES_MANIFEST = "almanac-sources.json"  # the manifest embedded in the PDF
XMP_NAMESPACE = "https://almanac.report/ns/edition/1.0/"


def tool_versions() -> dict[str, str]:
    """The versions of Python and of the tools that make a PDF, by name."""
    return {
        "python": platform.python_version(), "almanac": version("almanac"),
        "weasyprint": version("weasyprint"), "vl-convert": version("vl-convert-python"),
        "altair": version("altair"), "pypdf": version("pypdf"),
    }


def sha256(data: bytes) -> str:
    """The SHA-256 of ``data`` as 64 lower-case hex digits (FIPS 180-4)."""
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
    """The edition's date as midnight UTC: the date of the embedded files, so that
    the bytes do not depend on the clock or the time zone of the machine."""
    date = report.manifest.edition.date
    return dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC)


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
