"""``check`` lists which numbers and series each chapter uses, and warns about the
ones defined but used nowhere: a warning naming the file and line of the definition
and the fix (exit 0), an error with ``--strict`` (exit 1). A build is not held up
by them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import INZET, OVERVALLEN, RESULTATEN, VOORWOORD, edit

SPARE_NUMBER = "  spare_hours:\n    value: 1200\n    unit: count\n    label: spare hours\n"
SPARE_SERIES = "  spare_rows:\n    file: data/overvallen.csv\n"


def add_spares(project: Path) -> tuple[int, int]:
    """A number in INZET and a series in RESULTATEN that nothing uses; the lines of
    their keys."""
    number = edit(project, INZET, "numbers:\n", "numbers:\n" + SPARE_NUMBER) + 1
    series = edit(project, RESULTATEN, "series:\n", "series:\n" + SPARE_SERIES) + 1
    return number, series


def chapters(project: Path) -> dict[str, dict]:
    """Chapter slug → its chapter file as plain data, in the report's order: a
    chapter.yaml as YAML; a chapter.md as its front matter, with its Markdown body as
    one text under ``body`` (its references found by :func:`keys_named`)."""
    manifest = yaml.safe_load((project / "report.yaml").read_text(encoding="utf-8"))
    found = {}
    for slug in manifest["chapters"]:
        text = chapter_path(project, slug).read_text(encoding="utf-8")
        if chapter_path(project, slug).suffix == ".md":
            _, front, body = text.split("---\n", 2)
            found[slug] = {**yaml.safe_load(front), "body": body}
        else:
            found[slug] = yaml.safe_load(text)
    return found


def chapter_path(project: Path, slug: str) -> Path:
    """The chapter's file: chapter.md or chapter.yaml."""
    folder = project / "chapters" / slug
    return folder / "chapter.md" if (folder / "chapter.md").exists() else \
        folder / "chapter.yaml"


def keys_named(node, found: set[str] | None = None) -> set[str]:
    """Every number key a part of a chapter names: ``{{ key }}`` in a text, the value
    of ``number:``, ``norm:`` or ``realised:``, an item of a ``numbers:`` list."""
    found = set() if found is None else found
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "body":  # a Markdown chapter's directives name keys as text
                found.update(re.findall(r"(?:\bnumber:|\bnorm:|\brealised:|\{norm\})\s*"
                                        r"([a-z][a-z0-9_]*)", value))
                for listed in re.findall(r"\bnumbers:\s*\[([^\]]*)\]", value):
                    found.update(key.strip() for key in listed.split(","))
                keys_named(value, found)
            elif name in ("number", "norm", "realised") and isinstance(value, str):
                found.add(value)
            elif name == "numbers" and isinstance(value, list):
                found.update(value)
            else:
                keys_named(value, found)
    elif isinstance(node, list):
        for value in node:
            keys_named(value, found)
    elif isinstance(node, str):
        found.update(re.findall(r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}", node))
    return found


def test_a_number_and_a_series_defined_but_unused_are_warned_about(project, cli):
    number_line, series_line = add_spares(project)
    ran = cli("check", str(project))
    assert ran.returncode == 0, ran.stderr
    assert (f"{INZET}:{number_line}: numbers.spare_hours: number 'spare_hours' is defined "
            "but not used") in ran.stderr, ran.stderr
    assert "fix: use it as {{ spare_hours }} in prose" in ran.stderr
    assert (f"{RESULTATEN}:{series_line}: series.spare_rows: series 'spare_rows' "
            f"({OVERVALLEN}) is declared but not used") in ran.stderr, ran.stderr
    assert ran.stdout.splitlines()[-1].endswith("; 2 defined but unused"), ran.stdout

    strict = cli("check", "--strict", str(project))
    assert strict.returncode == 1
    assert strict.stderr.count(f"{INZET}:{number_line}: numbers.spare_hours:") == 2  # and why
    assert "almanac: 2 problems" in strict.stderr
    assert strict.stdout == ""


def test_check_lists_where_each_number_and_series_is_used(project, cli):
    # a number of one chapter used in another one: numbers are the report's
    edit(project, VOORWOORD, "text: |\n", "text: |\n          Verzuim: {{ verzuim }}.\n")
    ran = cli("check", "--json", str(project))
    assert ran.returncode == 0, ran.stderr
    listing = json.loads(ran.stdout)

    data = chapters(project)
    home = {key: slug for slug, chapter in data.items() for key in chapter.get("numbers", {})}
    expected = {slug: keys_named({name: value for name, value in chapter.items()
                                  if name not in ("numbers", "series")}) & set(home)
                for slug, chapter in data.items()}
    listed = {chapter["chapter"]: {n["key"] for n in chapter["numbers"]}
              for chapter in listing["chapters"]}
    assert listed == expected
    assert [chapter["chapter"] for chapter in listing["chapters"]] == list(data)
    assert listing["numbers"] == len(home) and listing["unused"] == []

    for chapter in listing["chapters"]:
        text = chapter_path(project, chapter["chapter"]).read_text(
            encoding="utf-8").splitlines()
        for number in chapter["numbers"]:
            assert number["defined_in"] == home[number["key"]]
            defining = (project / number["file"]).read_text(encoding="utf-8").splitlines()
            assert defining[number["line"] - 1].strip() == f"{number['key']}:"
            for use in number["used_in"]:  # the line of the use names the key
                assert number["key"] in text[use["line"] - 1], (chapter["chapter"], use)
        for series in chapter["series"]:
            assert series["key"] in data[chapter["chapter"]]["series"]
            for use in series["used_in"]:
                assert use["what"] in ("figure", "table")
                assert re.search(rf"(series:\s*|\{{table\}}\s+){series['key']}\b",
                                 text[use["line"] - 1])

    uses = cli("check", "--uses", str(project))
    assert uses.returncode == 0, uses.stderr
    foreword = uses.stdout.split("\n\n")[0]  # the first chapter's table
    assert foreword.splitlines()[0].endswith(f"({VOORWOORD.rsplit('/', 1)[0]})")
    verzuim = next(n for n in listing["chapters"][0]["numbers"] if n["key"] == "verzuim")
    row = next(line for line in foreword.splitlines() if line.split()[0] == "verzuim")
    assert verzuim["text"] in row
    assert f"{home['verzuim']}:{verzuim['line']}" in row
    assert f"prose {verzuim['used_in'][0]['line']}" in row


@pytest.mark.slow
def test_a_build_is_not_held_up_by_an_unused_number(small_warm, cli):
    edit(small_warm, INZET, "numbers:\n", "numbers:\n" + SPARE_NUMBER)
    ran = cli("build", "--strict", "-q", str(small_warm), "-o", str(small_warm / "r.pdf"))
    assert ran.returncode == 0, ran.stderr
    assert (small_warm / "r.pdf").is_file() and "spare_hours" not in ran.stderr
