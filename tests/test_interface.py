"""The command line and the preview speak the user's language.

The language is the one gettext reads from the environment (``LANGUAGE``,
``LC_ALL``, ``LC_MESSAGES``, ``LANG``), English when none is set or it is ``C``:
the help, the frame around a problem, the tables and the progress lines, and the
preview's page. What tools read stays the same in every language (``--json``),
and the problems' own messages are English in any.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import threading
import urllib.request
from types import SimpleNamespace

import pytest

from almanac.preview.server import interface, make_server, page
from almanac.reporter import ConsoleReporter, Reporter
from almanac.text.messages import catalogue

from conftest import INZET, almanac, edit

LANGUAGE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
DUTCH = {"LANG": "nl_NL.UTF-8"}
DESCRIPTION = "Typeset a branded annual-report PDF from structured data."


def environment(**variables: str) -> dict[str, str]:
    """This process's environment without any language variable, then ``variables``."""
    return {**{name: value for name, value in os.environ.items()
               if name not in LANGUAGE_VARIABLES}, **variables}


@pytest.fixture
def speak(monkeypatch):
    """Sets the language variables of this process to ``variables`` (the others unset)."""
    def set_to(**variables: str) -> None:
        for name in LANGUAGE_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)

    return set_to


def flat(text: str) -> str:
    """``text`` with every run of whitespace one space: argparse wraps to the terminal."""
    return " ".join(text.split())


def cli_messages() -> list[str]:
    """The longer messages of the command line's help (the English source), each with
    a Dutch translation that differs from it."""
    from babel.messages.pofile import read_po

    from almanac.text.extract import TEMPLATE

    dutch = catalogue("nl")
    return [message.id for message in read_po(TEMPLATE.open("rb"))
            if isinstance(message.id, str) and len(message.id) > 24
            and "%" not in message.id and any(path == "cli.py" for path, _ in message.locations)
            and dutch.gettext(message.id) != message.id]


# --------------------------------------------------------------------------- help

def test_help_is_dutch_under_a_dutch_locale_and_english_otherwise():
    dutch = almanac("--help", env=environment(**DUTCH))
    english = almanac("--help", env=environment(LANG="C"))
    unset = almanac("--help", env=environment())
    assert dutch.returncode == english.returncode == unset.returncode == 0
    said = flat(dutch.stdout)
    assert said.startswith("gebruik: almanac ") and "opties:" in said, said
    assert flat(catalogue("nl").gettext(DESCRIPTION)) in said and DESCRIPTION not in said
    assert "het verslag tot een PDF bouwen" in said  # the commands' lines
    left = [message for message in cli_messages() if flat(message) in said]
    assert not left, f"English in the Dutch help: {left}"
    assert english.stdout == unset.stdout
    assert flat(english.stdout).startswith("usage: almanac ") and DESCRIPTION in english.stdout
    assert "verslag" not in english.stdout


@pytest.mark.parametrize("command", ["build", "check", "preview", "publish", "new", "fonts",
                                     "editions", "verify", "extract", "diff", "schema",
                                     "check-pdf"])
def test_every_commands_help_is_dutch(command, cli, speak):
    speak(LANGUAGE="nl", LANG="en_GB.UTF-8")  # LANGUAGE first, as gettext reads them
    ran = cli(command, "--help")
    assert ran.returncode == 0
    said = flat(ran.stdout)
    assert said.startswith(f"gebruik: almanac {command} ") and "opties:" in said
    assert "deze hulp tonen en stoppen" in said
    left = [message for message in cli_messages() if flat(message) in said]
    assert not left, f"English in the Dutch help of {command}: {left}"
    speak()
    english = flat(cli(command, "--help").stdout)
    assert english.startswith(f"usage: almanac {command} ") and "show this help" in english


def test_a_usage_error_is_framed_in_dutch(cli, speak):
    speak(**DUTCH)
    ran = cli("preview", "--port", "99999")
    assert ran.returncode == 2
    assert flat(ran.stderr).startswith("gebruik: almanac preview ")
    assert "almanac preview: fout: argument --port: '99999' is geen poort" in ran.stderr
    speak()
    ran = cli("preview", "--port", "99999")
    assert "almanac preview: error: argument --port: '99999' is not a port" in ran.stderr


