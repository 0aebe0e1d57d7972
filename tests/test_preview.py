"""The live preview: served safely, rebuilt on change, tested in a real browser."""

from __future__ import annotations

import ipaddress
import json
import os
import queue
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

BRAND = "styles/brand.yaml"
CHAPTER = "03-inzetbaarheid"  # a one-chapter preview builds in a few seconds
BUILD = 300.0  # seconds to wait for a build: generous, only a hang runs out of it
ON_LINUX = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc")

# Sets SIGINT as told (SIG_IGN: as under a test runner started with SIGINT ignored,
# which its children inherit), then becomes `almanac preview ARGS`: same process.
LAUNCH = ("import os, signal, sys; signal.signal(signal.SIGINT, getattr(signal, sys.argv[1])); "
          "os.execv(sys.executable, [sys.executable, '-m', 'almanac', 'preview', *sys.argv[2:]])")


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=BUILD) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def raw_get(port: int, path: str, host: str | None = None) -> int:
    """A request with the path and ``Host`` sent exactly as given (no client-side
    normalising); the status code."""
    host = f"127.0.0.1:{port}" if host is None else host
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
                     .encode())
        head = b""
        while b"\r\n" not in head and (chunk := sock.recv(64)):
            head += chunk
        return int(head.split()[1])


