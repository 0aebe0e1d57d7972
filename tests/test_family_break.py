"""A report family (family.yaml) given hostile or careless input: member keys that
cannot name a file everywhere, member fields where texts go, commands that do not
take a member. Each problem is a message naming the file, the line and the member,
exit 1, nothing written.

The family is the fixture of ``conftest.family_project``: members NLD, NOR and PRT.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import edit, family_project


def member_table(project: Path, *rows: str) -> Path:
    """The family's member table rewritten with ``rows`` (lines of CSV) under its
    header; every row's per-member file is Norway's, so only the key can be wrong."""
    table = project / "data" / "members.csv"
    header = table.read_text(encoding="utf-8").splitlines()[0]
    table.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return table


# --------------------------------------------------------------------------- member keys

@pytest.mark.parametrize(("keys", "message"), [
    (("NOR", "nor"), "member key 'nor' is the key 'NOR' of line 2 in other case"),
    (("CON", "NOR"), "member key 'CON' is a device name on Windows"),
    (("NOR", "nul.txt"), "member key 'nul.txt' is a device name on Windows"),
    (("NOR", "COM1"), "member key 'COM1' is a device name on Windows"),
    (("NOR", "NOR."), "member key 'NOR.' ends in a dot"),
    (("NOR", "N" * 101), f"member key '{'N' * 101}' is longer than 100 characters"),
])
def test_a_key_that_cannot_name_a_file_everywhere_is_refused(tmp_path, cli, keys, message):
    """Keys name PDFs (and per-member files): two keys differing in case are one file
    on Windows and macOS, a device name opens the device there, a trailing dot is
    dropped there, and a key of hundreds of characters makes a name the file system
    refuses. Each is named with its line before anything is built."""
    project = family_project(tmp_path)
    member_table(project, *(f"{key},Norway,4627926,80.196" for key in keys))
    for key in keys:
        source = project / "chapters" / "01-profile" / "data" / "NOR.csv"
        (source.parent / f"{key}.csv").write_bytes(source.read_bytes())
    ran = cli("check", str(project))
    assert ran.returncode == 1
    assert f"data/members.csv:3: {message}" in ran.stderr \
        or f"data/members.csv:2: {message}" in ran.stderr, ran.stderr
    assert "Traceback" not in ran.stderr
    ran = cli("build", str(project), "--member", keys[0])
    assert ran.returncode == 1 and message in ran.stderr
    assert not (project / "output").exists()


def test_keys_that_differ_only_in_digits_or_dots_are_members(tmp_path, cli):
    """What the rules above leave alone: numeric keys are text (``001`` and ``1`` are
    two members), a dot inside a key, and a device name as part of a longer word."""
    project = family_project(tmp_path)
    keys = ("001", "1", "CON1", "N.O.R", "console", "x" * 100)
    member_table(project, *(f"{key},Norway,4627926,80.196" for key in keys))
    for key in keys:
        source = project / "chapters" / "01-profile" / "data" / "NOR.csv"
        (source.parent / f"{key}.csv").write_bytes(source.read_bytes())
    ran = cli("check", str(project))
    assert ran.returncode == 0, ran.stderr
    assert "6 members" in ran.stdout


# --------------------------------------------------------------------------- member fields

def test_a_field_in_a_table_s_column_heading_and_a_series_note_is_filled_in(tmp_path):
    """A table's column headings (``:columns:``) and a series' ``note:`` are texts of the
    page like a caption: ``{{ member.name }}`` there prints the member's field (it
    printed as written), a number's ``{{ key }}`` its value."""
    from test_family_model import text_of

    from almanac.pipeline import build

    project = family_project(tmp_path)
    chapter = project / "chapters" / "01-profile" / "chapter.md"
    text = chapter.read_text(encoding="utf-8")
    for old, new in ((":columns: {year: Year, gdp: GDP per person}",
                      ':columns: {year: "Year ({{ member.code }})", gdp: "GDP, '
                      '{{ population }} people"}'),
                     ("gdp: {file: data/gdp.csv}",
                      'gdp: {file: data/gdp.csv, note: "Rows of {{ member.name }} only."}')):
        assert old in text
        text = text.replace(old, new)
    chapter.write_text(text, encoding="utf-8")
    printed = text_of(build(project, member="PRT").path)
    assert "Year (PRT)" in printed and "GDP, 10,642,836 people" in printed
    assert "Rows of Portugal only." in printed
    assert "{{" not in printed


