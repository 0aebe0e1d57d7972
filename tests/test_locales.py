"""Every language: numbers, amounts, dates and charts as the report's locale writes
them (CLDR, through Babel), in the report's currency, drawn the same on every
machine; figure modules that serve every language."""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from almanac.errors import ReportError
from almanac.pipeline import load
from almanac.project.model import Number
from almanac.project.scaffold import new_project
from almanac.project.tables import Column
from almanac.stages.chartlocale import chart_locales, locale_tag, resolve
from almanac.stages.charts import ChartJob, figure_blocks
from almanac.stages.render import render_report
from almanac.stages.variants import VARIANTS
from almanac.text.formatting import NBSP, Formatter

from conftest import ROOT, edit

NNBSP = "\u202f"
MINUS = "\u2212"
TODAY = dt.date(2024, 4, 1)

# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize("language, currency, value, unit, decimals, expected", [
    # percentages: the locale's percent pattern
    ("en", "EUR", 12.5, "percent", 1, "12.5%"),
    ("nl", "EUR", 12.5, "percent", 1, "12,5%"),
    ("de", "EUR", 12.5, "percent", 1, f"12,5{NBSP}%"),
    ("fr", "EUR", 12.5, "percent", 1, f"12,5{NBSP}%"),
    ("en", "EUR", -19, "percent", None, "-19%"),
    ("sv", "SEK", -19, "percent", None, f"{MINUS}19{NBSP}%"),  # CLDR sv: U+2212
    # large amounts: the long compact form in the currency pattern
    ("en", "EUR", 6_200_000, "currency", None, f"€6.2{NBSP}million"),
    ("nl", "EUR", 6_200_000, "eur", None, f"€{NBSP}6,2{NBSP}miljoen"),
    ("de", "EUR", 6_200_000, "currency", None, f"6,2{NBSP}Millionen{NBSP}€"),
    ("fr", "EUR", 6_200_000, "currency", None, f"6,2{NBSP}millions{NBSP}€"),
    ("en", "USD", 6_200_000, "currency", None, f"$6.2{NBSP}million"),
    ("en", "EUR", -6_200_000, "currency", None, f"-€6.2{NBSP}million"),
    # amounts: the currency pattern and the currency's symbol in the locale
    ("en", "EUR", 1250, "currency", 2, "€1,250.00"),
    ("en", "USD", 1250, "currency", 2, "$1,250.00"),
    ("nl", "USD", 1250, "currency", 2, f"US${NBSP}1.250,00"),
    ("de", "USD", 1250.5, "currency", None, f"1.250,50{NBSP}$"),
    ("fr", "EUR", 1250, "currency", None, f"1{NNBSP}250{NBSP}€"),
    ("nl", "EUR", -1250.5, "currency", None, f"€{NBSP}-1.250,50"),  # CLDR nl: ¤ -#,##0.00
    ("ja", "JPY", 1250, "currency", None, "￥1,250"),
    # counts and decimals: the locale's grouping, decimal mark and minus sign
    ("en", "EUR", 12345, "count", None, "12,345"),
    ("de-CH", "CHF", 12345, "count", None, "12'345"),
    ("fr", "EUR", -2.5, "decimal", None, "-2,5"),
    ("sv", "SEK", -2.5, "decimal", None, f"{MINUS}2,5"),
])
def test_numbers_follow_the_locales_patterns(language, currency, value, unit, decimals,
                                             expected):
    fmt = Formatter(language, currency)
    assert fmt.number(Number(value=value, unit=unit, decimals=decimals)) == expected


@pytest.mark.parametrize("language, currency, value, unit, parts", [
    ("en", "EUR", 51e6, "currency", ("€", "51", "million")),
    ("nl", "EUR", 51e6, "eur", ("€", "51", "miljoen")),
    ("de", "EUR", 51e6, "currency", ("", "51", f"Millionen{NBSP}€")),
    ("en", "USD", 1250, "currency", ("$", "1,250", "")),
    ("fr", "EUR", 6.3, "percent", ("", "6,3", "%")),
    ("en", "EUR", -19, "percent", ("", "-19", "%")),  # the sign goes with the figure
    ("nl", "EUR", -1250, "currency", ("€", "-1.250", "")),
])
def test_tiles_get_their_parts_from_the_pattern(language, currency, value, unit, parts):
    fmt = Formatter(language, currency)
    number = Number(value=value, unit=unit)
    assert fmt.parts(number) == parts
    assert fmt.number(number).replace(NBSP, "") == "".join(parts).replace(NBSP, "")


