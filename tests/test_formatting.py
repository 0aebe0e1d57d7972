"""Dutch numbers and dates, through the one formatter."""

import datetime as dt

import pytest

from almanac.project.model import Number
from almanac.text.formatting import NBSP, Formatter

nl = Formatter("nl")


@pytest.mark.parametrize("value, unit, expected", [
    (6.3, "percent", "6,3 %"),
    (0.4, "percent", "0,4 %"),
    (100_000_000, "eur", "€ 100 miljoen"),
    (6_200_000, "eur", "€ 6,2 miljoen"),
    (1_000_000, "eur", "€ 1 miljoen"),
    (1_500_000_000, "eur", "€ 1,5 miljard"),
    (1250, "eur", "€ 1.250"),
    (12.5, "eur", "€ 12,50"),
    (12345, "count", "12.345"),
    (10.5, "decimal", "10,5"),
    (30, "decimal", "30"),
])
def test_numbers(value, unit, expected):
    assert nl.number(Number(value=value, unit=unit)).replace(NBSP, " ") == expected


def test_signs_never_split_from_their_number():
    assert nl.number(Number(value=6.3, unit="percent")) == f"6,3{NBSP}%"
    assert nl.number(Number(value=100e6, unit="eur")) == f"€{NBSP}100{NBSP}miljoen"


def test_fixed_decimals():
    assert nl.number(Number(value=6, unit="percent", decimals=1)).replace(NBSP, " ") == "6,0 %"


def test_parts_for_tiles():
    assert nl.parts(Number(value=51e6, unit="eur")) == ("€", "51", "miljoen")
    assert nl.parts(Number(value=6.3, unit="percent")) == ("", "6,3", "%")


def test_counts_must_be_whole():
    with pytest.raises(ValueError, match="whole number"):
        Number(value=2.5, unit="count")


def test_dates():
    assert nl.date(dt.date(2022, 5, 1)) == "1 mei 2022"
