"""The words Almanac writes, from its message catalogues: the catalogues are current and
complete, no generated Dutch word is left in the code, templates or stylesheets, a report
in English reads English, and a project's own catalogue changes a word on the page."""

from __future__ import annotations

import ast
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest
import tinycss2
from babel.messages.pofile import read_po
from jinja2 import nodes
from pypdf import PdfReader

from almanac.errors import ReportError
from almanac.pipeline import build
from almanac.text.extract import LOCALE, PACKAGE, TEMPLATE, extract
from almanac.text.messages import DOMAIN, built_in_languages, catalogue, messages_of

from conftest import copy_project, edit
from pdfread import page_zones, squash

# Words the Dutch sample printed where Almanac wrote them itself (headings, labels, the
# colophon, footers, statuses, the specimen): none may stay in code, templates or CSS.
DUTCH = ("pagina", "inhoud", "figuur", "tabel", "versie", "bron", "grafiek", "grafieken",
         "colofon", "uitgave", "titel", "editie", "drukversie", "schermversie", "vormgeving",
         "opgemaakt", "gestructureerde", "wijzigingen", "identificatie", "voorbeeldgegevens",
         "realisatie", "onderwerp", "gerealiseerd", "deels", "vermeld", "onbekend", "van",
         "op pagina", "hoofdstuk", "merk", "kleuren", "kop", "lopende tekst", "regelafstand",
         "bijschriften", "tabellen")
DUTCH_WORD = re.compile(r"\b(" + "|".join(DUTCH) + r")\b", re.IGNORECASE)

NOT_GENERATED = {
    "project/scaffold.py": "a new project's own starting text, in the language it is made in",
}
"""Python modules whose words are no words Almanac writes on a report's pages."""


# --------------------------------------------------------------------------- catalogues

def _read(path: Path):
    with path.open("rb") as file:
        return read_po(file, domain=DOMAIN)


def test_the_catalogues_hold_exactly_the_messages_of_the_sources():
    """Run ``python -m almanac.text.extract`` when this fails (then translate)."""
    extracted = set(messages_of(extract()))
    assert {"Contents", "page %(page)s of %(pages)s", "Colophon"} <= extracted
    assert set(messages_of(_read(TEMPLATE))) == extracted
    for language in built_in_languages():
        path = LOCALE / language.replace("-", "_") / "LC_MESSAGES" / f"{DOMAIN}.po"
        assert set(messages_of(_read(path))) == extracted, language


@pytest.mark.parametrize("language", ["nl", "en", "de", "fr"])
def test_every_built_in_catalogue_translates_every_message_keeping_its_placeholders(language):
    assert language in built_in_languages()
    path = LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    messages = [message for message in _read(path) if message.id]
    assert messages
    untranslated = [message.id for message in messages
                    if not message.string or message.fuzzy]
    assert not untranslated, untranslated
    broken = [(message.id, [str(error) for error in errors])
              for message, errors in _read(path).check()]
    assert not broken, broken
    placeholder = re.compile(r"%\((\w+)\)")

    def names(text: str | tuple[str, ...]) -> set[str]:  # of a plural message: every form's
        return set(placeholder.findall(" ".join(text) if isinstance(text, tuple) else text))

    lost = [message.id for message in messages if names(message.id) != names(message.string)]
    assert not lost, lost  # Babel's check allows a translation to drop one; the page would not


