"""The built-in theme and its search path: a project of only ``report.yaml`` and
``chapters/`` builds with the theme's templates, stylesheets, brand and fonts; a
project file overrides the theme's file of the same name, and can extend the
original as ``almanac/…``; ``check`` and ``build`` agree on templates and
stylesheets."""

from __future__ import annotations

from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from almanac.project import theme
from almanac.stages.render import STYLESHEETS, stylesheets
from almanac.stages.variants import VARIANTS

from pdfread import font_names as embedded_fonts

REPORT = """\
title: Annual Review 2025
organisation: Harbour Trust
year: 2025
language: en-GB
subject: The year 2025 of the Harbour Trust
edition: {version: "1.0", date: 2026-03-01}
chapters: [01-intro]
"""

CHAPTER = """\
title: The year in brief
sections:
  - title: Overview
    blocks:
      - type: prose
        text: |
          The trust opened two quays and kept every berth in service.
      - type: figure
        chart: {chart}
        series: visits
        caption: Ships calling each year
series:
  visits: {{file: data/visits.csv, illustrative: true, note: Sample figures.}}
"""


def minimal(folder: Path, chart: str = "line") -> Path:
    """A project of just ``report.yaml`` and one chapter with a chart of a CSV."""
    chapter = folder / "chapters" / "01-intro"
    (chapter / "data").mkdir(parents=True)
    (folder / "report.yaml").write_text(REPORT, encoding="utf-8")
    (chapter / "chapter.yaml").write_text(CHAPTER.format(chart=chart), encoding="utf-8")
    (chapter / "data" / "visits.csv").write_text("year,ships\n2023,410\n2024,455\n2025,470\n",
                                                 encoding="utf-8")
    return folder


def put(project: Path, relative: str, text: str) -> Path:
    """A file of the project's own (an override of the theme's), written as UTF-8."""
    path = project / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def fails_to_build(project: Path, cli) -> str:
    """What ``almanac build`` says of ``project``, which must fail (exit 1, no
    traceback, no PDF)."""
    ran = cli("build", str(project), "-o", str(project / "out.pdf"))
    assert ran.returncode == 1 and "Traceback" not in ran.stderr, ran.stderr
    assert not (project / "out.pdf").exists()
    return ran.stderr


def _squash(name: str) -> str:
    return "".join(char for char in name.lower() if char.isalnum())


def _family_names(folder: Path) -> set[str]:
    """The family names of the font files in ``folder``, squashed (lower case, letters
    and digits only): WeasyPrint names an embedded font by its family and style
    (``Noto-Sans-Bold``), not by the file's PostScript name."""
    return {_squash(TTFont(path)["name"].getDebugName(1)) for path in folder.glob("*.ttf")}


def _outside(used: set[str], families: set[str]) -> set[str]:
    """The embedded fonts that are no face of ``families``."""
    return {name for name in used if not any(_squash(name).startswith(family)
                                             for family in families)}


@pytest.fixture(scope="module")
def minimal_built(tmp_path_factory) -> tuple[Path, PdfReader]:
    project = minimal(tmp_path_factory.mktemp("minimal"))
    from almanac.pipeline import build

    result = build(project, project / "output" / "review.pdf")
    return project, PdfReader(result.path)


def test_a_project_of_a_manifest_and_chapters_builds_with_the_theme(minimal_built):
    project, reader = minimal_built
    assert sorted(p.name for p in project.iterdir() if not p.name.startswith(".")) == [
        "chapters", "output", "report.yaml"]
    text = "".join(page.extract_text() for page in reader.pages)
    for words in ("Annual Review 2025", "The year in brief",
                  "The trust opened two quays and kept every berth in service."):
        assert words in text
    # the theme's neutral brand: its fonts and nothing else
    theme_fonts = _family_names(theme.THEME / "styles" / "fonts")
    used = embedded_fonts(reader)
    assert used and not _outside(used, theme_fonts), used


def test_the_sample_uses_its_own_brand_not_the_theme(pdf_path):
    sample_fonts = _family_names(Path(__file__).parent.parent / "styles" / "fonts")
    used = embedded_fonts(PdfReader(pdf_path))
    assert used and not _outside(used, sample_fonts), used


