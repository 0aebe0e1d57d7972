"""Each build in a fresh process, forked from a warm, single-threaded one.

A long-running preview must not let one build affect the next: WeasyPrint's
native libraries keep about a megabyte per document for the life of the
process, a crash in them would take the server down, and a build that hangs
would hang it. So the preview starts a *build server* once: a new interpreter
(``python -m almanac.preview.buildserver``) that imports WeasyPrint, warms its font
machinery and waits for requests on a socket. Each request runs in a child
forked from it — already warm, started in milliseconds — and the child's memory
goes back to the system when it exits. A child that dies or runs too long
becomes an error message, and the server goes on.

The server is a fresh interpreter, not a fork of the preview: a fork would copy
the preview's threads' locks and, worse, a running vl-convert engine (which
deadlocks in a forked child); the server has no threads at all.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

from .. import ipc


class BuildCrashed(RuntimeError):
    """The build process died, ran too long or could not be reached."""


def available() -> bool:
    """Whether this system can fork (POSIX): else builds run in the preview's process."""
    return hasattr(os, "fork") and hasattr(socket, "socketpair")


class BuildServer:
    """Runs ``function(*args)`` in a fresh fork of a warm process, one at a time."""

    def __init__(self, warm: Callable[[], Any] | None = None):
        """Start the server; ``warm()`` runs in it once, before the first build."""
        self._lock = threading.Lock()
        self._pid_lock = threading.Lock()
        self._child: int | None = None  # the running build, for kill()
        ours, theirs = socket.socketpair()
        self._process = subprocess.Popen(
            [sys.executable, "-P", "-m", "almanac.preview.buildserver", str(theirs.fileno())],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        theirs.close()
        self._socket: socket.socket | None = ours  # None once closed
        # It finds the same modules (the functions it runs are sent by name) and
        # warms up while the preview starts; a first request simply waits.
        ipc.send(ours, list(sys.path))
        ipc.send(ours, warm)

    def call(self, function: Callable[..., Any], *args: Any,
             timeout: float | None = None) -> Any:
        """The value ``function(*args)`` returns in a fresh process; its exception
        is raised here. :class:`BuildCrashed` if the process dies or times out."""
        with self._lock:
            if self._socket is None:
                raise BuildCrashed("the build server is stopped")
            try:
                ipc.send(self._socket, (function, args))
                kind, value = ipc.receive(self._socket)  # ("started", pid)
                with self._pid_lock:
                    self._child = value
                timer = None
                if timeout is not None:
                    timer = threading.Timer(timeout, self.kill)
                    timer.daemon = True
                    timer.start()
                try:
                    kind, value = ipc.receive(self._socket)
                finally:
                    if timer is not None:
                        timer.cancel()
                    with self._pid_lock:
                        self._child = None
            except (OSError, EOFError) as exc:
                self._close()
                raise BuildCrashed(f"the build server stopped: {exc}") from None
        if kind == "value":
            return value
        if kind == "raised":
            raise value
        raise BuildCrashed(value)

    @property
    def stopped(self) -> bool:
        """Whether the server is gone (closed, or it died): a new one is needed."""
        return self._socket is None

    def kill(self) -> None:
        """Stop the running build at once (it is reported as a crash)."""
        with self._pid_lock:
            if self._child is not None:
                try:
                    os.killpg(self._child, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    def close(self) -> None:
        """Stop the running build and the server; waits up to 10 s for it to exit."""
        self.kill()
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._socket is not None:
            self._socket.close()  # the server reads the end of its input and exits
            self._socket = None
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


# ------------------------------------------------------------ in the build server

def main(argv: list[str]) -> None:
    """The server process: ``argv[1]`` is the socket's file descriptor."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the preview to handle
    connection = socket.socket(fileno=int(argv[1]))
    try:
        sys.path[:] = ipc.receive(connection)
        _serve(connection, ipc.receive(connection))
    except EOFError:  # the preview stopped before the server was ready
        pass


def _serve(connection: socket.socket, warm: Callable[[], Any] | None) -> None:
    if warm is not None:
        try:
            warm()
        except Exception:  # a cold server is slower, not wrong
            pass
    gc.collect()
    gc.freeze()  # the children never copy these pages just to scan them
    while True:
        try:
            function, args = ipc.receive(connection)
        except EOFError:  # the preview closed its end: stop
            return
        except Exception as exc:  # noqa: BLE001 — e.g. a function it cannot import
            ipc.send(connection, ("started", None))
            ipc.send(connection, ("crashed", f"the build server cannot run it: {exc}"))
            continue
        read, write = os.pipe()
        outcome: tuple[str, Any] | None
        pid = os.fork()
        if pid == 0:  # the child: run one build, hand back its outcome, vanish
            os.setpgid(0, 0)  # a group of its own: kill() stops its helpers too
            os.close(read)
            connection.close()
            gc.disable()
            try:
                outcome = ("value", function(*args))
            except BaseException as exc:  # noqa: BLE001 — every outcome goes back
                outcome = ("raised", _picklable(exc))
            try:
                with os.fdopen(write, "wb") as stream:
                    stream.write(ipc.frame(outcome))
            finally:
                os._exit(0)
        os.close(write)
        try:
            os.setpgid(pid, pid)  # here too, so that it holds before "started" is sent
        except OSError:
            pass
        ipc.send(connection, ("started", pid))
        with os.fdopen(read, "rb") as stream:
            try:
                outcome = ipc.read(stream.read)
            except Exception:  # noqa: BLE001 — no outcome, or a torn one: it died first
                outcome = None
        _, status = os.waitpid(pid, 0)
        if outcome is None:
            outcome = ("crashed", _death(status))
        ipc.send(connection, outcome)


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        return RuntimeError("".join(traceback.format_exception(exc)))


def _death(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ \
            else str(number)
        if number == signal.SIGKILL:
            return "the build was stopped (it ran too long, or a newer build replaced it)"
        return f"the build process died of signal {name}"
    return f"the build process exited with status {os.WEXITSTATUS(status)} without a result"


if __name__ == "__main__":
    main(sys.argv)
