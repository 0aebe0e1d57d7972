"""A report in several languages: one project, an edition per language.

A small project in Dutch and English (not the sample): report.yaml gives its texts
by language, a Markdown chapter has its translation beside it (chapter.en.md), a
YAML chapter gives each text by language; numbers and a series are shared. It is
built and published in both languages and read back; what is missing or does not
match is an error naming the file, the line and the language.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from almanac.editions.sources import SOURCES_MANIFEST
from almanac.editions.verify import embedded_files, verify

from conftest import _shared, almanac, edit

FILES = {
    "report.yaml": """\
title: {nl: Jaarverslag 2024, en: Annual report 2024}
subtitle: {nl: Stichting Voorbeeld, en: Example Foundation}
organisation: Stichting Voorbeeld
year: 2024
languages: [nl, en]
subject:
  nl: Het jaarverslag 2024 van Stichting Voorbeeld
  en: The 2024 annual report of the Example Foundation
keywords: {nl: [jaarverslag, "2024"], en: [annual report, "2024"]}
edition:
  version: "1.0"
  date: 2025-04-01
cover:
  motif: city
  description: {nl: Een stad bij nacht, en: A city at night}
chapters:
  - 01-inleiding
  - 02-cijfers
""",
    "chapters/01-inleiding/chapter.md": """\
---
numbers:
  bezoekers: {value: 12345.5, unit: decimal, label: bezoekers}
---
# Inleiding

Dit jaar telden wij {{ bezoekers }} bezoekers in de vestiging.

:::{quote}
:source: De directeur
Een goed jaar voor de stichting.
:::
""",
    "chapters/01-inleiding/chapter.en.md": """\
---
numbers:
  bezoekers: {label: visitors}
---
# Introduction

This year we counted {{ bezoekers }} visitors at the branch.

:::{quote}
:source: The director
A good year for the foundation.
:::
""",
    "chapters/02-cijfers/chapter.yaml": """\
title: {nl: Cijfers, en: Figures}
numbers:
  leden: {value: 4200, unit: count, label: {nl: leden, en: members}}
series:
  leden_per_jaar: {file: data/leden.csv}
sections:
  - title: {nl: Leden, en: Members}
    blocks:
      - type: kpis
        items:
          - number: leden
            label: {nl: leden eind 2024, en: members at the end of 2024}
      - type: prose
        text:
          nl: "Het aantal leden groeide tot {{ leden }}."
          en: "Membership grew to {{ leden }}."
      - type: table
        caption: {nl: Leden per jaar, en: Members by year}
        series: leden_per_jaar
        columns: {jaar: {nl: Jaar, en: Year}, leden: {nl: Leden, en: Members}}
