"""What the page says about a series and a result in the report's own language: a
series' note under its charts and tables, the mark of illustrative data on a chart and
on a table, and a result's status, printed from a language-neutral key."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from almanac.pipeline import build

from pdfread import squash

# A report of one chapter, no figure modules and no project files beyond its text and
# data: it builds with the built-in theme in any language.
REPORT = """\
title: Annual report
organisation: Example Foundation
year: 2024
language: {language}
subject: A report with a results table and two tables of series
edition: {{version: "1.0", date: 2025-03-01}}
chapters: [01-results]
"""
CHAPTER = """\
title: Results
numbers:
  target: {value: 12, unit: count, label: target}
  reached: {value: 9, unit: count, label: reached}
series:
  visits: {file: data/visits.csv, illustrative: true}
  members: {file: data/members.csv, note: Counted on the first of January.}
sections:
  - blocks:
      - type: results
        caption: Targets and what became of them
        items:
          - {label: Reading, norm: target, realised: reached, status: achieved}
          - {label: Writing, norm: target, status: partly}
          - {label: Counting, norm: target, status: not-achieved}
          - {label: Drawing, norm: target}
      - type: table
        caption: Visits per quarter
        series: visits
      - type: table
        caption: Members per year
        series: members
"""


def write_report(folder: Path, language: str) -> Path:
    """A project of :data:`REPORT` and :data:`CHAPTER` in ``language``."""
    chapter = folder / "chapters" / "01-results"
    (chapter / "data").mkdir(parents=True)
    (folder / "report.yaml").write_text(REPORT.format(language=language), encoding="utf-8")
    (chapter / "chapter.yaml").write_text(CHAPTER, encoding="utf-8")
    (chapter / "data" / "visits.csv").write_text(
        "quarter,visits\nQ1,120\nQ2,135\nQ3,98\nQ4,141\n", encoding="utf-8")
    (chapter / "data" / "members.csv").write_text(
        "region,members\nNorth,310\nSouth,342\nEast,365\n", encoding="utf-8")
    return folder


def body_text(pdf: Path) -> str:
    return squash(" ".join(page.extract_text() for page in PdfReader(pdf).pages))


def between(text: str, start: str, end: str) -> str:
    """The squashed ``text`` from ``start`` up to ``end`` (both must be there)."""
    first = text.index(squash(start))
    return text[first:text.index(squash(end), first)]


# (statuses in the order of CHAPTER's items, the mark of illustrative data, the
# generic note under an illustrative series without a note of its own)
WORDING = {
    "en-GB": (["achieved", "partly achieved", "not achieved", "unknown"],
              "Illustrative data", "the report does not give this series"),
    "nl": (["gerealiseerd", "deels gerealiseerd", "niet gerealiseerd", "onbekend"],
           "Voorbeeldgegevens", "het jaarverslag geeft deze reeks niet"),
}
# (the colophon's sentence on illustrative data, its sentence on drawn photos)
COLOPHON = {
    "en-GB": ("show series that the report does not give", "Photos are shown as"),
    "nl": ("tonen reeksen die het jaarverslag niet geeft", "Foto’s zijn weergegeven als"),
}


@pytest.fixture(scope="module", params=sorted(WORDING))
def built_in(request, tmp_path_factory) -> tuple[str, str]:
    """(language, the squashed text of the report built in it)."""
    folder = write_report(tmp_path_factory.mktemp(request.param), request.param)
    return request.param, body_text(build(folder, strict=True).path)


def test_statuses_are_printed_in_the_reports_language(built_in):
    language, text = built_in
    statuses = WORDING[language][0]
    rows = between(text, "Reading", "Visits per quarter")
    found = [rows.index(squash(status)) for status in statuses]
    assert found == sorted(found), (language, rows)  # each on its own row, in order
    others = {word for other, (words, _, _) in WORDING.items() if other != language
              for word in words} - set(statuses)
    assert not [word for word in others if squash(word) in rows]


def test_a_table_of_illustrative_data_is_marked_in_caption_and_note(built_in):
    language, text = built_in
    _, mark, note = WORDING[language]
    table = between(text, "Visits per quarter", "Members per year")
    assert table.startswith(squash(f"Visits per quarter {mark}"))  # the caption's badge
    assert squash(note) in table[table.index(squash("Q4 141")):]  # under the rows


def test_a_series_note_is_printed_under_its_table(built_in):
    language, text = built_in
    _, mark, note = WORDING[language]
    table = between(text, "Members per year", "Counted on the first of January.")
    assert squash("East 365") in table  # the note follows the last row
    assert squash(mark) not in table  # the series is not illustrative
    assert squash(note) not in text[text.index(squash("Members per year")):]


def test_the_colophon_names_only_what_stands_in_for_the_source(built_in):
    language, text = built_in
    data, photos = COLOPHON[language]
    back = text[text.rindex(squash(WORDING[language][2])):]  # after the last table's note
    assert squash(data) in back  # the report has an illustrative series
    assert squash(photos) not in text  # and no photo at all


def test_the_sample_prints_each_series_note_under_its_chart(report, zones):
    pages = [squash(body) for _, body, _ in zones]
    charted = [(block.caption, chapter.data.series[block.series].note)
               for chapter in report.chapters for section in chapter.data.sections
               for block in section.blocks
               if block.type == "figure" and block.series is not None]
    noted = [(caption, note) for caption, note in charted if note]
    assert noted, "the sample has series notes"
    for caption, note in noted:
        page = next(text for text in pages if squash(caption) in text)
        assert squash(note) in page[page.index(squash(caption)):], caption
