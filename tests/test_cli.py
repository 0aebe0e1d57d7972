"""The command line: help, exit codes, output on a terminal and when piped, the
build options (--html, --no-cache, the old --edition) and `extract`'s errors."""

from __future__ import annotations

import fcntl
import html
import os
import pty
import re
import select
import stat
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import pytest
from pypdf import PdfReader

from almanac.cli import main
from almanac.pipeline import load
from almanac.project.parts import CACHE
from almanac.reporter import ConsoleReporter
from almanac.stages.render import STYLESHEETS
from almanac.stages.render import stylesheets as theme_stylesheets
from almanac.stages.variants import VARIANTS

from conftest import almanac, copy_project, edit, override, snapshot
from pdfread import squash

STEPS = ["load", "charts", "render", "typeset", "preflight", "finish"]
CSS_TYPO = ".kpi { colr: red; }"
CSS_WARNING = "styles/components.css: Ignored `colr: red`"
ANSI = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|\][^\x07]*\x07|[()][0-9A-Za-z])")


def add_css_typo(project: Path, rule: str = CSS_TYPO) -> None:
    """A rule WeasyPrint ignores with a warning (the build still succeeds)."""
    with override(project, "styles/components.css").open("a", encoding="utf-8") as stream:
        stream.write(f"\n{rule}\n")


