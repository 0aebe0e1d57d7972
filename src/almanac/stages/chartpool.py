"""Chart worker processes, fresh for one build or warm for many.

A chart worker (:mod:`~.chartworker`) costs most of a second of CPU to start (the
imports of Altair and vl-convert, the start of vl-convert's JavaScript engine) and
some 30 ms a chart to draw. A process that makes many builds — a Dask worker
building the members of a family, the serial family run — keeps its workers in a
:class:`ChartWorkers` pool and pays the start once: a build takes an idle worker
that suits it, sends it its :class:`~.charts.Drawing`, and gives it back when every
chart was drawn and nothing went wrong; a worker that failed, ran out of time or
memory, or was cancelled is killed, never reused.

Between two drawings the worker forgets the figure modules it imported (their
package, its submodules and their source lines), restores its environment and
current folder, and registers the brand's Altair theme again, so that a module's
module-level state never reaches the next build (a member's build never sees
another member's state). It is reused only for a build with the same chart fonts
(the font folder, named by a hash of the font files: vl-convert's font database
keeps what was registered) and the same environment, and retires after
:data:`MAX_DRAWINGS` drawings.

Each worker holds the read end of a pipe of its own, its *lifeline*, whose write
end only this process holds: when this process closes it, or dies and the system
closes it, the worker ends at once, even inside a figure module that hangs; so a
worker never outlives the process that started it.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
import time
from typing import Any

from .. import ipc
from .guard import resident_bytes

MAX_DRAWINGS = 200
"""How many drawings (builds) a pooled worker serves before it retires."""
MAX_IDLE = 2
"""How many idle workers a pool keeps (the oldest beyond that ends)."""
IDLE_WAIT = 5.0
"""Seconds a build waits for its worker's ``("idle", None)`` after the last chart."""


def stderr_fd() -> int | None:
    """Where the worker's standard output goes: this process's standard error, so that
    what a figure module prints is seen but never mixed into the command's output."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by an object without one
        return None


class ChartProcess:
    """One chart worker process: its standard input takes pickled
    :class:`~.charts.Drawing` frames, :attr:`results` gives its reports
    (:mod:`~.chartworker`), its standard error is relayed to this process's
    (:attr:`tail` keeps its last lines, to say why it died).

    ``environment`` is the worker's whole environment; ``fonts`` the chart font
    folder it registers with its first drawing (with the environment, its
    :attr:`key`: a pooled worker serves only builds of the same key)."""

    def __init__(self, environment: dict[str, str], fonts: str):
        self.key = process_key(environment, fonts)
        self.drawings = 0  # drawings sent to it
        self.tail: list[bytes] = []  # its last lines of standard error
        read, write = os.pipe()
        life_read, life_write = os.pipe()
        try:
            self.popen = subprocess.Popen(
                # -P: the current folder is not put on the worker's import path
                [sys.executable, "-P", "-m", "almanac.stages.chartworker", str(write),
                 str(life_read)],
                stdin=subprocess.PIPE, stdout=stderr_fd(), stderr=subprocess.PIPE,
                pass_fds=[write, life_read], env=environment)
        except BaseException:
            os.close(read)
            os.close(life_write)
            raise
        finally:
            os.close(write)
            os.close(life_read)
        self.results = os.fdopen(read, "rb", buffering=0)
        self._lifeline: int | None = life_write
        self._relay = threading.Thread(target=self._relay_stderr, daemon=True,
                                       name="almanac-chart-relay-stderr")
        self._relay.start()

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self.popen.pid

    def alive(self) -> bool:
        """Whether the worker process still runs."""
        return self.popen.poll() is None

    def send(self, drawing: Any) -> None:
        """Give the worker a drawing; one that died at once is noticed by the reader
        (:attr:`results` ends)."""
        self.drawings += 1
        assert self.popen.stdin is not None  # started with stdin=PIPE
        try:
            self.popen.stdin.write(ipc.frame(drawing))
            self.popen.stdin.flush()
        except (BrokenPipeError, ValueError):  # it died at once (or was closed)
            pass

    def idle(self, timeout: float = IDLE_WAIT) -> bool:
        """Read the worker's ``("idle", None)`` after its last chart: True when it came
        within ``timeout`` seconds and nothing else came first."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.results], [], [], left)[0]:
                return False
            try:
                kind, _ = ipc.read(self.results.read)
            except (EOFError, ValueError, OSError):
                return False
            return kind == "idle"

    def join_relay(self, timeout: float) -> None:
        """Wait for the relay of the worker's standard error to end (it has died)."""
        self._relay.join(timeout=timeout)

    def close(self, wait: float = 0.0) -> None:
        """End the worker: its input and lifeline closed, waited for ``wait`` seconds,
        then killed; a second call does nothing."""
        if self._lifeline is None:
            return
        self.results.close()
        try:
            if self.popen.stdin is not None:
                self.popen.stdin.close()
        except BrokenPipeError:
            pass
        os.close(self._lifeline)
        self._lifeline = None
        try:
            self.popen.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
        self._relay.join(timeout=5)

    def _relay_stderr(self) -> None:
        """Pass on what the worker writes to its standard error (warnings of a figure
        module, vl-convert's panics), keeping the last lines in :attr:`tail`."""
        stream = self.popen.stderr
        assert stream is not None
        target = stderr_fd()
        target = 2 if target is None else target
        for line in iter(stream.readline, b""):
            self.tail = (self.tail + [line])[-200:]
            try:
                os.write(target, line)
            except OSError:
                pass
        stream.close()


