"""The live preview: served safely, rebuilt on change, tested in a real browser."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

BRAND = "styles/brand.yaml"


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def raw_get(port: int, path: str) -> int:
    """A request with the path sent exactly as given (no client-side normalising)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        return int(sock.recv(64).split()[1])


def wait_for(condition, timeout=60.0, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


@pytest.fixture
def server(project):
    """`almanac preview` on a free port, as a user starts it."""
    process = subprocess.Popen([sys.executable, "-m", "almanac", "preview", str(project),
                                "--port", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    assert "http://127.0.0.1:" in line, line + process.stderr.read()
    url = line.split(" at ")[1].split(" ")[0]
    state = lambda: json.loads(get(url + "state.json")[1])  # noqa: E731
    wait_for(lambda: state()["pages"], timeout=120)
    yield url, project, state, process
    process.send_signal(signal.SIGINT)  # Ctrl-C
    try:
        assert process.wait(timeout=15) == 0
    finally:
        process.kill()


def test_serves_only_the_preview(server):
    url, project, state, _ = server
    port = int(url.rsplit(":", 1)[1].strip("/"))
    assert get(url)[0] == 200
    assert get(url + "page/1.png")[1].startswith(b"\x89PNG")
    assert get(url + "report.pdf")[1].startswith(b"%PDF-")
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/page/../../etc/passwd",
                 "/report.yaml", "/styles/brand.yaml", "/page/999.png", "/chapters/"):
        assert raw_get(port, path) == 404, path


def test_binds_to_loopback_only(server):
    url, *_ = server
    assert url.startswith("http://127.0.0.1:")


def test_rebuilds_on_change_and_keeps_last_good_pages(server):
    url, project, state, _ = server
    before = state()
    path = project / BRAND
    path.write_text(path.read_text().replace('"#15396B"', '"#7A1F5C"'))
    after = wait_for(lambda: (s := state())["version"] > before["version"]
                     and not s["building"] and s)
    assert after["error"] is None
    assert after["pages"][0]["url"] != before["pages"][0]["url"]  # the cover changed
    chapter = project / "chapters/03-inzetbaarheid/chapter.yaml"
    good = chapter.read_text()
    chapter.write_text(good.replace("sections:\n", "sections:\n  - title: [kapot\n", 1))
    failed = wait_for(lambda: (s := state())["error"] and s)
    assert failed["error"][0]["file"] == "chapters/03-inzetbaarheid/chapter.yaml"
    assert failed["error"][0]["line"]
    assert failed["pages"] == after["pages"]  # the last good pages stay
    assert get(url + failed["pages"][0]["url"].lstrip("/"))[0] == 200
    chapter.write_text(good)
    wait_for(lambda: (s := state())["error"] is None and not s["building"]
             and s["version"] > failed["version"])


def test_only_changed_pages_are_drawn_again(project):
    from almanac.preview.session import Preview

    preview = Preview(project)
    try:
        first = preview.rebuild()
        assert first.error is None and preview.rasterised == len(first.pages)
        chapter = project / "chapters/07-resultaten/chapter.yaml"
        chapter.write_text(chapter.read_text().replace("Mensenhandel is een ernstige",
                                                       "Mensenhandel is een zeer ernstige"))
        second = preview.rebuild()
        assert 0 < preview.rasterised <= 3, preview.rasterised
    finally:
        preview.close()


def test_one_chapter_preview(project):
    from almanac.preview.session import Preview

    preview = Preview(project, chapter="03-inzetbaarheid")
    try:
        state = preview.rebuild()
        assert state.error is None and 2 <= len(state.pages) <= 6
        assert [c["title"] for c in state.chapters] == ["Inzetbaarheid"]
    finally:
        preview.close()
    wrong = Preview(project, chapter="99-niets")
    try:
        assert "no chapter '99-niets'" in wrong.rebuild().error[0]["message"]
    finally:
        wrong.close()


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


def test_in_a_real_browser(server, browser):
    url, project, state, _ = server
    browser.get(url)
    cover = lambda: browser.execute_script(  # noqa: E731
        "const i = document.querySelector('#page-1 img');"
        "return i && i.complete && i.naturalWidth ? i.getAttribute('src') : null;")
    first = wait_for(cover)
    pixel = lambda: browser.execute_script(  # noqa: E731 (a pixel of the cover's band)
        "const i = document.querySelector('#page-1 img'); const c = document.createElement"
        "('canvas'); c.width = i.naturalWidth; c.height = i.naturalHeight;"
        "const x = c.getContext('2d'); x.drawImage(i, 0, 0);"
        "return Array.from(x.getImageData(c.width * 0.3, c.height * 0.62, 1, 1).data);")
    before = pixel()
    path = project / BRAND
    path.write_text(path.read_text().replace('"#15396B"', '"#7A1F5C"'))
    wait_for(lambda: cover() not in (None, first))  # the tab refreshed by itself
    assert wait_for(lambda: pixel() != before and pixel())
    chapter = project / "chapters/01-voorwoord/chapter.yaml"
    good = chapter.read_text()
    chapter.write_text("title: [kapot\n" + good)
    shown = wait_for(lambda: browser.execute_script(
        "const e = document.getElementById('error');"
        "return e.classList.contains('shown') ? e.textContent : null;"))
    assert "chapters/01-voorwoord/chapter.yaml:" in shown and "invalid YAML" in shown
    assert browser.execute_script("return document.querySelectorAll('.page img').length") > 10
    chapter.write_text(good)
    wait_for(lambda: browser.execute_script(
        "return !document.getElementById('error').classList.contains('shown');"))
    assert cover()
