"""Bounded: huge images and series are refused with a message naming the limit, and
every external step has a timeout. (bench/bench_limits.py measures the big inputs
that are accepted: time and peak memory.)"""

from __future__ import annotations

import base64
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock
from urllib.parse import quote

import pytest
from pypdf import PdfReader

from almanac.cli import main
from almanac.errors import ReportError
from almanac.pipeline import build, load
from almanac.project.checks import MAX_IMAGE_MEGAPIXELS, check_image
from almanac.project.csvfile import MAX_CSV_BYTES, MAX_CSV_COLUMNS, MAX_CSV_ROWS
from almanac.project.yamlfile import MAX_YAML_BYTES
from almanac.reporter import BufferReporter
from almanac.stages.charts import ChartJob
from almanac.stages.fetcher import (
    INFINITE,
    MAX_RESOURCE_BYTES,
    MAX_STYLESHEETS,
    MAX_SVG_ELEMENTS,
    FetchRefused,
    FetchStopped,
    ProjectFetcher,
    svg_elements,
)
from almanac.stages.guard import resident_bytes
from almanac.text.formatting import Formatter

from conftest import (
    BRAND,
    INZET,
    OVERVALLEN,
    RESULTATEN,
    almanac,
    edit,
    figure,
    override,
    png,
    snapshot,
)
from faults import running


def test_an_image_over_the_limit_is_refused_from_its_header_alone(tmp_path):
    path = png(tmp_path / "groot.png", 20_000, 20_000)
    assert path.stat().st_size < 2 * 2**20  # small on disk, 400 megapixels decoded
    with mock.patch("PIL.Image.Image.load", side_effect=AssertionError("decoded")):
        problem, fix = check_image(path)  # the pixels are never decoded
    assert problem == f"is 400 megapixels; the limit is {MAX_IMAGE_MEGAPIXELS}"
    assert "scale it down" in fix
    below = png(tmp_path / "net.png", 7000, 7000)  # 49 megapixels
    assert check_image(below) is None
    above = png(tmp_path / "net-niet.png", 7100, 7100)  # 50.4: Pillow would open it
    assert check_image(above)[0].startswith("is 50 megapixels (7100 × 7100); the limit")


def test_the_fetcher_refuses_a_huge_image_the_data_does_not_name(tmp_path):
    """An image a stylesheet or template names is checked too, before WeasyPrint
    decodes it."""
    png(tmp_path / "styles" / "achtergrond.png", 20_000, 20_000)
    fetcher = ProjectFetcher(tmp_path)
    with pytest.raises(FetchRefused, match="400 megapixels; the limit is 50"):
        fetcher.fetch((tmp_path / "styles" / "achtergrond.png").as_uri())
    assert "400 megapixels" in fetcher.refused[0]


def test_a_series_at_the_row_limit_loads_and_one_more_is_refused(project):
    rows = "".join(f"{2000 + i % 20},{i}\n" for i in range(MAX_CSV_ROWS))
    (project / OVERVALLEN).write_text("jaar,aantal\n" + rows, encoding="utf-8")
    report = load(project)
    assert len(report.chapters[-1].series["overvallen"].rows) == MAX_CSV_ROWS
    (project / OVERVALLEN).write_text("jaar,aantal\n" + rows + "2021,1\n", encoding="utf-8")
    with pytest.raises(ReportError, match=f"more than {MAX_CSV_ROWS:,} rows; the limit"):
        load(project)


def _wide(columns: int) -> str:
    return ",".join(f"k{i}" for i in range(columns)) + "\n" + ",".join(["1"] * columns) + "\n"


