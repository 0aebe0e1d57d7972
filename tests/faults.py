"""Fault injection for the kill tests: run the command line and kill it (SIGKILL)
at a named phase, after writing down where it was.

    python -P tests/faults.py PHASE MARKER [--gate GATE] -- build PROJECT [options]

PHASE is one of :data:`PHASES`:

- a stage the command reports (``load`` … ``finish``): killed as the stage begins;
- ``drawing``: the chart worker is inside a figure module, held there by the gate
  of :func:`gate_figures` (``--gate``), while the build is killed;
- ``writing``: half of the output's bytes are written into its temporary file in
  the staging folder (of a published edition: half of its PDF);
- ``staged``: the temporary file (or folder) is complete and synced, and is about
  to be renamed into ``output/`` or the archive, ``editions/``.

Before the kill, MARKER gets a JSON record: the phase, the process id, the stages
reported so far (name and detail), what the staging folder holds (path → size
and SHA-256, or ``"folder"``) and what the phase adds (the chart worker's process
id; the file half written; the temporary about to be renamed). A command that
never reaches PHASE runs to its end and writes no marker: the test sees that.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

STEPS = ("load", "charts", "render", "typeset", "preflight", "finish")
"""The stages of a build (and of a publish), in the order they are reported."""
PHASES = (*STEPS, "drawing", "writing", "staged")
STAGING = Path(".almanac-cache") / "tmp"  # almanac.stages.output.STAGING_DIR
WRITTEN = ("output", "editions")  # where builds and (the default archive) editions go
GATE_WAIT = 120.0  # seconds a gated figure module (or the build) waits at most


def tree(folder: Path) -> dict[str, object]:
    """Every file under ``folder`` (hidden ones included) with its size and SHA-256,
    and every folder (``"folder"``)."""
    found: dict[str, object] = {}
    for path in sorted(Path(folder).rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_dir():
            found[name] = "folder"
        elif path.is_file():
            data = path.read_bytes()
            found[name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return found


# --------------------------------------------------------------------------- in the test

def killed(phase: str, folder: Path, *command: object, gate: Path | None = None,
           timeout: float = 300) -> tuple[subprocess.CompletedProcess, dict | None]:
    """Run ``almanac COMMAND`` to be killed at ``phase``; return the finished process
    (its output read from files: a chart worker that outlives it keeps its pipes
    open) and the marker it wrote (``None`` when it never reached ``phase``)."""
    assert phase in PHASES, phase
    folder = Path(folder)
    marker, out, err = (folder / f"killed-{phase}.{kind}" for kind in ("json", "out", "err"))
    marker.unlink(missing_ok=True)
    options = ["--gate", str(gate)] if gate is not None else []
    arguments = [sys.executable, "-P", __file__, phase, str(marker), *options,
                 "--", *map(str, command)]
    with open(out, "w+b") as stdout, open(err, "w+b") as stderr:
        code = subprocess.run(arguments, stdout=stdout, stderr=stderr, timeout=timeout).returncode
    result = subprocess.CompletedProcess(arguments, code, out.read_text(errors="replace"),
                                         err.read_text(errors="replace"))
    return result, json.loads(marker.read_text(encoding="utf-8")) if marker.exists() else None


def killed_warm(phase: str, folder: Path, command: str, project: Path) -> dict:
    """``almanac COMMAND PROJECT`` (its charts all in the cache) killed at ``phase``:
    checks that the kill landed there, after exactly the steps before it, with no
    chart drawn, and that ``output/`` and ``editions/`` did not change; returns the
    marker."""
    before = [tree(project / name) for name in WRITTEN]
    result, marker = killed(phase, folder, command, project)
    assert marker is not None, f"{phase}: never reached (exit {result.returncode}) " \
        f"{result.stderr[-2000:]}"
    assert marker["phase"] == phase and result.returncode == -signal.SIGKILL, phase
    reached = STEPS[:STEPS.index(phase) + 1] if phase in STEPS else STEPS
    assert [step for step, _ in marker["steps"]] == list(reached), phase
    if len(reached) > 1:  # a warm cache: no chart is drawn, no worker runs
        charts = dict(marker["steps"])["charts"]  # "1 chart, 1 from cache", "3 charts, …"
        assert re.fullmatch(r"(\d+) charts?, \1 from cache", charts), charts
    # output/, editions/: what was there byte for byte as it was, nothing added (no
    # .part, no .partial, no edition folder, no half of anything)
    assert [tree(project / name) for name in WRITTEN] == before, phase
    return marker


def gate_figures(project: Path, gate: Path) -> None:
    """Make every figure module of ``project``, when the chart worker imports it,
    write the worker's process id to ``<gate>.started`` and wait until
    ``<gate>.open`` exists (at most :data:`GATE_WAIT` seconds): the worker is then
    held in the middle of drawing a chart, for as long as the test needs."""
    code = f"""