@pytest.mark.parametrize("language, currency, kind, value, expected", [
    ("en", "USD", "currency", 1250.5, "$1,250.50"),
    ("de", "EUR", "currency", 1250.5, f"1.250,50{NBSP}€"),
    ("nl", "EUR", "currency", 6_200_000, f"€{NBSP}6.200.000,00"),  # a cell: never compact
    ("fr", "EUR", "percent", 12.5, f"12,50{NBSP}%"),
    ("en", "EUR", "percent", -3, "-3.00%"),
])
def test_table_cells_follow_the_locale(language, currency, kind, value, expected):
    assert Formatter(language, currency).cell(value, Column("x", kind, 2)) == expected


@pytest.mark.parametrize("language, expected", [
    ("de", "1. April 2022"), ("en", "April 1, 2022"), ("en-GB", "1 April 2022"),
    ("nl", "1 april 2022"), ("fr", "1 avril 2022")])
def test_dates_follow_the_locale(language, expected):
    assert Formatter(language).date(dt.date(2022, 4, 1)) == expected


# --------------------------------------------------------------------------- the manifest

def manifest_line(project: Path, old: str, new: str) -> int:
    return edit(project, "report.yaml", old, new)


@pytest.mark.parametrize("language", ["sr-Latn", "zh-Hant-TW", "de-AT", "es-419"])
def test_a_language_may_have_a_script_and_a_region(tmp_path, language):
    new_project(tmp_path / "r", language=language, today=TODAY)
    assert load(tmp_path / "r").manifest.language == language


@pytest.mark.parametrize("written, expected", [
    ("language: xx-Latn", "is not a language and region that CLDR (Babel) knows"),
    ("language: en_GB", "is not a BCP 47 language tag, got 'en_GB'"),
    ("currency: EURO", "did you mean 'EUR'?"),
    ("currency: usd", "did you mean 'USD'?"),
])
def test_an_unknown_language_or_currency_is_an_error_on_its_line(tmp_path, written,
                                                               expected):
    project = tmp_path / "r"
    new_project(project, language="en", today=TODAY)
    key = written.split(":")[0]
    if key == "currency":
        line = edit(project, "report.yaml", 'language: "en"\n',
                    f'language: "en"\n{written}\n') + 1
    else:
        line = edit(project, "report.yaml", 'language: "en"\n', written + "\n")
    with pytest.raises(ReportError) as caught:
        load(project)
    message = caught.value.format(project)
    assert message.startswith(f"report.yaml:{line}: {key}: "), message
    assert expected in message


def language_problem(tmp_path, written: str):
    """A new English project whose language: is ``written``: (the project, its one
    problem, the line of that language: in report.yaml)."""
    project = tmp_path / "r"
    new_project(project, language="en", today=TODAY)
    line = manifest_line(project, 'language: "en"\n', f'language: "{written}"\n')
    with pytest.raises(ReportError) as caught:
        load(project)
    [problem] = caught.value.problems
    return project, problem, line


@pytest.mark.parametrize("written, meant", [
    ("en_GB", "en-GB"), ("EN-gb", "en-GB"), ("en-US-x-foo", "en-US"), ("SR_latn", "sr-Latn"),
    ("zh_hant_tw", "zh-Hant-TW"), ("Dutch", "nl"),
])
def test_a_tag_written_otherwise_is_an_error_with_the_tag_meant(tmp_path, written, meant):
    project, problem, line = language_problem(tmp_path, written)
    assert (problem.line, problem.where) == (line, "language")
    assert problem.message == f"is not a BCP 47 language tag, got '{written}'"
    assert problem.hint == f"did you mean '{meant}'?"
    manifest_line(project, f'language: "{written}"', f'language: "{meant}"')
    assert load(project).manifest.language == meant  # the fix is one the report takes


