"""A report family (family.yaml): one member loaded and built exactly like a report,
its data selected from the member table, its errors naming the member.

The family is the fixture of ``conftest.family_project``: members NLD, NOR and PRT.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

import almanac
from almanac.pipeline import BuildOptions, build, default_output, load, load_all
from almanac.project.family import load_family

from conftest import edit, family_project, override


def text_of(pdf: Path) -> str:
    """The words of every page, spaces and line breaks squeezed to one space."""
    reader = PdfReader(pdf)
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


@pytest.fixture(scope="module")
def built_nor(tmp_path_factory) -> Path:
    """Norway's screen PDF, built once from a copy of the family by the command line."""
    from almanac.cli import main

    project = family_project(tmp_path_factory.mktemp("nor"))
    assert main(["build", "-q", str(project), "--member", "NOR"]) == 0
    return project / "output" / "country-profile-2007" / "NOR.pdf"


# --------------------------------------------------------------------------- the member

def test_the_member_table_gives_each_member_its_row(tmp_path):
    family = load_family(family_project(tmp_path))
    assert family is not None
    assert [(m.key, m.row, m.fields["name"]) for m in family.members] == [
        ("NLD", 2, "Netherlands"), ("NOR", 3, "Norway"), ("PRT", 4, "Portugal")]
    assert family.members[1].fields["population"] == 4627926  # typed as a series' count


def test_a_member_builds_into_the_family_folder_named_by_its_key(built_nor):
    assert built_nor.is_file()
    assert PdfReader(built_nor).metadata.title == "Country profile: Norway"


def test_the_member_s_title_numbers_and_prose_are_on_the_pages(built_nor):
    text = text_of(built_nor)
    assert "Country profile: Norway" in text
    assert "In 2007 Norway had 4,627,926 inhabitants" in text  # column: from its row
    assert "live 80.2 years" in text  # decimals: 1 of the member's 80.196
    assert "Norway in figures." in text  # the lead
    assert "Life expectancy in Norway" in text and "GDP per person in Norway" in text


def test_the_member_s_series_and_chart_hold_only_its_own_data(built_nor):
    text = text_of(built_nor)
    # the table of the series narrowed by select: (country = the member's name)
    assert "2007 49,357.19" in text and "1997 41,283.16" in text
    # the chart of its own file data/NOR.csv, as the chart-data appendix gives it
    assert "1987 75.89 1997 78.32 2007 80.20" in text
    for other in ("Netherlands", "Portugal", "36,797.93", "20,509.65", "76.83", "72.77"):
        assert other not in text


def test_another_member_gets_another_chart(tmp_path, built_nor):
    project = family_project(tmp_path)
    result = build(project, member="PRT")
    assert result.path == project / "output" / "country-profile-2007" / "PRT.pdf"
    text = text_of(result.path)
    assert "1987 72.77 1997 75.97 2007 78.10" in text and "Portugal" in text
    assert "Norway" not in text and "75.89" not in text


def test_a_member_s_pdf_is_the_same_bytes_from_another_folder(tmp_path, built_nor):
    """The same member built from a copy of the family elsewhere, by the API: the same
    bytes (no path, no other member's data in the PDF)."""
    project = family_project(tmp_path / "elsewhere" / "deeper", name="profiles")
    result = almanac.build(project, options=BuildOptions(member="NOR"))
    assert result.path.read_bytes() == built_nor.read_bytes()


def test_templates_and_figure_modules_see_the_member(tmp_path):
    project = family_project(tmp_path)
    edit(project, "layout/cover.html", "{{ report.title }}",
         "{{ report.title }} ({{ member.code }}, {{ member.key }})")
    figures = project / "figures"
    figures.mkdir()
    (figures / "named.py").write_text(
        "import altair as alt\n"
        "def build(data, theme):\n"
        "    rows = [{'t': 'Drawn for ' + data.member['name']}]\n"
        "    return alt.Chart(alt.Data(values=rows)).mark_text().encode(text='t:N')"
        ".properties(width=200, height=20)\n", encoding="utf-8")
    chapter = project / "chapters" / "01-profile" / "chapter.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        ":::{figure} line", ":::{figure} named"), encoding="utf-8")
    assert "Drawn for Norway" in text_of(build(project, member="NOR").path)
    text = text_of(build(project, member="NLD").path)  # its chart not Norway's, cached
    assert "Country profile: Netherlands (NLD, NLD)" in text
    assert "Drawn for Netherlands" in text and "Norway" not in text


