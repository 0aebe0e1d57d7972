"""Conformance: a preflight of the PDF/UA-1 and PDF/A-3 rules, read with pikepdf.

The reference validator, veraPDF, is a Java program; :func:`check_pdf` checks by
machine, on the PDF's objects as pikepdf (qpdf) reads them, the failure
conditions that apply to what Almanac makes:

- PDF/UA-1 (ISO 14289-1:2014) by the machine-checkable failure conditions of the
  Matterhorn Protocol 1.1 (PDF Association, 2021), each named by its id
  ("Matterhorn 28-011"): content neither tagged nor an artifact and the nesting
  of the two (01-003…01-005), Suspects (01-007), the role map (02-001, 02-003,
  02-004), the XMP metadata (06-001…06-003), DisplayDocTitle (07-001, 07-002),
  the syntax of tables, lists, tables of contents, ruby and warichu (09-004…09-008,
  ISO 32000-1 Tables 333, 336-338) and a Link inside a Link (09-002), character
  codes without Unicode (10-001), the natural language (11-001, 11-006),
  alternative text of figures and formulas (13-004, 17-002), headings (14-002,
  14-003, 14-006, 14-007), table headers (15-003, 15-005), notes (19-003, 19-004),
  optional content (20-001…20-003), embedded files (21-001), security (26-002),
  annotations (28-002, 28-004, 28-007…28-012, 28-017), XObjects (30-001, 30-002)
  and fonts (31-004, 31-005, 31-009, 31-027…31-030);
- PDF/A-3 (ISO 19005-3:2012) by clause ("ISO 19005-3 6.8"): the file header and
  trailer, encryption, the output intent, images, fonts and their Unicode
  mapping, one XMP packet whose every property is predefined or described by an
  extension schema in it, the identification, tagging for level A, and embedded
  files as associated files;
- the syntax both rely on (ISO 32000-1:2008): the structure tree (every element
  reachable from the root has its parent as /P, 14.7.2), the parent tree that maps
  the marked content of the pages and the annotations back to their elements
  (14.7.4.4), and name trees in lexical order (7.9.6).

Which rules apply is read from the file's XMP metadata (``pdfuaid:part`` → PDF/UA-1,
``pdfaid:part``/``conformance`` → PDF/A-3a, -3b, -3u) unless a profile is given; a
file that claims neither is reported as such, with no finding (a print edition
need not be tagged: the caller decides). A defect two checked standards share is
reported once, under the PDF/UA rule when PDF/UA-1 is checked.

The file may come from anywhere, so it is read within bounds (:class:`CheckLimits`):
every stream is decoded within qpdf's memory limits (set for the check and
restored after it), the content streams together within a budget, every tree
(structure, name and number trees, form XObjects) walked once per object, to a
depth and a number of nodes; what could not be checked within them is listed in
:attr:`Conformance.unchecked`, never passed over in silence, and a damaged object
ends in such an entry, never in an exception.
"""

from __future__ import annotations

import io
import re
import struct
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, cast
from xml.parsers import expat

if TYPE_CHECKING:
    import pikepdf
    from pikepdf import Array, Dictionary, Name, Stream, String

MIB = 2**20

PDF_UA_1 = "PDF/UA-1"
PDF_A_3A, PDF_A_3B, PDF_A_3U = "PDF/A-3a", "PDF/A-3b", "PDF/A-3u"
PROFILES = (PDF_UA_1, PDF_A_3A, PDF_A_3B, PDF_A_3U)
"""The profiles :func:`check_pdf` knows, as the standards name their conformance."""


@dataclass(frozen=True)
class CheckLimits:
    """The bounds of one check, in bytes or counts.

    ``stream``: one stream decoded (a content stream, the XMP packet, a CMap; qpdf's
    Flate, RunLength and predictor memory limits are set to it); ``content``: every
    content stream of the pages and forms decoded together; ``xmp``: the metadata
    stream (an edition's is about 4 KB); ``elements``: structure elements;
    ``entries``: entries of the name and number trees together; ``depth``: levels of
    a name or number tree and of form XObjects drawn in forms; ``findings``: findings
    kept (the rest are counted in :attr:`Conformance.unchecked`).
    """

    stream: int = 32 * MIB
    content: int = 128 * MIB
    xmp: int = 4 * MIB
    elements: int = 500_000
    entries: int = 1_000_000
    depth: int = 32
    findings: int = 10_000


@dataclass(frozen=True)
class Finding:
    """One failed rule at one place.

    ``rule`` is the rule's id as its standard names it ("Matterhorn 28-011",
    "ISO 19005-3 6.8", "ISO 32000-1 14.7.4.4"); ``message`` says, on one line, what
    is wrong and where; ``fix`` how to mend it, when there is one way; ``page`` the
    page (from 1), ``where`` the structure element's path ("Document/Sect[2]/H2")
    and ``object`` its object number, when the finding has them.
    """

    rule: str
    message: str
    fix: str = ""
    page: int | None = None
    where: str = ""
    object: int | None = None


@dataclass
class Conformance:
    """What :func:`check_pdf` found in one PDF.

    ``claims``: the conformance the XMP metadata claims ("PDF/A-3a", "PDF/UA-1", or
    any other part it names, "PDF/A-2b"); ``profiles``: the profiles checked (the
    claimed ones this module knows, or those asked for); ``tagged``: whether the file
    has a structure tree and says so (/MarkInfo /Marked true); ``pages``: its page
    count; ``findings``: every failed rule; ``unchecked``: what could not be checked
    (a limit reached, a damaged object), each a sentence.
    """

    claims: list[str]
    profiles: list[str]
    tagged: bool
    pages: int
    findings: list[Finding] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every rule of the checked profiles passed and all was checked."""
        return not self.findings and not self.unchecked

    def counts(self) -> dict[str, int]:
        """The number of findings per rule id, in the order the rules first fail."""
        return dict(Counter(finding.rule for finding in self.findings))

    def as_dict(self) -> dict[str, Any]:
        """The result as plain data (for JSON): every field and ``counts``."""
        return {"claims": self.claims, "profiles": self.profiles, "tagged": self.tagged,
                "pages": self.pages, "ok": self.ok, "counts": self.counts(),
                "findings": [asdict(finding) for finding in self.findings],
                "unchecked": self.unchecked}


class NotAPdf(ValueError):
    """The bytes cannot be read as a PDF; the message says what was found."""


def parse_profile(text: str) -> list[str]:
    """The profiles named in ``text``, joined by ``+`` or ``,`` ("PDF/A-3a+PDF/UA-1";
    any case); ``ValueError`` for a name not in :data:`PROFILES`."""
    known = {name.lower(): name for name in PROFILES}
    names = [part.strip() for part in re.split(r"[+,]", text) if part.strip()]
    unknown = [name for name in names if name.lower() not in known]
    if unknown or not names:
        raise ValueError(f"unknown profile {', '.join(unknown) or repr(text)}; "
                         f"known: {', '.join(PROFILES)}")
    return sorted({known[name.lower()] for name in names}, key=PROFILES.index)


def check_pdf(data: bytes, *, profile: str | None = None,
              limits: CheckLimits | None = None) -> Conformance:
    """Check the PDF ``data`` against the rules of ``profile`` (see
    :func:`parse_profile`; by default the profiles its XMP metadata claims) and
    return what was found (:class:`Conformance`), within ``limits`` (default
    :class:`CheckLimits`). Raises :class:`NotAPdf` when ``data`` is not a PDF,
    cannot be parsed or needs a password; any other damage is reported in the
    result, never raised."""
    _import_pikepdf()
    limits = limits or CheckLimits()
    wanted = parse_profile(profile) if profile is not None else None
    if b"%PDF-" not in data[:1024]:  # ISO 32000-1, 7.5.2 (readers look in 1 KB)
        raise NotAPdf("not a PDF (no %PDF- header in its first 1 024 bytes)")
    with qpdf_limits(limits):
        try:
            pdf = pikepdf.open(io.BytesIO(data))
        except pikepdf.PasswordError:
            raise NotAPdf("encrypted with a password") from None
        except Exception as exc:  # noqa: BLE001 — qpdf on a damaged file: any exception
            raise NotAPdf(f"damaged ({damage(exc)})") from None
        with pdf:
            try:
                return _Checker(pdf, data, wanted, limits).run()
            except Exception as exc:  # noqa: BLE001 — a catalogue or page tree damaged
                return Conformance([], wanted or [], False, 0,
                                   unchecked=[f"the file: damaged ({damage(exc)})"])


def _import_pikepdf() -> None:
    """pikepdf and its object types as this module's names, imported when a check
    first runs: the command line imports this module for :data:`PROFILES` in every
    command's help, and pikepdf (with qpdf) takes a tenth of a second to import."""
    global pikepdf, Array, Dictionary, Name, Stream, String
    import pikepdf
    from pikepdf import Array, Dictionary, Name, Stream, String


@contextmanager
def qpdf_limits(limits: CheckLimits) -> Iterator[None]:
    """qpdf's decoding limits set to ``limits.stream`` for the block, then restored
    (``pikepdf.settings.set_qpdf_limits``: process-wide, so a check should not run
    beside other pikepdf work in another thread; the limits are generous for any
    real file). A stream over them fails to decode, which the check reports."""
    from pikepdf.settings import set_qpdf_limits

    previous = set_qpdf_limits(flate_max_memory=limits.stream,
                               run_length_max_memory=limits.stream,
                               png_max_memory=limits.stream, tiff_max_memory=limits.stream,
                               max_stream_filters=8)
    try:
        yield
    finally:
        set_qpdf_limits(**cast(dict[str, Any], previous))


def damage(exc: BaseException) -> str:
    """A library's exception on a damaged file, as a short phrase (qpdf names the
    in-memory stream it read, ``<_io.BytesIO object at 0x…>``: left out)."""
    text = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
    text = re.sub(r"stream <_io\.BytesIO object at 0x[0-9a-f]+>:?\s*", "", text)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --------------------------------------------------------------------------- tables

STANDARD_TYPES = frozenset({
    "Document", "Part", "Art", "Sect", "Div", "BlockQuote", "Caption", "TOC", "TOCI",
    "Index", "NonStruct", "Private", "P", "H", "H1", "H2", "H3", "H4", "H5", "H6", "L",
    "LI", "Lbl", "LBody", "Table", "TR", "TH", "TD", "THead", "TBody", "TFoot", "Span",
    "Quote", "Note", "Reference", "BibEntry", "Code", "Link", "Annot", "Ruby", "RB",
    "RT", "RP", "Warichu", "WT", "WP", "Figure", "Formula", "Form"})
"""The standard structure types of ISO 32000-1, 14.8.4."""

PARENTS: dict[str, tuple[frozenset[str], str]] = {
    **{kind: (frozenset({"Table", "THead", "TBody", "TFoot"}), "09-004") for kind in ("TR",)},
    **{kind: (frozenset({"TR"}), "09-004") for kind in ("TH", "TD")},
    **{kind: (frozenset({"Table"}), "09-004") for kind in ("THead", "TBody", "TFoot")},
    "LI": (frozenset({"L"}), "09-005"),
    "LBody": (frozenset({"LI"}), "09-005"),
    "Lbl": (frozenset({"LI", "TOCI"}), "09-005"),  # Table 336; TOCI: Table 333
    "TOCI": (frozenset({"TOC"}), "09-006"),
    **{kind: (frozenset({"Ruby"}), "09-007") for kind in ("RB", "RT", "RP")},
    **{kind: (frozenset({"Warichu"}), "09-008") for kind in ("WT", "WP")},
}
"""The only parents a structure type may have (ISO 32000-1, Tables 333, 336-338),
and the Matterhorn failure condition of its family."""