@pytest.mark.parametrize("written, said", [
    ("klingon", "is not a BCP 47 language tag"),
    ("root", "is not a BCP 47 language tag"),  # CLDR's root locale, no language
    ("und", "names no language ('und' is undetermined)"),
    ("und-NL", "names no language"),
])
def test_a_tag_that_fits_no_language_is_an_error_with_examples(tmp_path, written, said):
    project, problem, _ = language_problem(tmp_path, written)
    assert problem.message.startswith(said)
    assert "did you mean" not in problem.hint and "en-GB" in problem.hint


TAG = re.compile(r"\b[a-z]{2,3}(?:-[A-Z][a-z]{3})?-(?:[A-Z]{2}|[0-9]{3})\b")


@pytest.mark.parametrize("written, language", [
    ("nl-XX", "nl"), ("de-XX", "de"), ("sr-Latn-XX", "sr-Latn"), ("fr-XX", "fr")])
def test_an_unknown_region_is_told_the_regions_of_its_language(tmp_path, written, language):
    project, problem, _ = language_problem(tmp_path, written)
    assert f"write '{language}' alone, or with a region CLDR knows for it" in problem.hint
    listed = TAG.findall(problem.hint)
    assert len(listed) >= 2 and all(tag.startswith(f"{language}-") for tag in listed)
    for tag in listed[:3]:  # each one the report takes
        manifest_line(project, f'language: "{written}"', f'language: "{tag}"')
        assert load(project).manifest.language == tag
        written = tag


def test_nl_is_told_its_likeliest_regions_first(tmp_path):
    project = tmp_path / "r"
    new_project(project, language="en", today=TODAY)
    manifest_line(project, 'language: "en"\n', 'language: "nl-XX"\n')
    with pytest.raises(ReportError) as caught:
        load(project)
    listed = TAG.findall(caught.value.problems[0].hint)
    assert listed[0] == "nl-NL" and {"nl-BE", "nl-SR"} <= set(listed)


def test_each_of_languages_is_checked_as_language_is(tmp_path):
    project = tmp_path / "r"
    new_project(project, language="en", today=TODAY)
    line = manifest_line(project, 'language: "en"\n', "languages:\n  - en\n  - nl_BE\n")
    with pytest.raises(ReportError) as caught:
        load(project)
    [problem] = caught.value.problems
    assert problem.line == line + 2 and problem.where == "languages[1]"
    assert problem.hint == "did you mean 'nl-BE'?"


def test_messages_is_told_the_tag_meant(tmp_path, cli):
    project = tmp_path / "r"
    new_project(project, language="en", today=TODAY)
    ran = cli("messages", "nl_BE", str(project))
    assert ran.returncode == 2 and "did you mean nl-BE?" in ran.stderr
    assert not (project / "locale").exists()  # no nl_BE.po a build would never read
    assert cli("messages", "und", str(project)).returncode == 2


# --------------------------------------------------------------------------- the currency

def english_project(tmp_path: Path, currency: str | None, language: str = "en") -> Path:
    """The English scaffold in ``language``, with amounts in the neutral unit, a series of
    amounts and a table of it; ``currency:`` in report.yaml when given."""
    project = tmp_path / f"r-{language}-{currency}"
    new_project(project, language="en", today=TODAY)  # the English texts, in any case
    edit(project, "report.yaml", 'language: "en"\n', f'language: "{language}"\n'
         + (f"currency: {currency}\n" if currency is not None else ""))
    edit(project, "chapters/01-introduction/chapter.md", "unit: eur", "unit: currency")
    results = "chapters/02-results/chapter.md"
    edit(project, results, "series:\n", "series:\n  costs: {file: data/costs.csv}\n")
    edit(project, results, "### Per quarter\n",
         ":::{table} costs\nCosts per item\n:::\n\n### Per quarter\n")
    return project


def write_costs(project: Path, text: str) -> Path:
    path = project / "chapters/02-results/data/costs.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_amounts_in_the_data_are_in_the_reports_currency(tmp_path):
    project = english_project(tmp_path, "USD")
    write_costs(project, "item,cost\nrent,\"$1,250.50\"\npower,$300\n")
    report = load(project)
    series = next(chapter.series["costs"] for chapter in report.chapters
                  if "costs" in chapter.series)
    assert series.column("cost").kind == "currency"
    assert [row["cost"] for row in series.rows] == [1250.5, 300]


