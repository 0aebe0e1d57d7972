"""The public Python API as a library user meets it: ``almanac.load``, ``build``,
``BuildOptions``, ``Report`` and ``ReportError``; builds running at the same time
in one process."""

from __future__ import annotations

import pickle
import re
import threading
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

import almanac
from almanac.pipeline import render_html
from almanac.project.parts import CACHE
from almanac.stages.charts import figure_blocks

from conftest import BRAND, INZET, copy_project, edit, override
from pdfread import squash

CSS_TYPO = ".kpi { colr: red; }"
CSS_WARNING = "styles/components.css: Ignored `colr: red`"


def chapter_list(project: Path) -> list[str]:
    return yaml.safe_load((project / "report.yaml").read_text(encoding="utf-8"))["chapters"]


# --------------------------------------------------------------------------- load

def test_load_gives_the_chapters_report_yaml_names_in_its_order(project):
    report = almanac.load(project)
    assert isinstance(report, almanac.Report)
    names = chapter_list(project)
    assert [chapter.slug for chapter in report.chapters] == names
    assert [chapter.number for chapter in report.chapters] == list(range(1, len(names) + 1))
    for chapter in report.chapters:  # each from its own file, YAML or Markdown
        assert chapter.source.parent == project / "chapters" / chapter.slug
        text = chapter.source.read_text(encoding="utf-8")
        title = yaml.safe_load(text)["title"] if chapter.source.suffix == ".yaml" \
            else re.search(r"^# (.+)$", text.split("\n---\n", 1)[1], re.MULTILINE).group(1)
        assert chapter.data.title == title

    text = (project / "report.yaml").read_text(encoding="utf-8")
    start = text.index("chapters:\n")
    (project / "report.yaml").write_text(
        text[:start] + "chapters:\n" + "".join(f"  - {name}\n" for name in reversed(names)),
        encoding="utf-8")
    again = almanac.load(str(project))  # a str is a root too
    assert [chapter.slug for chapter in again.chapters] == names[::-1]
    assert again.chapters[0].number == 1 and again.chapters[0].data.title == "Resultaten"


def test_a_broken_project_raises_report_error_naming_each_file_and_line(project):
    number = edit(project, INZET, "    value: 6.3\n", "    value: zes\n")
    listed = edit(project, "report.yaml", "  - 07-resultaten\n",
                  "  - 07-resultaten\n  - 08-bestaat-niet\n") + 1
    with pytest.raises(almanac.ReportError) as caught:
        almanac.load(project)
    problems = caught.value.problems
    assert all(isinstance(problem, almanac.Problem) for problem in problems)
    found = {(problem.path.relative_to(project).as_posix(), problem.line)
             for problem in problems}
    assert found == {(INZET, number), ("report.yaml", listed)}
    message = caught.value.format(project)
    assert f"{INZET}:{number}: numbers.verzuim.value: " in message and "'zes'" in message
    assert f"report.yaml:{listed}: " in message and "08-bestaat-niet" in message
    assert message.count("\n    fix: ") == 2


# --------------------------------------------------------------------------- options

def test_build_options_and_keywords_are_the_same_build(warm, built, pdf_path):
    """``options=BuildOptions(strict=True)`` here, ``strict=True`` for the sample build
    shared by the test run, in another process and folder: the same PDF, byte for byte."""
    result = almanac.build(warm, options=almanac.BuildOptions(strict=True))
    assert result.path == warm / "output" / pdf_path.name
    assert result.path.read_bytes() == pdf_path.read_bytes()
    assert result.warnings == built.warnings == []
    assert result.size == result.path.stat().st_size
    assert result.pages == built.pages == len(PdfReader(result.path).pages)
    assert result.charts_cached == result.charts == 8


def test_an_unknown_variant_is_a_value_error_before_anything_is_done(project):
    with pytest.raises(ValueError, match="unknown variant 'nope'; one of screen, print"):
        almanac.BuildOptions(variant="nope")
    with pytest.raises(ValueError, match="unknown variant 'nope'"):
        almanac.build(project, variant="nope")
    assert not (project / "output").exists() and not (project / CACHE).exists()


# --------------------------------------------------------------------------- Report

def test_a_report_pickles(warm):
    """E.g. to hand it to another process: it comes back equal, its blocks keep their
    places, and it renders the same HTML."""
    report = almanac.load(warm)
    copy = pickle.loads(pickle.dumps(report))
    assert copy == report and copy.model_dump() == report.model_dump()
    assert copy.root == warm
    places = [block.place for _, block in figure_blocks(report)]
    assert len(places) == 8 and places == [block.place for _, block in figure_blocks(copy)]
    htmls = []
    for each in (report, copy):
        rendered, charts = render_html(each)
        charts.cancel()
        htmls.append(rendered.html)
    assert htmls[0] == htmls[1]


# --------------------------------------------------------------------------- at the same time

@pytest.mark.slow
def test_two_projects_built_at_once_in_threads_give_what_each_gives_alone(
        warm, tmp_path, pdf_path, built):
    """Project A is the sample (alone: its build shared by the run, ``pdf_path``); B has
    another title, another brand colour and a CSS typo WeasyPrint warns about. Built
    at the same time in two threads of this process, each gives the same bytes as
    alone and reports only its own warnings."""
    a = warm
    b = copy_project(tmp_path / "b")
    edit(b, "report.yaml", "title: Jaarverslag 2021\n", "title: Jaarbericht Proefeenheid 2021\n")
    edit(b, BRAND, 'primary:      {hex: "#15396B"', 'primary:      {hex: "#6B1539"')
    with override(b, "styles/components.css").open("a", encoding="utf-8") as stream:
        stream.write(f"\n{CSS_TYPO}\n")

    alone_b = almanac.build(b, b / "output" / "alleen.pdf")
    assert built.warnings == []
    assert any(warning.startswith(CSS_WARNING) for warning in alone_b.warnings), alone_b.warnings
    assert alone_b.path.read_bytes() != pdf_path.read_bytes()
    assert squash("Jaarbericht Proefeenheid 2021") in squash(
        PdfReader(alone_b.path).pages[0].extract_text())

    barrier = threading.Barrier(2)
    results: dict[str, almanac.BuildResult] = {}
    errors: dict[str, BaseException] = {}

    def run(name: str, root: Path) -> None:
        barrier.wait()
        try:
            results[name] = almanac.build(root, root / "output" / "samen.pdf")
        except BaseException as exc:  # handed to the test's thread
            errors[name] = exc

    threads = [threading.Thread(target=run, args=(name, root), name=f"build {name}")
               for name, root in (("a", a), ("b", b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == {}
    assert results["a"].path.read_bytes() == pdf_path.read_bytes()
    assert results["b"].path.read_bytes() == alone_b.path.read_bytes()
    assert results["a"].warnings == []
    assert results["b"].warnings == alone_b.warnings
    assert not any(str(a) in warning for warning in results["b"].warnings)