def test_an_unknown_field_in_a_column_heading_or_series_note_is_named(tmp_path, cli):
    project = family_project(tmp_path)
    chapter = project / "chapters" / "01-profile" / "chapter.md"
    text = chapter.read_text(encoding="utf-8")
    text = text.replace(":columns: {year: Year,", ':columns: {year: "{{ member.yeer }}",')
    text = text.replace("gdp: {file: data/gdp.csv}",
                        'gdp: {file: data/gdp.csv, note: "{{ member.nmae }}"}')
    chapter.write_text(text, encoding="utf-8")
    ran = cli("build", str(project), "--member", "NOR")
    assert ran.returncode == 1
    assert "member NOR: the member table data/members.csv has no column 'yeer'" \
        in ran.stderr
    assert "member NOR: the member table data/members.csv has no column 'nmae'" \
        in ran.stderr
    assert "did you mean {{ member.name }}?" in ran.stderr
    assert not (project / "output").exists()


# --------------------------------------------------------------------------- commands

def test_publish_of_a_family_names_publish_family(tmp_path, cli, monkeypatch):
    """``publish`` takes no member: a family's editions are its members', made by
    ``publish --family``. Plain ``publish`` says so (it named ``--member``, which
    publish refuses), before it asks for a signing passphrase, and writes nothing."""
    project = family_project(tmp_path)
    monkeypatch.delenv("ALMANAC_SIGN_PASSPHRASE", raising=False)
    ran = cli("publish", str(project), "--sign", str(tmp_path / "absent.p12"))
    assert ran.returncode == 1
    assert "family.yaml: the project is a family of 3 members" in ran.stderr
    assert "almanac publish --family" in ran.stderr
    assert "--member" not in ran.stderr and "absent.p12" not in ran.stderr
    assert sorted(path.name for path in project.iterdir()) == \
        ["chapters", "data", "family.yaml", "report.yaml"]


def test_check_of_a_family_says_a_shared_problem_once(tmp_path, cli):
    """A problem of the family's own files (the brand, a chapter's YAML) is every
    member's: check says it once for every member instead of once per member (a
    family of ten thousand printed it ten thousand times); a problem of some members
    names each of them, and a member's own problem names it alone."""
    project = family_project(tmp_path)
    (project / "styles").mkdir()
    (project / "styles" / "brand.yaml").write_text(
        "colors:\n  primary: {hex: '#7A1F3D'}\n  accent: {hex: '#F2B134'}\n",
        encoding="utf-8")
    (project / "chapters" / "01-profile" / "data" / "PRT.csv").unlink()
    ran = cli("check", str(project))
    assert ran.returncode == 1
    assert ran.stderr.count("styles/brand.yaml:1: fonts: every member: Field required") \
        == 1, ran.stderr
    assert ran.stderr.count("fonts") == 2  # the message and its fix, once
    assert "member PRT: series file chapters/01-profile/data/PRT.csv not found" \
        in ran.stderr
    assert "almanac: 2 problems" in ran.stderr

    shutil.rmtree(project / "styles")
    edit(project, "report.yaml", "language: en-GB", "languages: [en-GB, nl]")
    member_table(project.parent / "family", "NLD,Netherlands,16570613,79.762,nl",
                 "NOR,Norway,4627926,80.196,nl", "PRT,Portugal,10642836,78.098,en-GB")
    table = project / "data" / "members.csv"
    table.write_text(table.read_text(encoding="utf-8").replace(
        "life_expectancy\n", "life_expectancy,language\n", 1), encoding="utf-8")
    with (project / "family.yaml").open("a", encoding="utf-8") as file:
        file.write("language: language\n")
    ran = cli("check", str(project))
    assert ran.returncode == 1
    assert "chapter.md:11: members NLD, NOR: the chapter has no nl translation" \
        in ran.stderr, ran.stderr
    assert ran.stderr.count("no nl translation") == 1


