"""The one number and date formatter of a report, built on Babel.

Every figure in the PDF — prose, KPI tiles, norms, table cells, chart labels — goes
through :class:`Formatter`, so a report writes numbers one way, the way its
language does: the patterns and symbols of its CLDR locale (Unicode TR 35, Part 3,
"Number Format Patterns"), through Babel. The same 6.3 percent is ``6.3%`` in
English, ``6,3%`` in Dutch, ``6,3 %`` in German and French (a no-break space);
6.2 million euros is ``€6.2 million``, ``€ 6,2 miljoen`` and
``6,2 Millionen €``. A no-break space keeps a number and its sign on one line.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import (
    NumberPattern,
    format_compact_decimal,
    get_currency_precision,
    get_currency_symbol,
)

from ..project.fontfaces import minus_for
from ..project.model import AMOUNTS, Member, Number, Report
from ..project.tables import Column

NBSP = "\u00a0"
MINUS_SIGN = "\u2212"
"""U+2212 MINUS SIGN, CLDR's ``minusSign`` in Swedish, Finnish, Norwegian, Swiss German
and others; a font may lack it (:func:`~almanac.project.fontfaces.minus_for`)."""
MAX_DECIMALS = 15
"""The most decimals a figure prints when the data does not fix them."""
COMPACT_FROM = 1_000_000
"""Amounts from a million up print in the locale's long compact form (``6,2
miljoen``), placed in its currency pattern."""
_SPACES = " \u00a0\u202f"


def _affix(text: str, symbols: dict[str, str]) -> str:
    """A prefix or suffix of a CLDR number pattern with its special characters
    (``-`` ``+`` ``%`` ``‰`` ``¤``) replaced by the locale's symbols and its quoted
    literals unquoted (UTS #35 Part 3, "Special Pattern Characters": in a prefix or
    suffix these stand for the localized symbol; ``''`` is a quote). Babel's
    ``NumberPattern.apply`` writes ``-`` and ``%`` as they are, where Swedish, for
    one, writes U+2212 MINUS SIGN."""
    out: list[str] = []
    index = 0
    while index < len(text):
        character = text[index]
        if character == "'":
            end = text.find("'", index + 1)
            end = len(text) if end < 0 else end
            out.append(text[index + 1:end] or "'")
            index = end + 1
            continue
        out.append(symbols.get(character, character))
        index += 1
    return "".join(out)


class Parts(tuple[str, str, str]):
    """A number as a KPI tile sets it: the 3-tuple (prefix, figure, suffix) of
    :meth:`Formatter.parts`, with ``spaced_before`` and ``spaced_after``, whether the
    locale's pattern sets a space between the prefix and the figure (``€ 51`` in
    Dutch, not ``€51`` in English) and between the figure and the suffix (``6,3 %`` in
    German and French, not ``6.3%`` in English); and ``sign``, a minus sign the
    pattern sets before the prefix (``-$1,250`` in English), set as large as the
    figure, in the pattern's place, or empty (the sign is then in the figure)."""

    spaced_before: bool
    spaced_after: bool
    sign: str

    def __new__(cls, prefix: str, figure: str, suffix: str, spaced_before: bool = False,
                spaced_after: bool = False, sign: str = "") -> Parts:
        made = super().__new__(cls, (prefix, figure, suffix))
        made.spaced_before, made.spaced_after, made.sign = spaced_before, spaced_after, sign
        return made

    @property
    def prefix(self) -> str:
        """The text set before the figure (``€``, ``US$``), or empty."""
        return self[0]

    @property
    def figure(self) -> str:
        """The figure, with its minus sign (``-1.250``, ``51``)."""
        return self[1]

    @property
    def suffix(self) -> str:
        """The text set after the figure (``%``, ``miljoen``, ``Millionen €``), or empty."""
        return self[2]


