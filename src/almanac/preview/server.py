"""The preview's web server: the spread view, its state, the page images, the PDF.

Only those are served — never a file of the project or of the machine — so a
request for ``/../../etc/passwd`` simply finds no route. Open tabs learn of a
new build through server-sent events and fetch only the pages that changed.

Everything it holds is bounded (see :class:`Limits`): a request's head is read
by one thread for all connections, without a thread of its own, so half-sent
requests cost a socket and never a thread; complete requests are answered by a
fixed number of threads; event streams have a cap of their own.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import io
import json
import logging
import re
import selectors
import signal
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from importlib.resources import files
from pathlib import Path
from queue import Empty, Full, Queue
from socketserver import TCPServer
from types import FrameType
from typing import Any, cast
from urllib.parse import urlsplit

import jinja2
from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal

from ..errors import Problem, ReportError
from ..text.messages import Catalogue, catalogue, interface_language
from .session import Preview

PAGE = files(__package__).joinpath("page.html").read_text(encoding="utf-8")
"""The spread view: one HTML page with its style and script, a Jinja2 template whose
words are messages (``{{ _("Chapter") }}``); see :func:`page`."""


def interface(language: str | None = None) -> Catalogue:
    """The words of the preview: Almanac's built-in catalogue of ``language`` (a BCP 47
    tag), by default the one the user reads (:func:`~almanac.text.messages.
    interface_language`, from the environment; English when it names none)."""
    return catalogue(language or interface_language())


def page(words: Catalogue) -> str:
    """The spread view in the language of ``words``: :data:`PAGE` rendered by Jinja2
    with its i18n extension (``install_gettext_translations``, new style: placeholders
    filled by ``_()`` itself) and autoescaping, as the templates are read when their
    messages are extracted (trimmed, ``trim_blocks``, ``lstrip_blocks``). Its ``<html
    lang>`` is the catalogue's language, English when no catalogue has it (the words
    are then English); the words its script writes are a JSON object (``|tojson``:
    ``<``, ``>``, ``&`` and ``'`` escaped, safe inside ``<script>``)."""
    environment = jinja2.Environment(extensions=["jinja2.ext.i18n"], autoescape=True,
                                     trim_blocks=True, lstrip_blocks=True,
                                     undefined=jinja2.StrictUndefined)
    environment.policies["ext.i18n.trimmed"] = True
    environment.install_gettext_translations(words.translations,  # type: ignore[attr-defined]
                                             newstyle=True)
    language = "en" if words.missing else words.language
    return environment.from_string(PAGE).render(language=language)


def _content_security_policy(page: str) -> str:
    """The page's Content-Security-Policy (CSP Level 3): its own inline style and
    script only, by their SHA-256 (section 8.4, hash-source), and requests only to
    this server; no frames, forms or plugins."""
    def hashes(tag: str) -> str:
        bodies = re.findall(rf"<{tag}>(.*?)</{tag}>", page, re.S)
        return " ".join("'sha256-" + base64.b64encode(
            hashlib.sha256(body.encode()).digest()).decode() + "'" for body in bodies)
    return (f"default-src 'none'; script-src {hashes('script')}; style-src {hashes('style')}; "
            "img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'")


OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"
"""What anything but the page may do when opened in a tab: nothing (the PDF viewer
of a browser is not bound by it)."""

LOG = logging.getLogger(__name__)
"""Where a request that could not be answered (a bug) is said, in one line: with no
logging set up, on standard error."""

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
PAGE_IMAGE = re.compile(r"/page/([1-9][0-9]{0,5})\.png", re.ASCII)
"""A page image's path: a page number in ASCII digits, without a sign, a leading
zero or an underscore (which ``int()`` accepts, as it does any Unicode digit)."""
VERSION = re.compile(r"v=([0-9a-f]{16})", re.ASCII)
CROSS_SITE = ("cross-site", "same-site")
"""Values of ``Sec-Fetch-Site`` (Fetch Metadata, section 2.1) refused: a request a
page of another site (or of another port on this machine: the same site) made."""


@dataclass(frozen=True)
class Limits:
    """What the preview server holds at once, and for how long.

    The preview serves one designer's browser on this machine; every default is
    several times what that browser uses (a tab opens one event stream and loads
    at most six page images at a time, the HTTP/1.1 connection limit of browsers),
    so that a hostile page, another local user or a stuck client cannot make it
    use more than these. Change them by passing ``Limits(...)`` to
    :func:`make_server` or :func:`serve`.
    """

    backlog: int = 1024
    """Connections the kernel queues before they are accepted (``listen()``'s
    backlog; Linux caps it at ``net.core.somaxconn``, 4096). Python's default of 5
    drops a burst of page requests."""
    head_timeout: float = 10.0
    """Seconds a client has to send a request's whole head (request line and
    headers), however slowly it sends it; then 408 and the connection is closed.
    A browser sends it at once."""
    head_bytes: int = 65536
    """Bytes of a request's head; beyond, 431 Request Header Fields Too Large.
    Cookies of other servers on this host name count: generous."""
    waiting: int = 512
    """Connections whose head has not arrived; beyond, the oldest one is closed, so
    half-sent requests never keep a complete one out (nor exhaust file descriptors)."""
    handlers: int = 16
    """Threads answering complete requests, event streams apart."""
    queued: int = 1024
    """Complete requests waiting for a thread; beyond, 503 with Retry-After."""
    send_timeout: float = 30.0
    """Seconds one write to a client that does not read may block; then the
    connection is closed."""
    streams: int = 8
    """Event streams (``/events``) open at once, each with a thread of its own;
    beyond, 503 with Retry-After (a tab's EventSource tries again)."""
    stream_seconds: float = 300.0
    """Seconds an event stream lasts; then it ends and the browser reconnects (the
    ``retry`` field), so a client that stopped reading frees its place."""
    keep_alive: float = 10.0
    """Seconds between comments on an idle event stream: a closed tab is noticed."""


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


def _refuse(connection: socket.socket, status: int, reason: str, retry: int | None = None
            ) -> None:
    """Answer ``status`` without blocking (a client that does not read gets nothing)
    and close the connection."""
    head = (f"HTTP/1.0 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(reason) + 1}\r\nCache-Control: no-store\r\n"
            "X-Content-Type-Options: nosniff\r\nConnection: close\r\n"
            + (f"Retry-After: {retry}\r\n" if retry is not None else "") + "\r\n")
    try:
        connection.setblocking(False)
        connection.send((head + reason + "\n").encode())
    except OSError:
        pass
    _close(connection)


def _close(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    connection.close()


def _end_of_head(data: bytes) -> int:
    """Where a request's head ends (after its empty line, CRLF or a bare LF as
    RFC 9112, section 2.2 allows), or -1."""
    ends = [i + len(mark) for mark in (b"\r\n\r\n", b"\n\n", b"\n\r\n")
            if (i := data.find(mark)) >= 0]
    return min(ends) if ends else -1


class _Waiting:
    """A connection whose request head is arriving: its bytes and its deadline."""

    __slots__ = ("connection", "address", "data", "deadline")

    def __init__(self, connection: socket.socket, address, deadline: float):
        self.connection = connection
        self.address = address
        self.data = b""
        self.deadline = deadline


class PreviewServer(HTTPServer):
    """The HTTP server of a preview; see :func:`make_server`."""

    hosts: frozenset[str] = frozenset()  # set once bound (port 0 picks a free one)

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler],
                 limits: Limits, family: int):
        self.limits = limits
        self.request_queue_size = limits.backlog  # read by listen() in server_activate
        self.address_family = family
        self.streams = threading.BoundedSemaphore(limits.streams)
        self._incoming: Queue[_Waiting] = Queue()
        self._ready: Queue[tuple[socket.socket, object, bytes] | None] = \
            Queue(maxsize=limits.queued)
        self._closing = threading.Event()
        self._wake, self._woken = socket.socketpair()
        self._threads: list[threading.Thread] = []
        super().__init__(address, handler)  # on failure, it calls server_close()
        self.hosts = host_names(address[0], self.server_port)
        self._threads.append(threading.Thread(target=self._read_heads, daemon=True,
                                              name="almanac-preview-heads"))
        self._threads += [threading.Thread(target=self._answer, daemon=True,
                                           name="almanac-preview-http")
                          for _ in range(limits.handlers + limits.streams)]
        for thread in self._threads:
            thread.start()

    def server_bind(self) -> None:
        TCPServer.server_bind(self)  # without HTTPServer's reverse DNS look-up of the host
        host, self.server_port = self.server_address[:2]
        self.server_name = str(host)

    def process_request(self, request, client_address) -> None:  # the accepting thread
        connection = cast(socket.socket, request)
        self._incoming.put(_Waiting(connection, client_address,
                                    time.monotonic() + self.limits.head_timeout))
        try:
            self._wake.send(b"\0")
        except BlockingIOError:  # the reader is behind on wake-ups: it reads them all
            pass

    def _read_heads(self) -> None:
        """One thread reads the heads of all requests (non-blocking sockets and a
        selector); a complete one goes to a thread that answers it."""
        selector = selectors.DefaultSelector()
        self._woken.setblocking(False)
        self._wake.setblocking(False)
        selector.register(self._woken, selectors.EVENT_READ, None)
        waiting: OrderedDict[socket.socket, _Waiting] = OrderedDict()  # oldest first
        try:
            while not self._closing.is_set():
                timeout = (min(w.deadline for w in waiting.values()) - time.monotonic()
                           if waiting else None)
                for key, _ in selector.select(None if timeout is None else max(timeout, 0)):
                    if key.data is None:
                        try:
                            self._woken.recv(4096)
                        except OSError:
                            pass
                        while True:
                            try:
                                new = self._incoming.get_nowait()
                            except Empty:
                                break
                            new.connection.setblocking(False)
                            waiting[new.connection] = new
                            selector.register(new.connection, selectors.EVENT_READ, new)
                            self._receive(new, waiting, selector)  # a head already here
                            while len(waiting) > self.limits.waiting:
                                # the oldest goes, unless its head has come meanwhile
                                oldest = next(iter(waiting.values()))
                                self._receive(oldest, waiting, selector)
                                if oldest.connection in waiting:
                                    del waiting[oldest.connection]
                                    selector.unregister(oldest.connection)
                                    _close(oldest.connection)
                    else:
                        self._receive(key.data, waiting, selector)
                now = time.monotonic()
                for late in [w for w in waiting.values() if w.deadline <= now]:
                    del waiting[late.connection]
                    selector.unregister(late.connection)
                    _refuse(late.connection, 408, "Request Timeout")
        finally:
            for left in waiting.values():
                _close(left.connection)
            selector.close()

    def _receive(self, arriving: _Waiting, waiting: dict, selector) -> None:
        connection = arriving.connection
        try:
            chunk = connection.recv(16384)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        arriving.data += chunk
        end = _end_of_head(arriving.data)
        if chunk and end < 0 and len(arriving.data) <= self.limits.head_bytes:
            return  # more to come
        del waiting[connection]
        selector.unregister(connection)
        if not chunk:
            _close(connection)  # it closed (or failed) before its head was complete
        elif end < 0 or end > self.limits.head_bytes:
            _refuse(connection, 431, "Request Header Fields Too Large")
        else:
            connection.setblocking(True)
            connection.settimeout(self.limits.send_timeout)
            try:
                self._ready.put_nowait((connection, arriving.address, arriving.data[:end]))
            except Full:
                _refuse(connection, 503, "Service Unavailable", retry=1)

    def _answer(self) -> None:
        """A thread answering complete requests, one after the other."""
        while (item := self._ready.get()) is not None:
            connection, address, head = item
            try:
                cast(Callable, self.RequestHandlerClass)(connection, address, self, head)
            except OSError:  # the client went away (a broken pipe, a reset, a timeout)
                pass
            except Exception as exc:  # noqa: BLE001 — a bug: said in one line, the server goes on
                LOG.error("almanac preview: could not answer a request: %s: %s",
                          type(exc).__name__, exc)
            finally:
                _close(connection)

    def server_close(self) -> None:
        """Close the listening socket, every waiting connection, and end the threads
        (those answering end after their current request)."""
        super().server_close()
        self._closing.set()
        try:
            self._wake.send(b"\0")
        except OSError:
            pass
        while True:  # requests not answered yet: closed
            try:
                item = self._ready.get_nowait()
            except Empty:
                break
            if item is not None:
                _close(item[0])
        for _ in self._threads[1:]:
            self._ready.put_nowait(None)  # each thread answering ends at one
        if self._threads:
            self._threads[0].join(timeout=5)
        for end in (self._wake, self._woken):
            end.close()