# --------------------------------------------------------------------------- problems

def test_a_problems_frame_is_dutch_and_its_message_stays_english(project, cli, speak):
    edit(project, INZET, "  - title: PO21\n", "  - title: PO21\n   blocks: [\n")
    speak(**DUTCH)
    dutch = cli("build", str(project))
    speak(LANG="C.UTF-8")
    english = cli("build", str(project))
    assert dutch.returncode == english.returncode == 1
    assert dutch.stdout == english.stdout == ""
    *problem, last = dutch.stderr.strip().splitlines()
    *source, end = english.stderr.strip().splitlines()
    assert re.fullmatch(r"almanac: \d+ (probleem|problemen); er is niets geschreven", last), last
    assert re.fullmatch(r"almanac: \d+ problems?; nothing was written", end), end
    assert re.findall(r"\d+", last) == re.findall(r"\d+", end)
    # the problem itself (file, line, message, the fix's text) as written; its label Dutch
    assert problem[0] == source[0] and INZET in problem[0] and "invalid YAML" in problem[0]
    fixes = [line for line in problem if line.startswith("    oplossing: ")]
    assert fixes and [line.replace("oplossing", "fix", 1) for line in fixes] == [
        line for line in source if line.startswith("    fix: ")]
    assert "    fix: " not in dutch.stderr


def test_not_a_folder_in_german(cli, speak, tmp_path):
    speak(LC_ALL="de_DE.UTF-8", LANG="nl_NL.UTF-8")  # LC_ALL before LANG
    ran = cli("check", str(tmp_path / "missing"))
    assert ran.returncode == 2
    assert ran.stderr.strip() == f"almanac: Fehler: {tmp_path / 'missing'} ist kein Ordner"


# --------------------------------------------------------------------------- output

def test_json_is_the_same_in_every_language_and_the_summary_is_not(project, cli, speak):
    listings, summaries = {}, {}
    for language in ("nl_NL.UTF-8", "fr_FR.UTF-8", "C"):
        speak(LANG=language)
        listed = cli("check", str(project), "--json")
        assert listed.returncode == 0, listed.stderr
        listings[language] = listed.stdout
        checked = cli("check", str(project))
        assert checked.returncode == 0, checked.stderr
        summaries[language] = checked.stdout.splitlines()
    assert listings["nl_NL.UTF-8"] == listings["fr_FR.UTF-8"] == listings["C"]
    parsed = json.loads(listings["C"])
    assert parsed["chapters"] and {"numbers", "series", "chapters", "unused"} <= set(parsed)
    chapters = len(parsed["chapters"])
    assert summaries["C"][0].endswith(f": valid ({chapters} chapters)")
    assert summaries["nl_NL.UTF-8"][0].endswith(f": geldig ({chapters} hoofdstukken)")
    assert summaries["fr_FR.UTF-8"][0].endswith(f"\u00a0: valide ({chapters} chapitres)")
    numbers = parsed["numbers"]
    assert summaries["C"][1].startswith(f"{numbers} numbers, {parsed['series']} series; ")
    assert summaries["nl_NL.UTF-8"][1].startswith(
        f"{numbers} getallen, {parsed['series']} reeksen; ")


def test_the_uses_table_has_dutch_headings(project, cli, speak):
    speak(**DUTCH)
    ran = cli("check", str(project), "--uses", "-q")
    assert ran.returncode == 0, ran.stderr
    heads = [line.split() for line in ran.stdout.splitlines() if line.startswith("  sleutel")]
    assert heads and all(head[:3] == ["sleutel", "waarde", "gedefinieerd"] for head in heads)
    assert "defined in" not in ran.stdout and "used in" not in ran.stdout


def test_progress_lines_are_dutch(capsys):
    reporter = ConsoleReporter(words=catalogue("nl"))
    reporter.quiet = False  # as at a terminal
    reporter.step("load", "report.yaml")
    reporter.step("typeset", "WeasyPrint")
    reporter.warning("styles/a.css: Ignored `colr: red`")
    reporter.done("verslag.pdf")
    lines = capsys.readouterr().err.splitlines()
    assert [line.split()[2] for line in lines if re.match(r"\s*\d+\.\d+ s ", line)] == [
        "laden", "opmaken", "klaar"]
    assert "waarschuwing: styles/a.css: Ignored `colr: red`" in lines


