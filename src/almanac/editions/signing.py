"""Signed editions: a PAdES baseline signature on the archival PDF, and reading it back.

An edition is signed with pyHanko as an incremental update (ISO 32000-1, 7.5.6): the
bytes as published stay in front, untouched, and the signature's revision is appended,
so removing it (:func:`unsigned_revision`) gives back the unsigned file, which a
rebuild from the embedded sources reproduces byte for byte. The signature is a CMS
detached signature with ``/SubFilter /ETSI.CAdES.detached`` and SHA-256 (ETSI EN 319
142-1, PAdES baseline B-B; B-T when a timestamp authority stamps it, RFC 3161).

The file stays PDF/A-3 and PDF/UA-1: the signature field's widget is invisible (a
zero rectangle, ISO 19005-3 6.3.3 asks no appearance of it) with the Print flag set and
no Hidden or NoView flag (6.3.2); the ``/ByteRange`` covers the whole file but the
``/Contents`` hex string (6.4.3, ISO 32000-1 12.8.1); the document's metadata (the
Info dictionary and the XMP packet) is left as published, so the two stay in step
(6.6.2.3, 6.6.3); and the widget is tagged in a ``Form`` structure element holding an
object reference to it, with ``/StructParent`` and a ``/TU`` description (PDF/UA-1
7.18.1, 7.18.4; Matterhorn 28-010).

A visible signature (:class:`SignatureBox`, :class:`Appearance`) puts the same widget
in a box on a page, its normal appearance (``/AP /N``, ISO 32000-1 12.5.5) a form
XObject saying who signed and when, set in a brand font that pyHanko embeds as an
OpenType subset (a ``Type0`` font with ``/FontFile2`` or ``/FontFile3`` and a
``/ToUnicode`` map: ISO 19005-3 6.2.11.4.1, 6.2.11.7.2), on an opaque white ground
with no transparency; the page gets ``/Tabs /S`` if it lacks it (PDF/UA-1 7.18.3).
"""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from ..errors import Problem, ReportError
from ..project.signaturebox import DEFAULT_BOX_MARGINS, DEFAULT_BOX_SIZE, MM, SignatureBox

PASSPHRASE_VARIABLE = "ALMANAC_SIGN_PASSPHRASE"
"""The environment variable that gives the passphrase of the signing key."""
FIELD_NAME = "Signature1"
"""The name of the signature field an edition's signature is put in."""
FIELD_DESCRIPTION = "Digital signature of the edition"
"""The field's ``/TU`` and its Form element's ``/Alt`` (PDF/UA-1 7.18.1)."""
KEY_FIX = ("give the signing key as a PKCS#12 file (--sign KEY.p12) or as a PEM key with "
           "its certificate (--sign KEY.pem --certificate CERT.pem); its passphrase in "
           f"{PASSPHRASE_VARIABLE} or typed at the prompt")
WRONG_PASSPHRASE = (f"give the key's passphrase in {PASSPHRASE_VARIABLE} (or unset it and "
                    "type it at the prompt); check that the file is the signing key")
TIMESTAMP_SECONDS = 20
"""How long a timestamp authority may take to answer."""


@dataclass(frozen=True)
class Signer:
    """A loaded signing key: pyHanko's signer, and the certificate's subject and file."""

    signer: Any  # pyhanko.sign.signers.SimpleSigner
    subject: str
    path: Path


def _load_error(path: Path, message: str, fix: str = KEY_FIX) -> ReportError:
    return ReportError(Problem(message, path, None, fix))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _load_error(path, f"the file cannot be read ({exc.strerror or exc})") from None


def _passphrase(path: Path, given: bytes | None,
                ask: Callable[[Path], bytes | None] | None) -> bytes | None:
    if given is not None:
        return given
    if PASSPHRASE_VARIABLE in os.environ:
        return os.environ[PASSPHRASE_VARIABLE].encode()
    return ask(path) if ask is not None else None


def _certificates(path: Path) -> list:
    """The X.509 certificates of a PEM or DER file (``cryptography`` objects)."""
    from cryptography import x509

    data = _read(path)
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise _load_error(path, "this is not a certificate (PEM or DER X.509)",
                          "give the certificate file (PEM: -----BEGIN CERTIFICATE-----)"
                          ) from None