def address_family(host: str) -> int:
    """The address family (``AF_INET`` or ``AF_INET6``) of ``host``, an IP address
    (IPv6 with or without brackets) or a name; OSError if it does not resolve."""
    found = socket.getaddrinfo(host.strip("[]"), None, type=socket.SOCK_STREAM)
    return int(found[0][0])


def make_server(preview: Preview, host: str = "127.0.0.1", port: int = 8765,
                stop: threading.Event | None = None,
                limits: Limits = Limits(), words: Catalogue | None = None) -> PreviewServer:
    """An HTTP server for ``preview``, bound to ``host``:``port`` (OSError if it
    cannot be); ``serve_forever()`` it in a thread, ``server_close()`` it at the end.
    ``stop`` ends the event streams. It answers only GET requests whose ``Host`` is
    one of :func:`host_names`, and none that a page of another site made
    (``Sec-Fetch-Site``: 403); it holds at most what ``limits`` allow. Its page and
    what it says are in the language of ``words`` (default :func:`interface`),
    rendered once, now."""
    stopping: threading.Event = stop or threading.Event()
    said: Catalogue = words or interface()
    shown = page(said)
    shown_policy = _content_security_policy(shown)

    class Handler(BaseHTTPRequestHandler):
        server_version = "Almanac"
        sys_version = ""  # the Server header does not advertise Python's version

        def __init__(self, request, client_address, server, head: bytes):
            self.head = head
            self._sent: set[str] = set()
            super().__init__(request, client_address, server)

        def setup(self):
            super().setup()
            self.rfile.close()
            self.rfile = io.BytesIO(self.head)  # the head, read already; a body never is

        def handle(self):
            self.close_connection = True  # one request per connection (HTTP/1.0)
            self.handle_one_request()

        def log_message(self, *args):  # quiet: the terminal shows builds, not requests
            pass

        def send_header(self, keyword, value):
            self._sent.add(keyword.lower())
            super().send_header(keyword, value)

        def end_headers(self):
            # On every response, the error pages of http.server included.
            if "cache-control" not in self._sent:
                self.send_header("Cache-Control", "no-store")
            if "content-security-policy" not in self._sent:
                self.send_header("Content-Security-Policy", OTHER_POLICY)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Cross-Origin-Resource-Policy", "same-origin")
            self.send_header("Referrer-Policy", "no-referrer")
            super().end_headers()

        def do_GET(self):  # noqa: N802 (the http.server API)
            server = cast(PreviewServer, self.server)
            if self.headers.get("Host", "").strip().lower() not in server.hosts:
                self._send(421, "text/plain; charset=utf-8", said.gettext(
                    "misdirected request: this preview answers only to %(hosts)s",
                    hosts=", ".join(sorted(server.hosts))).encode())
                return
            if self.headers.get("Sec-Fetch-Site", "").strip().lower() in CROSS_SITE:
                self._send(403, "text/plain; charset=utf-8", said.gettext(
                    "forbidden: a request made by a page of another site").encode())
                return
            parts = urlsplit(self.path)
            path = parts.path
            if path == "/" and not parts.query:
                self._send(200, "text/html; charset=utf-8", shown.encode(),
                           policy=shown_policy)
            elif path == "/state.json":
                with preview.changed:
                    body = json.dumps(preview.state.to_json()).encode()
                self._send(200, "application/json", body)
            elif path == "/events":
                self._events(server)
            elif path == "/report.pdf" and preview.pdf:
                self._send(200, "application/pdf", preview.pdf)
            elif (page := PAGE_IMAGE.fullmatch(path)) and \
                    (not parts.query or VERSION.fullmatch(parts.query)):
                self._page(int(page.group(1)), parts.query[2:] or None)
            else:
                self._send(404, "text/plain; charset=utf-8",
                           said.gettext("not found").encode())

        def _page(self, number: int, version: str | None):
            """A page image; with ``?v=`` (the start of the page's hash, as the state
            gives it) only that drawing of it, and then kept by the browser for good."""
            with preview.changed:
                pages = preview.state.pages
                current = pages[number - 1] if number <= len(pages) else None
            png = None
            if current is not None and (version is None or current.startswith(version)):
                png = preview.page(number)
            if png is None:
                self._send(404, "text/plain; charset=utf-8",
                           said.gettext("no such page").encode())
            else:
                self._send(200, "image/png", png, cache=version is not None)

        def _send(self, status: int, kind: str, body: bytes, cache: bool = False,
                  policy: str = OTHER_POLICY, retry: int | None = None):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=31536000, immutable" if cache
                             else "no-store")
            self.send_header("Content-Security-Policy", policy)
            if retry is not None:
                self.send_header("Retry-After", str(retry))
            self.end_headers()
            self.wfile.write(body)

        def _events(self, server: PreviewServer):
            if not server.streams.acquire(blocking=False):
                self._send(503, "text/plain; charset=utf-8", said.gettext(
                    "too many event streams (at most %(streams)s); close other preview tabs",
                    streams=server.limits.streams).encode(), retry=5)
                return
            try:
                self._stream(server.limits)
            finally:
                server.streams.release()

        def _stream(self, limits: Limits):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b"retry: 2000\n\n")  # ms before the browser reconnects
            seen = -1
            ends = time.monotonic() + limits.stream_seconds
            while not stopping.is_set() and time.monotonic() < ends:
                with preview.changed:
                    if preview.state.version == seen:
                        preview.changed.wait(timeout=limits.keep_alive)
                    version = preview.state.version
                    building = preview.state.building
                if version != seen:
                    seen = version
                    data = json.dumps({"version": version, "building": building})
                    self.wfile.write(f"event: build\ndata: {data}\n\n".encode())
                else:
                    self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()

    return PreviewServer((host, port), Handler, limits, address_family(host))