def test_the_pipeline_says_its_steps_in_the_reporters_words(project):
    class Recorder(Reporter):
        words = catalogue("de")

        def __init__(self):
            self.said: list[tuple[str, str]] = []

        def step(self, name, detail=""):
            self.said.append((name, detail))

    from almanac.pipeline import check

    recorder = Recorder()
    check(project, reporter=recorder)
    assert recorder.said[0] == ("load", "report.yaml, Marke und Kapitel lesen")
    assert ("render", "Vorlagen und Stylesheets der Ausgabe print") in recorder.said


class FirstStep(Exception):
    """What a reporter raises at the first step: the command goes no further."""


@pytest.mark.parametrize("command", ["build", "build_all", "build_specimen", "check",
                                     "publish"])
def test_every_command_says_its_first_step_in_the_reporters_words(command, tmp_path):
    from almanac import pipeline

    class Stopper(Reporter):
        words = catalogue("nl")

        def step(self, name, detail=""):
            raise FirstStep(detail)

    with pytest.raises(FirstStep) as stopped:
        getattr(pipeline, command)(tmp_path, reporter=Stopper())
    said = str(stopped.value)
    dutch = catalogue("nl").table()
    assert said in dutch.values() and said not in dutch, said  # a translation, not a msgid


# --------------------------------------------------------------------------- the preview

def served() -> tuple[str, str]:
    """The page a preview started now serves at ``/``, and its Content-Security-Policy
    (the page is all it is asked for: no report is needed)."""
    server = make_server(SimpleNamespace(), "127.0.0.1", 0)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/",
                                    timeout=30) as response:
            return response.read().decode("utf-8"), response.headers["Content-Security-Policy"]
    finally:
        server.shutdown()
        server.server_close()


def script_words(html: str) -> dict[str, str]:
    found = re.search(r"const words = (\{.*?\});", html, re.S)
    assert found, html
    return json.loads(found.group(1))


def test_the_preview_page_is_dutch_under_a_dutch_locale(speak):
    speak(**DUTCH)
    html, policy = served()
    assert re.search(r'<html lang="nl-NL">', html)
    assert "<label>Hoofdstuk <select" in html and "Chapter" not in html
    assert script_words(html) == {"building": "bouwen…", "failed": "de laatste bouw is mislukt",
                                  "built": "gebouwd in %(seconds)s s",
                                  "page": "pagina %(number)s", "fix": "oplossing"}
    # the browser runs the script of the Dutch page: its hash is the one the policy allows
    [script] = re.findall(r"<script>(.*?)</script>", html, re.S)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy


def test_the_preview_page_is_english_by_default(speak):
    for variables in ({}, {"LANG": "C.UTF-8"}, {"LANG": "ja_JP.UTF-8"}):
        speak(**variables)
        html, _ = served()
        assert '<html lang="en">' in html, variables
        assert "<label>Chapter <select" in html
        assert script_words(html)["building"] == "building…"
        assert not re.search(r"Hoofdstuk|pagina|bouwen", html)


def test_every_word_of_the_page_is_translated():
    """Each built-in language's page differs from the English one in every message it
    shows, and its script's words are valid JSON however they are written."""
    english = page(interface("en"))
    for language in ("nl", "de", "fr"):
        html = page(interface(language))
        assert f'<html lang="{language}">' in html
        words = script_words(html)
        assert set(words) == set(script_words(english))
        assert all(words[key] != script_words(english)[key] for key in words
                   if key != "page" or language != "fr")  # "page" is French too
        title = re.search(r"<title>(.*?)</title>", html).group(1)
        assert title != "Almanac preview"


def test_a_reader_that_stops_reading_ends_the_command_quietly(tmp_path):
    """``almanac check --uses | head -1``: the reader closes the pipe before the listing
    is written; the command ends as it would have, with nothing on standard error."""
    import subprocess
    import sys

    from almanac.project.scaffold import new_project

    project = tmp_path / "report"
    new_project(project, language="en-GB")
    process = subprocess.Popen([sys.executable, "-m", "almanac", "check", str(project),
                                "--uses"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # gone before a line is written
    errors = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0, errors
    assert "Broken pipe" not in errors and "problem" not in errors, errors