def test_a_field_empty_for_one_member_where_a_text_is_only_that_field(tmp_path, cli):
    """A member whose name is empty, where the chapter title, report.yaml's title and
    select:'s match are nothing but ``{{ member.name }}``: the member table's line is
    named with the column to fill in (the build blamed the styles for a chapter missing
    from the outline, and report.yaml for an empty title); other members build."""
    project = family_project(tmp_path)
    edit(project, "report.yaml", 'title: "Country profile: {{ member.name }}"',
         'title: "{{ member.name }}"')
    member_table(project, "NLD,Netherlands,16570613,79.762", "NOR,,4627926,80.196",
                 "PRT,Portugal,10642836,78.098")
    ran = cli("build", str(project), "--member", "NOR")
    assert ran.returncode == 1
    for what in ("report.yaml's title is nothing but it\n    fix: write the member's "
                 "name in column name of the member table, or words of their own beside "
                 "{{ member.name }} in report.yaml",
                 "select: (the rows of series gdp) is nothing but it\n    fix: write the "
                 "member's name in column name of the member table\n"):
        assert f"data/members.csv:3: member NOR: the member's name is empty, and " \
            f"{what}" in ran.stderr, ran.stderr
    assert "report.yaml:1" not in ran.stderr
    (project / "family.yaml").write_text(
        "members: data/members.csv\nkey: code\ndecimal: .\n", encoding="utf-8")
    ran = cli("build", str(project), "--member", "NOR")
    assert ran.returncode == 1
    assert "data/members.csv:3: member NOR: the member's name is empty, and the chapter " \
        "title of 01-profile is nothing but it" in ran.stderr, ran.stderr
    assert "styles" not in ran.stderr and "outline" not in ran.stderr
    assert "Traceback" not in ran.stderr and not (project / "output").exists()
    assert cli("build", "-q", str(project), "--member", "PRT").returncode == 0


# --------------------------------------------------------------------------- select

def test_a_select_column_no_series_has_is_named(tmp_path, cli):
    """``select: {column: contry}`` (a typo) narrowed nothing, so every member's pages
    held every member's rows; now it is named in family.yaml with the series'
    columns."""
    project = family_project(tmp_path)
    family = project / "family.yaml"
    family.write_text(family.read_text(encoding="utf-8").replace(
        "column: country", "column: contry"), encoding="utf-8")
    ran = cli("build", str(project), "--member", "NOR")
    assert ran.returncode == 1
    assert "family.yaml:6: select.column: member NOR: no series has a column 'contry', " \
        "so select: would keep every member's rows" in ran.stderr, ran.stderr
    assert "did you mean 'country'?" in ran.stderr
    assert not (project / "output").exists()


# --------------------------------------------------------------------------- output names