def _cannot_listen(exc: OSError, host: str, port: int) -> ReportError:
    """The message for a bind that failed, by its ``errno``."""
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return ReportError(Problem(
            f"cannot listen on {where}: port {port} is in use",
            hint=f"another program listens on port {port}, perhaps another almanac preview "
            "(open that one, or stop it with Ctrl-C); or choose another port: --port N "
            "(--port 0 picks a free one)"))
    if exc.errno == errno.EACCES:
        return ReportError(Problem(
            f"cannot listen on {where}: port {port} needs privileges",
            hint="choose a port from 1024 up: --port 8765 (--port 0 picks a free one)"))
    if exc.errno == errno.EADDRNOTAVAIL:
        return ReportError(Problem(
            f"cannot listen on {where}: {host} is not an address of this machine",
            hint="use --host 127.0.0.1 (this machine only) or an address of this machine"))
    if isinstance(exc, socket.gaierror):
        return ReportError(Problem(
            f"cannot listen on {where}: {host} does not resolve ({exc.strerror})",
            hint="use --host 127.0.0.1 (this machine only) or an address of this machine"))
    return ReportError(Problem(f"cannot listen on {where}: {exc.strerror or exc}",
                               hint="choose another address or port: --host, --port"))


def _seconds(value: float, words: Catalogue) -> str:
    """``value`` with one decimal, written as the language of ``words`` writes numbers
    (CLDR's decimal symbol, by Babel's ``format_decimal``: ``2.5`` in English, ``2,5``
    in Dutch); English for a language no catalogue has."""
    try:
        locale = Locale.parse("en" if words.missing else words.language, sep="-")
    except (UnknownLocaleError, ValueError):
        locale = Locale("en")
    return format_decimal(value, "0.0", locale=locale)


