"""The locales a chart is drawn in: how its axes write numbers and dates.

Vega-Lite formats numbers with d3-format and dates with d3-time-format; vl-convert
takes a locale for each, by name (``en-US``, ``nl-NL``: the locale files of
d3-format and d3-time-format that it bundles) or as a locale definition (a dict
of the fields d3 documents). A report's language is a BCP 47 tag, ``nl`` or
``nl-BE``. A tag without a region is completed with the region CLDR's likely
subtags give its language (``en`` → ``en-US``, ``sv`` → ``sv-SE``, ``ja`` →
``ja-JP``; Unicode TR 35, "Likely Subtags"); a tag with one keeps it. Where
vl-convert has no locale of that name (it has ``nl-BE`` for dates but not for
numbers; nothing for Albanian) the definition is made from CLDR's data for the
locale through Babel, so a chart never falls back to another language's
separators or month names.

Only the chart worker calls :func:`chart_locales` (vl-convert lives there).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Locale = str | dict[str, Any]
"""A locale as vl-convert takes it: a bundled locale's name or a d3 definition."""


def locale_tag(language: str) -> str:
    """The language-region tag (``en-US``) of a report's ``language`` (``en`` or
    ``en-GB``, as :class:`~almanac.project.model.Manifest` accepts it): its own
    region, else the likely region of CLDR (``babel.core.get_global
    ("likely_subtags")``). A language CLDR gives no region keeps its bare code."""
    from babel import Locale as BabelLocale
    from babel.core import get_global

    if "-" in language:
        return language
    code = BabelLocale.parse(language).language
    likely = get_global("likely_subtags").get(code, "")
    regions = [part for part in likely.split("_")[1:]
               if re.fullmatch(r"[A-Z]{2}|[0-9]{3}", part)]
    return f"{code}-{regions[-1]}" if regions else code


def chart_locales(language: str) -> tuple[Locale, Locale]:
    """The number-format and the time-format locale of charts in ``language``:
    for each, vl-convert's bundled locale of :func:`locale_tag` when it has one
    (``vl_convert.get_format_locale``, ``get_time_format_locale`` raise
    ValueError for a name they lack), else a definition made from CLDR
    (:func:`format_definition`, :func:`time_definition`)."""
    import vl_convert

    tag = locale_tag(language)
    locales: list[Locale] = []
    bundled_locales: tuple[Callable[[Any], object], Callable[[Any], object]] = (
        vl_convert.get_format_locale, vl_convert.get_time_format_locale)
    for bundled, made in zip(bundled_locales, (format_definition, time_definition)):
        try:
            bundled(tag)  # the stubs list the bundled names as Literals: a name is data here
            locales.append(tag)
        except ValueError:
            locales.append(made(tag))
    return locales[0], locales[1]


def format_definition(tag: str) -> dict[str, Any]:
    """A d3-format locale definition (``decimal``, ``thousands``, ``grouping``,
    ``currency``, ``minus``; d3-format's ``formatLocale``) from CLDR's symbols and
    number patterns for ``tag`` (``nl-BE``). The currency is the region's first
    (``babel.numbers.get_territory_currencies``), euro without a region."""
    from babel import Locale as BabelLocale
    from babel import numbers

    locale = BabelLocale.parse(tag.replace("-", "_"))
    grouping = locale.decimal_formats[None].grouping
    currencies = numbers.get_territory_currencies(locale.territory) if locale.territory \
        else []
    symbol = numbers.get_currency_symbol(currencies[0] if currencies else "EUR", locale)
    pattern = locale.currency_formats["standard"]
    prefix, suffix = pattern.prefix[0], pattern.suffix[0]
    return {"decimal": numbers.get_decimal_symbol(locale),
            "thousands": numbers.get_group_symbol(locale),
            "grouping": [grouping[0], grouping[1]] if grouping[0] else [3],
            "currency": [prefix.replace("¤", symbol), suffix.replace("¤", symbol)],
            "minus": numbers.get_minus_sign_symbol(locale)}


_FIELDS = {"yyyy": "%Y", "yy": "%y", "y": "%Y", "MMMM": "%B", "MMM": "%b", "MM": "%m",
           "M": "%-m", "dd": "%d", "d": "%-d", "EEEE": "%A", "EEE": "%a", "E": "%a",
           "HH": "%H", "H": "%-H", "hh": "%I", "h": "%-I", "mm": "%M", "ss": "%S", "a": "%p"}
"""CLDR date-pattern fields (Unicode TR 35, "Date Field Symbol Table") and the
d3-time-format directive of each; a pattern with any other field is not converted."""


def _strftime(pattern: str, fallback: str) -> str:
    """A CLDR date, time or date-time pattern as a d3-time-format specifier (a
    date-time pattern's ``{1}`` and ``{0}`` become ``%x`` and ``%X``), or
    ``fallback`` when it uses a field d3 cannot write."""
    out = []
    for match in re.finditer(r"'([^']*)'|([A-Za-z])\2*|\{([01])\}|.", pattern):
        text = match.group(0)
        if match.group(2):
            if text not in _FIELDS:
                return fallback
            out.append(_FIELDS[text])
        elif match.group(3):
            out.append("%x" if match.group(3) == "1" else "%X")
        elif text.startswith("'"):
            out.append((match.group(1) or "'").replace("%", "%%"))
        else:
            out.append(text.replace("%", "%%"))
    return "".join(out)


def time_definition(tag: str) -> dict[str, Any]:
    """A d3-time-format locale definition (``dateTime``, ``date``, ``time``,
    ``periods``, ``days``, ``shortDays``, ``months``, ``shortMonths``; d3-time-format's
    ``timeFormatLocale``, weeks from Sunday) from CLDR's names and medium date and
    time patterns for ``tag``; a pattern d3 cannot write becomes ISO 8601."""
    from babel import Locale as BabelLocale

    locale = BabelLocale.parse(tag.replace("-", "_"))
    days, short_days = (locale.days["format"][width] for width in ("wide", "abbreviated"))
    months, short_months = (locale.months["format"][width] for width in ("wide", "abbreviated"))
    periods = locale.day_periods["format"]["abbreviated"]
    date = _strftime(locale.date_formats["medium"].pattern, "%Y-%m-%d")
    time = _strftime(locale.time_formats["medium"].pattern, "%H:%M:%S")
    sunday_first = [6, 0, 1, 2, 3, 4, 5]  # CLDR (Babel) counts from Monday, d3 from Sunday
    return {"dateTime": _strftime(str(locale.datetime_formats["medium"]), "%x %X"),
            "date": date, "time": time,
            "periods": [periods.get("am", "AM"), periods.get("pm", "PM")],
            "days": [days[i] for i in sunday_first],
            "shortDays": [short_days[i] for i in sunday_first],
            "months": [months[i] for i in range(1, 13)],
            "shortMonths": [short_months[i] for i in range(1, 13)]}
