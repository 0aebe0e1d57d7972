"""Nothing lost: a build killed at any moment leaves output/ exactly as it was, and
two builds of one project at the same time both end well."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from almanac.stages.output import STAGING_DIR, remove_stale
from test_errors import edit, snapshot

PYTHON = [sys.executable, "-m", "almanac"]
# Runs the command line with os.replace / os.rename killing the process instead of
# renaming into output/: the moment after the new file is complete and before it
# is in place, the worst moment to be killed.
KILLED_AT_RENAME = """
import os, signal, sys
real = {"replace": os.replace, "rename": os.rename}
def fatal(name):
    def call(source, target, *args, **kwargs):
        if "/output/" in os.fspath(target):
            os.kill(os.getpid(), signal.SIGKILL)
        return real[name](source, target, *args, **kwargs)
    return call
os.replace, os.rename = fatal("replace"), fatal("rename")
from almanac.cli import run
sys.argv = ["almanac"] + sys.argv[1:]
run()
"""


def tree(folder: Path) -> dict[str, str]:
    """Every file (with its hash) and folder under ``folder``, hidden ones included."""
    files = snapshot(folder)
    folders = {str(p.relative_to(folder)): "folder" for p in folder.rglob("*") if p.is_dir()}
    return {**files, **folders}


@pytest.fixture
def archived(project, pdf_path) -> Path:
    """The project with a PDF built earlier and an archived edition 1.0 in output/,
    its charts cached, and edition 1.1 in report.yaml (so a publish makes a new one)."""
    output = project / "output"
    (output / "2021" / "1.0").mkdir(parents=True)
    (output / pdf_path.name).write_bytes(pdf_path.read_bytes())
    (output / "2021" / "1.0" / "jaarverslag-2021-1.0.pdf").write_bytes(pdf_path.read_bytes())
    (output / "2021" / "1.0" / "manifest.json").write_text(
        json.dumps({"edition": {"version": "1.0"}}), encoding="utf-8")
    edit(project, "report.yaml", 'version: "1.0"', 'version: "1.1"')
    charts = pdf_path.parent.parent / ".almanac-cache" / "charts"
    subprocess.run(["cp", "-r", str(charts), str(project / ".almanac-cache")], check=True)
    return project


def test_a_build_killed_at_any_moment_leaves_output_as_it_was(archived, tmp_path):
    before = tree(archived / "output")
    pdf = archived / "output" / "jaarverslag-2021.pdf"
    started = time.perf_counter()  # how long a whole build takes here, written elsewhere
    timing = subprocess.run(PYTHON + ["build", str(archived), "-o", str(tmp_path / "t.pdf")],
                            capture_output=True, text=True, timeout=300)
    assert timing.returncode == 0, timing.stderr
    duration = time.perf_counter() - started
    killed = untouched = 0
    for fraction in (0.05, 0.15, 0.3, 0.45, 0.6, 0.7, 0.8, 0.88, 0.94, 0.98):
        previous = pdf.read_bytes()
        process = subprocess.Popen(PYTHON + ["build", str(archived)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(duration * fraction)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait(timeout=300)
        after = tree(archived / "output")
        # The archived edition and everything else: byte for byte as it was, nothing added.
        assert {k: v for k, v in after.items() if k != pdf.name} == \
            {k: v for k, v in before.items() if k != pdf.name}, f"at {fraction:.0%}"
        # The PDF: the previous one, or (killed after its rename) the whole new one.
        if pdf.read_bytes() == previous:
            untouched += process.returncode == -signal.SIGKILL
        else:
            assert pdf.read_bytes().rstrip().endswith(b"%%EOF")
            assert len(PdfReader(pdf).pages) > 20
    assert killed >= 6 and untouched >= 5
    staging = archived / STAGING_DIR
    remove_stale(staging)
    assert not list(staging.iterdir())  # what killed builds left behind is swept away


@pytest.mark.parametrize("command", ["build", "publish"])
def test_killed_while_renaming_into_place(command, archived):
    before = tree(archived / "output")
    result = subprocess.run([sys.executable, "-c", KILLED_AT_RENAME, command, str(archived)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert tree(archived / "output") == before  # no .part, no .partial, nothing half-done
    leftovers = list((archived / STAGING_DIR).iterdir())
    assert leftovers  # the complete temporary is in the staging folder, not in output/
    again = subprocess.run(PYTHON + [command, str(archived)], capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr
    assert not any(path.exists() for path in leftovers)  # the next run removed them
    assert not list((archived / STAGING_DIR).iterdir())
    new = Path(again.stdout.strip())
    assert new.is_relative_to(archived / "output") and PdfReader(new).pages
    assert not [p for p in (archived / "output").rglob(".*")]


def test_two_builds_at_once_both_end_well(project):
    processes = [subprocess.Popen(PYTHON + ["build", str(project)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in processes]
    for code, out, err in results:
        assert code == 0, err
        assert "Traceback" not in err
    pdf = Path(results[0][1].strip())
    assert pdf == Path(results[1][1].strip())
    assert len(PdfReader(pdf).pages) > 20
    assert [p.name for p in (project / "output").iterdir()] == [pdf.name]
    assert not list((project / STAGING_DIR).iterdir())


def test_a_build_outside_the_project_writes_beside_its_target(project, tmp_path):
    from almanac.pipeline import build

    target = tmp_path / "elders" / "verslag.pdf"
    result = build(project, target)
    assert result.path == target and target.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in target.parent.iterdir()] == ["verslag.pdf"]


def test_stale_temporaries_of_live_processes_are_kept(tmp_path):
    live = tmp_path / f".{os.getpid()}.a.pdf.x.part"
    dead = tmp_path / ".999999999.a.pdf.x.part"
    dead_folder = tmp_path / ".999999999.1.0.x.partial"
    for path in (live, dead):
        path.write_bytes(b"x")
    dead_folder.mkdir()
    (dead_folder / "manifest.json").write_text("{}")
    remove_stale(tmp_path)
    assert live.exists() and not dead.exists() and not dead_folder.exists()
