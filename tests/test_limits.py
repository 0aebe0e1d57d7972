"""Bounded: huge images and series are refused with a message naming the limit, and
every external step has a timeout. (bench/bench_limits.py measures the big inputs
that are accepted: time and peak memory.)"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest

from almanac.cli import main
from almanac.errors import ReportError
from almanac.pipeline import build, load
from almanac.project.checks import MAX_IMAGE_MEGAPIXELS, check_image
from almanac.project.csvfile import MAX_CSV_BYTES, MAX_CSV_ROWS
from almanac.project.yamlfile import MAX_YAML_BYTES
from almanac.reporter import BufferReporter
from almanac.stages.charts import ChartJob
from almanac.stages.fetcher import MAX_RESOURCE_BYTES, FetchRefused, ProjectFetcher
from almanac.text.formatting import Formatter

from conftest import INZET, OVERVALLEN, RESULTATEN, almanac, figure, png, snapshot
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
    assert len(report.chapters[-1].series["overvallen"]) == MAX_CSV_ROWS
    (project / OVERVALLEN).write_text("jaar,aantal\n" + rows + "2021,1\n", encoding="utf-8")
    with pytest.raises(ReportError, match=f"more than {MAX_CSV_ROWS:,} rows; the limit"):
        load(project)


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
    with pytest.raises(ReportError) as caught:
        job.finish()  # returns at all: the worker is stopped, not waited for
    assert not running(int(started.read_text()))  # and gone
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
        assert "fix: aggregate the series" in err and "nothing was written" in err
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
    with (warm / "styles" / "components.css").open("a", encoding="utf-8") as stream:
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
