"""Data cannot become markup, and WeasyPrint reads nothing outside the project."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest
from pypdf import PdfReader

from almanac.stages.fetcher import FetchRefused, ProjectFetcher
from almanac.pipeline import build, load as check_report, render_html
from almanac.reporter import BufferReporter
from test_errors import INZET, edit


@pytest.fixture
def server():
    """A loopback HTTP server that records every request it gets."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/svg+xml")
            self.end_headers()
            self.wfile.write(b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>')

        def log_message(self, *args):
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", requests
    httpd.shutdown()


def test_fetcher_serves_project_files_and_data_uris(tmp_path):
    (tmp_path / "a.css").write_text("p { color: red }")
    fetcher = ProjectFetcher(tmp_path)
    assert fetcher.fetch((tmp_path / "a.css").as_uri()).read() == b"p { color: red }"
    assert fetcher.fetch("data:text/plain,hallo").read() == b"hallo"


def test_fetcher_refuses_everything_else(tmp_path, server):
    url, requests = server
    project = tmp_path / "project"
    project.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("geheim")
    (project / "link.txt").symlink_to(secret)
    fetcher = ProjectFetcher(project)
    for target in (f"{url}/image.svg", "https://example.org/x.png", "ftp://example.org/x",
                   "file:///etc/passwd", secret.as_uri(), f"{project.as_uri()}/../secret.txt",
                   (project / "link.txt").as_uri(), "file://otherhost/etc/passwd"):
        with pytest.raises(FetchRefused):
            fetcher.fetch(target)
    assert requests == []
    assert len(fetcher.refused) == 8


def test_data_is_escaped_and_markdown_cannot_inject_html(project):
    edit(project, INZET, "title: Inzetbaarheid\n", 'title: "Inzet <script>alert(1)</script>"\n')
    edit(project, INZET, "          2021 stond in het teken",
         "          <img src=x onerror=alert(1)> <b>vet</b> [link](javascript:alert(1))\n\n"
         "          2021 stond in het teken")
    html = render_html(check_report(project), reporter=BufferReporter())[0].html
    assert "<script>alert(1)</script>" not in html
    assert "Inzet &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>vet</b>" not in html
    assert 'href="javascript:' not in html


def test_references_outside_the_project_are_not_fetched(project, server, tmp_path):
    url, requests = server
    outside = tmp_path / "outside.svg"
    outside.write_text('<svg xmlns="http://www.w3.org/2000/svg"><text>LEAKED-SECRET</text></svg>')
    edit(project, INZET, "          2021 stond in het teken",
         f"          ![remote]({url}/tracker.svg) ![local]({outside.as_uri()})\n\n"
         "          2021 stond in het teken")
    (project / "styles" / "components.css").open("a").write(
        f"\n.prose {{ background-image: url('{url}/bg.png'); }}\n"
        f"@import url('{url}/more.css');\n")
    reporter = BufferReporter()
    result = build(project, reporter=reporter)
    assert requests == []
    text = "".join(page.extract_text() for page in PdfReader(result.path).pages)
    assert "LEAKED-SECRET" not in text
    assert any("refused" in warning and "127.0.0.1" in warning for warning in reporter.warnings)


def test_strict_build_fails_on_a_refused_resource(project, server, capsys):
    from almanac.cli import main

    url, requests = server
    (project / "styles" / "components.css").open("a").write(
        f"\n.prose {{ background-image: url('{url}/bg.png'); }}\n")
    assert main(["build", str(project), "--strict", "-q"]) == 1
    assert "refused" in capsys.readouterr().err
    assert requests == []
    assert not list(Path(project / "output").glob("*.pdf"))