""",
    "chapters/02-cijfers/data/leden.csv": "jaar,leden\n2023,3900\n2024,4200\n",
}
INLEIDING = "chapters/01-inleiding/chapter.md"
INTRODUCTION = "chapters/01-inleiding/chapter.en.md"
CIJFERS = "chapters/02-cijfers/chapter.yaml"


def bilingual(folder: Path) -> Path:
    """The small report in Dutch (its main language) and English, written into ``folder``."""
    for name, text in FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def text_of(pdf: Path) -> str:
    """The text of every page of ``pdf``, its runs of white space one space."""
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages)


def _publish(folder: Path) -> dict:
    project = bilingual(folder / "project")
    result = almanac("publish", str(project))  # as a user does, in a process of its own
    assert result.returncode == 0, result.stderr
    return {"pdfs": result.stdout.split()}


@pytest.fixture(scope="session")
def editions(tmp_path_factory, worker_id) -> tuple[Path, list[Path]]:
    """The small report published once: (project, [the Dutch PDF, the English PDF])."""
    folder, record = _shared(tmp_path_factory, worker_id, "bilingual-published", _publish)
    return folder / "project", [Path(pdf) for pdf in record["pdfs"]]


@pytest.fixture
def project(tmp_path) -> Path:
    return bilingual(tmp_path / "project")


# --------------------------------------------------------------------------- editions

def test_publish_makes_an_edition_per_language_each_in_its_language(editions):
    project, pdfs = editions
    assert [pdf.relative_to(project).as_posix() for pdf in pdfs] == [
        "editions/2024/1.0/nl/jaarverslag-2024-1.0-nl.pdf",
        "editions/2024/1.0/en/annual-report-2024-1.0-en.pdf"]
    dutch, english = (PdfReader(pdf) for pdf in pdfs)
    assert (dutch.trailer["/Root"]["/Lang"], english.trailer["/Root"]["/Lang"]) == ("nl", "en")
    assert (dutch.metadata.title, english.metadata.title) == ("Jaarverslag 2024",
                                                              "Annual report 2024")
    assert english.metadata.subject == "The 2024 annual report of the Example Foundation"
    nl, en = (text_of(pdf) for pdf in pdfs)
    # each chapter's prose, headings and table in its edition's language only
    assert "Dit jaar telden wij 12.345,5 bezoekers in de vestiging." in nl
    assert "This year we counted 12,345.5 visitors at the branch." in en
    assert "Het aantal leden groeide tot 4.200." in nl
    assert "Membership grew to 4,200." in en
    assert "Members by year Year Members 2023 3,900 2024 4,200" in en
    assert "Leden per jaar Jaar Leden 2023 3.900 2024 4.200" in nl
    assert "THE DIRECTOR" in en and "DE DIRECTEUR" not in en
    for dutch_text in ("Inleiding", "bezoekers", "Leden per jaar", "Stichting Voorbeeld –"):
        assert dutch_text not in en.replace("STICHTING VOORBEELD", "")


def test_each_edition_embeds_the_whole_project_and_verifies(editions, cli):
    project, pdfs = editions
    for pdf, language in zip(pdfs, ("nl", "en")):
        result = verify(pdf)
        assert result.ok, [check for check in result.checks if not check.ok]
        manifest = json.loads(embedded_files(PdfReader(pdf))[SOURCES_MANIFEST])
        assert manifest["language"] == language
        assert manifest["languages"] == ["nl", "en"]
        assert {item["path"] for item in manifest["inputs"]} == set(FILES)
        beside = json.loads((pdf.parent / "manifest.json").read_text(encoding="utf-8"))
        assert beside["pdf"]["file"] == pdf.name
    ran = cli("editions", str(project))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    rows = [line.split() for line in ran.stdout.splitlines()]
    assert rows[0][:2] == ["version", "language"]
    assert sorted((row[0], row[1], *row[-2:]) for row in rows[1:]) == [
        ("1.0", "en", "verified", "current"), ("1.0", "nl", "verified", "current")]
    listed = json.loads(cli("editions", str(project), "--json").stdout)
    assert sorted(e["path"] for e in listed) == sorted(
        pdf.relative_to(project).as_posix() for pdf in pdfs)


def test_publishing_the_same_inputs_again_changes_nothing(editions, cli):
    project, pdfs = editions
    before = {pdf: pdf.read_bytes() for pdf in pdfs}
    ran = cli("publish", str(project))
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == [str(pdf) for pdf in pdfs]
    assert "already published" in ran.stderr
    assert {pdf: pdf.read_bytes() for pdf in pdfs} == before


def test_an_extracted_edition_publishes_both_languages_again(editions, tmp_path, cli):
    _, pdfs = editions
    restored = tmp_path / "restored"
    assert cli("extract", str(pdfs[1]), str(restored)).returncode == 0
    ran = cli("publish", str(restored))
    assert ran.returncode == 0, ran.stderr
    again = [Path(line) for line in ran.stdout.split()]
    assert [pdf.read_bytes() for pdf in again] == [pdf.read_bytes() for pdf in pdfs]


def test_diff_of_two_languages_says_they_cannot_be_compared(editions, cli):
    _, pdfs = editions
    ran = cli("diff", str(pdfs[0]), str(pdfs[1]))
    assert ran.returncode == 1
    assert "the editions are in different languages (nl and en)" in ran.stderr
    assert "compare two editions of one language" in ran.stderr
    assert "Traceback" not in ran.stderr


# --------------------------------------------------------------------------- builds

def test_build_makes_each_language_into_a_pdf_named_with_it(project, cli):
    ran = cli("build", str(project))
    assert ran.returncode == 0, ran.stderr
    made = [Path(line) for line in ran.stdout.split()]
    assert [pdf.name for pdf in made] == ["jaarverslag-2024-nl.pdf", "annual-report-2024-en.pdf"]
    assert [PdfReader(pdf).trailer["/Root"]["/Lang"] for pdf in made] == ["nl", "en"]
    assert "Het aantal leden groeide tot 4.200." in text_of(made[0])
    assert "Membership grew to 4,200." in text_of(made[1])


def test_a_missing_translation_can_fall_back_to_the_main_language(project, cli):
    (project / INTRODUCTION).unlink()
    edit(project, "report.yaml", "year: 2024\n",
         "year: 2024\nmissing_translations: main-language\n")
    ran = cli("build", str(project), "--language", "en")
    assert ran.returncode == 0, ran.stderr
    assert [Path(line).name for line in ran.stdout.split()] == ["annual-report-2024-en.pdf"]
    assert sorted(p.name for p in (project / "output").glob("*.pdf")) == [
        "annual-report-2024-en.pdf"]
    assert f"{INLEIDING}:5: not translated into en: shown in nl" in ran.stderr
    reader = PdfReader(project / "output" / "annual-report-2024-en.pdf")
    assert reader.trailer["/Root"]["/Lang"] == "en"
    english = text_of(project / "output" / "annual-report-2024-en.pdf")
    assert "Dit jaar telden wij 12,345.5 bezoekers" in english  # the Dutch text, English numbers
    assert "Membership grew to 4,200." in english
    colophon = " ".join(reader.pages[-1].extract_text().split())
    assert "Not translated; shown in the report's main language: 1 Inleiding." in colophon


# --------------------------------------------------------------------------- problems

def _mapping_without_english(project: Path) -> tuple[str, int, tuple[str, ...]]:
    line = edit(project, CIJFERS, "caption: {nl: Leden per jaar, en: Members by year}",
                "caption: {nl: Leden per jaar}")
    return CIJFERS, line, ("sections[0].blocks[2].caption: the text has no en translation",
                           "add en:", "missing_translations: main-language")


def _report_text_without_english(project: Path) -> tuple[str, int, tuple[str, ...]]:
    line = edit(project, "report.yaml", ", en: Example Foundation}", "}")
    return "report.yaml", line, ("subtitle: the text has no en translation",)


def _no_translation_file(project: Path) -> tuple[str, int, tuple[str, ...]]:
    (project / INTRODUCTION).unlink()
    return INLEIDING, 5, ("the chapter has no en translation", "chapter.en.md")


def _another_block_in_the_translation(project: Path) -> tuple[str, int, tuple[str, ...]]:
    line = edit(project, INTRODUCTION, ":::{quote}", ":::{note}")
    return INTRODUCTION, line, ("a note block here, where chapter.md has a quote block (line 9)",
                                "same order and of the same types")


def _a_number_restated_otherwise(project: Path) -> tuple[str, int, tuple[str, ...]]:
    line = edit(project, INTRODUCTION, "{label: visitors}", "{label: visitors, value: 12}")
    return INTRODUCTION, line, ("numbers.bezoekers.value: value 12 here, where chapter.md has "
                                "12345.5 (line 3)",)


def _a_text_left_out_of_the_translation(project: Path) -> tuple[str, int, tuple[str, ...]]:
    edit(project, INTRODUCTION, ":source: The director\n", "")
    return INTRODUCTION, 9, ("sections[0].blocks[1].source: the en translation has no source",
                             "translate it from chapter.md (line 10)")


def _a_translation_into_another_language(project: Path) -> tuple[str, int | None,
                                                                  tuple[str, ...]]:
    shutil.copy(project / INTRODUCTION, project / "chapters/01-inleiding/chapter.de.md")
    return "chapters/01-inleiding/chapter.de.md", None, (
        "a translation into de, which is not one of the report's languages (nl, en)",)


def _a_key_of_no_language_of_the_report(project: Path) -> tuple[str, int, tuple[str, ...]]:
    edit(project, "report.yaml", "languages: [nl, en]", "languages: [nl, en-GB]")  # en: serves
    line = edit(project, CIJFERS, "title: {nl: Cijfers, en: Figures}",
                "title: {nl: Cijfers, en: Figures, de: Zahlen}")
    return CIJFERS, line, ("title.de: de is not one of the report's languages (nl, en-GB)",
                           "use one of the report's languages, nl, en-GB (or a shorter tag "
                           "that serves one: en serves en-GB)", "add de to languages:")


def _a_translation_no_edition_reads(project: Path) -> tuple[str, None, tuple[str, ...]]:
    edit(project, "report.yaml", "languages: [nl, en]", "languages: [nl, en-GB]")
    shutil.copy(project / INTRODUCTION, project / "chapters/01-inleiding/chapter.en-GB.md")
    return INTRODUCTION, None, ("chapter.en.md is read by no edition: chapter.en-GB.md serves "
                                "en-GB", "merge chapter.en.md into chapter.en-GB.md")


def _a_column_the_series_lacks_in_a_translation(project: Path) -> tuple[str, int, tuple]:
    translation = "chapters/02-cijfers/chapter.en.yaml"
    (project / translation).write_text("""\