KIDS: dict[str, tuple[frozenset[str], str]] = {
    "Table": (frozenset({"TR", "THead", "TBody", "TFoot", "Caption"}), "09-004"),
    "TR": (frozenset({"TH", "TD"}), "09-004"),
    **{kind: (frozenset({"TR"}), "09-004") for kind in ("THead", "TBody", "TFoot")},
    "L": (frozenset({"L", "LI", "Caption"}), "09-005"),
    "LI": (frozenset({"Lbl", "LBody"}), "09-005"),
    "TOC": (frozenset({"TOC", "TOCI", "Caption"}), "09-006"),
    "Ruby": (frozenset({"RB", "RT", "RP"}), "09-007"),
    "Warichu": (frozenset({"WT", "WP"}), "09-008"),
}
"""The only structure elements a grouping type may hold (the same tables)."""

LANGUAGE = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")
"""A language identifier as ISO 32000-1, 14.9.2 reads RFC 3066 (veraPDF's test)."""

TEXT_OPERATORS = frozenset({"Tj", "TJ", "'", '"'})
PAINTING_OPERATORS = frozenset({"f", "F", "f*", "B", "B*", "b", "b*", "S", "s", "sh"})
DEVICE_COLOUR_OPERATORS = frozenset({"rg", "RG", "g", "G", "k", "K"})
DEVICE_SPACES = frozenset({"/DeviceRGB", "/DeviceCMYK", "/DeviceGray"})
OPERATORS = ("BDC BMC EMC Tf Tr Tj TJ ' \" Do q Q BI ID EI "
             + " ".join(sorted(PAINTING_OPERATORS | DEVICE_COLOUR_OPERATORS)) + " cs CS")
"""The operators the content walk reads (pikepdf skips the others as it parses)."""

LZW_GROWTH = 512
"""The most an LZW stream grows as it is decoded (a 9-bit code yields at most a 4 096
byte string), which qpdf does not bound: such a stream is decoded only when its raw
length times this is within the stream limit."""

XMP = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "x": "adobe:ns:meta/",
    "xml": "http://www.w3.org/XML/1998/namespace",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfuaid": "http://www.aiim.org/pdfua/ns/id/",
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
}
PREDEFINED_SCHEMAS = frozenset({
    XMP["dc"], XMP["pdfaid"], XMP["pdfaExtension"],
    "http://ns.adobe.com/xap/1.0/", "http://ns.adobe.com/xap/1.0/rights/",
    "http://ns.adobe.com/xap/1.0/mm/", "http://ns.adobe.com/xap/1.0/bj/",
    "http://ns.adobe.com/xap/1.0/t/pg/", "http://ns.adobe.com/xmp/1.0/DynamicMedia/",
    "http://ns.adobe.com/pdf/1.3/", "http://ns.adobe.com/photoshop/1.0/",
    "http://ns.adobe.com/camera-raw-settings/1.0/", "http://ns.adobe.com/tiff/1.0/",
    "http://ns.adobe.com/exif/1.0/", "http://ns.adobe.com/exif/1.0/aux/"})
"""The schemas PDF/A-3 predefines (ISO 19005-3, 6.6.2.3.1: those of the XMP
Specification 2005, and PDF/A's identification and extension schemas); a property
in any other namespace (pdfuaid's too) needs an extension schema in the packet."""

MIME_TYPE = re.compile(r"[-\w+.]+/[-\w+.]+")
CJK_COLLECTIONS = frozenset({"GB1", "CNS1", "Japan1", "Korea1"})
PREDEFINED_CMAPS = re.compile(r"Identity-[HV]|[A-Za-z0-9]+(-[A-Za-z0-9]+)*-[HV]")

FIXES = {
    "01-003": "end the Artifact sequence before the tagged content opens, or tag its "
              "content inside the element",
    "01-004": "do not open tagged content (an MCID) inside an Artifact sequence",
    "01-005": "wrap the content in a marked-content sequence with an MCID that the "
              "parent tree maps to a structure element, or mark it /Artifact",
    "01-007": "set /MarkInfo /Suspects to false once the tags are checked",
    "02-001": "map the type in the /RoleMap of the structure tree root to a standard "
              "type (ISO 32000-1, 14.8.4)",
    "02-003": "break the cycle in the /RoleMap: each chain must end in a standard type",
    "02-004": "remove the standard type from the /RoleMap (standard types keep their "
              "meaning); use a new name for a custom type",
    "06-001": "write an XMP metadata stream into the catalogue's /Metadata",
    "06-002": "add pdfuaid:part 1 to the XMP metadata",
    "06-003": "give the XMP metadata a dc:title: the document's title",
    "07-001": "set /ViewerPreferences << /DisplayDocTitle true >> in the catalogue",
    "09-002": "do not nest a Link in another Link: make them siblings",
    "10-001": "complete the font's ToUnicode CMap: every code shown needs a Unicode value",
    "11-001": "give the element a /Lang that is a language tag (e.g. en-GB)",
    "11-006": "set the catalogue's /Lang to the document's language (e.g. en-GB)",
    "13-004": "give the Figure an /Alt text that says what it shows (or /ActualText)",
    "14-002": "start the headings with H1",
    "14-003": "do not skip a heading level going down (H1, H2, H3)",
    "14-006": "give each element at most one H child",
    "14-007": "use either H or H1-H6, not both",
    "15-003": "give the TH a /Scope attribute (/Row, /Column or /Both), or give the "
              "table's cells /Headers",
    "15-005": "name in /Headers only IDs of the table's header cells (in the /IDTree)",
    "19-003": "give the Note an /ID",
    "19-004": "give each Note its own /ID",
    "21-001": "give the file specification both /F and /UF",
    "26-002": "allow accessibility (bit 10 of /P) in the encryption dictionary",
    "28-002": "tag the annotation in an Annot element: an OBJR kid, and its "
              "/StructParent in the parent tree",
    "28-004": "give the annotation a /Contents, or its Annot element an /Alt",
    "28-008": "set /Tabs /S on the page",
    "28-010": "tag the widget in a Form element (an OBJR kid, and /StructParent)",
    "28-011": "tag the link annotation in a Link element: an OBJR kid of the Link, and "
              "the annotation's /StructParent mapped to it in the parent tree",
    "28-012": "give the link annotation a /Contents: a description of the link (its "
              "text and where it goes)",
    "28-017": "take the PrinterMark annotation out of the structure tree",
    "30-001": "draw the reference XObject's content instead of referring to another file",
    "30-002": "draw a form XObject with MCIDs once, or make one form per use",
    "31-005": "give the CIDFont a /CIDToGIDMap: /Identity or a stream",
    "31-009": "embed the font program",
    "31-027": "give the font a ToUnicode CMap",
    "31-028": "map no character code to U+0000 in the ToUnicode CMap",
    "31-030": "do not show character codes that select the .notdef glyph",
    "parent-p": "set the element's /P to the element (or structure tree root) that "
                "holds it in its /K",
    "parent-tree": "make the parent tree and the structure elements agree: each MCID "
                   "and annotation maps to the element that lists it in its /K (with "
                   "its page as /Pg)",
    "name-tree": "write the name tree's keys in lexical (byte) order, each node's /Limits "
                 "its first and last key",
    "af": "list every embedded file once in the catalogue's /AF",
    "afrelationship": "give the file specification an /AFRelationship (e.g. /Source, "
                      "/Data)",
    "subtype": "give the embedded file stream a /Subtype: its MIME type (e.g. "
               "/text#2Fcsv; application/octet-stream when unknown)",
    "moddate": "give the embedded file stream /Params << /ModDate (D:...) >>",
    "interpolate": "set /Interpolate false (or leave it out) in the image dictionary",
    "xmp-one": "write the XMP metadata as one packet: one x:xmpmeta holding one rdf:RDF "
               "(pikepdf's Pdf.open_metadata writes it so)",
    "xmp-extension": "describe the property's schema in a pdfaExtension:schemas entry of "
                     "the same packet (ISO 19005-3, 6.6.2.3.2)",
    "pdfaid": "set pdfaid:part 3 and pdfaid:conformance (A, B or U) in the XMP metadata",
    "output-intent": "add an /OutputIntents entry /S /GTS_PDFA1 with the ICC profile of "
                     "the colours used as /DestOutputProfile",
    "encrypt": "write the file without encryption",
    "markinfo": "set /MarkInfo << /Marked true >> in the catalogue",
    "struct-root": "tag the document: a /StructTreeRoot in the catalogue",
    "trailer-id": "write an /ID in the file trailer",
    "header": "write the file as PDF 1.7 or earlier (%PDF-1.7)",
}
"""How to mend what each rule finds, by Matterhorn id or by topic."""


# --------------------------------------------------------------------------- helpers

def _key(obj: Any) -> tuple[int, int] | None:
    """The object number and generation of an indirect object, else None."""
    try:
        return obj.objgen if obj.is_indirect else None
    except AttributeError:
        return None


def _number(obj: Any) -> int | None:
    key = _key(obj)
    return key[0] if key else None


def _name(value: Any) -> str | None:
    """A name's text without its slash, or None for anything else."""
    return str(value)[1:] if isinstance(value, Name) else None


def _text(value: Any) -> str | None:
    """A PDF string's text (PDFDocEncoding or UTF-16, as pikepdf decodes it)."""
    if isinstance(value, String):
        try:
            return str(value)
        except (UnicodeDecodeError, ValueError):
            return bytes(value).decode("latin-1")
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _items(value: Any) -> list:
    """An array's items, a single value as a list of one, nothing as an empty list."""
    if value is None:
        return []
    if isinstance(value, Array):
        return list(value)
    return [value]


def _order(profile: str) -> tuple[int, str]:
    """Profiles in the order of :data:`PROFILES`, others after them by name."""
    return (PROFILES.index(profile) if profile in PROFILES else len(PROFILES), profile)


def _place(page: int | None, where: str, number: int | None) -> str:
    parts = [f"page {page}"] if page else []
    if where:
        parts.append(where)
    if number:
        parts.append(f"object {number}")
    return ", ".join(parts)


def _mcids(mcids: set[int] | list[int], *, verb: bool = True) -> str:
    """"MCID 7 is" or "MCIDs 7, 8 are" (without ``verb``: "MCID 7", "MCIDs 7, 8")."""
    ordered = sorted(mcids)
    if len(ordered) == 1:
        return f"MCID {ordered[0]}" + (" is" if verb else "")
    return f"MCIDs {_listing(ordered)}" + (" are" if verb else "")


def _listing(values: list, most: int = 8) -> str:
    shown = ", ".join(str(value) for value in values[:most])
    return shown + (f" and {len(values) - most} more" if len(values) > most else "")


class _Budget(Exception):
    """A bound of :class:`CheckLimits` was reached; the message says which."""


@dataclass
class _Element:
    """A structure element as the walk found it."""

    path: str
    kind: str  # its /S, as written
    standard: str | None  # its type after role mapping, None when it maps to none
    number: int | None
    page: int | None