def on_a_terminal(*args: str, timeout: float = 300) -> tuple[int, str, str]:
    """Run ``almanac`` with a pseudo-terminal (250 columns) as its stderr, as at a
    prompt; stdout is piped. Returns (exit code, stdout, what the terminal showed)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))
    # the terminal's own size counts, not the COLUMNS and LINES pytest exports
    env = {name: value for name, value in os.environ.items() if name not in ("COLUMNS", "LINES")}
    try:
        process = subprocess.Popen([sys.executable, "-m", "almanac", *args],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=slave, env=env)
    finally:
        os.close(slave)
    shown = []
    deadline = time.monotonic() + timeout  # only against a hang; never decides a result
    try:
        while True:
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError(f"almanac {' '.join(args)} still runs after {timeout} s")
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the last process holding the terminal has ended
                break
            if not chunk:
                break
            shown.append(chunk)
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)
    screen = ANSI.sub("", b"".join(shown).decode("utf-8", "replace")).replace("\r", "")
    return process.returncode, out.decode("utf-8"), screen


def progress_lines(screen: str) -> list[str]:
    """The step names of the progress lines ("  0.12 s  load     reading ..."), without
    the done line."""
    return [name for name in re.findall(r"^\s*\d+\.\d+ s\s+(\w+)\b", screen, re.MULTILINE)
            if name != "done"]


# --------------------------------------------------------------------------- basics

@pytest.mark.parametrize("command", [[], ["build"], ["check"]])
def test_help(command):
    result = almanac(*command, "--help")
    assert result.returncode == 0
    assert "PROJECT_DIR" in result.stdout or "COMMAND" in result.stdout
    if command == ["build"]:
        assert "--output" in result.stdout and "--quiet" in result.stdout


def test_usage_errors_exit_2(tmp_path):
    assert almanac("build", "--no-such-option").returncode == 2
    assert almanac("frobnicate").returncode == 2
    assert almanac("build", str(tmp_path / "missing")).returncode == 2


def test_check_the_sample(sample_dir, capsys):
    assert main(["check", str(sample_dir)]) == 0
    assert "valid (7 chapters)" in capsys.readouterr().out


def test_not_a_report_folder(tmp_path, capsys):
    assert main(["check", str(tmp_path)]) == 1
    assert "no report.yaml" in capsys.readouterr().err


@pytest.mark.slow
def test_build_prints_the_pdf_path_and_is_quiet_when_piped(small_warm):
    warm = small_warm
    out = warm / "custom" / "verslag.pdf"
    result = almanac("build", "-o", str(out), cwd=warm)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    assert result.stderr == ""  # not a terminal: no progress lines
    assert out.read_bytes().startswith(b"%PDF-")


def test_progress_steps_are_reported(built):
    assert built.steps == STEPS
    assert built.warnings == []


# --------------------------------------------------------------------------- build --html

@pytest.fixture(scope="module")
def html_build(tmp_path_factory, sample_dir) -> tuple[Path, Path, Path]:
    """The sample (its charts cached) built with ``-o uit/verslag.pdf --html
    uit/verslag.html``: (project, PDF, HTML)."""
    import shutil

    folder = tmp_path_factory.mktemp("html")
    project = copy_project(folder / "project")
    shutil.copytree(sample_dir / CACHE / "charts", project / CACHE / "charts")
    pdf, page = folder / "uit" / "verslag.pdf", folder / "uit" / "verslag.html"
    result = almanac("build", str(project), "-o", str(pdf), "--html", str(page))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(pdf)
    return project, pdf, page


@pytest.mark.slow
def test_build_html_writes_the_html_it_typeset_beside_the_pdf(html_build):
    project, pdf, page = html_build
    assert sorted(p.name for p in pdf.parent.iterdir()) == ["verslag.html", "verslag.pdf"]
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)">', text)
    assert stylesheets == [path.as_uri() for path in theme_stylesheets(project, VARIANTS["screen"])]
    assert [Path(url).name for url in stylesheets] == list(STYLESHEETS)  # the theme's
    titles = [chapter.data.title for chapter in load(project).chapters]
    assert len(titles) == 7
    headings = re.findall(r'<h1 class="chapter-title">(.*?)</h1>', text, re.DOTALL)
    assert [html.unescape(heading.strip()) for heading in headings] == titles
    pdf_text = squash("".join(p.extract_text() for p in PdfReader(pdf).pages))
    for title in titles:
        assert squash(title) in pdf_text, title


@pytest.mark.slow
def test_the_html_file_shows_its_charts_where_it_is_written(html_build):
    _, _, page = html_build
    text = page.read_text(encoding="utf-8")
    base = re.search(r'<base href="([^"]+)"', text)
    base_url = html.unescape(base.group(1)) if base else page.as_uri()
    references = [html.unescape(value) for value in re.findall(r'(?:src|href)="([^"]+)"', text)
                  + re.findall(r"url\('([^']+)'\)", text)]
    files = [urljoin(base_url, ref) for ref in references
             if not ref.startswith(("#", "data:"))]
    assert len(files) >= 3 + 6  # the stylesheets and the fonts at least
    missing = [url for url in files if not Path(url2pathname(urlsplit(url).path)).is_file()]
    assert missing == []


@pytest.mark.slow
def test_a_failed_strict_build_says_truly_what_it_wrote(small_warm, tmp_path, capsys):
    warm = small_warm
    add_css_typo(warm)
    page = tmp_path / "uit" / "verslag.html"
    code = main(["build", str(warm), "--strict", "-q", "-o", str(tmp_path / "uit" / "v.pdf"),
                 "--html", str(page)])
    err = capsys.readouterr().err
    assert code == 1 and CSS_WARNING in err
    assert not (tmp_path / "uit" / "v.pdf").exists()
    assert not (page.exists() and "nothing was written" in err), err


# --------------------------------------------------------------------------- build --no-cache

@pytest.mark.slow
def test_no_cache_draws_every_chart_again_and_gives_the_same_pdf(warm, pdf_path, tmp_path):
    """The cache holds blank charts; a build that used them would differ."""
    charts = sorted((warm / CACHE / "charts").glob("*.svg"))
    assert len(charts) == 8
    drawn = {path.name: path.read_bytes() for path in charts}
    blank = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    for path in charts:
        path.write_bytes(blank)
    out = tmp_path / "verslag.pdf"
    assert main(["build", str(warm), "--no-cache", "-q", "-o", str(out)]) == 0
    assert {path.name: path.read_bytes() for path in charts} == drawn
    assert out.read_bytes() == pdf_path.read_bytes()


# --------------------------------------------------------------------------- on a terminal

@pytest.mark.slow
def test_a_terminal_shows_each_step_and_where_the_pdf_went(small_warm, tmp_path):
    warm = small_warm
    out = tmp_path / "verslag.pdf"
    code, stdout, screen = on_a_terminal("build", str(warm), "-o", str(out))
    assert code == 0, screen
    assert stdout.strip() == str(out)
    assert progress_lines(screen) == STEPS, screen
    done = [line for line in screen.splitlines() if re.match(r"\s*\d+\.\d+ s\s+done\b", line)]
    assert len(done) == 1, screen
    assert str(out) in done[0] and f"{len(PdfReader(out).pages)} pages" in done[0], done
    assert "warning" not in screen and "Traceback" not in screen


@pytest.mark.slow
def test_warnings_are_shown_when_quiet_and_when_piped(small_warm, tmp_path):
    warm = small_warm
    add_css_typo(warm)
    code, stdout, screen = on_a_terminal("build", str(warm), "-q", "-o", str(tmp_path / "a.pdf"))
    assert code == 0, screen
    assert stdout.strip() == str(tmp_path / "a.pdf")
    assert progress_lines(screen) == [] and "done" not in screen, screen
    assert [line for line in screen.splitlines() if line.strip()] == [
        line for line in screen.splitlines() if line.startswith("warning: ")], screen
    assert f"warning: {CSS_WARNING}" in screen

    piped = almanac("build", str(warm), "-o", str(tmp_path / "b.pdf"))
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.strip() == str(tmp_path / "b.pdf")
    assert piped.stderr.startswith(f"warning: {CSS_WARNING}"), piped.stderr
    assert progress_lines(piped.stderr) == [] and "done" not in piped.stderr


def test_warnings_are_shown_as_written(capsys):
    reporter = ConsoleReporter(quiet=True)  # warnings are shown even when quiet
    selector = "styles/components.css: Invalid or unsupported selector 'a[href]', at 3:1."
    closing = 'styles/components.css: Ignored `colr: "[/]"` at 161:8, unknown property.'
    reporter.warning(selector)
    reporter.warning(closing)
    err = capsys.readouterr().err
    assert f"warning: {selector}" in err and f"warning: {closing}" in err


# --------------------------------------------------------------------------- --edition

def test_edition_is_still_the_old_name_of_variant(warm, capsys):
    assert main(["specimen", str(warm), "--edition", "print", "-q"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path == warm / "output" / "specimen-print.pdf"
    reader = PdfReader(path)
    page = reader.pages[0]
    assert float(page.mediabox.width) > float(page.trimbox.width)  # bleed: a print PDF
    assert "/OutputIntents" in reader.trailer["/Root"]


# --------------------------------------------------------------------------- extract errors

def _extract(pdf: Path, target: Path) -> subprocess.CompletedProcess:
    result = almanac("extract", str(pdf), str(target))
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout == ""
    return result


def test_extract_refuses_a_file_that_is_not_a_pdf(tmp_path):
    target = tmp_path / "bronnen"
    target.mkdir()
    fake = tmp_path / "verslag.pdf"
    fake.write_text("Dit is geen PDF.\n", encoding="utf-8")
    result = _extract(fake, target)
    assert result.returncode == 1
    assert f"{fake}: readable PDF: " in result.stderr, result.stderr
    assert "fix: only an intact published edition can be extracted" in result.stderr
    assert list(target.iterdir()) == []


def test_extract_refuses_a_pdf_without_embedded_sources(pdf_path, tmp_path):
    target = tmp_path / "bronnen"  # not there yet: it is not made either
    before = snapshot(pdf_path.parent)
    result = _extract(pdf_path, target)
    assert result.returncode == 1
    assert f"{pdf_path}: embedded manifest: no almanac-sources.json attached" in result.stderr
    assert "fix: only an intact published edition can be extracted" in result.stderr
    assert not target.exists()
    assert snapshot(pdf_path.parent) == before


def test_extract_of_a_missing_file_or_a_folder_is_a_usage_error(tmp_path):
    target = tmp_path / "bronnen"
    target.mkdir()
    for name in (tmp_path / "weg.pdf", tmp_path):
        result = _extract(name, target)
        assert result.returncode == 2
        assert result.stderr == f"almanac: error: {name} is not a file\n"
    assert list(target.iterdir()) == []


@pytest.mark.slow
def test_a_build_leaves_nothing_in_the_temporary_folder(small, tmp_path):
    """Not even WeasyPrint's copies of the fonts, which it removes only when its font
    configuration is collected: a command that exits at once would leave a few MB
    there every build."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    # a cold build (the chart worker runs too), of the variant with most font faces
    result = almanac("build", str(small), "--variant", "print",
                     env={**os.environ, "TMPDIR": str(temporary)})
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # piped: no progress; and no helper process complained
    assert list(temporary.iterdir()) == []