def test_an_amount_in_another_currency_is_an_error_naming_its_cell(tmp_path):
    project = english_project(tmp_path, None)  # EUR, by default
    path = write_costs(project, "item,cost\nrent,€ 1250.50\npower,$300\n")
    with pytest.raises(ReportError) as caught:
        load(project)
    message = caught.value.format(project)
    assert f"{path.relative_to(project).as_posix()}:3: B3: '$300' is an amount in $, and " \
        "the report's currency is EUR (€)" in message, message
    assert "fix: give the amount in EUR" in message


def test_unit_eur_in_a_report_of_another_currency_is_an_error_on_its_line(tmp_path):
    project = tmp_path / "r"
    new_project(project, language="en", today=TODAY)
    edit(project, "report.yaml", 'language: "en"\n', 'language: "en"\ncurrency: GBP\n')
    with pytest.raises(ReportError) as caught:
        load(project)
    message = caught.value.format(project)
    assert "numbers.budget: unit: eur is an amount in euros, and the report's currency is " \
        "GBP (£)" in message and "fix: write unit: currency" in message, message


def rendered(project: Path) -> str:
    """The report's HTML (charts planned, not drawn), its text as a reader sees it."""
    report = load(project)
    fmt = Formatter(report.manifest.language, report.manifest.currency)
    job = ChartJob(report, fmt, cache=True)
    text = re.sub(r"<[^>]+>", " ", render_report(report, job, VARIANTS["screen"]).html)
    return re.sub(r"[ \n]+", " ", html.unescape(text).replace("\u00ad", ""))


@pytest.mark.parametrize("language, currency, prose, tile, cell", [
    ("en", "USD", f"$4.2{NBSP}million", "$ 4.2 million", "$1,250.50"),
    ("en-GB", "GBP", f"£4.2{NBSP}million", "£ 4.2 million", "£1,250.50"),
    ("de", "EUR", f"4,2{NBSP}Millionen{NBSP}€", "4,2 Millionen\u00a0€", f"1.250,50{NBSP}€"),
    ("fr", "EUR", f"4,2{NBSP}millions{NBSP}€", "4,2 millions\u00a0€", f"1{NNBSP}250,50{NBSP}€"),
    ("nl", "EUR", f"€{NBSP}4,2{NBSP}miljoen", "€ 4,2 miljoen", f"€{NBSP}1.250,50"),
])
def test_prose_tiles_and_tables_write_amounts_as_the_locale_does(tmp_path, language,
                                                                 currency, prose, tile, cell):
    project = english_project(tmp_path, currency, language)
    write_costs(project, "item,cost\nrent,1250.50\npower,300\n")
    edit(project, "chapters/02-results/chapter.md", "costs: {file: data/costs.csv}",
         "costs: {file: data/costs.csv, columns: {cost: currency(2)}}")
    text = rendered(project)
    assert prose in text, prose  # the budget in the running text
    assert tile in text, tile  # its tile: the parts, set apart
    assert cell in text, cell  # the table's cell


# --------------------------------------------------------------------------- chart locales

@pytest.mark.parametrize("language, tag, noted", [
    ("en", "en-US", True),  # en-GB writes dates otherwise: say which region was taken
    ("nl", "nl-NL", False),  # nl-BE writes as nl-NL does: nothing to say
    ("nl-BE", "nl-BE", False), ("sv", "sv-SE", True), ("de-AT", "de-AT", False),
    ("sr-Latn", "sr-Latn-RS", True), ("zh-Hant", "zh-Hant-TW", False),
])
def test_the_chart_locale_comes_from_the_language(language, tag, noted):
    found = resolve(language)
    assert found.tag == locale_tag(language) == tag
    assert bool(found.notes) == noted
    if noted:
        assert f"follow {tag} conventions" in found.notes[0] and f"language: {tag}" in \
            found.notes[0]


def test_a_script_cldr_lacks_falls_back_with_a_note():
    found = resolve("nl-Cyrl")
    assert str(found.locale) == "nl" and "CLDR has no locale nl-Cyrl" in found.notes[0]