def _texts(language: str) -> Iterator[tuple[str, str]]:
    """(msgid, text) of every translation of a built-in catalogue, each plural form."""
    for message in _read(LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"):
        if message.id:
            key = message.id if isinstance(message.id, str) else message.id[0]
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            yield from ((key, form) for form in forms)


FRENCH_SPACE = {":": "\u00a0", ";": "\u202f", "!": "\u202f", "?": "\u202f"}
"""The space French sets before each high punctuation mark (Lexique des règles
typographiques en usage à l'Imprimerie nationale): a no-break space before the colon,
a narrow one before the semicolon, the exclamation and the question mark."""


def test_french_messages_space_their_punctuation_as_french_does():
    wrong = []
    for key, text in _texts("fr"):
        for match in re.finditer(r"[:;!?]", text):
            token = re.search(r"\S*$", text[:match.end()]).group(0) \
                + re.match(r"\S*", text[match.end():]).group(0)
            before = text[match.start() - 1] if match.start() else ""
            if before != FRENCH_SPACE[match.group()] and token not in key:  # languages:, ::1
                wrong.append(text[max(0, match.start() - 20):match.end() + 5])
        if re.search(r"(?<!\w)'|'(?!\w)|\"|«(?!\u00a0)|(?<!\u00a0)»", text):
            wrong.append(text)  # quoted « as French quotes », with no-break spaces inside
        if re.search(r"\w'\w", text):
            wrong.append(text)  # an elision's apostrophe is the typographic one: l’édition
    assert not wrong, wrong


def test_german_messages_quote_and_abbreviate_as_german_does():
    wrong = [text for _, text in _texts("de")
             if re.search(r"['\"„“”‘’]", re.sub(r"„[^„“]*“", "", text))  # „so“ quoted
             or re.search(r"\b(z|d|u)\.( ?)(B|h|a)\.", text)]  # z.\u00a0B.: a no-break space
    assert not wrong, wrong


def test_the_dutch_catalogue_gives_the_words_a_dutch_report_prints():
    dutch = catalogue("nl")
    assert dutch.gettext("page %(page)s of %(pages)s", page=6, pages=15) == "pagina 6 van 15"
    assert [dutch.gettext(word) for word in ("Contents", "Colophon", "Illustrative data")] \
        == ["Inhoud", "Colofon", "Voorbeeldgegevens"]
    assert catalogue("en-GB").gettext("page %(page)s of %(pages)s", page=6, pages=15) \
        == "page 6 of 15"


# --------------------------------------------------------------------------- no Dutch left

def _docstrings(tree: ast.AST) -> set[int]:
    """Every string that stands alone as a statement: the docstrings of modules, classes
    and functions, and those of attributes (a string after an assignment, PEP 257)."""
    return {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)}


def python_texts(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every string literal of a module that can reach a reader: not
    a docstring, not a key it looks up (a dict key, a value it compares with)."""
    tree = ast.parse(source)
    skipped = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            skipped.update(id(key) for key in node.keys if key is not None)
        elif isinstance(node, ast.Compare):
            skipped.update(id(part) for part in [node.left, *node.comparators])
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in skipped:
            yield node.lineno, node.value


TRANSLATING = {"_", "gettext", "ngettext", "pgettext", "npgettext"}


def template_texts(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of a template's own text — markup, attribute values and string
    constants — outside ``_()`` calls and ``{% trans %}`` blocks (comments are none)."""
    environment = jinja2.Environment(extensions=["jinja2.ext.i18n"])

    def walk(node: nodes.Node, translated: bool) -> Iterator[tuple[int, str]]:
        if isinstance(node, nodes.TemplateData) and not translated:
            yield node.lineno, node.data
        elif isinstance(node, nodes.Const) and isinstance(node.value, str) and not translated:
            yield node.lineno, node.value
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) \
                and node.node.name in TRANSLATING:
            for argument in node.args:
                yield from walk(argument, True)
            for child in [*node.kwargs, node.dyn_args, node.dyn_kwargs]:
                if child is not None:
                    yield from walk(child, translated)
            return
        for child in node.iter_child_nodes():
            yield from walk(child, translated)

    yield from walk(environment.parse(source), False)


def css_texts(source: str) -> Iterator[tuple[int, str]]:
    """(line, text) of every string of a stylesheet (``content: "…"``, and any other)."""
    def walk(tokens) -> Iterator[tuple[int, str]]:
        for token in tokens:
            if token.type == "string":
                yield token.source_line, token.value
            for attribute in ("content", "arguments", "prelude"):
                inner = getattr(token, attribute, None)
                if isinstance(inner, list):
                    yield from walk(inner)

    yield from walk(tinycss2.parse_component_value_list(source, skip_comments=True))


def dutch_in_sources() -> set[tuple[str, int, str]]:
    """(file, line, word) of every Dutch word Almanac's sources would write."""
    found = set()
    readers = [("**/*.py", python_texts), ("theme/layout/*.html", template_texts),
               ("theme/styles/*.css", css_texts)]
    for pattern, texts in readers:
        for path in sorted(PACKAGE.glob(pattern)):
            name = path.relative_to(PACKAGE).as_posix()
            if name in NOT_GENERATED or name.startswith("scaffold/"):
                continue
            for line, text in texts(path.read_text(encoding="utf-8")):
                found.update((name, line, match.lower()) for match in DUTCH_WORD.findall(text))
    return found


