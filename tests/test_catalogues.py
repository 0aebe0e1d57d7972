"""A project's own words: ``almanac messages`` starts a catalogue, a language with none
is warned about, and the project's translations are the ones printed."""

from __future__ import annotations

from babel.messages.pofile import read_po, write_po

from almanac.text.messages import catalogue

from conftest import almanac


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
