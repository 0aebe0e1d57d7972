"""The locale a report's numbers, dates and charts are written in.

A report's ``language`` is a BCP 47 tag (RFC 5646): ``nl``, ``en-GB``, ``sr-Latn``,
``zh-Hant-TW``. Babel parses it to a CLDR locale (``babel.Locale.parse``), which the
formatter (:class:`~almanac.text.formatting.Formatter`) and the charts both use, so
that a chart's axis writes numbers as the prose does.

- A tag without a region is completed with the region CLDR's likely subtags give
  its language and script (Unicode TR 35, "Likely Subtags"): ``en`` → ``en-US``,
  ``sv`` → ``sv-SE``, ``sr-Latn`` → ``sr-Latn-RS``, ``zh-Hant`` → ``zh-Hant-TW``.
  CLDR's locale of a language alone has the data of that region (``en`` writes as
  ``en-US``). When other regions of the language write numbers or dates
  differently (``en-GB``: ``1 April 2022``; ``de-CH``: ``1'250``), the build says
  so (:attr:`ChartLocale.notes`), and the report can name its region.
- A tag CLDR has no locale for, but whose language it has, falls back to the
  locale Babel finds for it (``nl-Cyrl`` → ``nl``), with a note; a language CLDR
  does not know is refused where report.yaml is read
  (:class:`~almanac.project.model.Manifest`).

Vega-Lite formats a chart's numbers with d3-format and its dates with
d3-time-format; vl-convert takes a locale definition for each (a dict of the fields
d3 documents). Both are made here from CLDR, through Babel, with the report's
currency (:func:`format_definition`, :func:`time_definition`): the same data on
every machine, whatever vl-convert bundles, so they are part of a chart's key in
the store. Nothing here imports vl-convert; the chart worker only passes them on.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from babel import Locale as BabelLocale
from babel import localedata
from babel.core import get_global

from ..text.formatting import Formatter


def _subtags(tag: str) -> tuple[str, str | None, str | None]:
    """(language, script, region) of a BCP 47 tag or a CLDR identifier."""
    parts = re.split("[-_]", tag)
    script = next((part for part in parts[1:] if re.fullmatch(r"[A-Z][a-z]{3}", part)), None)
    region = next((part for part in parts[1:] if re.fullmatch(r"[A-Z]{2}|[0-9]{3}", part)),
                  None)
    return parts[0], script, region


def _likely(language: str, script: str | None) -> tuple[str | None, str | None]:
    """CLDR's likely (script, region) of ``language`` written in ``script`` (None:
    its likeliest script); (None, None) when CLDR has none
    (``babel.core.get_global("likely_subtags")``)."""
    likely = get_global("likely_subtags")
    found = likely.get(f"{language}_{script}" if script else language) or likely.get(language)
    if not found:
        return script, None
    _, likely_script, region = _subtags(found)
    return script or likely_script, region


def locale_tag(language: str) -> str:
    """The tag of the region a report's ``language`` is written for: its own region
    (``en-GB``), else CLDR's likely one (``en`` → ``en-US``, ``sr-Latn`` →
    ``sr-Latn-RS``, ``zh-Hant`` → ``zh-Hant-TW``); a script is kept when the tag has
    one. A language CLDR gives no region keeps its bare code."""
    code, script, region = _subtags(language)
    if region is None:
        region = _likely(code, script)[1]
    return "-".join(part for part in (code, script, region) if part)


def _conventions(locale: BabelLocale) -> tuple:
    """What a report shows of a locale: its number symbols, its decimal, percent and
    currency patterns, its date patterns and its month names."""
    symbols = locale.number_symbols["latn"]
    return (tuple(symbols.get(name) for name in ("decimal", "group", "minusSign",
                                                  "percentSign")),
            locale.decimal_formats[None].pattern, locale.percent_formats[None].pattern,
            locale.currency_formats["standard"].pattern,
            tuple(locale.date_formats[style].pattern for style in ("medium", "long")),
            tuple(locale.months["format"]["wide"].values()),
            tuple(locale.months["format"]["abbreviated"].values()))


@functools.lru_cache(maxsize=64)
def _regions_differ(identifier: str) -> bool:
    """Whether a regional locale of the language (and script) of the CLDR locale
    ``identifier`` (``en``, ``sr_Latn``) writes numbers or dates otherwise than it."""
    code, script, _ = _subtags(identifier)
    script = _likely(code, script)[0]
    mine = _conventions(BabelLocale.parse(identifier))
    for other in localedata.locale_identifiers():
        other_code, other_script, region = _subtags(other)
        if other_code == code and region is not None \
                and _likely(code, other_script)[0] == script \
                and _conventions(BabelLocale.parse(other)) != mine:
            return True
    return False


@dataclass(frozen=True)
class ChartLocale:
    """The locale a report is written in: ``tag`` its language and region
    (:func:`locale_tag`), ``locale`` the CLDR locale Babel gives for the report's
    tag, ``notes`` what the build should tell about the choice (a region inferred
    where regions differ, a fallback), each a sentence naming ``language``."""

    tag: str
    locale: BabelLocale = field(compare=False)
    notes: tuple[str, ...] = ()


def resolve(language: str, languages: Sequence[str] = ()) -> ChartLocale:
    """The :class:`ChartLocale` of a report's ``language`` (a tag the manifest
    accepted); ``languages`` the report's ``languages:`` when it gives that list
    (a note's fix then writes the region there: ``languages: [nl, en-US]``), else
    empty (``language: en-US``). Raises ``babel.UnknownLocaleError`` for a language
    CLDR does not know (the manifest refuses it first)."""
    locale = BabelLocale.parse(language.replace("-", "_"))
    code, script, region = _subtags(language)
    tag = locale_tag(language)
    notes: list[str] = []
    found_code, found_script, found_region = _subtags(str(locale))
    wanted = (code, *_likely(code, script)) if region is None else \
        (code, _likely(code, script)[0], region)
    found = (found_code, *_likely(found_code, found_script)) if found_region is None else \
        (found_code, _likely(found_code, found_script)[0], found_region)
    if wanted != found:
        fallback = str(locale).replace("_", "-")
        notes.append(f"CLDR has no locale {language}: numbers, dates and charts follow "
                     f"{fallback} ({locale_tag(fallback)})")
    elif region is None and _regions_differ(str(locale)):
        listed = ", ".join(tag if other == language else other for other in languages)
        chosen = f"languages: [{listed}]" if languages else f"language: {tag}"
        notes.append(f"numbers, dates and charts follow {tag} conventions, CLDR's likeliest "
                     f"region for {language}, and its other regions write them "
                     f"differently; write the region to choose, e.g. {chosen}")
    return ChartLocale(tag=tag, locale=locale, notes=tuple(notes))


def chart_locales(language: str, currency: str = "EUR", minus: str | None = None
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The number-format and the time-format locale definitions of charts in
    ``language`` with amounts in ``currency`` and ``minus`` for U+2212 MINUS SIGN
    (:func:`format_definition`, :func:`time_definition`)."""
    return format_definition(language, currency, minus), time_definition(language)


def format_definition(language: str, currency: str = "EUR",
                      minus: str | None = None) -> dict[str, Any]:
    """A d3-format locale definition (``decimal``, ``thousands``, ``grouping``,
    ``currency``, ``minus``, ``percent``; d3-format's ``formatLocale``) from CLDR's
    symbols and patterns for ``language`` (``nl-BE``), as the report's
    :class:`~almanac.text.formatting.Formatter` writes them: the currency is the
    report's, ``[prefix, suffix]`` of the locale's currency pattern (``["€\\u00a0",
    ""]`` in Dutch, ``["", "\\u00a0€"]`` in German); the percent sign carries the
    space the locale's percent pattern sets before it (d3 appends it to the figure);
    ``minus`` is the minus sign, as the report's formatter prints it
    (:class:`~almanac.text.formatting.Formatter`: ``"-"`` where the brand's fonts lack
    U+2212, which d3 would print by default)."""
    fmt = Formatter(language, currency, minus)
    locale = fmt.locale
    grouping = locale.decimal_formats[None].grouping
    symbols = locale.number_symbols["latn"]
    percent_before, percent_after = fmt.affixes("percent")
    return {"decimal": symbols.get("decimal", "."),
            "thousands": symbols.get("group", ","),
            "grouping": [grouping[0], grouping[1]] if 0 < grouping[0] < 100 else [3],
            "currency": list(fmt.affixes("currency")),
            "minus": fmt.minus_sign,
            "percent": percent_after if not percent_before else symbols.get("percentSign",
                                                                            "%")}


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


def time_definition(language: str) -> dict[str, Any]:
    """A d3-time-format locale definition (``dateTime``, ``date``, ``time``,
    ``periods``, ``days``, ``shortDays``, ``months``, ``shortMonths``; d3-time-format's
    ``timeFormatLocale``, weeks from Sunday) from CLDR's names and medium date and
    time patterns for ``language``; a pattern d3 cannot write becomes ISO 8601."""
    locale = BabelLocale.parse(language.replace("-", "_"))
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
