"""Hostile and damaged copies of a published edition, made with pypdf: the bad
inputs of the archive commands (test_archive.py) and the structural mutations of
the archive fuzzer (test_archive_fuzz.py).

Each mutation takes a :class:`pypdf.PdfWriter` cloned from an edition and
changes it in place; :func:`written` gives the bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import zlib
from pathlib import Path

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from almanac.editions.sources import SOURCES_MANIFEST


def clone(pdf: Path | bytes) -> PdfWriter:
    """A writer holding a copy of the edition ``pdf`` (a path or its bytes)."""
    return PdfWriter(clone_from=io.BytesIO(pdf) if isinstance(pdf, bytes) else str(pdf))


def written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def names_array(writer: PdfWriter) -> ArrayObject:
    """The flat ``/Names`` array of the edition's embedded files (WeasyPrint writes
    one level): name, file specification, name, file specification…"""
    return writer.root_object["/Names"]["/EmbeddedFiles"]["/Names"]


def file_stream(writer: PdfWriter, name: str) -> StreamObject:
    names = names_array(writer)
    for index in range(0, len(names), 2):
        if names[index] == name:
            return names[index + 1].get_object()["/EF"]["/F"].get_object()
    raise KeyError(name)


def set_embedded(writer: PdfWriter, name: str, body: bytes) -> None:
    """Replace the contents of the embedded file ``name``."""
    file_stream(writer, name).set_data(body)


def set_raw(writer: PdfWriter, name: str, raw: bytes) -> None:
    """Make the embedded file ``name`` the Flate-encoded bytes ``raw`` as they are
    (a decompression bomb, or a stream that does not decode)."""
    stream = file_stream(writer, name)
    stream._data = raw
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    if hasattr(stream, "decoded_self"):
        stream.decoded_self = None


def manifest(writer: PdfWriter) -> dict:
    return json.loads(file_stream(writer, SOURCES_MANIFEST).get_data())


def set_manifest(writer: PdfWriter, data: object) -> None:
    """Replace the embedded sources manifest by ``data`` (bytes as they are, anything
    else as JSON)."""
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    set_embedded(writer, SOURCES_MANIFEST, body)


def rename(writer: PdfWriter, old: str, new: str, *, in_manifest: bool = True) -> None:
    """Give the embedded file ``old`` the name ``new`` (in the name tree and its file
    specification), and in the sources manifest too when ``in_manifest``: then only
    the name itself is wrong."""
    names = names_array(writer)
    for index in range(0, len(names), 2):
        if names[index] == old:
            names[index] = TextStringObject(new)
            spec = names[index + 1].get_object()
            for key in ("/F", "/UF"):
                if key in spec:
                    spec[NameObject(key)] = TextStringObject(new)
    if in_manifest:
        data = manifest(writer)
        for item in data["inputs"]:
            if item["path"] == old:
                item["path"] = new
        set_manifest(writer, data)


def add_embedded(writer: PdfWriter, name: str, body: bytes, *, in_manifest: bool = True,
                 raw: bytes | None = None) -> None:
    """Embed one more file; ``raw``: the stream's bytes as they are, Flate-encoded
    (a decompression bomb), instead of ``body``."""
    stream = StreamObject()
    if raw is not None:
        stream.set_data(raw)
        stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    else:
        stream.set_data(body)
    stream[NameObject("/Type")] = NameObject("/EmbeddedFile")
    spec = DictionaryObject({
        NameObject("/Type"): NameObject("/Filespec"), NameObject("/F"): TextStringObject(name),
        NameObject("/UF"): TextStringObject(name),
        NameObject("/EF"): DictionaryObject({NameObject("/F"): writer._add_object(stream)})})
    names = names_array(writer)
    names.append(TextStringObject(name))
    names.append(writer._add_object(spec))
    if in_manifest:
        data = manifest(writer)
        data["inputs"].append({"path": name, "sha256": hashlib.sha256(body).hexdigest(),
                               "size": len(body)})
        set_manifest(writer, data)


def zeros_deflated(size: int) -> bytes:
    """``size`` zero bytes, Flate-encoded: about a thousandth of their size."""
    compressor = zlib.compressobj(9)
    chunk = bytes(2**20)
    parts = [compressor.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join(parts) + compressor.compress(bytes(size % len(chunk))) + compressor.flush()


def cyclic_kids(writer: PdfWriter) -> None:
    """The page tree's root lists itself among its /Kids."""
    pages = writer.root_object["/Pages"]
    pages.get_object()["/Kids"].append(pages.indirect_reference
                                       if hasattr(pages, "indirect_reference") else pages)


