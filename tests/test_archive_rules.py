"""The archive that guards itself: where editions live (``archive.folder``, kept
under version control), the rules of a new version (higher, not dated earlier, a
changelog entry), the changelog's plain-string entry, and ``almanac editions``
showing each edition's changelog and the current one. On the small starter report
of ``almanac new``, published once and copied for each test."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import almanac, snapshot

YEAR = "2024"


def _edition(project: Path, block: str) -> None:
    """Replace the ``edition:`` block of ``report.yaml`` with ``block`` (YAML lines)."""
    manifest = project / "report.yaml"
    text = manifest.read_text(encoding="utf-8")
    text, count = re.subn(r"(?m)^edition:\n(  .*\n)+", "edition:\n" + block, text)
    assert count == 1
    manifest.write_text(text, encoding="utf-8")


def _line(project: Path, pattern: str) -> int:
    lines = (project / "report.yaml").read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if re.search(pattern, line))


def _change_a_source(project: Path) -> None:
    chapter = next((project / "chapters").glob("01-*/chapter.md"))
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more sentence.\n",
                       encoding="utf-8")


@pytest.fixture(scope="module")
def first(tmp_path_factory) -> Path:
    """A starter report with edition 0.1 published (dated 2025-03-01); read-only."""
    project = tmp_path_factory.mktemp("first") / "report"
    made = almanac("new", str(project), "--year", YEAR, "--language", "en-US")
    assert made.returncode == 0, made.stderr
    return _published(project, '  version: "0.1"\n  date: 2025-03-01\n')


def _published(project: Path, edition: str) -> Path:
    """``project`` with its edition set to ``edition`` (YAML) and published."""
    _edition(project, edition)
    published = almanac("publish", str(project))
    assert published.returncode == 0, published.stderr
    return project


def _private(project: Path, tmp_path: Path) -> Path:
    """A private copy of a published project (its archive and chart cache included)."""
    return Path(shutil.copytree(project, tmp_path / "report", symlinks=True))


@pytest.fixture
def project(first, tmp_path) -> Path:
    """A private copy of :func:`first`."""
    return _private(first, tmp_path)


def test_the_archive_is_kept_by_git_and_a_fresh_clone_lists_it(project, tmp_path, cli):
    pdf = project / "editions" / YEAR / "0.1" / f"annual-report-{YEAR}-0.1.pdf"
    assert pdf.is_file()
    git = ["git", "-c", "user.name=A", "-c", "user.email=a@example.org"]
    subprocess.run([*git, "init", "-q", str(project)], check=True)
    subprocess.run([*git, "-C", str(project), "add", "-A"], check=True)
    ignored = subprocess.run(["git", "-C", str(project), "check-ignore", "-q",
                              str(pdf.relative_to(project))])
    assert ignored.returncode == 1  # not ignored by the starter's .gitignore
    subprocess.run([*git, "-C", str(project), "commit", "-q", "-m", "0.1"], check=True)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(project), str(clone)], check=True)
    listed = cli("editions", str(clone), "--json")
    assert listed.returncode == 0, listed.stderr
    [edition] = json.loads(listed.stdout)
    assert (edition["version"], edition["status"], edition["current"]) == \
        ("0.1", "verified", True)
    assert edition["path"] == f"editions/{YEAR}/0.1/annual-report-{YEAR}-0.1.pdf"
    assert (clone / edition["path"]).read_bytes() == pdf.read_bytes()


def test_a_folder_set_in_report_yaml_holds_the_editions(project, cli):
    with (project / "report.yaml").open("a", encoding="utf-8") as manifest:
        manifest.write("\narchive:\n  folder: records/published\n")
    _edition(project, '  version: "0.2"\n  date: 2025-04-01\n  changes: Corrected a typo.\n')
    published = cli("publish", str(project))
    assert published.returncode == 0, published.stderr
    pdf = Path(published.stdout.strip())
    assert pdf == project / "records" / "published" / YEAR / "0.2" / pdf.name
    rows = {row["version"]: row for row in json.loads(cli("editions", str(project),
                                                          "--json").stdout)}
    assert rows["0.2"]["path"] == f"records/published/{YEAR}/0.2/{pdf.name}"
    assert rows["0.2"]["current"] and not rows["0.1"]["current"]
    assert rows["0.1"]["legacy"] and rows["0.1"]["path"].startswith(f"editions/{YEAR}/0.1/")
    before = snapshot(project / "records", mtimes=True)
    refused = cli("build", str(project), "-o", str(pdf))
    assert refused.returncode == 2
    assert f"lies in the published edition {pdf.parent}, which is never rewritten" \
        in refused.stderr
    assert snapshot(project / "records", mtimes=True) == before


def test_a_version_archived_before_the_folder_was_set_is_found_there(project, cli):
    """0.1 lies in ``editions/``; with ``archive.folder`` set later (report.yaml, an
    input, changed), publishing 0.1 again is refused as already published there from
    other inputs, naming the next version, and nothing is written."""
    with (project / "report.yaml").open("a", encoding="utf-8") as manifest:
        manifest.write("\narchive:\n  folder: records\n")
    before = snapshot(project / "editions", mtimes=True)
    refused = cli("publish", str(project))
    assert refused.returncode == 1
    assert f"edition 0.1 is already published (editions/{YEAR}/0.1) from other inputs; " \
        "changed: report.yaml" in refused.stderr
    assert "bump edition.version (e.g. 0.1 → 0.2)" in refused.stderr
    assert snapshot(project / "editions", mtimes=True) == before
    assert not (project / "records").exists()


@pytest.mark.parametrize("folder, says", [
    ("chapters/editions", "lies in chapters, an input of the report"),
    ("../elsewhere", "has an empty, '.' or '..' part"),
    ("/srv/editions", "is not a path relative to the project folder"),
    (".almanac-cache/editions", "names a hidden folder"),
    ("output", "lies in output, where builds go (git ignores it"),
    ("output/editions", "lies in output, where builds go"),
    ("README.md", "the archive folder README.md exists and is not a folder"),
])
def test_an_archive_folder_outside_or_among_the_inputs_is_refused(project, cli, folder, says):
    with (project / "report.yaml").open("a", encoding="utf-8") as manifest:
        manifest.write(f"\narchive:\n  folder: {folder}\n")
    checked = cli("check", str(project))
    assert checked.returncode == 1
    line = _line(project, r"^  folder:")
    assert f"report.yaml:{line}: archive.folder: {says}" in checked.stderr, checked.stderr


def test_a_new_version_without_a_changelog_entry_is_refused(project, cli):
    _change_a_source(project)
    _edition(project, '  version: "0.2"\n  date: 2025-04-01\n')
    refused = cli("publish", str(project))
    assert refused.returncode == 1
    assert f"report.yaml:{_line(project, '^edition:')}: edition.changes: edition 0.2 has no " \
        "changelog entry, and the archive holds the earlier edition 0.1 " \
        f"(editions/{YEAR}/0.1)" in refused.stderr, refused.stderr
    assert 'fix: add its entry under edition:, e.g. changes: "What changed' in refused.stderr
    assert "nothing was written" in refused.stderr
    assert sorted(p.name for p in (project / "editions" / YEAR).iterdir()) == ["0.1"]


def test_a_new_version_dated_before_the_archived_one_is_refused(project, cli):
    _change_a_source(project)
    _edition(project, '  version: "0.2"\n  date: 2025-02-01\n  changes: Corrected a typo.\n')
    refused = cli("publish", str(project))
    assert refused.returncode == 1
    assert f"report.yaml:{_line(project, '^  date:')}: edition.date: edition 0.2 is dated " \
        "2025-02-01, before the archived edition 0.1 (2025-03-01" in refused.stderr, \
        refused.stderr
    assert "fix: set edition.date to the day of publication, on or after 2025-03-01" \
        in refused.stderr
    assert sorted(p.name for p in (project / "editions" / YEAR).iterdir()) == ["0.1"]


@pytest.mark.parametrize("version, says", [("0.0.9", "not above"), ("0.1.0", "the same as")])
def test_a_version_not_above_the_archived_one_is_refused(project, cli, version, says):
    _change_a_source(project)
    _edition(project, f'  version: "{version}"\n  date: 2025-04-01\n  changes: Corrected.\n')
    refused = cli("publish", str(project))
    assert refused.returncode == 1
    assert f"report.yaml:{_line(project, '^  version:')}: edition.version: version " \
        f"{version} is {says} the archived edition 0.1" in refused.stderr, refused.stderr
    assert "fix: raise edition.version above 0.1, e.g. 0.2" in refused.stderr
    assert sorted(p.name for p in (project / "editions" / YEAR).iterdir()) == ["0.1"]


def test_a_plain_string_entry_is_printed_and_listed_with_the_current_edition(project, cli):
    _change_a_source(project)
    _edition(project, '  version: "0.2"\n  date: 2025-04-01\n'
             '  changes:\n    - Corrected the visitors in table 3.\n')
    published = cli("publish", str(project))
    assert published.returncode == 0, published.stderr
    reader = PdfReader(published.stdout.strip())
    colophon = reader.pages[-1].extract_text()
    assert "Corrected the visitors in table 3." in colophon, colophon
    # the archive is no source: edition 0.1 is not embedded in 0.2
    assert reader.attachments and not [name for name in reader.attachments
                                       if name.startswith(("editions", "output"))]
    listed = cli("editions", str(project))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    row = next(index for index, line in enumerate(lines) if line.startswith("0.2 "))
    assert lines[row].endswith("verified  current")
    assert lines[row + 1].strip() == "2025-04-01: Corrected the visitors in table 3."
    assert not next(line for line in lines if line.startswith("0.1 ")).endswith("current")
    rows = {row["version"]: row for row in json.loads(cli("editions", str(project),
                                                          "--json").stdout)}
    assert rows["0.2"]["changes"] == [{"version": "0.2", "date": "2025-04-01",
                                       "text": "Corrected the visitors in table 3."}]
    assert (rows["0.1"]["current"], rows["0.2"]["current"]) == (False, True)


@pytest.mark.parametrize("changes, pattern, says", [
    ('\n    - One.\n    - Two.', r"^  changes:",
     "edition.changes: has 2 entries written as plain text (entries 1 and 2)"),
    ('\n    - version: "0.1"\n      date: 2025-03-01\n      text: First.\n'
     '    - version: "0.2"\n      date: 2025-03-15\n      text: Second.', r'^    - version: "0.2"',
     "the changelog entry for 0.2 comes after the one for 0.1: entries go newest first"),
    ('\n    - version: "0.4"\n      date: 2025-03-15\n      text: Later.', r'^    - version:',
     "the changelog has an entry for version 0.4, above this edition's version 0.3"),
    ('\n    - version: "0.2"\n      date: 2025-03-01\n      text: Second.\n'
     '    - version: "0.1"\n      date: 2025-03-20\n      text: First.', r"date: 2025-03-01",
     "the changelog's dates go backwards: 0.2 is dated 2025-03-01, before 0.1"),
])
def test_a_changelog_out_of_order_is_refused_at_its_line(project, cli, changes, pattern, says):
    _edition(project, f'  version: "0.3"\n  date: 2025-04-01\n  changes:{changes}\n')
    checked = cli("check", str(project))
    assert checked.returncode == 1
    assert f"report.yaml:{_line(project, pattern)}: " in checked.stderr, checked.stderr
    assert says in checked.stderr, checked.stderr


def test_editions_left_in_output_are_listed_counted_and_found_again(project, cli):
    """An edition published before the archive existed, in output/<year>/<version>/."""
    (project / "output" / YEAR).mkdir(parents=True)
    (project / "editions" / YEAR / "0.1").rename(project / "output" / YEAR / "0.1")
    listed = cli("editions", str(project))
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"(?m)^0\.1 .*verified  current$", listed.stdout), listed.stdout
    assert "1 of these editions lies outside the archive, editions/ (output/ is where " \
        "builds go, and git ignores it); move it into the archive and commit it: " \
        f"mkdir -p editions/{YEAR} && mv output/{YEAR}/* editions/{YEAR}/; git add editions" \
        in listed.stdout, listed.stdout
    [row] = json.loads(cli("editions", str(project), "--json").stdout)
    assert row["legacy"] and row["path"].startswith(f"output/{YEAR}/0.1/")
    again = cli("publish", str(project))  # the same version, the same inputs
    assert again.returncode == 0 and "already published with these inputs" in again.stderr
    assert not (project / "editions" / YEAR).exists() or \
        not list((project / "editions" / YEAR).iterdir())
    _change_a_source(project)
    _edition(project, '  version: "0.2"\n  date: 2025-04-01\n')
    refused = cli("publish", str(project))
    assert refused.returncode == 1
    assert f"the archive holds the earlier edition 0.1 (output/{YEAR}/0.1)" in refused.stderr


def test_a_plain_entry_given_by_language_is_printed_in_each_language(tmp_path, cli):
    from test_languages import bilingual

    project = bilingual(tmp_path / "project")
    manifest = project / "report.yaml"
    text, count = re.subn(r"(?m)^(  date: .*)$", r'\1\n  changes: {nl: "Tabel 3 verbeterd.", '
                          r'en: "Table 3 corrected."}', manifest.read_text(encoding="utf-8"),
                          count=1)
    assert count == 1
    manifest.write_text(text, encoding="utf-8")
    built = cli("build", str(project))
    assert built.returncode == 0, built.stderr
    dutch, english = (PdfReader(path).pages[-1].extract_text()
                      for path in built.stdout.split())
    assert "Tabel 3 verbeterd." in dutch and "Table 3" not in dutch, dutch
    assert "Table 3 corrected." in english and "Tabel 3" not in english, english


def test_a_changelog_naming_versions_the_archive_lacks_is_said(tmp_path, cli):
    """A fresh copy of the sources alone (the archive left behind): publishing 0.3 says
    that 0.1 and 0.2 of its changelog are not in the archive, and publishes."""
    project = tmp_path / "report"
    assert cli("new", str(project), "--year", YEAR, "--language", "en-US").returncode == 0
    _edition(project, '  version: "0.3"\n  date: 2025-05-01\n  changes:\n    - Third.\n'
             '    - version: "0.2"\n      date: 2025-04-01\n      text: Second.\n'
             '    - version: "0.1"\n      date: 2025-03-01\n      text: First.\n')
    published = cli("publish", str(project))
    assert published.returncode == 0, published.stderr
    assert f"report.yaml:{_line(project, '^  changes:')}: edition.changes: the changelog " \
        f"names the earlier versions 0.2, 0.1, which the archive (editions/{YEAR}/) does " \
        "not hold" in published.stderr, published.stderr
    assert f"fix: restore those editions into editions/{YEAR}/" in published.stderr


@pytest.mark.parametrize("version, says", [
    ("1.\u0667", 'fix: write a version as numbers in the digits 0-9 with dots, e.g. "1.4"'),
    ("01.4", "has a number with a leading zero: versions compare as numbers (PEP 440), "
     "so 01.4 is 1.4"),
    ("1.04.0", "so 1.04.0 is 1.4.0"),
])
def test_a_version_not_in_plain_ascii_numbers_is_refused_at_its_line(project, cli, version,
                                                                       says):
    """Arabic-Indic digits match ``\\d`` but are no PEP 440 version; a leading zero is
    normalised away by PEP 440 (01.4 is 1.4: one version, two folders)."""
    _edition(project, f'  version: "{version}"\n  date: 2025-04-01\n  changes:\n'
             f'    - Corrected.\n    - version: "0.\u0661"\n      date: 2025-03-01\n'
             '      text: First.\n')
    for command in ("check", "publish"):
        refused = cli(command, str(project))
        assert refused.returncode == 1, refused.stderr
        assert "Traceback" not in refused.stderr and "InvalidVersion" not in refused.stderr
        assert f"report.yaml:{_line(project, '^  version:')}: edition.version: " \
            in refused.stderr, refused.stderr
        assert says in refused.stderr, refused.stderr
        assert f"report.yaml:{_line(project, '^    - version:')}: edition.changes[1].version: " \
            in refused.stderr, refused.stderr
    assert sorted(p.name for p in (project / "editions" / YEAR).iterdir()) == ["0.1"]


def test_a_version_published_from_other_inputs_names_its_line_and_the_next_version(
        project, cli):
    """The starter's report.yaml has ``version:`` in a comment above the edition: the
    refusal names the line of edition.version, and the version after the real one."""
    assert _line(project, r"^#.*version:") < _line(project, r"^  version:")
    _change_a_source(project)
    refused = cli("publish", str(project))
    assert refused.returncode == 1
    assert f"report.yaml:{_line(project, '^  version:')}: edition.version: edition 0.1 is " \
        f"already published (editions/{YEAR}/0.1) from other inputs" in refused.stderr, \
        refused.stderr
    assert "fix: bump edition.version (e.g. 0.1 → 0.2), add a changelog entry" \
        in refused.stderr, refused.stderr


def test_a_damaged_edition_is_listed_by_its_folder_and_is_never_current(project, cli):
    """A manifest.json retitled to 9.9 does not make its edition the current one: the
    folder's version orders the list, and the highest verified edition is current; a
    missing PDF is said so."""
    _change_a_source(project)
    _edition(project, '  version: "0.2"\n  date: 2025-04-01\n  changes: Corrected.\n')
    assert cli("publish", str(project)).returncode == 0
    manifest = project / "editions" / YEAR / "0.1" / "manifest.json"
    record = json.loads(manifest.read_text(encoding="utf-8"))
    record["edition"]["version"] = "9.9"
    manifest.write_text(json.dumps(record), encoding="utf-8")
    listed = cli("editions", str(project))
    assert listed.returncode == 1
    rows = [line for line in listed.stdout.splitlines() if re.match(r"\d", line)]
    assert rows[0].startswith("0.1 ") and "FAILED (manifest.json names version '9.9'" \
        in rows[0] and not rows[0].endswith("current"), listed.stdout
    assert re.match(r"0\.2 .* verified +current$", rows[1]), listed.stdout
    data = json.loads(cli("editions", str(project), "--json").stdout)
    assert [(e["version"], e["current"]) for e in data] == [("0.1", False), ("0.2", True)]
    pdf = project / data[1]["path"]
    pdf.unlink()
    data = json.loads(cli("editions", str(project), "--json").stdout)
    assert data[1]["status"] == f"FAILED (its PDF {pdf.name} is missing)"
    assert not any(e["current"] for e in data)


def _pasted(stderr: str, version: str) -> str:
    """The YAML list item a refusal's fix gives for ``version``'s entry."""
    found = re.search(r'(- \{version: "' + re.escape(version) + r'", .*\})$', stderr, re.M)
    assert found, stderr
    return found.group(1)


def test_an_unchanged_plain_entry_is_not_taken_for_the_next_version(project, cli):
    """0.2's plain-string entry left as it was when the version is raised to 0.2.1 is
    refused at its line, with 0.2's entry to keep as YAML; pasted, 0.2.1 publishes and
    its changelog has both."""
    _change_a_source(project)
    _edition(project, '  version: "0.2"\n  date: 2025-04-01\n'
             '  changes: "Corrected table 3: \\"visitors\\"."\n')
    assert cli("publish", str(project)).returncode == 0
    _change_a_source(project)
    _edition(project, '  version: "0.2.1"\n  date: 2025-04-02\n'
             '  changes: "Corrected table 3: \\"visitors\\"."\n')
    refused = cli("publish", str(project))
    assert refused.returncode == 1
    assert f"report.yaml:{_line(project, '^  changes:')}: edition.changes[0]: the changelog " \
        "entry of 0.2.1 is the text of 0.2's (editions/2024/0.2)" in refused.stderr, \
        refused.stderr
    assert "fix: write what 0.2.1 corrects, and keep 0.2's entry as a list item below it: " \
        in refused.stderr
    paste = _pasted(refused.stderr, "0.2")
    assert sorted(p.name for p in (project / "editions" / YEAR).iterdir()) == ["0.1", "0.2"]
    _edition(project, '  version: "0.2.1"\n  date: 2025-04-02\n  changes:\n'
             f'    - Corrected the date on page 2.\n    {paste}\n')
    published = cli("publish", str(project))
    assert published.returncode == 0, published.stderr
    rows = {row["version"]: row for row in json.loads(cli("editions", str(project),
                                                          "--json").stdout)}
    assert rows["0.2.1"]["changes"] == [
        {"version": "0.2.1", "date": "2025-04-02", "text": "Corrected the date on page 2."},
        {"version": "0.2", "date": "2025-04-01", "text": 'Corrected table 3: "visitors".'}]


def test_an_archived_editions_entry_left_out_of_the_changelog_is_refused(project, cli):
    """History is never dropped: 0.3 without 0.2's entry is refused with the entry to
    paste back; put back with its text corrected, 0.3 publishes."""
    _change_a_source(project)
    _edition(project, '  version: "0.2"\n  date: 2025-04-01\n  changes: Corrected table 3.\n')
    assert cli("publish", str(project)).returncode == 0
    _change_a_source(project)
    _edition(project, '  version: "0.3"\n  date: 2025-05-01\n  changes: Corrected page 2.\n')
    refused = cli("publish", str(project))
    assert refused.returncode == 1
    assert f"report.yaml:{_line(project, '^  changes:')}: edition.changes: the changelog has " \
        f"no entry for 0.2, which the archived edition editions/{YEAR}/0.2 gave one" \
        in refused.stderr, refused.stderr
    assert _pasted(refused.stderr, "0.2") == \
        '- {version: "0.2", date: 2025-04-01, text: "Corrected table 3."}'
    assert sorted(p.name for p in (project / "editions" / YEAR).iterdir()) == ["0.1", "0.2"]
    _edition(project, '  version: "0.3"\n  date: 2025-05-01\n  changes:\n'
             '    - Corrected page 2.\n    - {version: "0.2", date: 2025-04-01, '
             'text: "Corrected table 3 (visitors)."}\n')
    published = cli("publish", str(project))
    assert published.returncode == 0, published.stderr


ARCHIVED_ENTRY = '{nl: "Budget verbeterd.", en: "Corrected the budget."}'


@pytest.fixture(scope="module")
def two_languages(tmp_path_factory) -> Path:
    """The small report in Dutch and British English (``en:`` texts serve ``en-GB``),
    edition 1.1 of 2024 published with its changelog entry written as a plain text by
    language; read-only."""
    from test_languages import bilingual

    project = bilingual(tmp_path_factory.mktemp("two") / "report")
    manifest = project / "report.yaml"
    text = manifest.read_text(encoding="utf-8").replace("languages: [nl, en]",
                                                        "languages: [nl, en-GB]")
    manifest.write_text(text, encoding="utf-8")
    return _published(project, f'  version: "1.1"\n  date: 2025-04-01\n  changes:\n'
                      f'    - {ARCHIVED_ENTRY}\n')


@pytest.fixture
def bilingual_copy(two_languages, tmp_path) -> Path:
    """A private copy of :func:`two_languages`."""
    return _private(two_languages, tmp_path)


@pytest.mark.parametrize("changes, says", [
    ('    - {nl: "Tabel 3 verbeterd.", en: "Corrected table 3."}\n',
     "the changelog has no entry for 1.1"),
    (f"    - {ARCHIVED_ENTRY}\n", "the changelog entry of 1.2 is the text of 1.1's (in nl)"),
    ('    - {nl: "Tabel 3 verbeterd.", en: "Corrected  the budget."}\n'
     f'    - {{version: "1.1", date: 2025-04-01, text: {ARCHIVED_ENTRY}}}\n',
     "the changelog entry of 1.2 is the text of 1.1's (in en-GB)"),
    ('    - version: "1.2"\n      date: 2025-05-01\n      text: Budget verbeterd.\n'
     f'    - {{version: "1.1", date: 2025-04-01, text: {ARCHIVED_ENTRY}}}\n',
     "the changelog entry of 1.2 is the text of 1.1's (in nl)"),
    ('    - Tabel 3 verbeterd.\n'
     '    - {version: "1.1", date: 2025-04-01, text: {nl: Budget., en: Budget fixed.}}\n',
     None),
], ids=["entry-dropped", "repeated-plain-by-language", "repeated-in-one-language",
        "repeated-entry-plain-text", "corrected-text-kept"])
def test_history_written_by_language_is_kept(bilingual_copy, cli, changes, says):
    """Whatever form the entries take (a plain text, a plain text by language, an entry
    whose text is plain or by language), an archived edition's own entry stays and the
    new version's entry repeats no archived one's text in any language; a corrected
    text for 1.1 is accepted."""
    project = bilingual_copy
    _edition(project, f'  version: "1.2"\n  date: 2025-05-01\n  changes:\n{changes}')
    before = snapshot(project / "editions")
    result = cli("publish", str(project))
    if says is None:
        assert result.returncode == 0, result.stderr
        listed = cli("editions", str(project), "--json")
        assert listed.returncode == 0, listed.stderr
        english = next(e for e in json.loads(listed.stdout)
                       if (e["version"], e["language"]) == ("1.2", "en-GB"))
        assert [c["text"] for c in english["changes"]] == ["Tabel 3 verbeterd.",
                                                           "Budget fixed."]
        return
    assert result.returncode == 1, result.stderr
    assert says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(project / "editions") == before


def test_editions_shows_each_language_its_own_changelog_text(two_languages, cli):
    """An entry written as a plain text by language is the edition's own entry, and
    the en-GB edition shows the ``en:`` text (RFC 4647 Lookup: en-GB, then en), in
    ``--json`` and below its row."""
    listed = cli("editions", str(two_languages), "--json")
    assert listed.returncode == 0, listed.stderr
    changes = {e["language"]: e["changes"] for e in json.loads(listed.stdout)}
    assert changes == {
        "nl": [{"version": "1.1", "date": "2025-04-01", "text": "Budget verbeterd."}],
        "en-GB": [{"version": "1.1", "date": "2025-04-01", "text": "Corrected the budget."}]}
    shown = cli("editions", str(two_languages))
    assert shown.returncode == 0, shown.stderr
    rows = shown.stdout.splitlines()
    english = next(i for i, row in enumerate(rows) if row.startswith("1.1") and "en-GB" in row)
    assert rows[english + 1].split() == ["2025-04-01:", "Corrected", "the", "budget."], rows


def test_an_edition_moved_to_another_year_is_failed_and_counts_for_its_own(bilingual_copy,
                                                                           cli):
    """Edition 1.1 of 2024 moved into 2025/: ``editions`` lists it as FAILED (its
    embedded report.yaml says 2024), and publishing 1.0.5 of 2024 is still refused as
    below it."""
    project = bilingual_copy
    (project / "editions" / "2025").mkdir()
    (project / "editions" / YEAR / "1.1").rename(project / "editions" / "2025" / "1.1")
    listed = cli("editions", str(project), "--json")
    assert listed.returncode == 1, listed.stdout
    rows = {(e["year"], e["version"], e["language"]): e for e in json.loads(listed.stdout)}
    assert set(rows) == {("2025", "1.1", "nl"), ("2025", "1.1", "en-GB")}
    for row in rows.values():
        assert row["status"] == f"FAILED (its report.yaml names year {YEAR}; its folder " \
            "is 2025)" and not row["current"], row
    _edition(project, '  version: "1.0.5"\n  date: 2025-05-01\n  changes:\n    - Fixed.\n')
    refused = cli("publish", str(project))
    assert refused.returncode == 1, refused.stderr
    assert "version 1.0.5 is not above the archived edition 1.1 (editions/2025/1.1/nl)" \
        in refused.stderr, refused.stderr
    assert not (project / "editions" / YEAR).exists() or \
        not any((project / "editions" / YEAR).iterdir())


def test_a_missing_language_folder_and_a_stray_folder_are_failed(bilingual_copy, cli):
    """The en-GB folder of 1.1 removed, a copy ``nl copy`` and an empty ``nl.bak``
    beside ``nl``: each is a FAILED row and the command exits 1."""
    version = bilingual_copy / "editions" / YEAR / "1.1"
    shutil.rmtree(version / "en-GB")
    shutil.copytree(version / "nl", version / "nl copy")
    (version / "nl.bak").mkdir()
    listed = cli("editions", str(bilingual_copy), "--json")
    assert listed.returncode == 1, listed.stdout
    rows = {e["path"]: e["status"] for e in json.loads(listed.stdout)}
    stray = "is not an edition folder (its name is no language of the report)"
    assert rows == {
        f"editions/{YEAR}/1.1/nl/jaarverslag-{YEAR}-1.1-nl.pdf": "verified",
        f"editions/{YEAR}/1.1/en-GB": "FAILED (its language folder en-GB is missing; the "
                                      "other languages' report.yaml lists en-GB)",
        f"editions/{YEAR}/1.1/nl copy": f"FAILED: nl copy {stray}",
        f"editions/{YEAR}/1.1/nl.bak": f"FAILED: nl.bak {stray}"}, rows
    shown = cli("editions", str(bilingual_copy))
    assert shown.returncode == 1
    assert "its language folder en-GB is missing" in shown.stdout, shown.stdout