def serve(root: Path, *, host: str = "127.0.0.1", port: int = 8765,
          chapter: str | None = None, announce: Callable[[str], None] = print,
          quiet: bool = False, limits: Limits = Limits(), options: Any = None,
          language: str | None = None) -> None:
    """Run the preview until Ctrl-C (SIGINT) or SIGTERM, then stop cleanly, also in
    the middle of a build or of its start: the server, the watcher, the running
    build, the build server and the page images are gone.

    ``announce`` gets the address line and, unless ``quiet``, the first build's
    outcome. ``limits`` bound the server (:class:`Limits`); ``options`` (a
    BuildOptions) give each build's limits. :class:`ReportError` if it cannot listen
    on ``host``:``port`` (in use, not this machine's, privileged), with nothing left
    behind. What it announces and the page are in ``language`` (default: the one the
    user reads, :func:`interface`).
    """
    words = interface(language)
    stop = threading.Event()
    starting = True

    def terminate(signum: int, frame: FrameType | None) -> None:
        stop.set()  # as Ctrl-C: a service manager or a test runner stops it this way
        if starting:
            raise KeyboardInterrupt  # unwinds the start, whatever it was doing

    previous = signal.signal(signal.SIGTERM, terminate)
    preview: Preview | None = None
    server: PreviewServer | None = None
    serving: threading.Thread | None = None
    try:
        preview = Preview(root, chapter, options=options)
        try:
            server = make_server(preview, host, port, stop, limits, words)
        except OSError as exc:
            raise _cannot_listen(exc, host, port) from None
        shown = f"[{host}]" if ":" in host else host
        address = f"http://{shown}:{server.server_port}/"
        announce(words.gettext("Preview of %(folder)s at %(address)s (Ctrl-C to stop)",
                               folder=preview.root, address=address))

        def first_build() -> None:
            assert preview is not None
            state = preview.rebuild()
            if not quiet and not stop.is_set():
                announce(words.gettext("built in %(seconds)s s",
                                       seconds=_seconds(state.seconds, words))
                         if state.error is None else
                         words.gettext("build failed: %(problem)s",
                                       problem=state.error[0]["message"]))

        # Builds run in threads; this one only waits, so that a signal is handled at
        # once, whatever is being built, and the running build is stopped with the rest.
        serving = threading.Thread(target=server.serve_forever, daemon=True)
        threads = [serving, threading.Thread(target=preview.watch, args=(stop,), daemon=True),
                   threading.Thread(target=first_build, daemon=True)]
        for thread in threads:
            thread.start()
        starting = False
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        starting = False
        stop.set()
        signal.signal(signal.SIGTERM, previous)
        if preview is not None:
            with preview.changed:
                preview.changed.notify_all()
        if server is not None:
            if serving is not None and serving.is_alive():
                server.shutdown()  # waits for serve_forever, so only if it runs
            server.server_close()
        if preview is not None:
            preview.close()
