"""A report typeset in parts on several processes (``--jobs 2``) is the document the
single pass (``--jobs 1``) makes: the same text and image on every page, the same
outline, links, contents numbers, cross-references and structure tree, the same
blank pages in the print edition, the same error for a chapter that fails."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from almanac.pipeline import PER_CHAPTER, BuildOptions, load, make_pdf
from almanac.stages.conformance import check_pdf
from almanac.stages.typeset import Attachment, Embedding

from conftest import VOORWOORD, almanac, copy_project, edit, override

pytestmark = pytest.mark.slow


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def page_images(pdf: bytes) -> list[bytes]:
    """Every page rasterised at 108 dpi (PDFium), as raw RGB bytes."""
    document = pdfium.PdfDocument(pdf)
    try:
        return [document[i].render(scale=1.5).to_pil().convert("RGB").tobytes()
                for i in range(len(document))]
    finally:
        document.close()


def outline(pdf: bytes) -> list[tuple[int, str, int]]:
    """(depth, title, 0-based page) of every outline entry, in order."""
    reader = PdfReader(io.BytesIO(pdf))

    def walk(items, depth=0):
        for item in items:
            if isinstance(item, list):
                yield from walk(item, depth + 1)
            else:
                yield depth, item.title, reader.get_destination_page_number(item)
    return list(walk(reader.outline))


def links(pdf: bytes) -> list[tuple]:
    """Every link annotation: its page, rectangle, the page its named destination
    leads to (None for a URI) and its description (/Contents)."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        pages = {page.obj.objgen: number for number, page in enumerate(document.pages)}
        names = document.Root.get("/Names")
        destinations = dict(pikepdf.NameTree(names.Dests).items()) \
            if names is not None and "/Dests" in names else {}
        found = []
        for number, page in enumerate(document.pages):
            for annotation in page.obj.get("/Annots", []):
                if annotation.get("/Subtype") != "/Link":
                    continue
                target = None
                if "/Dest" in annotation:
                    destination = destinations[str(annotation.Dest)]  # KeyError: dangling
                    target = pages[destination[0].objgen]
                found.append((number, [round(float(value)) for value in annotation.Rect],
                              target, str(annotation.get("/Contents", ""))))
        return found


