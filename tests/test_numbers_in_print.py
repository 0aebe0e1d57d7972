"""Numbers as the pages print them in every locale: a KPI tile's figure with its sign,
spaced as the locale's pattern spaces it and fitted to its tile; a line chart's value
axis in its column's decimals; and the minus sign the report's fonts can print."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from almanac.pipeline import build, load, render_html
from almanac.project.model import Number
from almanac.project.scaffold import new_project
from almanac.reporter import BufferReporter
from almanac.stages.chartlocale import chart_locales
from almanac.stages.charts import ChartJob, figure_blocks
from almanac.text.formatting import NBSP, Formatter, report_formatter

from conftest import ROOT, edit

MINUS = "\u2212"
INTRODUCTION = "chapters/01-introduction/chapter.md"
RESULTS = "chapters/02-results/chapter.md"
REQUESTS = "chapters/02-results/data/requests.csv"


def scaffold(tmp_path: Path, language: str, currency: str, budget: float,
             on_time: float = 94.5) -> Path:
    """The English scaffold in ``language`` and ``currency``, its budget tile's amount
    ``budget`` and its percentage tile ``on_time``."""
    project = tmp_path / f"r-{language}"
    new_project(project, language="en", today=dt.date(2024, 4, 1))
    edit(project, "report.yaml", 'language: "en"\n',
         f'language: "{language}"\ncurrency: {currency}\n')
    edit(project, INTRODUCTION, "budget: {value: 4200000, unit: eur",
         f"budget: {{value: {budget}, unit: currency")
    edit(project, INTRODUCTION, "on_time: {value: 94.5,", f"on_time: {{value: {on_time},")
    return project


def tiles(project: Path) -> list[str]:
    """The text of every tile's value in the report's HTML, as a reader meets it: the
    parts' markup gone, the spaces between them kept."""
    rendered, charts = render_html(load(project), reporter=BufferReporter())
    charts.cancel()
    values = re.findall(r'<p class="kpi-value"[^>]*>(.*?)</p>', rendered.html)
    return [html.unescape(re.sub(r"<[^>]+>", "", value)) for value in values]


# --------------------------------------------------------------------------- tiles

@pytest.mark.parametrize("language, value, parts, sign, tile", [
    ("en", -1234.56, ("$", "1,234.56", ""), "-", "-$1,234.56"),  # CLDR en: -¤#,##0.00
    ("en-CA", -1234.56, ("US$", "1,234.56", ""), "-", "-US$1,234.56"),
    ("nl", -1234.56, ("US$", "-1.234,56", ""), "", "US$ -1.234,56"),  # ¤ -#,##0.00
    ("de", -1234.56, ("", "-1.234,56", "$"), "", "-1.234,56 $"),
    ("en", 1234.56, ("$", "1,234.56", ""), "", "$1,234.56"),
])
def test_a_tiles_minus_sign_is_as_large_as_its_figure_in_the_patterns_place(
        language, value, parts, sign, tile):
    """The tile sets the figure large and the prefix small: a minus sign the pattern
    puts before the currency is set apart, as large as the figure, where the pattern
    puts it (``-$1,234.56``, not ``$-1,234.56``); elsewhere it is part of the figure.
    The parts joined as a tile joins them read as the prose prints the number."""
    fmt = Formatter(language, "USD")
    found = fmt.parts(Number(value=value, unit="currency"))
    assert (tuple(found), found.sign) == (parts, sign)
    joined = found.sign + found.prefix + (" " if found.spaced_before else "") + found.figure \
        + (" " if found.spaced_after else "") + found.suffix
    assert joined.replace(NBSP, " ") == tile == fmt.number(
        Number(value=value, unit="currency")).replace(NBSP, " ")


@pytest.mark.parametrize("language, currency, on_time, budget", [
    ("en", "USD", "94.5%", "$1,234.56"),  # no space in English's patterns
    ("de", "EUR", "94,5 %", "1.234,56 €"),  # a space before % and € in German's
    ("nl", "EUR", "94,5%", "€ 1.234,56"),
])
def test_a_tile_spaces_its_parts_as_the_locales_pattern_does(tmp_path, language, currency,
                                                           on_time, budget):
    project = scaffold(tmp_path, language, currency, 1234.56)
    fmt = Formatter(language, currency)
    assert fmt.percent(94.5).replace(NBSP, " ") == on_time  # as the prose prints it
    found = tiles(project)
    assert found[1:] == [on_time, budget], found


def fitted_build(tmp_path: Path, language: str, currency: str, budget: float,
                 on_time: float) -> tuple[list[str], str]:
    project = scaffold(tmp_path, language, currency, budget, on_time)
    result = build(project, reporter=BufferReporter())
    text = "\n".join(page.extract_text() for page in PdfReader(result.path).pages)
    return result.warnings, text


