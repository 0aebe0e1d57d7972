"""Charts a reader who cannot see them can read: alternative text made from the data,
in the report's language; every chart's values as a table in an appendix, linked both
ways; and photos that say what they show."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tinyhtml5
from pypdf import PdfReader

from almanac.errors import ReportError
from almanac.pipeline import load, render_html
from almanac.project.scaffold import new_project
from almanac.reporter import BufferReporter
from almanac.stages.charts import figure_blocks
from almanac.text.formatting import report_formatter

from conftest import INZET, PHOTO, ROOT, cut_to, edit, snapshot
from pdfread import outline, squash

KIND = re.compile(r'^KIND\s*=\s*"(\w+)"', re.MULTILINE)
DUTCH_KINDS = {"bar": "Staafdiagram", "column": "Kolomdiagram", "line": "Lijndiagram"}
ENGLISH_KINDS = {"bar": "Bar chart", "column": "Column chart", "line": "Line chart"}


def rendered(project: Path) -> tuple:
    """The report at ``project`` (loaded) and its HTML as an element tree."""
    report = load(project)
    html, charts = render_html(report, reporter=BufferReporter())
    charts.cancel()
    return report, tinyhtml5.parse(html.html)


def find(tree, path: str) -> list:
    """ElementTree's ``findall`` with every tag in the XHTML namespace (``.//img``)."""
    return tree.findall(re.sub(r"(?<=/)(\w+)", r"{*}\1", path))


def by_id(tree, anchor: str):
    return next(element for element in tree.iter() if element.get("id") == anchor)


def text(element) -> str:
    """The text of ``element``, its runs of ASCII white space one space (a no-break
    space stays, as the page prints it)."""
    return re.sub(r"[ \t\r\n]+", " ", "".join(element.itertext())).strip(" ")


def declared(project: Path, chart: str) -> str | None:
    """The kind a figure module declares, read from its file (the project's or the
    theme's)."""
    for folder in (project / "figures", ROOT / "src" / "almanac" / "theme" / "figures"):
        path = folder / f"{chart}.py"
        if path.is_file():
            found = KIND.search(path.read_text(encoding="utf-8"))
            return found.group(1) if found else None
    return None


def values_of(report, chapter, block) -> list[str]:
    """Every value of a figure block as the page prints it: its numbers as prose prints
    them, its series' cells as a table prints them (its first column names rows)."""
    fmt = report_formatter(report)
    if block.series:
        series = chapter.series[block.series]
        return [fmt.cell(row.get(column.name), column) for row in series.rows
                for column in series.columns[1:]]
    return [fmt.number(report.number(key)) for key in block.numbers]


@pytest.fixture
def english(tmp_path) -> Path:
    project = tmp_path / "english"
    new_project(project, language="en")
    return project


MONTHS = "month,received,answered,open\n" + "".join(
    f"2021-{month:02d}-01,{100 + month * 7},{90 + month * 5},{month * 3 + (month % 4)}\n"
    for month in range(1, 13))


def with_months(project: Path) -> Path:
    """The English project with a line chart of 12 months × 3 series."""
    (project / "chapters/02-results/data/months.csv").write_text(MONTHS, encoding="utf-8")
    edit(project, "chapters/02-results/chapter.md", "series:\n",
         "series:\n  months: {file: data/months.csv}\n")
    edit(project, "chapters/02-results/chapter.md", "### Per quarter\n",
         ":::{figure} line\n:id: months\n:series: months\nRequests by month\n:::\n\n"
         "### Per quarter\n")
    return project


# --------------------------------------------------------------------------- alt text

def test_each_charts_alt_text_names_its_kind_and_every_value_as_the_page_prints_it(project):
    report, tree = rendered(project)
    blocks = list(figure_blocks(report))
    assert blocks
    for chapter, block in blocks:
        alt = _alt(tree, report, block)
        kind = declared(project, block.chart)
        assert alt.startswith(DUTCH_KINDS[kind] + ". ") if kind else alt.startswith("Grafiek. ")
        assert re.sub(r"\s+", " ", block.caption).strip() in alt
        for value in values_of(report, chapter, block):
            assert value in alt, (value, alt)
    assert any(alt.endswith("Voorbeeldgegevens.") for alt in
               (_alt(tree, report, block) for _, block in blocks))


def _alt(tree, report, block) -> str:
    """The alternative text of the chart of ``block``: its figure's img."""
    number = [b for _, b in figure_blocks(report)].index(block) + 1
    figure = by_id(tree, f"figure-{block.id or number}")
    return find(figure, ".//img")[0].get("alt")