def structure(pdf: bytes) -> list[tuple]:
    """The structure tree in reading order: each element's depth, role and first page,
    each marked-content reference's page and MCID; and each page's /StructParents."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        pages = {page.obj.objgen: number for number, page in enumerate(document.pages)}
        rows: list[tuple] = []

        def walk(element, depth, page):
            page = pages.get(element.Pg.objgen, page) if "/Pg" in element else page
            rows.append((depth, str(element.S), page, str(element.get("/Alt", ""))))
            kids = element.get("/K")
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR":
                    rows.append((depth + 1, "MCR", pages[kid.Pg.objgen], int(kid.MCID)))
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR":
                    rows.append((depth + 1, "OBJR", pages[kid.Pg.objgen]))
                elif isinstance(kid, pikepdf.Dictionary):
                    walk(kid, depth + 1, page)
                elif kid is not None:
                    rows.append((depth + 1, "MCID", page, int(kid)))

        root = document.Root.StructTreeRoot
        for element in root.K if isinstance(root.K, pikepdf.Array) else [root.K]:
            walk(element, 0, None)
        rows.append(tuple(int(page.obj.StructParents) for page in document.pages))
        return rows


def assert_same_document(one: bytes, parts: bytes, tagged: bool = True) -> None:
    texts = page_texts(one)
    assert page_texts(parts) == texts
    images = page_images(one)
    assert [i + 1 for i, (a, b) in enumerate(zip(images, page_images(parts))) if a != b] \
        == []
    assert outline(parts) == outline(one)
    assert links(parts) == links(one)
    if tagged:
        assert structure(parts) == structure(one)


def said(stderr: str) -> list[str]:
    """What Almanac printed on standard error, without the lines the Pango library
    writes itself."""
    return [line for line in stderr.splitlines() if line and not line.startswith("(process:")]


@pytest.fixture
def project(tmp_path) -> Path:
    return copy_project(tmp_path / "project")


def test_two_processes_typeset_the_sample_as_one_pass_does(project):
    report = load(project)
    one = make_pdf(report, BuildOptions(jobs=1))
    parts = make_pdf(report, BuildOptions(jobs=2))
    assert one.parts == 1 and parts.parts == 2
    assert parts.pages == one.pages
    assert parts.warnings == one.warnings
    assert_same_document(one.pdf, parts.pdf)
    # the contents' numbers are the pages the chapters open on, in both
    texts = page_texts(parts.pdf)
    contents = next(text for text in texts if re.search(r"\. \. \. ", text))
    for chapter in report.chapters:
        title = chapter.data.title
        number = int(re.search(rf"{re.escape(title)}[ .]*?(\d+)\n", contents)[1])
        assert texts[number - 1].lstrip().startswith(f"{chapter.number:02d}"), title
    assert check_pdf(parts.pdf).findings == []
    assert len(parts.pdf) < 1.1 * len(one.pdf)  # one copy of each font program


def test_a_chapter_whose_page_numbers_change_its_lines(project):
    """The preface (first part) is made of cross-references "figuur N op pagina P" to a
    figure of the last chapter (second part): its lines break where the numbers' widths
    put them. No page of the last build is known (no record), so the first part is
    first laid out with a guess and, its numbers wrong, laid out again."""
    references = " ".join(["{{ figure:normen }}"] * 140)
    edit(project, VOORWOORD, "          Trots overheerst",
         f"          Zie {references}.\n\n          Trots overheerst")
    report = load(project)
    one = make_pdf(report, BuildOptions(jobs=1))
    for kept in (project / ".almanac-cache").glob("typeset/*.json"):
        kept.unlink()  # no record of the last build: guesses only
    parts = make_pdf(report, BuildOptions(jobs=2))
    assert parts.parts == 2 and parts.layouts > parts.parts  # laid out again
    assert_same_document(one.pdf, parts.pdf)
    preface = "".join(page_texts(parts.pdf)[2:5])
    assert re.search(r"figuur \d+ op pagina \d\d", preface)


def test_the_print_edition_opens_chapters_on_right_hand_pages_alike(project):
    report = load(project)
    one = make_pdf(report, BuildOptions(variant="print", jobs=1))
    for kept in (project / ".almanac-cache").glob("typeset/*.json"):
        kept.unlink()  # no record of the last build: the blank pages guessed, not known
    parts = make_pdf(report, BuildOptions(variant="print", jobs=2))
    assert parts.parts == 2
    assert_same_document(one.pdf, parts.pdf, tagged=False)
    reader = PdfReader(io.BytesIO(parts.pdf))
    blank = [number for number, page in enumerate(reader.pages, 1)
             if not page.extract_text().strip()]
    assert blank and len(reader.pages) % 4 == 0  # blank pages, a multiple of 4
    with pikepdf.open(io.BytesIO(parts.pdf)) as document:
        assert all("/TrimBox" in page.obj and "/BleedBox" in page.obj
                   for page in document.pages)


def test_an_archival_pdf_in_parts_stays_conformant(project):
    embedding = Embedding(identifier=b"0" * 32, date=dt.datetime(2022, 5, 1, tzinfo=dt.UTC),
                          xmp=(), attachments=(Attachment("notes.txt", b"sources", "Source",
                                                          "an input"),))
    parts = make_pdf(load(project), BuildOptions(variant="archive", jobs=2),
                     embedding=embedding)
    assert parts.parts == 2
    result = check_pdf(parts.pdf)
    assert {"PDF/A-3a", "PDF/UA-1"} <= set(result.claims) and result.findings == []
    with pikepdf.open(io.BytesIO(parts.pdf)) as document:
        assert list(document.attachments) == ["notes.txt"]
        assert bytes(document.trailer.ID[0]) == b"0" * 32


def test_a_failing_chapter_fails_the_build_as_in_one_pass(project):
    """A style that WeasyPrint cannot lay out, in the last chapter only (the second
    part): the same message and exit status as one pass, and the PDF built before is
    left as it was."""
    built = almanac("build", str(project), "-q", "--jobs", "1")
    assert built.returncode == 0
    pdf = next((project / "output").rglob("*.pdf"))
    before = pdf.read_bytes()
    with override(project, "styles/components.css").open("a", encoding="utf-8") as stream:
        stream.write("\n#h-07-resultaten p { font-size: 1e9pt; }\n")
    one = almanac("build", str(project), "-q", "--jobs", "1")
    parts = almanac("build", str(project), "-q", "--jobs", "2")
    assert one.returncode == parts.returncode == 1
    assert "WeasyPrint failed" in one.stderr and "Traceback" not in parts.stderr
    # (Pango's own complaints on standard error carry a process number and a time)
    assert said(parts.stderr) == said(one.stderr)
    assert pdf.read_bytes() == before


def test_a_change_to_one_chapter_typesets_that_part_again(project):
    """Cut at every chapter (as the preview cuts), a second build after a word of one
    chapter changed typesets that chapter's part only, the others are joined as kept,
    and the document is the single pass's of the changed report."""
    options = BuildOptions(jobs=2, parts=PER_CHAPTER)
    first = make_pdf(load(project), options)
    assert first.parts > 5 and len(first.typeset) == first.parts
    again = make_pdf(load(project), options)
    assert again.typeset == [] and again.pdf == first.pdf  # nothing changed: all kept
    line = edit(project, "chapters/05-ontwikkelingen/chapter.yaml", "ontwikkelagenda",
                "ontwikkelingsagenda")
    assert line
    report = load(project)
    changed = make_pdf(report, options)
    assert len(changed.typeset) == 1  # the part of chapter 5, its pages where they were
    assert changed.pages == first.pages and changed.pdf != first.pdf
    assert_same_document(make_pdf(report, BuildOptions(jobs=1)).pdf, changed.pdf)