@dataclass
class _Font:
    """A font as the content walk uses it: its codes shown and where."""

    name: str
    number: int | None
    obj: Any
    codes: set[int] = field(default_factory=set)
    pages: set[int] = field(default_factory=set)
    rendered: bool = False  # shown in a rendering mode other than 3 (invisible)
    decoder: Any = None  # the codespace: 1 or 2 bytes, or ranges


@dataclass
class _Tally:
    """What the walk of one content stream found that its caller needs."""

    bare: int = 0  # content operators neither in an artifact nor in tagged content
    first: str = ""  # the first of those
    unmapped: set[int] = field(default_factory=set)  # MCIDs the parent tree does not map
    orphaned: set[int] = field(default_factory=set)  # MCIDs of elements not in the tree
    artifacts: bool = False  # holds an Artifact sequence at its top level
    mcids: bool = False  # holds an MCID


class _Xml:
    """An element of the XMP packet: namespace, local name, attributes, children, text."""

    __slots__ = ("attrs", "kids", "name", "ns", "text")

    def __init__(self, tag: str, attrs: dict[str, str]):
        self.ns, _, self.name = tag.rpartition(" ")
        self.attrs: dict[tuple[str, str], str] = {}
        for key, value in attrs.items():
            ns, _, name = key.rpartition(" ")
            self.attrs[ns, name] = value
        self.kids: list[_Xml] = []
        self.text = ""

    def walk(self) -> Iterator[_Xml]:
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.kids))

    def value(self) -> str:
        """The text of a simple property, or of the first rdf:li of an array."""
        items = [node for node in self.walk() if (node.ns, node.name) == (XMP["rdf"], "li")]
        return (items[0].text if items else self.text).strip()


def _parse_xmp(data: bytes, most: int) -> tuple[_Xml, list[str]]:
    """The XMP packet's root element and its processing instructions' data
    (``xpacket``), parsed by expat with a DOCTYPE and every entity declaration
    refused and at most ``most`` elements (as pypdf guards its XMP reader)."""
    parser = expat.ParserCreate(namespace_separator=" ")
    stack: list[_Xml] = []
    found: list[_Xml] = []
    packets: list[str] = []

    def refuse(*_args: Any) -> None:
        raise ValueError("a DOCTYPE or an entity declaration")

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = _Xml(tag, attrs)
        if len(found) >= most:
            raise ValueError(f"more than {most:,} elements")
        found.append(node)
        if stack:
            stack[-1].kids.append(node)
        stack.append(node)

    def end(_tag: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack:
            stack[-1].text += data

    def instruction(target: str, data: str) -> None:
        if target == "xpacket":
            packets.append(data)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.ProcessingInstructionHandler = instruction
    parser.Parse(data, True)
    return found[0], packets


class _CMap:
    """A CMap's codespace and its mapping to Unicode (``bfchar``, ``bfrange``), read
    from its text (ISO 32000-1, 9.10.3; Adobe Technical Note #5014), the ranges kept
    as ranges (a range of 65 536 codes costs one entry)."""

    HEX = rb"<([0-9A-Fa-f\s]*)>"

    def __init__(self, data: bytes):
        self.spaces: list[tuple[int, bytes, bytes]] = []
        self.chars: dict[int, bytes] = {}
        self.ranges: list[tuple[int, int, bytes | list[bytes]]] = []
        for block in re.findall(rb"begincodespacerange(.*?)endcodespacerange", data, re.S):
            hexes = [self._bytes(h) for h in re.findall(self.HEX, block)]
            for low, high in zip(hexes[::2], hexes[1::2]):
                if len(low) == len(high) and 1 <= len(low) <= 4:
                    self.spaces.append((len(low), low, high))
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
            hexes = [self._bytes(h) for h in re.findall(self.HEX, block)]
            for source, target in zip(hexes[::2], hexes[1::2]):
                self.chars[int.from_bytes(source, "big")] = target
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
            tokens = re.findall(rb"<([0-9A-Fa-f\s]*)>|\[([^\]]*)\]", block)
            index = 0
            while index + 2 < len(tokens):
                first, last = (int.from_bytes(self._bytes(tokens[i][0]), "big")
                               for i in (index, index + 1))
                hexed, listed = tokens[index + 2]
                mapped: bytes | list[bytes] = self._bytes(hexed) if not listed else \
                    [self._bytes(h) for h in re.findall(self.HEX, listed)]
                if first <= last:
                    self.ranges.append((first, last, mapped))
                index += 3

    @staticmethod
    def _bytes(hexed: bytes) -> bytes:
        digits = re.sub(rb"\s", b"", hexed)
        return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))

    def unicode(self, code: int) -> str | None:
        """The text ``code`` maps to (UTF-16BE, as ToUnicode CMaps write it), or None."""
        target = self.chars.get(code)
        if target is None:
            for low, high, mapped in self.ranges:
                if low <= code <= high:
                    if isinstance(mapped, list):
                        target = mapped[code - low] if code - low < len(mapped) else None
                    elif mapped:
                        value = int.from_bytes(mapped, "big") + code - low
                        target = value.to_bytes(len(mapped), "big") \
                            if value < 256 ** len(mapped) else None
                    break
        if not target:
            return None
        return target.decode("utf-16-be", errors="surrogatepass")