def test_members_with_the_same_chart_data_share_the_drawn_chart(tmp_path):
    project = family_project(tmp_path)
    data = project / "chapters" / "01-profile" / "data"
    shutil.copy(data / "NOR.csv", data / "PRT.csv")
    assert build(project, member="NOR").charts_cached == 0
    portugal = build(project, member="PRT")
    assert (portugal.charts, portugal.charts_cached) == (1, 1)
    assert "1987 75.89 1997 78.32 2007 80.20" in text_of(portugal.path)


def test_a_field_s_text_is_never_markup(tmp_path):
    project = family_project(tmp_path)
    for table in (project / "data" / "members.csv",
                  project / "chapters" / "01-profile" / "data" / "gdp.csv"):
        table.write_text(table.read_text(encoding="utf-8").replace(
            "Norway", "*Norway* {{ population }} <b>"), encoding="utf-8")
    text = text_of(build(project, member="NOR").path)
    assert "In 2007 *Norway* {{ population }} <b> had 4,627,926" in text


def test_a_member_in_its_own_language(tmp_path):
    project = family_project(tmp_path)
    edit(project, "report.yaml", "language: en-GB", "languages: [en-GB, nl]\n"
         "missing_translations: main-language")
    table = project / "data" / "members.csv"
    rows = table.read_text(encoding="utf-8").splitlines()
    table.write_text("\n".join([rows[0] + ",language", rows[1] + ",nl", rows[2] + ",en-GB",
                                rows[3] + ",nl"]) + "\n", encoding="utf-8")
    (project / "family.yaml").write_text(
        (project / "family.yaml").read_text(encoding="utf-8") + "language: language\n",
        encoding="utf-8")
    report = load(project, member="NLD")
    assert report.manifest.language == "nl"
    assert default_output(report) == \
        project / "output" / "country-profile-2007" / "NLD-nl.pdf"
    assert [r.manifest.language for r in load_all(project, member="NOR")] == ["en-GB"]


# --------------------------------------------------------------------------- problems

def test_a_family_built_without_a_member_names_both_ways(tmp_path, cli):
    project = family_project(tmp_path)
    ran = cli("build", str(project))
    assert ran.returncode == 1
    assert "family.yaml: the project is a family of 3 members" in ran.stderr
    assert "--member KEY" in ran.stderr and "--family" in ran.stderr
    assert not (project / "output").exists()


def test_an_unknown_member_is_named_with_the_closest_key(tmp_path, cli):
    ran = cli("build", str(family_project(tmp_path)), "--member", "NRO")
    assert ran.returncode == 1
    assert "data/members.csv: the family has no member 'NRO'" in ran.stderr
    assert "did you mean 'NOR'?" in ran.stderr


def test_an_empty_cell_of_the_member_s_row_names_table_line_and_member(tmp_path, cli):
    project = family_project(tmp_path)
    table = project / "data" / "members.csv"
    table.write_text(table.read_text(encoding="utf-8").replace(",4627926,", ",,"),
                     encoding="utf-8")
    ran = cli("build", str(project), "--member", "NOR")
    assert ran.returncode == 1
    assert "data/members.csv:3: member NOR: the member's population is empty" in ran.stderr
    assert "fix: write a number in column population" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert cli("build", "-q", str(project), "--member", "NLD").returncode == 0


def test_an_unknown_field_names_the_line_the_member_and_the_columns(tmp_path, cli):
    project = family_project(tmp_path)
    line = edit(project, "chapters/01-profile/chapter.md", "In 2007 {{ member.name }}",
                "In 2007 {{ member.nmae }}")
    ran = cli("check", str(project))
    assert ran.returncode == 1
    for key in ("NLD", "NOR", "PRT"):
        assert (f"chapters/01-profile/chapter.md:{line}: sections[0].blocks[0]: member "
                f"{key}: the member table data/members.csv has no column 'nmae'") \
            in ran.stderr
    assert "did you mean {{ member.name }}?" in ran.stderr
    assert "code, name, population, life_expectancy" in ran.stderr


