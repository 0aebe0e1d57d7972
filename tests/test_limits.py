"""Bounded: huge images and series are refused with a message naming the limit, and
every external step has a timeout. (bench/bench_limits.py measures the big inputs
that are accepted: time and peak memory.)"""

from __future__ import annotations

import time

import pytest

from almanac.stages.charts import ChartJob
from almanac.errors import ReportError
from almanac.stages.fetcher import FetchRefused, ProjectFetcher
from almanac.text.formatting import Formatter
from almanac.project.checks import MAX_IMAGE_MEGAPIXELS, check_image
from almanac.project.csvfile import MAX_CSV_ROWS
from almanac.project.yamlfile import MAX_YAML_BYTES
from almanac.pipeline import load as check_report
from test_bad_inputs import OVERVALLEN, figure, png
from test_errors import INZET


def test_an_image_over_the_limit_is_refused_from_its_header_alone(tmp_path):
    path = png(tmp_path / "groot.png", 20_000, 20_000)
    assert path.stat().st_size < 2 * 2**20  # small on disk, 400 megapixels decoded
    started = time.perf_counter()
    problem, fix = check_image(path)
    assert time.perf_counter() - started < 1  # the pixels are never decoded
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
    started = time.perf_counter()
    report = check_report(project)
    assert time.perf_counter() - started < 5
    assert len(report.chapters[-1].series["overvallen"]) == MAX_CSV_ROWS
    (project / OVERVALLEN).write_text("jaar,aantal\n" + rows + "2021,1\n", encoding="utf-8")
    with pytest.raises(ReportError, match=f"more than {MAX_CSV_ROWS:,} rows; the limit"):
        check_report(project)


def test_a_huge_chapter_file_is_refused_before_it_is_parsed(project):
    with (project / INZET).open("a", encoding="utf-8") as stream:
        stream.write("# " + "x" * MAX_YAML_BYTES + "\n")
    with pytest.raises(ReportError, match="the limit is 4 MiB"):
        check_report(project)


def test_a_figure_module_that_hangs_times_out(project):
    """The charts are drawn in document order and the worker names the chart it is
    drawing: the hanging chart is named, however fast the machine is. It is the first
    figure of the report, so even a deadline during the worker's start names it."""
    (project / "figures" / "verzuim.py").write_text(
        "import time\n\n\ndef build(data, theme):\n    time.sleep(60)\n", encoding="utf-8")
    job = ChartJob(check_report(project), Formatter("nl"), timeout=3)
    started = time.monotonic()
    job.start()
    with pytest.raises(ReportError) as caught:
        job.finish()
    assert time.monotonic() - started < 30  # the worker is stopped, not waited for
    message = caught.value.format(project)
    assert "figures/verzuim.py: 03-inzetbaarheid: sections[1].blocks[2]: drawing the charts " \
           "took over 3 s" in message, message
    assert "simplify the figure module" in message