def test_the_scan_finds_dutch_where_it_would_be_printed():
    assert list(python_texts('"""Inhoud."""\nx = {"inhoud": f"Colofon {y}"}\n')) \
        == [(2, "Colofon ")]
    assert [text for _, text in template_texts(
        '<nav aria-label="Inhoud">{{ _("Contents") }}{% trans %}Bron{% endtrans %}'
        '{{ "Versie" if a else _("Version") }}</nav>')] == ['<nav aria-label="Inhoud">',
                                                            "Versie", "</nav>"]
    assert [text for _, text in css_texts(
        '/* Inhoud */ @page { @bottom-right { content: "pagina " counter(page) } }')] \
        == ["pagina "]


def test_no_generated_dutch_word_is_left_in_code_templates_or_stylesheets():
    assert sorted(dutch_in_sources()) == []


# --------------------------------------------------------------------------- an English report

def _source_words(project: Path) -> set[str]:
    """Every word of the project's own text files (manifest, chapters, data, figure
    modules, brand): what the report itself says, in whatever language."""
    words: set[str] = set()
    for path in project.rglob("*"):
        if path.is_file() and path.suffix in {".yaml", ".md", ".csv", ".py", ".txt"} \
                and "output" not in path.relative_to(project).parts \
                and not path.relative_to(project).parts[0].startswith("."):
            words.update(re.findall(r"\w+", path.read_text(encoding="utf-8").lower()))
    return words


@pytest.fixture(scope="module")
def english(tmp_path_factory) -> tuple[Path, PdfReader]:
    """The sample with ``language: en-GB``, built: (its project, the PDF)."""
    project = copy_project(tmp_path_factory.mktemp("english") / "project")
    manifest = project / "report.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert "\nlanguage: nl\n" in text
    manifest.write_text(text.replace("\nlanguage: nl\n", "\nlanguage: en-GB\n"),
                        encoding="utf-8")
    return project, PdfReader(build(project).path)


def test_an_english_report_numbers_its_pages_in_english(english):
    _, reader = english
    zones = [page_zones(page) for page in reader.pages]
    total = len(zones)
    numbered = [number for number, (_, _, footer) in enumerate(zones, 1)
                if re.search(r"\d+\s*of\s*\d+", footer)]
    assert len(numbered) > total / 2
    for number in numbered:
        assert f"page {number} of {total}" in " ".join(zones[number - 1][2].split())
    contents = [(header, body) for header, body, _ in zones
                if squash(body).startswith("contents")]
    assert contents and all(squash(header) == "contents" for header, _ in contents)


def test_an_english_report_has_an_english_colophon(english):
    _, reader = english
    back = squash(reader.pages[-1].extract_text())
    for words in ("Colophon", "Publisher", "Title", "Version", "Edition", "Screen edition",
                  "Design", "Typeset with Almanac from structured data",
                  "Charts and tables labelled ‘illustrative data’ show series"):
        assert squash(words) in back, words
    assert "colofon" not in back


def test_an_english_report_prints_no_dutch_word_its_sources_do_not_have(english):
    project, reader = english
    printed = set(re.findall(r"\w+", " ".join(
        page.extract_text() for page in reader.pages).lower()))
    generated = printed - _source_words(project)
    dutch = {word for word in DUTCH if " " not in word}
    assert generated & dutch == set()
    assert {"contents", "colophon", "target", "actual"} <= generated  # what it writes itself
    charts = [path.read_text(encoding="utf-8")
              for path in (project / ".almanac-cache" / "charts").glob("*.svg")]
    assert any("ILLUSTRATIVE DATA" in svg for svg in charts)
    assert not any("VOORBEELDGEGEVENS" in svg for svg in charts)


# --------------------------------------------------------------------------- a project's words

