"""Charts: fed from the data, in the brand's fonts and colours, cached by content."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from almanac.pipeline import load
from almanac.project.scaffold import new_project
from almanac.stages.chartlocale import locale_tag
from almanac.stages.charts import ChartJob, figure_blocks
from almanac.text.formatting import Formatter

from conftest import RESULTATEN, edit


def drawn(report, chart: str) -> str:
    """The SVG of the first block drawn by figure module ``chart``, drawn anew."""
    job = ChartJob(report, Formatter("nl"), cache=False)
    job.start()
    job.finish()
    block = next(block for _, block in figure_blocks(report) if block.chart == chart)
    return job.svg(block)


def test_at_least_six_figure_modules_feed_eight_charts(report):
    blocks = list(figure_blocks(report))
    assert len({block.chart for _, block in blocks}) >= 6
    assert len(blocks) >= 8


def test_charts_use_the_brand_font_and_colours(project):
    report = load(project)
    svg = drawn(report, "normen")
    # every text of the chart (axis labels, values) is set in the brand's body font
    assert set(re.findall(r'font-family="([^"]*)"', svg)) == {report.brand.fonts.body.family}
    assert report.brand.colors.primary_dark.hex.lower() in svg.lower()
    assert "<image" not in svg  # vector marks, not an embedded bitmap


def test_chart_values_come_from_the_data(project):
    edit(project, RESULTATEN, "  norm_cs:\n    value: 80\n", "  norm_cs:\n    value: 85\n")
    svg = drawn(load(project), "normen")
    assert ">85<" in svg and ">80<" not in svg


def test_unchanged_charts_come_from_the_cache(project):
    def job() -> ChartJob:
        return ChartJob(load(project), Formatter("nl"))

    first = job()
    assert first.cached == 0 and len(first.missing) == len(first.plans)
    first.start()
    first.finish()
    second = job()
    assert second.cached == len(second.plans) == len(first.plans) and not second.missing
    edit(project, RESULTATEN, "  norm_cs:\n    value: 80\n", "  norm_cs:\n    value: 85\n")
    third = job()
    assert third.cached == len(third.plans) - 1  # only the chart of the changed number
    [plan] = third.missing.values()
    assert plan.chart == "normen" and plan.data.numbers["norm_cs"].value == 85


def test_figure_module_errors_name_the_module_line(project, capsys):
    from almanac.cli import main

    path = project / "figures" / "normen.py"
    source = path.read_text().replace("rows = category_rows(data)",
                                      "rows = category_rows(data)\n    1 / 0")
    path.write_text(source)
    line = source.splitlines().index("    1 / 0") + 1
    assert main(["build", str(project), "-q"]) == 1
    err = capsys.readouterr().err
    assert f"figures/normen.py:{line}: " in err and "ZeroDivisionError" in err


# --------------------------------------------------------------------------- locales

@pytest.mark.parametrize("language, tag", [
    ("en", "en-US"), ("sv", "sv-SE"), ("da", "da-DK"), ("ja", "ja-JP"), ("nl", "nl-NL"),
    ("nl-BE", "nl-BE"), ("en-GB", "en-GB"), ("pt", "pt-BR"), ("sr-Latn", "sr-Latn-RS"),
    ("zh-Hant", "zh-Hant-TW"), ("de-AT", "de-AT")])
def test_a_language_without_a_region_gets_its_likely_region(language, tag):
    assert locale_tag(language) == tag


@pytest.mark.slow
@pytest.mark.parametrize("language, thousands", [
    ("en", "3,000"), ("nl-BE", "3.000"), ("sv", "3\u00a0000"), ("sq", "3\u00a0000")])
def test_chart_axes_write_numbers_in_the_reports_language(tmp_path, language, thousands):
    project = tmp_path / "r"
    new_project(project, language=language, year=2023, today=dt.date(2024, 4, 1))
    svg = drawn(load(project), "line")
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert thousands in labels, labels