def test_an_english_report_describes_its_charts_in_english(english):
    report, tree = rendered(english)
    alts = [_alt(tree, report, block) for _, block in figure_blocks(report)]
    line = next(alt for alt in alts if alt.startswith("Line chart. "))
    # several series: named, each value after its series' name, row by row
    assert line.startswith("Line chart. Requests and answers per year. Requests and "
                           "answered on time by year: ")
    assert "requests 3,150, answered on time 2,977" in line
    assert line.endswith("Illustrative data.")
    assert next(alt for alt in alts if alt.startswith("Column chart. "))
    assert not any(word in alt for alt in alts for word in DUTCH_KINDS.values())


def test_a_long_series_is_summed_up_and_its_table_named(english):
    report, tree = rendered(with_months(english))
    block = next(block for _, block in figure_blocks(report) if block.id == "months")
    alt = _alt(tree, report, block)
    number = [b for _, b in figure_blocks(report)].index(block) + 1
    assert alt.startswith("Line chart. Requests by month. Month from ")
    received = [100 + month * 7 for month in range(1, 13)]
    assert f"Received: from {received[0]} (" in alt and f"to {received[-1]} (" in alt
    assert f"highest {max(received)} (" in alt and f"lowest {min(received)} (" in alt
    assert alt.endswith(f"Every value is in the table of figure {number} in the appendix "
                        "“Chart data”.")
    # not read out one by one: a value neither first, last, lowest nor highest is left out
    assert f" {received[5]} " not in f" {alt} ".replace("(", " ").replace(")", " ")
    # without the appendix, the text is the only way to the values: it reads them all
    edit(english, "report.yaml", "chapters:\n", "chart_data: none\n\nchapters:\n")
    report, tree = rendered(english)
    alt = _alt(tree, report, block)
    assert all(str(value) in alt for value in received)
    assert "appendix" not in alt


def test_a_module_that_does_not_say_what_it_draws_makes_a_chart(english):
    module = english / "figures" / "columns.py"
    module.parent.mkdir(exist_ok=True)
    source = (ROOT / "src/almanac/theme/figures/columns.py").read_text(encoding="utf-8")
    module.write_text(re.sub(r"(?m)^KIND = .*\n", "", source), encoding="utf-8")
    report, tree = rendered(english)
    alts = [_alt(tree, report, block) for _, block in figure_blocks(report)]
    assert [alt.split(". ")[0] for alt in alts] == ["Line chart", "Chart"]


def test_an_unknown_kind_is_an_error_on_its_line(english):
    module = english / "figures" / "line.py"
    module.parent.mkdir(exist_ok=True)
    source = (ROOT / "src/almanac/theme/figures/line.py").read_text(encoding="utf-8")
    module.write_text(source.replace('KIND = "line"', 'KIND = "lines"'), encoding="utf-8")
    with pytest.raises(ReportError) as caught:
        rendered(english)
    problem = caught.value.problems[0]
    line = source.splitlines().index(next(line for line in source.splitlines()
                                          if line.startswith("KIND"))) + 1
    assert (problem.path, problem.line) == (module, line)
    assert "'lines'" in problem.message or '"lines"' in problem.message
    assert '"line"' in problem.hint


# --------------------------------------------------------------------------- the data tables

def test_the_appendix_gives_each_charts_values_in_a_table_with_headers(project):
    report, tree = rendered(project)
    appendix = by_id(tree, "chart-data")
    tables = find(appendix, ".//table")
    blocks = list(figure_blocks(report))
    assert len(tables) == len(blocks)
    for number, ((chapter, block), table) in enumerate(zip(blocks, tables), 1):
        caption = text(find(table, ".//caption")[0])
        assert caption.startswith(f"Figuur {number} ")
        assert " ".join(block.caption.split()) in caption
        assert all(th.get("scope") == "col" for th in find(table, ".//thead//th"))
        rows = find(table, ".//tbody/tr")
        assert all(row[0].tag.endswith("th") and row[0].get("scope") == "row" for row in rows)
        cells = [text(cell) for row in rows for cell in row[1:]]
        assert cells == values_of(report, chapter, block)
        illustrative = bool(block.series) and chapter.data.series[block.series].illustrative
        assert ("Voorbeeldgegevens" in caption) == illustrative
    # in the contents, after the chapters
    entries = [text(a) for nav in find(tree, ".//nav") for a in find(nav, ".//a")]
    assert entries[-1] == "Gegevens bij de grafieken"


def test_a_report_without_charts_or_asking_for_none_has_no_appendix(project):
    edit(project, "report.yaml", "chapters:\n", "chart_data: none\n\nchapters:\n")
    _, tree = rendered(project)
    assert not any(element.get("id") == "chart-data" for element in tree.iter())
    assert not find(tree, ".//a[@class='data-link']")
    cut_to(project, ("01-voorwoord",))
    edit(project, "report.yaml", "chart_data: none\n", "")
    report, tree = rendered(project)
    assert not list(figure_blocks(report))
    assert not any(element.get("id") == "chart-data" for element in tree.iter())
    assert "Gegevens bij de grafieken" not in text(tree)


