"""Dutch numbers and dates, through the one formatter (other languages: test_locales)."""

import datetime as dt

import pytest

from almanac.project.model import Number
from almanac.text.formatting import NBSP, Formatter

nl = Formatter("nl")


@pytest.mark.parametrize("value, unit, expected", [
    (6.3, "percent", "6,3%"),
    (0.4, "percent", "0,4%"),
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
    assert nl.number(Number(value=-19, unit="percent")) == "-19%"  # CLDR nl: #,##0%
    assert nl.number(Number(value=100e6, unit="eur")) == f"€{NBSP}100{NBSP}miljoen"


def test_fixed_decimals():
    assert nl.number(Number(value=6, unit="percent", decimals=1)) == "6,0%"


def test_parts_for_tiles():
    assert nl.parts(Number(value=51e6, unit="eur")) == ("€", "51", "miljoen")
    assert nl.parts(Number(value=6.3, unit="percent")) == ("", "6,3", "%")


def test_counts_must_be_whole():
    with pytest.raises(ValueError, match="whole number"):
        Number(value=2.5, unit="count")


def test_dates():
    assert nl.date(dt.date(2022, 5, 1)) == "1 mei 2022"


# --------------------------------------------------------------------------- every number

from hypothesis import example, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from almanac.project.model import MAX_MAGNITUDE, parse_number  # noqa: E402

BELOW_LIMIT = st.floats(min_value=-MAX_MAGNITUDE, max_value=MAX_MAGNITUDE, exclude_min=True,
                        exclude_max=True, allow_nan=False)


def read_back(text: str) -> float:
    """A Dutch figure as a float: ``1.234,5`` → 1234.5 (its sign, prefix and unit dropped)."""
    figure = text.replace(NBSP, " ").replace("€", "").replace("%", "").strip()
    return float(figure.replace(".", "").replace(",", ".").replace("\u2212", "-"))


@given(value=BELOW_LIMIT, unit=st.sampled_from(["decimal", "percent"]),
       decimals=st.none() | st.integers(0, 4))
@example(value=999_999_999_999_999.9, unit="decimal", decimals=4)
@example(value=-0.0, unit="percent", decimals=1)
def test_every_number_the_model_accepts_prints_its_value(value, unit, decimals):
    """Below 10^15 every figure prints, to the decimals asked for (Babel rounds half to
    even; a float may be a hair off the decimal it was written as)."""
    text = nl.number(Number(value=value, unit=unit, decimals=decimals))
    places = 14 if decimals is None else decimals
    assert abs(read_back(text) - value) <= 0.5 * 10 ** -places + abs(value) * 1e-15, text
    assert not text.startswith("-0") or read_back(text) != 0, text  # no negative zero


@given(value=st.integers(min_value=1 - 10**15, max_value=10**15 - 1))
@example(value=10**15 - 1)
def test_every_count_prints_every_digit(value):
    text = nl.number(Number(value=value, unit="count"))
    assert text.replace(".", "") == str(value)


@given(value=BELOW_LIMIT)
def test_every_amount_prints(value):
    prefix, figure, unit = nl.parts(Number(value=value, unit="eur"))
    assert prefix == "€" and figure and any(c.isdigit() for c in figure)


@pytest.mark.parametrize("value", [1e15, -1e15, 1e25, 10**15, 10**400, "1e25", "9" * 400])
def test_a_number_of_10_to_the_15_or_more_is_refused(value):
    with pytest.raises(ValidationError, match="too large to print exactly"):
        Number(value=value, unit="decimal")


@pytest.mark.parametrize("text, number", [
    ("6.3", 6.3), ("-12", -12.0), (" 1e3 ", 1000.0), (".5", 0.5), ("-0", 0.0), ("+7.", 7.0),
    ("1_000", None), ("1,5", None), ("\u0661\u0662", None), ("\uff11\uff12", None),
    ("\u0967\u0968", None), ("12\u00a0", None), ("0x1F", None), ("inf", None), ("nan", None),
    ("1:30", None), ("", None), ("٫5", None),
])
def test_only_plain_ascii_numbers_are_numbers(text, number):
    """Python's float() reads all but the last six of the refused ones."""
    assert parse_number(text) == number
    if number == 0.0:
        assert str(parse_number(text)) == "0.0"  # not -0.0