def save(path: Path, text: str) -> None:
    """Save as an editor does, in one step: a watcher never sees the file half written
    (the temporary file's name starts with a dot, so the preview ignores it)."""
    temporary = path.with_name(f".{path.name}.saving")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def wait_for(condition, timeout=BUILD, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


class Running:
    """An `almanac preview` process: its address, its output, its state."""

    def __init__(self, process: subprocess.Popen, project: Path, errors: Path):
        self.process = process
        self.project = project
        self.errors = errors  # the file its standard error goes to
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = ""
        self.port = 0

    def _read(self) -> None:
        with self.process.stdout:
            for line in self.process.stdout:
                self._lines.put(line.rstrip("\n"))
        self._lines.put(None)  # the end: it and every process it started closed stdout

    def line(self, timeout: float = BUILD) -> str | None:
        """Its next line of output; None at the end."""
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output for {timeout} s; stderr:\n{self.stderr()}")

    def rest(self) -> list[str]:
        """The lines it printed that were not read yet, up to the end."""
        lines = []
        while (line := self.line()) is not None:
            lines.append(line)
        return lines

    def stderr(self) -> str:
        return self.errors.read_text(encoding="utf-8", errors="replace")

    def state(self) -> dict:
        return json.loads(get(self.url + "state.json")[1])

    def wait(self, timeout: float = 60) -> int:
        """Its exit code, once it exits; killed if it has not within ``timeout``."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"still running after {timeout} s; stderr:\n"
                                 f"{self.stderr()}")

    def stop(self) -> int:
        """Stop it as a service manager or a test runner does (SIGTERM); its exit code.
        A first build still running is finished first."""
        if self.process.poll() is None:
            self.process.terminate()
        return self.wait(BUILD)


@pytest.fixture
def start_preview(tmp_path):
    """Starts `almanac preview PROJECT --port 0 OPTIONS` as a user does, in a session of
    its own, and returns once it has printed its address; stopped (SIGTERM) at the end."""
    started: list[Running] = []

    def start(project: Path, *options: str, sigint: str = "SIG_DFL",
              env: dict[str, str] | None = None) -> Running:
        errors = tmp_path / f"preview-{len(started)}.stderr"
        with errors.open("w", encoding="utf-8") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-c", LAUNCH, sigint, str(project), "--port", "0", *options],
                stdout=subprocess.PIPE, stderr=stderr, text=True, env=env,
                start_new_session=True)
        running = Running(process, project, errors)
        started.append(running)
        line = running.line() or ""
        assert re.fullmatch(r"Preview of .+ at http://127\.0\.0\.1:\d+/ \(Ctrl-C to stop\)",
                            line), line + running.stderr()
        running.url = line.split(" at ")[1].split(" ")[0]
        running.port = int(running.url.rsplit(":", 1)[1].strip("/"))
        return running

    yield start
    codes: list[int | str] = []
    for running in started:
        try:
            codes.append(running.stop())
        except AssertionError as exc:  # stop the others all the same
            codes.append(str(exc))
    assert codes == [0] * len(started), [running.stderr() for running in started]


@pytest.fixture
def preview_process(small_warm, start_preview) -> Running:
    """`almanac preview` of a whole (two-chapter) report, its first build done."""
    running = start_preview(small_warm)
    assert (running.line() or "").startswith("built in "), running.stderr()
    return running


@pytest.mark.slow
def test_serves_only_the_preview(warm, start_preview):
    running = start_preview(warm, "--chapter", CHAPTER)
    assert (running.line() or "").startswith("built in "), running.stderr()
    url, port = running.url, running.port
    assert get(url)[0] == 200
    assert get(url + "page/1.png")[1].startswith(b"\x89PNG")
    assert get(url + "report.pdf")[1].startswith(b"%PDF-")
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/page/../../etc/passwd",
                 "/report.yaml", "/styles/brand.yaml", "/page/999.png", "/chapters/"):
        assert raw_get(port, path) == 404, path
    # Only the names it was started for: a DNS-rebinding page (its own name resolved to
    # 127.0.0.1) gets nothing, neither the page nor the unpublished PDF.
    for host in (f"localhost:{port}", f"LOCALHOST:{port}", f"[::1]:{port}"):
        assert raw_get(port, "/report.pdf", host) == 200, host
    for host in (f"attacker.example:{port}", "attacker.example", f"127.0.0.1:{port + 1}",
                 "127.0.0.1", f"localhost.attacker.example:{port}", ""):
        assert raw_get(port, "/report.pdf", host) == 421, host
        assert raw_get(port, "/", host) == 421, host


# --------------------------------------------------------------------------- processes

@dataclass(frozen=True)
class Process:
    pid: int
    started: str  # its start time (clock ticks after boot): a pid may be used again
    command: str


def _stat(pid: int) -> tuple[int, str, str] | None:
    """(parent pid, start time, state) of a process, None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (command name) "
    return int(fields[1]), fields[19], fields[0]


def _pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def descendants(pid: int) -> list[Process]:
    """The processes ``pid`` started, and the ones they started, running now."""
    children: dict[int, list[int]] = {}
    for other in _pids():
        if (stat := _stat(other)) is not None:
            children.setdefault(stat[0], []).append(other)
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        stat = _stat(child)
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if stat is not None:
            found.append(Process(child, stat[1], command))
            todo.extend(children.get(child, []))
    return found


def still_running(processes: list[Process]) -> list[Process]:
    """Those of ``processes`` that have not exited (a zombie has exited)."""
    return [p for p in processes
            if (stat := _stat(p.pid)) is not None and stat[1] == p.started and stat[2] != "Z"]


def with_environment(entry: str) -> list[int]:
    """The running processes (of this user) whose environment has ``entry``."""
    wanted = entry.encode() + b"\0"
    found = []
    for pid in _pids():
        try:
            environment = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if environment.startswith(wanted) or b"\0" + wanted in environment:
            found.append(pid)
    return found


def ignores(pid: int, signum: int) -> bool:
    status = Path(f"/proc/{pid}/status").read_text()
    mask = int(re.search(r"^SigIgn:\s*([0-9a-f]+)$", status, re.M).group(1), 16)
    return bool(mask >> (signum - 1) & 1)


@ON_LINUX
@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGTERM, with SIGINT ignored", "Ctrl-C"])
def test_stops_cleanly(how, warm, tmp_path, start_preview):
    """Stopped by a service manager or a test runner (SIGTERM; a runner may have
    started it with SIGINT ignored) or by Ctrl-C in its terminal (SIGINT to its
    process group), it exits with 0 and leaves nothing behind: no build server, no
    build, no chart worker, no temporary folder."""
    tmp = tmp_path / "tmp"  # its TMPDIR, and so that of everything it starts
    tmp.mkdir()
    ctrl_c = how == "Ctrl-C"
    running = start_preview(warm, "--chapter", CHAPTER,
                            sigint="SIG_DFL" if ctrl_c else "SIG_IGN",
                            env={**os.environ, "TMPDIR": str(tmp)})
    pid = running.process.pid
    assert ignores(pid, signal.SIGINT) is not ctrl_c
    built = running.line()
    assert re.fullmatch(r"built in \d+\.\d s", built or ""), (built, running.stderr())
    helpers = descendants(pid)
    assert [p for p in helpers if "almanac.preview.buildserver" in p.command], helpers
    assert list(tmp.glob("almanac-preview-*"))  # where it draws the pages
    assert pid in with_environment(f"TMPDIR={tmp}")

    if ctrl_c:
        os.killpg(pid, signal.SIGINT)  # as the terminal does: to the whole group
    else:
        os.kill(pid, signal.SIGTERM)
    assert running.wait() == 0, running.stderr()  # within a minute: not hung
    assert running.rest() == []  # nothing after "built in"
    assert "Traceback" not in running.stderr(), running.stderr()
    assert still_running(helpers) == []
    assert with_environment(f"TMPDIR={tmp}") == []  # nor one it started since
    assert list(tmp.glob("almanac-preview-*")) == []


@pytest.mark.slow
def test_quiet_prints_only_the_address(warm, start_preview):
    running = start_preview(warm, "--chapter", CHAPTER, "-q")
    wait_for(lambda: (s := running.state())["pages"] and not s["building"])
    assert get(running.url + "page/1.png")[0] == 200  # drawn: the first build is over
    assert running.stop() == 0
    assert running.rest() == []  # the address line was all (start_preview read it)


# --------------------------------------------------------------------------- the network

def _address(hexadecimal: str) -> str:
    """An address of /proc/net/tcp{,6}: 32-bit words in hex, each in host byte order."""
    words = [int(hexadecimal[i:i + 8], 16) for i in range(0, len(hexadecimal), 8)]
    return str(ipaddress.ip_address(struct.pack(f"={len(words)}I", *words)))


def listening(pid: int) -> list[tuple[str, int]]:
    """(address, port) of each TCP socket the process ``pid`` listens on."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for row in path.read_text().splitlines()[1:]:
            fields = row.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes:  # 0A: LISTEN
                address, port = local.split(":")
                found.append((_address(address), int(port, 16)))
    return found


def other_addresses() -> set[str]:
    """This machine's addresses other than loopback (and IPv6 link-local)."""
    found = set()
    try:  # the IPv4 routing table: every local address, one per "/32 host LOCAL"
        rows = Path("/proc/net/fib_trie").read_text().splitlines()
        found |= {previous.split()[-1] for previous, row in zip(rows, rows[1:])
                  if "/32 host LOCAL" in row}
    except OSError:
        pass
    try:  # IPv6: address, interface number, prefix, scope (0: global), flags, name
        for row in Path("/proc/net/if_inet6").read_text().splitlines():
            fields = row.split()
            if fields[3] == "00":
                found.add(str(ipaddress.ip_address(bytes.fromhex(fields[0]))))
    except OSError:
        pass
    try:
        found |= set(socket.gethostbyname_ex(socket.gethostname())[2])
    except OSError:
        pass
    return {a for a in found if not ipaddress.ip_address(a).is_loopback}


@ON_LINUX
@pytest.mark.slow
def test_binds_to_loopback_only(warm, start_preview):
    running = start_preview(warm, "--chapter", CHAPTER, "-q")
    pid = running.process.pid
    assert listening(pid) == [("127.0.0.1", running.port)]
    for helper in descendants(pid):  # the build server listens on nothing
        assert listening(helper.pid) == [], helper
    for address in other_addresses():  # e.g. the LAN's: nobody there
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address, running.port), timeout=60).close()
    assert get(running.url + "state.json")[0] == 200  # and it does answer on loopback