REPORT = """\
title: Jaarverslag
organisation: Stichting Voorbeeld
year: 2024
language: nl
subject: Een verslag met een tabel van resultaten
edition: {version: "1.0", date: 2025-03-01}
chapters: [01-resultaten]
"""
CHAPTER = """\
title: Resultaten
numbers:
  doel: {value: 12, unit: count, label: doel}
sections:
  - blocks:
      - type: results
        caption: Doelen
        items:
          - {label: Lezen, norm: doel, status: achieved}
"""
OWN = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Colophon"
msgstr "Verantwoording"

msgid "page %(page)s of %(pages)s"
msgstr "blad %(page)s/%(pages)s"
"""


def small_report(folder: Path, catalogue_text: str) -> Path:
    chapter = folder / "chapters" / "01-resultaten"
    chapter.mkdir(parents=True)
    (folder / "report.yaml").write_text(REPORT, encoding="utf-8")
    (chapter / "chapter.yaml").write_text(CHAPTER, encoding="utf-8")
    (folder / "locale").mkdir()
    (folder / "locale" / "nl.po").write_text(catalogue_text, encoding="utf-8")
    return folder


def test_a_projects_catalogue_changes_the_words_on_its_pages(tmp_path):
    reader = PdfReader(build(small_report(tmp_path / "r", OWN)).path)
    back = squash(reader.pages[-1].extract_text())
    assert squash("Verantwoording") in back and "colofon" not in back
    assert squash("Uitgave Stichting Voorbeeld") in back  # the rest is the built-in Dutch
    footers = [" ".join(page_zones(page)[2].split()) for page in reader.pages]
    total = len(footers)
    assert any(f"blad {number}/{total}" in footer for number, footer in enumerate(footers, 1))
    assert not any("pagina" in footer for footer in footers)


def test_a_french_report_names_its_edition_as_french_does(tmp_path):
    """The colophon says which file this is by its medium (“Support”), not a second
    “Version” beside the version number; the results table heads its column “Objet”."""
    project = small_report(tmp_path / "r", OWN)
    shutil.rmtree(project / "locale")
    edit(project, "report.yaml", "language: nl", "language: fr")
    reader = PdfReader(build(project).path)
    back = squash(reader.pages[-1].extract_text())
    assert squash("Support Édition pour écran") in back, back
    assert squash("Version 1.0, 1 mars 2025") in back
    assert "versionécran" not in back and "versionimprimée" not in back
    assert any(squash("Objet Objectif Réalisé Statut") in squash(page.extract_text())
               for page in reader.pages)


def test_a_projects_translation_that_breaks_a_placeholder_is_an_error_naming_its_line(
        tmp_path, cli):
    broken = OWN + '\nmsgid "Version %(version)s"\nmsgstr "Versie %(nummer)s"\n'
    project = small_report(tmp_path / "r", broken)
    line = broken.splitlines().index('msgid "Version %(version)s"') + 1
    with pytest.raises(ReportError) as caught:
        build(project)
    [problem] = caught.value.problems
    assert problem.path == project / "locale" / "nl.po" and problem.line == line
    assert "nummer" in problem.message
    ran = cli("build", str(project))
    assert ran.returncode != 0 and f"nl.po:{line}" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_a_projects_catalogue_that_is_not_one_is_an_error_naming_it(tmp_path):
    project = small_report(tmp_path / "r", "Colophon = Verantwoording\n")  # not gettext's form
    with pytest.raises(ReportError) as caught:
        build(project)
    assert caught.value.problems[0].path == project / "locale" / "nl.po"



@pytest.mark.parametrize("language, opening, closing", [
    ("en-GB", "“", "”"), ("de", "„", "“"), ("fr", "«\u00a0", "\u00a0»"), ("nl", "“", "”")])
def test_a_quotation_is_set_in_the_quotation_marks_of_its_language(tmp_path, language,
                                                                   opening, closing):
    from almanac.pipeline import load, render_html
    from almanac.project.scaffold import new_project
    from almanac.reporter import BufferReporter

    project = tmp_path / "report"
    new_project(project, language=language)
    rendered, charts = render_html(load(project), reporter=BufferReporter())
    charts.cancel()
    quotations = re.findall(r"<blockquote><p>(.*?)</p></blockquote>", rendered.html, re.S)
    assert quotations
    for quotation in quotations:
        assert quotation.startswith(opening) and quotation.endswith(closing), quotation
