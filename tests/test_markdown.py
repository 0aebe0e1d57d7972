"""Chapters written in Markdown (``chapter.md``): the same data as a ``chapter.yaml``,
every block type as a directive, the same problems with the file and line, and the
starter project of ``almanac new`` written in them."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from almanac.errors import ReportError
from almanac.pipeline import build, load
from almanac.project.checks import blocks
from almanac.project.load import read_chapter
from almanac.project.markdown import DIRECTIVES
from almanac.project.model import BLOCK_TYPES
from almanac.project.scaffold import new_project
from almanac.project.yamlfile import read_yaml

from conftest import edit
from pdfread import outline, squash

REPORT = """\
title: Annual report
organisation: Example Foundation
year: 2024
language: en
subject: A report of one chapter that has every kind of block
edition: {version: "1.0", date: 2025-03-01}
chapters: [01-every-block]
"""
VISITS = "quarter,visits\nQ1,120\nQ2,135\nQ3,98\nQ4,141\n"

# One chapter with every block type, in Markdown and in YAML: the same data.
MARKDOWN = """\
---
short_title: Every block
lead: A chapter with every kind of block, written in Markdown.
numbers:
  ones: {value: 1234, unit: count, label: ones}
  share: {value: 42.5, unit: percent, label: share}
  target: {value: 12, unit: count, label: target}
  reached: {value: 9, unit: count, label: reached}
series:
  visits: {file: data/visits.csv, note: Counted at the door.}
---

# Every block

Alpha paragraph of {{ ones }} ones, with a footnote.[^pi]
Alpha sees {{ figuur:theta }} end alpha.

- a list item of the same prose block

[^pi]: Pi footnote text,
    over two lines.

### Beta heading

:::{kpis}
items:
  - {number: ones, label: Gamma tiles}
:::

## Second section

:::{quote}
:source: Epsilon Person
Delta quotation of {{ target }}
over two lines.
:::

:::{facts} Zeta facts
- Eta fact
- Eta second fact
:::

:::{figure} bars
:id: theta
:numbers: [ones, share]
Theta chart caption {{ share }}
:::

:::{photo} team
:treatment: duotone
:caption: Iota photo caption
Iota photo description.
:::

:::{norm} target
:year: 2024
Kappa norm label
:::

:::{results}
caption: Lambda results
items:
  - {label: Mu subject, norm: target, realised: reached, status: partly}
:::

:::{table} visits
---
id: nu
columns: {quarter: Quarter, visits: Visitors}
---
Nu table caption
:::

:::{note}
Xi note, *in Markdown*.
:::

::::{prose}
:columns: 2
Omicron text in two columns, {{ share }} of it.
::::
"""
YAML = """\
title: Every block
short_title: Every block
lead: A chapter with every kind of block, written in Markdown.
numbers:
  ones: {value: 1234, unit: count, label: ones}
  share: {value: 42.5, unit: percent, label: share}
  target: {value: 12, unit: count, label: target}
  reached: {value: 9, unit: count, label: reached}
series:
  visits: {file: data/visits.csv, note: Counted at the door.}
sections:
  - blocks:
      - type: prose
        text: |
          Alpha paragraph of {{ ones }} ones, with a footnote.[^pi]
          Alpha sees {{ figuur:theta }} end alpha.

          - a list item of the same prose block
        footnotes:
          pi: "Pi footnote text,\\nover two lines."
      - type: heading
        text: Beta heading
      - type: kpis
        items:
          - {number: ones, label: Gamma tiles}
  - title: Second section
    blocks:
      - type: quote
        text: "Delta quotation of {{ target }} over two lines."
        source: Epsilon Person
      - {type: facts, title: Zeta facts, items: [Eta fact, Eta second fact]}
      - type: figure
        id: theta
        chart: bars
        numbers: [ones, share]
        caption: "Theta chart caption {{ share }}"
      - type: photo
        motif: team
        treatment: duotone
        caption: Iota photo caption
        description: Iota photo description.
      - {type: norm, number: target, year: 2024, label: Kappa norm label}
      - type: results
        caption: Lambda results
        items:
          - {label: Mu subject, norm: target, realised: reached, status: partly}
      - type: table
        id: nu
        series: visits
        columns: {quarter: Quarter, visits: Visitors}
        caption: Nu table caption
      - {type: note, text: "Xi note, *in Markdown*.\\n"}
      - type: prose
        columns: 2
        text: |
          Omicron text in two columns, {{ share }} of it.
