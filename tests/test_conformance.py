"""``almanac check-pdf``: the PDF/UA-1 (Matterhorn Protocol) and PDF/A-3 preflight.

Every rule is shown failing on a small tagged PDF made here with pikepdf that breaks
that rule alone: :class:`Tagged` makes a one-page PDF that passes every check of
PDF/A-3a and PDF/UA-1 (a Document with an H1, a P and a Link with its annotation,
an artifact, a font with its ToUnicode CMap, XMP with pdfaid and pdfuaid, an
embedded file associated with the document), and each test changes one thing.
Then the real editions: the sample's screen edition and its archival edition.
"""

from __future__ import annotations

import functools
import io
import json
import os
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, Stream, String

from almanac.editions.verify import verify
from almanac.project import theme
from almanac.stages.conformance import (
    PDF_A_3A,
    PDF_UA_1,
    CheckLimits,
    Conformance,
    NotAPdf,
    check_pdf,
    parse_profile,
)

from conftest import almanac

FONT = theme.THEME / "styles" / "fonts" / "NotoSans-Regular.ttf"
ICC = theme.THEME / "styles" / "color" / "FOGRA39L.icc"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 .,:-"


@functools.cache
def subset_font() -> tuple[bytes, dict[str, int]]:
    """Noto Sans cut to :data:`ALPHABET` (TrueType), and each character's glyph id."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(FONT)
    options = subset.Options()
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=ALPHABET)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    cmap = font.getBestCmap()
    return buffer.getvalue(), {char: font.getGlyphID(cmap[ord(char)]) for char in ALPHABET}


def to_unicode(glyphs: dict[str, int], *, skip: str = "", extra: str = "") -> bytes:
    """A ToUnicode CMap mapping each glyph id of ``glyphs`` (but those of ``skip``) to
    its character; ``extra``: more bfchar lines."""
    pairs = "".join(f"<{gid:04X}> <{ord(char):04X}>\n" for char, gid in glyphs.items()
                    if char not in skip)
    count = sum(1 for char in glyphs if char not in skip) + extra.count("\n")
    return ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            "/CMapName /Test-UCS def /CMapType 2 def\n"
            "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
            f"{count} beginbfchar\n{pairs}{extra}endbfchar\n"
            "endcmap CMapName currentdict /CMap defineresource pop end end\n").encode()


def xmp(*, pdfa: str | None = "3", conformance: str = "A", pdfua: str | None = "1",
        title: str | None = "Annual report", declare_pdfua: bool = True,
        split: bool = False) -> bytes:
    """An XMP packet: pdfaid, pdfuaid and dc:title, the pdfuaid schema described by a
    PDF/A extension schema; ``split``: its properties in two rdf:RDF."""
    ids = (f'<pdfaid:part>{pdfa}</pdfaid:part><pdfaid:conformance>{conformance}'
           '</pdfaid:conformance>' if pdfa else "")
    ids += f"<pdfuaid:part>{pdfua}</pdfuaid:part>" if pdfua else ""
    named = (f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt>'
             "</dc:title>" if title else "")
    extension = ("""<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
      <pdfaSchema:schema>PDF/UA identification</pdfaSchema:schema>
      <pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
      <pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
      <pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
        <pdfaProperty:name>part</pdfaProperty:name>
        <pdfaProperty:valueType>Integer</pdfaProperty:valueType>
        <pdfaProperty:category>internal</pdfaProperty:category>
        <pdfaProperty:description>PDF/UA part</pdfaProperty:description>
      </rdf:li></rdf:Seq></pdfaSchema:property>
    </rdf:li></rdf:Bag></pdfaExtension:schemas>""" if declare_pdfua else "")
    namespaces = ('xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
                  'xmlns:dc="http://purl.org/dc/elements/1.1/" '
                  'xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" '
                  'xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" '
                  'xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" '
                  'xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" '
                  'xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#"')
    first = f'<rdf:Description rdf:about="">{ids}{named}</rdf:Description>'
    second = f'<rdf:Description rdf:about="">{extension}</rdf:Description>'
    body = (f"<rdf:RDF {namespaces}>{first}</rdf:RDF><rdf:RDF {namespaces}>{second}</rdf:RDF>"
            if split else f"<rdf:RDF {namespaces}>{first}{second}</rdf:RDF>")
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            f'<x:xmpmeta xmlns:x="adobe:ns:meta/">{body}</x:xmpmeta>\n'
            '<?xpacket end="w"?>').encode()


class Tagged:
    """A one-page tagged PDF that conforms to PDF/A-3a and PDF/UA-1, to be broken.

    The page's content stream is an artifact, then ``drawn`` (the marked content of
    each element :meth:`element` added: the H1, the P, the Link, …), then ``content``
    (more pieces a test adds), joined when the PDF is checked; :meth:`show` draws
    text in the font."""

    def __init__(self):
        self.pdf = pdf = pikepdf.new()
        self.drawn: list[bytes] = []
        self.content: list[bytes] = []
        data, self.glyphs = subset_font()
        self.font_file = pdf.make_stream(data, Length1=len(data))
        self.descriptor = pdf.make_indirect(Dictionary(
            Type=Name.FontDescriptor, FontName=Name("/NotoSans-Regular"), Flags=32,
            FontBBox=Array([-600, -300, 1300, 1100]), ItalicAngle=0, Ascent=1069,
            Descent=-293, CapHeight=714, StemV=80, FontFile2=self.font_file))
        self.cid_font = pdf.make_indirect(Dictionary(
            Type=Name.Font, Subtype=Name.CIDFontType2, BaseFont=Name("/NotoSans-Regular"),
            CIDSystemInfo=Dictionary(Registry=String("Adobe"), Ordering=String("Identity"),
                                     Supplement=0),
            FontDescriptor=self.descriptor, CIDToGIDMap=Name.Identity, DW=600))
        self.font = pdf.make_indirect(Dictionary(
            Type=Name.Font, Subtype=Name.Type0, BaseFont=Name("/NotoSans-Regular"),
            Encoding=Name("/Identity-H"), DescendantFonts=Array([self.cid_font]),
            ToUnicode=pdf.make_stream(to_unicode(self.glyphs))))
        pdf.add_blank_page(page_size=(300, 200))
        self.page = pdf.pages[0].obj
        self.page.Resources = Dictionary(Font=Dictionary(F1=self.font))
        self.page.StructParents = 0
        self.page.Tabs = Name.S
        self.root = pdf.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=Array()))
        self.mcids = Array()
        self.root.ParentTree = pdf.make_indirect(Dictionary(Nums=Array([0, self.mcids])))
        self.document = self.element("Document", self.root)
        self.heading = self.element("H1", text="Annual report")
        self.paragraph = self.element("P", text="Results of the year")
        self.link = self.element("Link", text="Read more")
        self.annotation = pdf.make_indirect(Dictionary(
            Type=Name.Annot, Subtype=Name.Link, Rect=Array([10, 10, 120, 30]), F=4,
            Border=Array([0, 0, 0]), Contents=String("Read more on example.org"),
            A=Dictionary(S=Name.URI, URI=String("https://example.org/")), StructParent=1))
        self.page.Annots = Array([self.annotation])
        self.link.K.append(Dictionary(Type=Name.OBJR, Obj=self.annotation, Pg=self.page))
        self.root.ParentTree.Nums.extend([1, self.link])
        self.root.ParentTreeNextKey = 2
        catalog = pdf.Root
        catalog.StructTreeRoot = self.root
        catalog.MarkInfo = Dictionary(Marked=True)
        catalog.Lang = String("en-GB")
        catalog.ViewerPreferences = Dictionary(DisplayDocTitle=True)
        catalog.Metadata = pdf.make_stream(xmp(), Type=Name.Metadata, Subtype=Name.XML)
        catalog.OutputIntents = Array([Dictionary(
            Type=Name.OutputIntent, S=Name.GTS_PDFA1,
            OutputConditionIdentifier=String("FOGRA39"),
            DestOutputProfile=pdf.make_stream(ICC.read_bytes(), N=4))])
        self.spec = self.attachment("data.csv", b"year,count\n2021,3\n")
        catalog.Names = Dictionary(EmbeddedFiles=Dictionary(
            Names=Array([String("data.csv"), self.spec])))
        catalog.AF = Array([self.spec])

    def attachment(self, name: str, body: bytes) -> Dictionary:
        stream = self.pdf.make_stream(body, Type=Name.EmbeddedFile,
                                      Subtype=Name("/text/csv"),
                                      Params=Dictionary(ModDate=String("D:20220501000000Z")))
        return self.pdf.make_indirect(Dictionary(
            Type=Name.Filespec, F=String(name), UF=String(name),
            AFRelationship=Name.Data, EF=Dictionary(F=stream, UF=stream)))

    def codes(self, text: str) -> bytes:
        return b"<" + "".join(f"{self.glyphs[char]:04X}" for char in text).encode() + b">"

    def show(self, text: str, y: int = 100) -> bytes:
        return b"BT /F1 12 Tf 10 %d Td %s Tj ET" % (y, self.codes(text))

    def mark(self, mcid: int, element: Dictionary) -> None:
        while len(self.mcids) <= mcid:
            self.mcids.append(None)
        self.mcids[mcid] = element

    def element(self, kind: str, parent: Dictionary | None = None, *,
                text: str | None = None, drawing: bytes | None = None,
                **entries) -> Dictionary:
        """A structure element of type ``kind`` (a kid of ``parent``, by default the
        Document) holding, when given, marked content that shows ``text`` or draws
        ``drawing``, its MCID mapped in the parent tree."""
        parent = self.document if parent is None else parent
        element = self.pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name("/" + kind),
                                                    P=parent, Pg=self.page, K=Array(),
                                                    **entries))
        parent.K.append(element)
        if text is not None or drawing is not None:
            mcid = len(self.mcids)
            self.mark(mcid, element)
            element.K.append(mcid)
            body = self.show(text, 150 - 12 * mcid) if text is not None else drawing
            self.drawn.append(b"/%s <</MCID %d>> BDC %s EMC\n" % (kind.encode(), mcid, body))
        return element

    def bytes(self) -> bytes:
        self.page.Contents = self.pdf.make_stream(self.stream())
        buffer = io.BytesIO()
        self.pdf.save(buffer)
        return buffer.getvalue()

    def stream(self) -> bytes:
        return b"".join([b"/Artifact BMC 0 0 m 300 0 l S EMC\n", *self.drawn, *self.content])

    def check(self, profile: str | None = None, **limits) -> Conformance:
        return check_pdf(self.bytes(), profile=profile,
                         limits=CheckLimits(**limits) if limits else None)


def rules(result: Conformance) -> set[str]:
    return set(result.counts())


@pytest.fixture
def doc() -> Tagged:
    return Tagged()


# --------------------------------------------------------------------------- the baseline

def test_the_minimal_tagged_pdf_passes_every_check_of_pdfa3a_and_pdfua1(doc):
    result = doc.check()
    assert result.claims == [PDF_UA_1, PDF_A_3A]
    assert result.profiles == [PDF_UA_1, PDF_A_3A] and result.tagged
    assert result.findings == [] and result.unchecked == [] and result.ok


def test_an_untagged_pdf_that_claims_nothing_is_reported_as_such():
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.pages[0].obj.Contents = pdf.make_stream(b"0 0 m 10 10 l S")
    buffer = io.BytesIO()
    pdf.save(buffer)
    result = check_pdf(buffer.getvalue())
    assert (result.claims, result.profiles, result.tagged) == ([], [], False)
    assert result.ok and result.pages == 1
    forced = check_pdf(buffer.getvalue(), profile="PDF/UA-1")
    assert {"Matterhorn 06-001", "ISO 14289-1 7.1", "Matterhorn 01-005"} <= rules(forced)


def test_profiles_are_named_as_the_standards_name_them():
    assert parse_profile("pdf/a-3a+PDF/UA-1") == [PDF_UA_1, PDF_A_3A]
    with pytest.raises(ValueError, match="PDF/A-2b"):
        parse_profile("PDF/A-2b")


# --------------------------------------------------------------------------- PDF/UA-1

def test_01_003_an_artifact_inside_tagged_content(doc):
    doc.drawn[0] = doc.drawn[0].replace(
        b" EMC\n", b" /Artifact BMC 0 0 m 5 5 l S EMC EMC\n")
    assert rules(doc.check()) == {"Matterhorn 01-003"}


def test_01_004_tagged_content_inside_an_artifact(doc):
    doc.drawn[1] = b"/Artifact BMC " + doc.drawn[1] + b"EMC\n"
    assert rules(doc.check()) == {"Matterhorn 01-004"}


def test_01_005_content_neither_an_artifact_nor_tagged(doc):
    doc.content.append(b"0 0 m 50 50 l S\n")
    result = doc.check()
    assert rules(result) == {"Matterhorn 01-005"}
    assert "neither an Artifact nor tagged (1 operator, the first: S #" in \
        result.findings[0].message
    assert result.findings[0].page == 1


def test_01_005_content_whose_mcid_the_parent_tree_does_not_map(doc):
    doc.content.append(b"/Span <</MCID 7>> BDC " + doc.show("Lost") + b" EMC\n")
    result = doc.check()
    assert rules(result) == {"Matterhorn 01-005"}
    assert "MCID 7 is in no parent tree entry" in result.findings[0].message


def test_01_005_content_of_an_element_that_is_not_in_the_structure_tree(doc):
    orphan = doc.pdf.make_indirect(Dictionary(Type=Name.StructElem, S=Name.P, P=doc.document,
                                              Pg=doc.page, K=Array([9])))
    doc.mark(9, orphan)
    doc.content.append(b"/P <</MCID 9>> BDC " + doc.show("Orphan") + b" EMC\n")
    result = doc.check()
    assert rules(result) == {"Matterhorn 01-005"} and len(result.findings) == 1
    assert "MCID 9 is mapped by the parent tree to elements the structure tree does not " \
        "hold" in result.findings[0].message
    assert rules(doc.check(profile="PDF/A-3a")) == {"ISO 32000-1 14.7.4.4"}


def test_01_007_suspects(doc):
    doc.pdf.Root.MarkInfo.Suspects = True
    assert rules(doc.check()) == {"Matterhorn 01-007"}


def test_02_001_a_type_the_role_map_does_not_map(doc):
    doc.element("Chart", text="Bars")
    result = doc.check()
    assert rules(result) == {"Matterhorn 02-001"}
    assert result.findings[0].where == "Document/Chart"


def test_a_type_the_role_map_maps_to_a_standard_type_passes(doc):
    doc.root.RoleMap = Dictionary(Chart=Name.Figure)
    doc.element("Chart", drawing=b"0 0 m 9 9 l S", Alt=String("Bars of three years"))
    assert doc.check().ok


def test_02_003_a_circular_role_map(doc):
    doc.root.RoleMap = Dictionary(Chart=Name.Plot, Plot=Name.Chart)
    doc.element("Chart", text="Bars")
    assert rules(doc.check()) == {"Matterhorn 02-003"}


def test_02_004_a_standard_type_remapped(doc):
    doc.root.RoleMap = Dictionary(P=Name.Span)
    assert rules(doc.check()) == {"Matterhorn 02-004"}


def test_06_001_no_metadata_stream(doc):
    del doc.pdf.Root.Metadata
    assert doc.check().profiles == []  # nothing claimed: nothing to check
    assert rules(doc.check(profile="PDF/UA-1")) == {"Matterhorn 06-001"}


def test_06_002_no_pdfuaid(doc):
    doc.pdf.Root.Metadata = doc.pdf.make_stream(xmp(pdfua=None, declare_pdfua=False),
                                                Type=Name.Metadata, Subtype=Name.XML)
    assert doc.check().profiles == [PDF_A_3A]
    assert rules(doc.check(profile="PDF/UA-1")) == {"Matterhorn 06-002"}


def test_06_003_no_dc_title(doc):
    doc.pdf.Root.Metadata = doc.pdf.make_stream(xmp(title=None), Type=Name.Metadata,
                                                Subtype=Name.XML)
    assert rules(doc.check()) == {"Matterhorn 06-003"}


def test_07_001_and_07_002_display_doc_title(doc):
    doc.pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=False)
    assert rules(doc.check()) == {"Matterhorn 07-002"}
    del doc.pdf.Root.ViewerPreferences
    assert rules(doc.check()) == {"Matterhorn 07-001"}


@pytest.mark.parametrize("kind, rule", [("TD", "09-004"), ("TR", "09-004"), ("LI", "09-005"),
                                        ("LBody", "09-005"), ("Lbl", "09-005"),
                                        ("TOCI", "09-006"), ("RB", "09-007"),
                                        ("WT", "09-008")])
def test_09_004_to_09_008_an_element_outside_its_parent_type(doc, kind, rule):
    doc.element(kind, text="Stray")
    result = doc.check()
    assert rules(result) == {f"Matterhorn {rule}"}
    assert f"a {kind} is inside a Document" in result.findings[0].message


def test_a_list_a_table_and_a_contents_in_their_parents_pass(doc):
    listing = doc.element("L")
    item = doc.element("LI", listing)
    doc.element("Lbl", item, text="1.")
    doc.element("LBody", item, text="First")
    table = doc.element("Table")
    head = doc.element("THead", table)
    row = doc.element("TR", head)
    doc.element("TH", row, text="Year", A=Dictionary(O=Name.Table, Scope=Name.Column))
    body = doc.element("TBody", table)
    doc.element("TD", doc.element("TR", body), text="2021")
    contents = doc.element("TOC")
    doc.element("TOCI", contents, text="Results")
    assert doc.check().ok


def test_09_004_a_table_holding_a_paragraph(doc):
    table = doc.element("Table")
    doc.element("P", table, text="Not a row")
    assert rules(doc.check()) == {"Matterhorn 09-004"}


def test_09_002_a_link_inside_a_link(doc):
    doc.element("Link", doc.link, text="Inner")
    result = doc.check()
    assert rules(result) == {"Matterhorn 09-002"}
    assert result.findings[0].where == "Document/Link/Link"


def test_10_001_a_code_the_tounicode_cmap_does_not_map(doc):
    doc.font.ToUnicode = doc.pdf.make_stream(to_unicode(doc.glyphs, skip="y"))
    result = doc.check()
    assert rules(result) == {"Matterhorn 10-001"}
    assert f"<{doc.glyphs['y']:04X}>" in result.findings[0].message


def test_31_027_a_font_without_tounicode(doc):
    del doc.font.ToUnicode
    assert rules(doc.check()) == {"Matterhorn 31-027"}


def test_31_028_a_code_mapped_to_u0000(doc):
    doc.font.ToUnicode = doc.pdf.make_stream(to_unicode(doc.glyphs, skip="y",
                                                        extra=f"<{doc.glyphs['y']:04X}> <0000>\n"))
    assert rules(doc.check()) == {"Matterhorn 31-028"}


def test_31_030_a_code_that_selects_notdef(doc):
    doc.font.ToUnicode = doc.pdf.make_stream(to_unicode(doc.glyphs, extra="<0000> <0020>\n"))
    doc.drawn[1] = doc.drawn[1].replace(b"> Tj", b"0000> Tj")
    assert rules(doc.check()) == {"Matterhorn 31-030"}


def test_31_009_a_font_not_embedded(doc):
    del doc.descriptor.FontFile2
    assert rules(doc.check()) == {"Matterhorn 31-009"}
    assert rules(doc.check(profile="PDF/A-3a")) == {"ISO 19005-3 6.2.11.4.1"}


def test_31_009_a_font_an_annotations_appearance_shows_not_embedded(doc):
    courier = doc.pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1,
                                               BaseFont=Name.Courier,
                                               Encoding=Name.WinAnsiEncoding))
    doc.annotation.AP = Dictionary(N=doc.pdf.make_stream(
        b"BT /F1 10 Tf 2 5 Td (Read more) Tj ET", Type=Name.XObject, Subtype=Name.Form,
        BBox=Array([0, 0, 110, 20]), Resources=Dictionary(Font=Dictionary(F1=courier))))
    result = doc.check()
    assert rules(result) == {"Matterhorn 31-009"}
    assert "Courier is not embedded" in result.findings[0].message
    assert rules(doc.check(profile="PDF/A-3a")) == {"ISO 19005-3 6.2.11.4.1"}
    doc.annotation.AP.N.Resources.Font.F1 = doc.font  # the embedded font: conforms
    doc.annotation.AP.N.write(b"BT /F1 10 Tf 2 5 Td " + doc.codes("Read more") + b" Tj ET")
    assert doc.check().ok
    doc.annotation.F = 2  # a hidden annotation is not rendered
    doc.annotation.AP.N.Resources.Font.F1 = courier
    assert rules(doc.check()) <= {"Matterhorn 28-011"}


def test_31_005_a_truetype_cidfont_without_cidtogidmap(doc):
    del doc.cid_font.CIDToGIDMap
    assert rules(doc.check()) == {"Matterhorn 31-005"}


def test_11_006_the_catalogue_language(doc):
    del doc.pdf.Root.Lang
    assert rules(doc.check()) == {"Matterhorn 11-006"}
    doc.pdf.Root.Lang = String("en_GB!")
    assert rules(doc.check()) == {"Matterhorn 11-006"}
    assert rules(doc.check(profile="PDF/A-3a")) == {"ISO 19005-3 6.7.4"}


def test_11_001_an_element_language_that_is_not_a_tag(doc):
    doc.paragraph.Lang = String("en GB")
    result = doc.check()
    assert rules(result) == {"Matterhorn 11-001"}
    assert result.findings[0].where == "Document/P"


def test_13_004_a_figure_without_alternative_text(doc):
    figure = doc.element("Figure", drawing=b"0 0 m 30 30 l S")
    result = doc.check()
    assert rules(result) == {"Matterhorn 13-004"}
    figure.Alt = String("A rising line")
    assert doc.check().ok


@pytest.mark.parametrize("levels, rule", [(("H2",), "14-002"), (("H1", "H3"), "14-003")])
def test_14_002_and_14_003_numbered_headings(doc, levels, rule):
    doc.heading.S = Name("/" + levels[0])
    for level in levels[1:]:
        doc.element(level, text="Deeper")
    assert rules(doc.check()) == {f"Matterhorn {rule}"}


def test_headings_may_go_back_up_and_down_one_level_at_a_time(doc):
    for level in ("H2", "H3", "H2", "H1", "H2"):
        doc.element(level, text="Part")
    assert doc.check().ok


def test_14_006_and_14_007_unnumbered_headings(doc):
    section = doc.element("Sect")
    doc.element("H", section, text="One")
    doc.element("H", section, text="Two")
    assert rules(doc.check()) == {"Matterhorn 14-006", "Matterhorn 14-007"}


def test_15_003_a_th_without_scope_in_a_table_without_headers(doc):
    table = doc.element("Table")
    row = doc.element("TR", table)
    header = doc.element("TH", row, text="Year")
    doc.element("TD", doc.element("TR", table), text="2021")
    result = doc.check()
    assert rules(result) == {"Matterhorn 15-003"}
    assert result.findings[0].where == "Document/Table/TR[1]/TH"
    header.A = Dictionary(O=Name.Table, Scope=Name.Column)
    assert doc.check().ok


def test_15_005_headers_that_name_no_element(doc):
    table = doc.element("Table")
    header = doc.element("TH", doc.element("TR", table), text="Year", ID=String("year"))
    doc.element("TD", doc.element("TR", table), text="2021",
                A=Dictionary(O=Name.Table, Headers=Array([String("year")])))
    assert rules(doc.check()) == {"Matterhorn 15-005"}  # no /IDTree names it
    doc.root.IDTree = Dictionary(Names=Array([String("year"), header]))
    assert doc.check().ok  # a table with /Headers needs no /Scope


def test_19_003_and_19_004_note_ids(doc):
    doc.element("Note", text="1 A note")
    assert rules(doc.check()) == {"Matterhorn 19-003"}
    doc.document.K[-1].ID = String("n1")
    doc.element("Note", text="2 Another", ID=String("n1"))
    result = doc.check()
    assert rules(result) == {"Matterhorn 19-004"} and len(result.findings) == 2


def test_21_001_an_embedded_file_without_uf(doc):
    del doc.spec.UF
    assert rules(doc.check()) == {"Matterhorn 21-001"}


def test_28_002_an_annotation_outside_an_annot_element(doc):
    note = doc.pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Text, F=4,
                                            Rect=Array([200, 150, 220, 170]),
                                            Contents=String("A remark")))
    doc.page.Annots.append(note)
    assert rules(doc.check()) == {"Matterhorn 28-002"}


def test_28_008_and_28_009_tabs_of_a_page_with_annotations(doc):
    doc.page.Tabs = Name.R
    assert rules(doc.check()) == {"Matterhorn 28-009"}
    del doc.page.Tabs
    assert rules(doc.check()) == {"Matterhorn 28-008"}


def test_28_011_a_link_annotation_tagged_outside_a_link(doc):
    doc.root.ParentTree.Nums[3] = doc.paragraph
    doc.link.K = Array([doc.link.K[0]])
    doc.paragraph.K.append(Dictionary(Type=Name.OBJR, Obj=doc.annotation, Pg=doc.page))
    result = doc.check()
    assert rules(result) == {"Matterhorn 28-011"}
    assert "tagged as P, not Link" in result.findings[0].message


def test_28_011_a_link_annotation_without_struct_parent(doc):
    del doc.annotation.StructParent
    assert rules(doc.check()) == {"Matterhorn 28-011"}


def test_28_012_a_link_annotation_without_contents(doc):
    del doc.annotation.Contents
    result = doc.check()
    assert rules(result) == {"Matterhorn 28-012"}
    assert result.findings[0].where == "Document/Link" and result.findings[0].page == 1


def test_a_hidden_annotation_needs_no_tags(doc):
    hidden = doc.pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Text, F=2,
                                              Rect=Array([200, 150, 220, 170])))
    doc.page.Annots.append(hidden)
    assert doc.check().ok


def form(doc: Tagged, body: bytes, **entries) -> Stream:
    drawing = doc.pdf.make_stream(body, Type=Name.XObject, Subtype=Name.Form,
                                  BBox=Array([0, 0, 50, 50]), **entries)
    doc.page.Resources.XObject = Dictionary(Fm1=drawing)
    return drawing


def test_30_001_a_reference_xobject(doc):
    form(doc, b"0 0 m 9 9 l S", Ref=Dictionary(F=String("other.pdf"), Page=0))
    doc.element("Figure", drawing=b"/Fm1 Do", Alt=String("A line"))
    assert rules(doc.check()) == {"Matterhorn 30-001"}


def test_30_002_a_form_with_mcids_drawn_twice(doc):
    form(doc, b"/Figure <</MCID 0>> BDC 0 0 m 9 9 l S EMC", StructParents=5)
    figure = doc.element("Figure", Alt=String("A line"))
    figure.K = Array([Dictionary(Type=Name.MCR, MCID=0, Pg=doc.page,
                                 Stm=doc.page.Resources.XObject.Fm1)])
    doc.root.ParentTree.Nums.extend([5, Array([figure])])
    doc.content.append(b"/Fm1 Do /Fm1 Do\n")
    assert rules(doc.check()) == {"Matterhorn 30-002"}


def test_a_form_drawn_in_tagged_content_is_tagged_and_outside_it_is_not(doc):
    form(doc, b"0 0 m 9 9 l S")
    doc.element("Figure", drawing=b"/Fm1 Do", Alt=String("A line"))
    assert doc.check().ok
    doc.content.append(b"/Fm1 Do\n")
    assert rules(doc.check()) == {"Matterhorn 01-005"}


# --------------------------------------------------------------------------- the trees

def test_an_element_whose_p_is_not_its_parent(doc):
    doc.paragraph.P = doc.root
    result = doc.check()
    assert rules(result) == {"ISO 32000-1 14.7.2"}
    assert result.findings[0].where == "Document/P"
    assert "the P element's /P is object" in result.findings[0].message


def test_an_element_without_p(doc):
    del doc.paragraph.P
    assert rules(doc.check()) == {"ISO 14289-1 7.1"}
    assert rules(doc.check(profile="PDF/A-3a")) == {"ISO 32000-1 14.7.2"}


def test_the_parent_tree_mapping_an_mcid_to_an_element_that_does_not_list_it(doc):
    doc.mark(1, doc.heading)  # the paragraph's MCID, mapped to the heading
    result = doc.check()
    assert rules(result) == {"ISO 32000-1 14.7.4.4"}
    assert "MCID 1 to the H1 element" in result.findings[0].message


def test_an_element_listing_an_mcid_the_page_does_not_have(doc):
    doc.paragraph.K.append(12)
    assert rules(doc.check()) == {"ISO 32000-1 14.7.4.4"}


def test_a_structure_tree_that_refers_back_to_itself_ends(doc):
    doc.paragraph.K.append(doc.document)
    result = doc.check()
    assert "ISO 32000-1 14.7.2" in rules(result) and not result.unchecked


# --------------------------------------------------------------------------- PDF/A-3

@pytest.mark.parametrize("written, rule, phrase", [
    ({"split": True}, "ISO 19005-3 6.6.2.1", "2 rdf:RDF"),  # two rdf:RDF blocks
    ({"declare_pdfua": False}, "ISO 19005-3 6.6.2.3.1",  # a property no schema describes
     "part of http://www.aiim.org/pdfua/ns/id/"),
])
def test_6_6_2_the_metadata_packet(doc, written, rule, phrase):
    doc.pdf.Root.Metadata = doc.pdf.make_stream(xmp(**written), Type=Name.Metadata,
                                                Subtype=Name.XML)
    result = doc.check()
    assert rules(result) == {rule}
    assert phrase in result.findings[0].message


def test_6_6_4_the_identification(doc):
    doc.pdf.Root.Metadata = doc.pdf.make_stream(xmp(conformance="B"), Type=Name.Metadata,
                                                Subtype=Name.XML)
    assert doc.check().claims == [PDF_UA_1, "PDF/A-3b"]
    assert rules(doc.check(profile="PDF/A-3a")) == {"ISO 19005-3 6.6.4"}


def test_the_embedded_files_name_tree_out_of_lexical_order(doc):
    second = doc.attachment("a.csv", b"a\n")
    doc.pdf.Root.AF.append(second)
    names = doc.pdf.Root.Names.EmbeddedFiles.Names
    names.extend([String("a.csv"), second])  # after "data.csv": out of order
    result = doc.check()
    assert rules(result) == {"ISO 32000-1 7.9.6"}
    assert "'a.csv' comes after 'data.csv'" in result.findings[0].message
    doc.pdf.Root.Names.EmbeddedFiles.Names = Array([String("a.csv"), second,
                                                    String("data.csv"), doc.spec])
    assert doc.check().ok


def test_a_name_tree_whose_limits_hide_a_file(doc):
    kid = doc.pdf.make_indirect(Dictionary(Names=Array([String("data.csv"), doc.spec]),
                                           Limits=Array([String("a"), String("b")])))
    doc.pdf.Root.Names.EmbeddedFiles = Dictionary(Kids=Array([kid]))
    result = doc.check()
    assert rules(result) == {"ISO 32000-1 7.9.6"}
    assert "1 of 1 files cannot be found by name" in result.findings[0].message


@pytest.mark.parametrize("change, words", [
    (lambda doc: doc.pdf.Root.AF.append(doc.spec), "lists the file specification of"),
    (lambda doc: doc.spec.__delattr__("AFRelationship"), "/AFRelationship"),
    (lambda doc: doc.spec.EF.F.__delattr__("Subtype"), "MIME type"),
    (lambda doc: doc.spec.EF.F.__delattr__("Params"), "/ModDate"),
    (lambda doc: doc.pdf.Root.__delattr__("AF"), "in no /AF array"),
])
def test_6_8_embedded_files(doc, change: Callable[[Tagged], None], words):
    change(doc)
    result = doc.check()
    assert rules(result) == {"ISO 19005-3 6.8"}
    assert words in result.findings[0].message and "data.csv" in result.findings[0].message


def test_6_2_8_an_image_with_interpolate(doc):
    image = doc.pdf.make_stream(b"\x80", Type=Name.XObject, Subtype=Name.Image, Width=1,
                                Height=1, ColorSpace=Name.DeviceGray, BitsPerComponent=8,
                                Interpolate=True)
    doc.page.Resources.XObject = Dictionary(Im1=image)
    doc.element("Figure", drawing=b"q 20 0 0 20 0 0 cm /Im1 Do Q", Alt=String("A grey dot"))
    data = doc.bytes()
    result = check_pdf(data)
    assert rules(result) == {"ISO 19005-3 6.2.8"}
    with pikepdf.open(io.BytesIO(data)) as written:
        number = written.pages[0].Resources.XObject.Im1.objgen[0]
    assert result.findings[0].object == number
    image.Interpolate = False
    assert doc.check().ok


def test_6_2_4_3_device_colours_without_an_output_intent(doc):
    doc.content.insert(0, b"/Artifact BMC 1 0 0 rg 0 0 5 5 re f EMC\n")
    assert doc.check().ok
    del doc.pdf.Root.OutputIntents
    assert rules(doc.check()) == {"ISO 19005-3 6.2.4.3"}


def test_6_1_3_an_encrypted_file(doc):
    doc.page.Contents = doc.pdf.make_stream(doc.stream())
    buffer = io.BytesIO()
    doc.pdf.save(buffer, encryption=pikepdf.Encryption(owner="secret", user=""))
    assert "ISO 19005-3 6.1.3" in rules(check_pdf(buffer.getvalue()))


# --------------------------------------------------------------------------- hostile input

def test_what_is_not_a_pdf_is_refused_with_a_reason():
    with pytest.raises(NotAPdf, match="no %PDF- header"):
        check_pdf(b"hello")
    with pytest.raises(NotAPdf, match="damaged"):
        check_pdf(b"%PDF-1.7\n" + b"\x00" * 200)


def test_a_content_stream_over_the_limit_is_listed_as_not_checked(doc):
    bomb = zlib.compress(b"0 0 m\n" * 600_000)
    doc.page.Contents = Array([doc.pdf.make_stream(doc.stream()),
                               pikepdf.Stream(doc.pdf, bomb)])
    doc.page.Contents[1].Filter = Name.FlateDecode
    buffer = io.BytesIO()
    doc.pdf.save(buffer)
    result = check_pdf(buffer.getvalue(), limits=CheckLimits(stream=2**20))
    assert not result.ok
    assert any("page 1" in what and "more than 1 MiB" in what for what in result.unchecked)


# --------------------------------------------------------------------------- the command line

@pytest.fixture
def broken(doc, tmp_path) -> Path:
    """The minimal PDF with its Link annotation's /Contents removed and a Figure
    without /Alt added: two rules fail, once each."""
    del doc.annotation.Contents
    doc.element("Figure", drawing=b"0 0 m 30 30 l S")
    path = tmp_path / "broken.pdf"
    path.write_bytes(doc.bytes())
    return path


def test_check_pdf_prints_each_rule_with_its_findings_and_exits_1(broken, cli):
    ran = cli("check-pdf", str(broken))
    assert ran.returncode == 1
    lines = ran.stdout.splitlines()
    assert lines[0] == f"{broken}: claims PDF/UA-1, PDF/A-3a; checked against PDF/UA-1, " \
        "PDF/A-3a"
    assert "Matterhorn 28-012 (1 finding)" in lines and "Matterhorn 13-004 (1 finding)" in lines
    assert "    fix: give the Figure an /Alt text that says what it shows (or /ActualText)" \
        in lines
    assert lines[-1] == f"{broken}: 2 findings of 2 rules"


def test_check_pdf_json_lists_every_finding(broken, cli):
    ran = cli("check-pdf", str(broken), "--json")
    assert ran.returncode == 1
    said = json.loads(ran.stdout)
    assert said["counts"] == {"Matterhorn 28-012": 1, "Matterhorn 13-004": 1}
    assert said["findings"][0]["page"] == 1 and said["profiles"] == [PDF_UA_1, PDF_A_3A]


def test_check_pdf_passes_a_conforming_file_and_exits_0(doc, tmp_path, cli):
    path = tmp_path / "good.pdf"
    path.write_bytes(doc.bytes())
    ran = cli("check-pdf", str(path))
    assert ran.returncode == 0
    assert ran.stdout.splitlines()[-1] == f"{path}: passes every check of PDF/UA-1, PDF/A-3a"


def test_check_pdf_checks_against_a_profile_given(doc, tmp_path, cli):
    del doc.pdf.Root.Metadata
    path = tmp_path / "unclaimed.pdf"
    path.write_bytes(doc.bytes())
    ran = cli("check-pdf", str(path))
    assert ran.returncode == 0 and "nothing was checked" in ran.stdout
    ran = cli("check-pdf", str(path), "--profile", "PDF/UA-1")
    assert ran.returncode == 1 and "Matterhorn 06-001 (1 finding)" in ran.stdout


def test_check_pdf_refuses_what_is_not_a_pdf_with_exit_2(tmp_path, cli):
    text = tmp_path / "notes.pdf"
    text.write_text("not a PDF at all")
    ran = cli("check-pdf", str(text))
    assert ran.returncode == 2 and ran.stdout == ""
    assert "is not a readable PDF: not a PDF" in ran.stderr and "Traceback" not in ran.stderr
    ran = cli("check-pdf", str(tmp_path / "missing.pdf"))
    assert ran.returncode == 2 and "cannot be read" in ran.stderr


def test_check_pdf_speaks_dutch_under_a_dutch_locale(broken):
    ran = almanac("check-pdf", str(broken), env={**os.environ, "LANGUAGE": "nl"})
    assert ran.returncode == 1
    last = ran.stdout.splitlines()[-1]
    assert last == f"{broken}: 2 bevindingen bij 2 regels", last
    assert "    oplossing: " in ran.stdout


# --------------------------------------------------------------------------- the editions

def test_verify_reports_each_failing_rule_as_a_failed_check(published, tmp_path):
    pdf = tmp_path / "edition.pdf"
    with pikepdf.open(published[1]) as edition:
        edition.Root.Lang = String("not a language")
        edition.save(pdf)
    checks = {check.name: check for check in verify(pdf).checks}
    # the archive claims PDF/UA-1 and PDF/A-3a: the rule is named as the first of them
    # names it (Matterhorn 11-006; ISO 19005-3 6.7.4 for a PDF/A file alone)
    failed = [check for check in checks.values() if not check.ok]
    assert [check.name for check in failed] == ["Matterhorn 11-006"]
    assert "'not a language' is not a language tag" in failed[0].detail
    result = check_pdf(pdf.read_bytes())
    assert {name for name, check in checks.items() if not check.ok} >= set(result.counts())


def test_the_screen_edition_claims_pdfua1(pdf_path):
    result = check_pdf(pdf_path.read_bytes())
    assert result.claims == [PDF_UA_1] and result.tagged


def test_the_screen_edition_passes_every_pdfua1_check(pdf_path):
    result = check_pdf(pdf_path.read_bytes(), profile=PDF_UA_1)
    assert result.counts() == {} and result.unchecked == [], (result.counts(), [
        finding.message for finding in result.findings[:5]], result.unchecked)


def test_the_archival_edition_claims_pdfa3a_and_pdfua1(published):
    result = check_pdf(published[1].read_bytes())
    assert result.claims == [PDF_UA_1, PDF_A_3A] and result.tagged


def test_the_archival_edition_passes_every_check(published):
    result = check_pdf(published[1].read_bytes(), profile="PDF/A-3a+PDF/UA-1")
    assert result.counts() == {} and result.unchecked == [], (result.counts(), [
        finding.message for finding in result.findings[:5]], result.unchecked)
