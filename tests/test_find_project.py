"""A command run in a folder of a project finds the project above it, as git finds
a repository: the nearest folder holding report.yaml; none is an error naming the
folder and how to start a report."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import almanac, copy_project, cut_to


def test_check_in_a_chapter_folder_checks_the_project_above(small, cli, monkeypatch):
    chapter = small / "chapters" / "01-voorwoord"
    monkeypatch.chdir(chapter)
    checked = cli("check")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.splitlines()[0] == \
        f"{small.resolve() / 'report.yaml'}: valid (2 chapters)"
    monkeypatch.chdir(small / "chapters")  # a folder named on the command line, too
    checked = cli("check", "01-voorwoord")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(f"{small.resolve() / 'report.yaml'}: valid")


def test_a_problem_is_reported_against_the_project_found(small, monkeypatch):
    """The whole command works on the project found: here a problem in a chapter is
    named with its file and line, run from another chapter's folder."""
    chapter = small / "chapters" / "03-inzetbaarheid" / "chapter.yaml"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("title:", "titel:", 1),
                       encoding="utf-8")
    ran = almanac("check", cwd=small / "chapters" / "01-voorwoord")
    assert ran.returncode == 1
    assert re.search(r"chapters/03-inzetbaarheid/chapter\.yaml:\d+", ran.stderr), ran.stderr
    assert "Traceback" not in ran.stderr


def test_the_nearest_project_wins(small, cli, monkeypatch):
    inner = cut_to(copy_project(small / "archive" / "old"), ("01-voorwoord",))
    monkeypatch.chdir(inner / "chapters" / "01-voorwoord")
    checked = cli("check")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(f"{inner.resolve() / 'report.yaml'}: valid (1 ")


def test_no_project_above_names_the_folder_and_suggests_starting_one(tmp_path, cli,
                                                                     monkeypatch):
    folder = tmp_path / "notes" / "2021"
    folder.mkdir(parents=True)
    assert not any((above / "report.yaml").exists() for above in folder.resolve().parents)
    monkeypatch.chdir(folder)
    for args in (("check",), ("build", str(folder))):
        ran = cli(*args)
        assert ran.returncode == 1, args
        assert ran.stderr.startswith(
            f"{folder.resolve()}: no report.yaml in this folder or any folder above it\n")
        assert "almanac new" in ran.stderr and not ran.stdout
    # a folder of published editions needs no report.yaml: an archive is listed as it is
    listed = cli("editions")
    assert listed.returncode == 0 and "no archived editions" in listed.stdout
    assert not list(Path(folder).iterdir())  # nothing made