def cyclic_kids_deep(writer: PdfWriter) -> None:
    """The first page's parent list gets a kid that points back to the root."""
    root_ref = writer.root_object.raw_get("/Pages")
    middle = DictionaryObject({NameObject("/Type"): NameObject("/Pages"),
                               NameObject("/Kids"): ArrayObject([root_ref]),
                               NameObject("/Count"): NumberObject(1)})
    writer.root_object["/Pages"]["/Kids"].append(writer._add_object(middle))


def recursive_resources(writer: PdfWriter, fan_out: int = 1, depth: int = 1) -> None:
    """The first page draws a form XObject whose /Resources name itself (fan_out 1,
    depth 1: a cycle), or a ``depth``-deep lattice of forms, each naming ``fan_out``
    forms of the level below, all of them naming the page's fonts (a walk that
    visits each use rather than each object takes fan_out ** depth steps)."""
    page = writer.pages[0]
    fonts = page["/Resources"].get("/Font", DictionaryObject())
    level: list = []
    for _ in range(depth):
        form = StreamObject()
        form.set_data(b"")
        form.update({NameObject("/Type"): NameObject("/XObject"),
                     NameObject("/Subtype"): NameObject("/Form"),
                     NameObject("/BBox"): ArrayObject([NumberObject(0)] * 4)})
        ref = writer._add_object(form)
        below = level or [ref]  # the first level names itself: a cycle
        form[NameObject("/Resources")] = DictionaryObject({
            NameObject("/Font"): fonts,
            NameObject("/XObject"): DictionaryObject({
                NameObject(f"/F{index}"): below[index % len(below)]
                for index in range(fan_out)})})
        level = [ref]
    resources = page["/Resources"]
    xobjects = resources.get("/XObject")
    if xobjects is None:
        xobjects = DictionaryObject()
        resources[NameObject("/XObject")] = xobjects
    xobjects.get_object()[NameObject("/Loop")] = level[0]


def self_resources(writer: PdfWriter) -> None:
    """A form XObject whose /Resources dictionary is an indirect object that holds
    itself under /XObject (the resources, not the form, refer back)."""
    resources = DictionaryObject()
    ref = writer._add_object(resources)
    form = StreamObject()
    form.set_data(b"")
    form.update({NameObject("/Type"): NameObject("/XObject"),
                 NameObject("/Subtype"): NameObject("/Form"), NameObject("/Resources"): ref})
    form_ref = writer._add_object(form)
    resources[NameObject("/XObject")] = DictionaryObject({NameObject("/Me"): form_ref})
    writer.pages[0][NameObject("/Resources")] = ref


def set_xmp(writer: PdfWriter, data: bytes, raw: bytes | None = None) -> None:
    """Replace the XMP metadata stream (``raw``: Flate-encoded bytes as they are)."""
    stream = writer.root_object["/Metadata"].get_object()
    if raw is not None:
        fresh = StreamObject()
        fresh.set_data(raw)
        fresh.update({NameObject("/Type"): NameObject("/Metadata"),
                      NameObject("/Subtype"): NameObject("/XML"),
                      NameObject("/Filter"): NameObject("/FlateDecode")})
        writer.root_object[NameObject("/Metadata")] = writer._add_object(fresh)
    else:
        stream.set_data(data)


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1
                                                           else b"&lol;") * 10)
                             for n in range(1, 10))
                  + b']><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
                  b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#">&lol9;</rdf:RDF></x:xmpmeta>')


def draw_box(writer: PdfWriter, page: int = 0) -> None:
    """Draw a black box over a corner of a page (the sources stay intact)."""
    from pypdf.generic import DecodedStreamObject

    box = DecodedStreamObject()
    box.set_data(b"q 0 0 0 rg 0 0 300 300 re f Q")
    target = writer.pages[page]
    contents = target.raw_get("/Contents")
    parts = list(contents.get_object()) if isinstance(contents.get_object(), ArrayObject) \
        else [contents]
    target[NameObject("/Contents")] = ArrayObject([*parts, writer._add_object(box)])
