"""Figures placed as a typesetter places them, and keep-together rules that give way
when they cannot be met: a report made to provoke each, laid out with and without
the placement passes, read back from its PDF and its layout."""

from __future__ import annotations

import io
import random
import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

from almanac.pipeline import BuildOptions, build, load, render_html
from almanac.stages.preflight import page_holes
from almanac.stages.typeset import typeset
from almanac.stages.variants import VARIANTS

from conftest import almanac, copy_project, cut_to

CHAPTER = "chapters/01-voorwoord/chapter.yaml"
WORDS = ("report year region service staff budget result target office partner "
         "measure policy review quality safety county").split()


def paragraph(tag: str, words: int) -> str:
    """A paragraph that starts with ``tag`` (found again in the PDF's text)."""
    return tag + " " + " ".join(WORDS[(i * 7) % len(WORDS)] for i in range(words)) + "."


def write_chapter(project: Path, sections: str, series: str = "") -> Path:
    """The project cut to its first chapter, that chapter's content replaced."""
    cut_to(project, ("01-voorwoord",))
    (project / CHAPTER).write_text("title: Placement\n" + series + "sections:\n" + sections,
                                   encoding="utf-8")
    return project


def prose(*paragraphs: str) -> str:
    text = "\n\n".join(paragraphs)
    return "      - type: prose\n        text: |\n" + "".join(
        f"          {line}\n" if line else "\n" for line in text.split("\n"))


def laid_out(project: Path, placement: bool):
    """The project's screen edition laid out: (typeset result)."""
    report = load(project)
    rendered, charts = render_html(report, BuildOptions())
    try:
        return typeset(rendered, report.root, VARIANTS["screen"], before_read=charts.wait,
                       placement=placement)
    finally:
        charts.finish()


def pages_text(pdf: bytes | Path) -> list[str]:
    reader = PdfReader(pdf if isinstance(pdf, Path) else io.BytesIO(pdf))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def page_of(texts: list[str], needle: str) -> list[int]:
    return [number for number, text in enumerate(texts, start=1) if needle in text]


# --------------------------------------------------------------------------- figures

SERIES = "series:\n  visitors: {file: data/visitors.csv}\n"


