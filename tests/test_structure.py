"""The screen edition's structure tree, as a screen reader walks it.

Read back three ways: the PDF's objects with pikepdf; poppler's ``pdfinfo
-struct-text`` (an independent reader that follows the tree and shows the text of
each element in tree order); poppler's ``pdftotext`` and PDFium (pypdfium2), which
extract text as copying does. Each test names what a reader would notice.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pikepdf
import pypdfium2
import pytest

from almanac import build
from almanac.stages.render import ASIDES

from conftest import INZET, edit
from pdfread import Tagged, squash, structure


@pytest.fixture(scope="module")
def tree(pdf_path) -> Tagged:
    return structure(pdf_path)


@pytest.fixture(scope="module")
def objects(pdf_path):
    with pikepdf.open(pdf_path) as pdf:
        yield pdf


def _elements(pdf) -> list[pikepdf.Dictionary]:
    """Every structure element reachable from the root, in tree order."""
    found: list[pikepdf.Dictionary] = []

    def walk(item):
        if isinstance(item, pikepdf.Array):
            for kid in item:
                walk(kid)
        elif isinstance(item, pikepdf.Dictionary) and "/S" in item:
            found.append(item)
            walk(item.get("/K"))

    walk(pdf.Root.StructTreeRoot.K)
    return found


def test_screen_edition_declares_itself_tagged_and_pdf_ua(objects, report):
    root = objects.Root
    assert root.MarkInfo.Marked is True
    assert root.ViewerPreferences.DisplayDocTitle is True
    assert str(root.Lang) == report.manifest.language
    assert all(page.Tabs == "/S" for page in objects.pages)
    with objects.open_metadata() as meta:
        assert meta.get("pdfuaid:part") == "1"
        assert meta.get("dc:title") == report.manifest.title


def test_print_edition_stays_untagged(print_pdf):
    with pikepdf.open(print_pdf) as pdf:
        assert "/StructTreeRoot" not in pdf.Root


def test_no_structure_element_hangs_outside_the_tree(objects):
    reachable = {element.objgen for element in _elements(objects)}
    every = {item.objgen for item in objects.objects
             if isinstance(item, pikepdf.Dictionary) and item.get("/Type") == "/StructElem"}
    assert every - reachable == set()
    for element in _elements(objects):  # each knows its parent
        parent = element.P
        kids = parent.K if isinstance(parent.K, pikepdf.Array) else [parent.K]
        assert any(kid.objgen == element.objgen for kid in kids
                   if isinstance(kid, pikepdf.Dictionary))


def test_every_marked_run_belongs_to_an_element_of_its_page(objects):
    """The parent tree maps each page's marked content back to its element (ISO
    32000-1, 14.7.4.4), and every run on the page is in it."""
    nums = objects.Root.StructTreeRoot.ParentTree.Nums
    parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    for number, page in enumerate(objects.pages):
        marked = [int(op.operands[1].MCID) for op in pikepdf.parse_content_stream(page)
                  if str(op.operator) == "BDC" and isinstance(op.operands[1], pikepdf.Dictionary)
                  and "/MCID" in op.operands[1]]
        slots = parents[int(page.StructParents)]
        assert sorted(marked) == list(range(len(marked))), f"page {number + 1}"
        assert all(isinstance(slots[mcid], pikepdf.Dictionary) for mcid in marked)


def _own(sect: Tagged):
    """The elements of a Sect that are not in a Sect nested in it."""
    for kid in sect.elements:
        if kid.role != "Sect":
            yield kid
            yield from _own(kid)


def test_each_chapter_and_titled_section_is_one_sect_with_its_heading(tree, report):
    sects = [node for node in tree.walk() if node.role == "Sect"]
    for chapter in report.chapters:
        own = [s for s in sects if any(h.role == "H1" and squash(h.text()) ==
                                       squash(chapter.data.title) for h in _own(s))]
        assert len(own) == 1, chapter.data.title
        for section in chapter.data.sections:
            if not section.title:
                continue
            inner = [s for s in own[0].walk() if s.role == "Sect" and any(
                h.role == "H2" and squash(h.text()) == squash(section.title)
                for h in _own(s))]
            assert len(inner) == 1, f"{chapter.data.title} / {section.title}"


def test_no_heading_inside_a_heading_and_no_link_inside_a_link(tree):
    for node in tree.walk():
        roles = {a.role for a in node.ancestors()}
        if re.fullmatch(r"H[1-6]", node.role):
            assert not any(re.fullmatch(r"H[1-6]", role) for role in roles)
        if node.role == "Link":
            assert "Link" not in roles


def test_contents_are_toc_entries_with_described_links(tree, objects, report, chapter_starts):
    tocs = [node for node in tree.walk() if node.role == "TOC"]
    top = [toc for toc in tocs if not any(a.role == "TOC" for a in toc.ancestors())]
    assert len(top) == 1
    entries = top[0].elements
    assert {entry.role for entry in entries} == {"TOCI"}
    assert len(entries) >= len(report.chapters)  # the chapters, and an appendix
    for entry in entries:
        links = [node for node in entry.elements if node.role == "Link"]
        assert len(links) == 1  # one link per entry, the leader dots not in it
        assert "." * 3 not in links[0].text().replace(" ", "")
    described = {str(annot.Contents) for page in objects.pages[:4]
                 for annot in page.get("/Annots", []) if annot.Subtype == "/Link"}
    for chapter in report.chapters:
        page = chapter_starts[chapter.data.title]
        assert any(chapter.data.title in text and text.endswith(f" {page}")
                   for text in described), chapter.data.title
    assert not any(text.startswith(("#", "h-")) for text in described)


def test_no_paragraph_is_cut_in_two_at_a_page_break(objects, tree):
    spanning = 0
    for element in _elements(objects):
        if element.S != "/P":
            continue
        kids = element.K if isinstance(element.K, pikepdf.Array) else [element.K]
        pages = {kid.Pg.objgen for kid in kids if isinstance(kid, pikepdf.Dictionary)
                 and "/Pg" in kid} | {element.Pg.objgen}
        spanning += len(pages) > 1
    assert spanning, "the sample has paragraphs that run over a page break"
    # in reading order, no body paragraph stops mid-sentence to go on in the next one
    paragraphs = [node.text() for node in tree.walk() if node.role == "P"
                  and len(node.text()) > 80]
    for one, two in zip(paragraphs, paragraphs[1:]):
        assert not (one.rstrip()[-1:].isalpha() and two[:1].islower()), \
            f"{one[-40:]!r} / {two[:40]!r}"


def test_an_aside_opening_a_section_is_read_after_the_heading(tree, report):
    opened = [(section.title, section.blocks[0]) for chapter in report.chapters
              for section in chapter.data.sections
              if section.title and section.blocks and section.blocks[0].type in ASIDES]
    assert opened, "the sample opens sections with tiles"
    sects = [node for node in tree.walk() if node.role == "Sect"]
    for title, _ in opened:
        sect = next(s for s in sects if any(h.role == "H2" and squash(h.text()) == squash(title)
                                            for h in s.elements))
        assert sect.elements[0].role == "H2", title


def test_running_heads_page_numbers_and_leaders_are_artifacts(tree, zones, objects):
    tagged = squash(tree.text())
    footers = [squash(footer) for header, _, footer in zones  # body pages: head and foot
               if footer.strip() and header.strip()]
    headers = [squash(header) for header, _, _ in zones if header.strip()]
    assert len(footers) > 10 and headers  # on the pages ...
    assert not [footer for footer in footers if footer in tagged]  # ... not in the tree
    for number, (header, _, footer) in enumerate(zones):  # drawn as pagination artifacts
        if header.strip() and footer.strip():
            pagination = [op for op in pikepdf.parse_content_stream(objects.pages[number])
                          if str(op.operator) == "BDC" and str(op.operands[0]) == "/Artifact"
                          and str(op.operands[1].get("/Type")) == "/Pagination"]
            assert len(pagination) >= 2, f"page {number + 1}"


def test_figures_have_alternative_text_and_boxes_in_points(objects):
    figures = [e for e in _elements(objects) if e.S == "/Figure"]
    assert figures
    for figure in figures:
        assert str(figure.get("/Alt", "")).strip()
        page = next(p for p in objects.pages if p.objgen == figure.Pg.objgen)
        box = [float(v) for v in figure.A.BBox]
        media = [float(v) for v in page.MediaBox]
        assert box[0] < box[2] and box[1] < box[3]
        assert media[0] - 1 <= box[0] and box[2] <= media[2] + 1
        assert media[1] - 1 <= box[1] and box[3] <= media[3] + 1


def test_table_headers_have_a_scope_and_lists_their_items(objects):
    for element in _elements(objects):
        if element.S == "/TH":
            assert str(element.A.Scope) in ("/Column", "/Row", "/Both")
        if element.S == "/LI":
            kids = [kid for kid in element.K if isinstance(kid, pikepdf.Dictionary)]
            assert [str(kid.S) for kid in kids][-1] == "/LBody"
            assert {str(kid.S) for kid in kids} <= {"/Lbl", "/LBody"}
        if element.S == "/L":
            kids = element.K if isinstance(element.K, pikepdf.Array) else [element.K]
            assert all(str(kid.S) == "/LI" for kid in kids)


def test_a_footnote_is_a_note_right_after_its_call(objects):
    notes = [e for e in _elements(objects) if e.S == "/Note"]
    assert notes, "the sample has a footnote"
    ids = objects.Root.StructTreeRoot.IDTree.Names
    named = {str(ids[i]): ids[i + 1].objgen for i in range(0, len(ids), 2)}
    for note in notes:
        assert named[str(note.ID)] == note.objgen
        siblings = [kid for kid in note.P.K if isinstance(kid, pikepdf.Dictionary)
                    and "/S" in kid]
        index = [kid.objgen for kid in siblings].index(note.objgen)
        assert index > 0 and siblings[index - 1].S == "/Reference"


def test_copied_text_has_no_line_end_hyphens_inside_words(pdf_path, report):
    """A hyphen set by hyphenation is a soft hyphen in the text (ISO 32000-1,
    14.8.2.2.3): copying and searching join the word; the text's own hyphens are
    hyphen-minus."""
    copied = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True,
                            text=True, check=True).stdout
    assert "\u2010" not in copied
    broken = re.findall(r"(\w+)\u00ad\n(\w+)", copied)
    assert len(broken) > 10, "the sample's justified text is hyphenated"
    words = set(re.findall(r"\w+", " ".join(
        block.text for chapter in report.chapters for section in chapter.data.sections
        for block in section.blocks if block.type == "prose").casefold()))
    joined = [(a + b).casefold() for a, b in broken]
    assert sum(word in words for word in joined) >= 0.9 * len(joined)


def test_pdfium_reads_the_same_text_as_poppler(pdf_path):
    document = pypdfium2.PdfDocument(str(pdf_path))
    for number in (3, 10):
        by_pdfium = document[number - 1].get_textpage().get_text_range()
        by_poppler = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number),
                                     str(pdf_path), "-"], capture_output=True, text=True,
                                    check=True).stdout
        assert squash(by_pdfium.replace("\ufffe", "")) == squash(by_poppler)


def test_a_passage_in_another_language_is_marked(small: Path, tmp_path):
    chapter = next((small / "chapters").iterdir())
    source = chapter / "chapter.yaml" if (chapter / "chapter.yaml").exists() \
        else chapter / "chapter.md"
    text = source.read_text(encoding="utf-8")
    sentence = re.search(r"\b([A-Z][a-z]+ [a-z]+ [a-z]+)\b", text.split("sections:")[-1])
    assert sentence
    edit(small, str(source.relative_to(small)), sentence.group(1),
         f"[{sentence.group(1)}]{{lang=en-GB}}")
    result = build(small, tmp_path / "out.pdf")
    with pikepdf.open(result.path) as pdf:
        spans = [e for e in _elements(pdf) if "/Lang" in e]
        assert [str(e.Lang) for e in spans] == ["en-GB"]
        assert str(pdf.Root.Lang) != "en-GB"


def test_ligatures_copy_as_their_letters(pdf_path, report):
    """A ligature glyph (fi, fl, ff) copies as the letters it stands for: the fonts'
    /ToUnicode maps each drawn glyph to its text (ISO 32000-1, 9.10.3)."""
    copied = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True,
                            text=True, check=True).stdout
    copied = re.sub(r"\u00ad\n", "", copied)
    source = " ".join(block.text for chapter in report.chapters
                      for section in chapter.data.sections for block in section.blocks
                      if block.type == "prose")
    words = {word for word in re.findall(r"\w+", source) if re.search("f[fil]", word)}
    assert len(words) > 5, "the sample's prose has words with f-ligatures"
    assert not [word for word in words if word not in copied]
    assert not re.search("[\ufb00-\ufb06]", copied)  # no presentation-form ligatures


TRIAL = '''sections:
  - blocks:
      - type: heading
        text: Een kop zonder sectietitel
      - type: prose
        text: |
          Stappen:

          1. eerst dit;
          2. dan dat, met
             - een lijst in de lijst
             - en nog een punt.

          | Rubriek | 2020 | 2021 |
          | --- | --- | --- |
          |  | 10 | 12 |
          | Totaal | | 30 |
'''


def test_a_report_of_its_own_passes_the_preflight_of_pdf_ua(small: Path, tmp_path):
    """A heading block in a section without a title, an ordered list with a nested
    list, a table with empty cells: the archival edition's tree still passes every
    check (the heading does not skip a level), an empty cell keeps its place under
    its header, and the edition publishes strict (the list numbers at text contrast,
    the nested list's marker a glyph the font has)."""
    from almanac.pipeline import publish
    from almanac.reporter import BufferReporter
    from almanac.stages.conformance import check_pdf

    edit(small, INZET, "sections:\n", TRIAL)
    result = publish(small, reporter=BufferReporter())
    pdf_path = result.pdf
    assert check_pdf(pdf_path.read_bytes()).counts() == {}
    with pikepdf.open(pdf_path) as pdf:
        headings = [int(str(e.S)[2]) for e in _elements(pdf)
                    if re.fullmatch(r"/H[1-6]", str(e.S))]
        assert all(b <= a + 1 for a, b in zip([0] + headings, headings))
        tables = [e for e in _elements(pdf) if e.S == "/Table"]
        for table in tables:
            rows = [row for row in _elements_in(table) if row.S == "/TR"]
            widths = {len([c for c in row.K if isinstance(c, pikepdf.Dictionary)])
                      for row in rows}
            assert len(widths) == 1, "every row has a cell under every header"


def _elements_in(element) -> list[pikepdf.Dictionary]:
    found = []
    kids = element.K if isinstance(element.K, pikepdf.Array) else [element.K]
    for kid in kids:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            found.append(kid)
            found.extend(_elements_in(kid))
    return found


def test_each_link_is_one_stop_and_says_where_it_goes_once(objects):
    """One annotation per link area (a keyboard stops once per entry), described by
    what it says and the page it leads to, the page said once."""
    for number, page in enumerate(objects.pages):
        annotations = [a for a in page.get("/Annots", []) if a.Subtype == "/Link"]
        rects = [tuple(round(float(v)) for v in a.Rect) for a in annotations]
        for a, b in ((a, b) for a in rects for b in rects if a != b):
            inside = a[0] >= b[0] and a[1] >= b[1] and a[2] <= b[2] and a[3] <= b[3]
            assert not inside, f"page {number + 1}: link area {a} inside {b}"
        for annotation in annotations:
            description = str(annotation.Contents)
            numbers = re.findall(r"\d+", description)
            assert description.strip() and not description.startswith(",")
            assert len(numbers) == len(set(numbers)), description


def test_a_passage_marked_with_a_language_that_is_none_is_refused_on_its_line(project, cli):
    edit(project, INZET, "sections:\n", "sections:\n  - blocks:\n      - type: prose\n"
         "        text: Zo zei ze [in Klingon]{lang=tlh-xx-!!} en meer.\n")
    ran = cli("check", str(project))
    assert ran.returncode == 1
    line = next(number for number, text in enumerate(
        (project / INZET).read_text(encoding="utf-8").splitlines(), 1) if "Klingon" in text)
    assert f"{INZET}:{line}:" in ran.stderr and "{lang=tlh-xx-!!}" in ran.stderr
    assert "lang=en" in ran.stderr  # the fix shows the form


def test_an_element_left_without_content_is_not_written_at_all():
    """Text drawn inside a transparency group (``opacity``) is marked in a form XObject,
    which a page's marked-content identifier cannot reach: it becomes an artifact, and
    the element that held it is not written into the file outside the tree."""
    import io

    import weasyprint

    from almanac.stages.structure import Tagging, tagged

    html = ('<html lang="en"><body><h1>Title</h1><p style="opacity: .5">Faded</p>'
            '<p>Plain</p></body></html>')
    with tagged(Tagging(lambda text, page: text)):
        data = weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        every = {item.objgen for item in pdf.objects if isinstance(item, pikepdf.Dictionary)
                 and item.get("/Type") == "/StructElem"}
        assert every == {element.objgen for element in _elements(pdf)}
        assert [str(e.S) for e in _elements(pdf)] == ["/Document", "/H1", "/P"]
