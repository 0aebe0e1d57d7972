"""The archival edition in every PDF/A detail a reader depends on, read back from
the file with pikepdf: one XMP packet whose properties a reader that keeps only the
first ``rdf:RDF`` (as Adobe's XMP toolkit does) still finds, each described by an
extension schema in the same packet; an embedded files' name tree in which every
file is found by its name; an /AF listing each file once; no image interpolated.
And ``verify`` names each of these when a file gets it wrong.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from lxml import etree

from almanac.editions.sources import SOURCES_MANIFEST, XMP_NAMESPACE

from conftest import add_photo, png

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
DC = "http://purl.org/dc/elements/1.1/"
XMP = "http://ns.adobe.com/xap/1.0/"
PDFAID = "http://www.aiim.org/pdfa/ns/id/"
PDFUAID = "http://www.aiim.org/pdfua/ns/id/"
EXTENSION = "http://www.aiim.org/pdfa/ns/extension/"
SCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
PROPERTY = "http://www.aiim.org/pdfa/ns/property#"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def first_rdf(packet: bytes) -> dict[str, etree._Element]:
    """The properties of an XMP packet as a strict reader sees them: only the first
    ``rdf:RDF`` is read (what follows it is dropped), each top-level property of its
    descriptions by its Clark name (``{namespace}name``); attributes as elements
    holding their value."""
    root = etree.fromstring(packet, etree.XMLParser(resolve_entities=False))
    rdf = next(root.iter(f"{{{RDF}}}RDF"))
    found: dict[str, etree._Element] = {}
    for description in rdf.findall(f"{{{RDF}}}Description"):
        for name, value in description.attrib.items():
            if not name.startswith(f"{{{RDF}}}"):
                element = etree.Element(name)
                element.text = value
                found.setdefault(name, element)
        for element in description:
            found.setdefault(element.tag, element)
    return found


def described(properties: dict[str, etree._Element]) -> set[str]:
    """The properties (``{namespace}name``) the packet's PDF/A extension schemas
    describe (ISO 19005-3, 6.6.2.3.3)."""
    schemas = properties.get(f"{{{EXTENSION}}}schemas")
    names: set[str] = set()
    for schema in schemas.iter(f"{{{SCHEMA}}}namespaceURI") if schemas is not None else ():
        for name in schema.getparent().iter(f"{{{PROPERTY}}}name"):
            names.add(f"{{{schema.text}}}{name.text}")
    return names


def embedded_manifest(pdf: pikepdf.Pdf) -> bytes:
    return pdf.attachments[SOURCES_MANIFEST].get_file().read_bytes()


@pytest.fixture(scope="module")
def edition(published) -> pikepdf.Pdf:
    with pikepdf.open(published[1]) as pdf:
        yield pdf


def test_the_xmp_metadata_is_one_packet_read_whole_by_a_strict_reader(published, edition):
    project, _ = published
    packet = edition.Root.Metadata.read_bytes()
    assert packet.count(b"<?xpacket begin=") == 1 and packet.count(b"<?xpacket end=") == 1
    assert len(list(etree.fromstring(packet).iter(f"{{{RDF}}}RDF"))) == 1
    report = json.loads(embedded_manifest(edition))
    language = str(edition.Root.Lang)
    date = report["edition"]["date"]

    meta = edition.open_metadata()  # pikepdf's reader of the packet
    assert meta["dc:title"] == str(edition.docinfo["/Title"])
    assert meta["dc:creator"] == [str(edition.docinfo["/Author"])]
    assert meta["dc:description"] == str(edition.docinfo["/Subject"])
    assert meta["dc:language"] == {language}
    assert meta["pdf:Producer"] == str(edition.docinfo["/Producer"])
    assert meta["pdf:Keywords"] == str(edition.docinfo["/Keywords"])
    assert meta["xmp:CreatorTool"] == str(edition.docinfo["/Creator"])
    assert meta["xmp:CreateDate"] == meta["xmp:ModifyDate"] == meta["xmp:MetadataDate"] == date
    assert (meta["pdfaid:part"], meta["pdfaid:conformance"], meta["pdfuaid:part"]) == \
        ("3", "A", "1")
    assert meta[f"{{{XMP_NAMESPACE}}}manifestSha256"] == \
        hashlib.sha256(embedded_manifest(edition)).hexdigest()

    strict = first_rdf(packet)  # what a reader that keeps the first rdf:RDF finds
    text = {name: (element.text or "").strip() for name, element in strict.items()}
    assert text[f"{{{XMP_NAMESPACE}}}manifestSha256"] == \
        hashlib.sha256(embedded_manifest(edition)).hexdigest()
    assert text[f"{{{XMP_NAMESPACE}}}editionVersion"] == report["edition"]["version"]
    assert text[f"{{{XMP_NAMESPACE}}}editionDate"] == date
    assert (text[f"{{{PDFAID}}}part"], text[f"{{{PDFAID}}}conformance"],
            text[f"{{{PDFUAID}}}part"]) == ("3", "A", "1")
    titles = {item.get(XML_LANG): item.text for item in strict[f"{{{DC}}}title"].iter(
        f"{{{RDF}}}li")}
    assert titles == {"x-default": meta["dc:title"], language: meta["dc:title"]}
    custom = {name for name in strict if name.startswith(f"{{{XMP_NAMESPACE}}}")}
    assert len(custom) == 4
    assert custom | {f"{{{PDFUAID}}}part"} <= described(strict)
    dates = {value for name, value in text.items() if name.startswith(f"{{{XMP}}}")
             and name.endswith("Date")}
    assert dates == {date}  # the edition's date, never the clock: the same bytes again


def test_every_embedded_file_is_found_by_its_name(published, edition):
    project, _ = published
    tree = edition.Root.Names.EmbeddedFiles
    flat = tree.Names
    keys = [bytes(flat[index]) for index in range(0, len(flat), 2)]
    assert keys == sorted(keys) and len(keys) == len(set(keys))  # ISO 32000-1, 7.9.6
    inputs = [item["path"] for item in json.loads(embedded_manifest(edition))["inputs"]]
    names = pikepdf.NameTree(tree)
    for name in [*inputs, SOURCES_MANIFEST]:
        assert name in names, name  # qpdf's lookup: a binary search of the sorted keys
        spec = names[name]
        assert str(spec.UF) == name
        if name != SOURCES_MANIFEST:
            assert spec.EF.F.read_bytes() == (project / name).read_bytes()


def test_the_catalogue_lists_each_associated_file_once(edition):
    listed = [spec.objgen for spec in edition.Root.AF]
    assert len(listed) == len(set(listed))
    tree = pikepdf.NameTree(edition.Root.Names.EmbeddedFiles)
    assert set(listed) == {spec.objgen for _, spec in tree.items()}
    assert all(spec.AFRelationship in ("/Source", "/Data") for spec in edition.Root.AF)


@pytest.mark.slow
def test_a_photo_in_the_archive_is_not_interpolated(small_warm, cli):
    """A raster photo (WeasyPrint marks it /Interpolate true for ``image-rendering:
    auto``); its name, not ASCII, is found in the name tree as the text it is."""
    png(small_warm / "chapters" / "03-inzetbaarheid" / "café.png", 320, 200)
    add_photo(small_warm, "café.png")
    made = cli("publish", str(small_warm))
    assert made.returncode == 0, made.stderr
    path = Path(made.stdout.strip())
    with pikepdf.open(path) as pdf:
        images = [item for item in pdf.objects if isinstance(item, pikepdf.Stream)
                  and item.get("/Subtype") == "/Image"]
        assert any(int(image.Width) >= 100 for image in images)  # the photo, raster
        assert not [image for image in images if image.get("/Interpolate") is True]
        assert "chapters/03-inzetbaarheid/café.png" in pikepdf.NameTree(
            pdf.Root.Names.EmbeddedFiles)
    checked = cli("verify", str(path))
    assert checked.returncode == 0, checked.stdout


def test_a_variant_that_claims_pdf_ua_only_names_its_part(tmp_path):
    """A PDF/UA-1 variant (the screen edition): pdfuaid:part 1, no PDF/A claim and
    no extension schema it does not need; the title in the document's language."""
    import weasyprint

    from almanac.stages.pdfa import archival_finisher

    html = weasyprint.HTML(string='<html lang="de"><head><title>Bericht</title>'
                                  '<meta name="author" content="Amt"></head><body></body>')
    data = html.render(pdf_variant="pdf/ua-1").write_pdf(
        pdf_variant="pdf/ua-1", finisher=archival_finisher("pdf/ua-1", b"0" * 32))
    with pikepdf.open(io.BytesIO(data)) as pdf:
        packet = pdf.Root.Metadata.read_bytes()
        strict = first_rdf(packet)
        assert strict[f"{{{PDFUAID}}}part"].text == "1"
        assert f"{{{PDFAID}}}part" not in strict and f"{{{EXTENSION}}}schemas" not in strict
        titles = {item.get(XML_LANG): item.text
                  for item in strict[f"{{{DC}}}title"].iter(f"{{{RDF}}}li")}
        assert titles == {"x-default": "Bericht", "de": "Bericht"}
        assert pdf.open_metadata()["dc:creator"] == ["Amt"]