# --------------------------------------------------------------------------- -o and --html refused

INPUTS = ["report.yaml", "chapters/01-voorwoord/chapter.yaml",
          "chapters/07-resultaten/data/overvallen.csv", "figures/normen.py",
          "figures/_common.py", "styles/brand.yaml"]


def _refused_before_building(cli, project: Path, *args: str) -> str:
    """Run ``almanac ARGS``; check it is a usage error (exit 2) found before the build
    began (no chart drawn or cached, nothing staged) that changed no file; return the
    message."""
    before = snapshot(project)
    result = cli(*args)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.startswith("almanac: error: ") and "\n    fix: " in result.stderr
    assert snapshot(project) == before
    assert not (project / CACHE).exists()  # the build never started
    return result.stderr


@pytest.mark.parametrize("name", INPUTS + ["styles/fonts"])
@pytest.mark.parametrize("option", ["-o", "--html"])
def test_an_output_that_is_an_input_is_refused_before_building(project, cli, name, option):
    if name == "styles/fonts":  # a font file, whichever the sample has
        name = sorted(p.relative_to(project).as_posix()
                      for p in (project / "styles" / "fonts").iterdir())[0]
    err = _refused_before_building(cli, project, "build", str(project), option,
                                   str(project / name))
    assert f"{project / name} is {name}, an input of the report" in err, err
    assert "the output would replace it" in err