# --------------------------------------------------------------------------- rebuilding

@pytest.mark.slow
def test_rebuilds_on_change_and_keeps_last_good_pages(preview_process):
    url, project, state = preview_process.url, preview_process.project, preview_process.state
    before = state()
    path = project / BRAND
    save(path, path.read_text().replace('"#15396B"', '"#7A1F5C"'))
    after = wait_for(lambda: (s := state())["version"] > before["version"]
                     and not s["building"] and s)
    assert after["error"] is None
    assert after["pages"][0]["url"] != before["pages"][0]["url"]  # the cover changed
    chapter = project / "chapters/03-inzetbaarheid/chapter.yaml"
    good = chapter.read_text()
    save(chapter, good.replace("sections:\n", "sections:\n  - title: [kapot\n", 1))
    failed = wait_for(lambda: (s := state())["error"] and s)
    assert failed["error"][0]["file"] == "chapters/03-inzetbaarheid/chapter.yaml"
    assert failed["error"][0]["line"]
    assert failed["pages"] == after["pages"]  # the last good pages stay
    assert get(url + failed["pages"][0]["url"].lstrip("/"))[0] == 200
    save(chapter, good)
    restored = wait_for(lambda: (s := state())["error"] is None and not s["building"]
                        and s["version"] > failed["version"] and s)
    # a designer's first override of the built-in theme: a folder made while it runs
    (project / "layout").mkdir()
    save(project / "layout" / "cover.html", '{% extends "almanac/cover.html" %}\n')
    wait_for(lambda: (s := state())["version"] > restored["version"] and not s["building"]
             and s["error"] is None)