def test_a_missing_per_member_file_names_the_member(tmp_path, cli):
    project = family_project(tmp_path)
    (project / "chapters" / "01-profile" / "data" / "PRT.csv").unlink()
    ran = cli("check", str(project))
    assert ran.returncode == 1
    assert re.search(r"chapters/01-profile/chapter\.md:\d+: member PRT: series file "
                     r"chapters/01-profile/data/PRT\.csv not found", ran.stderr)
    assert "member NLD" not in ran.stderr and "member NOR" not in ran.stderr


def test_a_member_whose_rows_select_nothing_is_named(tmp_path, cli):
    project = family_project(tmp_path)
    series = project / "chapters" / "01-profile" / "data" / "gdp.csv"
    series.write_text(series.read_text(encoding="utf-8").replace("Norway", "Norge"),
                      encoding="utf-8")
    ran = cli("build", str(project), "--member", "NOR")
    assert ran.returncode == 1
    assert "member NOR: series gdp (chapters/01-profile/data/gdp.csv) has no row whose " \
        "country is 'Norway'" in ran.stderr


def test_a_key_given_twice_names_the_table_line(tmp_path, cli):
    project = family_project(tmp_path)
    table = project / "data" / "members.csv"
    table.write_text(table.read_text(encoding="utf-8").replace("PRT,", "NOR,"),
                     encoding="utf-8")
    ran = cli("check", str(project))
    assert ran.returncode == 1
    assert "data/members.csv:4: member key 'NOR' is given twice (first on line 3)" \
        in ran.stderr


def test_an_unknown_key_in_family_yaml_is_named_with_its_line(tmp_path, cli):
    project = family_project(tmp_path)
    (project / "family.yaml").write_text("members: data/members.csv\nkey: code\n"
                                         "selekt: {column: country}\n", encoding="utf-8")
    ran = cli("check", str(project))
    assert ran.returncode == 1
    assert "family.yaml:3: selekt: unknown key" in ran.stderr
    assert "did you mean 'select'?" in ran.stderr


def test_member_references_outside_a_family_are_problems(tmp_path, cli):
    project = family_project(tmp_path)
    (project / "family.yaml").unlink()
    ran = cli("check", str(project))
    assert ran.returncode == 1
    assert "column: takes the number from a family member's row" in ran.stderr
    assert "{member} in data/{member}.csv is a family member's key" in ran.stderr
    assert "report.yaml:1: title: {{ member.name }} is a family member's field" in ran.stderr
    ran = cli("build", str(project), "--member", "NOR")
    assert ran.returncode == 1
    assert "it has no family.yaml, so it has no member 'NOR'" in ran.stderr


def test_check_of_a_family_checks_every_member(tmp_path, cli):
    project = family_project(tmp_path)
    ran = cli("check", str(project))
    assert ran.returncode == 0, ran.stderr
    assert "3 members" in ran.stdout
    shutil.rmtree(project / "chapters" / "01-profile" / "data")
    override(project, "layout/cover.html")  # the layout is the family's, kept
    ran = cli("check", str(project))
    assert ran.returncode == 1
    assert all(f"member {key}: series file" in ran.stderr for key in ("NLD", "NOR", "PRT"))


def test_a_workbook_member_table_names_its_sheet_and_cell(tmp_path, cli):
    from openpyxl import Workbook

    project = family_project(tmp_path)
    book = Workbook()
    book.active.title = "Notes"
    sheet = book.create_sheet("Members")
    for row in (["code", "name", "population", "life_expectancy"],
                ["NLD", "Netherlands", 16570613, 79.762], ["NOR", "Norway", 4627926, 80.196],
                ["PRT", "Portugal", 10642836, 78.098]):
        sheet.append(row)
    book.save(project / "data" / "members.xlsx")
    (project / "family.yaml").write_text(
        "members: data/members.xlsx\nsheet: Members\nkey: code\n"
        "select: {column: country, match: name}\n", encoding="utf-8")
    report = load(project, member="PRT")
    assert report.chapters[0].data.numbers["population"].value == 10642836
    assert report.manifest.title == "Country profile: Portugal"
    sheet["C3"] = "many"  # a word among the numbers: the table's problem, for every member
    book.save(project / "data" / "members.xlsx")
    ran = cli("build", str(project), "--member", "PRT")
    assert ran.returncode == 1
    assert "data/members.xlsx[Members]!C3: expected a number, got 'many'" in ran.stderr
