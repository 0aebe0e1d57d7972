"""Fixtures and helpers shared by every test module.

The fixture ladder: the sample project (the repository itself) is copied once
per test run and built once per run — whichever pytest-xdist worker asks first
builds it under a file lock, the others reuse its PDF — as are the print
variant and the published edition. Those are read-only; a test that changes
input works on a private copy (``project``).
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock
from pypdf import PdfReader

from almanac.pipeline import build, load
from almanac.project import theme
from almanac.project.parts import copy_sources
from almanac.reporter import BufferReporter

from pdfread import page_zones, squash

# The command line and the preview speak the user's language, read from these variables
# (almanac.text.messages.interface_language): the tests start from none of them set
# (English), whatever the machine's; a test about another language sets its own.
for _variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
    os.environ.pop(_variable, None)

ROOT = Path(__file__).resolve().parent.parent
SEED = Path(__file__).resolve().parent / "fixtures" / "jaarverslag-2021-eenheid-limburg.txt"
INZET = "chapters/03-inzetbaarheid/chapter.yaml"
RESULTATEN = "chapters/07-resultaten/chapter.yaml"
VOORWOORD = "chapters/01-voorwoord/chapter.yaml"
BRAND = "styles/brand.yaml"
OVERVALLEN = "chapters/07-resultaten/data/overvallen.csv"
PHOTO = "        motif: classroom\n"  # a photo block in INZET


def copy_project(target: Path) -> Path:
    """A private copy of the sample project that a test may break."""
    return copy_sources(ROOT, target)


FAMILY = Path(__file__).resolve().parent / "fixtures" / "family"


def family_project(tmp_path: Path, name: str = "family") -> Path:
    """A private copy of the test family (``tests/fixtures/family``): three members
    NLD, NOR, PRT in ``data/members.csv`` (code, name, population, life_expectancy);
    ``{{ member.name }}`` in the title, subject, keywords, lead, heading, prose and
    captions; numbers ``population`` and ``life_expectancy`` from the member's row
    (``column:``); the series ``gdp`` narrowed by ``select:`` (country = name) into a
    table; the series ``history`` from the per-member file ``data/{member}.csv``, drawn
    by a line chart that differs per member. Returns the project folder
    ``tmp_path / name``."""
    return Path(shutil.copytree(FAMILY, tmp_path / name))


def override(project: Path, relative: str) -> Path:
    """The project's own copy of a file of the built-in theme (``layout/x.html``,
    ``styles/x.css``): copied from the theme if the project has none yet, as a
    designer starts an override."""
    path = project / relative
    if not (path.exists() or path.is_symlink()):
        kind, _, name = relative.partition("/")
        original = theme.THEME / kind / name
        if original.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(original, path)
    return path


def edit(project: Path, relative: str, old: str, new: str, count: int = 1) -> int:
    """Replace ``old`` by ``new`` in a project file (a theme file is copied into the
    project first, see :func:`override`); return the line of the change."""
    path = override(project, relative)
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {relative}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line


def snapshot(folder: Path, mtimes: bool = False) -> dict[str, object]:
    """Every file under ``folder`` (hidden ones included) with its SHA-256, and its
    modification time when ``mtimes`` (to tell a rewrite of the same bytes)."""
    found: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[str(path.relative_to(folder))] = (digest, path.stat().st_mtime) \
                if mtimes else digest
    return found


def almanac(*args: str, cwd: Path | None = None, timeout: float = 300,
            **options) -> subprocess.CompletedProcess:
    """The command line as a user runs it, in a process of its own."""
    return subprocess.run([sys.executable, "-m", "almanac", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout, **options)


@dataclass
class Ran:
    """What a command run in this process did: its exit code and what it printed."""
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys) -> Callable[..., Ran]:
    """The command line run in the test's own process (``almanac.cli.main``), for tests
    about what a command does rather than about the process it runs in: the same
    code, without paying a new interpreter's imports each time."""
    from almanac.cli import main

    def run(*args: str) -> Ran:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exit:  # argparse's usage errors
            code = int(exit.code or 0)
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


# --------------------------------------------------------------------------- breaking inputs

def png(path: Path, width: int, height: int) -> Path:
    """A mostly single-colour PNG (it compresses to a few hundred KB at most)."""
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("1", (width, height), 1).save(path, optimize=True)
    return path


def add_photo(project: Path, image: str) -> int:
    """Give the photo block of INZET an image file; return the line of ``image:``."""
    return edit(project, INZET, PHOTO, PHOTO + f"        image: {image}\n") + 1