def test_an_output_leading_to_an_input_is_refused_before_building(project, cli, tmp_path):
    """Through a symbolic link, a hard link, a '..', for the specimen too, and a new file
    among the sources (it would become an input)."""
    link, hard = tmp_path / "link.pdf", tmp_path / "hard.pdf"
    link.symlink_to(project / "report.yaml")
    os.link(project / "chapters/01-voorwoord/chapter.yaml", hard)
    err = _refused_before_building(cli, project, "build", str(project), "-o", str(link))
    assert f"{link} is report.yaml (through a link), an input of the report" in err
    err = _refused_before_building(cli, project, "build", str(project), "-o", "x.pdf",
                                   "--html", str(hard))
    assert f"{hard} is a hard link to {project / 'chapters/01-voorwoord/chapter.yaml'}" in err
    dotted = f"{project}/output/../layout/cover.html"
    err = _refused_before_building(cli, project, "specimen", str(project), "-o", dotted)
    assert f"{dotted} is layout/cover.html, an input of the report" in err
    new = project / "styles" / "verslag.pdf"
    err = _refused_before_building(cli, project, "build", str(project), "-o", str(new))
    assert "a file there would become one of its inputs" in err and not new.exists()
    cache = project / CACHE / "charts" / "0.svg"
    err = _refused_before_building(cli, project, "build", str(project), "-o", str(cache))
    assert ".almanac-cache/charts/0.svg, an input of the report" in err


