"""A project's own words: ``almanac messages`` starts a catalogue, a language with none
is warned about, and the project's translations are the ones printed; a catalogue is a
source of the report like its chapters, and one that would break a build is an error
naming its line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from pypdf import PdfReader

from almanac.errors import ReportError
from almanac.pipeline import build
from almanac.project.scaffold import new_project
from almanac.text.messages import catalogue

from conftest import almanac, snapshot


def new_report(tmp_path, language: str):
    folder = tmp_path / "report"
    ran = almanac("new", str(folder), "--language", language)
    assert ran.returncode == 0, ran.stderr
    return folder


def test_messages_writes_the_report_words_translated_where_almanac_can(tmp_path):
    folder = new_report(tmp_path, "en-GB")
    ran = almanac("messages", "nl", cwd=folder)
    assert ran.returncode == 0, ran.stderr
    with (folder / "locale" / "nl.po").open("rb") as file:
        written = read_po(file)
    texts = {message.id: message.string for message in written if message.id}
    built_in = catalogue("nl").table()
    # Every word of a report, each with Almanac's Dutch; none of the interface's words.
    assert texts["Figure %(number)s"] == built_in["Figure %(number)s"] == "Figuur %(number)s"
    assert all(texts[key] == built_in[key] for key in texts if isinstance(key, str))
    assert not any("almanac" in key.lower() and "build" in key.lower() for key in texts)
    # Its header speaks to whoever edits it for the report, not to Almanac's developers.
    head = (folder / "locale" / "nl.po").read_text(encoding="utf-8").split("msgid", 1)[0]
    assert "for this report in Dutch: translate or change each msgstr" in head
    assert "`almanac messages nl`" in head and "almanac.text.extract" not in head
    # Never over an existing file: the user's edits stay.
    (folder / "locale" / "nl.po").write_text("# mine\n", encoding="utf-8")
    again = almanac("messages", "nl", cwd=folder)
    assert again.returncode == 1
    assert "locale/nl.po exists" in again.stderr
    assert (folder / "locale" / "nl.po").read_text(encoding="utf-8") == "# mine\n"


def test_a_language_without_a_catalogue_is_warned_about_on_its_line(tmp_path):
    folder = new_report(tmp_path, "sv")
    ran = almanac("check", str(folder))
    assert ran.returncode == 0, ran.stderr
    line = next(number for number, text in enumerate(
        (folder / "report.yaml").read_text(encoding="utf-8").splitlines(), 1)
        if text.startswith("language:"))
    assert f"report.yaml:{line}: Almanac has no message catalogue for 'sv'" in ran.stderr
    assert "almanac messages sv" in ran.stderr
    # The catalogue it suggests, while untranslated, is warned about as such; translated,
    # the warning is gone and a strict check passes.
    assert almanac("messages", "sv", cwd=folder).returncode == 0
    started = almanac("check", str(folder), "--strict")
    assert started.returncode == 1
    assert "words Almanac writes have no translation in 'sv'" in started.stderr
    assert "locale/sv.po" in started.stderr
    po = folder / "locale" / "sv.po"
    with po.open("rb") as file:
        written = read_po(file, locale="sv")
    for message in written:
        if message.id:
            message.string = "sv " + message.id  # keeps every placeholder
    with po.open("wb") as file:
        write_po(file, written)
    strict = almanac("check", str(folder), "--strict")
    assert strict.returncode == 0, strict.stderr
    assert "translation" not in strict.stderr


# --------------------------------------------------------------------------- a source

TODAY = dt.date(2026, 4, 1)
HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'


def dutch_report(folder: Path, po: str | bytes | None = None) -> Path:
    """The Dutch scaffold (nine pages), with ``po`` as its ``locale/nl.po``."""
    new_project(folder, language="nl", today=TODAY)
    if po is not None:
        (folder / "locale").mkdir()
        path = folder / "locale" / "nl.po"
        path.write_bytes(po if isinstance(po, bytes) else po.encode("utf-8"))
    return folder


def line_of(text: str, start: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1)
                if line.startswith(start))


def embedded(pdf: Path) -> dict[str, bytes]:
    reader = PdfReader(pdf)
    return {name: contents[0] for name, contents in reader.attachments.items()}


def test_a_published_edition_embeds_the_catalogue_and_is_reproduced_from_it(tmp_path, cli):
    po = HEADER + 'msgid "Colophon"\nmsgstr "Verantwoording"\n'
    project = dutch_report(tmp_path / "r", po)
    published = cli("publish", str(project), "-q")
    assert published.returncode == 0, published.stderr
    pdf = Path(published.stdout.strip())
    assert embedded(pdf)["locale/nl.po"] == po.encode("utf-8")
    assert "Verantwoording" in PdfReader(pdf).pages[-1].extract_text()
    # The sources extracted from the PDF alone publish the same file.
    recovered = tmp_path / "recovered"
    assert cli("extract", str(pdf), str(recovered)).returncode == 0
    assert (recovered / "locale" / "nl.po").read_text(encoding="utf-8") == po
    again = cli("publish", str(recovered), "-q")
    assert again.returncode == 0, again.stderr
    assert Path(again.stdout.strip()).read_bytes() == pdf.read_bytes()


def test_a_build_is_not_written_over_a_catalogue(tmp_path, cli):
    po = HEADER + 'msgid "Colophon"\nmsgstr "Verantwoording"\n'
    project = dutch_report(tmp_path / "r", po)
    before = snapshot(project)
    ran = cli("build", str(project), "-o", str(project / "locale" / "nl.po"))
    assert ran.returncode == 2  # a usage error, as for any input named as the output
    assert "is locale/nl.po, an input of the report" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert snapshot(project) == before


# --------------------------------------------------------------------------- what it may hold

def problems_of(project: Path) -> list:
    with pytest.raises(ReportError) as caught:
        catalogue("nl", project)
    return caught.value.problems


@pytest.mark.parametrize("msgid, msgstr, said, fix", [
    ("Colophon", "Colofon 100%", "has a % that is not a placeholder", "write a % as %%"),
    ("Colophon", "50% korting", "has a % that is not a placeholder: '50% korting'",
     "write a % as %%"),
    ("page %(page)s of %(pages)s", "blad %(page)s", "leaves out %(pages)s",
     "keep %(page)s and %(pages)s"),
    ("page %(page)s of %(pages)s", "blad %(pagina)s van %(pages)s",
     "has %(pagina)s instead of %(page)s", "keep %(page)s and %(pages)s"),
    ("Version %(version)s", "Versie %s", "has a % that is not a placeholder: 'Versie %s'",
     "write a % as %% and keep %(version)s"),
    ("Version %(version)s", "Versie %(version)d", "cannot be filled in",
     "as the message does (%(version)s)"),
    ("Colophon", "Colofon %(jaar)s", "has %(jaar)s, which the message does not give",
     "remove %(jaar)s"),
])
def test_a_translation_that_would_not_fill_in_is_an_error_on_its_line(
        tmp_path, msgid, msgstr, said, fix):
    po = HEADER + f'msgid "Contents"\nmsgstr "Inhoud"\n\nmsgid "{msgid}"\nmsgstr "{msgstr}"\n'
    project = dutch_report(tmp_path / "r", po)
    [problem] = problems_of(project)
    assert problem.path == project / "locale" / "nl.po"
    assert problem.line == line_of(po, f'msgid "{msgid}"')
    assert said in problem.message and repr(msgid) in problem.message
    assert fix in problem.hint


def test_a_plural_translation_keeps_the_placeholders_of_its_forms(tmp_path):
    po = (HEADER + 'msgid "%(count)s page"\nmsgid_plural "%(count)s pages"\n'
          'msgstr[0] "één pagina"\nmsgstr[1] "%(count)s pagina\'s"\n\n'
          'msgid "%(count)s chart"\nmsgid_plural "%(count)s charts"\n'
          'msgstr[0] "één grafiek"\nmsgstr[1] "veel grafieken"\n')
    project = dutch_report(tmp_path / "r", po)
    [problem] = problems_of(project)  # the first may leave %(count)s to its other form
    assert problem.line == line_of(po, 'msgid "%(count)s chart"')
    assert "leaves out %(count)s" in problem.message and "keep %(count)s" in problem.hint


def test_a_percent_written_as_gettext_has_it_is_printed_once(tmp_path):
    """In a template, in a stylesheet's words and in a page footer with counters."""
    po = (HEADER + 'msgid "Colophon"\nmsgstr "Colofon (100%%)"\n\n'
          'msgid "page %(page)s of %(pages)s"\nmsgstr "blad %(page)s/%(pages)s (100%%)"\n')
    reader = PdfReader(build(dutch_report(tmp_path / "r", po)).path)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Colofon (100%)" in text
    assert f"blad 2/{len(reader.pages)} (100%)" in text
    assert "%%" not in text


