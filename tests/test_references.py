"""Cross-references in any language: ``{{ ref:key }}`` words itself in the report's
language, the old Dutch forms keep working, and a mistyped one is an error."""

from __future__ import annotations

import re

import pytest

from almanac.errors import ReportError
from almanac.pipeline import load, render_html
from almanac.reporter import BufferReporter

from conftest import edit

RESULTS = "chapters/07-resultaten/chapter.yaml"
PROSE = "Status volgens het voorwoord:"
REFERENCES = ("{{ Ref:normen }} en {{ ref:realisatie }}; {{ figure:normen }}, "
              "{{ Tabel:realisatie }} en {{ figuur:normen }}. " + PROSE)


@pytest.fixture
def results(project):
    """The sample, its results table's id made its own
    (``realisatie``) so that ``ref:`` names one target each."""
    edit(project, RESULTS, "      - type: results\n        id: normen",
         "      - type: results\n        id: realisatie")
    edit(project, RESULTS, PROSE, REFERENCES)
    return project


def html_of(project) -> str:
    rendered, charts = render_html(load(project), reporter=BufferReporter())
    charts.cancel()
    return rendered.html


def references_in(html: str) -> list[tuple[str, str]]:
    """(anchor, text) of each cross-reference: '<a class="xref" href="#a">text</a> words
    <a class="xref-page" href="#a">' with the words between the two links."""
    found = re.findall(r'<a class="xref" href="#([^"]+)">([^<]+)</a>([^<]*)'
                       r'<a class="xref-page" href="#\1"[^>]*>', html)
    return [(anchor, f"{text}{between}".strip()) for anchor, text, between in found]


def caption_label(html: str, anchor: str) -> str:
    """The label the target's caption prints ("Figuur 2")."""
    block = html[html.index(f'id="{anchor}"'):]
    return re.search(r'class="figure-number">([^<]+)<', block).group(1).strip()


@pytest.mark.parametrize("language, words", [
    ("nl", ["Figuur {f} op pagina", "tabel {t} op pagina", "figuur {f} op pagina",
            "Tabel {t} op pagina", "figuur {f} op pagina", "figuur {f} op pagina"]),
    ("en-GB", ["Figure {f} on page", "table {t} on page", "figure {f} on page",
               "Table {t} on page", "figure {f} on page", "figure {f} on page"]),
    ("de", ["Abbildung {f} auf Seite", "Tabelle {t} auf Seite", "Abbildung {f} auf Seite",
            "Tabelle {t} auf Seite", "Abbildung {f} auf Seite", "Abbildung {f} auf Seite"]),
])
def test_every_form_is_worded_in_the_report_language(results, language, words):
    edit(results, "report.yaml", "language: nl", f"language: {language}")
    html = html_of(results)
    found = references_in(html)
    anchors = [anchor for anchor, _ in found]
    # The five written above, then the sample's own {{ figuur:normen }} in the same note.
    assert anchors == ["figure-normen", "table-realisatie", "figure-normen",
                       "table-realisatie", "figure-normen", "figure-normen"]
    # The number in each reference is the number its target's caption prints.
    figure = re.search(r"\d+", caption_label(html, "figure-normen")).group(0)
    table = re.search(r"\d+", caption_label(html, "table-realisatie")).group(0)
    assert [text for _, text in found] == [w.format(f=figure, t=table) for w in words]


def problem_of(project) -> tuple[str, int | None, str]:
    with pytest.raises(ReportError) as caught:
        load(project)
    problem = caught.value.problems[0]
    return problem.message, problem.line, problem.hint or ""


def line_with(project, relative: str, text: str) -> int:
    lines = (project / relative).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


@pytest.mark.parametrize("written, message, hint", [
    ("{{ figure:normn }}", "unknown figure 'normn'", "did you mean 'normen'?"),
    ("{{ fig:normen }}", "unknown kind of reference '{{ fig:normen }}'",
     "did you mean 'figure'?"),
    ("{{ abbildung:normen }}", "unknown kind of reference", "{{ ref:normen }}"),
    ("{{ Norm_cs }}", "unknown number 'Norm_cs'", "did you mean 'norm_cs'?"),
])
def test_a_mistyped_reference_is_an_error_on_its_line(project, written, message, hint):
    edit(project, RESULTS, PROSE, f"Zie {written}. {PROSE}")
    found, line, fix = problem_of(project)
    assert message in found
    assert hint in fix
    assert line == line_with(project, RESULTS, written)


def test_a_reference_that_names_a_figure_and_a_table_asks_which(project):
    # the sample's figure and table are both 'normen'
    edit(project, RESULTS, PROSE, f"Zie {{{{ ref:normen }}}}. {PROSE}")
    found, line, fix = problem_of(project)
    assert found == "reference 'normen' names both a figure and a table"
    assert "{{ figure:normen }} or {{ table:normen }}" in fix
    assert line == line_with(project, RESULTS, "{{ ref:normen }}")


# --------------------------------------------------------------------------- in titles

RESULTS_MD = "chapters/02-results/chapter.md"
PARAGRAPH = "the year before ({{ ref:requests }}). The chart draws the series in\n"


@pytest.fixture
def english(tmp_path):
    """The English scaffold: a figure 'requests' in chapter 02-results, and its table of
    quarters given the id 'quarters'."""
    import datetime as dt

    from almanac.project.scaffold import new_project

    project = tmp_path / "r"
    new_project(project, language="en", today=dt.date(2024, 4, 1))
    edit(project, RESULTS_MD, ":::{table} requests_by_quarter\n",
         ":::{table} requests_by_quarter\n:id: quarters\n")
    return project