def test_a_series_at_the_column_limit_loads_and_one_more_is_refused(project):
    (project / OVERVALLEN).write_text(_wide(MAX_CSV_COLUMNS), encoding="utf-8")
    assert len(load(project).chapters[-1].series["overvallen"].columns) == MAX_CSV_COLUMNS
    (project / OVERVALLEN).write_text(_wide(MAX_CSV_COLUMNS + 1), encoding="utf-8")
    with pytest.raises(ReportError) as caught:
        load(project)
    message = caught.value.format(project)
    assert message.startswith(f"{OVERVALLEN}:1: the header has {MAX_CSV_COLUMNS + 1:,} columns; "
                              f"the limit is {MAX_CSV_COLUMNS:,}"), message
    assert "fix: keep the columns the report uses" in message


def test_a_series_of_a_million_columns_is_refused_not_compared_pairwise(project, earlier):
    # 10 MB, within the size limit: its header's names once compared each with each
    # (10^12 steps) kept `check` busy for hours
    (project / OVERVALLEN).write_text(_wide(1_000_000), encoding="utf-8")
    ran = almanac("check", str(project), timeout=120)  # the timeout only guards a hang
    assert ran.returncode == 1, ran.stderr
    assert f"{OVERVALLEN}:1: the header has 1,000,000 columns; the limit is" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert snapshot(project / "output") == earlier


def test_a_huge_chapter_file_is_refused_before_it_is_parsed(project):
    with (project / INZET).open("a", encoding="utf-8") as stream:
        stream.write("# " + "x" * MAX_YAML_BYTES + "\n")
    with pytest.raises(ReportError, match="the limit is 4 MiB"):
        load(project)


def test_a_figure_module_that_hangs_times_out(project, tmp_path):
    """The charts are drawn in document order and the worker names the chart it is
    drawing: the hanging chart is named, however fast the machine is. It is the first
    figure of the report, so even a deadline during the worker's start names it."""
    started = tmp_path / "worker.pid"
    (project / "figures" / "verzuim.py").write_text(
        f"import os\nimport threading\n\n\ndef build(data, theme):\n"
        f"    open({str(started)!r}, 'w').write(str(os.getpid()))\n"
        f"    threading.Event().wait()  # for ever\n", encoding="utf-8")
    job = ChartJob(load(project), Formatter("nl"), timeout=3)
    job.start()
    assert job._worker is not None
    worker = job._worker.pid  # the deadline may come while its chart engine starts
    with pytest.raises(ReportError) as caught:
        job.finish()  # returns at all: the worker is stopped, not waited for
    assert not running(worker)  # and gone
    message = caught.value.format(project)
    assert "figures/verzuim.py: 03-inzetbaarheid: sections[1].blocks[2]: drawing the charts " \
           "took over 3 s" in message, message
    assert "simplify the figure module" in message