@pytest.mark.parametrize("line, said", [
    ('msgstr "Verantwoording', "the string of msgstr is not closed"),
    ('msgstr "Verantwoording" "', "there is more on the line after the string of msgstr"),
    ('msgstr"Verantwoording"', "msgstr and its string are not apart"),
    ("msgstr Verantwoording", "msgstr is not followed by a string in double quotes"),
    ("Verantwoording", "is not a line of a gettext catalogue: 'Verantwoording'"),
])
def test_a_line_out_of_gettexts_form_is_an_error_on_that_line(tmp_path, line, said, cli):
    po = HEADER + f'msgid "Colophon"\n{line}\n\nmsgid "Contents"\nmsgstr "Inhoud"\n'
    project = dutch_report(tmp_path / "r", po)
    [problem] = problems_of(project)
    assert problem.line == po.splitlines().index(line) + 1
    assert said in problem.message
    ran = cli("check", str(project))
    assert ran.returncode == 1 and f"locale/nl.po:{problem.line}: {said}" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_a_catalogue_that_is_not_utf8_is_named_with_the_line_of_its_first_bad_byte(tmp_path):
    po = (HEADER + 'msgid "Contents"\nmsgstr "Inhoud"\n\n'
          'msgid "Colophon"\nmsgstr "Cr\xe9dits"\n').encode("latin-1")
    project = dutch_report(tmp_path / "r", po)
    [problem] = problems_of(project)
    assert problem.line == 9 and "is not UTF-8 text" in problem.message
    assert "save it as UTF-8" in problem.hint
    # The same text declared as Latin-1 is not read as mojibake either.
    declared = po.replace(b"UTF-8", b"ISO-8859-1").replace(b"\xe9", "é".encode())
    (project / "locale" / "nl.po").write_bytes(declared)
    [problem] = problems_of(project)
    assert problem.line == 3 and "ISO-8859-1" in problem.message
    assert "charset=UTF-8" in problem.hint


def test_a_catalogue_saved_with_a_byte_order_mark_is_read(tmp_path):
    po = HEADER + 'msgid "Colophon"\nmsgstr "Verantwoording"\n'
    project = dutch_report(tmp_path / "r", b"\xef\xbb\xbf" + po.encode("utf-8"))
    assert catalogue("nl", project).gettext("Colophon") == "Verantwoording"


def test_a_message_almanac_never_asks_for_is_warned_about_on_its_line(tmp_path, cli):
    """A mistyped msgid (the translation would silently never be printed): a warning on
    its line with the message meant; a strict check fails on it."""
    po = HEADER + 'msgid "page %(number)s of %(total)s"\nmsgstr "blad %(number)s/%(total)s"\n'
    project = dutch_report(tmp_path / "r", po)
    ran = cli("check", str(project))
    assert ran.returncode == 0, ran.stderr
    assert ("locale/nl.po:5: 'page %(number)s of %(total)s' is not a message Almanac "
            "writes") in ran.stderr
    assert "did you mean 'page %(page)s of %(pages)s'?" in ran.stderr
    assert cli("check", str(project), "--strict").returncode == 1