def load_signer(key: Path, certificate: Path | None = None, chain: tuple[Path, ...] = (),
                *, passphrase: bytes | None = None,
                ask: Callable[[Path], bytes | None] | None = None,
                now: datetime | None = None) -> Signer:
    """The signer of ``key``: a PKCS#12 file (``.p12``/``.pfx``, its certificate and
    chain inside), or a PEM (or DER) private key with its ``certificate``; ``chain``
    adds intermediate certificates (PEM files) embedded in the signature.

    The passphrase: ``passphrase``, else :data:`PASSPHRASE_VARIABLE` from the
    environment, else ``ask(path)`` (a prompt), asked only when the key is protected.
    ReportError naming the file and the fix: unreadable, a wrong passphrase, no
    certificate, a certificate not valid at ``now`` (default: the current time; its
    notBefore/notAfter, RFC 5280 4.1.2.5), or a key that is not the certificate's."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    key = Path(key)
    data = _read(key)
    extra: list = []
    for path in chain:
        extra += _certificates(Path(path))
    if certificate is None and (key.suffix.lower() in (".p12", ".pfx")
                                or b"-----BEGIN" not in data):
        loaded = None
        for attempt in (None, "ask"):
            secret = None if attempt is None else _passphrase(key, passphrase, ask)
            if attempt is not None and secret is None:
                raise _load_error(key, "the PKCS#12 file is protected by a passphrase, and "
                                  "none was given")
            try:
                loaded = pkcs12.load_key_and_certificates(data, secret)
                break
            except ValueError:
                if attempt is not None:
                    raise _load_error(key, "the PKCS#12 file cannot be opened: the "
                                      "passphrase is wrong, or it is not a PKCS#12 file",
                                      WRONG_PASSPHRASE) from None
        assert loaded is not None
        private, cert, others = loaded
        if private is None or cert is None:
            raise _load_error(key, "the PKCS#12 file holds no private key with its "
                              "certificate")
        extra = list(others) + extra
        cert_path = key
    else:
        if certificate is None:
            raise _load_error(key, "a PEM key needs its certificate",
                              "give it with --certificate CERT.pem")
        private = None
        for attempt in (None, "ask"):
            secret = None if attempt is None else _passphrase(key, passphrase, ask)
            try:
                if b"-----BEGIN" in data:
                    private = serialization.load_pem_private_key(data, secret)
                else:
                    private = serialization.load_der_private_key(data, secret)
                break
            except TypeError:  # encrypted and no passphrase given (or the reverse)
                if attempt is not None:
                    raise _load_error(key, "the key is protected by a passphrase, and none "
                                      "was given") from None
            except ValueError:
                if attempt is not None or secret is None:
                    raise _load_error(key, "the private key cannot be read: the passphrase "
                                      "is wrong, or it is not a PEM or DER private key",
                                      WRONG_PASSPHRASE) from None
        certs = _certificates(Path(certificate))
        cert, extra = certs[0], certs[1:] + extra
        cert_path = Path(certificate)
    return _signer(private, cert, extra, cert_path, now or datetime.now(UTC))


def _signer(private, cert, chain: list, cert_path: Path, now: datetime) -> Signer:
    from asn1crypto import keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    public = serialization.PublicFormat.SubjectPublicKeyInfo
    der = serialization.Encoding.DER
    if private.public_key().public_bytes(der, public) != \
            cert.public_key().public_bytes(der, public):
        raise _load_error(cert_path, "the private key is not the key of this certificate",
                          "give the certificate issued for this key")
    signing_cert = asn1_x509.Certificate.load(cert.public_bytes(der))
    subject = signing_cert.subject.human_friendly  # as pyHanko's validation names it
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise _load_error(cert_path, f"the certificate ({subject}) is valid from "
                          f"{cert.not_valid_before_utc:%Y-%m-%d} to "
                          f"{cert.not_valid_after_utc:%Y-%m-%d}, not now",
                          "renew the certificate, or sign with a valid one")
    key_info = keys.PrivateKeyInfo.load(private.private_bytes(
        der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    registry = SimpleCertificateStore.from_certs(
        [asn1_x509.Certificate.load(other.public_bytes(der)) for other in chain])
    return Signer(SimpleSigner(signing_cert=signing_cert, signing_key=key_info,
                               cert_registry=registry), subject, cert_path)


@dataclass(frozen=True)
class Appearance:
    """A visible signature: its ``box``; ``font``, the OpenType or TrueType file
    its text is set in (embedded as a subset); ``text``, the words, with
    ``%(signer)s`` (the certificate's common name) and ``%(ts)s`` (the signing
    time, ``YYYY-MM-DD HH:MM`` and its zone) filled in by pyHanko."""

    box: SignatureBox
    font: Path
    text: str = "Digitally signed by %(signer)s\n%(ts)s"


def _numbers(box: Any) -> tuple[float, float, float, float] | None:
    try:
        x0, y0, x1, y1 = (float(value) for value in box)
    except (TypeError, ValueError):
        return None
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def signature_rect(data: bytes, box: SignatureBox
                   ) -> tuple[int, tuple[float, float, float, float]]:
    """The page (from 0) and the rectangle ``(x0, y0, x1, y1)`` in points, in the
    page's default user space, of ``box`` on the PDF ``data``. ReportError saying
    how many pages there are, or how large the trim box is, when the page is past
    the last or the box does not lie inside its trim box."""
    from pypdf import PdfReader

    pages = PdfReader(io.BytesIO(data)).pages
    index = len(pages) - 1 if box.page is None else box.page - 1
    if index >= len(pages):
        which = "the PDF" if box.language is None else f"the {box.language} edition's PDF"
        raise ReportError(Problem(
            f"{box.origin} {box}: {which} has {len(pages)} pages, no page {box.page}",
            box.path, box.line, f"give a page from 1 to {len(pages)}, or 'last'"))
    page = pages[index]
    trim = None
    for key in ("/TrimBox", "/CropBox", "/MediaBox"):
        if key in page:
            trim = _numbers(page[key])
            break
    if trim is None:
        trim = (0.0, 0.0, 612.0, 792.0)
    width_mm, height_mm = (trim[2] - trim[0]) / MM, (trim[3] - trim[1]) / MM
    if box.box is None:
        width, height = DEFAULT_BOX_SIZE
        x, y = width_mm - DEFAULT_BOX_MARGINS[0] - width, DEFAULT_BOX_MARGINS[1]
        x = max(x, 0.0)
    else:
        x, y, width, height = box.box
    if x + width > width_mm + 1e-6 or y + height > height_mm + 1e-6 or \
            width > width_mm or height > height_mm:
        raise ReportError(Problem(
            f"{box.origin} {box}: the box ({x:g},{y:g} to {x + width:g},{y + height:g} "
            f"mm) does not lie on page {index + 1}, whose trim box is {width_mm:.0f} x "
            f"{height_mm:.0f} mm", box.path, box.line,
            "give a box inside the page: X + W at most the page's width, Y + H at most "
            "its height, in millimetres from its lower left corner"))
    left, bottom = trim[0] + x * MM, trim[1] + y * MM
    return index, (round(left, 3), round(bottom, 3), round(left + width * MM, 3),
                   round(bottom + height * MM, 3))


FONT_SIZE, LEADING, SMALLEST_SIZE = 8, 11, 6
"""The signature's words: their size and leading, and the smallest size the box may
shrink them to, in points."""
TEXT_MARGINS = (8, 8, 6, 6)
"""The space between the box's edges and its words (left, right, top, bottom), in
points."""
SAMPLE_TIME = "2000-12-31 23:59 UTC"
"""A signing time as the box shows it (``%Y-%m-%d %H:%M %Z``), for measuring."""


def check_appearance(appearance: Appearance, signer_name: str,
                     program: bytes | None = None) -> None:
    """Refuse a visible signature that would not be shown whole and legible, before
    anything is signed: ReportError naming the characters of its words (``signer_name``,
    the certificate's common name as pyHanko fills it in, and the words around it)
    that the face ``appearance.font`` has no glyph for in its cmap, by code point and
    Unicode name (pyHanko would set them as glyph 0, .notdef, with no Unicode mapping:
    PDF/UA-1 7.21.7 and 7.21.8, Matterhorn 31-030 and 10-001), or naming the box when
    its words would be shrunk below :data:`SMALLEST_SIZE` to fit it (pyHanko's
    ``SHRINK_TO_FIT``: the widest line, by the face's ``hmtx`` advances, and the
    lines' leading scaled into the box less :data:`TEXT_MARGINS`). ``program``: the
    face as :func:`_font_program` gives it, when the caller has it already."""
    import unicodedata

    from fontTools.ttLib import TTFont

    face = TTFont(io.BytesIO(program or _font_program(appearance.font)))
    cmap = face.getBestCmap() or {}
    words = appearance.text % {"signer": signer_name, "ts": SAMPLE_TIME}
    missing = sorted({char for char in words if char != "\n" and ord(char) not in cmap})
    if missing:
        named = ", ".join(f"U+{ord(char):04X} {char} ({unicodedata.name(char, 'unnamed')})"
                          for char in missing[:10])
        raise ReportError(Problem(
            f"the visible signature's words {words.splitlines()[0]!r} hold characters "
            f"the brand's body font has no glyph for: {named}", appearance.font, None,
            "give the brand a body font that has them, or sign without --signature-box "
            "and archive.signature_box (an invisible signature)"))
    per_em = face["head"].unitsPerEm
    advances = face["hmtx"].metrics
    lines = words.split("\n")
    widest = max(sum(advances[cmap[ord(char)]][0] for char in line) for line in lines)
    width_pt, height_pt = widest * FONT_SIZE / per_em, LEADING * len(lines)
    box_w, box_h = DEFAULT_BOX_SIZE if appearance.box.box is None else appearance.box.box[2:]
    left, right, top, bottom = TEXT_MARGINS
    # pyHanko lays the stamp out in whole points (its BoxConstraints of the /Rect)
    room_w, room_h = int(box_w * MM) - left - right, int(box_h * MM) - top - bottom
    scale = min(1.0, room_w / width_pt if width_pt else 1.0, room_h / height_pt)
    if scale * FONT_SIZE < SMALLEST_SIZE:
        box = appearance.box
        need_w = (width_pt * SMALLEST_SIZE / FONT_SIZE + left + right) / MM
        need_h = (height_pt * SMALLEST_SIZE / FONT_SIZE + top + bottom) / MM
        raise ReportError(Problem(
            f"{box.origin} {box}: the signature's words ({words.splitlines()[0]!r}) "
            f"would be set at {scale * FONT_SIZE:.1f} pt to fit the box, below "
            f"{SMALLEST_SIZE:g} pt", box.path, box.line,
            f"give a box of at least {need_w:.0f} x {need_h:.0f} mm (W,H)"))


def _font_program(font: Path) -> bytes:
    """The OpenType font file ``font`` (TrueType or CFF outlines; WOFF and WOFF2 are
    unpacked) as the bytes pyHanko is given, with 1000 units per em. pyHanko's
    ``GlyphAccumulator`` writes the CIDFont's ``/W`` widths and the ``TJ``
    adjustments in the font's own units, and PDF reads both in thousandths of an em
    (ISO 32000-1 9.7.4.3, 9.4.3): a font of 2048 or 2000 units (Lato) would be set
    twice as wide as it is. ReportError naming the file when it cannot be read."""
    from fontTools.ttLib import TTFont, TTLibError
    from fontTools.ttLib.scaleUpem import scale_upem

    try:
        face = TTFont(str(font))
    except (OSError, TTLibError, ValueError) as exc:
        raise ReportError(Problem(
            f"the brand's body font cannot be read to show the signature ({exc})", font,
            None, "give the brand a TrueType or OpenType body font (.ttf, .otf)")) from None
    with _quiet_fonttools():
        if face["head"].unitsPerEm != 1000:
            scale_upem(face, 1000)
        face.flavor = None
        out = io.BytesIO()
        face.save(out)
    return out.getvalue()


def _stamp_style(font: Path, program: bytes, text: str) -> Any:
    """pyHanko's text stamp: ``text`` in ``font`` (``program``, its bytes as
    :func:`_font_program` gives them; embedded as a subset by its
    ``GlyphAccumulator``), black on an opaque white ground, a thin grey border."""
    from pyhanko import stamp
    from pyhanko.pdf_utils import content, layout
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
    from pyhanko.pdf_utils.text import TextBoxStyle

    @dataclass(frozen=True)
    class Accumulators(GlyphAccumulatorFactory):
        """pyHanko's factory, the font program given as bytes (:func:`_font_program`)
        instead of a file name."""

        program: bytes = b""

        def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:
            if obj_stream is None and writer.stream_xrefs and \
                    self.create_objstream_if_needed:
                obj_stream = writer.prepare_object_stream()
            return GlyphAccumulator(writer=writer, font_handle=io.BytesIO(self.program),
                                    font_size=self.font_size, obj_stream=obj_stream)

    class Ground(content.PdfContent):
        """An opaque white rectangle the size of the stamp (no ``/SMask``, no
        transparency: the background is drawn at opacity 1)."""

        def render(self) -> bytes:
            return b"1 g 0 0 %g %g re f" % (self.box.width, self.box.height)

    size = FONT_SIZE
    left, right, top, bottom = TEXT_MARGINS
    return stamp.TextStampStyle(
        stamp_text=text, border_width=1, border_color=(0.6, 0.6, 0.6),
        background=Ground(box=layout.BoxConstraints(1000, 1000)), background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN, y_align=layout.AxisAlignment.ALIGN_MIN,
            margins=layout.Margins(0, 0, 0, 0),
            inner_content_scaling=layout.InnerScaling.STRETCH_FILL),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MIN, y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins(left=left, right=right, top=top, bottom=bottom),
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT),
        text_box_style=TextBoxStyle(
            font=Accumulators(str(font), font_size=size, program=program),
            font_size=size,
            leading=LEADING,
            # no padding of its own (pyHanko's default is 10 pt on each side, scaled
            # with the words): the stamp's margins are TEXT_MARGINS alone
            box_layout_rule=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN,
                y_align=layout.AxisAlignment.ALIGN_MIN,
                margins=layout.Margins(0, 0, 0, 0))),
        timestamp_format="%Y-%m-%d %H:%M %Z")


@contextmanager
def _quiet_fonttools() -> Iterator[None]:
    """fontTools' warnings about a font it subsets (e.g. "'created' timestamp seems
    very low" for a font dated 0) silenced: they are not the user's to act on, and
    the build already checks the brand's fonts."""
    log = logging.getLogger("fontTools")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def _set_tabs(writer, page_index: int) -> None:
    """``/Tabs /S`` on the page with the widget, if it has no /Tabs (PDF/UA-1 7.18.3:
    a page with annotations orders them by the structure)."""
    from pyhanko.pdf_utils import generic

    page_ref = writer.find_page_for_modification(page_index)[0]
    page = page_ref.get_object()
    if page.get("/Tabs") != "/S":
        page[generic.NameObject("/Tabs")] = generic.NameObject("/S")
        writer.update_container(page)


def _writer(data: bytes):
    """pyHanko's incremental writer over ``data`` that leaves the document's metadata
    as it is: pyHanko would set the Info dictionary's /Producer and /ModDate and
    rewrite the XMP packet, and PDF/A asks the two to agree (ISO 19005-3 6.6.3) and
    every XMP property to be described in the packet (6.6.2.3)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    class Writer(IncrementalPdfFileWriter):
        def _update_meta(self) -> None:  # the metadata stays as published
            return None

    return Writer(io.BytesIO(data), strict=False)


def _tag_widget(writer, field_name: str) -> None:
    """Tag the signature field's widget (PDF/UA-1 7.18.1, Matterhorn 28-010): a
    ``Form`` element under the document's top element holding an ``OBJR`` to the
    widget, the widget's ``/StructParent`` its key in the parent tree, and the field's
    ``/TU``. Nothing for a file without a structure tree."""
    from pyhanko.pdf_utils import generic

    root = writer.root
    if "/StructTreeRoot" not in root or "/AcroForm" not in root:
        return
    widget_ref = next((ref for ref in root["/AcroForm"]["/Fields"]
                       if ref.get_object().get("/T") == field_name), None)
    if widget_ref is None:
        return
    widget = widget_ref.get_object()
    tree_ref = root.raw_get("/StructTreeRoot")
    tree = tree_ref.get_object()
    top = tree.raw_get("/K")
    if isinstance(top, generic.ArrayObject):
        top = top.raw_get(0)
    if not isinstance(top, generic.IndirectObject):
        return  # an element written directly in the tree root: nothing to add to
    parent_ref = top
    parent = top.get_object()
    page_ref = widget.raw_get("/P")
    key = int(tree.get("/ParentTreeNextKey", 0))
    element = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/StructElem"),
        generic.NameObject("/S"): generic.NameObject("/Form"),
        generic.NameObject("/P"): parent_ref,
        generic.NameObject("/Pg"): page_ref,
        generic.NameObject("/Alt"): generic.TextStringObject(FIELD_DESCRIPTION),
        generic.NameObject("/K"): generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/OBJR"),
            generic.NameObject("/Obj"): widget_ref,
            generic.NameObject("/Pg"): page_ref}),
    }))
    kids = parent.get("/K")
    if isinstance(kids, generic.ArrayObject):
        kids.append(element)
    elif kids is None:
        parent[generic.NameObject("/K")] = generic.ArrayObject([element])
    else:
        parent[generic.NameObject("/K")] = generic.ArrayObject([parent.raw_get("/K"),
                                                                element])
    writer.update_container(parent)
    widget[generic.NameObject("/StructParent")] = generic.NumberObject(key)
    widget[generic.NameObject("/TU")] = generic.TextStringObject(FIELD_DESCRIPTION)
    writer.update_container(widget)
    numbers = tree["/ParentTree"]
    if "/Nums" in numbers:
        numbers["/Nums"].extend([generic.NumberObject(key), element])
        writer.update_container(numbers)
    else:  # a tree of /Kids: one more leaf
        numbers["/Kids"].append(writer.add_object(generic.DictionaryObject({
            generic.NameObject("/Limits"): generic.ArrayObject(
                [generic.NumberObject(key), generic.NumberObject(key)]),
            generic.NameObject("/Nums"): generic.ArrayObject(
                [generic.NumberObject(key), element])})))
        writer.update_container(numbers)
    tree[generic.NameObject("/ParentTreeNextKey")] = generic.NumberObject(key + 1)
    writer.update_container(tree)


class TimestampError(ReportError):
    """The timestamp authority could not be reached or gave no timestamp: a refusal
    of its own kind, so that a caller can say where its address came from."""


def sign_pdf(data: bytes, signer: Signer, timestamp_url: str | None = None, *,
             timestamper: Any = None, appearance: Appearance | None = None) -> bytes:
    """``data`` signed by ``signer`` as an incremental update: a PAdES baseline
    signature (``/ETSI.CAdES.detached``, SHA-256; B-B, or B-T with a signature
    timestamp from the RFC 3161 authority at ``timestamp_url``, or ``timestamper``, a
    pyHanko ``TimeStamper``) in a tagged field: invisible on the first page, or with
    ``appearance`` visible in its box (see the module's text for the PDF/A-3 and
    PDF/UA-1 rules it keeps). The bytes returned begin with ``data`` unchanged.
    :class:`TimestampError` when the timestamp authority cannot be reached or
    refuses; ReportError when the
    appearance's box lies off its page (:func:`signature_rect`), or its words would not
    be shown whole and legible (:func:`check_appearance`, or pyHanko's LayoutError)."""
    from pyhanko.pdf_utils.layout import LayoutError
    from pyhanko.sign import fields, signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError

    if timestamper is None and timestamp_url:
        timestamper = HTTPTimeStamper(timestamp_url, timeout=TIMESTAMP_SECONDS)
    writer = _writer(data)
    style = None
    if appearance is None:
        fields.append_signature_field(writer, fields.SigFieldSpec(FIELD_NAME, on_page=0))
    else:
        page, rect = signature_rect(data, appearance.box)
        fields.append_signature_field(writer, fields.SigFieldSpec(
            FIELD_NAME, on_page=page, box=cast(Any, rect)))  # floats: its /Rect
        _set_tabs(writer, page)
        program = _font_program(appearance.font)  # read and scaled once
        check_appearance(appearance, signer.signer.subject_name or signer.subject, program)
        style = _stamp_style(appearance.font, program, appearance.text)
    _tag_widget(writer, FIELD_NAME)
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256")
    try:
        with _quiet_fonttools():
            output = signers.PdfSigner(metadata, signer.signer, timestamper=timestamper,
                                       stamp_style=style
                                       ).sign_pdf(writer, existing_fields_only=True)
    except LayoutError as exc:  # only a visible signature lays anything out
        box = appearance.box if appearance is not None else SignatureBox()
        raise ReportError(Problem(
            f"{box.origin} {box}: the signature's words do not fit the box ({exc})",
            box.path, box.line, "give a larger box (W,H in millimetres)")) from None
    except (TimestampRequestError, OSError) as exc:
        raise TimestampError(Problem(
            f"the timestamp authority {timestamp_url or ''} gave no timestamp ({exc})",
            None, None, "check the timestamp URL and the network, or publish without "
            "--timestamp-url (a signature without a timestamp)")) from None
    signed = output.getvalue()
    assert signed.startswith(data)  # an incremental update leaves the bytes before it
    return signed


def _reader(data: bytes):
    from pyhanko.pdf_utils.reader import PdfFileReader

    return PdfFileReader(io.BytesIO(data), strict=False)


def _eof_after(data: bytes, position: int) -> int | None:
    """The end of the ``%%EOF`` marker at or after ``position`` and its end-of-line
    (ISO 32000-1, 7.5.5), or None."""
    found = data.find(b"%%EOF", position)
    if found < 0:
        return None
    end = found + 5
    if data[end:end + 2] == b"\r\n":
        return end + 2
    return end + 1 if data[end:end + 1] in (b"\r", b"\n") else end


def unsigned_revision(data: bytes) -> bytes | None:
    """The bytes of ``data`` before the revision of its first signature: the file as
    it was before it was signed (an incremental update keeps the earlier revisions'
    bytes, ISO 32000-1 7.5.6), up to and including that revision's ``%%EOF`` line.
    None for a file without a signature, or one signed in its first revision."""
    try:
        reader = _reader(data)
        signatures = reader.embedded_regular_signatures
    except Exception:  # noqa: BLE001 — not a PDF pyHanko reads: nothing signed to strip
        return None
    if not signatures:
        return None
    first = min(signature.signed_revision for signature in signatures)
    if first < 1:
        return None
    before = reader.xrefs.get_xref_container_info(first - 1)
    end = _eof_after(data, before.end_location)
    return data[:end] if end is not None else None


@dataclass
class SignatureStatus:
    """One signature of a PDF as :func:`signatures` reads it: who signed it and when
    (the signing time the signer claims, and the timestamp's time and authority
    when there is one); ``intact``: the hash of the covered bytes matches and the
    signature over it is valid; ``unchanged``: nothing was added after signing
    (the signature covers the whole file), else ``changes`` says what; ``trusted``:
    the chain ends in a given trust root (None when none was given), checked now or,
    for a timestamped signature whose certificate has expired since, at
    ``trusted_at``, the timestamp's time; ``trust_problem`` why it is not trusted
    (pyHanko's AdES sub-indication, e.g. "expired", "no certificate chain found");
    ``detail`` what pyHanko found wrong, if anything."""

    field: str
    signer: str
    signing_time: datetime | None
    timestamp_time: datetime | None
    timestamp_authority: str | None
    intact: bool
    unchanged: bool
    changes: str
    trusted: bool | None
    detail: str = ""
    trusted_at: datetime | None = None
    trust_problem: str = ""


def load_trust_roots(paths: list[Path]) -> list:
    """The certificates of ``paths`` (PEM, several per file, or DER) as asn1crypto
    certificates for pyHanko; ReportError naming an unreadable file."""
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization

    roots = []
    for path in paths:
        for cert in _certificates(Path(path)):
            roots.append(asn1_x509.Certificate.load(
                cert.public_bytes(serialization.Encoding.DER)))
    return roots


def signatures(data: bytes, trust_roots: list | None = None) -> list[SignatureStatus]:
    """Every signature of ``data`` validated with pyHanko (``validate_pdf_signature``,
    no network: no revocation data is fetched): the covered bytes' hash and the
    signature value, the changes after signing (its difference analysis: coverage
    of the whole file, else the modification level of the revisions after it), and,
    with ``trust_roots`` (see :func:`load_trust_roots`), the certificate chain. An
    empty list for an unsigned file; a file pyHanko cannot read raises ValueError."""
    try:
        reader = _reader(data)
        embedded = list(reader.embedded_regular_signatures)
    except Exception as exc:  # noqa: BLE001 — a damaged file: say so
        raise ValueError(f"pyHanko cannot read its signatures: {exc}") from None
    found = []
    for signature in embedded:
        problem = signature_value_problem(bytes(signature.pkcs7_content), trust_roots)
        if problem == UNREADABLE_CMS:  # pyHanko would fail on it in its own ways
            found.append(SignatureStatus(signature.field_name or "?", "", None, None, None,
                                         False, False, "not known: the signature cannot "
                                         "be validated", None, problem))
            continue
        try:
            status = _validate(signature, trust_roots, None)
            stamp = status.timestamp_validity
            trusted_at = None
            if trust_roots and not status.trusted and stamp is not None and \
                    stamp.intact and stamp.valid and stamp.trusted:
                # the timestamp proves the signature existed then: the chain is checked
                # at that time (ETSI EN 319 102-1, 5.6.2: the best signature time), so
                # a certificate that expired since still validates
                earlier = _validate(signature, trust_roots, stamp.timestamp)
                if earlier.trusted:
                    status, trusted_at = earlier, stamp.timestamp
        except Exception as exc:  # noqa: BLE001 — any file may be given: a damaged
            # signature is a failed check, never an exception (pyHanko raises
            # SignatureValidationError, PdfReadError, and others on malformed data)
            found.append(SignatureStatus(signature.field_name or "?", "", None, None,
                                         None, False, False, "not known: the signature "
                                         "cannot be validated", None,
                                         problem or f"it cannot be validated: {exc}"))
            continue
        read = _status(signature, status, trust_roots, trusted_at)
        if problem:  # the signed bytes may match, but the signature value was changed
            read.intact, read.detail = False, problem
        found.append(read)
    return found


UNREADABLE_CMS = "the signature value cannot be read: it is not a valid CMS SignedData"


def _der_length(data: bytes) -> int | None:
    """The length of the DER element at the start of ``data``, its tag and length
    octets included (ITU-T X.690, 8.1.3 and 10.1: definite form, fewest octets), or
    None when they are not those of a SEQUENCE in DER."""
    if len(data) < 2 or data[0] != 0x30:
        return None
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 4 or len(data) < 2 + count or data[2] == 0:
        return None  # the indefinite form (BER only), or more than 4 GiB, or not minimal
    length = int.from_bytes(data[2:2 + count], "big")
    return None if length < 0x80 else 2 + count + length


def signature_value_problem(contents: bytes, trust_roots: list | None = None) -> str | None:
    """What is wrong with the bytes of a signature's ``/Contents`` (decoded from its hex
    string), or None. ISO 32000-1, 12.8.1 and ISO 32000-2, 12.8.3.3: the value is the
    DER-encoded CMS (RFC 5652) SignedData, padded with zeros to the room reserved, so
    (a) the value's DER length is read and every byte after it must be zero; (b) the
    CMS must parse as SignedData of ``id-data`` content (a PAdES signature: ETSI EN
    319 142-1, 6.3) — else :data:`UNREADABLE_CMS`; (c) every certificate it carries
    must be well-formed X.509 and, where its issuer is known (carried too, one of
    ``trust_roots`` as asn1crypto certificates, or itself when self-signed), its
    signature must verify against that issuer (``cryptography``'s
    ``Certificate.verify_directly_issued_by``): the certificates lie outside what the
    signature covers, so a changed byte in one is not seen by the signature check."""
    from asn1crypto import cms
    from cryptography import x509

    end = _der_length(contents)
    if end is None or end > len(contents):
        return UNREADABLE_CMS
    if contents[end:].strip(b"\0"):
        return "bytes after the signature value inside /Contents are not zero"
    try:
        info = cms.ContentInfo.load(contents[:end], strict=True)
        if info["content_type"].native != "signed_data":
            return UNREADABLE_CMS
        signed = info["content"]
        if signed["encap_content_info"]["content_type"].native != "data" or \
                not len(signed["signer_infos"]):
            return UNREADABLE_CMS
        carried = [choice.chosen.dump() for choice in signed["certificates"] or []
                   if choice.name == "certificate"]
        signed["signer_infos"].native  # noqa: B018 — parsed in full: damage shows here
    except Exception:  # noqa: BLE001 — asn1crypto on hostile bytes: any exception
        return UNREADABLE_CMS
    certificates = []
    for der in carried:
        try:
            certificates.append(x509.load_der_x509_certificate(der))
        except ValueError:
            return f"the certificate {_name(der)}carried in the signature is altered " \
                   "(it is not well-formed X.509)"
    roots = [x509.load_der_x509_certificate(root.dump()) for root in trust_roots or []]
    for certificate in certificates:
        issuers = [other for other in certificates + roots
                   if other.subject == certificate.issuer]
        if not issuers:
            continue  # its issuer is not known here: the chain check judges it
        if not any(_issued_by(certificate, issuer) for issuer in issuers):
            return f"the certificate '{certificate.subject.rfc4514_string()}' carried in " \
                   "the signature is altered"
    return None


_SHORT = {"common_name": "CN", "organization_name": "O", "organizational_unit_name": "OU",
          "country_name": "C", "locality_name": "L", "state_or_province_name": "ST"}
"""The short names of RFC 4514, 3 for the attributes of a subject asn1crypto reads."""


def _name(der: bytes) -> str:
    """The subject of a certificate ``cryptography`` does not load, as asn1crypto
    reads it (RFC 4514 order), quoted and followed by a space; empty when unreadable."""
    from asn1crypto import x509 as asn1_x509

    try:
        name = asn1_x509.Certificate.load(der)["tbs_certificate"]["subject"]
        return "'" + ",".join(f"{_SHORT.get(pair['type'].native, pair['type'].dotted)}="
                              f"{pair['value'].native}" for rdn in reversed(name.chosen)
                              for pair in rdn) + "' "
    except Exception:  # noqa: BLE001 — asn1crypto on damaged bytes
        return ""


def _issued_by(certificate, issuer) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _validate(signature, trust_roots: list | None, moment: datetime | None):
    """pyHanko's validation of one signature: no revocation data fetched, the chain
    checked at ``moment`` (None: now), the signer's key usage digitalSignature or
    nonRepudiation."""
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(trust_roots=trust_roots or [], allow_fetching=False,
                                revocation_mode="soft-fail", moment=moment)
    # a signing certificate has digitalSignature or nonRepudiation (ETSI EN 319 412-2,
    # 4.3.2); pyHanko alone would ask for nonRepudiation
    usage = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"},
                                match_all_key_usages=False)
    return validate_pdf_signature(signature, signer_validation_context=context,
                                  key_usage_settings=usage)


def _status(signature, status, trust_roots: list | None,
            trusted_at: datetime | None) -> SignatureStatus:
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    level = status.modification_level
    if whole:
        changes = ""
    else:
        after = signature.reader.xrefs.total_revisions - 1 - signature.signed_revision
        kind = {ModificationLevel.LTA_UPDATES: "metadata, validation data or timestamps",
                ModificationLevel.FORM_FILLING: "form fields filled in",
                ModificationLevel.ANNOTATIONS: "annotations added or changed"}.get(
            level, "other changes: pages, content or metadata")
        changes = f"{after} incremental update(s) after the signature ({kind})" if after \
            else ("the file is not the one signed: it was written again after signing, not "
                  "added to (the signature's byte range does not cover it as it is)")
    stamp = status.timestamp_validity
    authority = stamp.signing_cert.subject.human_friendly if stamp is not None else None
    return SignatureStatus(
        field=signature.field_name or "?",
        signer=status.signing_cert.subject.human_friendly,
        signing_time=signature.self_reported_timestamp,
        timestamp_time=stamp.timestamp if stamp is not None else None,
        timestamp_authority=authority,
        intact=bool(status.intact and status.valid),
        unchanged=whole,
        changes=changes,
        trusted=bool(status.trusted) if trust_roots else None,
        trusted_at=trusted_at,
        trust_problem=_trust_problem(status.trust_problem_indic))


TRUST_PROBLEMS = {
    "OUT_OF_BOUNDS_NO_POE": "the signer's certificate is expired or not yet valid, and no "
                            "timestamp shows the signature was made while it was valid",
    "OUT_OF_BOUNDS_NOT_REVOKED": "the signer's certificate is expired or not yet valid",
    "NO_CERTIFICATE_CHAIN_FOUND": "no chain from the signer's certificate to a given root",
    "REVOKED": "the signer's certificate is revoked",
    "REVOKED_NO_POE": "the signer's certificate is revoked",
    "CHAIN_CONSTRAINTS_FAILURE": "a certificate of the chain does not allow this use (key "
                                 "usage, basic constraints)",
}
"""What pyHanko's AdES sub-indications (ETSI EN 319 102-1, 5.1.3) mean for a reader."""


def _trust_problem(indication) -> str:
    if indication is None:
        return ""
    return TRUST_PROBLEMS.get(indication.name, indication.name.lower().replace("_", " "))


def signature_record(data: bytes) -> dict | None:
    """What an edition's ``manifest.json`` records of the first signature of
    ``data``: ``signer`` (the certificate's subject), ``signing_time`` (ISO 8601,
    UTC) and ``timestamped`` (whether a timestamp authority stamped it); None for an
    unsigned file."""
    try:
        embedded = list(_reader(data).embedded_regular_signatures)
    except Exception:  # noqa: BLE001 — not a PDF pyHanko reads: not signed
        return None
    if not embedded:
        return None
    first = embedded[0]
    when = first.self_reported_timestamp
    return {"signer": first.signer_cert.subject.human_friendly,
            "signing_time": when.astimezone(UTC).isoformat() if when else None,
            "timestamped": _timestamped(first.signer_info)}


def _timestamped(signer_info) -> bool:
    """Whether a CMS SignerInfo holds a signature timestamp token (an unsigned
    attribute, RFC 3161 Appendix A; PAdES B-T)."""
    unsigned = signer_info["unsigned_attrs"].native or []
    return any(attribute["type"] == "signature_time_stamp_token" for attribute in unsigned)


def describe(status: SignatureStatus) -> Iterator[str]:
    """The lines that say who signed and when, for a listing (English; the CLI has
    its own words)."""
    yield f"signed by {status.signer}" if status.signer else \
        "signed by: unreadable signature"
    if status.signing_time is not None:
        yield f"signing time {status.signing_time:%Y-%m-%d %H:%M:%S %Z}"
    if status.timestamp_time is not None:
        yield f"timestamp {status.timestamp_time:%Y-%m-%d %H:%M:%S %Z} by " \
              f"{status.timestamp_authority}"