def problems_of(project) -> list:
    with pytest.raises(ReportError) as caught:
        load(project)
    return caught.value.problems


HEADING_REFUSED = ("a heading cannot hold a cross-reference (the contents and the bookmarks "
                   "cannot show its page)")


@pytest.mark.parametrize("old, new", [
    ("## Requests\n", "## Requests, see {{ ref:quarters }}\n"),  # a section's title
    ("### Per quarter\n", "### Per quarter, as in {{ Figure:requests }}\n"),  # a heading
    ("# Results\n", "# Results and {{ table:quarters }}\n"),  # the chapter's title
    ("lead: The year in figures.\n",  # a short title, in the front matter
     "lead: The year in figures.\nshort_title: Results ({{ ref:requests }})\n"),
])
def test_a_cross_reference_in_a_heading_is_an_error_on_its_line(english, old, new):
    edit(english, RESULTS_MD, PARAGRAPH, PARAGRAPH.replace("{{ ref:requests }}",
                                                           "see {{ ref:requests }}"))
    line = edit(english, RESULTS_MD, old, new) + new[:-1].count("\n")
    found = problems_of(english)
    assert [(p.message, p.path.name, p.line, p.hint) for p in found] == [
        (HEADING_REFUSED, "chapter.md", line, "refer to it in the text")]


def test_a_cross_reference_in_a_yaml_section_title_is_an_error_on_its_line(project):
    line = edit(project, RESULTS, "  - title: Mensenhandel",
                "  - title: Mensenhandel ({{ ref:normen }})")
    problem = problems_of(project)[0]
    assert (problem.message, problem.path.name, problem.line) == (
        HEADING_REFUSED, "chapter.yaml", line)


def test_an_unknown_number_in_a_title_is_an_error_on_its_line(english):
    line = edit(english, RESULTS_MD, "## Requests\n", "## Requests: {{ requestz }}\n")
    found = problems_of(english)
    assert [(p.message, p.line, p.hint) for p in found] == [
        ("unknown number 'requestz'", line, "did you mean 'requests'?")]


def test_numbers_in_titles_print_the_same_in_heading_contents_and_bookmarks(english):
    from pypdf import PdfReader

    from almanac.pipeline import build

    from pdfread import outline

    edit(english, RESULTS_MD, "# Results\n", "# Results: {{ requests }} requests\n")
    edit(english, RESULTS_MD, "## Requests\n", "## Up {{ requests_growth }}\n")
    edit(english, RESULTS_MD, "### Per quarter\n", "### {{ requests }} per quarter\n")
    reader = PdfReader(build(english, reporter=BufferReporter()).path)
    expected = ["Results: 3,150 requests", "Up 12.5%", "3,150 per quarter"]
    titles = [title for _, title, _ in outline(reader)]
    assert all(title in titles for title in expected), titles  # the bookmarks
    pages = [page.extract_text() for page in reader.pages]
    contents = next(text for text in pages if "Contents" in text)
    assert expected[0] in contents and expected[1] in contents  # the contents
    body = "\n".join(pages[pages.index(contents) + 1:])
    assert all(title in body for title in expected)  # the headings themselves
    assert "{{" not in "\n".join(pages)


# --------------------------------------------------------------------------- alt text

def test_a_charts_alt_text_gives_a_cross_reference_without_its_page(english):
    edit(english, RESULTS_MD, "Requests and answers per year\n",
         "Requests and answers per year, cf. {{ ref:quarters }}\n")
    html = html_of(english)
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', html)
    assert any(alt.startswith("Line chart. Requests and answers per year, cf. table 1. ")
               for alt in alts), alts
    # the caption itself keeps the whole reference, its page filled in by the layout
    assert ("table-quarters", "table 1 on page") in references_in(html)


# --------------------------------------------------------------------------- their lines

def test_a_reference_of_the_wrong_kind_says_which_kind_on_its_line(english):
    line = edit(english, RESULTS_MD, PARAGRAPH,
                PARAGRAPH.replace("{{ ref:requests }}", "{{ table:requests }}"))
    assert line > line_with(english, RESULTS_MD, "We handled")  # not the block's first line
    found = problems_of(english)
    assert [(p.message, p.line, p.hint) for p in found] == [
        ("'requests' is a figure, not a table", line,
         "write {{ figure:requests }} or {{ ref:requests }}")]


def test_an_unknown_reference_is_reported_on_the_line_of_its_token(english):
    line = edit(english, RESULTS_MD, PARAGRAPH,
                PARAGRAPH.replace("{{ ref:requests }}", "{{ ref:requestz }}"))
    problem = problems_of(english)[0]
    assert (problem.message, problem.line) == ("unknown figure or table 'requestz'", line)


@pytest.mark.parametrize("written", ["{{ ref:requests", "{{ requests }"])
def test_an_unclosed_reference_is_an_error_on_its_line(english, written):
    line = edit(english, RESULTS_MD, PARAGRAPH,
                PARAGRAPH.replace("{{ ref:requests }}", written))
    found = problems_of(english)
    assert [(p.message, p.line, p.hint) for p in found] == [
        (f"the reference '{written}' is not closed", line, "close it with }}")]
