"""What a report's language costs: its message catalogue, its number formats and the
render stage in another language, as ratios against a baseline in the same run.

- **catalogue**: building a report's :class:`~almanac.text.messages.Catalogue` (the
  built-in ``.po`` files read by Babel and compiled in memory, with a project's own
  ``locale/<tag>.po`` over them) cold (Babel's parsed catalogues dropped) and warm,
  against loading the sample report (its YAML, Markdown and CSV read and checked).
- **numbers**: 10 000 figures through Almanac's :class:`~almanac.text.formatting.Formatter`
  (counts, decimals, percentages, amounts; the locale's patterns copied with the data's
  decimals) against Babel's ``format_decimal`` with its default pattern, in Dutch,
  English, German and Swedish.
- **render**: the sample's templates rendered to HTML (charts planned, not drawn) in
  Dutch (the baseline), English and German: the words and patterns of another language
  must cost nothing measurable.

Medians of interleaved rounds; peak memory of one round by ``tracemalloc``.

    python bench/bench_languages.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from babel.numbers import format_decimal

from almanac.pipeline import load, render_html
from almanac.project.model import Number
from almanac.reporter import BufferReporter
from almanac.text import messages
from almanac.text.formatting import Formatter

from _project import copy_project

SAMPLE = Path(__file__).resolve().parent.parent
"""The repository's own report."""
LANGUAGES = ("nl", "en-GB", "de", "sv")
UNITS = ("count", "decimal", "percent", "currency")


def numbers(count: int) -> list[Number]:
    """``count`` typed numbers of every unit, positive and negative, large and small."""
    found = []
    for index in range(count):
        unit = UNITS[index % len(UNITS)]
        value = (index * 7919 % 2_000_000 - 400_000) / (1 if unit == "count" else 100)
        found.append(Number(value=value, unit=unit,
                            decimals=None if unit == "count" else 1 + index % 2))
    return found


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def peak(work: Callable[[], object]) -> float:
    """The peak memory of one run of ``work`` in MiB (tracemalloc)."""
    tracemalloc.start()
    work()
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top / 2**20


def render(project: Path) -> None:
    rendered, charts = render_html(load(project), reporter=BufferReporter())
    charts.cancel()
    assert "<html" in rendered.html


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    logging.getLogger("fontTools").setLevel(logging.ERROR)  # the fonts' old 'created' dates
    with tempfile.TemporaryDirectory() as scratch:
        sample = copy_project(SAMPLE, Path(scratch) / "nl")
        projects = {"nl": sample}
        for language in ("en-GB", "de"):
            projects[language] = Path(shutil.copytree(sample, Path(scratch) / language))
            manifest = projects[language] / "report.yaml"
            manifest.write_text(manifest.read_text(encoding="utf-8").replace(
                "language: nl", f"language: {language}"), encoding="utf-8")
        figures = numbers(10_000)

        def cold() -> None:
            messages._built_in.cache_clear()
            messages.catalogue("nl", sample)

        work: dict[str, Callable[[], object]] = {
            "load the report (baseline)": lambda: load(sample),
            "catalogue nl, cold": cold,
            "catalogue nl, warm": lambda: messages.catalogue("nl", sample),
        }
        for language in LANGUAGES:
            fmt = Formatter(language)
            work[f"numbers {language}: Babel format_decimal (baseline)"] = (
                lambda language=language: [format_decimal(n.value, locale=language.replace(
                    "-", "_")) for n in figures])
            work[f"numbers {language}: Formatter"] = (
                lambda fmt=fmt: [fmt.number(n) for n in figures])
        for language, project in projects.items():
            render(project)  # the chart cache and imports warm before timing
            work[f"render {language}" + (" (baseline)" if language == "nl" else "")] = (
                lambda project=project: render(project))

        times: dict[str, list[float]] = {name: [] for name in work}
        for _ in range(rounds):
            for name, job in work.items():
                times[name].append(timed(job))
        medians = {name: statistics.median(values) for name, values in times.items()}

    def baseline_of(name: str) -> str:
        if name.startswith("numbers"):
            return name.split(":")[0] + ": Babel format_decimal (baseline)"
        if name.startswith("render"):
            return "render nl (baseline)"
        return "load the report (baseline)"

    print(f"{'':50} {'median':>10} {'ratio':>7}")
    for name, median in medians.items():
        ratio = median / medians[baseline_of(name)]
        print(f"{name:50} {median * 1000:8.1f} ms {ratio:6.2f}×")
    with tempfile.TemporaryDirectory() as scratch:
        sample = copy_project(SAMPLE, Path(scratch) / "nl")
        print(f"peak memory of a cold catalogue: {peak(lambda: cold_catalogue(sample)):.1f} MiB")


def cold_catalogue(sample: Path) -> None:
    messages._built_in.cache_clear()
    messages.catalogue("nl", sample)


if __name__ == "__main__":
    main()