"""
# What each block puts on the page, in the order of the chapter; the facts, a sidebar
# that floats beside the text, are read out of the page where it stands.
IN_ORDER = ["Every block", "Alpha paragraph of 1,234 ones", "a list item of the same prose",
            "Beta heading", "Gamma tiles", "Second section", "Delta quotation of 12 over two lines",
            "Epsilon Person", "Theta chart caption 42.5%", "Iota photo caption", "Kappa norm label",
            "Lambda results", "Mu subject", "Nu table caption", "Q4", "141", "Xi note, in Markdown",
            "Omicron text in two columns, 42.5% of it"]
FLOATING = ["Delta quotation of 12 over two lines", "Epsilon Person", "Theta chart caption 42.5%",
            "Iota photo caption"]


def write_chapter(folder: Path, text: str, name: str = "chapter.md") -> Path:
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "visits.csv").write_text(VISITS, encoding="utf-8")
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def write_report(project: Path) -> Path:
    project.mkdir(parents=True, exist_ok=True)
    (project / "report.yaml").write_text(REPORT, encoding="utf-8")
    write_chapter(project / "chapters" / "01-every-block", MARKDOWN)
    return project


# --------------------------------------------------------------------------- the model

def test_every_block_type_is_a_directive():
    assert set(DIRECTIVES) == set(BLOCK_TYPES)
    used = set(re.findall(r"^:{3,}\{(\w+)\}", MARKDOWN, re.MULTILINE)) | {"prose", "heading"}
    assert used == set(BLOCK_TYPES)  # the chapter below has each (prose and ### as well)


def test_a_chapter_in_markdown_and_in_yaml_give_the_same_chapter(tmp_path):
    markdown = read_chapter(write_chapter(tmp_path / "md" / "c", MARKDOWN), "c", 1)
    written = read_chapter(write_chapter(tmp_path / "yaml" / "c", YAML, "chapter.yaml"), "c", 1)
    assert markdown.source.name == "chapter.md" and written.source.name == "chapter.yaml"
    assert markdown.data == written.data
    assert [block.type for block in markdown.data.sections[1].blocks] == [
        "quote", "facts", "figure", "photo", "norm", "results", "table", "note", "prose"]
    assert markdown.data.sections[0].blocks[0].footnotes == {
        "pi": "Pi footnote text,\nover two lines."}
    assert {key: (s.columns, s.rows) for key, s in markdown.series.items()} == \
        {key: (s.columns, s.rows) for key, s in written.series.items()}


def test_the_sample_has_chapters_in_both_forms_and_they_load(report):
    forms = {chapter.source.name for chapter in report.chapters}
    assert forms == {"chapter.md", "chapter.yaml"}
    for chapter in report.chapters:
        assert chapter.source.parent == chapter.folder


# --------------------------------------------------------------------------- bad input

def broken(project: Path, old: str, new: str) -> tuple[list, int]:
    """The problems of the report after ``old`` becomes ``new`` in its chapter.md,
    and the line of the change."""
    line = edit(project, "chapters/01-every-block/chapter.md", old, new)
    with pytest.raises(ReportError) as caught:
        load(project)
    return caught.value.problems, line


# (what to change, into what, lines below the change, what the message and fix say)
CASES = {
    "unknown directive": (":::{figure} bars", ":::{figur} bars", 0,
                          "unknown directive {figur}", "did you mean {figure}?"),
    "front matter YAML": ("  share: {value: 42.5,", "  share: {value: 42.5,, ", 0,
                          "invalid YAML", "check indentation"),
    "sections in front matter": ("series:\n", "sections: []\nseries:\n", 0,
                                 "the front matter holds sections", "'## Title' starts one"),
    "option value": (":id: theta\n", ":id: theta\n:width: huge\n", 1,
                     "Input should be 'column' or 'full', got 'huge'",
                     "use one of: 'column' or 'full'"),
    "unknown option": (":id: theta\n", ":id: theta\n:widht: full\n", 1,
                       "unknown key", "did you mean 'width'?"),
    "field in YAML body": ("  - {label: Mu subject,", "  - {label: Mu subject, colour: red,",
                           0, "unknown key", "allowed here"),
    "heading too deep": ("### Beta heading", "#### Beta heading", 0,
                         "a heading of level 4 (####) is not typeset", "### for a heading"),
    "unclosed directive": ("::::{prose}", ":::::{prose}", 0,
                           "the {prose} directive is not closed", "a line of :::::"),
    "directive without body": ("Theta chart caption {{ share }}\n", "", -3,
                               "the {figure} directive has no caption",
                               "write the caption on the lines between"),
    "second title": ("### Beta heading", "# Beta heading", 0,
                     "the chapter has a title already", "give the title once"),
    "unreferenced footnote": ("[^pi]: Pi", "[^pie]: Pi", 0,
                              "footnote [^pie] is not referred to", "refer to it as [^pie]"),
    "footnote without text": ("with a footnote.[^pi]", "with a footnote.[^pi][^rho]", 0,
                              "footnote [^rho] has no text", "[^rho]: and its text"),
    "unknown number": ("Alpha paragraph of {{ ones }}", "Alpha paragraph of {{ one }}", 0,
                       "unknown number 'one'", "did you mean 'ones'?"),
    "unknown norm number": (":::{norm} target", ":::{norm} targets", 0,
                            "unknown number 'targets'", "did you mean 'target'?"),
    "unknown chart": (":::{figure} bars", ":::{figure} barz", 0,
                      "figure module figures/barz.py does not exist", "figures/barz.py"),
    "unknown series": (":::{table} visits", ":::{table} visitors", 0,
                       "unknown series 'visitors'", "declare it under series:"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_markdown_is_named_with_its_file_line_and_fix(tmp_path, case):
    old, new, below, message, fix = CASES[case]
    problems, line = broken(write_report(tmp_path / "r"), old, new)
    found = [p for p in problems if message in p.message]
    assert found, [p.format() for p in problems]
    problem = found[0]
    assert problem.path.name == "chapter.md" and problem.path.parent.name == "01-every-block"
    assert problem.line == line + below, problem.format()
    assert fix in (problem.hint or ""), problem.format()


def test_a_yaml_error_in_the_front_matter_names_the_line_of_the_file(tmp_path):
    """The problem of the front matter as of a YAML file, at its line in chapter.md."""
    project = write_report(tmp_path / "r")
    edit(project, "chapters/01-every-block/chapter.md", "  ones: {", "  ones: [{")
    chapter = project / "chapters" / "01-every-block" / "chapter.md"
    front = chapter.read_text(encoding="utf-8").split("---\n")[1]
    (tmp_path / "front.yaml").write_text(front, encoding="utf-8")
    with pytest.raises(ReportError) as alone:
        read_yaml(tmp_path / "front.yaml", tmp_path)
    with pytest.raises(ReportError) as caught:
        load(project)
    (problem,) = caught.value.problems
    (expected,) = alone.value.problems
    assert problem.message.startswith("invalid YAML") and problem.hint == expected.hint
    assert (problem.path, problem.line) == (chapter, expected.line + 1)  # after the ---


def test_a_folder_with_both_forms_of_a_chapter_is_refused(tmp_path, cli):
    project = write_report(tmp_path / "r")
    write_chapter(project / "chapters" / "01-every-block", YAML, "chapter.yaml")
    ran = cli("check", str(project))
    assert ran.returncode == 1 and "Traceback" not in ran.stderr
    assert "holds both chapter.md and chapter.yaml" in ran.stderr
    assert "chapters/01-every-block/chapter.md" in ran.stderr
    assert "fix: keep one of them" in ran.stderr


def test_a_problem_in_a_block_names_the_markdown_file_in_the_cli(tmp_path, cli):
    project = write_report(tmp_path / "r")
    line = edit(project, "chapters/01-every-block/chapter.md", ":treatment: duotone",
                ":treatment: sepia")
    ran = cli("check", str(project))
    assert ran.returncode == 1
    assert f"chapters/01-every-block/chapter.md:{line}: sections[1].blocks[3].treatment" \
        in ran.stderr, ran.stderr


# --------------------------------------------------------------------------- built

@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """A report made by ``almanac new`` with the every-block chapter added, built once."""
    project = tmp_path_factory.mktemp("markdown") / "r"
    new_project(project, language="en", today=dt.date(2025, 4, 1))
    write_chapter(project / "chapters" / "04-every-block", MARKDOWN)
    with (project / "report.yaml").open("a", encoding="utf-8") as manifest:
        manifest.write("  - 04-every-block\n")
    return project, build(project, strict=True).path


def test_almanac_new_writes_markdown_chapters_that_build(built):
    project, pdf = built
    chapters = sorted((project / "chapters").iterdir())
    assert len(chapters) == 4
    assert all((folder / "chapter.md").is_file() and not (folder / "chapter.yaml").exists()
               for folder in chapters)
    report = load(project)
    titles = [title for _, title, _ in outline(PdfReader(pdf))]
    assert [c.data.title for c in report.chapters] == [
        title for title in titles if title in {c.data.title for c in report.chapters}]


def test_every_block_of_a_markdown_chapter_is_on_the_pages_in_order(built):
    project, pdf = built
    reader = PdfReader(pdf)
    text = squash(" ".join(page.extract_text() for page in reader.pages))
    start = text.index(squash("Every block" + "A chapter with every kind of block"))
    # a figure (a quote, a chart, a photo) may float past the text after it, as a
    # typesetter sets it at the top of the next page (stages/placement.py), but never
    # past another figure: the text and the figures each keep their order
    for parts in ([part for part in IN_ORDER if part not in FLOATING], FLOATING):
        position = start
        for part in parts:
            found = text.find(squash(part), position)
            assert found >= 0, f"{part!r} is not after position {position}"
            position = found + len(squash(part))
    for part in ("Zeta facts", "Eta fact", "Eta second fact", "Pi footnote text, over two lines"):
        assert squash(part) in text[start:], part
    # the cross-reference became the figure's number (through the report) and its page
    figures = [block.id for chapter in load(project).chapters for _, block in blocks(chapter)
               if block.type == "figure"]
    between = re.search(r"alphasees(.*?)endalpha", text).group(1)
    assert re.fullmatch(rf"\D+{figures.index('theta') + 1}\D+\d+", between), between
    assert "{{" not in text and "[^" not in text and ":::" not in text
