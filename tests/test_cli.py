"""The command line: help, exit codes, output when piped."""

from __future__ import annotations

import subprocess
import sys

import pytest

from almanac.cli import main


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "almanac", *args], capture_output=True,
                          text=True, cwd=cwd)


@pytest.mark.parametrize("command", [[], ["build"], ["check"]])
def test_help(command):
    result = run(*command, "--help")
    assert result.returncode == 0
    assert "PROJECT_DIR" in result.stdout or "COMMAND" in result.stdout
    if command == ["build"]:
        assert "--output" in result.stdout and "--quiet" in result.stdout


def test_usage_errors_exit_2(tmp_path):
    assert run("build", "--no-such-option").returncode == 2
    assert run("frobnicate").returncode == 2
    assert run("build", str(tmp_path / "missing")).returncode == 2


def test_check_the_sample(sample_dir, capsys):
    assert main(["check", str(sample_dir)]) == 0
    assert "valid (7 chapters)" in capsys.readouterr().out


def test_not_a_report_folder(tmp_path, capsys):
    assert main(["check", str(tmp_path)]) == 1
    assert "no report.yaml" in capsys.readouterr().err


def test_build_prints_the_pdf_path_and_is_quiet_when_piped(project):
    out = project / "custom" / "verslag.pdf"
    result = run("build", "-o", str(out), cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    assert result.stderr == ""  # not a terminal: no progress lines
    assert out.read_bytes().startswith(b"%PDF-")


def test_progress_steps_are_reported(built):
    _, reporter = built
    assert reporter.steps == ["load", "charts", "render", "typeset", "preflight", "finish"]
    assert reporter.warnings == []