def figure(project: Path, source: str) -> None:
    """Replace the 'normen' figure module (used in RESULTATEN)."""
    (project / "figures" / "normen.py").write_text(source, encoding="utf-8")


def csv_file(project: Path, body: bytes | str) -> None:
    path = project / OVERVALLEN
    path.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))


def saved_as_excel_would(path: Path, values: dict[str, object], sheet: int = 1) -> None:
    """Give the formula cells of the workbook ``path`` (written by openpyxl, which saves
    formulas without a value) the values Excel saves with them (ECMA-376 Part 1,
    18.3.1.4 ``c``: the ``f`` formula and its cached ``v`` value; ``t="e"`` an error
    value, ``t="str"`` a text), by cell reference: ``{"B3": 150, "C4": "#DIV/0!"}``."""
    import re
    import zipfile
    from xml.sax.saxutils import escape

    name = f"xl/worksheets/sheet{sheet}.xml"
    with zipfile.ZipFile(path) as package:
        parts = {info.filename: package.read(info) for info in package.infolist()}
    xml = parts[name].decode("utf-8")
    for reference, value in values.items():
        kind = "e" if isinstance(value, str) and value.startswith("#") else \
            "str" if isinstance(value, str) else "n"
        # openpyxl writes the empty value as <v/>, or as <v></v> when it writes with lxml
        pattern = re.compile(rf'<c r="{reference}"([^>]*)><f>(.*?)</f>(?:<v\s*/>|<v></v>)</c>')
        found = pattern.search(xml)
        assert found, f"{reference} is not a formula cell without a value"
        attributes = re.sub(r" t=.[a-z]+.", "", found[1])
        xml = xml.replace(found[0], f'<c r="{reference}"{attributes} t="{kind}"><f>{found[2]}'
                          f'</f><v>{escape(str(value))}</v></c>')
    parts[name] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for filename, data in parts.items():
            package.writestr(filename, data)


# --------------------------------------------------------------------------- shared builds