def sparse(path: Path, size: int, head: bytes = b"") -> Path:
    """A file of ``size`` bytes that takes no room on disk (all but ``head`` is zeros)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as stream:
        stream.write(head)
        stream.truncate(size)
    return path


def _series_line(project: Path) -> int:
    """The line of RESULTATEN where the series of the file OVERVALLEN is declared."""
    lines = (project / RESULTATEN).read_text(encoding="utf-8").splitlines()
    line = lines.index("    file: data/overvallen.csv")
    assert lines[line - 1] == "  overvallen:"
    return line


def test_a_series_file_over_16_mib_is_refused_unread(project, earlier, capsys):
    sparse(project / OVERVALLEN, 17 * 2**20, b"jaar,aantal\n2021,1\n")
    line = _series_line(project)
    for command in ("check", "build"):
        assert main([command, str(project), "-q"]) == 1
        err = capsys.readouterr().err
        assert f"{RESULTATEN}:{line}: series file {OVERVALLEN} is 17.0 MiB (17,825,792 " \
               f"bytes); the limit is {MAX_CSV_BYTES // 2**20} MiB ({MAX_CSV_BYTES:,} bytes)" \
               in err, err
        assert "fix: aggregate the series" in err
        assert ("nothing was written" in err) == (command == "build")  # check writes nothing
        assert "Traceback" not in err
    assert snapshot(project / "output") == earlier


def test_a_series_file_just_over_the_limit_says_by_how_much(project):
    sparse(project / OVERVALLEN, MAX_CSV_BYTES + 2**19, b"jaar,aantal\n2021,1\n")
    with pytest.raises(ReportError) as caught:
        load(project)
    message = caught.value.format(project)
    assert f"series file {OVERVALLEN} is " in message
    assert "is 16 MiB; the limit is 16 MiB" not in message, message


def test_the_fetcher_refuses_a_file_over_64_mib_unread(tmp_path):
    fetcher = ProjectFetcher(tmp_path)
    limit = sparse(tmp_path / "styles" / "fonts" / "Groot.ttf", MAX_RESOURCE_BYTES)
    assert len(fetcher.fetch(limit.as_uri()).read()) == MAX_RESOURCE_BYTES  # at the limit: read
    over = sparse(tmp_path / "styles" / "fonts" / "Groter.ttf", MAX_RESOURCE_BYTES + 1)
    with pytest.raises(FetchRefused, match="larger than 64 MiB"):
        fetcher.fetch(over.as_uri())
    assert fetcher.refused == [f"{over.as_uri()} (larger than 64 MiB)"]


@pytest.mark.slow
def test_a_stylesheet_naming_a_file_over_64_mib_gets_a_warning_not_a_crash(warm):
    image = sparse(warm / "styles" / "achtergrond.png", 65 * 2**20)
    with override(warm, "styles/components.css").open("a", encoding="utf-8") as stream:
        stream.write("\n.kpi { background-image: url(achtergrond.png); }\n")
    reporter = BufferReporter()
    result = build(warm, reporter=reporter)
    refused = f"refused: {image.as_uri()} (larger than 64 MiB)"
    assert refused in result.warnings and refused in reporter.warnings, result.warnings
    assert result.path.read_bytes().startswith(b"%PDF-") and result.pages > 20


@pytest.mark.slow
def test_a_chart_worker_that_dies_fails_the_build_naming_the_chart(warm, earlier):
    project = warm  # every other chart from the cache: the worker draws this one first
    figure(project, "import os\nimport signal\n\n\ndef build(data, theme):\n"
                    "    os.kill(os.getpid(), signal.SIGKILL)\n")
    result = almanac("build", str(project))
    assert result.returncode == 1, result.stderr
    assert "figures/normen.py: 07-resultaten: sections[" in result.stderr, result.stderr
    assert "]: the chart worker process died drawing this chart" in result.stderr
    assert "fix: simplify the figure module" in result.stderr
    assert "nothing was written" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert snapshot(project / "output") == earlier


# --------------------------------------------------------------------------- typesetting
# The guard (almanac.stages.guard) stops WeasyPrint at a limit from a watchdog thread,
# also where WeasyPrint swallows the stop (its `except BaseException` in SVG drawing).

HANG_GUARD = 120.0  # seconds a stuck stand-in waits at most, so a broken guard fails


def stuck_in_weasyprint(monkeypatch, work=lambda: time.sleep(0.01),
                        swallow: int = 3) -> list[BaseException]:
    """WeasyPrint never finishes its layout: ``HTML.render`` runs ``work`` in a loop,
    and the first ``swallow`` stops are caught by ``except BaseException``, as
    WeasyPrint does in places; it gives up (returns, failing the test) after
    HANG_GUARD seconds. Returns the list of the stops it swallowed."""
    import weasyprint

    render = weasyprint.HTML.render
    end = time.monotonic() + HANG_GUARD
    swallowed: list[BaseException] = []

    def stuck(*args, **kwargs):
        for _ in range(swallow):
            try:
                while time.monotonic() < end:
                    work()
            except BaseException as exc:
                swallowed.append(exc)
        while time.monotonic() < end:
            work()
        return render(*args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "render", stuck)
    return swallowed


def test_typesetting_that_runs_over_the_time_limit_is_stopped(small_warm, earlier,
                                                              monkeypatch):
    swallowed = stuck_in_weasyprint(monkeypatch)
    with pytest.raises(ReportError) as caught:
        build(small_warm, reporter=BufferReporter(), typeset_seconds=1)
    message = caught.value.format(small_warm)
    assert message.startswith("typesetting took over 1 s (the time limit)"), message
    assert "fix: make the document smaller, or raise the limit: --time-limit SECONDS" in message
    assert len(swallowed) == 3  # stopped again after each swallowed stop
    assert snapshot(small_warm / "output") == earlier


def test_typesetting_that_grows_past_the_memory_limit_is_stopped(small_warm, earlier,
                                                                 monkeypatch):
    hoard: list[bytes] = []

    def grow() -> None:  # 1 MiB of touched memory a millisecond at most
        hoard.append(b"x" * 2**20)
        time.sleep(0.001)

    stuck_in_weasyprint(monkeypatch, grow, swallow=0)
    limit = resident_bytes() // 2**20 + 300
    try:
        with pytest.raises(ReportError) as caught:
            build(small_warm, reporter=BufferReporter(), memory_mib=limit)
        grown = len(hoard)
    finally:
        hoard.clear()
    message = caught.value.format(small_warm)
    assert re.match(rf"typesetting used [\d.]+ (MiB|GiB) of memory; the limit is "
                    rf"{limit / 1024:.1f} GiB|typesetting used [\d.]+ (MiB|GiB) of memory; "
                    rf"the limit is {limit} MiB", message), message
    assert "--memory-limit MIB" in message
    assert 250 < grown < 3 * 300  # stopped near the limit, not at the end of the machine
    assert snapshot(small_warm / "output") == earlier


LOOPING_TEMPLATE = """{% extends "layout/chapter.html" %}
{% block body %}
{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}
{% endblock %}
"""
GROWING_TEMPLATE = """{% extends "layout/chapter.html" %}
{% block body %}
{% set ns = namespace(kept=[]) %}
{% for i in range(100000) %}{% set _ = ns.kept.append('x' * 1000000 ~ i) %}{% endfor %}
{% endblock %}
"""


def test_a_template_that_loops_past_the_time_limit_is_stopped_naming_it(small_warm, earlier,
                                                                          cli):
    # 10^10 turns of a loop: hours, before the pages are even laid out
    (small_warm / "chapters" / "01-voorwoord" / "chapter.html").write_text(LOOPING_TEMPLATE)
    ran = cli("build", str(small_warm), "--time-limit", "2")
    assert ran.returncode == 1, ran.stderr
    assert "chapters/01-voorwoord/chapter.html:3: rendering the templates took over 2 s " \
        "(the time limit)" in ran.stderr, ran.stderr
    assert "fix: " in ran.stderr and "--time-limit SECONDS" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert snapshot(small_warm / "output") == earlier


def test_a_template_that_grows_past_the_memory_limit_is_stopped_naming_it(small_warm, earlier,
                                                                            cli):
    # a megabyte kept on each of 100 000 turns: 100 GB, unless stopped
    (small_warm / "chapters" / "01-voorwoord" / "chapter.html").write_text(GROWING_TEMPLATE)
    limit = resident_bytes() // 2**20 + 300
    ran = cli("build", str(small_warm), "--memory-limit", str(limit))
    assert ran.returncode == 1, ran.stderr
    assert re.search(r"chapters/01-voorwoord/chapter.html:4: rendering the templates used "
                     r"[\d.]+ (MiB|GiB) of memory; the limit is", ran.stderr), ran.stderr
    assert "--memory-limit MIB" in ran.stderr and "Traceback" not in ran.stderr
    assert snapshot(small_warm / "output") == earlier


def test_a_template_asking_for_more_memory_than_there_is_gets_a_message(small_warm, earlier):
    # one allocation of 100 GB: refused at once under a 16 GiB address space
    (small_warm / "chapters" / "01-voorwoord" / "chapter.html").write_text(
        '{% extends "layout/chapter.html" %}\n{% block body %}\n'
        "{{ 'x'.center(10**11) | length }}\n{% endblock %}\n")

    def bounded() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (16 * 2**30, 16 * 2**30))

    ran = almanac("build", str(small_warm), preexec_fn=bounded)
    assert ran.returncode == 1, ran.stderr
    assert "chapters/01-voorwoord/chapter.html:3: the template asks for more memory than " \
        "the machine has" in ran.stderr, ran.stderr
    assert "fix: fix the expression on this line" in ran.stderr
    assert "Traceback" not in ran.stderr
    assert snapshot(small_warm / "output") == earlier


MANY_WORDS = "{% for i in range(3000) %}woord {% endfor %}"


def _columns_in_a_template(project: Path) -> None:
    (project / "chapters" / "01-voorwoord" / "chapter.html").write_text(
        '{% extends "layout/chapter.html" %}\n{% block body %}\n'
        '<style>.many { columns: 100000 }</style>\n'
        f'<div class="many">{MANY_WORDS}</div>\n{{% endblock %}}\n')


def _columns_in_a_style_attribute(project: Path) -> None:
    (project / "chapters" / "01-voorwoord" / "chapter.html").write_text(
        '{% extends "layout/chapter.html" %}\n{% block body %}\n'
        f'<div class="many" style="column-count: 100000">{MANY_WORDS}</div>\n'
        '{% endblock %}\n')


def _columns_through_a_custom_property(project: Path) -> None:
    with override(project, "styles/components.css").open("a") as stream:
        stream.write("\n:root { --many: 100000; }\n.prose { column-count: var(--many); }\n")


def _columns_from_a_tiny_column_width(project: Path) -> None:
    with override(project, "styles/components.css").open("a") as stream:
        stream.write("\n.prose { column-width: 0.01px; column-gap: 0; }\n")


@pytest.mark.parametrize("make", [_columns_in_a_template, _columns_in_a_style_attribute,
                                  _columns_through_a_custom_property,
                                  _columns_from_a_tiny_column_width],
                         ids=lambda make: make.__name__.lstrip("_"))
def test_the_column_limit_holds_however_the_columns_are_asked_for(small_warm, earlier, cli,
                                                                   make):
    make(small_warm)
    ran = cli("build", str(small_warm))
    assert ran.returncode == 1, ran.stderr
    assert re.search(r"box is laid out in [\d,]+ columns; the limit is 100", ran.stderr), \
        ran.stderr
    assert "fix: use fewer columns" in ran.stderr and "Traceback" not in ran.stderr
    assert snapshot(small_warm / "output") == earlier


def test_a_document_over_the_page_limit_is_stopped_and_the_flag_raises_it(small_warm,
                                                                           earlier, cli):
    ran = cli("build", str(small_warm), "-q", "--page-limit", "3")
    assert ran.returncode == 1, ran.stderr
    assert re.search(r"the document has more than 3 pages \(the page limit\), laying out "
                     r"page \d", ran.stderr), ran.stderr
    assert "--page-limit N" in ran.stderr and "nothing was written" in ran.stderr
    assert snapshot(small_warm / "output") == earlier
    ran = cli("build", str(small_warm), "-q", "--page-limit", "40")
    assert ran.returncode == 0, ran.stderr
    assert len(PdfReader(ran.stdout.strip()).pages) <= 40


@pytest.mark.parametrize("flag", ["--time-limit", "--memory-limit", "--page-limit",
                                  "--chart-memory-limit"])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "veel"])
def test_a_limit_that_is_not_a_positive_number_is_a_usage_error(flag, value, tmp_path,
                                                                 capsys):
    with pytest.raises(SystemExit) as exited:
        main(["build", str(tmp_path), flag, value])
    assert exited.value.code == 2
    assert f"argument {flag}:" in capsys.readouterr().err


def test_limits_apply_to_every_command_that_typesets():
    from almanac.cli import _parser

    for command in ("build", "specimen", "publish", "preview"):
        args = _parser().parse_args([command, "--time-limit", "5", "--memory-limit", "100",
                                     "--page-limit", "7", "--chart-memory-limit", "200"])
        assert (args.time_limit, args.memory_limit, args.page_limit,
                args.chart_memory_limit) == (5.0, 100, 7, 200)


# --------------------------------------------------------------------------- Ctrl-C

INTERRUPTED_WHILE_DRAWING = """
import os, signal, sys
import weasyprint.svg

