"""The preview's web server: the spread view, its state, the page images, the PDF.

Only those are served — never a file of the project or of the machine — so a
request for ``/../../etc/passwd`` simply finds no route. Open tabs learn of a
new build through server-sent events and fetch only the pages that changed.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from types import FrameType
from typing import Any, cast
from urllib.parse import urlsplit

from .session import Preview

PAGE = files(__package__).joinpath("page.html").read_text(encoding="utf-8")
"""The spread view: one HTML page with its style and script."""


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def host_names(host: str, port: int) -> frozenset[str]:
    """The ``Host`` header values (RFC 9110, section 7.2) a server bound to
    ``host``:``port`` answers: its own address, and on loopback the loopback names,
    each with the port (and without it on port 80). Any other name is a request
    meant for another server, or a DNS-rebinding page's: 421 Misdirected Request
    (RFC 9110, section 15.5.20)."""
    own = f"[{host}]" if ":" in host else host
    names = {own, *LOOPBACK_NAMES} if own in LOOPBACK_NAMES else {own}
    values = {f"{name}:{port}" for name in names}
    if port == 80:
        values |= names
    return frozenset(values)


def make_server(preview: Preview, host: str = "127.0.0.1", port: int = 8765,
                stop: threading.Event | None = None) -> ThreadingHTTPServer:
    """An HTTP server for ``preview``, bound to ``host``:``port`` (OSError if it
    cannot be); ``serve_forever()`` it in a thread. ``stop`` ends the event streams.
    It answers only requests whose ``Host`` is one of :func:`host_names`."""
    stopping: threading.Event = stop or threading.Event()

    class Handler(BaseHTTPRequestHandler):
        server_version = "Almanac"

        def log_message(self, *args):  # quiet: the terminal shows builds, not requests
            pass

        def do_GET(self):  # noqa: N802 (the http.server API)
            allowed = cast(Server, self.server).hosts
            if self.headers.get("Host", "").strip().lower() not in allowed:
                self._send(421, "text/plain; charset=utf-8",
                           b"misdirected request: this preview answers only to "
                           + ", ".join(sorted(allowed)).encode())
                return
            path = urlsplit(self.path).path
            if path == "/":
                self._send(200, "text/html; charset=utf-8", PAGE.encode())
            elif path == "/state.json":
                with preview.changed:
                    body = json.dumps(preview.state.to_json()).encode()
                self._send(200, "application/json", body)
            elif path == "/events":
                self._events()
            elif path == "/report.pdf" and preview.pdf:
                self._send(200, "application/pdf", preview.pdf)
            elif path.startswith("/page/") and path.endswith(".png") \
                    and path[6:-4].isdigit():
                png = preview.page(int(path[6:-4]))
                if png is None:
                    self._send(404, "text/plain", b"no such page")
                else:
                    self._send(200, "image/png", png, cache=True)
            else:
                self._send(404, "text/plain; charset=utf-8", b"not found")

        def _send(self, status: int, kind: str, body: bytes, cache: bool = False):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=31536000, immutable" if cache
                             else "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            self.wfile.write(body)

        def _events(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seen = -1
            try:
                while not stopping.is_set():
                    with preview.changed:
                        if preview.state.version == seen:
                            preview.changed.wait(timeout=10)
                        version = preview.state.version
                        building = preview.state.building
                    if version != seen:
                        seen = version
                        data = json.dumps({"version": version, "building": building})
                        self.wfile.write(f"event: build\ndata: {data}\n\n".encode())
                    else:
                        self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        hosts: frozenset[str] = frozenset()  # set once bound (port 0 picks a free one)

    server = Server((host, port), Handler)
    server.hosts = host_names(host, server.server_port)
    return server


def serve(root: Path, *, host: str = "127.0.0.1", port: int = 8765,
          chapter: str | None = None, announce: Callable[[str], None] = print,
          quiet: bool = False, options: Any = None) -> None:
    """Run the preview until Ctrl-C (SIGINT) or SIGTERM, then stop cleanly, also in
    the middle of a build: the server, the watcher, the running build, the build
    server and the page images are gone.

    ``announce`` gets the address line and, unless ``quiet``, the first build's outcome.
    ``options`` (a BuildOptions) give each build's limits.
    """
    preview = Preview(root, chapter, options=options)
    stop = threading.Event()
    try:
        server = make_server(preview, host, port, stop)
    except BaseException:
        preview.close()  # it started a build server and made a folder for the pages
        raise
    address = f"http://{host}:{server.server_address[1]}/"
    announce(f"Preview of {preview.root} at {address} (Ctrl-C to stop)")

    def terminate(signum: int, frame: FrameType | None) -> None:
        stop.set()  # as Ctrl-C: a service manager or a test runner stops it this way

    def first_build() -> None:
        state = preview.rebuild()
        if not quiet and not stop.is_set():
            announce(f"built in {state.seconds:.1f} s" if state.error is None else
                     f"build failed: {state.error[0]['message']}")

    previous = signal.signal(signal.SIGTERM, terminate)
    # Builds run in threads; this one only waits, so that a signal is handled at once,
    # whatever is being built, and the running build is stopped with the rest.
    threads = [threading.Thread(target=server.serve_forever, daemon=True),
               threading.Thread(target=preview.watch, args=(stop,), daemon=True),
               threading.Thread(target=first_build, daemon=True)]
    for thread in threads:
        thread.start()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        signal.signal(signal.SIGTERM, previous)
        with preview.changed:
            preview.changed.notify_all()
        server.shutdown()
        server.server_close()
        preview.close()