@pytest.mark.parametrize("archive", ["editions", "output"])  # the archive, and the old place
def test_an_output_into_another_reports_inputs_or_edition_is_refused(project, cli, tmp_path,
                                                                     archive):
    other = copy_project(tmp_path / "other")
    edition = other / archive / "2021" / "1.0"
    edition.mkdir(parents=True)
    (edition / "manifest.json").write_text("{}", encoding="utf-8")
    theirs = snapshot(other)
    err = _refused_before_building(cli, project, "build", str(project), "-o",
                                   str(other / "chapters" / "01-voorwoord" / "chapter.yaml"))
    assert f"an input of the report in {other}" in err
    err = _refused_before_building(cli, project, "build", str(project), "-o",
                                   str(edition / "jaarverslag-2021-1.0.pdf"))
    assert f"lies in the published edition {edition}, which is never rewritten" in err
    assert snapshot(other) == theirs


def test_an_output_that_cannot_be_a_file_is_refused_before_building(project, cli, tmp_path):
    fifo, blocker = tmp_path / "pijp.pdf", tmp_path / "blok"
    os.mkfifo(fifo)
    blocker.write_text("een bestand", encoding="utf-8")
    cases = {
        ("-o", ""): "'' is an empty name",
        ("-o", str(tmp_path)): f"{tmp_path} is a folder",
        ("-o", str(fifo)): f"{fifo} is a FIFO (named pipe), not a regular file",
        ("-o", str(blocker / "v.pdf")): f"lies below {blocker}, which is a file, not a folder",
        ("-o", str(tmp_path / "a\0b.pdf")): "contains a NUL character",
        ("-o", str(tmp_path / ("x" * 300 + ".pdf"))): "has a name of 304 bytes; the file "
                                                      "system allows 255",
        ("-o", str(tmp_path / "/".join(["d" * 200] * 21) / "v.pdf")): "bytes long; the "
                                                                       "system allows 4095",
        ("-o", str(tmp_path / "v.pdf"), "--html", f"{tmp_path}/./v.pdf"):
            f"{tmp_path / 'v.pdf'} is the same file as {tmp_path}/./v.pdf",
    }
    for args, message in cases.items():
        err = _refused_before_building(cli, project, "build", str(project), *args)
        assert message in err, (args, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blok", "pijp.pdf", "project"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    # hard links of one file, and the specimen's -o
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.7 earlier")
    os.link(tmp_path / "a.pdf", tmp_path / "b.pdf")
    err = _refused_before_building(cli, project, "build", str(project), "-o",
                                   str(tmp_path / "a.pdf"), "--html", str(tmp_path / "b.pdf"))
    assert f"{tmp_path / 'a.pdf'} is the same file as {tmp_path / 'b.pdf'}" in err
    err = _refused_before_building(cli, project, "specimen", str(project), "-o", str(fifo))
    assert "is a FIFO (named pipe)" in err


ESCAPE = "\x1b]0;pwned\x07\x1b[2J"  # set the window title, clear the screen (ECMA-48)


def test_an_inputs_control_characters_reach_the_terminal_escaped(small_warm, cli):
    # a chapter name (a message), a stylesheet (a warning), a right-to-left override
    edit(small_warm, "report.yaml", "  - 03-inzetbaarheid\n",
         '  - 03-inzetbaarheid\n  - "\\e]0;pwned\\a\\e[2J\\u202Eok"\n')
    ran = cli("check", str(small_warm))
    assert ran.returncode == 1
    assert "chapters/\\x1b]0;pwned\\x07\\x1b[2J\\u202eok/ does not exist" in ran.stderr, \
        ran.stderr
    edit(small_warm, "report.yaml", '  - "\\e]0;pwned\\a\\e[2J\\u202Eok"\n', "")
    with override(small_warm, "styles/components.css").open("a") as stream:
        stream.write(f'\n.x {{ color: "x{ESCAPE}"; }}\n')  # an invalid value, quoted
    ran = cli("build", str(small_warm))
    assert ran.returncode == 0, ran.stderr
    assert "\\x1b]0;pwned\\x07" in ran.stderr, ran.stderr
    for out in (ran.stdout, ran.stderr):
        assert "\x1b]" not in out and "\x07" not in out and "\u202e" not in out