def figure_near_the_foot(project: Path, filler: int) -> Path:
    """Paragraphs of ``filler`` words in all (70 each, the last ``Lead…`` holds the
    rest), then a chart that may not fit under them, then the paragraphs a
    typesetter would bring up, and a cross-reference to the chart."""
    data = project / "chapters/01-voorwoord/data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "visitors.csv").write_text("year,visitors\n2019,310\n2020,280\n2021,350\n",
                                       encoding="utf-8")
    sections = ("  - title: Visitors\n    blocks:\n"
                + prose(*(paragraph(f"Lead{i}", min(70, filler - 70 * i))
                          for i in range((filler + 69) // 70)))
                + "      - type: figure\n        id: visitors\n        chart: columns\n"
                  "        series: visitors\n        caption: Visitors by year\n"
                + prose(paragraph("FlowsUp", 30), paragraph("Second", 30),
                        paragraph("Third", 60), paragraph("Fourth", 60),
                        "Seen in {{ ref:visitors }}, as counted."))
    return write_chapter(project, sections, SERIES)


@pytest.fixture(scope="module")
def figure_project(tmp_path_factory) -> Path:
    return figure_near_the_foot(copy_project(tmp_path_factory.mktemp("figure") / "p"), 300)


def test_a_figure_that_does_not_fit_leaves_a_hole_without_the_passes(figure_project):
    result = laid_out(figure_project, placement=False)
    texts = pages_text(result.pdf)
    figure_page = page_of(texts, "Visitors by year")[0]  # then in the appendix of data
    holes = page_holes(result.document)
    # the page before the figure's is left with its foot empty, the text after the
    # figure set below it: the fault the passes mend
    assert holes[figure_page - 1] > 0.2
    assert page_of(texts, "FlowsUp") == [figure_page]


def test_the_text_after_a_figure_flows_up_and_the_figure_tops_the_next_page(figure_project):
    result = laid_out(figure_project, placement=True)
    texts = pages_text(result.pdf)
    figure_page = page_of(texts, "Visitors by year")[0]  # then in the appendix of data
    [before] = page_of(texts, "Lead4")
    holes = page_holes(result.document)
    assert figure_page == before + 1
    assert holes[before] <= 0.2
    # the paragraph after the figure is set on the page the figure left ...
    assert page_of(texts, "FlowsUp") == [before]
    # ... and the figure opens the next page, under the running head
    body = texts[figure_page - 1]
    assert body.index("Visitors by year") < min(
        body.index(tag) for tag in ("Third", "Fourth", "Seen in") if tag in body)
    assert result.layouts == 2


def test_a_moved_figure_keeps_its_number_and_its_cross_reference_its_page(figure_project):
    result = laid_out(figure_project, placement=True)
    texts = pages_text(result.pdf)
    figure_page = page_of(texts, "Visitors by year")[0]  # then in the appendix of data
    caption = re.search(r"(\w+) (\d+) Visitors by year", texts[figure_page - 1])
    assert caption is not None and caption.group(2) == "1"
    reference = re.search(r"Seen in (\w+) 1 (\w+) (\w+) (\d+)", " ".join(texts))
    assert reference is not None and int(reference.group(4)) == figure_page


def test_a_layout_that_needs_nothing_is_laid_out_once(tmp_path):
    project = figure_near_the_foot(copy_project(tmp_path / "p"), 250)
    result = laid_out(project, placement=True)
    assert result.layouts == 1
    assert max(page_holes(result.document).values(), default=0) <= 0.2


def test_the_sample_has_no_hole_above_a_fifth_of_a_page(pdf_path, warm):
    # the sample as its build lays it out: every body page but a chapter's last
    # filled to at least 80 % of its text area
    result = laid_out(warm, placement=True)
    holes = page_holes(result.document)
    assert holes and max(holes.values()) <= 0.2, holes
    assert result.pages == len(PdfReader(pdf_path).pages)


# --------------------------------------------------------------------------- tables

LONG = " ".join(f"word{i % 97}" for i in range(1400))


def long_row_table(project: Path) -> Path:
    data = project / "chapters/01-voorwoord/data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "notes.csv").write_text(f'code,note,count\nA1,"{LONG}",12\nB2,short,7\nC3,brief,3\n',
                                    encoding="utf-8")
    series = ("series:\n  notes:\n    file: data/notes.csv\n"
              "    columns: {code: text, note: text, count: count}\n")
    sections = ("  - title: Notes\n    blocks:\n"
                + prose(paragraph("Before", 200), paragraph("Introduction", 20))
                + "      - type: table\n        caption: Notes with one very long cell\n"
                  "        series: notes\n"
                  "        columns: {code: Code, note: Explanation, count: Count}\n")
    return write_chapter(project, sections, series)


@pytest.fixture(scope="module")
def long_table(tmp_path_factory) -> tuple[Path, Path, list[str]]:
    project = long_row_table(copy_project(tmp_path_factory.mktemp("table") / "p"))
    result = build(project, strict=True)  # the build is clean: nothing to warn about
    return project, result.path, pages_text(result.path)


def table_pages(texts: list[str]) -> list[int]:
    first = page_of(texts, "Notes with one very long cell")[0]
    last = page_of(texts, "C3 brief 3")[-1]
    return list(range(first, last + 1))


def test_a_row_taller_than_a_page_starts_under_its_caption(long_table):
    _, _, texts = long_table
    [caption] = page_of(texts, "Notes with one very long cell")
    assert "A1 word0 word1" in texts[caption - 1]
    assert page_of(texts, "Introduction") == [caption]


def test_the_header_row_repeats_on_every_page_of_the_table(long_table):
    _, _, texts = long_table
    pages = table_pages(texts)
    assert len(pages) >= 3
    assert all("Code Explanation Count" in texts[page - 1] for page in pages)


def test_the_columns_keep_their_widths_from_page_to_page(long_table):
    _, pdf, texts = long_table
    document = pdfium.PdfDocument(str(pdf))
    positions = []
    for page in table_pages(texts):
        text = document[page - 1].get_textpage()
        found = []
        for heading in ("Code", "Explanation", "Count"):
            searcher = text.search(heading, match_case=True, match_whole_word=True)
            match = searcher.get_next()
            assert match is not None, (page, heading)
            found.append(round(text.get_charbox(match[0])[0], 1))
        positions.append(tuple(found))
    assert len(set(positions)) == 1, positions


def test_a_quote_taller_than_a_page_starts_where_it_stands(tmp_path):
    quote = " ".join(f"saying{i % 89}" for i in range(1300))
    sections = ("  - title: Sayings\n    blocks:\n"
                + prose(paragraph("Before", 120))
                + f"      - type: quote\n        source: The director\n        text: {quote}\n")
    project = write_chapter(copy_project(tmp_path / "p"), sections)
    texts = pages_text(laid_out(project, placement=True).pdf)
    [before] = page_of(texts, "Before")
    assert "saying0 saying1" in texts[before - 1]
    # it splits as any text does, its source (set in capitals) at its end
    assert page_of([text.lower() for text in texts], "the director")[0] > before


# --------------------------------------------------------------------------- the measure

def test_the_hole_is_measured_on_pages_followed_by_their_flow_only():
    from weasyprint import HTML

    html = ("<style>@page { size: A4; margin: 20mm } body { margin: 0 }"
            " div { margin: 0 } .break { break-before: page }</style>"
            "<div style='height: 100mm; background: #000'></div>"
            "<div style='height: 200mm; break-inside: avoid; background: #000'></div>"
            "<div class='break' style='height: 10mm; background: #000'></div>")
    holes = page_holes(HTML(string=html).render())
    # page 1: 157 of 257 mm empty under the first block (the second went to page 2);
    # page 2 ends before a forced break, page 3 ends the document: neither counts
    assert list(holes) == [1]
    assert holes[1] == pytest.approx(157 / 257, abs=0.01)


# --------------------------------------------------------------------------- sidebars

VOCABULARY = ("service people request office week region record budget staff report plan "
              "year team city review answer public method result change number quarter "
              "process").split()


class Sentences:
    """Running text of sentences of 12 words, each opening with ``<tag>s<k>`` (found
    again in the PDF's text), drawn from one seeded generator: the same calls in the
    same order give the same text."""

    def __init__(self, seed: int = 16) -> None:
        self.random = random.Random(seed)

    def __call__(self, tag: str, words: int) -> str:
        sentences, count = [], 0
        while count < words:
            chosen = " ".join(self.random.choice(VOCABULARY) for _ in range(11))
            sentences.append(f"{tag}s{len(sentences) + 1} {chosen}.")
            count += 12
        return " ".join(sentences)


def new_report(folder: Path) -> Path:
    """A report as ``almanac new`` writes it, in British English."""
    project = folder / "report"
    ran = almanac("new", str(project), "--language", "en-GB", "--year", "2025")
    assert ran.returncode == 0, ran.stderr
    return project


SIDEBARS = (380, 300, 340, 260, 420, 310)
"""The words before each sidebar of facts: each sidebar then starts at another height
of its page."""


@pytest.fixture(scope="module")
def sidebars(tmp_path_factory) -> Path:
    """The new report, its first chapter closed by a section of six sidebars of facts
    (6 items of ~20 words), each between running text and 160 words after it."""
    project = new_report(tmp_path_factory.mktemp("sidebars"))
    text = Sentences()
    parts = ["\n## Sidebars\n"]
    for number, before in enumerate(SIDEBARS, 1):
        lead = text(f"SA{number}", before)
        items = "\n".join(f"- Item SB{number}x{item} {text(f'S{number}I{item}', 18)}"
                          for item in range(1, 7))
        after = text(f"SC{number}", 160)
        parts.append(f"\n{lead}\n\n:::{{facts}} Box {number}\n{items}\n:::\n\n{after}\n")
    chapter = project / "chapters/01-introduction/chapter.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "".join(parts), encoding="utf-8")
    return project


def sidebar_pages(texts: list[str]) -> dict[int, int]:
    """Each sidebar's page, asserting it is whole on it."""
    pages = {}
    for number in range(1, len(SIDEBARS) + 1):
        found = {page for item in range(1, 7)
                 for page in page_of(texts, f"SB{number}x{item} ")}
        assert len(found) == 1, f"sidebar {number} on pages {sorted(found)}"
        pages[number] = found.pop()
    return pages


def test_the_text_after_a_sidebar_pushed_to_the_next_page_flows_up(sidebars):
    alone = laid_out(sidebars, placement=False)
    texts, holes = pages_text(alone.pdf), page_holes(alone.document)
    pushed = {number: page for number, page in sidebar_pages(texts).items()
              if holes.get(page - 1, 0.0) > 0.2}
    # the fault: a sidebar that does not fit the rest of its page takes the text after
    # it along to the next page, and leaves the foot of its page empty
    assert pushed and all(page_of(texts, f"SC{number}s1 ") == [page]
                          for number, page in pushed.items())

    placed_ = laid_out(sidebars, placement=True)
    texts, holes_placed = pages_text(placed_.pdf), page_holes(placed_.document)
    pages = sidebar_pages(texts)
    assert list(pages.values()) == sorted(pages.values())  # in their order
    for number in pushed:
        # the sidebar opens the next page; the text after it fills the page it left
        page = pages[number]
        assert page_of(texts, f"SB{number}x1 ") == [page]
        assert page_of(texts, f"SC{number}s1 ")[0] < page, number
    assert max(holes_placed.values()) < max(holes.values())


# --------------------------------------------------------------------------- a long row

def long_row_report(project: Path) -> Path:
    """The new report with what its users add to it: in its first chapter long prose
    with footnotes, tiles, a long quote, facts; in its second a chart after long
    prose, and a table of 30 rows whose 7th has a cell of 1 400 words, set where it
    starts low on its page."""
    text = Sentences()
    chapter = project / "chapters/01-introduction/chapter.md"
    body = chapter.read_text(encoding="utf-8").replace(
        "  satisfaction: {value: 8.1, unit: decimal, label: average rating out of 10}\n",
        "  satisfaction: {value: 8.1, unit: decimal, label: average rating out of 10}\n"
        "  staff: {value: 312, unit: count, label: staff}\n")
    notes = "\n".join(f"[^n{i}]: Footnote {i} text fn{i}x: {text(f'F{i}', 24)}"
                      for i in range(1, 11))
    body += (f"\n## Long prose and footnotes\n\n{text('A', 560)}[^n1] {text('B', 60)}\n\n"
             f"{text('C', 300)}[^n2] more[^n3] and[^n4] so[^n5] on.\n\n"
             f"{text('D', 200)}[^n6] {text('E', 80)}[^n7] {text('G', 40)}[^n8][^n9] "
             f"end[^n10].\n\n{notes}\n\n{text('H', 700)}\n\n"
             f":::{{note}}\nNote after long prose NOTE1 {text('N', 20)}\n:::\n\n"
             f"## Tiles and quotes\n\n{text('K', 520)}\n\n:::{{kpis}}\nitems:\n"
             "  - {number: people_reached, label: People reached}\n"
             "  - {number: on_time, label: Answered on time}\n"
             "  - {number: budget, label: Budget}\n  - {number: staff, label: Staff}\n:::\n\n")
    body += f"{text('L', 200)}\n\n:::{{quote}}\n:source: Long quote source QSRC\n"
    body += f"{text('Q', 400)}\n:::\n\n{text('M', 450)}\n\n:::{{facts}} Facts one\n"
    body += "\n".join(f"- Fact FA{i} {text(f'FA{i}', 30)}" for i in range(1, 13))
    body += f"\n:::\n\n{text('P', 150)}\n"
    chapter.write_text(body, encoding="utf-8")

    folder = project / "chapters/02-results"
    rows = ["item,description,value"] + [
        f'I{i},"{text("T", 1400) if i == 7 else f"Row R{i} short"}",{i * 10}'
        for i in range(1, 31)]
    (folder / "data/big.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    chapter = folder / "chapter.md"
    body = chapter.read_text(encoding="utf-8").replace(
        "  requests_by_quarter: {file: data/quarters.csv, illustrative: true, "
        "note: Sample data.}\n",
        "  requests_by_quarter: {file: data/quarters.csv, illustrative: true, "
        "note: Sample data.}\n  big: {file: data/big.csv}\n")
    body += (f"\n## Placement\n\n{text('U', 480)}\n\n{text('V', 230)}\n\n"
             ":::{figure} columns\n:id: placed\n:series: requests_by_quarter\n"
             "Placed chart PLACEDCAP\n:::\n\n"
             f"{text('W', 180)}\n\n{text('X', 180)} As {{{{ ref:placed }}}} shows.\n\n"
             "## Big table\n\n:::{table} big\n:id: bigtable\n"
             ":columns: {item: Item, description: Description, value: Value}\n"
             "Big table BIGCAP\n:::\n\n"
             f"{text('Y', 100)} See {{{{ ref:bigtable }}}}.\n")
    chapter.write_text(body, encoding="utf-8")
    return project


def test_a_row_taller_than_a_page_splits_under_its_header_wherever_the_table_starts(
        tmp_path):
    project = long_row_report(new_report(tmp_path))
    texts = pages_text(laid_out(project, placement=True).pdf)
    [caption] = page_of(texts, "BIGCAP")
    last = page_of(texts, "I30 Row R30 short")[-1]
    # the long row starts under the rows before it, on the caption's page ...
    assert "Ts1 " in texts[caption - 1]
    # ... and the header row heads every page of the table
    assert last - caption >= 2
    for page in range(caption, last + 1):
        assert "Item Description Value" in texts[page - 1], page