def test_a_family_s_pdfs_share_one_folder_whatever_the_title_s_language(tmp_path):
    """The folder is the family's: its title in the main language (a title given by
    language gave a folder per language), and a title that is nothing but member fields
    gave each member a folder of its own name."""
    from almanac.pipeline import default_output, load_all

    project = family_project(tmp_path)
    edit(project, "report.yaml", 'title: "Country profile: {{ member.name }}"',
         'title: {en: "Country profile: {{ member.name }}", '
         'nl: "Landenprofiel: {{ member.name }}"}')
    edit(project, "report.yaml", "language: en-GB",
         "languages: [en-GB, nl]\nmissing_translations: main-language")
    outputs = [default_output(report, variant) for key in ("NOR", "PRT")
               for report in load_all(project, member=key) for variant in ("screen", "print")]
    folder = project / "output" / "country-profile-2007"
    assert outputs == [folder / "NOR-en-GB.pdf", folder / "NOR-en-GB-print.pdf",
                       folder / "NOR-nl.pdf", folder / "NOR-nl-print.pdf",
                       folder / "PRT-en-GB.pdf", folder / "PRT-en-GB-print.pdf",
                       folder / "PRT-nl.pdf", folder / "PRT-nl-print.pdf"]
    edit(project, "report.yaml", 'en: "Country profile: {{ member.name }}"',
         'en: "{{ member.name }}"')
    assert {default_output(report).parent for key in ("NOR", "PRT")
            for report in load_all(project, member=key)} == {project / "output" / "report-2007"}


def test_check_uses_of_a_family_says_whose_values_it_lists(tmp_path, cli):
    """``check --uses`` and ``--json`` list one member's values: they name it (the
    listing gave Netherlands' population with no member named)."""
    import json

    project = family_project(tmp_path)
    ran = cli("check", str(project), "--uses")
    assert ran.returncode == 0
    assert "values of member NLD" in ran.stdout
    assert "16,570,613" in ran.stdout
    ran = cli("check", str(project), "--json", "--member", "PRT")
    listing = json.loads(ran.stdout)
    assert listing["member"] == "PRT"
    assert listing["chapters"][0]["numbers"][0]["text"] == "10,642,836"


# --------------------------------------------------------------------------- the member table

@pytest.mark.parametrize(("table", "said"), [
    ("code,name,population,life_expectancy\nNOR,Norway,4627926,80.196\n",
     ["data/members.csv:2: D2: '80.196' reads as 80196 or as 80.196",
      "fix: declare it in family.yaml (decimal: ',' for 12,5 or '.' for 12.5)"]),
    ("code,name,population,life_expectancy\n",
     ["data/members.csv:1: the member table has a header but no rows",
      "fix: add a row per member under the header"]),
])
def test_the_member_table_s_problems_speak_of_the_member_table(tmp_path, cli, table, said):
    """The member table is read as a series is, and its problems said "the series"
    ("declare it for the series": there is none; family.yaml takes decimal:)."""
    project = family_project(tmp_path)
    (project / "data" / "members.csv").write_text(table, encoding="utf-8")
    family = project / "family.yaml"
    family.write_text(family.read_text(encoding="utf-8").replace('decimal: "."\n', ""),
                      encoding="utf-8")
    ran = cli("check", str(project))
    assert ran.returncode == 1
    for words in said:
        assert words in ran.stderr, ran.stderr
    assert "series" not in ran.stderr


def test_a_member_table_linked_from_outside_is_named_as_such(tmp_path, cli):
    project = family_project(tmp_path)
    table = project / "data" / "members.csv"
    outside = tmp_path / "members.csv"
    outside.write_bytes(table.read_bytes())
    table.unlink()
    table.symlink_to(outside)
    ran = cli("check", str(project))
    assert ran.returncode == 1
    assert "family.yaml:2: the member table data/members.csv is outside the project " \
        "folder" in ran.stderr, ran.stderr
    assert "series" not in ran.stderr


def test_specimen_and_fonts_of_a_family_show_its_brand(tmp_path, cli):
    """The brand and the layout are the family's, not a member's: ``specimen`` and
    ``fonts``, which take no member, work on a family (they were refused, naming
    ``--member``, which neither takes)."""
    project = family_project(tmp_path)
    ran = cli("fonts", str(project))
    assert ran.returncode == 0, ran.stderr
    assert "Noto Sans" in ran.stdout
    ran = cli("specimen", "-q", str(project))
    assert ran.returncode == 0, ran.stderr
    assert (project / "output" / "specimen.pdf").is_file()


