"""Bad input: one clear message per problem (file, line, fix), exit 1, nothing written."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from almanac.cli import main

INZET = "chapters/03-inzetbaarheid/chapter.yaml"
RESULTATEN = "chapters/07-resultaten/chapter.yaml"


def edit(project: Path, relative: str, old: str, new: str, count: int = 1) -> int:
    """Replace ``old`` by ``new`` in a project file; return the line of the change."""
    path = project / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def earlier(project, pdf_path) -> dict[str, str]:
    """The project with a PDF built earlier in its output folder."""
    output = project / "output"
    output.mkdir(exist_ok=True)
    (output / pdf_path.name).write_bytes(pdf_path.read_bytes())
    return snapshot(output)


def run_build(project, capsys) -> tuple[int, str]:
    code = main(["build", str(project), "-q"])
    captured = capsys.readouterr()
    return code, captured.err + captured.out


def broken(kind: str, project: Path) -> tuple[str, int | None, str]:
    """Break the project one way; return (file, line, a phrase the message must hold)."""
    if kind == "malformed yaml":
        line = edit(project, INZET, "  - title: PO21\n", "  - title: PO21\n   blocks: [\n")
        return INZET, line + 1, "invalid YAML"
    if kind == "wrong type":
        line = edit(project, INZET, "    value: 6.3\n", "    value: zes\n")
        return INZET, line, "numbers.verzuim.value: Input should be a valid number"
    if kind == "unknown key":
        line = edit(project, INZET, "title: Inzetbaarheid\n", "titel: Inzetbaarheid\n")
        return INZET, line, "did you mean 'title'?"
    if kind == "unknown key in a block":
        line = edit(project, INZET, "        motif: classroom\n",
                    "        motif: classroom\n        colour: red\n")
        return INZET, line + 1, "blocks[1].colour: unknown key"
    if kind == "unknown block type":
        line = edit(project, INZET, "      - type: quote", "      - type: qoute") \
            if "type: quote" in (project / INZET).read_text() else \
            edit(project, INZET, "      - type: kpis", "      - type: kpi")
        return INZET, line, "did you mean type: kpis?"
    if kind == "missing chapter folder":
        line = edit(project, "report.yaml", "  - 07-resultaten\n",
                    "  - 07-resultaten\n  - 08-vooruitblik\n")
        return "report.yaml", line + 1, "chapters/08-vooruitblik/ does not exist"
    if kind == "missing figure module":
        line = edit(project, RESULTATEN, "chart: normen", "chart: normen_2021")
        return RESULTATEN, line, "figures/normen_2021.py does not exist"
    if kind == "missing image":
        line = edit(project, INZET, "        motif: classroom\n",
                    "        motif: classroom\n        image: foto/po21.jpg\n")
        return INZET, line + 1, "image foto/po21.jpg not found"
    if kind == "unknown number":
        line = edit(project, INZET, "{{ quarantaine_fte }}", "{{ quarantaine }}")
        return INZET, line, "unknown number 'quarantaine'"
    raise AssertionError(kind)


KINDS = ["malformed yaml", "wrong type", "unknown key", "unknown key in a block",
         "unknown block type",
         "missing chapter folder", "missing figure module", "missing image", "unknown number"]


@pytest.mark.parametrize("kind", KINDS)
def test_bad_input_names_file_line_and_fix(kind, project, earlier, capsys):
    relative, line, phrase = broken(kind, project)
    code, output = run_build(project, capsys)
    assert code == 1
    assert "Traceback" not in output
    location = f"{relative}:{line}:" if line else f"{relative}:"
    assert location in output, output
    assert phrase in output, output
    assert "nothing was written" in output
    assert snapshot(project / "output") == earlier  # the earlier PDF is untouched


def test_check_reports_the_same_problem(project, capsys):
    relative, line, phrase = broken("wrong type", project)
    assert main(["check", str(project)]) == 1
    assert f"{relative}:{line}:" in capsys.readouterr().err


def test_all_problems_are_reported_at_once(project, capsys):
    broken("wrong type", project)
    broken("missing chapter folder", project)
    edit(project, RESULTATEN, "  norm_cs:\n    value: 80\n", "  norm_cs:\n    value: 80\n    color: red\n")
    code, output = run_build(project, capsys)
    assert code == 1
    assert "3 problems" in output
    assert INZET in output and "report.yaml" in output and RESULTATEN in output


def test_a_failed_typeset_leaves_the_earlier_pdf(project, earlier, capsys, monkeypatch):
    import almanac.stages.typeset

    def fail(*args, **kwargs):
        raise KeyboardInterrupt  # stands for a crash or a kill mid-way through typesetting

    monkeypatch.setattr(almanac.stages.typeset, "typeset", fail)
    with pytest.raises(KeyboardInterrupt):
        main(["build", str(project), "-q"])
    assert snapshot(project / "output") == earlier


def test_the_command_exits_1_without_traceback(project):
    broken("unknown key", project)
    result = subprocess.run([sys.executable, "-m", "almanac", "build", str(project)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert re.search(r"chapter\.yaml:\d+: titel: unknown key", result.stderr)
    assert result.stdout == ""
