"""almanac diff: the words that changed inside a paragraph, and the edition's
version and changelog as text."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from almanac.cli import main
from almanac.editions.diff import paragraph_changes
from almanac.errors import printable
from almanac.text.worddiff import MAX_TOKENS, Marks, marked, tokens, word_diff

from conftest import almanac

LONG = ("In the year under review the service answered 14 of every 15 requests within "
        "the promised time, helped by the new intake desk that opened in spring and by "
        "the volunteers who took the evening calls.")


def diffed(old: str, new: str, **options) -> str:
    """The word diff of ``old`` and ``new`` as printed when piped, checked to give
    both texts back."""
    runs = word_diff(old, new)
    assert "".join(run.old for run in runs) == old
    assert "".join(run.new for run in runs) == new
    return marked(runs, **options)


# --------------------------------------------------------------------------- the word diff

def test_one_word_changed_in_a_long_paragraph_marks_only_that_word():
    new = LONG.replace("new intake desk", "central intake desk")
    assert diffed(LONG, new, context=None) == LONG.replace(
        "new intake desk", "[-new-]{+central+} intake desk")


def test_a_changed_number_is_marked_whole_with_its_separators():
    assert diffed("The budget was 4,200,000 euro in 2021.",
                  "The budget was 4,300,000 euro in 2021.") == \
        "The budget was [-4,200,000-]{+4,300,000+} euro in 2021."
    assert diffed("Il y a 12\u202f480 lecteurs.", "Il y a 12\u202f680 lecteurs.") == \
        "Il y a [-12\u202f480-]{+12\u202f680+} lecteurs."  # CLDR's fr thousands: U+202F


def test_punctuation_is_a_change_of_its_own():
    assert diffed("We are done. Thank you", "We are done; thank you") == \
        "We are done[-. Thank-]{+; thank+} you"
    assert diffed("All requests were answered.", "All requests were answered!") == \
        "All requests were answered[-.-]{+!+}"


def test_an_inserted_and_a_deleted_word_keep_the_spaces_outside_the_marks():
    assert diffed("Both are aimed at prevention.", "Both projects are aimed at prevention.") \
        == "Both {+projects+} are aimed at prevention."
    assert diffed("Both projects are aimed at prevention.", "Both are aimed at prevention.") \
        == "Both [-projects-] are aimed at prevention."
    assert diffed("first words here", "words here") == "[-first-] words here"


def test_small_unchanged_islands_between_changes_join_them():
    assert diffed("we changed 14 to 15 cases", "we changed 16 to 17 cases") == \
        "we changed [-14 to 15-]{+16 to 17+} cases"


def test_a_rewritten_paragraph_is_shown_removed_and_added_whole():
    old = "The quick brown fox jumps over the lazy dog."
    new = "A slow red hen walks around the sleeping cat."
    assert diffed(old, new) == f"[-{old}-]{{+{new}+}}"


def test_chinese_without_spaces_marks_the_changed_characters():
    old = "今年我们处理了三千件申请，比去年多。"
    assert diffed(old, "今年我们处理了四千件申请，比去年多。") == \
        "今年我们处理了[-三-]{+四+}千件申请，比去年多。"
    # two changes one character apart read as one
    assert diffed(old, "今年我们处理了四千个申请，比去年多。") == \
        "今年我们处理了[-三千件-]{+四千个+}申请，比去年多。"


def test_words_with_combining_marks_stay_whole():
    assert tokens("क्षत्रिय राजा") == ["क्षत्रिय", " ", "राजा"]
    assert diffed("एक बड़ा क्षत्रिय राजा था", "एक बड़ा ब्राह्मण राजा था") == \
        "एक बड़ा [-क्षत्रिय-]{+ब्राह्मण+} राजा था"


def test_a_long_unchanged_stretch_is_shortened_around_the_change():
    new = LONG.replace("new intake desk", "central intake desk")
    assert diffed(LONG, new) == (
        "… requests within the promised time, helped by the [-new-]{+central+} intake desk "
        "that opened in spring and by …")


def test_a_paragraph_past_the_limit_is_shown_whole():
    old = " ".join(f"w{k}" for k in range(MAX_TOKENS + 1))
    new = old.replace("w7 ", "seven ")
    assert diffed(old, new) == f"[-{old}-]{{+{new}+}}"
    assert diffed(old[:2000], new[:2000]).startswith("w0 w1 w2 w3 w4 w5 w6 [-w7-]{+seven+} w8")


def test_control_characters_of_an_edition_are_escaped_and_the_marks_are_not():
    marks = Marks(("\x1b[9m", "\x1b[0m"), ("\x1b[4m", "\x1b[0m"))
    runs = word_diff("The service answered \x1b]0;pwned\x07 most requests on time \u202e.",
                     "The service answered all requests on time \u202e.")
    shown = marked(runs, marks, printable)
    assert shown == ("The service answered \x1b[9m\\x1b]0;pwned\\x07 most\x1b[0m"
                     "\x1b[4mall\x1b[0m requests on time \\u202e.")


def test_paragraphs_added_removed_and_changed_are_told_apart():
    old = ["# Results", "We handled 3,150 requests.", "A paragraph that goes.", "The end."]
    new = ["# Results", "A paragraph that comes.", "We handled 3,250 requests.", "The end."]
    changes = [(c.kind, c.old_index, c.new_index, marked(c.runs))
               for c in paragraph_changes(old, new)]
    assert changes == [
        ("added", None, 1, "{+A paragraph that comes.+}"),
        ("changed", 1, 2, "We handled [-3,150-]{+3,250+} requests."),
        ("removed", 2, None, "[-A paragraph that goes.-]"),
    ]


# --------------------------------------------------------------------------- two editions

def _edition(project: Path, version: str, date: str, changes: str = "") -> Path:
    report = project / "report.yaml"
    report.write_text(re.sub(r"edition:\n  version: .*\n  date: .*\n(  changes:\n(    .*\n)*)?",
                             f'edition:\n  version: "{version}"\n  date: {date}\n{changes}',
                             report.read_text(encoding="utf-8")), encoding="utf-8")
    assert main(["publish", str(project)]) == 0
    [pdf] = (project / "editions").glob(f"*/{version}/*.pdf")
    return pdf


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> tuple[Path, Path]:
    """A starter report published as 1.0, then as 1.1 with a word and a year of its
    prose changed, a number's value changed and a changelog entry: (1.0's PDF, 1.1's
    PDF)."""
    folder = tmp_path_factory.mktemp("diff")
    project = folder / "report"
    assert main(["new", str(project)]) == 0
    old = _edition(project, "1.0", "2026-05-01")
    chapter = project / "chapters/01-introduction/chapter.md"
    text = chapter.read_text(encoding="utf-8")
    for before, after in [("rated the service", "rated the whole service"),
                          ("people_reached: {value: 12480", "people_reached: {value: 12680"),
                          ("annual report for 2025.", "annual report for 2026.")]:
        assert before in text
        text = text.replace(before, after)
    chapter.write_text(text, encoding="utf-8")
    new = _edition(project, "1.1", "2026-06-15",
                   '  changes:\n    - version: "1.1"\n      date: 2026-06-15\n'
                   "      text: The year in the introduction is corrected.\n")
    return old, new


def test_diff_marks_the_changed_words_and_names_the_new_edition(editions, cli):
    old, new = editions
    result = cli("diff", str(old), str(new))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == ["edition 1.0 (2026-05-01) → 1.1 (2026-06-15)",
                         "changelog entries added: 1",
                         "  1.1 (2026-06-15): The year in the introduction is corrected."]
    assert "numbers changed: 1\n  people_reached (Introduction): 12,480 → 12,680\n" \
        in result.stdout
    text = result.stdout.split("chapters with changed text: ")[1]
    assert text.startswith("1\n  Introduction:\n"), text
    changed = text.split("pages that look different")[0].splitlines()[2:]
    assert len(changed) == 2, changed
    assert changed[0].startswith("    This is the annual report for [-2025-]{+2026+}. ")
    assert changed[1].endswith(" Readers rated the {+whole+} service {{ satisfaction }} "
                               "on average.")
    assert sum(line.count("[-") + line.count("{+") for line in changed) == 3
    assert "\x1b" not in result.stdout


def test_diff_as_json_gives_each_change_and_both_texts(editions, cli):
    old, new = editions
    result = cli("diff", str(old), str(new), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["edition"] == {"old": {"version": "1.0", "date": "2026-05-01"},
                               "new": {"version": "1.1", "date": "2026-06-15"}}
    assert data["changelog"]["added"] == [{"version": "1.1", "date": "2026-06-15",
                                           "text": "The year in the introduction is "
                                                   "corrected."}]
    changes = [(entry["chapter"], entry["kind"],
                [(c["op"], c["old"].strip(), c["new"].strip())
                 for c in entry["changes"] if c["op"] != "equal"])
               for entry in data["text"]]
    assert changes == [("Introduction", "changed", [("replace", "2025", "2026")]),
                       ("Introduction", "changed", [("insert", "", "whole")])]
    first = data["text"][0]["changes"]
    assert "".join(c["old"] for c in first).startswith("This is the annual report for 2025.")
    assert "".join(c["new"] for c in first).startswith("This is the annual report for 2026.")


def test_diff_on_a_terminal_strikes_out_and_underlines(editions):
    old, new = editions
    for colour in (True, False):
        leader, follower = pty.openpty()
        environment = {**os.environ, "TERM": "xterm"}
        environment.pop("NO_COLOR", None)
        if not colour:
            environment["NO_COLOR"] = "1"
        process = subprocess.Popen([sys.executable, "-m", "almanac", "diff", str(old),
                                    str(new)], stdout=follower, stderr=subprocess.PIPE,
                                   env=environment)
        os.close(follower)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed (Linux: EIO)
                break
            if not chunk:
                break
            output += chunk
        os.close(leader)
        assert process.wait(timeout=300) == 0, process.stderr.read() if process.stderr else ""
        shown = output.decode("utf-8")
        if colour:
            assert "for \x1b[9;31m2025\x1b[0m\x1b[4;32m2026\x1b[0m." in shown, shown
            assert "the \x1b[4;32mwhole\x1b[0m service" in shown
            assert "[-" not in shown and "{+" not in shown
        else:
            assert "for [-2025-]{+2026+}." in shown and "\x1b" not in shown


def test_diff_backwards_names_the_changelog_entry_removed(editions):
    old, new = editions
    result = almanac("diff", str(new), str(old))  # backwards: the entry is removed
    assert result.returncode == 0, result.stderr
    assert "edition 1.1 (2026-06-15) → 1.0 (2026-05-01)" in result.stdout
    assert "changelog entries removed: 1\n  1.1 (2026-06-15): The year in the " \
           "introduction is corrected." in result.stdout
    assert "the [-whole-] service" in result.stdout


def test_diff_names_a_corrected_changelog_entry_and_new_titles(editions, cli):
    _, middle = editions
    project = middle.parents[3]
    report = project / "report.yaml"
    report.write_text(report.read_text(encoding="utf-8").replace(
        'title: "Annual report 2025"', 'title: "Yearly report 2025"'), encoding="utf-8")
    chapter = project / "chapters/03-outlook/chapter.md"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace(
        "\n# Outlook\n", "\n# Prospects\n"), encoding="utf-8")
    latest = _edition(project, "1.2", "2026-07-01",
                      '  changes:\n    - version: "1.2"\n      date: 2026-07-01\n'
                      "      text: The title is corrected.\n"
                      '    - version: "1.1"\n      date: 2026-06-15\n'
                      "      text: The year in the introduction is now corrected.\n")
    result = cli("diff", str(middle), str(latest))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "edition 1.1 (2026-06-15) → 1.2 (2026-07-01)\n"
        "title: [-Annual-]{+Yearly+} report 2025\n"
        "changelog entries added: 1\n"
        "  1.2 (2026-07-01): The title is corrected.\n"
        "changelog entries changed: 1\n"
        "  1.1 (2026-06-15): The year in the introduction is {+now+} corrected.\n"
        "numbers changed: 0\n"
        "chapters with changed text: 1\n"
        "  Prospects:\n"
        "    # [-Outlook-]{+Prospects+}\n"
        "pages that look different: "), result.stdout