# Added by the kill tests: hold the chart worker here until the test opens the gate.
import os as _os
import time as _time
_GATE = {str(gate)!r}
if not _os.path.exists(_GATE + ".started"):
    with open(_GATE + ".started.tmp", "w") as _f:
        _f.write(str(_os.getpid()))
    _os.replace(_GATE + ".started.tmp", _GATE + ".started")
_until = _time.monotonic() + {GATE_WAIT}
while not _os.path.exists(_GATE + ".open") and _time.monotonic() < _until:
    _time.sleep(0.01)
"""
    for module in sorted((Path(project) / "figures").glob("*.py")):
        with open(module, "a", encoding="utf-8") as stream:
            stream.write(code)


def open_gate(gate: Path) -> None:
    Path(f"{gate}.open").touch()


def running(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie, dead but not reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat[stat.rindex(")") + 2] not in "ZX"


def wait_gone(pid: int, timeout: float = GATE_WAIT) -> None:
    """Wait until process ``pid`` (not a child of ours) has ended."""
    deadline = time.monotonic() + timeout
    while running(pid):
        assert time.monotonic() < deadline, f"process {pid} still runs after {timeout:g} s"
        time.sleep(0.02)


# --------------------------------------------------------------------------- in the runner

def _run(argv: list[str]) -> None:
    split = argv.index("--")
    phase, marker, *options = argv[1:split]
    command = argv[split + 1:]
    assert phase in PHASES, f"unknown phase {phase!r}; one of {', '.join(PHASES)}"
    gate = Path(options[options.index("--gate") + 1]) if "--gate" in options else None
    project = Path(command[1]).resolve()  # build|publish PROJECT ...
    staging, outputs = project / STAGING, [project / name for name in WRITTEN]
    steps: list[list[str]] = []

    def die(**details: object) -> None:
        record = {"phase": phase, "pid": os.getpid(), "steps": steps,
                  "staging": tree(staging) if staging.is_dir() else {}, **details}
        with open(marker, "w", encoding="utf-8") as stream:
            json.dump(record, stream, indent=1)
            stream.flush()
            os.fsync(stream.fileno())
        os.kill(os.getpid(), signal.SIGKILL)

    def relative(path: object) -> str:
        return Path(os.fspath(path)).resolve().relative_to(project).as_posix()

    from almanac.reporter import ConsoleReporter

    report_step = ConsoleReporter.step

    def step(self, name, detail=""):
        steps.append([name, detail])
        if name == phase:
            die()
        return report_step(self, name, detail)

    ConsoleReporter.step = step

    if phase == "drawing":
        from almanac.stages.charts import ChartJob

        assert gate is not None, "the drawing phase needs --gate (see gate_figures)"
        start = ChartJob.start

        def start_and_die(self):
            start(self)
            started, deadline = Path(f"{gate}.started"), time.monotonic() + GATE_WAIT
            while not started.exists():  # the worker is in a figure module, held there
                if time.monotonic() > deadline:
                    sys.exit(f"faults: the chart worker drew nothing in {GATE_WAIT:g} s")
                time.sleep(0.01)
            die(worker=int(started.read_text()))

        ChartJob.start = start_and_die

    if phase == "writing":
        from almanac.stages import output as writer

        class Half:
            """A file being written that dies when half of the data is in it."""

            def __init__(self, stream, path):
                self.stream, self.path = stream, path

            def write(self, data):
                self.stream.write(data[: len(data) // 2])
                self.stream.flush()
                os.fsync(self.stream.fileno())
                die(file=relative(self.path), written=len(data) // 2, size=len(data))

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return self.stream.__exit__(*exc)

            def __getattr__(self, name):
                return getattr(self.stream, name)

        def halved(stream, path):
            inside = Path(os.fspath(path)).resolve().is_relative_to(staging.resolve())
            return Half(stream, path) if inside else stream

        class Os(types.ModuleType):  # the writer's os, with fdopen halving its writes
            def __getattr__(self, name):
                return getattr(os, name)

            @staticmethod
            def fdopen(fd, *args, **kwargs):
                path = os.readlink(f"/proc/self/fd/{fd}")
                return halved(os.fdopen(fd, *args, **kwargs), path)

        writer.os = Os("os")
        writer.open = lambda file, *args, **kwargs: halved(open(file, *args, **kwargs), file)

    if phase == "staged":
        def renamer(rename):
            def call(source, target, *args, **kwargs):
                if any(Path(os.fspath(target)).resolve().is_relative_to(output.resolve())
                       for output in outputs):
                    die(source=relative(source), target=relative(target))
                return rename(source, target, *args, **kwargs)
            return call

        os.replace, os.rename = renamer(os.replace), renamer(os.rename)

    from almanac.cli import run

    sys.argv = ["almanac", *command]
    run()


if __name__ == "__main__":
    _run(sys.argv)