def test_a_change_to_a_catalogue_rebuilds(tmp_path, monkeypatch):
    """A project's ``locale/<tag>.po`` is watched as its styles are; the watcher alone is
    run here (no build server, the build recorded instead of made)."""
    from almanac.preview import session
    from almanac.project.scaffold import new_project

    project = tmp_path / "r"
    new_project(project, language="en")
    (project / "locale").mkdir()
    monkeypatch.setattr(session.buildserver, "available", lambda: False)
    preview = session.Preview(project)
    rebuilt = threading.Event()
    monkeypatch.setattr(preview, "rebuild", lambda wait=True: rebuilt.set())
    stop = threading.Event()
    watcher = threading.Thread(target=preview.watch, args=(stop,), daemon=True)
    watcher.start()
    try:
        for attempt in range(120):  # the watcher may start after the first save
            save(project / "locale" / "en.po", f'msgid "Colophon"\nmsgstr "Credits {attempt}"\n')
            if rebuilt.wait(0.5):
                break
        assert rebuilt.is_set()
    finally:
        stop.set()
        watcher.join(30)
        preview.close()


@pytest.mark.slow
def test_only_changed_pages_are_drawn_again(warm):
    from almanac.preview.session import Preview

    preview = Preview(warm)
    try:
        first = preview.rebuild()
        assert first.error is None and preview.rasterised == len(first.pages)
        chapter = warm / "chapters/07-resultaten/chapter.yaml"
        chapter.write_text(chapter.read_text().replace("Mensenhandel is een ernstige",
                                                       "Mensenhandel is een zeer ernstige"))
        second = preview.rebuild()
        assert second.error is None
        assert 0 < preview.rasterised <= 3, preview.rasterised
    finally:
        preview.close()


@pytest.mark.slow
def test_one_chapter_preview(warm):
    from almanac.pipeline import load
    from almanac.preview.session import Preview

    preview = Preview(warm, chapter=CHAPTER)
    try:
        state = preview.rebuild()
        assert state.error is None and 2 <= len(state.pages) <= 6
        titles = [c["title"] for c in state.chapters]
        # the chapter, then at most the appendix with its charts' data
        assert titles[0] == "Inzetbaarheid" and len(titles) <= 2
        others = {chapter.data.title for chapter in load(warm).chapters} - {"Inzetbaarheid"}
        assert not others & set(titles)
    finally:
        preview.close()
    wrong = Preview(warm, chapter="99-niets")
    try:
        assert "no chapter '99-niets'" in wrong.rebuild().error[0]["message"]
    finally:
        wrong.close()