draw = weasyprint.svg.SVG.draw


def interrupted(self, *args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, as a chart is being drawn
    return draw(self, *args, **kwargs)


weasyprint.svg.SVG.draw = interrupted
if sys.argv[1] == "cli":
    from almanac.cli import run

    sys.argv = ["almanac", "build", sys.argv[2], "-q"]
    run()
else:
    import almanac

    try:
        almanac.build(sys.argv[2])
    except KeyboardInterrupt:
        sys.exit(99)
"""


@pytest.mark.parametrize("host", ["cli", "api"])
def test_ctrl_c_while_weasyprint_draws_an_svg_writes_nothing(host, small_warm, earlier):
    """WeasyPrint catches BaseException around an SVG's drawing (weasyprint/images.py):
    the interrupt must still stop the build, before anything is written."""
    result = subprocess.run([sys.executable, "-c", INTERRUPTED_WHILE_DRAWING, host,
                             str(small_warm)], capture_output=True, text=True, timeout=300)
    assert "Failed to render SVG image" not in result.stderr  # the SVG was drawn...
    assert result.returncode == (130 if host == "cli" else 99), result.stderr
    if host == "cli":
        assert result.stderr.strip() == "almanac: interrupted; nothing was written"
    assert result.stdout == ""
    assert snapshot(small_warm / "output") == earlier


# --------------------------------------------------------------------------- the chart worker

def test_a_chart_worker_over_its_memory_limit_is_killed_naming_the_chart(warm, earlier):
    figure(warm, "import time\n\n\ndef build(data, theme):\n    hoard = []\n"
                 f"    for _ in range({int(HANG_GUARD * 1000)}):\n"
                 "        hoard.append(b'x' * 2**20)  # 1 MiB a millisecond at most\n"
                 "        time.sleep(0.001)\n")
    with pytest.raises(ReportError) as caught:
        build(warm, reporter=BufferReporter(), chart_memory_mib=600)
    message = caught.value.format(warm)
    assert re.search(r"figures/normen\.py: 07-resultaten: sections\[\d+\]\.blocks\[\d+\]: "
                     r"the chart worker used [\d,]+ MiB of memory; the limit is 600 MiB",
                     message), message
    assert "--chart-memory-limit MIB" in message
    assert snapshot(warm / "output") == earlier


def test_a_chart_engine_that_cannot_start_is_not_blamed_on_a_figure(small, earlier):
    """V8 reserves its heap's address space as it starts: under `ulimit -v` the engine
    dies before any chart; the message says so, not 'simplify the figure module'."""
    def limit_address_space() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, resource.RLIM_INFINITY))

    result = subprocess.run([sys.executable, "-m", "almanac", "build", str(small), "-q"],
                            capture_output=True, text=True, timeout=300,
                            preexec_fn=limit_address_space)
    assert result.returncode == 1, result.stderr
    assert "the chart engine (vl-convert) could not start: " in result.stderr
    assert "address-space limit (ulimit -v) of 6.0 GiB" in result.stderr
    assert "fix: remove the address-space limit" in result.stderr
    assert "figures/" not in result.stderr and "simplify" not in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(small / "output") == earlier


def test_a_chart_engine_panic_names_its_cause_not_the_figure_module(small, earlier, cli):
    edit(small, BRAND, "family: Lato", 'family: "La\\"to<b>"')
    ran = cli("build", str(small), "-q")
    assert ran.returncode == 1, ran.stderr
    assert f"{BRAND}:" in ran.stderr, ran.stderr
    assert "simplify the figure module" not in ran.stderr and "Traceback" not in ran.stderr
    assert snapshot(small / "output") == earlier


# --------------------------------------------------------------------------- SVG and fetches

def test_the_svg_count_expands_use_from_the_id_graph(tmp_path):
    from test_bad_inputs import nested_use

    def drawn(depth: int, fan: int = 10) -> int:  # a group: itself and fan × (use + group)
        return 1 if depth == 0 else 1 + fan * (1 + drawn(depth - 1, fan))

    for depth in (0, 1, 3, 12):
        expected = 2 + sum(drawn(level) for level in range(depth + 1)) + 1 + drawn(depth)
        assert svg_elements(nested_use(depth).encode()) == expected
    flat = "<svg xmlns='http://www.w3.org/2000/svg'>" + "<circle r='1'/>" * 100_000 + "</svg>"
    assert svg_elements(flat.encode()) == 100_001
    assert svg_elements(b"<svg><g id='a'><g><use href='#a'/></g></g></svg>") == INFINITE
    assert svg_elements(b"not xml") is None
    deep = "<svg>" + "<g>" * 50_000 + "</g>" * 50_000 + "</svg>"  # no recursion in the count
    assert svg_elements(deep.encode()) == 50_001


def test_the_fetcher_stops_at_an_svg_over_the_limit_on_every_path(tmp_path):
    from test_bad_inputs import nested_use

    bomb = nested_use(6).encode()
    (tmp_path / "styles").mkdir()
    (tmp_path / "styles" / "bom.svg").write_bytes(bomb)
    urls = [(tmp_path / "styles" / "bom.svg").as_uri(),
            "data:image/svg+xml;base64," + base64.b64encode(bomb).decode(),
            # WeasyPrint tries as SVG any image Pillow cannot open
            "data:image/png;base64," + base64.b64encode(bomb).decode(),
            "data:image/svg+xml," + quote(bomb.decode())]
    for url in urls:
        fetcher = ProjectFetcher(tmp_path)
        with pytest.raises(FetchStopped):
            fetcher.fetch(url)
        assert fetcher.problem is not None
        assert f"draws 4,691,351 elements (counting what each <use> copies); the limit is " \
               f"{MAX_SVG_ELEMENTS:,}" in fetcher.problem.message
    small = nested_use(3).encode()
    assert ProjectFetcher(tmp_path).fetch(
        "data:image/svg+xml;base64," + base64.b64encode(small).decode()).read() == small


def test_the_fetcher_stops_after_too_many_resources_or_bytes(tmp_path, monkeypatch):
    import almanac.stages.fetcher as fetcher_module

    (tmp_path / "styles").mkdir()
    sheet = tmp_path / "styles" / "a.css"
    sheet.write_text("p { color: red; }")
    fetcher = ProjectFetcher(tmp_path)
    for _ in range(MAX_STYLESHEETS):
        fetcher.fetch(sheet.as_uri())
    with pytest.raises(FetchStopped):
        fetcher.fetch(sheet.as_uri())
    assert f"more than {MAX_STYLESHEETS:,} stylesheets" in fetcher.problem.message
    monkeypatch.setattr(fetcher_module, "MAX_FETCHED_BYTES", 10 * 17)
    fetcher = ProjectFetcher(tmp_path)
    for _ in range(10):
        fetcher.fetch(sheet.as_uri())
    with pytest.raises(FetchStopped):
        fetcher.fetch("data:text/plain,x")
    assert "MiB of resources" in fetcher.problem.message
