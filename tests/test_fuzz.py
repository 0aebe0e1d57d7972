"""Fuzzing: random report data — valid-shaped and broken, with random Unicode prose —
either builds a valid PDF or raises a ReportError with a message; never another
exception, a hang or a crash.

Every run explores new examples (Hypothesis draws at random; nothing is replayed
from a database). When one fails, Hypothesis shrinks it and prints it: add it
above the test as an ``@example(case=...)``, so that it is tried first in every
run from then on, then fix the bug. The examples there are such regressions.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from almanac.errors import ReportError
from almanac.pipeline import build, load
from almanac.stages.charts import ChartJob
from almanac.stages.render import render_report
from almanac.stages.variants import VARIANTS
from almanac.text.formatting import Formatter

from conftest import ROOT

SLUG = "01-fuzz"
KEYS = ("aantal", "norm", "aandeel")  # numbers every valid-shaped chapter defines
MOTIFS = ("aerial-river", "flood", "crowd", "tape", "drone", "classroom", "lab", "city",
          "border", "team", "network")
ODDITIES = ("\u200f", "\u202e", "\u200d", "\u200b", "\ufeff", "\u00ad", "👮🏽‍♀️", "🇳🇱", "e\u0301",
            "الشرطة", "警察", "\x00", "\x07", "\t", "\r\n", "\u2028", "\ufffd", "&amp;", "<b>",
            "<script>", "{%", "%}", "{{", "}}", "{{ aantal }}", "{{ norm}}", "**",
            "_", "#", "> ", "- ", "1. ", "|a|b|\n|-|-|", "`", "\\", "[x](http://127.0.0.1:9/)",
            "![x](file:///etc/passwd)", "Politieondersteuningsmedewerker" * 8)

# Any text except lone surrogates (which no UTF-8 file can hold).
any_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60)
text = st.one_of(any_text, st.lists(st.one_of(any_text, st.sampled_from(ODDITIES)),
                                    max_size=8).map("".join))
# A title: one line of any text (control characters are refused with a message).
title = st.one_of(
    st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1,
            max_size=60),
    st.lists(st.sampled_from([o for o in ODDITIES if o.isprintable() and o.strip()]),
             min_size=1, max_size=5).map("".join)).filter(lambda s: s.strip())
markdown = st.lists(st.one_of(text, st.sampled_from(ODDITIES)), max_size=10).map(" ".join)
key = st.one_of(st.sampled_from(KEYS), st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True))
any_value = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), text,
                      st.lists(st.integers(), max_size=3), st.dictionaries(text, text, max_size=2))
number = st.one_of(
    st.fixed_dictionaries({"value": st.integers(-10**15, 10**15), "unit": st.just("count")},
                          optional={"label": text}),
    st.fixed_dictionaries(
        {"value": st.one_of(st.integers(-10**15, 10**15), st.floats(-1e15, 1e15)),
         "unit": st.sampled_from(["decimal", "percent", "eur"])},
        optional={"label": text, "decimals": st.integers(0, 4)}))


def _blocks(figures: bool):
    """One block of every type, with random content; references mostly resolve."""
    kinds = [
        st.fixed_dictionaries({"type": st.just("prose"), "text": markdown},
                              optional={"footnotes": st.dictionaries(st.just("n"), markdown,
                                                                     max_size=1),
                                        "columns": st.sampled_from([1, 2])}),
        st.fixed_dictionaries({"type": st.just("heading"), "text": text}),
        st.fixed_dictionaries({"type": st.just("kpis"), "items": st.lists(
            st.fixed_dictionaries({"number": st.sampled_from(KEYS), "label": text}),
            min_size=1, max_size=4)}),
        st.fixed_dictionaries({"type": st.just("quote"), "text": text, "source": text}),
        st.fixed_dictionaries({"type": st.just("facts"), "title": text,
                               "items": st.lists(markdown, min_size=1, max_size=3)}),
        st.fixed_dictionaries({"type": st.just("note"), "text": markdown}),
        st.fixed_dictionaries({"type": st.just("norm"), "number": st.sampled_from(KEYS),
                               "label": text}),
        st.fixed_dictionaries({"type": st.just("table"), "caption": text,
                               "series": st.just("reeks")}),
        st.fixed_dictionaries({"type": st.just("photo"), "description": text,
                               "motif": st.sampled_from(MOTIFS),
                               "treatment": st.sampled_from(["blue-overlay", "duotone", "none"])},
                              optional={"caption": text, "overlay_text": text}),
        st.fixed_dictionaries({"type": st.just("results"), "caption": text, "items": st.lists(
            st.fixed_dictionaries({"label": text, "norm": st.sampled_from(KEYS)},
                                  optional={"realised": st.sampled_from(KEYS),
                                            "status": st.sampled_from(["achieved",
                                                                       "unknown"])}),
            min_size=1, max_size=3)}, optional={"note": markdown}),
    ]
    if figures:
        kinds.append(st.fixed_dictionaries(
            {"type": st.just("figure"), "chart": st.just("normen"), "caption": text,
             "numbers": st.lists(st.sampled_from(KEYS), min_size=1, max_size=3, unique=True)},
            optional={"id": st.just("fig"), "labels": st.dictionaries(
                st.sampled_from(KEYS), text, max_size=2)}))
    return st.one_of(*kinds)


def chapters(figures: bool):
    """A valid-shaped chapter.yaml as data: every field typed, text random."""
    section = st.fixed_dictionaries({"blocks": st.lists(_blocks(figures), min_size=1,
                                                        max_size=4)},
                                    optional={"title": text})
    return st.fixed_dictionaries(
        {"title": title, "sections": st.lists(section, min_size=1, max_size=3),
         "numbers": st.fixed_dictionaries({name: number for name in KEYS}),
         "series": st.just({"reeks": {"file": "data/reeks.csv"}})},
        optional={"lead": markdown, "short_title": text,
                  "opener": st.fixed_dictionaries({"description": text,
                                                   "motif": st.sampled_from(MOTIFS)})})


@st.composite
def broken(draw, data):
    """Valid-shaped data broken one way: a value of the wrong type somewhere, an
    unknown key, or the YAML text cut, spliced or replaced."""
    how = draw(st.sampled_from(["value", "key", "cut", "insert", "garbage"]))
    if how in ("value", "key"):
        node = data
        while isinstance(node, (dict, list)) and node and draw(st.booleans()):
            index = draw(st.sampled_from(list(node) if isinstance(node, dict)
                                         else list(range(len(node)))))
            if not isinstance(node[index], (dict, list)):
                break
            node = node[index]
        if isinstance(node, dict):
            if how == "key":
                node[draw(text)] = draw(any_value)
            elif node:
                node[draw(st.sampled_from(list(node)))] = draw(any_value)
        elif isinstance(node, list) and node:
            node[draw(st.integers(0, len(node) - 1))] = draw(any_value)
        return dump(data)
    source = dump(data)
    if how == "garbage":
        return draw(st.one_of(any_text, st.binary(max_size=200).map(
            lambda b: b.decode("latin-1"))))
    at = draw(st.integers(0, len(source)))
    if how == "cut":
        return source[:at] + source[at + draw(st.integers(1, 40)):]
    return source[:at] + draw(st.sampled_from(list(":-[]{}'\"|>&*!%@`#\t\n ") + ["  x", "\n-"])) \
        + source[at:]


def dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)


rows = st.lists(st.tuples(st.one_of(any_text, st.integers()),
                          st.one_of(st.floats(allow_nan=False, allow_infinity=False), text)),
                min_size=1, max_size=6)
series = st.one_of(  # mostly a CSV that loads, sometimes anything at all
    rows.map(lambda rows: _csv([("jaar", "aantal"), *rows])),
    rows.map(lambda rows: _csv([("jaar", "aantal"), *rows])),
    rows.map(lambda rows: _csv([("jaar", "aantal"), *rows])),
    st.binary(max_size=120),
)


def _csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def fuzz_project(tmp_path_factory) -> Path:
    """A one-chapter report with the sample's brand and figures (and its layout, if it
    has one of its own)."""
    root = tmp_path_factory.mktemp("fuzz")
    for name in ("figures", "layout", "styles"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    manifest = yaml.safe_load((ROOT / "report.yaml").read_text(encoding="utf-8"))
    manifest["chapters"] = [SLUG]
    (root / "report.yaml").write_text(dump(manifest), encoding="utf-8")
    (root / "chapters" / SLUG / "data").mkdir(parents=True)
    return root


def write(root: Path, chapter: str, rows: bytes, title: str | None = None) -> None:
    (root / "chapters" / SLUG / "chapter.yaml").write_text(chapter, encoding="utf-8")
    (root / "chapters" / SLUG / "data" / "reeks.csv").write_bytes(rows)
    manifest = yaml.safe_load((ROOT / "report.yaml").read_text(encoding="utf-8"))
    manifest.update(chapters=[SLUG], **({"title": title} if title is not None else {}))
    (root / "report.yaml").write_text(dump(manifest), encoding="utf-8")


def assert_clear(error: ReportError, root: Path) -> None:
    """A report error says something about every problem."""
    assert error.problems
    assert all(problem.message.strip() for problem in error.problems)
    assert error.format(root).strip()


@st.composite
def loading_cases(draw) -> tuple[str, bytes, str | None]:
    """(chapter.yaml text, series CSV bytes, report title or None), with no charts."""
    chapter = draw(chapters(figures=False))
    source = draw(st.one_of(st.just(dump(chapter)), broken(chapter)))
    return source, draw(series), None


@st.composite
def building_cases(draw) -> tuple[str, bytes, str | None]:
    """As loading_cases, with charts, three in four valid-shaped, and a random title."""
    chapter = draw(chapters(figures=True))
    valid = draw(st.booleans()) or draw(st.booleans())
    source = dump(chapter) if valid else draw(broken(chapter))
    return source, draw(series), draw(st.one_of(st.none(), title))


FUZZ = {"deadline": None, "database": None, "print_blob": True,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}
ONE_BLOCK = "blocks: [{type: note, text: Fuzz}]"
VALID = dump({"title": "Fuzz", "numbers": {name: {"value": 1, "unit": "count"} for name in KEYS},
              "series": {"reeks": {"file": "data/reeks.csv"}}}) + f"sections: [{{{ONE_BLOCK}}}]\n"


# Regressions: inputs that once crashed a build or made it hang.
@example(case=(VALID.replace("title: Fuzz", 'title: "Fuzz\\u200b\\u202e"'),
               b"jaar,aantal\n2021,1\n", None))  # a title of invisible characters
@example(case=(VALID.replace("sections:", "lead: '[x](javascript:alert(1)) {{ aantal }}'\n"
                             "sections:"), b"\xff\xfe", None))  # CSV not UTF-8
@settings(max_examples=150, **FUZZ)
@given(case=loading_cases())
def test_loading_random_data_is_a_report_or_a_report_error(fuzz_project, case):
    write(fuzz_project, *case)
    try:
        report = load(fuzz_project)
    except ReportError as error:
        assert_clear(error, fuzz_project)
        event(f"load error: {error.problems[0].message[:40]}")
        return
    event("loaded")
    try:  # the templates and the Markdown renderer, on every text that loads
        html = render_report(report, ChartJob(report, Formatter("nl")), VARIANTS["screen"]).html
    except ReportError as error:
        assert_clear(error, fuzz_project)
        return
    assert html.startswith("<!DOCTYPE html>")


@example(case=(VALID.replace(ONE_BLOCK, "blocks: [{type: figure, chart: normen, caption: "
                             "x, numbers: [aantal], labels: {aantal: \"a\\0b\\uFFFE\\u2028\"}}]"),
               b"jaar,aantal\n2021,1\n", "\u200f"))  # chart text vl-convert aborts on
@example(case=(VALID.replace(ONE_BLOCK, "blocks: [{type: prose, text: '"
                             + "Politieondersteuningsmedewerker" * 400 + "'}]"),
               b"jaar,aantal\n2021,1\n", None))  # one 12 000-letter word (hyphenation time)
@example(case=(VALID.replace(ONE_BLOCK, "blocks: [{type: facts, title: '', items: [\""
                             + "Politieondersteuningsmedewerker" * 8 + "\\L ta\\xadb\"]}]"),
               b"jaar,aantal\n2021,1\n", None))  # a forced line break (U+2028) after an
#                overlong word, before a soft hyphen: WeasyPrint's line layout asserted
@example(case=(VALID.replace(ONE_BLOCK, "blocks: [{type: figure, chart: normen, caption: \""
                             + "Politieondersteuningsmedewerker" * 8 + "\\P ta\\xadb\"}]"),
               b"jaar,aantal\n2021,1\n", None))  # the same in plain text (U+2029)
@settings(max_examples=15, **FUZZ)
@given(case=building_cases())
@pytest.mark.slow
def test_building_random_data_gives_a_pdf_or_a_report_error(fuzz_project, case):
    write(fuzz_project, *case)
    try:
        result = build(fuzz_project)
    except ReportError as error:
        assert_clear(error, fuzz_project)
        event(f"build error: {error.problems[0].message[:40]}")
        return
    event("built")
    assert result.path.is_relative_to(fuzz_project / "output")
    assert len(PdfReader(result.path).pages) == result.pages >= 3