class Formatter:
    """Formats numbers and dates for one locale (``nl`` by default) and one currency
    (an ISO 4217 code, ``EUR`` by default), as a report's manifest gives them.

    ``minus``, when given, is printed wherever the locale's minus sign has U+2212
    MINUS SIGN (:data:`MINUS_SIGN`): ``"-"`` for a report whose fonts lack it
    (:func:`report_formatter`), so that a negative number never prints a glyph the
    font does not have."""

    def __init__(self, language: str = "nl", currency: str = "EUR",
                 minus: str | None = None):
        self.locale = Locale.parse(language.replace("-", "_"))
        self.currency = currency
        numbers = self.locale.number_symbols["latn"]
        minus_sign = numbers.get("minusSign", "-")
        if minus is not None:
            minus_sign = minus_sign.replace(MINUS_SIGN, minus)
        self._symbols = {"-": minus_sign,
                         "+": numbers.get("plusSign", "+"),
                         "%": numbers.get("percentSign", "%"),
                         "‰": numbers.get("perMille", "‰"),
                         "¤": self.currency_symbol}

    @property
    def currency_symbol(self) -> str:
        """The report's currency as the locale writes it (``€``; USD is ``$`` in
        English, ``US$`` in Dutch: ``babel.numbers.get_currency_symbol``)."""
        return get_currency_symbol(self.currency, self.locale)

    @property
    def minus_sign(self) -> str:
        """The minus sign printed: the locale's (CLDR ``minusSign``: ``-``, or U+2212 in
        Swedish), its U+2212 replaced by the ``minus`` the formatter was given."""
        return self._symbols["-"]

    def affixes(self, kind: str) -> tuple[str, str]:
        """The text the locale's ``kind`` pattern (decimal, percent, currency) sets
        before and after a positive figure, spaces kept: ``("€\u00a0", "")`` for an
        amount in Dutch, ``("", "\u00a0%")`` for a percentage in German."""
        pattern = self._pattern(kind)
        return _affix(pattern.prefix[0], self._symbols), _affix(pattern.suffix[0],
                                                                self._symbols)

    def _pattern(self, kind: str) -> NumberPattern:
        """The locale's standard pattern of ``kind`` (decimal, percent, currency)."""
        if kind == "percent":
            return self.locale.percent_formats[None]
        if kind == "currency":
            return self.locale.currency_formats["standard"]
        return self.locale.decimal_formats[None]

    def _split(self, value: float | int, kind: str, decimals: int | None,
               compact: bool = True) -> tuple[str, str, str]:
        """``value`` by the locale's ``kind`` pattern (decimal, percent, currency) as
        (text before the figure, figure, text after it), spaces kept; the figure
        carries the minus sign when the pattern sets it right before the digits
        (``-12``, ``€ -1.250``), the text before it otherwise (``-€1,250``).

        The figure is the pattern's own number part, formatted by a copy of the
        pattern whose fraction digits are ``decimals`` (Babel's
        ``NumberPattern.frac_prec``; grouping and minimum integer digits stay the
        locale's), rounded half to even from the value's shortest decimal text; a
        percentage is a value in percent (6.3 is 6.3 %), so the pattern is not
        scaled again. Without ``decimals``, as many as the value was written with
        (at most MAX_DECIMALS), and an amount that is not whole the currency's
        (``babel.numbers.get_currency_precision``: 2 for EUR, 0 for JPY). An amount
        of a million or more is, when ``compact``, the long compact form
        (``babel.numbers.format_compact_decimal``) in the currency pattern."""
        exact = Decimal(repr(float(value))) if isinstance(value, float) else Decimal(value)
        if decimals is None:
            written = -exact.normalize().as_tuple().exponent  # type: ignore[operator]
            if kind == "currency" and written > 0:
                written = get_currency_precision(self.currency)
            precision = min(max(0, written), MAX_DECIMALS)
            low = precision if written <= MAX_DECIMALS else 0  # beyond: no trailing zeros
        else:
            precision = low = decimals
        if exact.quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_EVEN).is_zero():
            exact = exact.copy_abs()  # no minus sign on a figure that rounds to zero
        pattern = self._pattern(kind)
        negative = int(exact.is_signed())
        if kind == "currency" and compact and abs(exact) >= COMPACT_FROM:
            compact_text = format_compact_decimal(
                abs(exact), format_type="long", locale=self.locale,
                fraction_digits=1 if decimals is None else decimals)
            digits = [index for index, character in enumerate(compact_text)
                      if character.isdigit()]
            start, end = digits[0], digits[-1] + 1  # "6,2 miljoen": "6,2", " miljoen"
            figure = compact_text[start:end]
            scale_before, scale_after = compact_text[:start], compact_text[end:]
        else:
            scale_before = scale_after = ""
            plain = copy.copy(pattern)
            plain.prefix, plain.suffix = ("", ""), ("", "")
            plain.frac_prec = (low, precision)
            plain.scale = 0
            figure = plain.apply(abs(exact), self.locale)
        before = _affix(pattern.prefix[negative], self._symbols)
        after = _affix(pattern.suffix[negative], self._symbols)
        if scale_before or scale_after:
            # the compact form's words beside the figure, the currency's outside them
            before, after = before + scale_before, scale_after + after
        if negative and before.endswith(self.minus_sign):
            before, figure = before[:-len(self.minus_sign)], self.minus_sign + figure
        return before, figure, after

    def _text(self, value: float | int, kind: str, decimals: int | None,
              compact: bool = True) -> str:
        """:meth:`_split` as one text; no line may break inside it (no-break spaces)."""
        before, figure, after = self._split(value, kind, decimals, compact)
        return (before + figure + after).replace(" ", NBSP)

    def decimal(self, value: float, decimals: int | None = None) -> str:
        """``value`` by the locale's decimal pattern (CLDR, through Babel): its
        separators, grouping and minus sign; ``decimals`` fixed, or as many as the
        value was written with (its shortest ``repr``: 0.0625 prints 0,0625, where
        Babel's default pattern would stop at three), at most MAX_DECIMALS
        (5e-324 would be a figure of 326 characters). The figure is formatted from
        that decimal text, not from the binary float, and a value that rounds to
        zero prints without a minus sign. Values are below 10^15
        (``project.model.MAX_MAGNITUDE``): beyond 28 digits Babel's ``decimal``
        context raises ``InvalidOperation``."""
        return self._text(value, "decimal", decimals)

    def percent(self, value: float, decimals: int | None = None) -> str:
        """``value`` in percent (6.3 is 6.3 %) by the locale's percent pattern:
        ``6.3%`` (en), ``6,3%`` (nl), ``6,3 %`` (de, fr); decimals as :meth:`decimal`."""
        return self._text(value, "percent", decimals)

    def amount(self, value: float, decimals: int | None = None) -> str:
        """``value`` in the report's currency by the locale's currency pattern and
        symbol: ``€1,250`` (en), ``€ 1.250`` (nl), ``1.250 €`` (de); a million or more
        in the long compact form, ``€6.2 million``, ``€ 6,2 miljoen``, ``6,2 Millionen
        €``. Without ``decimals``: a whole amount none, another the currency's
        (``get_currency_precision``: 2 for EUR, 0 for JPY) or as many as it has."""
        return self._text(value, "currency", decimals)

    def parts(self, number: Number) -> Parts:
        """A number as (prefix, figure, suffix), for KPI tiles that set the figure large
        and the prefix and suffix small: the text the locale's pattern writes before
        and after the figure, spaces trimmed — ``("€", "100", "miljoen")`` (nl),
        ``("", "100", "Millionen\u00a0€")`` (de), ``("", "6,3", "%")`` — and whether a
        space separates each from the figure (:class:`Parts`: ``€ 100`` in Dutch,
        ``6,3 %`` in German, ``€100`` and ``6.3%`` in English). The minus sign is never
        small: part of the figure (``("", "-19", "%")``), or, where the pattern sets it
        before the prefix (``-$1,250`` in English), :attr:`Parts.sign`, which a tile
        sets as large as the figure in the pattern's place. Spaces within the prefix
        or suffix are no-break spaces."""
        (value, unit), decimals = number.resolved, number.decimals
        if unit == "count":
            value, decimals = int(value), 0
        kind = "currency" if unit in AMOUNTS else "percent" if unit == "percent" \
            else "decimal"
        before, figure, after = self._split(value, kind, decimals)
        minus, sign = self.minus_sign, ""
        if minus and before.lstrip(_SPACES).startswith(minus):  # "-$1,250": large, first
            before, sign = before.replace(minus, "", 1), minus
        elif minus and minus in before:  # "$ -1.250": the sign goes with the figure
            before, figure = before.replace(minus, "", 1), minus + figure
        elif minus and minus in after and not figure.startswith(minus):
            after, figure = after.replace(minus, "", 1), minus + figure
        prefix, suffix = before.strip(_SPACES), after.strip(_SPACES)
        return Parts(prefix.replace(" ", NBSP), figure, suffix.replace(" ", NBSP),
                     bool(prefix) and before != before.rstrip(_SPACES),
                     bool(suffix) and after != after.lstrip(_SPACES), sign)

    def cell(self, value: object, column: Column) -> str:
        """A series cell as a table prints it, by its column's kind
        (:mod:`almanac.project.tables`): a year or a code as written, never grouped
        (``2021``, ``0591``); a count grouped (``12.345``); a decimal, percentage or
        amount with the column's decimals, so that the column aligns on the decimal
        mark (``12,5``, ``12,5%``, ``€ 1.250,00``; an amount never compact); a date in
        the locale's medium form; text as it is; an empty cell as empty text."""
        if value is None:
            return ""
        kind = column.kind
        if isinstance(value, bool) or kind in ("text", "code") \
                or not isinstance(value, (int, float, dt.date)):
            return str(value)
        if kind == "date" and isinstance(value, dt.datetime):
            return format_datetime(value, format="medium", locale=self.locale)
        if isinstance(value, dt.date):
            return self.date(value, "medium")
        if kind == "year":
            return str(value)
        if kind == "count":
            return self.decimal(value, 0)
        if kind == "percent":
            return self.percent(value, column.decimals)
        if kind == "currency":
            return self._text(value, "currency", column.decimals, compact=False)
        return self.decimal(value, column.decimals)

    def number(self, number: Number) -> str:
        """A typed :class:`Number` as prose prints it: ``6,3%``, ``€ 100 miljoen``,
        ``12.345`` (nl); the parts of :meth:`parts` as the pattern joins them, with
        no-break spaces."""
        (value, unit), decimals = number.resolved, number.decimals
        if unit == "count":
            return self.decimal(int(value), 0)
        if unit == "percent":
            return self.percent(value, decimals)
        if unit in AMOUNTS:
            return self.amount(value, decimals)
        return self.decimal(value, decimals)

    def field(self, member: Member | None, name: str) -> str:
        """A family member's field ``name`` as prose prints ``{{ member.name }}``: as
        :meth:`cell` prints a series cell of the member table's column (a count grouped,
        a year or code as written, a date in the medium form); "" without a member."""
        if member is None:
            return ""
        return self.cell(member.fields.get(name), member.column(name))

    def date(self, value: dt.date, style: str = "long") -> str:
        """A date in the locale's ``style`` (CLDR's date formats: short, medium,
        long, full): ``2022-04-01`` → ``1 april 2022`` (nl), ``1. April 2022`` (de),
        ``April 1, 2022`` (en)."""
        return format_date(value, format=style, locale=self.locale)


def report_formatter(report: Report) -> Formatter:
    """The formatter of ``report``: its language and currency, and the minus sign its
    brand's fonts can print — U+002D HYPHEN-MINUS in place of U+2212 MINUS SIGN when a
    face lacks it (:func:`~almanac.project.fontfaces.minus_for`; the built-in Noto Sans
    does), so that a Swedish or Swiss report's negative numbers print no missing glyph.
    Every stage that prints the report's numbers (prose, tiles, tables, charts) uses
    one made here."""
    return Formatter(report.manifest.language, report.manifest.currency,
                     minus_for(report.brand, report.brand_path.parent))