def _shared(tmp_path_factory, worker_id: str, name: str,
            make: Callable[[Path], dict]) -> tuple[Path, dict]:
    """``make(folder)`` run once per test run, by whichever worker comes first; the
    other workers wait for it and reuse what it made (its folder and its record)."""
    base = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # pytest-xdist: the folder all workers of this run share
        base = base.parent
    folder, record = base / name, base / f"{name}.json"
    with FileLock(str(base / f"{name}.lock")):
        if not record.is_file():
            made = make(folder)
            record.write_text(json.dumps(made), encoding="utf-8")
    return folder, json.loads(record.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Built:
    """The sample built once (strict): its PDF and what the build reported."""

    path: Path
    pages: int
    steps: list[str]
    warnings: list[str]


def _build_sample(folder: Path) -> dict:
    project = copy_project(folder / "project")
    reporter = BufferReporter()
    result = build(project, strict=True, reporter=reporter)
    return {"pdf": str(result.path), "pages": result.pages, "steps": reporter.steps,
            "warnings": reporter.warnings}


@pytest.fixture(scope="session")
def sample(tmp_path_factory, worker_id) -> tuple[Path, dict]:
    return _shared(tmp_path_factory, worker_id, "sample", _build_sample)


@pytest.fixture(scope="session")
def sample_dir(sample) -> Path:
    """The sample project, built; read-only (copy it to change it)."""
    return sample[0] / "project"


@pytest.fixture(scope="session")
def built(sample) -> Built:
    record = sample[1]
    return Built(Path(record["pdf"]), record["pages"], record["steps"], record["warnings"])


@pytest.fixture(scope="session")
def pdf_path(built) -> Path:
    return built.path


@pytest.fixture(scope="session")
def reader(pdf_path) -> PdfReader:
    return PdfReader(pdf_path)


@pytest.fixture(scope="session")
def report(sample_dir):
    return load(sample_dir)


@pytest.fixture(scope="session")
def zones(reader) -> list[tuple[str, str, str]]:
    """(running header, body, footer) text of every page of the sample PDF."""
    return [page_zones(page) for page in reader.pages]


def chapter_starts_in(report, zones) -> dict[str, int]:
    """The page (from 1) of each chapter's opener: the page whose body opens with
    the chapter's number and title and which has no footer."""
    starts = {}
    for chapter in report.chapters:
        opener = squash(f"{chapter.number:02d}{chapter.data.title}")
        pages = [i + 1 for i, (_, body, footer) in enumerate(zones)
                 if squash(body).startswith(opener) and not footer.strip()]
        assert len(pages) == 1, f"{chapter.data.title}: opener pages {pages}"
        starts[chapter.data.title] = pages[0]
    return starts


@pytest.fixture(scope="session")
def chapter_starts(report, zones) -> dict[str, int]:
    return chapter_starts_in(report, zones)


def _build_print(folder: Path) -> dict:
    project = copy_project(folder / "project")
    result = build(project, variant="print", strict=True)
    return {"pdf": str(result.path), "warnings": result.warnings}


@pytest.fixture(scope="session")
def print_build(tmp_path_factory, worker_id) -> dict:
    """The print variant of the sample, built once (strict)."""
    return _shared(tmp_path_factory, worker_id, "print", _build_print)[1]


@pytest.fixture(scope="session")
def print_pdf(print_build) -> Path:
    return Path(print_build["pdf"])


def _publish_sample(folder: Path) -> dict:
    project = copy_project(folder / "project")
    result = almanac("publish", str(project))  # as a user does, in a process of its own
    assert result.returncode == 0, result.stderr
    return {"pdf": result.stdout.strip()}


@pytest.fixture(scope="session")
def published(tmp_path_factory, worker_id) -> tuple[Path, Path]:
    """The sample published once: (project, the edition's PDF); read-only."""
    folder, record = _shared(tmp_path_factory, worker_id, "published", _publish_sample)
    return folder / "project", Path(record["pdf"])


@pytest.fixture(scope="session")
def starter_edition(tmp_path_factory) -> Path:
    """The PDF of a report as ``almanac new`` writes it, published once in this
    worker; read-only (tests copy the PDF or the project)."""
    from almanac.cli import main

    folder = tmp_path_factory.mktemp("starter-edition")
    assert main(["new", str(folder / "report")]) == 0
    assert main(["publish", "-q", str(folder / "report")]) == 0
    (pdf,) = (folder / "report" / "editions").rglob("*.pdf")
    return pdf


# --------------------------------------------------------------------------- per test

@pytest.fixture
def project(tmp_path) -> Path:
    """A private copy of the sample project."""
    return copy_project(tmp_path / "project")


@pytest.fixture
def warm(project, sample_dir) -> Path:
    """The project with the charts of the sample build in its cache."""
    import shutil

    shutil.copytree(sample_dir / ".almanac-cache" / "charts",
                    project / ".almanac-cache" / "charts")
    return project


SMALL = ("01-voorwoord", "03-inzetbaarheid")  # the foreword; prose, tiles, a chart, photos


def cut_to(project: Path, chapters: tuple[str, ...]) -> Path:
    """``project`` with only ``chapters`` (folders and manifest)."""
    import re
    import shutil

    for folder in (project / "chapters").iterdir():
        if folder.name not in chapters:
            shutil.rmtree(folder)
    listed = "".join(f"  - {name}\n" for name in chapters)
    manifest = project / "report.yaml"
    text, count = re.subn(r"chapters:\n(  - .*\n)+", f"chapters:\n{listed}",
                          manifest.read_text(encoding="utf-8"))
    assert count == 1
    manifest.write_text(text, encoding="utf-8")
    return project


@pytest.fixture
def small(project) -> Path:
    """The sample cut to two chapters (about 9 pages instead of 30), its cache cold: for
    tests about a build's life (kills, concurrency, the preview) rather than its pages."""
    return cut_to(project, SMALL)


@pytest.fixture
def small_warm(warm) -> Path:
    """``small`` with the charts of the sample build in its cache."""
    return cut_to(warm, SMALL)


@pytest.fixture
def earlier(project, pdf_path) -> dict[str, object]:
    """The project with a PDF built earlier in its output folder; returns a snapshot
    of that folder."""
    output = project / "output"
    output.mkdir(exist_ok=True)
    (output / pdf_path.name).write_bytes(pdf_path.read_bytes())
    return snapshot(output)


@pytest.fixture
def recorder():
    """A loopback HTTP server that records every request it gets: (base URL, paths)."""
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server API)
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
    httpd.server_close()


def pytest_addoption(parser):
    parser.addoption(
        "--refresh-references", action="store_true", default=False,
        help="visual tests: write tests/references/*.png from the current build "
             "instead of comparing against them")


def pytest_configure(config):
    """The test process builds dozens of reports in-process. Layout allocates millions
    of short-lived objects and few reference cycles, and with the collector's default
    thresholds (700, 10, 10) it traverses the growing heap over and over; here it runs
    less often. Only this process: what it starts keeps the defaults, and the CLI
    makes its own choice (``almanac.cli.run``)."""
    import gc

    gc.set_threshold(20_000, 50, 50)