def _codes(data: bytes, decoder: Any) -> Iterable[int]:
    """The character codes of a shown string: one byte each for a simple font, two
    for Identity-H/V, else by the codespace ranges (ISO 32000-1, 9.7.6.2)."""
    if decoder == 1:
        return data
    if decoder == 2:
        return struct.unpack(f">{len(data) // 2}H", data[:len(data) // 2 * 2])
    return _ranged_codes(data, decoder)


def _ranged_codes(data: bytes, decoder: list[tuple[int, bytes, bytes]]) -> Iterator[int]:
    index = 0
    while index < len(data):
        for width, low, high in decoder:
            chunk = data[index:index + width]
            if len(chunk) == width and all(lo <= byte <= hi
                                           for byte, lo, hi in zip(chunk, low, high)):
                yield int.from_bytes(chunk, "big")
                index += width
                break
        else:
            index += 1


# --------------------------------------------------------------------------- the check

class _Checker:
    """One check of one open PDF (see :func:`check_pdf`)."""

    def __init__(self, pdf: pikepdf.Pdf, data: bytes, wanted: list[str] | None,
                 limits: CheckLimits):
        self.pdf, self.data, self.wanted, self.limits = pdf, data, wanted, limits
        self.catalog = pdf.Root
        self.findings: list[Finding] = []
        self.unchecked: list[str] = []
        self.dropped = 0
        self.claims: list[str] = []
        self.ua = False
        self.level: str | None = None  # the PDF/A-3 conformance level checked: a, b, u
        self.scratch = pikepdf.new()
        self.pages: list[Any] = []
        self.page_numbers: dict[tuple[int, int], int] = {}
        self.parent_tree: dict[int, Any] = {}
        self.entries = 0
        self.elements: dict[Any, _Element] = {}
        self.claimed: dict[tuple[int, int], Any] = {}  # (page, MCID) → element key
        self.objr: dict[tuple[int, int], list[Any]] = {}  # annotation → elements
        self.role_map: dict[str, str] = {}
        self.roles: dict[str, str | None] = {}
        self.role_problems: dict[str, str] = {}
        self.af_arrays: list[tuple[str, Any]] = []
        self.fonts: dict[Any, _Font] = {}
        self.forms: dict[tuple[Any, str], _Tally] = {}
        self.form_uses: Counter = Counter()
        self.form_mcids: set[Any] = set()
        self.images: set[Any] = set()
        self.content = 0
        self.device_colour = False
        self.mcids_shown: dict[int, set[int]] = {}
        self.walked: set[int] = set()  # the pages whose content was read to the end
        self.xmp_packets: list[str] = []

    # ---- recording

    def rule(self, ua: str | None = None, a: str | None = None, levels: str = "abu"
             ) -> str | None:
        """The id of the rule that fails for the checked profiles: the Matterhorn
        failure condition ``ua`` (or an ISO 14289-1 clause) when PDF/UA-1 is checked,
        else ISO 19005-3 clause ``a`` for the PDF/A-3 ``levels`` it applies to."""
        if ua and self.ua:
            return f"Matterhorn {ua}" if re.fullmatch(r"\d\d-\d\d\d", ua) else ua
        if a and self.level and self.level in levels:
            return a if a.startswith("ISO") else f"ISO 19005-3 {a}"
        return None

    def syntax(self, rule: str, *, tagged: bool = False) -> str | None:
        """``rule`` (of ISO 32000-1, which every profile relies on) when a profile is
        checked; with ``tagged``, when a checked profile requires a tagged file."""
        if tagged:
            return rule if self.tagged_profile else None
        return rule if self.ua or self.level else None

    @property
    def tagged_profile(self) -> bool:
        """Whether a checked profile requires a tagged file (PDF/UA-1, PDF/A-3a)."""
        return self.ua or self.level == "a"

    def add(self, rule: str | None, what: str, fix: str = "", *, page: int | None = None,
            where: str = "", number: int | None = None) -> None:
        """Record a finding of ``rule`` (nothing when no checked profile has it)."""
        if rule is None:
            return
        if len(self.findings) >= self.limits.findings:
            self.dropped += 1
            return
        place = _place(page, where, number)
        message = f"{what} ({place})" if place else what
        self.findings.append(Finding(rule, message, FIXES.get(fix, fix), page, where, number))

    def skip(self, what: str, exc: BaseException) -> None:
        """Record that ``what`` could not be checked, and why."""
        reason = str(exc) if isinstance(exc, _Budget) else f"damaged ({damage(exc)})"
        self.unchecked.append(f"{what}: {reason}")

    # ---- the run

    def run(self) -> Conformance:
        self.pages = list(self.pdf.pages)
        self.page_numbers = {page.obj.objgen: index + 1 for index, page in enumerate(self.pages)}
        xmp = self.read_xmp()
        known = [claim for claim in self.claims if claim in PROFILES]
        profiles = sorted(self.wanted if self.wanted is not None else known, key=_order)
        self.ua = PDF_UA_1 in profiles
        levels = [name[-1] for name in profiles if name.startswith("PDF/A-3")]
        self.level = "a" if "a" in levels else levels[0] if levels else None
        marked = self.catalog.get("/MarkInfo")
        tagged = isinstance(self.catalog.get("/StructTreeRoot"), Dictionary) and \
            isinstance(marked, Dictionary) and marked.get("/Marked") is True
        if profiles:
            for what, step in (("the XMP metadata", lambda: self.check_xmp(xmp)),
                               ("the catalogue", self.check_catalog),
                               ("the structure tree", self.check_structure),
                               ("the pages", self.check_pages),
                               ("the fonts", self.check_fonts),
                               ("the embedded files", self.check_embedded)):
                try:
                    step()
                except Exception as exc:  # noqa: BLE001 — a damaged object, or a limit
                    self.skip(what, exc)
        if self.dropped:
            self.unchecked.append(f"{self.dropped:,} more findings over the limit of "
                                  f"{self.limits.findings:,} were not listed")
        return Conformance(self.claims, list(profiles), tagged, len(self.pages),
                           self.findings, self.unchecked)

    # ---- streams

    def stream_bytes(self, stream: Any, limit: int) -> bytes:
        """A stream decoded within ``limit`` bytes (and qpdf's limits); :class:`_Budget`
        when it is larger."""
        filters = [_name(item) for item in _items(stream.get("/Filter"))]
        if "LZWDecode" in filters and len(stream.read_raw_bytes()) * LZW_GROWTH > limit:
            raise _Budget(f"an LZW stream (object {_number(stream)}) that may decode to "
                          f"more than {limit // MIB} MiB")
        try:
            data = stream.read_bytes()
        except Exception as exc:  # noqa: BLE001 — qpdf's limit, or a damaged stream
            if "limit" in str(exc).lower():
                raise _Budget(f"a stream (object {_number(stream)}) decodes to more than "
                              f"{limit // MIB} MiB") from None
            raise
        if len(data) > limit:
            raise _Budget(f"a stream (object {_number(stream)}) decodes to more than "
                          f"{limit // MIB} MiB")
        return data

    def operations(self, streams: list) -> list:
        """The operations of the content ``streams`` read as one (ISO 32000-1, 7.8.2),
        only the :data:`OPERATORS` the walk needs, within the content budget."""
        parts = []
        for stream in streams:
            if not isinstance(stream, Stream):
                continue
            data = self.stream_bytes(stream, self.limits.stream)
            self.content += len(data)
            if self.content > self.limits.content:
                raise _Budget(f"the content streams decode to more than "
                              f"{self.limits.content // MIB} MiB together")
            parts.append(data)
        joined = Stream(self.scratch, b"\n".join(parts))
        return pikepdf.parse_content_stream(joined, OPERATORS)

    def tree(self, root: Any, kind: str) -> list[tuple[Any, Any]]:
        """The (key, value) pairs of a name tree (``kind`` "/Names") or number tree
        ("/Nums") in the order written, each node visited once, at most
        ``limits.depth`` deep and ``limits.entries`` entries in all the trees."""
        pairs: list[tuple[Any, Any]] = []
        seen: set = set()
        stack = [(root, 0)]
        while stack:
            node, depth = stack.pop()
            key = _key(node)
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
            if not isinstance(node, Dictionary):
                continue
            if depth > self.limits.depth:
                raise _Budget(f"a tree more than {self.limits.depth} levels deep")
            items = node.get(kind)
            if isinstance(items, Array):
                values = list(items)
                self.entries += len(values) // 2
                if self.entries > self.limits.entries:
                    raise _Budget(f"more than {self.limits.entries:,} tree entries")
                pairs.extend(zip(values[::2], values[1::2]))
            kids = node.get("/Kids")
            if isinstance(kids, Array):
                stack.extend((kid, depth + 1) for kid in reversed(list(kids)))
        return pairs

    # ---- XMP metadata

    def read_xmp(self) -> _Xml | str | None:
        """The parsed XMP packet (and :attr:`claims` from it), the reason it cannot be
        read, or None when there is no metadata stream."""
        stream = self.catalog.get("/Metadata")
        if not isinstance(stream, Stream):
            return None
        try:
            data = self.stream_bytes(stream, self.limits.xmp)
            root, packets = _parse_xmp(data, 100_000)
        except (_Budget, ValueError, expat.ExpatError, pikepdf.PdfError) as exc:
            return str(exc) or type(exc).__name__
        self.xmp_packets = packets
        values = self.xmp_values(root)
        ua = values.get((XMP["pdfuaid"], "part"))
        if ua:
            self.claims.append(f"PDF/UA-{ua}")
        part, level = values.get((XMP["pdfaid"], "part")), values.get((XMP["pdfaid"],
                                                                       "conformance"))
        if part:
            self.claims.append(f"PDF/A-{part}{(level or '').lower()}")
        self.claims.sort(key=_order)
        return root

    @staticmethod
    def descriptions(root: _Xml) -> Iterator[_Xml]:
        for node in root.walk():
            if (node.ns, node.name) == (XMP["rdf"], "RDF"):
                yield from (kid for kid in node.kids
                            if (kid.ns, kid.name) == (XMP["rdf"], "Description"))

    def xmp_values(self, root: _Xml) -> dict[tuple[str, str], str]:
        """Every top-level property of every rdf:Description: its first value."""
        values: dict[tuple[str, str], str] = {}
        for description in self.descriptions(root):
            for (ns, name), value in description.attrs.items():
                values.setdefault((ns, name), value.strip())
            for kid in description.kids:
                values.setdefault((kid.ns, kid.name), kid.value())
        return values

    def check_xmp(self, root: _Xml | str | None) -> None:
        if root is None or isinstance(root, str):
            why = "no XMP metadata stream in the catalogue" if root is None else \
                f"the XMP metadata cannot be read: {root}"
            self.add(self.rule("06-001", "6.6.2.1"), why, "06-001")
            return
        values = self.xmp_values(root)
        stream = self.catalog.Metadata
        if stream.get("/Type") != Name.Metadata or stream.get("/Subtype") != Name.XML:
            self.add(self.rule(a="6.6.2.1"), "the metadata stream lacks /Type /Metadata "
                     "and /Subtype /XML", number=_number(stream))
        if self.ua:
            if values.get((XMP["pdfuaid"], "part")) != "1":
                self.add(self.rule("06-002"), "the XMP metadata has no pdfuaid:part 1",
                         "06-002")
            if not values.get((XMP["dc"], "title")):
                self.add(self.rule("06-003"), "the XMP metadata has no dc:title", "06-003")
        if not self.level:
            return
        if values.get((XMP["pdfaid"], "part")) != "3" or \
                (values.get((XMP["pdfaid"], "conformance")) or "").lower() != self.level:
            self.add(self.rule(a="6.6.4"), "the XMP metadata does not identify the file as "
                     f"PDF/A-3{self.level} (pdfaid:part 3, pdfaid:conformance "
                     f"{self.level.upper()})", "pdfaid")
        nodes = list(root.walk())
        count = {name: sum(1 for node in nodes if (node.ns, node.name) == (XMP[prefix], name))
                 for prefix, name in (("x", "xmpmeta"), ("rdf", "RDF"))}
        begins = [packet for packet in self.xmp_packets if "begin" in packet]
        if count["xmpmeta"] != 1 or count["RDF"] != 1 or len(begins) != 1:
            self.add(self.rule(a="6.6.2.1"), f"the XMP metadata is not one packet: "
                     f"{len(begins)} xpacket, {count['xmpmeta']} x:xmpmeta and "
                     f"{count['RDF']} rdf:RDF elements", "xmp-one")
        if any(re.search(r"\b(bytes|encoding)\s*=", packet) for packet in begins):
            self.add(self.rule(a="6.6.2.1"), "the xpacket header has a bytes or encoding "
                     "attribute")
        declared = self.extension_schemas(root)
        undeclared: dict[str, list[str]] = {}
        for description in self.descriptions(root):
            properties = [key for key in description.attrs
                          if key[0] not in (XMP["rdf"], XMP["xml"], "")]
            properties += [(kid.ns, kid.name) for kid in description.kids]
            for ns, name in properties:
                if ns not in PREDEFINED_SCHEMAS and name not in declared.get(ns, ()):
                    undeclared.setdefault(ns, []).append(name)
        for ns, names in undeclared.items():
            self.add(self.rule(a="6.6.2.3.1"), f"the XMP properties "
                     f"{_listing(sorted(set(names)))} of {ns} are in no predefined schema "
                     "and no extension schema of the packet describes them", "xmp-extension")

    @staticmethod
    def extension_schemas(root: _Xml) -> dict[str, set[str]]:
        """Namespace → property names, from every ``pdfaSchema:namespaceURI`` of a
        pdfaExtension:schemas entry in the packet and its ``pdfaSchema:property``."""
        declared: dict[str, set[str]] = {}
        uri_key = (XMP["pdfaSchema"], "namespaceURI")
        for node in root.walk():
            uri = node.attrs.get(uri_key) or next(
                (kid.text.strip() for kid in node.kids if (kid.ns, kid.name) == uri_key), None)
            if not uri:
                continue
            names = declared.setdefault(uri, set())
            for kid in node.kids:
                if (kid.ns, kid.name) != (XMP["pdfaSchema"], "property"):
                    continue
                for item in kid.walk():
                    name = item.attrs.get((XMP["pdfaProperty"], "name"))
                    if name:
                        names.add(name.strip())
                    if (item.ns, item.name) == (XMP["pdfaProperty"], "name"):
                        names.add(item.text.strip())
        return declared

    # ---- catalogue and file

    def check_catalog(self) -> None:
        catalog = self.catalog
        header = re.search(rb"%PDF-(\d)\.(\d)", self.data[:1024])
        if header is None or (header[1], header[2]) > (b"1", b"7") or header[1] != b"1":
            version = header[0].decode() if header else "no %PDF-1.n"
            self.add(self.rule("ISO 14289-1 6.1", "6.1.2"), f"the file header is "
                     f"{version}, not %PDF-1.0 to %PDF-1.7", "header")
        if self.pdf.is_encrypted:
            if self.level:
                self.add(self.rule(a="6.1.3"), "the file is encrypted", "encrypt")
            elif self.ua and not self.pdf.allow.accessibility:
                self.add(self.rule("26-002"), "the file is encrypted without allowing "
                         "accessibility (bit 10 of /P)", "26-002")
        if self.level and not isinstance(self.pdf.trailer.get("/ID"), Array):
            self.add(self.rule(a="6.1.3"), "the file trailer has no /ID", "trailer-id")
        marked = catalog.get("/MarkInfo")
        marked = marked if isinstance(marked, Dictionary) else Dictionary()
        if marked.get("/Marked") is not True:
            self.add(self.rule("ISO 14289-1 6.2", "6.7.2.2", "a"), "the catalogue's "
                     "/MarkInfo does not say /Marked true", "markinfo")
        if marked.get("/Suspects") is True:
            self.add(self.rule("01-007"), "/MarkInfo /Suspects is true", "01-007")
        if self.ua:
            preferences = catalog.get("/ViewerPreferences")
            shown = preferences.get("/DisplayDocTitle") \
                if isinstance(preferences, Dictionary) else None
            if shown is None:
                self.add(self.rule("07-001"), "the catalogue's /ViewerPreferences has no "
                         "/DisplayDocTitle", "07-001")
            elif shown is not True:
                self.add(self.rule("07-002"), "/ViewerPreferences /DisplayDocTitle is "
                         "false", "07-001")
        language = catalog.get("/Lang")
        text = _text(language)
        if text is None:
            self.add(self.rule("11-006"), "the catalogue has no /Lang", "11-006")
        elif not (LANGUAGE.fullmatch(text) or (text == "" and not self.ua)):
            self.add(self.rule("11-006", "6.7.4", "a"), f"the catalogue's /Lang {text!r} "
                     "is not a language tag", "11-006")
        self.check_optional_content()

    def check_optional_content(self) -> None:
        properties = self.catalog.get("/OCProperties")
        if not isinstance(properties, Dictionary):
            return
        configs = [(properties.get("/D"), "20-002")] + [
            (config, "20-001") for config in _items(properties.get("/Configs"))]
        for config, condition in configs:
            if not isinstance(config, Dictionary):
                continue
            if not _text(config.get("/Name")):
                self.add(self.rule(condition, "6.9"), "an optional content configuration "
                         "has no /Name", number=_number(config))
            if "/AS" in config:
                self.add(self.rule("20-003", "6.9"), "an optional content configuration "
                         "has an /AS entry", number=_number(config))

    def check_output_intent(self) -> None:
        """PDF/A's output intent (ISO 19005-3, 6.2.3) and the device colours that
        need one (6.2.4.3)."""
        intents = [intent for intent in _items(self.catalog.get("/OutputIntents"))
                   if isinstance(intent, Dictionary)]
        profiles = [intent.get("/DestOutputProfile") for intent in intents
                    if intent.get("/S") == Name.GTS_PDFA1]
        if not profiles:
            if self.device_colour:
                self.add(self.rule(a="6.2.4.3"), "device colours are used and there is no "
                         "PDF/A output intent (/S /GTS_PDFA1)", "output-intent")
            return
        keys = {_key(profile) for profile in (intent.get("/DestOutputProfile")
                                              for intent in intents) if profile is not None}
        if len(keys) > 1:
            self.add(self.rule(a="6.2.3"), "the output intents name different "
                     "destination profiles")
        profile = profiles[0]
        if not isinstance(profile, Stream):
            self.add(self.rule(a="6.2.3"), "the PDF/A output intent has no ICC profile "
                     "(/DestOutputProfile)", "output-intent")
            return
        head = self.stream_bytes(profile, self.limits.stream)[:20]
        kind, space = head[12:16], head[16:20]
        if len(head) < 20 or kind not in (b"prtr", b"mntr") or \
                space not in (b"RGB ", b"CMYK", b"GRAY") or head[8] >= 5:
            self.add(self.rule(a="6.2.3"), "the output intent's ICC profile is not a v2 or "
                     "v4 printer or monitor profile of RGB, CMYK or grey",
                     number=_number(profile))

    # ---- structure

    def standard(self, kind: str) -> str | None:
        """The standard type ``kind`` maps to through the role map, or None (and the
        problem in :attr:`role_problems`)."""
        if kind in self.roles:
            return self.roles[kind]
        chain, current, result = [kind], kind, None
        while True:
            if current in STANDARD_TYPES and (current != kind or kind not in self.role_map):
                result = current
                break
            target = self.role_map.get(current)
            if target is None:
                self.role_problems[kind] = "unmapped"
                break
            if target in chain:
                self.role_problems[kind] = "cycle"
                break
            chain.append(target)
            current = target
            if target in STANDARD_TYPES:
                result = target
                break
        self.roles[kind] = result
        return result

    def check_structure(self) -> None:
        root = self.catalog.get("/StructTreeRoot")
        if not isinstance(root, Dictionary):
            self.add(self.rule("ISO 14289-1 7.1", "6.7.3.3", "a"), "the document has no "
                     "structure tree (/StructTreeRoot)", "struct-root")
            return
        if not self.tagged_profile:
            self.read_parent_tree(root)
            return
        role_map = root.get("/RoleMap")
        if isinstance(role_map, Dictionary):
            for key, value in role_map.items():
                if isinstance(value, Name):
                    self.role_map[key[1:]] = str(value)[1:]
            for kind in sorted(self.role_map):
                if kind in STANDARD_TYPES:
                    self.add(self.rule("02-004", "6.7.3.4", "a"), f"the standard type {kind}"
                             f" is mapped to {self.role_map[kind]} in the /RoleMap", "02-004")
        self.read_parent_tree(root)
        self.walk_structure(root)

    def read_parent_tree(self, root: Dictionary) -> None:
        tree = root.get("/ParentTree")
        if isinstance(tree, Dictionary):
            for key, value in self.tree(tree, "/Nums"):
                if _int(key) is not None:
                    self.parent_tree[key] = value

    def parent(self, key: Any) -> Any:
        """The parent tree's value for a /StructParent or /StructParents key, or None."""
        number = _int(key)
        return self.parent_tree.get(number) if number is not None else None

    def walk_structure(self, root: Dictionary) -> None:
        """Walk the structure tree from the root in document order, checking each
        element, its parent and its kids; then the rules over the whole tree."""
        ids = {bytes(key) for key, _value in self.tree(root.get("/IDTree"), "/Names")
               if isinstance(key, String)} if isinstance(root.get("/IDTree"), Dictionary) \
            else set()
        class_map = root.get("/ClassMap")
        headings: list[tuple[int, _Element]] = []
        notes: dict[bytes, list[_Element]] = {}
        tables: dict[Any, dict[str, list]] = {}
        used: dict[str, list[_Element]] = {}
        counter = 0
        # (node, parent key, parent's path, page, inside a Link, table key)
        stack: list[tuple[Any, Any, str, int | None, bool, Any]] = []
        root_key = _key(root)

        def push_kids(node: Any, key: Any, path: str, page: int | None, in_link: bool,
                      table: Any, standard: str | None) -> None:
            kids = _items(node.get("/K"))
            elements = [kid for kid in kids if isinstance(kid, Dictionary) and "/S" in kid]
            kinds = [_name(kid.get("/S")) or "?" for kid in elements]
            totals, running = Counter(kinds), Counter[str]()
            labelled = []
            for kid in kids:
                if isinstance(kid, Dictionary) and "/S" in kid:
                    kind = _name(kid.get("/S")) or "?"
                    running[kind] += 1
                    label = f"{kind}[{running[kind]}]" if totals[kind] > 1 else kind
                    labelled.append((kid, f"{path}/{label}" if path else label))
                else:
                    labelled.append((kid, path))
            if standard is not None:
                self.check_kids(standard, [self.standard(kind) for kind in kinds], path,
                                page, _number(node))
            for kid, kid_path in reversed(labelled):
                stack.append((kid, key, kid_path, page, in_link, table))

        push_kids(root, root_key, "", None, False, None, None)
        while stack:
            node, parent, path, page, in_link, table = stack.pop()
            if isinstance(node, int) and not isinstance(node, bool):
                if page is not None:
                    self.claim(page, node, parent)
                continue
            if not isinstance(node, Dictionary):
                continue
            kind_of = node.get("/Type")
            if kind_of == Name.MCR or ("/MCID" in node and "/S" not in node):
                own = self.page_of(node.get("/Pg")) or page
                mcid = _int(node.get("/MCID"))
                if mcid is not None and "/Stm" not in node and own is not None:
                    self.claim(own, mcid, parent)
                continue
            if kind_of == Name.OBJR or ("/Obj" in node and "/S" not in node):
                target = _key(node.get("/Obj"))
                if target is not None:
                    self.objr.setdefault(target, []).append(parent)
                continue
            if "/S" not in node:
                continue
            key: Any = _key(node)
            if key is None:
                counter += 1
                key = ("direct", counter)
            if key in self.elements:
                self.add(self.syntax("ISO 32000-1 14.7.2", tagged=True), "a structure "
                         "element is the kid of two elements", page=page, where=path,
                         number=_number(node))
                continue
            if len(self.elements) >= self.limits.elements:
                raise _Budget(f"more than {self.limits.elements:,} structure elements")
            kind = _name(node.get("/S")) or "?"
            standard = self.standard(kind)
            own_page = self.page_of(node.get("/Pg")) or page
            element = _Element(path, kind, standard, _number(node), own_page)
            self.elements[key] = element
            used.setdefault(kind, []).append(element)
            self.check_parent(node, parent, root_key, element)
            self.check_element(node, element, ids, class_map, in_link, table, tables)
            if standard and re.fullmatch(r"H[1-6]?", standard):
                headings.append((int(standard[1:] or 0), element))
            if standard == "Note":
                written = node.get("/ID")
                if isinstance(written, String) and bytes(written):
                    notes.setdefault(bytes(written), []).append(element)
                else:
                    self.add(self.rule("19-003"), "a Note has no /ID", "19-003",
                             page=own_page, where=path, number=element.number)
            for af in _items(node.get("/AF")):
                self.af_arrays.append((path, af))
            next_table = key if standard == "Table" else table
            push_kids(node, key, path, own_page, in_link or standard == "Link", next_table,
                      standard)
        self.check_roles(used)
        self.check_headings(headings)
        for note_id, elements in notes.items():
            if len(elements) > 1:
                for element in elements:
                    self.add(self.rule("19-004"), f"Notes share the /ID "
                             f"{note_id.decode('latin-1')!r}", "19-004", page=element.page,
                             where=element.path, number=element.number)
        self.check_tables(tables, ids)

    def page_of(self, page: Any) -> int | None:
        key = _key(page)
        return self.page_numbers.get(key) if key else None

    def claim(self, page: int, mcid: int, element: Any) -> None:
        self.claimed.setdefault((page, mcid), element)

    def check_parent(self, node: Dictionary, parent: Any, root_key: Any,
                     element: _Element) -> None:
        """Every element reachable from the root names the element holding it as its
        /P (ISO 32000-1, 14.7.2, Table 323; ISO 14289-1, 7.1)."""
        named = node.get("/P")
        if named is None:
            self.add(self.rule("ISO 14289-1 7.1", "ISO 32000-1 14.7.2", "a"),
                     f"the {element.kind} element has no /P (parent)", "parent-p",
                     page=element.page, where=element.path, number=element.number)
        elif _key(named) != parent or parent is None:
            if parent == root_key:
                holder = "the structure tree root"
            else:
                holder = f"its parent {self.elements[parent].kind}" \
                    if parent in self.elements else "its parent"
            self.add(self.syntax("ISO 32000-1 14.7.2", tagged=True),
                     f"the {element.kind} element's /P is object {_number(named)}, not "
                     f"{holder}", "parent-p", page=element.page, where=element.path,
                     number=element.number)

    def check_element(self, node: Dictionary, element: _Element, ids: set[bytes],
                      class_map: Any, in_link: bool, table: Any,
                      tables: dict[Any, dict[str, list]]) -> None:
        standard, where = element.standard, element.path
        place: dict[str, Any] = {"page": element.page, "where": where, "number": element.number}
        language = node.get("/Lang")
        if language is not None:
            text = _text(language)
            if text is None or not (LANGUAGE.fullmatch(text) or (text == "" and not self.ua)):
                self.add(self.rule("11-001", "6.7.4", "a"), f"the {element.kind} element's "
                         f"/Lang {text!r} is not a language tag", "11-001", **place)
        if standard in ("Figure", "Formula"):
            alt = _text(node.get("/Alt"))
            if not alt and node.get("/ActualText") is None:
                self.add(self.rule("13-004" if standard == "Figure" else "17-002"),
                         f"a {standard} has no /Alt text and no /ActualText", "13-004",
                         **place)
        if standard == "Link" and in_link:
            self.add(self.rule("09-002"), "a Link element is inside another Link", "09-002",
                     **place)
        if standard in ("TH", "TD") and table is not None:
            cells = tables.setdefault(table, {"th": [], "headers": []})
            headers = self.attribute(node, class_map, "/Table", "/Headers")
            if headers is not None:
                cells["headers"].append((element, [bytes(item) for item in _items(headers)
                                                   if isinstance(item, String)]))
            elif standard == "TH" and self.attribute(node, class_map, "/Table",
                                                     "/Scope") is None:
                cells["th"].append(element)

    @staticmethod
    def attribute(node: Dictionary, class_map: Any, owner: str, key: str) -> Any:
        """An attribute of ``owner`` (e.g. /Table) from the element's /A or its classes
        (/C through the /ClassMap), or None (ISO 32000-1, 14.7.5)."""
        holders = _items(node.get("/A"))
        if isinstance(class_map, Dictionary):
            for name in _items(node.get("/C")):
                if isinstance(name, Name):
                    holders += _items(class_map.get(str(name)))
        for holder in holders:
            if isinstance(holder, Dictionary) and holder.get("/O") == Name(owner) \
                    and key in holder:
                return holder[key]
        return None

    def check_kids(self, standard: str, kinds: list[str | None], path: str,
                   page: int | None, number: int | None) -> None:
        """The syntax of grouping elements (ISO 32000-1, Tables 333, 336-338): which
        kids a type may hold, which parent a kid needs, and where a Caption goes."""
        place: dict[str, Any] = {"page": page, "where": path or "the structure tree root",
                                 "number": number}
        allowed, condition = KIDS.get(standard, (None, ""))
        if allowed is not None:
            wrong = sorted({kind or "a non-standard type" for kind in kinds
                            if kind not in allowed})
            if wrong:
                self.add(self.rule(condition), f"a {standard} holds {', '.join(wrong)}",
                         f"a {standard} may hold only {', '.join(sorted(allowed))}", **place)
            captions = [index for index, kind in enumerate(kinds) if kind == "Caption"]
            edges = {0, len(kinds) - 1} if standard == "Table" else {0}
            if any(index not in edges for index in captions) or len(captions) > 1:
                self.add(self.rule(condition), f"a {standard}'s Caption is not its "
                         + ("first or last" if standard == "Table" else "first") + " kid",
                         **place)
        if standard == "Table":
            if kinds.count("THead") > 1 or kinds.count("TFoot") > 1:
                self.add(self.rule("09-004"), "a Table holds more than one THead or TFoot",
                         **place)
            if ("THead" in kinds or "TFoot" in kinds) and "TBody" not in kinds:
                self.add(self.rule("09-004"), "a Table with a THead or TFoot has no TBody",
                         **place)
        if kinds.count("H") > 1:
            self.add(self.rule("14-006"), f"a {standard} holds {kinds.count('H')} H "
                     "elements", "14-006", **place)
        for kind in set(kinds):
            if kind in PARENTS and standard not in PARENTS[kind][0]:
                parents, condition = PARENTS[kind]
                self.add(self.rule(condition), f"a {kind} is inside a {standard}, not "
                         f"{' or '.join(sorted(parents))}", f"put each {kind} in "
                         f"{' or '.join(sorted(parents))}", **place)

    def check_roles(self, used: dict[str, list[_Element]]) -> None:
        for kind, elements in used.items():
            problem = self.role_problems.get(kind)
            if problem is None:
                continue
            first = elements[0]
            if problem == "cycle":
                self.add(self.rule("02-003", "6.7.3.4", "a"), f"the /RoleMap maps {kind} in a "
                         f"cycle ({len(elements)} elements)", "02-003", page=first.page,
                         where=first.path, number=first.number)
            else:
                self.add(self.rule("02-001", "6.7.3.4", "a"), f"the type {kind} is not "
                         f"standard and the /RoleMap maps it to no standard type "
                         f"({len(elements)} elements)", "02-001", page=first.page,
                         where=first.path, number=first.number)

    def check_headings(self, headings: list[tuple[int, _Element]]) -> None:
        """Numbered headings in document order (ISO 14289-1, 7.4.2, 7.4.4)."""
        numbered = [(level, element) for level, element in headings if level]
        if numbered and len(numbered) < len(headings):
            element = next(element for level, element in headings if not level)
            self.add(self.rule("14-007"), "the document uses both H and H1-H6", "14-007",
                     page=element.page, where=element.path, number=element.number)
        previous = None
        for level, element in numbered:
            place: dict[str, Any] = {"page": element.page, "where": element.path,
                                     "number": element.number}
            if previous is None and level != 1:
                self.add(self.rule("14-002"), f"the first heading is H{level}, not H1",
                         "14-002", **place)
            elif previous is not None and level > previous + 1:
                self.add(self.rule("14-003"), f"H{level} follows H{previous}: heading "
                         f"level {previous + 1} is skipped", "14-003", **place)
            previous = level

    def check_tables(self, tables: dict[Any, dict[str, list]], ids: set[bytes]) -> None:
        """Table headers (ISO 14289-1, 7.5): a table without /Headers needs /Scope on
        every TH; every /Headers ID names an element of the /IDTree."""
        for cells in tables.values():
            if not cells["headers"]:
                for element in cells["th"]:
                    self.add(self.rule("15-003"), "a TH has no /Scope and its table uses no "
                             "/Headers", "15-003", page=element.page, where=element.path,
                             number=element.number)
            for element, names in cells["headers"]:
                missing = [name.decode("latin-1") for name in names if name not in ids]
                if missing:
                    self.add(self.rule("15-005"), f"the cell's /Headers name IDs no element "
                             f"has: {_listing(missing)}", "15-005", page=element.page,
                             where=element.path, number=element.number)

    # ---- pages: annotations and content

    def check_pages(self) -> None:
        for index, page in enumerate(self.pages, start=1):
            try:
                if self.ua:
                    self.check_annotations(page.obj, index)
                self.check_content(page.obj, index)
            except _Budget as exc:
                self.skip(f"page {index} and after", exc)
                break
            except Exception as exc:  # noqa: BLE001 — a damaged page
                self.skip(f"page {index}", exc)
        if self.tagged_profile:
            self.check_claims()
        if self.ua:
            for key in sorted(key for key in self.form_mcids if self.form_uses[key] > 1):
                self.add(self.rule("30-002"), f"a form XObject with MCIDs is drawn "
                         f"{self.form_uses[key]} times", "30-002", number=key[0])
        if self.level:
            self.check_output_intent()

    def inherited(self, page: Dictionary, key: str) -> Any:
        """A page attribute, from the page or the nearest /Pages node that has it
        (ISO 32000-1, 7.7.3.4)."""
        node: Any = page
        steps = 0
        while isinstance(node, Dictionary) and steps < self.limits.depth:
            if key in node:
                return node[key]
            node, steps = node.get("/Parent"), steps + 1
        return None

    def check_annotations(self, page: Dictionary, index: int) -> None:
        annotations = [a for a in _items(page.get("/Annots")) if isinstance(a, Dictionary)]
        if not annotations:
            return
        tabs = page.get("/Tabs")
        if tabs is None:
            self.add(self.rule("28-008"), "a page with annotations has no /Tabs", "28-008",
                     page=index)
        elif tabs != Name.S:
            self.add(self.rule("28-009"), f"a page with annotations has /Tabs {tabs}, not "
                     "/S", "28-008", page=index)
        crop = self.inherited(page, "/CropBox") or self.inherited(page, "/MediaBox")
        for annotation in annotations:
            subtype = _name(annotation.get("/Subtype")) or "?"
            flags = _int(annotation.get("/F")) or 0
            if flags & 2 or self.outside(annotation.get("/Rect"), crop):
                continue  # hidden, or off the page: not presented (veraPDF's reading)
            number = _number(annotation)
            place: dict[str, Any] = {"page": index, "number": number}
            if subtype == "TrapNet":
                self.add(self.rule("28-007"), "a TrapNet annotation", **place)
                continue
            key = _key(annotation)
            parent = self.parent(annotation.get("/StructParent"))
            element = self.elements.get(_key(parent)) if parent is not None else None
            if subtype == "PrinterMark":
                if parent is not None:
                    self.add(self.rule("28-017"), "a PrinterMark annotation is in the "
                             "structure tree", "28-017", **place)
                continue
            needed, condition = {"Link": ("Link", "28-011"), "Widget": ("Form", "28-010"),
                                 "Popup": (None, "")}.get(subtype, ("Annot", "28-002"))
            where = element.path if element else ""
            if needed is not None:
                if element is None:
                    why = "has no /StructParent" if "/StructParent" not in annotation else \
                        "is mapped by the parent tree to no element of the structure tree"
                    self.add(self.rule(condition), f"a {subtype} annotation {why}",
                             condition, **place)
                elif element.standard != needed:
                    self.add(self.rule(condition), f"a {subtype} annotation is tagged as "
                             f"{element.kind}, not {needed}", condition, where=where, **place)
                elif key is not None and _key(parent) not in self.objr.get(key, []):
                    self.add(self.rule("ISO 32000-1 14.7.4.4"), f"the {element.kind} element "
                             f"the annotation's /StructParent names has no OBJR for it",
                             "parent-tree", where=where, **place)
            contents = _text(annotation.get("/Contents"))
            if subtype == "Link" and not contents:
                self.add(self.rule("28-012"), "a Link annotation has no /Contents", "28-012",
                         where=where, **place)
            elif subtype not in ("Link", "Widget", "Popup") and not contents and not (
                    parent is not None and _text(parent.get("/Alt"))):
                self.add(self.rule("28-004"), f"a {subtype} annotation has no /Contents and "
                         "its element no /Alt", "28-004", where=where, **place)

    @staticmethod
    def outside(rect: Any, crop: Any) -> bool:
        try:
            x0, y0, x1, y1 = (float(value) for value in rect)
            c0, d0, c1, d1 = (float(value) for value in crop)
        except (TypeError, ValueError):
            return False
        return min(x0, x1) > max(c0, c1) or max(x0, x1) < min(c0, c1) or \
            min(y0, y1) > max(d0, d1) or max(y0, y1) < min(d0, d1)

    def check_content(self, page: Dictionary, index: int) -> None:
        resources = self.inherited(page, "/Resources")
        resources = resources if isinstance(resources, Dictionary) else Dictionary()
        operations = self.operations(_items(page.get("/Contents")))
        mapping = self.parent(page.get("/StructParents"))
        tally = self.walk(operations, resources, index, "none", mapping, 0)
        self.walked.add(index)
        self.walk_appearances(page, index)
        for holder in [page] + [a for a in _items(page.get("/Annots"))
                                if isinstance(a, Dictionary)]:
            for af in _items(holder.get("/AF")):
                self.af_arrays.append((f"page {index}", af))
        if not self.tagged_profile:
            return
        if tally.bare:
            operators = "1 operator" if tally.bare == 1 else f"{tally.bare} operators"
            self.add(self.rule("01-005"), f"content is neither an Artifact nor tagged "
                     f"({operators}, the first: {tally.first})", "01-005", page=index)
        if tally.unmapped or tally.orphaned:
            text = []
            if tally.unmapped:
                text.append(f"{_mcids(tally.unmapped)} in no parent tree entry of the page")
            if tally.orphaned:
                text.append(f"{_mcids(tally.orphaned)} mapped by the parent tree to "
                            "elements the structure tree does not hold")
            self.add(self.rule("01-005", "ISO 32000-1 14.7.4.4", "a"), "; ".join(text),
                     "parent-tree", page=index)

    def walk_appearances(self, page: Dictionary, index: int) -> None:
        """The normal appearances (``/AP /N``, ISO 32000-1 12.5.5) of the page's shown
        annotations, walked as form XObjects for their fonts and images: the fonts
        of everything rendered must be embedded, an annotation's appearance too
        (ISO 19005-3 6.2.11.4.1, 6.3.3; ISO 14289-1 7.21.4.1). Their content is the
        annotation's, tagged by its structure element (an OBJR, ISO 32000-1
        14.7.4.4), so it is neither page content to tag nor an Artifact."""
        for annotation in _items(page.get("/Annots")):
            if not isinstance(annotation, Dictionary) or (_int(annotation.get("/F")) or 0) & 2:
                continue
            shown = annotation.get("/AP")
            normal = shown.get("/N") if isinstance(shown, Dictionary) else None
            states = [normal] if isinstance(normal, Stream) else \
                list(normal.values()) if isinstance(normal, Dictionary) else []
            for appearance in states:
                if isinstance(appearance, Stream):
                    self.draw(appearance, index, "annotation", 0, _Tally())

    def walk(self, operations: list, resources: Dictionary, page: int, context: str,
             mapping: Any, depth: int) -> _Tally:
        """Walk one content stream's operations: marked content and what is drawn
        inside it (ISO 32000-1, 14.6, 14.7.4.2; ISO 14289-1, 7.1), the fonts and the
        codes they show, images and form XObjects (each form once per context)."""
        tally = _Tally()
        marks: list[tuple[bool, str]] = []  # (an Artifact, "tagged"/"unmapped"/"")
        # context: "none", "artifact", "tagged", "unmapped" (an MCID of no element), or
        # "annotation" (an annotation's appearance, tagged by its structure element)
        artifacts = 0
        font: _Font | None = None
        mode = 0
        states: list[tuple[_Font | None, int]] = []
        fonts = resources.get("/Font")
        xobjects = resources.get("/XObject")
        properties = resources.get("/Properties")
        for position, instruction in enumerate(operations, start=1):
            operator = str(instruction.operator)
            operands = instruction.operands
            if operator in ("BDC", "BMC"):
                tag = _name(operands[0]) if operands else None
                props = operands[1] if operator == "BDC" and len(operands) > 1 else None
                if isinstance(props, Name) and isinstance(properties, Dictionary):
                    props = properties.get(str(props))
                mcid = _int(props.get("/MCID")) if isinstance(props, Dictionary) else None
                inside_tagged = context == "tagged" or any(state for _a, state in marks)
                inside_artifact = context == "artifact" or artifacts > 0
                if tag == "Artifact":
                    if inside_tagged and self.ua:
                        self.add(self.rule("01-003"), "an Artifact sequence is inside "
                                 "tagged content", "01-003", page=page)
                    if not marks:
                        tally.artifacts = True
                    artifacts += 1
                    marks.append((True, ""))
                    continue
                state = ""
                if mcid is not None:
                    tally.mcids = True
                    if inside_artifact and self.ua:
                        self.add(self.rule("01-004"), f"tagged content (MCID {mcid}) is "
                                 "inside an Artifact sequence", "01-004", page=page)
                    state = self.mcid_state(mcid, mapping, page, tally, depth)
                if isinstance(props, Dictionary) and "/Lang" in props and self.tagged_profile:
                    text = _text(props.get("/Lang"))
                    if not (text and LANGUAGE.fullmatch(text)):
                        self.add(self.rule("11-001", "6.7.4", "a"), f"a marked-content "
                                 f"/Lang {text!r} is not a language tag", "11-001", page=page)
                marks.append((False, state))
                continue
            if operator == "EMC":
                if marks:
                    artifact, _state = marks.pop()
                    artifacts -= artifact
                continue
            if operator == "q":
                states.append((font, mode))
                continue
            if operator == "Q":
                if states:
                    font, mode = states.pop()
                continue
            if operator == "Tf":
                font = self.font(fonts.get(str(operands[0]))) \
                    if operands and isinstance(fonts, Dictionary) and \
                    isinstance(operands[0], Name) else None
                continue
            if operator == "Tr":
                mode = (_int(operands[0]) if operands else 0) or 0
                continue
            if operator in DEVICE_COLOUR_OPERATORS or (
                    operator in ("cs", "CS") and operands and str(operands[0]) in DEVICE_SPACES):
                self.device_colour = True
                continue
            # what remains draws: text, paths, shadings, images, forms; content in an
            # MCID the parent tree does not map ("unmapped") is reported by its MCID
            state = "artifact" if context == "artifact" or artifacts else next(
                (state for _a, state in reversed(marks) if state), context)
            target = None
            if operator == "Do":
                name = str(operands[0]) if operands else ""
                target = xobjects.get(name) if isinstance(xobjects, Dictionary) else None
            if state == "none" and not (isinstance(target, Stream)
                                        and target.get("/Subtype") == Name.Form):
                tally.bare += 1  # a form's content counts, not the Do that draws it
                tally.first = tally.first or f"{operator} #{position}"
            if operator in TEXT_OPERATORS:
                if font is not None:
                    self.show(font, operands, page, mode)
            elif operator == "Do":
                self.draw(target, page, state, depth, tally)
            elif operator == "INLINE IMAGE":
                image = instruction.iimage.obj
                if self.level and (image.get("/Interpolate") is True or image.get("/I") is True):
                    self.add(self.rule(a="6.2.8"), "an inline image has /Interpolate true",
                             "interpolate", page=page)
                if str(image.get("/ColorSpace")) in DEVICE_SPACES:
                    self.device_colour = True
        return tally

    def mcid_state(self, mcid: int, mapping: Any, page: int, tally: _Tally,
                   depth: int) -> str:
        """Whether an MCID of the page's content is tagged: the parent tree maps it to
        an element in the structure tree that claims it back (ISO 32000-1, 14.7.4.4)."""
        if depth == 0:
            self.mcids_shown.setdefault(page, set()).add(mcid)
        if not self.tagged_profile:
            return "tagged"
        target = mapping[mcid] if isinstance(mapping, Array) and mcid < len(mapping) else None
        if not isinstance(target, Dictionary):
            tally.unmapped.add(mcid)
            return "unmapped"
        key = _key(target)
        if key not in self.elements:
            tally.orphaned.add(mcid)
            return "unmapped"
        if depth == 0 and self.claimed.get((page, mcid)) != key:
            element = self.elements[key]
            self.add(self.syntax("ISO 32000-1 14.7.4.4", tagged=True), f"the parent tree "
                     f"maps MCID {mcid} "
                     f"to the {element.kind} element, which does not list it (with this "
                     "page) in its /K", "parent-tree", page=page, where=element.path,
                     number=element.number)
        return "tagged"

    def draw(self, target: Any, page: int, state: str, depth: int, tally: _Tally) -> None:
        """A ``Do``: an image's dictionary, or a form XObject's content, walked once
        for each context it is drawn in."""
        if not isinstance(target, Stream):
            return
        subtype = target.get("/Subtype")
        key = _key(target)
        if subtype == Name.Image:
            self.image(target, page)
            return
        if subtype == Name.PS:
            self.add(self.rule(a="6.2.9"), "a PostScript XObject", page=page,
                     number=_number(target))
            return
        if subtype != Name.Form:
            return
        if "/Ref" in target:
            self.add(self.rule("30-001", "6.2.9"), "a reference XObject", "30-001",
                     page=page, number=_number(target))
        if depth >= self.limits.depth:
            raise _Budget(f"form XObjects drawn more than {self.limits.depth} deep")
        context = state
        self.form_uses[key] += 1
        memo = (key, context) if key is not None else None
        inner = self.forms.get(memo) if memo is not None else None
        if inner is None:
            resources = target.get("/Resources")
            resources = resources if isinstance(resources, Dictionary) else Dictionary()
            mapping = self.parent(target.get("/StructParents"))
            inner = self.walk(self.operations([target]), resources, page, context, mapping,
                              depth + 1)
            if memo is not None:
                self.forms[memo] = inner
        if inner.mcids and key is not None:
            self.form_mcids.add(key)
        if context == "none" and inner.bare:
            tally.bare += inner.bare
            tally.first = tally.first or (f"in a form XObject (object {_number(target)})"
                                          if inner.bare else "")
        tally.unmapped |= inner.unmapped
        tally.orphaned |= inner.orphaned
        if self.ua and context == "tagged" and inner.artifacts:
            self.add(self.rule("01-003"), "a form XObject drawn in tagged content holds an "
                     "Artifact sequence", "01-003", page=page, number=_number(target))
        if self.ua and context == "artifact" and inner.mcids:
            self.add(self.rule("01-004"), "a form XObject drawn in an Artifact holds tagged "
                     "content", "01-004", page=page, number=_number(target))

    def image(self, image: Stream, page: int) -> None:
        key = _key(image)
        if key in self.images:
            return
        self.images.add(key)
        if str(image.get("/ColorSpace")) in DEVICE_SPACES:
            self.device_colour = True
        if not self.level:
            return
        for one, what in ((image, "an image"), (image.get("/SMask"), "an image's soft mask")):
            if isinstance(one, Stream) and one.get("/Interpolate") is True:
                self.add(self.rule(a="6.2.8"), f"{what} has /Interpolate true",
                         "interpolate", page=page, number=_number(one))
        if "/Alternates" in image or "/OPI" in image:
            self.add(self.rule(a="6.2.8"), "an image has /Alternates or /OPI", page=page,
                     number=_number(image))

    # ---- fonts

    def font(self, obj: Any) -> _Font | None:
        if not isinstance(obj, Dictionary):
            return None
        key = _key(obj) or ("direct", str(obj.get("/BaseFont")))
        found = self.fonts.get(key)
        if found is None:
            name = _name(obj.get("/BaseFont")) or _name(obj.get("/Name")) or "(unnamed)"
            found = self.fonts[key] = _Font(name, _number(obj), obj)
            found.decoder = self.decoder(obj)
        return found

    def decoder(self, font: Dictionary) -> Any:
        """How a font's strings split into codes: 1 (simple fonts), 2 (Identity-H/V),
        or codespace ranges from the font's embedded CMap or its ToUnicode CMap."""
        if font.get("/Subtype") != Name.Type0:
            return 1
        encoding = font.get("/Encoding")
        if isinstance(encoding, Name) and str(encoding) in ("/Identity-H", "/Identity-V"):
            return 2
        for cmap in (encoding, font.get("/ToUnicode")):
            if isinstance(cmap, Stream):
                spaces = _CMap(self.stream_bytes(cmap, self.limits.stream)).spaces
                if spaces:
                    return sorted(spaces)
        return 2

    def show(self, font: _Font, operands: Any, page: int, mode: int) -> None:
        for operand in operands:
            if isinstance(operand, String):
                font.codes.update(_codes(bytes(operand), font.decoder))
            elif isinstance(operand, Array):
                for item in operand:
                    if isinstance(item, String):
                        font.codes.update(_codes(bytes(item), font.decoder))
        font.pages.add(page)
        font.rendered = font.rendered or mode != 3

    def check_fonts(self) -> None:
        for font in self.fonts.values():
            try:
                self.check_font(font)
            except Exception as exc:  # noqa: BLE001 — a damaged font, or a limit
                self.skip(f"the font {font.name}", exc)

    def check_font(self, font: _Font) -> None:
        """Embedding (ISO 14289-1, 7.21.4.1; ISO 19005-3, 6.2.11.4.1), the Unicode of
        every code shown (7.21.7; 6.2.11.7.2), .notdef (7.21.8; 6.2.11.8) and the
        CIDToGIDMap of a TrueType CIDFont (7.21.3.2; 6.2.11.3.2)."""
        obj, codes = font.obj, font.codes
        if not codes:
            return
        pages = sorted(font.pages)
        place: dict[str, Any] = {"page": pages[0], "number": font.number}
        on = f"font {font.name} (shown on pages {_listing(pages)})" if len(pages) > 1 else \
            f"font {font.name}"
        subtype = obj.get("/Subtype")
        descendant = obj
        if subtype == Name.Type0:
            kids = obj.get("/DescendantFonts")
            descendant = kids[0] if isinstance(kids, Array) and len(kids) else Dictionary()
        descriptor = descendant.get("/FontDescriptor")
        descriptor = descriptor if isinstance(descriptor, Dictionary) else Dictionary()
        embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
        if subtype != Name.Type3 and not embedded and font.rendered:
            self.add(self.rule("31-009", "6.2.11.4.1"), f"the {on} is not embedded",
                     "31-009", **place)
        gids = None
        if descendant.get("/Subtype") == Name.CIDFontType2 and embedded:
            mapping = descendant.get("/CIDToGIDMap")
            if mapping is None:
                self.add(self.rule("31-005", "6.2.11.3.2"), f"the {on} has no /CIDToGIDMap",
                         "31-005", **place)
            elif isinstance(mapping, Stream):
                gids = self.stream_bytes(mapping, self.limits.stream)
            elif mapping != Name.Identity:
                self.add(self.rule("31-004", "6.2.11.3.2"), f"the {on}'s /CIDToGIDMap is "
                         "neither a stream nor /Identity", "31-005", **place)
        if subtype == Name.Type0 and font.decoder == 2:
            notdef = sorted(code for code in codes if code == 0 or (
                gids is not None and (2 * code + 1 >= len(gids)
                                      or gids[2 * code] == gids[2 * code + 1] == 0)))
            if notdef:
                self.add(self.rule("31-030", "6.2.11.8"), f"the {on} shows codes that "
                         f"select the .notdef glyph: {_listing([f'<{c:04X}>' for c in notdef])}",
                         "31-030", **place)
        self.check_unicode(font, on, place, subtype, descendant, descriptor)

    def check_unicode(self, font: _Font, on: str, place: dict, subtype: Any,
                      descendant: Dictionary, descriptor: Dictionary) -> None:
        rule_missing = self.rule("31-027", "6.2.11.7.2", "au")
        rule_codes = self.rule("10-001", "6.2.11.7.2", "au")
        if rule_missing is None:
            return
        obj = font.obj
        to_unicode = obj.get("/ToUnicode")
        fallback = self.encoding_unicode(obj, subtype, descendant, descriptor)
        if not isinstance(to_unicode, Stream):
            if fallback is None:
                self.add(rule_missing, f"the {on} has no ToUnicode CMap", "31-027", **place)
                return
            missing = sorted(code for code in font.codes if not fallback(code))
            cmap = None
        else:
            cmap = _CMap(self.stream_bytes(to_unicode, self.limits.stream))
            missing = sorted(code for code in font.codes if cmap.unicode(code) is None
                             and not (fallback and fallback(code)))
        width = 4 if font.decoder != 1 else 2
        if missing:
            self.add(rule_codes, f"the {on} shows {len(missing)} codes with no Unicode "
                     f"value: {_listing([f'<{code:0{width}X}>' for code in missing])}",
                     "10-001", **place)
        if cmap is not None:
            for bad, condition in (("\x00", "31-028"), ("\ufeff", "31-029"),
                                   ("\ufffe", "31-029")):
                codes = sorted(code for code in font.codes
                               if bad in (cmap.unicode(code) or ""))
                if codes:
                    self.add(self.rule(condition, "6.2.11.7.2", "au"), f"the {on}'s "
                             f"ToUnicode CMap maps {_listing([f'<{c:0{width}X}>' for c in codes])}"
                             f" to U+{ord(bad):04X}", "31-028", **place)

    @staticmethod
    def encoding_unicode(obj: Dictionary, subtype: Any, descendant: Dictionary,
                         descriptor: Dictionary) -> Any:
        """How the font maps codes to Unicode without a ToUnicode CMap, when it may
        (ISO 14289-1, 7.21.7; ISO 19005-3, 6.2.11.7.2): a standard encoding (with
        glyph names of the Adobe Glyph List in /Differences), a non-symbolic TrueType
        font, a CIDFont of the Adobe CJK collections; else None."""
        from fontTools.agl import toUnicode

        if subtype == Name.Type0:
            info = descendant.get("/CIDSystemInfo")
            if isinstance(info, Dictionary) and _text(info.get("/Registry")) == "Adobe" and \
                    _text(info.get("/Ordering")) in CJK_COLLECTIONS:
                return lambda code: True
            return None
        flags = _int(descriptor.get("/Flags")) or 0
        if subtype == Name.TrueType and not flags & 4:
            return lambda code: True
        encoding = obj.get("/Encoding")
        base = encoding.get("/BaseEncoding") if isinstance(encoding, Dictionary) else encoding
        differences: dict[int, str] = {}
        if isinstance(encoding, Dictionary):
            code = 0
            for item in _items(encoding.get("/Differences")):
                if _int(item) is not None:
                    code = item
                elif isinstance(item, Name):
                    differences[code] = str(item)[1:]
                    code += 1
        standard = str(base) in ("/WinAnsiEncoding", "/MacRomanEncoding",
                                 "/MacExpertEncoding")
        if not standard and not differences:
            return None
        return lambda code: bool(toUnicode(differences[code])) if code in differences \
            else standard

    def check_claims(self) -> None:
        """Every MCID an element claims on a page is on that page (ISO 32000-1,
        14.7.4.2): an element naming content that is not there reads as nothing."""
        missing: dict[int, list[int]] = {}
        for page, mcid in self.claimed:
            if page in self.walked and mcid not in self.mcids_shown.get(page, set()):
                missing.setdefault(page, []).append(mcid)
        for page, mcids in sorted(missing.items()):
            self.add(self.syntax("ISO 32000-1 14.7.4.4", tagged=True), f"structure "
                     f"elements list {_mcids(mcids, verb=False)} of the page, which its "
                     "content does not have", "parent-tree", page=page)

    # ---- embedded files

    def check_embedded(self) -> None:
        names = self.catalog.get("/Names")
        tree = names.get("/EmbeddedFiles") if isinstance(names, Dictionary) else None
        specs: list[tuple[str, Any]] = []
        if isinstance(tree, Dictionary):
            entries = self.tree(tree, "/Names")
            self.check_name_tree(tree, entries)
            specs = [(_text(key) or "?", value) for key, value in entries]
        for af in _items(self.catalog.get("/AF")):
            self.af_arrays.insert(0, ("the catalogue", af))
        catalogue_af = _items(self.catalog.get("/AF"))
        associated = set()
        for _where, af in self.af_arrays:
            associated.add(_key(af))
        seen: Counter = Counter(_key(spec) for spec in catalogue_af if _key(spec))
        for key, count in seen.items():
            if count > 1 and self.level:
                spec = next(spec for spec in catalogue_af if _key(spec) == key)
                self.add(self.rule(a="6.8"), f"the catalogue's /AF lists the file "
                         f"specification of {self.spec_name(spec)!r} {count} times", "af",
                         number=key[0])
        described = {_key(spec) for _name_, spec in specs}
        extra = [(self.spec_name(spec), spec) for spec in catalogue_af
                 if _key(spec) not in described]
        for name, spec in specs + extra:
            self.check_spec(name, spec, _key(spec) in associated)

    @staticmethod
    def spec_name(spec: Any) -> str:
        if not isinstance(spec, Dictionary):
            return "?"
        return _text(spec.get("/UF")) or _text(spec.get("/F")) or "?"

    def check_name_tree(self, root: Dictionary, entries: list[tuple[Any, Any]]) -> None:
        """A name tree's keys are in lexical order, and each found by a lookup that
        follows /Limits and halves the sorted arrays, as a reader's does (ISO
        32000-1, 7.9.6)."""
        keys = [bytes(key) for key, _value in entries if isinstance(key, String)]
        disorder = next(((a, b) for a, b in zip(keys, keys[1:]) if a >= b), None)
        lost = [key for key, value in entries if isinstance(key, String)
                and _key(self.lookup(root, bytes(key), 0)) != _key(value)]
        if disorder or lost:
            what = f"{disorder[1].decode('latin-1')!r} comes after " \
                f"{disorder[0].decode('latin-1')!r}" if disorder else "its /Limits are wrong"
            found = f"; {len(lost)} of {len(keys)} files cannot be found by name" \
                if lost else ""
            self.add(self.syntax("ISO 32000-1 7.9.6"), f"the /EmbeddedFiles name tree is not "
                     f"in lexical order: {what}{found}", "name-tree", number=_number(root))

    def lookup(self, node: Any, key: bytes, depth: int) -> Any:
        if not isinstance(node, Dictionary) or depth > self.limits.depth:
            return None
        names = node.get("/Names")
        if isinstance(names, Array):
            low, high = 0, len(names) // 2 - 1
            while low <= high:
                middle = (low + high) // 2
                item = names[2 * middle]
                found = bytes(item) if isinstance(item, String) else b""
                if found == key:
                    return names[2 * middle + 1]
                low, high = (middle + 1, high) if found < key else (low, middle - 1)
            return None
        for kid in _items(node.get("/Kids")):
            limits = kid.get("/Limits") if isinstance(kid, Dictionary) else None
            if isinstance(limits, Array) and len(limits) == 2 and all(
                    isinstance(limit, String) for limit in limits) and \
                    bytes(limits[0]) <= key <= bytes(limits[1]):
                return self.lookup(kid, key, depth + 1)
        return None

    def check_spec(self, name: str, spec: Any, associated: bool) -> None:
        """An embedded file's specification (ISO 19005-3, 6.8; ISO 14289-1, 7.11)."""
        if not isinstance(spec, Dictionary):
            return
        number = _number(spec)
        files = spec.get("/EF")
        if isinstance(files, Dictionary) and (spec.get("/F") is None
                                              or spec.get("/UF") is None):
            self.add(self.rule("21-001", "6.8"), f"the file specification of {name!r} lacks "
                     "/F or /UF", "21-001", number=number)
        if not self.level:
            return
        if not isinstance(spec.get("/AFRelationship"), Name):
            self.add(self.rule(a="6.8"), f"the file specification of {name!r} has no "
                     "/AFRelationship", "afrelationship", number=number)
        if not associated:
            self.add(self.rule(a="6.8"), f"the embedded file {name!r} is in no /AF array "
                     "(not associated with the document)", "af", number=number)
        stream = (files.get("/UF") or files.get("/F")) if isinstance(files, Dictionary) \
            else None
        if not isinstance(stream, Stream):
            return
        subtype = _name(stream.get("/Subtype"))
        if not subtype or not MIME_TYPE.fullmatch(subtype):
            self.add(self.rule(a="6.8"), f"the embedded file {name!r} has no MIME type "
                     "(/Subtype)", "subtype", number=_number(stream))
        params = stream.get("/Params")
        if not (isinstance(params, Dictionary) and _text(params.get("/ModDate"))):
            self.add(self.rule(a="6.8"), f"the embedded file {name!r} has no /Params "
                     "/ModDate", "moddate", number=_number(stream))