def test_parts_whose_guessed_first_page_was_wrong_get_the_true_numbers(project):
    """The last build's record moved two pages on: every part but the first guesses
    its first page wrong by two (the same side of the sheet). A part whose content
    prints no page number keeps its layout and gets its margins ("page X of Y") made
    again with the true numbers; the others are laid out again. The document is the
    single pass's."""
    import json

    from almanac.pipeline import _guesses_path

    report = load(project)
    one = make_pdf(report, BuildOptions(jobs=1))  # also keeps the record
    record = _guesses_path(report, BuildOptions())
    kept = json.loads(record.read_text(encoding="utf-8"))
    kept["anchors"] = {name: page + 2 for name, page in kept["anchors"].items()}
    kept["blank"], kept["total"] = [], kept["total"] + 2
    record.write_text(json.dumps(kept), encoding="utf-8")
    parts = make_pdf(report, BuildOptions(jobs=2, parts=PER_CHAPTER))
    assert parts.parts > 5
    assert parts.parts < parts.layouts < 2 * parts.parts  # some laid out again, not all
    assert_same_document(one.pdf, parts.pdf)


def test_a_counter_that_runs_across_chapters_is_typeset_in_one_pass(project):
    """A stylesheet numbers the charts through the whole report with a CSS counter (reset
    on the body): a part laid out apart would start it again at 0, so the report is
    typeset in one pass, and the numbers run on."""
    with override(project, "styles/components.css").open("a", encoding="utf-8") as stream:
        stream.write("\nbody { counter-reset: chart-count; }\n"
                     "figure.chart { counter-increment: chart-count; }\n"
                     "figure.chart figcaption::before { content: '#' counter(chart-count) ' '; }\n")
    report = load(project)
    one = make_pdf(report, BuildOptions(jobs=1))
    two = make_pdf(report, BuildOptions(jobs=2))
    assert two.parts == 1 and two.pdf == one.pdf
    numbers = [int(n) for n in re.findall(r"#(\d+) ", "".join(page_texts(two.pdf)))]
    assert len(numbers) > 3 and numbers == list(range(1, len(numbers) + 1))


def test_pages_selected_by_their_place_are_the_single_pass_s(project):
    """``@page :nth()`` rules pick pages by their place in the document: a part whose
    first page was guessed wrong is laid out again, not only given new margins."""
    import json

    from almanac.pipeline import _guesses_path

    with override(project, "styles/pages.css").open("a", encoding="utf-8") as stream:
        stream.write("\n@page :nth(7) { @top-right { content: 'SEVENTH'; } }\n"
                     "@page :nth(2n+25) { @top-right { content: 'FROM-25'; } }\n")
    report = load(project)
    one = make_pdf(report, BuildOptions(jobs=1))
    record = _guesses_path(report, BuildOptions())
    kept = json.loads(record.read_text(encoding="utf-8"))
    kept["anchors"] = {name: page + 2 for name, page in kept["anchors"].items()}
    record.write_text(json.dumps(kept), encoding="utf-8")
    parts = make_pdf(report, BuildOptions(jobs=2, parts=PER_CHAPTER))
    assert parts.parts > 5
    assert_same_document(one.pdf, parts.pdf)
    texts = page_texts(parts.pdf)
    assert "SEVENTH" in texts[6] and "FROM-25" in texts[24] and "FROM-25" not in texts[22]