def process_key(environment: dict[str, str], fonts: str) -> tuple:
    """What a worker must share with a build to serve it: the interpreter, the
    environment and the chart font folder."""
    return sys.executable, tuple(sorted(environment.items())), fonts


class ChartWorkers:
    """A pool of warm chart workers for the builds of one process (see the module
    docstring); thread-safe. ``max_drawings`` retires a worker after that many
    drawings, ``max_idle`` bounds the idle workers kept. :meth:`close` (or leaving a
    ``with`` block) ends the idle workers; a worker lent to a build ends with it."""

    def __init__(self, max_drawings: int = MAX_DRAWINGS, max_idle: int = MAX_IDLE):
        self.max_drawings = max_drawings
        self.max_idle = max_idle
        self._lock = threading.Lock()
        self._idle: list[ChartProcess] = []
        self._closed = False

    def take(self, environment: dict[str, str], fonts: str) -> ChartProcess:
        """An idle worker for a build of ``environment`` and ``fonts`` (see
        :class:`ChartProcess`), or a new one."""
        key = process_key(environment, fonts)
        found: ChartProcess | None = None
        dead: list[ChartProcess] = []
        with self._lock:
            for process in list(self._idle):
                if not process.alive():
                    self._idle.remove(process)
                    dead.append(process)
                elif found is None and process.key == key:
                    self._idle.remove(process)
                    found = process
        for process in dead:
            process.close()
        return found if found is not None else ChartProcess(environment, fonts)

    def give(self, process: ChartProcess, memory_bytes: int | None = None) -> None:
        """Take back a worker that drew everything of its build and said it is idle; it
        ends instead when the pool is closed, it has served ``max_drawings``, has died,
        or uses more than half of ``memory_bytes`` (the build's limit)."""
        retire = process.drawings >= self.max_drawings or not process.alive() or (
            memory_bytes is not None and resident_bytes(process.pid) > memory_bytes // 2)
        surplus: list[ChartProcess] = []
        with self._lock:
            if not (retire or self._closed):
                self._idle.append(process)
                while len(self._idle) > self.max_idle:
                    surplus.append(self._idle.pop(0))
        if retire or self._closed:
            process.close(wait=5)
        for old in surplus:
            old.close(wait=5)

    @property
    def idle_pids(self) -> list[int]:
        """The process ids of the idle workers."""
        with self._lock:
            return [process.pid for process in self._idle]

    def close(self) -> None:
        """End every idle worker; a worker given back later ends too."""
        with self._lock:
            idle, self._idle = self._idle, []
            self._closed = True
        for process in idle:
            process.close(wait=5)

    def __enter__(self) -> ChartWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
