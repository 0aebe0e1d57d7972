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
                       r'<a class="xref-page" href="#\1">', html)
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
