"""The one number and date formatter of a report, built on Babel.

Every figure in the PDF — prose, KPI tiles, norms, chart labels — goes through
:class:`Formatter`, so a report is consistently Dutch: ``6,3 %``,
``€ 100 miljoen``, ``12.345``, ``1 april 2022``. A no-break space keeps a
number and its sign on one line.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_compact_decimal, format_decimal

from ..project.model import Number
from ..project.tables import Column

NBSP = "\u00a0"
MAX_DECIMALS = 15
"""The most decimals a figure prints when the data does not fix them."""


class Formatter:
    """Formats numbers and dates for one locale (``nl`` by default)."""

    def __init__(self, language: str = "nl"):
        self.locale = Locale.parse(language.replace("-", "_"))

    currency_symbol = "€"

    def decimal(self, value: float, decimals: int | None = None) -> str:
        """``value`` with the locale's separators (CLDR, through Babel); ``decimals``
        fixed, or as many as the value was written with (its shortest ``repr``: 0.0625
        prints 0,0625, where Babel's default pattern would stop at three), at most
        MAX_DECIMALS (5e-324 would be a figure of 326 characters). The figure
        is formatted from that decimal text, not from the binary float, and a value
        that rounds to zero prints without a minus sign. Values are below 10^15
        (``project.model.MAX_MAGNITUDE``): beyond 28 digits Babel's ``decimal``
        context raises ``InvalidOperation``."""
        exact = Decimal(repr(float(value))) if isinstance(value, float) else Decimal(value)
        digit = "0"
        if decimals is None:
            written = -exact.normalize().as_tuple().exponent  # type: ignore[operator]
            decimals = min(max(0, written), MAX_DECIMALS)
            digit = "#" if written > MAX_DECIMALS else "0"  # rounded: no trailing zeros
        pattern = "#,##0" + ("." + digit * decimals if decimals else "")
        if exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN).is_zero():
            exact = exact.copy_abs()
        return format_decimal(exact, format=pattern, locale=self.locale)

    def parts(self, number: Number) -> tuple[str, str, str]:
        """A number as (prefix, figure, suffix): ``("€", "100", "miljoen")``, ``("", "6,3", "%")``.

        KPI tiles set the figure large and the prefix and suffix small; prose
        joins the parts with no-break spaces (:meth:`number`).
        """
        (value, unit), decimals = number.resolved, number.decimals
        if unit == "percent":
            return "", self.decimal(value, decimals), "%"
        if unit == "eur":
            if abs(value) >= 1_000_000:
                compact = format_compact_decimal(
                    value, format_type="long", locale=self.locale,
                    fraction_digits=1 if decimals is None else decimals)
                figure, _, scale = compact.partition(" ")
                return self.currency_symbol, figure, scale
            if decimals is None and not float(value).is_integer():
                decimals = 2
            return self.currency_symbol, self.decimal(value, decimals), ""
        if unit == "count":
            return "", self.decimal(int(value), 0), ""
        return "", self.decimal(value, decimals), ""

    def cell(self, value: object, column: Column) -> str:
        """A series cell as a table prints it, by its column's kind
        (:mod:`almanac.project.tables`): a year or a code as written, never grouped
        (``2021``, ``0591``); a count grouped (``12.345``); a decimal, percentage or
        amount with the column's decimals, so that the column aligns on the decimal
        mark (``12,5``, ``12,5 %``, ``€ 1.250,00``); a date in the locale's medium form;
        text as it is; an empty cell as empty text."""
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
        figure = self.decimal(value, column.decimals)
        if kind == "percent":
            return figure + NBSP + "%"
        if kind == "currency":
            return self.currency_symbol + NBSP + figure
        return figure

    def number(self, number: Number) -> str:
        """Format a typed :class:`Number`: ``6,3 %``, ``€ 100 miljoen``, ``12.345``."""
        return NBSP.join(part for part in self.parts(number) if part)

    def date(self, value: dt.date, style: str = "long") -> str:
        """``2022-04-01`` → ``1 april 2022``."""
        return format_date(value, format=style, locale=self.locale)