# --------------------------------------------------------------------------- verify


def _xmp(pdf: pikepdf.Pdf, change: Callable[[etree._Element], None]) -> None:
    """Rewrite the XMP packet after ``change(rdf)`` (its first rdf:RDF element)."""
    root = etree.fromstring(pdf.Root.Metadata.read_bytes())
    change(next(root.iter(f"{{{RDF}}}RDF")))
    pdf.Root.Metadata.write(etree.tostring(root, encoding="utf-8"))


def _second_rdf(rdf: etree._Element) -> None:
    """Almanac's properties moved into an rdf:RDF after the first, as they were
    written before (WeasyPrint's block, then Almanac's)."""
    moved = etree.Element(f"{{{RDF}}}RDF")
    description = etree.SubElement(moved, f"{{{RDF}}}Description", {f"{{{RDF}}}about": ""})
    for element in list(rdf.iter()):
        if isinstance(element.tag, str) and element.tag.startswith(f"{{{XMP_NAMESPACE}}}"):
            description.append(element)
    rdf.addnext(moved)


def _undescribed(rdf: etree._Element) -> None:
    """The extension schema of Almanac's properties taken out of the bag."""
    for schema in list(rdf.iter(f"{{{SCHEMA}}}namespaceURI")):
        if schema.text == XMP_NAMESPACE:
            item = schema.getparent()
            item.getparent().remove(item)