title: Figures
sections:
  - title: Members
    blocks:
      - type: kpis
        items:
          - number: leden
            label: members at the end of 2024
      - type: prose
        text: "Membership grew to {{ leden }}."
      - type: table
        caption: Members by year
        series: leden_per_jaar
        columns: {jaaar: Year, leden: Members}
""", encoding="utf-8")
    return translation, 14, ("column 'jaaar' is not in", "did you mean 'jaar'?")


def _language_and_languages(project: Path) -> tuple[str, int, tuple[str, ...]]:
    line = edit(project, "report.yaml", "year: 2024\n", "year: 2024\nlanguage: nl\n") + 1
    return "report.yaml", line, ("the report gives both language and languages",)


PROBLEMS = {case.__name__.strip("_"): case for case in (
    _mapping_without_english, _report_text_without_english, _no_translation_file,
    _another_block_in_the_translation, _a_number_restated_otherwise,
    _a_text_left_out_of_the_translation, _a_translation_into_another_language,
    _a_key_of_no_language_of_the_report, _a_translation_no_edition_reads,
    _a_column_the_series_lacks_in_a_translation, _language_and_languages)}


@pytest.mark.parametrize("case", sorted(PROBLEMS))
def test_a_text_missing_or_out_of_step_names_file_line_and_language(case, project, cli):
    file, line, words = PROBLEMS[case](project)
    ran = cli("check", str(project))
    assert ran.returncode == 1
    assert "Traceback" not in ran.stderr
    located = [text for text in ran.stderr.split("\n") if text.startswith(
        f"{file}:{line}: " if line is not None else f"{file}: ")]
    assert located, ran.stderr
    for word in words:
        assert word in ran.stderr, ran.stderr
    assert not (project / "output").exists()


def test_a_language_the_report_does_not_have_is_refused(project, cli):
    ran = cli("build", str(project), "--language", "de")
    assert ran.returncode == 1
    assert "report.yaml:5: the report has no language 'de'" in ran.stderr
    assert "nl, en" in ran.stderr
    assert not (project / "output").exists()


def test_one_output_file_for_several_languages_is_refused(project, cli, tmp_path):
    ran = cli("build", str(project), "-o", str(tmp_path / "report.pdf"))
    assert ran.returncode == 1
    assert "the report has 2 languages (nl, en)" in ran.stderr
    assert "--language" in ran.stderr
    assert not (tmp_path / "report.pdf").exists()


def test_check_reads_every_language(project, cli):
    ran = cli("check", str(project))
    assert ran.returncode == 0, ran.stderr
    assert "valid (2 chapters) · nl, en" in ran.stdout
    edit(project, INTRODUCTION, "{{ bezoekers }}", "{{ bezoeker }}")
    ran = cli("check", str(project))
    assert ran.returncode == 1
    assert f"{INTRODUCTION}:7: sections[0].blocks[0]: unknown number 'bezoeker'" in ran.stderr


# --------------------------------------------------------------------------- regions

def test_a_language_with_a_region_takes_the_text_of_its_language(project, cli):
    """``en-GB`` reads ``chapter.en.md`` and every ``en:`` key, as RFC 4647's lookup
    finds them; its numbers and dates are British."""
    edit(project, "report.yaml", "languages: [nl, en]", "languages: [nl, en-GB]")
    ran = cli("build", str(project), "--language", "en-GB")
    assert ran.returncode == 0, ran.stderr
    [pdf] = [Path(line) for line in ran.stdout.split()]
    reader = PdfReader(pdf)
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    assert reader.metadata.title == "Annual report 2024"
    english = text_of(pdf)
    assert "This year we counted 12,345.5 visitors at the branch." in english
    assert "Members by year Year Members 2023 3,900 2024 4,200" in english
    assert "1 April 2025" in english  # the edition's date in the colophon, as Britain writes it
    assert "Inleiding" not in english and "not translated" not in ran.stderr.lower()


def test_regions_of_one_language_share_its_texts_and_differ_where_they_say(project):
    from almanac import load

    edit(project, "report.yaml", "languages: [nl, en]", "languages: [nl, en-GB, en-US]")
    edit(project, CIJFERS, "columns: {jaar: {nl: Jaar, en: Year}",
         "columns: {jaar: {nl: Jaar, en: Year, en-US: Calendar year}")
    british, american = (load(project, tag) for tag in ("en-GB", "en-US"))
    for edition in (british, american):
        assert edition.manifest.title == "Annual report 2024"  # en: serves both
        assert edition.chapters[0].data.title == "Introduction"  # so does chapter.en.md
        assert not edition.untranslated
    columns = [edition.chapters[1].data.sections[0].blocks[2].columns
               for edition in (british, american)]
    assert [c["jaar"] for c in columns] == ["Year", "Calendar year"]


def test_a_language_of_the_main_ones_needs_no_translation(project):
    """``nl-BE`` beside the main ``nl`` reads the main texts: no file, no key, no warning."""
    from almanac import load

    edit(project, "report.yaml", "languages: [nl, en]", "languages: [nl, en, nl-BE]")
    flemish = load(project, "nl-BE")
    assert flemish.manifest.language == "nl-BE"
    assert flemish.manifest.title == "Jaarverslag 2024"
    assert [chapter.data.title for chapter in flemish.chapters] == ["Inleiding", "Cijfers"]
    assert not flemish.untranslated


def test_the_region_note_names_the_languages_line_and_writes_the_fix_there(project, cli):
    ran = cli("check", str(project))
    assert ran.returncode == 0, ran.stderr
    line = (project / "report.yaml").read_text().splitlines().index("languages: [nl, en]") + 1
    notes = [text for text in ran.stderr.splitlines() if "en-US conventions" in text]
    assert notes and f" report.yaml:{line}: languages: en: numbers" in notes[0], ran.stderr
    assert notes[0].endswith("e.g. languages: [nl, en-US]")


def test_the_editor_schemas_take_texts_by_language(project, cli):
    import yaml
    from jsonschema import Draft202012Validator

    for kind, name in (("report", "report.yaml"), ("chapter", CIJFERS)):
        schema = Draft202012Validator(json.loads(cli("schema", kind).stdout))
        data = json.loads(json.dumps(yaml.safe_load((project / name).read_text()), default=str))
        assert not [error.message for error in schema.iter_errors(data)]
        data["title"] = {"nl": data["title"]["nl"], "english": "Figures"}  # not a language tag
        assert [error.message for error in schema.iter_errors(data)]