@pytest.mark.parametrize("language, currency, decimal, thousands, money, minus", [
    ("en", "EUR", ".", ",", ["€", ""], "-"),  # not vl-convert's en-US "$"
    ("en", "USD", ".", ",", ["$", ""], "-"),
    ("nl-BE", "EUR", ",", ".", [f"€{NBSP}", ""], "-"),
    ("sv", "SEK", ",", NBSP, ["", f"{NBSP}kr"], MINUS),
    ("de-AT", "EUR", ",", ".", [f"€{NBSP}", ""], "-"),  # CLDR de_AT: ¤ #,##0.00
    ("sr-Latn", "EUR", ",", ".", ["", f"{NBSP}€"], "-"),
])
def test_chart_number_locales_carry_the_reports_currency(language, currency, decimal,
                                                         thousands, money, minus):
    numbers, dates = chart_locales(language, currency)
    assert (numbers["decimal"], numbers["thousands"], numbers["currency"],
            numbers["minus"]) == (decimal, thousands, money, minus)
    assert len(dates["months"]) == 12 and len(dates["shortDays"]) == 7


@pytest.mark.parametrize("language, amount, month", [
    ("en", "€1,250", "January"), ("sv", "1\u00a0250\u00a0€", "januari"),
    ("da", "1.250\u00a0€", "januar"), ("ja", "€1,250", "1月"),
    ("nl-BE", "€\u00a01.250", "januari"), ("en-GB", "€1,250", "January"),
    ("de-AT", "€\u00a01.250", "Jänner"), ("sr-Latn", "1.250\u00a0€", "januar"),
    ("zh-Hant", "€1,250", "1月"),
])
def test_vl_convert_draws_with_every_locale(language, amount, month):
    """The definitions are ones vl-convert takes (an unknown field, a wrong shape, and
    every chart of the report would fail): a currency axis and a month axis."""
    import vl_convert

    numbers, dates = chart_locales(language, "EUR")
    spec = {"data": {"values": [{"when": "2021-01-01", "cost": 1250}]},
            "layer": [{"mark": "text", "encoding": {
                "text": {"field": "cost", "type": "quantitative", "format": "$,.0f"}}},
                {"mark": "text", "encoding": {"text": {"field": "when", "type": "temporal",
                                                       "format": "%B"}}, "transform": []}]}
    svg = vl_convert.vegalite_to_svg(spec, format_locale=numbers, time_format_locale=dates)
    texts = {html.unescape(text) for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg)}
    assert amount in texts and month in texts, texts


# --------------------------------------------------------------------------- drawn charts

def drawn(project: Path) -> tuple[ChartJob, str]:
    """The job of the project's charts, drawn (from the store where it has them), and
    the SVG of its first chart."""
    report = load(project)
    job = ChartJob(report, Formatter(report.manifest.language, report.manifest.currency))
    job.start()
    job.finish()
    _, block = next(figure_blocks(report))
    return job, job.svg(block)