# --------------------------------------------------------------------------- in a browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture
def browser(tmp_path):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.fail("the browser test needs Debian's chromium and chromium-driver "
                    "(.ci/setup installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_window_size(1400, 1000)
    yield driver
    driver.quit()


@pytest.mark.slow
def test_in_a_real_browser(preview_process, browser):
    url, project = preview_process.url, preview_process.project
    browser.get(url)
    cover = lambda: browser.execute_script(  # noqa: E731
        "const i = document.querySelector('#page-1 img');"
        "return i && i.complete && i.naturalWidth ? i.getAttribute('src') : null;")
    first = wait_for(cover)
    # Its inline style applies under its Content-Security-Policy (the script does:
    # it drew the cover), and nothing was refused.
    assert browser.execute_script(
        "return getComputedStyle(document.body).backgroundColor") == "rgb(91, 100, 112)"
    assert not [entry for entry in browser.get_log("browser")
                if "Content Security Policy" in entry["message"]]
    pixel = lambda: browser.execute_script(  # noqa: E731 (a pixel of the cover's band)
        "const i = document.querySelector('#page-1 img');"
        "if (!(i && i.complete && i.naturalWidth)) return null;"
        "const c = document.createElement('canvas');"
        "c.width = i.naturalWidth; c.height = i.naturalHeight;"
        "const x = c.getContext('2d'); x.drawImage(i, 0, 0);"
        "return Array.from(x.getImageData(c.width * 0.3, c.height * 0.62, 1, 1).data);")
    before = wait_for(pixel)
    path = project / BRAND
    save(path, path.read_text().replace('"#15396B"', '"#7A1F5C"'))
    wait_for(lambda: cover() not in (None, first))  # the tab refreshed by itself
    wait_for(lambda: pixel() not in (None, before))
    chapter = project / "chapters/01-voorwoord/chapter.yaml"
    good = chapter.read_text()
    save(chapter, "title: [kapot\n" + good)
    shown = wait_for(lambda: browser.execute_script(
        "const e = document.getElementById('error');"
        "return e.classList.contains('shown') ? e.textContent : null;"))
    assert "chapters/01-voorwoord/chapter.yaml:" in shown and "invalid YAML" in shown
    assert browser.execute_script("return document.querySelectorAll('.page img').length") > 5
    save(chapter, good)
    wait_for(lambda: browser.execute_script(
        "return !document.getElementById('error').classList.contains('shown');"))
    assert cover()


# --------------------------------------------------------------------------- hostile use

def threads(pid: int) -> int:
    """The number of threads of the process ``pid``, as the kernel counts them."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^Threads:\s*(\d+)$", status, re.M).group(1))


def exchange(port: int, request: bytes, timeout: float = 60) -> bytes:
    """Send ``request`` as it is and read the whole answer (the server closes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def request(path: bytes | str, port: int, *headers: str) -> bytes:
    path = path.encode() if isinstance(path, str) else path
    lines = [f"Host: 127.0.0.1:{port}", *headers, "Connection: close"]
    return b"GET " + path + b" HTTP/1.1\r\n" + "".join(f"{h}\r\n" for h in lines).encode() \
        + b"\r\n"


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def header(answer: bytes, name: str) -> str | None:
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    found = re.search(rf"^{name}:\s*(.*?)\s*$", head, re.M | re.I)
    return found.group(1) if found else None


@pytest.mark.parametrize("option", [
    ("--port", "70000"), ("--port", "65536"), ("--port", "-1"), ("--port", "+80"),
    ("--port", "1_000"), ("--port", "٣٠٠٠"), ("--port", "８０"), ("--port", "http"),
    ("--port", ""), ("--host", "256.1.1.1"), ("--host", "127.1"), ("--host", "1.2.3.4.5"),
    ("--host", "no-such-host.invalid"), ("--host", "bad_name!"), ("--host", "-x"),
    ("--host", "a" * 300)])
def test_usage_errors_name_the_valid_form(option, small, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    ran = cli("preview", str(small), f"{option[0]}={option[1]}")
    assert ran.returncode == 2, ran
    expected = "from 0 to 65535" if option[0] == "--port" else "give an IP address"
    assert f"argument {option[0]}" in ran.stderr and expected in ran.stderr, ran.stderr
    assert "Traceback" not in ran.stderr
    assert not list(tmp_path.glob("almanac-preview-*"))


@ON_LINUX
@pytest.mark.parametrize("taken", ["a port in use", "an address of another machine"])
def test_a_failed_start_says_why_and_leaves_nothing(taken, small, tmp_path):
    """A busy port or an address that is not this machine's: a message with the fix,
    exit 1, and no temporary folder, build server or other process left behind."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    with socket.socket() as other:  # another program on the port
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        host = "127.0.0.1" if taken == "a port in use" else "192.0.2.1"  # TEST-NET-1
        ran = subprocess.run([sys.executable, "-m", "almanac", "preview", str(small),
                              "--port", str(port), "--host", host],
                             capture_output=True, text=True, timeout=BUILD,
                             env={**os.environ, "TMPDIR": str(tmp)})
    assert ran.returncode == 1, ran
    assert "Traceback" not in ran.stderr and ran.stdout == "", ran
    if taken == "a port in use":
        assert f"port {port} is in use" in ran.stderr and "fix:" in ran.stderr
        assert "--port N" in ran.stderr and "another almanac preview" in ran.stderr
    else:
        assert "192.0.2.1 is not an address of this machine" in ran.stderr
        assert "fix: use --host 127.0.0.1" in ran.stderr
    assert list(tmp.iterdir()) == []
    assert with_environment(f"TMPDIR={tmp}") == []  # no build server left running


STARTS_AND_IS_STOPPED = """
import os, signal, sys
from pathlib import Path
from almanac.preview.server import serve
def announce(text):  # the preview exists and listens; its threads are not started
    print(text, flush=True)
    os.kill(os.getpid(), signal.SIGTERM)
serve(Path(sys.argv[1]), port=0, announce=announce)
print("stopped", flush=True)
"""


@ON_LINUX
def test_sigterm_while_starting_leaves_nothing(small, tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    ran = subprocess.run([sys.executable, "-c", STARTS_AND_IS_STOPPED, str(small)],
                         capture_output=True, text=True, timeout=BUILD,
                         env={**os.environ, "TMPDIR": str(tmp)})
    assert ran.returncode == 0 and ran.stdout.endswith("stopped\n"), ran
    assert "Traceback" not in ran.stderr, ran.stderr
    assert list(tmp.iterdir()) == []
    assert with_environment(f"TMPDIR={tmp}") == []


ODD_PATHS = [
    b"/page/\xb2.png",  # a superscript two in Latin-1, as http.server decodes a request
    "/page/².png".encode(), "/page/٣.png".encode(), "/page/３.png".encode(),
    b"/page/-1.png", b"/page/+1.png", b"/page/1_0.png", b"/page/0.png", b"/page/01.png",
    b"/page/%201.png", b"/page/1.5.png", b"/page/99999999999999999999.png",
    b"/page/" + b"9" * 5000 + b".png",  # past int()'s limit on digits: a ValueError
    b"/page/1.png?x", b"/page/1.png?v=0000000000000000", b"/page/1.png?v=1&v=2",
    b"/page/1.PNG", b"/page//1.png", b"/page/%31.png", b"/?x", b"/" + b"a" * 60000,
    b"/%00", b"/report.pdf/", b"/state.json/../report.yaml"]


@pytest.mark.slow
def test_odd_urls_are_not_found(preview_process):
    port = preview_process.port
    first = preview_process.state()["pages"][0]["url"]
    answer = exchange(port, request(first, port))
    assert status(answer) == 200 and "immutable" in header(answer, "Cache-Control")
    answer = exchange(port, request("/page/1.png", port))  # the current drawing, any
    assert status(answer) == 200 and header(answer, "Cache-Control") == "no-store"
    for path in ODD_PATHS:
        answer = exchange(port, request(path, port))
        assert status(answer) == 404, (path[:60], answer[:200])
        assert header(answer, "Cache-Control") == "no-store"
    too_long = exchange(port, request(b"/" + b"a" * 70000, port))
    assert status(too_long) == 431
    many = exchange(port, request("/", port, *(f"X-{n}: {'y' * 900}" for n in range(80))))
    assert status(many) == 431
    assert status(exchange(port, request("/state.json", port))) == 200  # still serving
    assert "Traceback" not in preview_process.stderr(), preview_process.stderr()


@pytest.mark.slow
def test_only_reads_no_cross_site_requests_and_safe_headers(preview_process):
    """Nothing a page of another site can make it do (Fetch Metadata), nothing that
    changes state, and headers that keep a browser from guessing or framing."""
    port = preview_process.port
    for path in ("/", "/state.json", "/events", "/report.pdf", "/page/1.png"):
        for site in ("cross-site", "same-site"):
            answer = exchange(port, request(path, port, f"Sec-Fetch-Site: {site}"))
            assert status(answer) == 403, (path, site)
    for site in ("same-origin", "none"):
        assert status(exchange(port, request("/report.pdf", port,
                                             f"Sec-Fetch-Site: {site}"))) == 200
    for method in ("POST", "PUT", "DELETE", "HEAD", "OPTIONS"):
        answer = exchange(port, f"{method} / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                          "Content-Length: 0\r\n\r\n".encode())
        assert status(answer) == 501, method
        assert header(answer, "X-Content-Type-Options") == "nosniff"
    page = exchange(port, request("/", port))
    policy = header(page, "Content-Security-Policy")
    assert "default-src 'none'" in policy and "script-src 'sha256-" in policy
    assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    for answer in (page, exchange(port, request("/report.pdf", port)),
                   exchange(port, request("/nothing", port))):
        assert header(answer, "X-Content-Type-Options") == "nosniff"
        assert header(answer, "Cross-Origin-Resource-Policy") == "same-origin"
        assert header(answer, "Cache-Control") == "no-store"
    # Smuggling: a second request in the body of the first is never answered.
    smuggled = request("/state.json", port)
    answer = exchange(port, (f"GET /state.json HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                             f"Content-Length: {len(smuggled)}\r\nTransfer-Encoding: chunked"
                             "\r\n\r\n").encode() + smuggled)
    assert answer.count(b"HTTP/1.") == 1 and status(answer) == 200


@ON_LINUX
@pytest.mark.slow
def test_bounded_under_load(preview_process):
    """Half-sent requests hold no thread and keep no request out; a thousand at once
    are all answered; event streams beyond the cap get 503 with Retry-After; dropped
    downloads leave no traceback and no thread stuck."""
    from almanac.preview.server import Limits

    port, pid, limits = preview_process.port, preview_process.process.pid, Limits()
    before = threads(pid)
    half = []
    for _ in range(limits.waiting + 100):  # slowloris: a head that never ends
        sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        sock.sendall(f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Wait: ".encode())
        half.append(sock)
    assert status(exchange(port, request("/state.json", port))) == 200
    assert threads(pid) <= before  # reading heads takes no thread
    for sock in half:
        sock.close()

    burst = []
    for _ in range(1000):  # a thousand clients at once, more than Python's backlog of 5
        sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        sock.sendall(request("/state.json", port))
        burst.append(sock)
    answered = 0
    for sock in burst:
        with sock:
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
            answered += status(answer) == 200
    assert answered == 1000
    assert threads(pid) <= before

    streams = []
    for _ in range(limits.streams):
        sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        sock.sendall(request("/events", port))
        assert sock.recv(12) == b"HTTP/1.0 200", "a stream within the cap"
        streams.append(sock)
    refused = exchange(port, request("/events", port))
    assert status(refused) == 503 and header(refused, "Retry-After")
    assert status(exchange(port, request("/state.json", port))) == 200  # others still are
    assert threads(pid) <= before
    streams.pop().close()  # a tab closed: its place is free once the server notices
    wait_for(lambda: _stream_opens(port), step=1)
    for sock in streams:
        sock.close()

    for _ in range(3 * limits.handlers):  # downloads dropped half-way
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        sock.sendall(request("/report.pdf", port))
        sock.recv(100)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()  # a reset, as a browser's cancelled download
    results = []
    workers = [threading.Thread(target=lambda: results.append(
        status(exchange(port, request("/report.pdf", port))))) for _ in range(limits.handlers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=BUILD)
    assert results == [200] * limits.handlers  # no thread is stuck on a dropped one
    assert threads(pid) <= before
    assert "Traceback" not in preview_process.stderr(), preview_process.stderr()


def _stream_opens(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(request("/events", port))
        return sock.recv(12) == b"HTTP/1.0 200"


def test_a_head_sent_too_slowly_is_cut(small):
    """Slowloris: a client that sends its request a byte at a time is answered 408
    at the head time limit, not served whenever it is done."""
    from almanac.preview.server import Limits, make_server
    from almanac.preview.session import Preview

    preview = Preview(small)
    server = make_server(preview, port=0, limits=Limits(head_timeout=1))
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        port = server.server_port
        slow = request("/state.json", port)  # sent over 30 s, 30 times the limit
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            answer = b""
            for byte in slow:
                if select.select([sock], [], [], 0)[0]:  # answered (and closed)
                    break
                sock.send(bytes([byte]))
                time.sleep(30 / len(slow))
            while chunk := sock.recv(4096):
                answer += chunk
        assert status(answer) == 408, answer
    finally:
        server.shutdown()
        server.server_close()
        preview.close()