def _unsorted(pdf: pikepdf.Pdf) -> None:
    flat = pdf.Root.Names.EmbeddedFiles.Names
    pairs = [(flat[index], flat[index + 1]) for index in range(0, len(flat), 2)]
    pdf.Root.Names.EmbeddedFiles.Names = pikepdf.Array(
        [part for pair in reversed(pairs) for part in pair])


def _af_twice(pdf: pikepdf.Pdf) -> None:
    pdf.Root.AF.append(pdf.Root.AF[3])


def _af_missing(pdf: pikepdf.Pdf) -> None:
    del pdf.Root.AF[0]


def _interpolated(pdf: pikepdf.Pdf) -> None:
    """A photo drawn on the first page with /Interpolate true."""
    image = pdf.make_stream(bytes(range(48)), Type=pikepdf.Name.XObject,
                            Subtype=pikepdf.Name.Image, Width=4, Height=4,
                            ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8,
                            Interpolate=True)
    page = pdf.pages[0]
    name = page.add_resource(image, pikepdf.Name.XObject)
    page.contents_add(pdf.make_stream(f"q 40 0 0 40 100 100 cm {name} Do Q".encode()))


BROKEN: dict[str, tuple[Callable[[pikepdf.Pdf], None], dict[str, str]]] = {
    # case: (the change, {each check that fails: what its line says})
    "second-rdf": (lambda pdf: _xmp(pdf, _second_rdf), {
        "one XMP packet": "2 rdf:RDF blocks (a reader that keeps the first",
        "manifest hash in XMP": "missing or different"}),
    "undescribed": (lambda pdf: _xmp(pdf, _undescribed), {
        "XMP properties described": "no PDF/A extension schema in the packet describes "
        "almanac:editionVersion, almanac:editionDate, almanac:manifestSha256, "
        "almanac:tools"}),
    "unsorted": (_unsorted, {"embedded files' name tree": "not sorted: "}),
    "af-twice": (_af_twice, {"associated files (/AF)": "1 listed more than once: "}),
    "af-missing": (_af_missing, {"associated files (/AF)": "1 embedded files missing: "
                                 "almanac-sources.json"}),
    "interpolated": (_interpolated, {"no image interpolation": "/Interpolate true on 1 "
                                     "image(s): object "}),
}


@pytest.mark.parametrize("case", BROKEN)
def test_verify_names_each_detail_a_file_gets_wrong(published, tmp_path, cli, case):
    change, expected = BROKEN[case]
    with pikepdf.open(published[1]) as pdf:
        change(pdf)
        pdf.save(tmp_path / "broken.pdf")
    checked = cli("verify", str(tmp_path / "broken.pdf"))
    assert checked.returncode == 1, checked.stdout
    assert checked.stdout.rstrip().endswith("NOT intact")
    fails = dict(line.removeprefix("FAIL ").split(": ", 1)
                 for line in checked.stdout.splitlines() if line.startswith("FAIL "))
    # that detail, and nothing else of the edition's own checks; the preflight of the
    # standards (check-pdf, inside verify) names the same defect by its rule as well
    own = {name for name in fails if not name.startswith(("ISO ", "Matterhorn "))}
    assert own == set(expected), checked.stdout
    assert set(fails) - own, checked.stdout
    for name, phrase in expected.items():
        assert phrase in fails[name], checked.stdout
    assert "ok   embedded sources: every input matches its hash" in checked.stdout
