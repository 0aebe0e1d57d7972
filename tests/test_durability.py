"""Nothing lost: a build killed at any moment leaves output/ exactly as it was, and
two builds of one project at the same time both end well.

Each kill lands at a named phase (see faults.py), never at a moment on the clock:
the process writes down where it is, then kills itself, so every test knows which
phase it hit and asserts it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from almanac.stages.charts import CACHE_DIR
from almanac.stages.output import STAGING_DIR, remove_stale

from conftest import edit
from faults import STEPS, gate_figures, killed, killed_warm, open_gate, tree, wait_gone

PYTHON = [sys.executable, "-m", "almanac"]
PDF = "jaarverslag-2021.pdf"


@pytest.fixture
def archived(small_warm, pdf_path) -> Path:
    """The project (two chapters) with a PDF built earlier and an archived edition 1.0 in output/,
    its charts cached, and edition 1.1 in report.yaml (so a publish makes a new one)."""
    warm = small_warm
    output = warm / "output"
    (output / "2021" / "1.0").mkdir(parents=True)
    (output / pdf_path.name).write_bytes(pdf_path.read_bytes())
    (output / "2021" / "1.0" / "jaarverslag-2021-1.0.pdf").write_bytes(pdf_path.read_bytes())
    (output / "2021" / "1.0" / "manifest.json").write_text(
        json.dumps({"edition": {"version": "1.0"}}), encoding="utf-8")
    edit(warm, "report.yaml", 'version: "1.0"', 'version: "1.1"')
    return warm


def left_by(pid: int, staging: Path) -> list[str]:
    """The names of what process ``pid`` left in the staging folder."""
    return sorted(p.name for p in staging.glob(f".{pid}.*")) if staging.is_dir() else []


@pytest.mark.parametrize("phase", STEPS)
def test_a_build_killed_as_a_stage_begins_leaves_output_as_it_was(phase, archived, tmp_path):
    marker = killed_warm(phase, tmp_path, "build", archived)
    assert marker["staging"] == {}  # nothing written yet, nothing left behind
    assert left_by(marker["pid"], archived / STAGING_DIR) == []


@pytest.mark.slow
def test_a_build_killed_writing_its_pdf_leaves_output_as_it_was(archived, tmp_path, cli):
    output, staging = archived / "output", archived / STAGING_DIR
    before = tree(output)
    # Half of the new PDF in its temporary, in the staging folder.
    marker = killed_warm("writing", tmp_path, "build", archived)
    pid, held, name = marker["pid"], marker["staging"], Path(marker["file"]).name
    assert marker["file"] == f"{STAGING_DIR.as_posix()}/{name}"
    assert name.startswith(f".{pid}.{PDF}.") and name.endswith(".part")
    assert marker["written"] == marker["size"] // 2 > 10_000
    assert held == {name: {"size": marker["written"], "sha256": held[name]["sha256"]}}
    assert left_by(pid, staging) == [name]
    # The whole new PDF, synced, about to be renamed into output/ (the same moment as a
    # kill in the rename itself).
    marker = killed_warm("staged", tmp_path, "build", archived)
    pid, held, name = marker["pid"], marker["staging"], Path(marker["source"]).name
    assert marker["target"] == f"output/{PDF}"
    assert marker["source"] == f"{STAGING_DIR.as_posix()}/{name}"
    assert name.startswith(f".{pid}.{PDF}.") and name.endswith(".part")
    assert list(held) == [name]  # the half one of the killed build was swept away
    data = (staging / name).read_bytes()
    assert data.rstrip().endswith(b"%%EOF") and len(PdfReader(staging / name).pages) > 5
    staged = {"size": len(data), "sha256": held[name]["sha256"]}
    assert held[name] == staged != before[PDF]  # a new PDF (edition 1.1), complete
    # The next build sweeps the killed builds' temporaries away and writes the PDF the
    # killed one had staged (a build is reproducible).
    again = cli("build", str(archived))
    assert again.returncode == 0, again.stderr
    assert Path(again.stdout.strip()) == output / PDF
    assert tree(output) == {**before, PDF: staged}
    assert not list(staging.iterdir())


@pytest.mark.slow
def test_a_build_killed_while_its_charts_are_drawn_leaves_output_as_it_was(
        small, pdf_path, tmp_path):
    from almanac.pipeline import build

    project = small
    output, staging, store = project / "output", project / STAGING_DIR, project / CACHE_DIR
    output.mkdir()
    (output / PDF).write_bytes(pdf_path.read_bytes())
    gate = tmp_path / "gate"
    gate_figures(project, gate)  # a cold cache: every chart is drawn, the first one held
    before = tree(output)
    try:
        result, marker = killed("drawing", tmp_path, "build", project, gate=gate)
        assert marker is not None, result.stderr[-2000:]
        assert marker["phase"] == "drawing" and result.returncode == -signal.SIGKILL
        assert [name for name, _ in marker["steps"]] == ["load", "charts"]
        assert re.fullmatch(r"\d+ charts?, 0 from cache", marker["steps"][1][1])
        worker = marker["worker"]
        assert worker != marker["pid"]
        # The build is gone, and so is its chart worker, though it was inside a figure
        # module that still waits: it stops when its build stops waiting for charts.
        wait_gone(worker, timeout=60)  # the gate alone would hold it for 120 s
        assert tree(output) == before
        assert not list(store.glob("*.svg"))  # not one chart drawn
        assert left_by(worker, staging) == []
    finally:
        open_gate(gate)
    # The next build draws every chart.
    made = build(project)
    assert made.path == output / PDF and made.pages > 5 and made.charts_cached == 0
    assert sorted(tree(output)) == sorted(before)
    assert not list(staging.iterdir())


def test_two_builds_at_once_both_end_well(small):
    project = small  # its cache cold: both draw the same charts into one store
    processes = [subprocess.Popen(PYTHON + ["build", str(project)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in processes]
    for code, _out, err in results:
        assert code == 0, err
        assert "Traceback" not in err
    pdf = Path(results[0][1].strip())
    assert pdf == Path(results[1][1].strip())
    assert len(PdfReader(pdf).pages) > 5
    assert [p.name for p in (project / "output").iterdir()] == [pdf.name]
    assert not list((project / STAGING_DIR).iterdir())


def test_a_build_outside_the_project_writes_beside_its_target(warm, tmp_path):
    from almanac.pipeline import build

    target = tmp_path / "elders" / "verslag.pdf"
    result = build(warm, target)
    assert result.path == target and target.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in target.parent.iterdir()] == ["verslag.pdf"]


def test_stale_temporaries_of_live_processes_are_kept(tmp_path):
    live = tmp_path / f".{os.getpid()}.a.pdf.0123abcd.part"
    dead = tmp_path / ".999999999.a.pdf.0123abcd.part"
    dead_folder = tmp_path / ".999999999.1.0.k2_x9a0q.partial"
    foreign = [tmp_path / ".999999999.notes", tmp_path / ".1.b.pdf.0123abcd.tmp"]
    for path in (live, dead, *foreign):
        path.write_bytes(b"x")
    dead_folder.mkdir()
    (dead_folder / "manifest.json").write_text("{}")
    remove_stale(tmp_path)
    assert live.exists() and not dead.exists() and not dead_folder.exists()
    assert all(path.exists() for path in foreign)  # not named as ours: not ours


def test_beside_a_target_only_its_own_stale_temporaries_are_removed(tmp_path):
    """Beside a target outside a project (a folder of the user's), a run removes only
    what killed runs left for that same file."""
    mine = tmp_path / ".999999999.a.pdf.0123abcd.part"
    other = tmp_path / ".999999999.b.pdf.0123abcd.part"
    for path in (mine, other):
        path.write_bytes(b"x")
    remove_stale(tmp_path, "a.pdf")
    assert not mine.exists() and other.exists()
