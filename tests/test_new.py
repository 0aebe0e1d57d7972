"""``almanac new``: a small working report in a new folder, with the built-in theme."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pypdf import PdfReader

from almanac.pipeline import build, load
from almanac.project.checks import MAX_EDITION_YEARS
from almanac.project.model import FigureBlock, KpisBlock, TableBlock
from almanac.text.formatting import Formatter
from almanac.text.messages import catalogue

from conftest import snapshot
from pdfread import font_names, outline, squash

TODAY = dt.date(2024, 4, 1)


def blocks(report):
    return [block for chapter in report.chapters for section in chapter.data.sections
            for block in section.blocks]


def files(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*")
            if path.is_file()}


def test_new_writes_a_report_of_chapters_with_the_options_given(cli, tmp_path):
    project = tmp_path / "annual"
    ran = cli("new", str(project), "--title", 'Report: "One" # two', "--organisation",
              "Example & Co: Ltd", "--year", "2023", "--language", "en-GB")
    assert ran.returncode == 0, ran.stderr
    assert str(project) in ran.stdout
    written = files(project)
    assert {"report.yaml", "README.md", ".gitignore"} <= written
    # the theme supplies the design: no copies of its files
    assert not {name.split("/")[0] for name in written} & {"styles", "layout", "figures"}
    gitignore = (project / ".gitignore").read_text(encoding="utf-8").split()
    assert "output/" in gitignore and ".almanac-cache/" in gitignore

    report = load(project)
    manifest = report.manifest
    assert (manifest.title, manifest.organisation, manifest.year, manifest.language) == \
        ('Report: "One" # two', "Example & Co: Ltd", 2023, "en-GB")
    assert len(report.chapters) >= 2
    assert [c.slug for c in report.chapters] == sorted(
        path.name for path in (project / "chapters").iterdir())
    found = blocks(report)
    assert any(isinstance(block, KpisBlock) for block in found)
    assert any(isinstance(block, TableBlock) for block in found)
    figures = [(chapter, block) for chapter in report.chapters
               for section in chapter.data.sections for block in section.blocks
               if isinstance(block, FigureBlock) and block.series]
    assert figures
    # the sample series are marked as such, so the pages label them
    assert all(chapter.data.series[block.series].illustrative for chapter, block in figures)
    assert cli("check", str(project)).returncode == 0


def test_the_edition_is_dated_where_the_checks_accept_it(tmp_path):
    from almanac.project.scaffold import new_project

    new_project(tmp_path / "now", today=TODAY)
    recent = load(tmp_path / "now").manifest
    assert recent.year == TODAY.year - 1 and recent.edition.date == TODAY
    new_project(tmp_path / "old", year=TODAY.year - MAX_EDITION_YEARS - 5, today=TODAY)
    old = load(tmp_path / "old").manifest  # load refuses a date outside the years allowed
    assert old.edition.date.year == old.year + 1


def test_new_never_writes_into_a_folder_that_holds_anything(cli, tmp_path):
    project = tmp_path / "report"
    project.mkdir()
    (project / "notes.txt").write_text("mine", encoding="utf-8")
    before = snapshot(tmp_path)
    ran = cli("new", str(project))
    assert ran.returncode == 1
    assert str(project) in ran.stderr and "not empty" in ran.stderr
    assert "nothing was written" in ran.stderr and "Traceback" not in ran.stderr
    assert snapshot(tmp_path) == before
    ran = cli("new", str(project / "notes.txt"))
    assert ran.returncode == 1 and "is not a folder" in ran.stderr
    assert snapshot(tmp_path) == before


def test_new_fills_an_empty_folder(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    assert cli("new", str(tmp_path / "empty")).returncode == 0
    assert (tmp_path / "empty" / "report.yaml").is_file()


@pytest.mark.parametrize("option, value", [
    ("--language", "zz"), ("--year", "1800"), ("--title", " "), ("--organisation", "")])
def test_a_value_report_yaml_would_refuse_is_named_and_nothing_written(
        cli, tmp_path, option, value):
    ran = cli("new", str(tmp_path / "r"), option, value)
    assert ran.returncode == 1
    assert option in ran.stderr and "Traceback" not in ran.stderr
    assert not any(tmp_path.iterdir())


def test_the_texts_follow_the_language(tmp_path):
    from almanac.project.scaffold import new_project

    titles = {}
    for language in ("en", "nl-BE", "nl", "de-AT"):
        new_project(tmp_path / language, language=language, today=TODAY)
        report = load(tmp_path / language)
        assert report.manifest.language == language
        titles[language] = [chapter.data.title for chapter in report.chapters] + [
            report.manifest.title]
    assert titles["nl"] == titles["nl-BE"] != titles["en"]
    assert titles["de-AT"] == titles["en"]  # no German texts: English ones, in a German report


def built_text(reader: PdfReader) -> str:
    return squash("".join(page.extract_text() for page in reader.pages))


@pytest.mark.slow
@pytest.mark.parametrize("language, variant", [("en", "screen"), ("nl-BE", "print")])
def test_a_new_report_builds_clean_under_strict(tmp_path, language, variant):
    from almanac.project.scaffold import new_project

    project = tmp_path / "r"
    new_project(project, language=language, today=TODAY)
    report = load(project)
    result = build(project, variant=variant, strict=True)  # any warning would fail it
    reader = PdfReader(result.path)
    titles = [title for _, title, _ in outline(reader)]
    assert [chapter.data.title for chapter in report.chapters] == [
        title for title in titles if title in {c.data.title for c in report.chapters}]
    fonts = font_names(reader)  # the theme's Noto Sans only: no system font stood in
    assert fonts and all(name.startswith("Noto-Sans") for name in fonts), fonts
    text = built_text(reader)
    assert squash(catalogue(language).gettext("Illustrative data")) in text
    # every tile's figure as the report's language writes it
    fmt = Formatter(language)
    for block in blocks(report):
        if isinstance(block, KpisBlock):
            for item in block.items:
                assert squash(fmt.parts(report.number(item.number))[1]) in text


@pytest.mark.slow
def test_an_illustrative_chart_across_the_full_text_width_stays_inside_it(tmp_path):
    """The starter's line chart of sample data set across the text width: drawn as wide
    as the text area less the accent rule that marks it illustrative, it neither runs
    past the page's edge (an overflow, which a strict build refuses) nor is scaled."""
    from almanac.project.scaffold import new_project

    project = tmp_path / "r"
    new_project(project, language="en-GB", today=TODAY)
    chapter = next((project / "chapters").glob("02-*")) / "chapter.md"
    text = chapter.read_text(encoding="utf-8")
    assert ":series: requests_by_year\n" in text
    chapter.write_text(text.replace(":series: requests_by_year\n",
                                    ":series: requests_by_year\n:width: full\n", 1),
                       encoding="utf-8")
    result = build(project, strict=True)  # an overflow would fail it
    assert result.path.exists()