def alt_texts(pdf: Path) -> list[str]:
    """Every alternative text (``/Alt``) in the PDF's structure tree."""
    import pikepdf

    with pikepdf.open(pdf) as document:
        return [str(obj["/Alt"]) for obj in document.objects
                if isinstance(obj, pikepdf.Dictionary) and "/Alt" in obj]


def test_a_photo_s_description_fills_in_member_fields_and_numbers(tmp_path):
    """A photo's description is its alternative text, a text of the report like a
    caption: ``{{ member.name }}`` and ``{{ key }}`` there are filled in (the screen
    reader heard them as written), in a photo block and in a chapter's opener."""
    from almanac.pipeline import build

    project = family_project(tmp_path)
    edit(project, "chapters/01-profile/chapter.md", 'lead: "{{ member.name }} in figures."',
         'lead: "{{ member.name }} in figures."\n'
         'opener: {motif: city, description: "A street in {{ member.name }}"}')
    edit(project, "chapters/01-profile/chapter.md", ":::{table} gdp",
         ":::{photo} harbour\nThe harbour of {{ member.name }}, home to {{ population }} "
         "people\n:::\n\n:::{table} gdp")
    texts = alt_texts(build(project, member="NOR").path)
    assert "A street in Norway" in texts
    assert "The harbour of Norway, home to 4,627,926 people" in texts
    assert not any("{{" in text for text in texts)


def test_an_unknown_field_in_a_photo_s_description_is_named(tmp_path, cli):
    project = family_project(tmp_path)
    edit(project, "chapters/01-profile/chapter.md", ":::{table} gdp",
         ":::{photo} harbour\nThe harbour of {{ member.nmae }}\n:::\n\n:::{table} gdp")
    ran = cli("build", str(project), "--member", "NOR")
    assert ran.returncode == 1
    assert "member NOR: the member table data/members.csv has no column 'nmae'" \
        in ran.stderr, ran.stderr


@pytest.mark.parametrize("place", ["styles/members.csv", "chapters/01-profile/members.csv",
                                   "members.csv", "data/../members.csv"])
def test_a_member_table_outside_data_is_refused_as_the_readme_says(tmp_path, cli, place):
    """README and the message say the member table lies in data/; a table in styles/
    or a chapter's folder was taken all the same."""
    project = family_project(tmp_path)
    target = project / place
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes((project / "data" / "members.csv").read_bytes())
    family = project / "family.yaml"
    family.write_text(family.read_text(encoding="utf-8").replace(
        "members: data/members.csv", f"members: {place}"), encoding="utf-8")
    ran = cli("check", str(project))
    assert ran.returncode == 1
    assert f"family.yaml:2: members: the member table {place} is not in the project's " \
        "data/ folder" in ran.stderr, ran.stderr


def test_a_field_whose_column_name_is_no_word_is_named_with_the_fix(tmp_path, cli):
    """A member table from elsewhere has columns such as ``name-en``: ``{{ member.name-en
    }}`` was "a reference not closed" in a chapter and printed as written in
    report.yaml. Now both name the column and how to write it."""
    project = family_project(tmp_path)
    table = project / "data" / "members.csv"
    table.write_text(table.read_text(encoding="utf-8").replace(
        "code,name,", "code,name-en,", 1), encoding="utf-8")
    family = project / "family.yaml"
    family.write_text(family.read_text(encoding="utf-8").replace(
        "match: name", "match: name-en"), encoding="utf-8")
    edit(project, "report.yaml", 'title: "Country profile: {{ member.name }}"',
         'title: "Country profile: {{ member.name-en }}"')
    chapter = project / "chapters" / "01-profile" / "chapter.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "{{ member.name }}", "{{ member.name-en }}"), encoding="utf-8")
    ran = cli("build", str(project), "--member", "NOR")
    assert ran.returncode == 1
    assert "report.yaml:1: title: member NOR: {{ member.name-en }} cannot name the column " \
        "'name-en': a field is written with letters, digits and _" in ran.stderr, ran.stderr
    assert "fix: rename the column of the member table to name_en and write " \
        "{{ member.name_en }}" in ran.stderr
    assert "chapters/01-profile/chapter.md:2: lead: member NOR: {{ member.name-en }} " \
        "cannot name the column 'name-en'" in ran.stderr
    assert "not closed" not in ran.stderr