def svg_texts(svg: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


@pytest.mark.slow
def test_changing_the_language_draws_the_charts_again(small):
    first, svg = drawn(small)  # the sick-leave chart, in Dutch
    assert "6,7%" in svg_texts(svg)
    edit(small, "report.yaml", "language: nl\n", "language: en-GB\n")
    second, svg = drawn(small)
    assert {plan.key for plan in second.plans.values()}.isdisjoint(
        plan.key for plan in first.plans.values())
    assert "6.7%" in svg_texts(svg) and "6,7%" not in svg_texts(svg)


def test_the_chart_key_changes_with_the_font_files_and_the_currency(small):
    def keys() -> set[str]:
        report = load(small)
        job = ChartJob(report, Formatter(report.manifest.language, report.manifest.currency))
        return {plan.key for plan in job.plans.values()}

    before = keys()
    fonts = small / "styles" / "fonts"
    regular, light = fonts / "Lato-Regular.ttf", fonts / "Lato-Light.ttf"
    regular.write_bytes(light.read_bytes())  # another face under the same name
    changed = keys()
    assert changed.isdisjoint(before)
    edit(small, "report.yaml", "language: nl\n", "language: nl\ncurrency: USD\n")
    assert keys().isdisjoint(changed)


@pytest.mark.slow
def test_a_figure_module_translates_with_the_projects_catalogue(small):
    (small / "figures" / "verzuim.py").write_text(
        "import altair as alt\n\n\ndef build(data, theme):\n"
        "    rows = [{'v': value.value} for value in data.numbers.values()]\n"
        "    return alt.Chart(alt.Data(values=rows), title=theme.gettext(\n"
        "        'Sickness absence in %(year)s', year=2021)).mark_bar().encode(y='v:Q')\n",
        encoding="utf-8")
    (small / "locale").mkdir()
    (small / "locale" / "nl.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Sickness absence in %(year)s"\nmsgstr "Ziekteverzuim in %(year)s"\n',
        encoding="utf-8")
    _, svg = drawn(small)
    assert "Ziekteverzuim in 2021" in svg_texts(svg)


MONTHS_MODULE = """\
import altair as alt


def build(data, theme):
    when, value = list(data.rows[0])[:2]
    rows = [{"when": row[when].isoformat(), "value": row[value]} for row in data.rows]
    return alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        x=alt.X("when:O", timeUnit="yearmonth", title=None),
        y=alt.Y("value:Q", title=None))
"""

DRAW = """\
import sys
from almanac.pipeline import load
from almanac.stages.charts import ChartJob, figure_blocks
from almanac.text.formatting import Formatter

report = load(sys.argv[1])
job = ChartJob(report, Formatter(report.manifest.language), cache=False)
job.start()
job.finish()
block = next(block for _, block in figure_blocks(report) if block.chart == "line")
sys.stdout.write(job.svg(block))
"""


@pytest.mark.slow
def test_charts_are_drawn_in_utc_wherever_the_machine_is(tmp_path):
    """A date is midnight UTC to Vega; drawn in New York's local time, 2021-01-01 would
    fall in December 2020. Each build runs in a process of its own, in its time zone."""
    project = tmp_path / "r"
    new_project(project, language="en", today=TODAY)
    (project / "figures").mkdir(exist_ok=True)
    (project / "figures" / "line.py").write_text(MONTHS_MODULE, encoding="utf-8")
    (project / "chapters/02-results/data/requests.csv").write_text(
        "month,requests\n2021-01-01,5\n2021-02-01,7\n2021-03-01,6\n", encoding="utf-8")
    svgs = {}
    for zone in ("UTC", "America/New_York"):
        done = subprocess.run([sys.executable, "-c", DRAW, str(project)], capture_output=True,
                              text=True, timeout=300, env={**os.environ, "TZ": zone})
        assert done.returncode == 0, done.stderr
        svgs[zone] = done.stdout
    assert svgs["UTC"] == svgs["America/New_York"]
    labels = svg_texts(svgs["UTC"])
    assert labels[:3] == ["Jan 2021", "Feb 2021", "Mar 2021"], labels


def test_the_sample_has_no_words_in_its_figure_modules():
    """The sample's charts take their words from the chapters: the bars' names from the
    blocks' labels, so the figure modules serve any language."""
    block = next(block for _, block in figure_blocks(load(ROOT)) if block.chart == "verzuim")
    assert set(block.labels) == {"verzuim", "verzuim_daling"}
    verzuim = (ROOT / "figures" / "verzuim.py").read_text(encoding="utf-8")
    assert all(label not in verzuim for label in block.labels.values())


def test_the_sample_builds_without_a_locale_note(built):
    assert not any("conventions" in warning for warning in built.warnings)


def test_a_project_in_english_is_told_which_region_it_follows(tmp_path):
    from almanac.pipeline import check
    from almanac.reporter import BufferReporter

    project = tmp_path / "r"
    new_project(project, language="en", today=TODAY)
    reporter = BufferReporter()
    checked = check(project, strict=True, reporter=reporter)  # a note fails nothing
    line = next(number for number, text in enumerate(
        (project / "report.yaml").read_text().splitlines(), 1) if text.startswith("language:"))
    assert any(warning.startswith(f"report.yaml:{line}: language: en: numbers, dates and "
                                  "charts follow en-US conventions")
               and warning.endswith("e.g. language: en-US") for warning in checked.warnings)
    assert any("en-US conventions" in warning for warning in reporter.warnings)
