"""Warm chart workers (stages/chartpool.py): builds that share a pool of chart
workers give the PDFs of builds that start their own, and nothing of one build's
figure modules — state, failures, hangs — reaches the next, nor outlives its owner."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from almanac.errors import ReportError
from almanac.pipeline import BuildOptions, load, make_pdf
from almanac.stages.chartpool import ChartWorkers

from conftest import family_project

# A figure module with module-level state: a list appended to by each build() and a
# counter set at import, both printed in the chart's title.
COUNTING = '''\
import altair as alt

IMPORTS = globals().get("IMPORTS", 0) + 1
CALLS = []


def build(data, theme):
    CALLS.append(data.member["code"])
    return alt.Chart(alt.Data(values=data.rows)).mark_line().encode(
        x="year:O", y="life expectancy:Q").properties(
        title=f"imports {IMPORTS} calls {len(CALLS)} {data.member['code']}")
'''


def figure(root: Path, source: str) -> None:
    """Give the family project its own ``line`` figure module (the chart of every
    member), overriding the theme's."""
    (root / "figures").mkdir(exist_ok=True)
    (root / "figures" / "line.py").write_text(textwrap.dedent(source), encoding="utf-8")


def pdf(root: Path, key: str, workers: ChartWorkers | None = None) -> bytes:
    """Member ``key`` built in memory, every chart drawn again (no chart cache)."""
    options = replace(BuildOptions(cache=False, chart_timeout=20), member=key)
    return make_pdf(load(root, member=key), options, chart_workers=workers).pdf


def text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie not yet reaped counts as ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


def test_builds_through_one_pool_share_no_state_and_give_the_same_bytes(tmp_path):
    root = family_project(tmp_path)
    figure(root, COUNTING)
    alone = {key: pdf(root, key) for key in ("NLD", "NOR")}
    assert "imports 1 calls 1 NLD" in text(alone["NLD"])
    with ChartWorkers() as pool:
        first = pdf(root, "NLD", pool)
        [worker] = pool.idle_pids  # given back, warm
        again = [pdf(root, key, pool) for key in ("NLD", "NOR", "NLD")]
        assert pool.idle_pids == [worker]  # the same process drew every build
    # the module is imported afresh for each build: its counters start again
    assert first == again[0] == again[2] == alone["NLD"]
    assert again[1] == alone["NOR"]
    assert "imports 1 calls 1 NOR" in text(again[1])
    assert gone(worker)  # closing the pool ended it


def test_a_failing_figure_module_does_not_poison_the_next_build(tmp_path):
    root = family_project(tmp_path)
    figure(root, '''\
        import altair as alt

        STATE = {"broken": False}


        def build(data, theme):
            if data.member["code"] == "NLD":
                STATE["broken"] = True
                raise ValueError("no chart for this member")
            if STATE["broken"]:
                raise RuntimeError("poisoned by the build before")
            return alt.Chart(alt.Data(values=data.rows)).mark_line().encode(
                x="year:O", y="life expectancy:Q")
        ''')
    alone = pdf(root, "NOR")
    with ChartWorkers() as pool:
        pdf(root, "PRT", pool)
        [worker] = pool.idle_pids
        with pytest.raises(ReportError) as failed:
            pdf(root, "NLD", pool)
        assert "no chart for this member" in str(failed.value.problems[0].message)
        assert pool.idle_pids == [] and gone(worker)  # discarded, not reused
        assert pdf(root, "NOR", pool) == alone


def test_a_hanging_figure_module_leaves_no_process_behind(tmp_path, capfd):
    root = family_project(tmp_path)
    figure(root, '''\
        import os
        import sys
        import time


        def build(data, theme):
            print(f"worker {os.getpid()}", file=sys.stderr, flush=True)
            time.sleep(600)
        ''')
    with ChartWorkers() as pool:
        options = replace(BuildOptions(cache=False, chart_timeout=3), member="NLD")
        with pytest.raises(ReportError) as failed:
            make_pdf(load(root, member="NLD"), options, chart_workers=pool)
        assert "drawing the charts took over 3 s" in failed.value.problems[0].message
        assert pool.idle_pids == []
    worker = int(capfd.readouterr().err.split("worker ")[1].split()[0])
    assert gone(worker)


OWNER = '''\
import os, sys, time
from dataclasses import replace
from pathlib import Path
from almanac.pipeline import BuildOptions, load, make_pdf, render_html
from almanac.stages.chartpool import ChartWorkers

pool = ChartWorkers()
key = "NLD"
options = replace(BuildOptions(cache=False, check=False), member=key)
if sys.argv[2] == "idle":
    make_pdf(load(sys.argv[1], member=key), options, chart_workers=pool)
    print(*pool.idle_pids, flush=True)
else:  # busy: its worker is inside a figure module that hangs
    render_html(load(sys.argv[1], member=key), options, chart_workers=pool)
    started = Path(os.environ["STARTED"])
    while not started.exists():
        time.sleep(0.05)
    print(started.read_text(), flush=True)
os._exit(0)  # no close(), no atexit: as a process that is killed
'''

HANGING = '''\
import os
import time
from pathlib import Path


def build(data, theme):
    Path(os.environ["STARTED"]).write_text(str(os.getpid()))
    time.sleep(600)
'''


@pytest.mark.parametrize("state", ["idle", "busy"])
def test_a_pooled_worker_ends_when_its_owner_process_ends(tmp_path, state):
    root = family_project(tmp_path)
    if state == "busy":
        figure(root, HANGING)
    # its standard error to a file: a worker left behind would hold a pipe open
    with (tmp_path / "stderr").open("w") as stderr:
        ran = subprocess.run([sys.executable, "-c", OWNER, str(root), state],
                             stdout=subprocess.PIPE, stderr=stderr, text=True, timeout=300,
                             env={**os.environ, "STARTED": str(tmp_path / "started")})
    assert ran.returncode == 0, (tmp_path / "stderr").read_text()
    [worker] = map(int, ran.stdout.split())
    for _ in range(100):  # the system closes the owner's end of the lifeline
        if gone(worker):
            break
        time.sleep(0.1)
    else:
        os.kill(worker, signal.SIGKILL)  # left behind: the test fails, the machine is clean
    assert gone(worker)