def test_member_key_is_a_field_in_texts_as_in_templates(tmp_path):
    """Templates get ``member.key`` (README); texts refused ``{{ member.key }}`` when no
    column is called key. It is the member's key in both."""
    from test_family_model import text_of

    from almanac.pipeline import build

    project = family_project(tmp_path)
    edit(project, "report.yaml", 'title: "Country profile: {{ member.name }}"',
         'title: "Country profile: {{ member.name }} ({{ member.key }})"')
    edit(project, "chapters/01-profile/chapter.md", "In 2007 {{ member.name }} had",
         "In 2007 {{ member.name }} (code {{ member.key }}) had")
    text = text_of(build(project, member="PRT").path)
    assert "Country profile: Portugal (PRT)" in text
    assert "In 2007 Portugal (code PRT) had" in text


def test_the_member_table_reads_amounts_in_the_report_s_currency(tmp_path):
    """The member table is read "as a series is, with the report's number rules": its
    amounts in the report's currency (it was read in euros whatever report.yaml said,
    and "$2,000" in a report in dollars was refused as "not in EUR")."""
    from test_family_model import text_of

    from almanac.pipeline import build

    project = family_project(tmp_path)
    edit(project, "report.yaml", "language: en-GB", "language: en-US\ncurrency: USD")
    member_table(project, 'NOR,Norway,4627926,80.196,"$2,000"')
    table = project / "data" / "members.csv"
    table.write_text(table.read_text(encoding="utf-8").replace(
        "life_expectancy\n", "life_expectancy,budget\n", 1), encoding="utf-8")
    edit(project, "chapters/01-profile/chapter.md", "  population: {",
         "  budget: {column: budget, unit: currency, decimals: 0, label: budget}\n"
         "  population: {")
    edit(project, "chapters/01-profile/chapter.md", "inhabitants, who",
         "inhabitants and {{ budget }}, who")
    assert "inhabitants and $2,000, who" in text_of(build(project, member="NOR").path)


def test_an_empty_cell_of_a_workbook_member_table_is_named_by_its_cell(tmp_path, cli):
    """A workbook has cells, not lines: the member's empty number is named as Excel
    names the cell (it said ``data/members.xlsx:4``, a line a workbook does not have)."""
    from openpyxl import Workbook

    project = family_project(tmp_path)
    book = Workbook()
    sheet = book.active
    sheet.title = "Members"
    for row in (["code", "name", "population", "life_expectancy"],
                ["NLD", "Netherlands", 16570613, 79.762], ["NOR", "Norway", None, 80.196]):
        sheet.append([None, *row])  # the table starts at B1
    book.save(project / "data" / "members.xlsx")
    (project / "family.yaml").write_text(
        "members: data/members.xlsx\nsheet: Members\nkey: code\n"
        "select: {column: country, match: name}\n", encoding="utf-8")
    ran = cli("build", str(project), "--member", "NOR")
    assert ran.returncode == 1
    assert "data/members.xlsx[Members]!D3: member NOR: the member's population is empty" \
        in ran.stderr, ran.stderr
    sheet.append([None, "nor", "Norway again", 1, 2.0])
    book.save(project / "data" / "members.xlsx")
    ran = cli("check", str(project))
    assert "data/members.xlsx[Members]!B4: member key 'nor' is the key 'NOR' of row 3 in " \
        "other case" in ran.stderr, ran.stderr