@pytest.mark.parametrize("language, currency, budget, on_time, shown", [
    ("en-US", "USD", 1234.56, 94.5, ["$1,234.56", "94.5%"]),  # 21 pt too wide at 30 pt
    ("de", "EUR", -1234.56, -3.5, ["-1.234,56", "-3,5"]),
])
def test_a_long_figure_fits_its_tile(tmp_path, language, currency, budget, on_time, shown):
    warnings, text = fitted_build(tmp_path, language, currency, budget, on_time)
    assert not [warning for warning in warnings if "wider than" in warning], warnings
    assert all(figure in text for figure in shown), text


# --------------------------------------------------------------------------- chart ticks

def line_chart_ticks(project: Path) -> list[str]:
    """The texts of the line chart's value axis (the labels that are not the years)."""
    report = load(project)
    job = ChartJob(report, report_formatter(report))
    job.start()
    job.finish()
    block = next(block for _, block in figure_blocks(report) if block.chart == "line")
    texts = [html.unescape(text) for text in
             re.findall(r"<text[^>]*>([^<]*)</text>", job.svg(block))]
    return [text for text in texts if text and text[-1].isdigit()
            and not re.fullmatch(r"20\d\d", text)]


DECIMALS = "year,share\n2019,250000.5\n2020,312000.25\n2021,401000.75\n2022,480500\n"


@pytest.mark.parametrize("declared, expected", [
    (None, ["0", "100,000", "200,000", "300,000", "400,000", "500,000"]),  # as few as needed
    # the column's decimals are the most an axis writes, never zeros a tick does not need
    ("decimal(1)", ["0", "100,000", "200,000", "300,000", "400,000", "500,000"]),
])
def test_a_line_charts_axis_writes_its_columns_decimals(tmp_path, declared, expected):
    project = tmp_path / "r"
    new_project(project, language="en", today=dt.date(2024, 4, 1))
    (project / REQUESTS).write_text(DECIMALS, encoding="utf-8")
    if declared:
        edit(project, RESULTS, "{file: data/requests.csv,",
             f"{{file: data/requests.csv, columns: {{share: {declared}}},")
    assert line_chart_ticks(project) == expected


# --------------------------------------------------------------------------- the minus sign

def test_the_charts_minus_is_the_one_the_formatter_prints():
    assert chart_locales("sv", "SEK")[0]["minus"] == MINUS
    assert chart_locales("sv", "SEK", "-")[0]["minus"] == "-"
    assert Formatter("sv", "SEK", "-").number(Number(value=-2.5, unit="decimal")) == "-2,5"


NEGATIVE = "year,change\n2019,-1500\n2020,-400\n2021,350\n2022,1200\n"


def swedish(tmp_path: Path, brand: bool) -> Path:
    """A Swedish report with negative numbers in prose, a tile, a table and a chart; with
    ``brand``, the sample's brand (Lato) instead of the built-in theme's (Noto Sans)."""
    project = scaffold(tmp_path, "sv-SE", "SEK", -1234.56, -3.5)
    (project / REQUESTS).write_text(NEGATIVE, encoding="utf-8")
    edit(project, RESULTS, "series:\n", "series:\n  changes: {file: data/requests.csv}\n")
    edit(project, RESULTS, "### Per quarter\n", ":::{table} changes\nChanges\n:::\n\n"
         "### Per quarter\n")
    if brand:
        shutil.copytree(ROOT / "styles", project / "styles")
    return project


@pytest.mark.parametrize("brand, minus", [(False, "-"), (True, MINUS)])
def test_the_minus_sign_is_one_the_fonts_have(tmp_path, brand, minus):
    """CLDR's Swedish minus is U+2212, which the built-in Noto Sans lacks: there the
    report prints U+002D, everywhere; Lato has U+2212, and prints it."""
    project = swedish(tmp_path, brand)
    result = build(project, reporter=BufferReporter())
    assert not [warning for warning in result.warnings if "U+2212" in warning], \
        result.warnings  # the font check: no character the face lacks
    text = "\n".join(page.extract_text() for page in PdfReader(result.path).pages)
    other = MINUS if minus == "-" else "-"
    for figure in ("1 234,56 kr", "3,5 %", "1 500"):  # prose and tiles, the table
        assert re.search(f"{re.escape(minus)} ?{figure}", text.replace(NBSP, " ")), figure
    assert f"{other}1 234,56" not in text.replace(NBSP, " ")
    ticks = line_chart_ticks(project)
    negative = [tick for tick in ticks if not tick[0].isdigit()]
    assert negative and all(tick.startswith(minus) for tick in negative), ticks


def test_a_negative_amounts_tile_reads_as_the_prose_does(tmp_path):
    project = scaffold(tmp_path, "en", "USD", -1234.56)
    assert tiles(project)[2] == "-$1,234.56"