def test_a_layout_that_leaves_out_the_appendix_is_told_how_to_keep_it(project):
    layout = project / "layout" / "report.html"
    layout.parent.mkdir()
    original = (ROOT / "src/almanac/theme/layout/report.html").read_text(encoding="utf-8")
    layout.write_text(original.replace('{% include "chart-data.html" %}\n', ""),
                      encoding="utf-8")
    with pytest.raises(ReportError) as caught:
        rendered(project)
    problem = caught.value.problems[0]
    assert problem.path == layout and "chart-data.html" in problem.hint


def _destination(reader: PdfReader, annotation) -> tuple[str, int]:
    name = str(annotation["/Dest"])
    return name, reader.get_destination_page_number(reader.named_destinations[name]) + 1


def _links(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(page of the link, destination name, destination page) of every internal link."""
    found = []
    for index, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/Link" and "/Dest" in annotation:
                found.append((index + 1, *_destination(reader, annotation)))
    return found


def test_each_chart_links_to_its_table_and_back_on_the_pages_they_are_on(report, reader):
    pages = [squash(page.extract_text()) for page in reader.pages]
    links = _links(reader)
    # the appendix is a bookmark of the first level, as a chapter is
    (appendix,) = [page for depth, title, page in outline(reader)
                   if depth == 1 and title == "Gegevens bij de grafieken"]
    for number, (_, block) in enumerate(figure_blocks(report), 1):
        figure = f"figure-{block.id or number}"
        to_table = {link for link in links if link[1] == f"data-{figure}"}
        assert len(to_table) == 1, f"{figure}: links to its table {to_table}"
        ((source, _, target),) = to_table
        # the table is on the page the link opens, in the appendix, under its caption
        assert target >= appendix
        assert squash(f"Figuur {number} {block.caption}") in pages[target - 1]
        # the link's words give that page
        assert squash(f"in een tabel op pagina {target}") in pages[source - 1]
        # and the table links back to the page of the chart
        back = [link for link in links if link[1] == figure and link[0] == target]
        assert back and back[0][2] == source
        assert squash(f"Figuur {number} op pagina {source}") in pages[target - 1]


# --------------------------------------------------------------------------- photos

@pytest.mark.parametrize("written, below", [
    ("", -1),  # no description: the photo block's line
    ('        description: ""\n', 2),  # an empty one: its own line
    ("        description: \n", -1),  # none (YAML's null): the block's line
])
def test_a_photo_without_a_description_fails_on_its_line_and_spoils_nothing(
        project, earlier, cli, written, below):
    line = edit(project, INZET, PHOTO + "        treatment: duotone\n"
                "        description: Politiestudenten tijdens een les in een leslokaal.\n",
                PHOTO + "        treatment: duotone\n" + written)
    ran = cli("build", str(project))
    assert ran.returncode == 1
    shown = f"{INZET}:{line + below}"
    assert shown in ran.stderr, ran.stderr
    assert "description" in ran.stderr and "screen readers" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert snapshot(project / "output") == earlier


def test_a_photo_in_markdown_without_a_description_is_an_error_on_its_line(english):
    chapter = "chapters/03-outlook/chapter.md"
    line = edit(english, chapter,
                "A placeholder for a photo of the team, in the colours of the brand.\n", "")
    with pytest.raises(ReportError) as caught:
        load(english)
    (problem,) = caught.value.problems
    assert problem.path == english / chapter
    opening = (english / chapter).read_text(encoding="utf-8").splitlines()
    assert opening[problem.line - 1].startswith(":::{photo}") and problem.line < line
    assert "screen readers" in problem.hint


def test_a_decorative_photo_has_no_description_and_is_passed_over(project):
    edit(project, INZET, "        description: Politiestudenten tijdens een les in een "
         "leslokaal.\n", "        decorative: true\n")
    report, tree = rendered(project)
    photos = [img for figure in find(tree, ".//figure") if "photo" in figure.get("class", "")
              for img in find(figure, ".//img")]
    passed = [img for img in photos if img.get("role") == "presentation"]
    assert [img.get("alt") for img in passed] == [""]
    assert len(photos) > 1 and all(img.get("alt") for img in photos if img not in passed)
    both = edit(project, INZET, "        decorative: true\n",
                "        decorative: true\n        description: Een les.\n")
    with pytest.raises(ReportError) as caught:
        load(project)
    (problem,) = caught.value.problems
    assert problem.line == both - 3 and "decorative" in problem.message
