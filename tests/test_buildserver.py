"""Each preview build runs in a fresh fork of a warm build server: a build that
crashes, hangs or leaks cannot take the preview with it."""

from __future__ import annotations

import faulthandler
import importlib
import os
import pickle
import signal
import sys
import threading
from pathlib import Path

import pytest

from almanac.preview import buildserver
from almanac.preview import session as preview
from almanac.preview.buildserver import BuildCrashed, BuildServer

from faults import running

pytestmark = pytest.mark.skipif(not buildserver.available(), reason="needs fork()")


def pid_and_value(value):
    return os.getpid(), value


def crash(_=None):
    faulthandler.disable()  # pytest's dump of the dying child is noise here
    os.kill(os.getpid(), signal.SIGSEGV)


def hang(record):
    """Write this process's id to the file ``record``, then wait for ever."""
    Path(record).write_text(str(os.getpid()))
    threading.Event().wait()


def fail(message):
    raise ValueError(message)


def grow(megabytes):
    """Keeps memory, as WeasyPrint's native libraries do per document."""
    global _kept
    _kept = bytearray(megabytes << 20)
    return len(_kept)


@pytest.fixture
def build_server():
    server = BuildServer()
    yield server
    server.close()


def test_each_call_runs_in_a_fresh_process(build_server):
    first, value = build_server.call(pid_and_value, 42)
    second, _ = build_server.call(pid_and_value, 43)
    assert value == 42 and first != second != os.getpid()


def test_exceptions_come_back_as_they_were(build_server):
    with pytest.raises(ValueError, match="kapot"):
        build_server.call(fail, "kapot")


def test_a_crash_is_an_error_and_the_next_call_works(build_server):
    with pytest.raises(BuildCrashed, match="SIGSEGV"):
        build_server.call(crash)
    assert build_server.call(pid_and_value, 1)[1] == 1


def test_a_hanging_build_is_stopped(build_server, tmp_path):
    with pytest.raises(BuildCrashed, match="ran too long"):
        build_server.call(hang, tmp_path / "pid", timeout=1)  # returns: not waited for
    assert not running(int((tmp_path / "pid").read_text()))  # the build is gone
    assert build_server.call(pid_and_value, 2)[1] == 2


def resident_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def test_memory_kept_by_a_build_is_not_kept_by_the_server(build_server):
    build_server.call(pid_and_value, 0)
    before = resident_mib(build_server._process.pid), resident_mib(os.getpid())
    for _ in range(3):
        assert build_server.call(grow, 64) == 64 << 20
    after = resident_mib(build_server._process.pid), resident_mib(os.getpid())
    assert after[0] - before[0] < 16 and after[1] - before[1] < 16, (before, after)


UNKNOWN = "known_here_not_to_the_build_server"


@pytest.fixture
def unknown_to_the_server(build_server, tmp_path, monkeypatch):
    """A function of a module that this process imports but the build server cannot:
    its folder joins the import path only after the server got a copy of the path
    (it does as it starts)."""
    (tmp_path / f"{UNKNOWN}.py").write_text("def answer():\n    return 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        yield importlib.import_module(UNKNOWN).answer
    finally:
        sys.modules.pop(UNKNOWN, None)


def test_an_unknown_function_is_an_error_not_a_dead_server(build_server, unknown_to_the_server):
    server = build_server._process
    assert pickle.loads(pickle.dumps(unknown_to_the_server))() == 42  # it can be sent
    with pytest.raises(BuildCrashed, match=f"cannot run it: .*{UNKNOWN}"):
        build_server.call(unknown_to_the_server)
    assert build_server.call(pid_and_value, 3)[1] == 3
    assert build_server._process is server and server.poll() is None  # the same server


def test_a_function_that_cannot_be_sent_fails_here(build_server):
    def local():  # not importable by name: it cannot be pickled
        return 1

    with pytest.raises((pickle.PicklingError, AttributeError), match="local"):
        build_server.call(local)
    assert build_server.call(pid_and_value, 3)[1] == 3


def test_closing_stops_the_server():
    server = BuildServer()
    server.call(pid_and_value, 4)
    server.close()
    assert server._process.poll() is not None  # it exited
    with pytest.raises(BuildCrashed):
        server.call(pid_and_value, 4)


# ------------------------------------------------------------- through the preview

def build_unless_marked(root, chapter, *options):
    """The preview's build, but it crashes or hangs while a marker file says so."""
    if (root / "CRASH").exists():
        crash()
    if (root / "HANG").exists():
        hang(root / "HANG")
    return _real_build(root, chapter, *options)


_real_build = preview._build
BUILD_TIMEOUT = preview.BUILD_TIMEOUT


@pytest.mark.slow
def test_the_preview_survives_a_crashing_and_a_hanging_build(warm, monkeypatch):
    project = warm
    monkeypatch.setattr(preview, "_build", build_unless_marked)
    shown = preview.Preview(project, chapter="03-inzetbaarheid")
    try:
        good = shown.rebuild()
        assert good.error is None and good.pages
        pages = list(good.pages)
        (project / "CRASH").touch()
        crashed = shown.rebuild()
        assert "died of signal SIGSEGV" in crashed.error[0]["message"]
        assert crashed.pages == pages  # the last good pages stay
        (project / "CRASH").unlink()
        monkeypatch.setattr(preview, "BUILD_TIMEOUT", 5)  # the build hangs before it starts
        (project / "HANG").touch()
        stopped = shown.rebuild()  # returns: the hanging build is not waited for
        assert not running(int((project / "HANG").read_text()))  # it is gone
        assert "ran too long" in stopped.error[0]["message"]
        (project / "HANG").unlink()
        monkeypatch.setattr(preview, "BUILD_TIMEOUT", BUILD_TIMEOUT)  # a real build again
        again = shown.rebuild()
        assert again.error is None and again.pages == pages
    finally:
        shown.close()


@pytest.mark.slow
def test_builds_draw_charts_even_when_the_preview_has_run_vl_convert(project, monkeypatch):
    """A fork of a process with a running vl-convert engine deadlocks when it draws;
    the build server is a fresh interpreter, so its builds never inherit one."""
    import vl_convert

    vl_convert.vegalite_to_svg({"mark": "point", "data": {"values": [{"x": 1}]},
                                "encoding": {"x": {"field": "x", "type": "quantitative"}}})
    monkeypatch.setattr(preview, "BUILD_TIMEOUT", 120)
    shown = preview.Preview(project, chapter="03-inzetbaarheid")  # no chart drawn yet
    try:
        state = shown.rebuild()
        assert state.error is None, state.error
        assert list((project / ".almanac-cache" / "charts").glob("*.svg"))
    finally:
        shown.close()


@pytest.mark.slow
def test_a_dead_server_is_replaced(project):
    shown = preview.Preview(project, chapter="03-inzetbaarheid")
    try:
        shown._server._process.kill()
        failed = shown.rebuild()
        assert "build server stopped" in failed.error[0]["message"]
        assert shown.rebuild().error is None
    finally:
        shown.close()