def test_a_project_template_overrides_the_theme_and_extends_the_original(tmp_path, cli):
    project = minimal(tmp_path)
    put(project, "layout/chapter.html", '{% extends "almanac/chapter.html" %}\n'
        '{% block opener %}<p class="house-mark">Harbour Trust house style</p>'
        '{{ super() }}{% endblock %}\n')
    ran = cli("build", str(project), "-q", "-o", str(project / "out.pdf"))
    assert ran.returncode == 0, ran.stderr
    text = "".join(page.extract_text() for page in PdfReader(project / "out.pdf").pages)
    assert "Harbour Trust house style" in text  # the override
    assert "The year in brief" in text  # and the original it extends


def test_project_stylesheets_replace_by_name_and_add_after_the_theme(tmp_path):
    project = minimal(tmp_path)
    put(project, "styles/typography.css", "p { margin: 0 }\n")
    put(project, "styles/house.css", ".prose { color: var(--color-ink) }\n")
    found = stylesheets(project, VARIANTS["print"])
    assert [path.name for path in found] == [*STYLESHEETS, "house.css", "variant-print.css"]
    own = {path.name for path in found if path.is_relative_to(project)}
    assert own == {"typography.css", "house.css"}  # the rest from the theme
    assert all(path.is_relative_to(theme.THEME) for path in found
               if path.name not in own)


def test_a_stylesheet_a_template_links_but_that_exists_nowhere_fails_check_and_build(
        tmp_path, cli):
    project = minimal(tmp_path)
    put(project, "layout/head.html", '<head><meta charset="utf-8"><title>{{ report.title }}'
        '</title><link rel="stylesheet" href="styles/house.css"></head>\n')
    for command in (("check",), ("build", "-o", str(project / "out.pdf"))):
        ran = cli(*command, str(project))
        assert ran.returncode == 1, (command, ran.stderr)
        assert "styles/house.css: stylesheet not found" in ran.stderr
        assert "Traceback" not in ran.stderr
    assert not (project / "out.pdf").exists()


def test_check_reports_a_template_error_as_build_does(tmp_path, cli):
    project = minimal(tmp_path)
    put(project, "layout/toc.html", "{% for x in %}\n")
    checked = cli("check", str(project))
    built = cli("build", str(project), "-o", str(project / "out.pdf"))
    assert checked.returncode == built.returncode == 1
    message = "layout/toc.html:1: template syntax error"
    assert message in checked.stderr and message in built.stderr


def test_check_strict_fails_on_a_stylesheet_warning_as_build_strict_does(tmp_path, cli):
    project = minimal(tmp_path)
    put(project, "styles/house.css", "p { colr: red }\n")
    assert cli("check", str(project)).returncode == 0
    ran = cli("check", "--strict", str(project))
    assert ran.returncode == 1
    assert "styles/house.css: Ignored `colr: red ` at 1:5, unknown property." in ran.stderr


def test_a_project_figure_module_replaces_the_built_in_one(tmp_path, cli):
    project = minimal(tmp_path)
    put(project, "figures/line.py",
        "def build(data, theme):\n    raise ValueError('the house line chart')\n")
    said = fails_to_build(project, cli)
    assert "figures/line.py:2" in said and "the house line chart" in said


def test_an_unknown_chart_names_the_project_folder_to_create_it_in(tmp_path, cli):
    project = minimal(tmp_path, chart="harbour_map")
    ran = cli("check", str(project))
    assert ran.returncode == 1
    assert "figure module figures/harbour_map.py does not exist" in ran.stderr


def test_the_specimen_of_a_project_without_one_is_the_theme_s(tmp_path, cli):
    project = minimal(tmp_path)
    ran = cli("specimen", str(project), "-q", "-o", str(project / "specimen.pdf"))
    assert ran.returncode == 0, ran.stderr
    reader = PdfReader(project / "specimen.pdf")
    assert len(reader.pages) > 3
    used = embedded_fonts(reader)
    assert used and not _outside(used, _family_names(theme.THEME / "styles" / "fonts")), used


def test_a_head_template_without_the_brand_s_fonts_is_a_message_not_a_crash(tmp_path, cli):
    """With no @font-face rule, Pango would have no font at all (system fonts are
    never used) and crash the process as it draws."""
    project = minimal(tmp_path)
    put(project, "layout/head.html",
        '<head><meta charset="utf-8"><title>{{ report.title }}</title></head>\n')
    said = fails_to_build(project, cli)
    assert "the document declares no font" in said and "brand_css" in said
