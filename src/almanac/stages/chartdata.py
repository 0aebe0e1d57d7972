"""A chart in words and as a table: its alternative text and its data table.

A chart's picture says nothing to a reader who cannot see it. Every chart therefore
gets, from the same data its figure module draws (:class:`~.charts.FigureData`):

- an **alternative text** (:func:`alt_text`), read out by screen readers: the kind
  of chart in the report's language, its caption, and its values as the page prints
  them — "Column chart. Registered damage. 2020: € 5,2 miljoen; 2021: € 6,2
  miljoen." — with the names of its series, its source and whether its data are
  illustrative (WCAG 2.2, 1.1.1 Non-text Content; PDF/UA-1, ISO 14289-1 §7.3: a
  Figure has alternate text). A long series is summed up rather than read out
  (:data:`MAX_VALUES_READ`);
- a **data table** (:func:`data_table`): the same values as rows and columns, which
  the report prints in its appendix of chart data, so that a reader can reach each
  number (WCAG 2.2, 1.3.1 Info and Relationships).

What a chart draws is declared by its figure module as a module-level constant,
``KIND = "bar"`` (one of :data:`CHART_KINDS`), read from the module's source without
running it (:func:`declared_kind`); a module without it is called a "Chart".
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import Problem
from ..project.tables import NUMERIC, parse_spec
from ..text.messages import N_, Catalogue

if TYPE_CHECKING:
    from .charts import FigureData

CHART_KINDS = {
    # Translators: the kind of a chart, first in its alternative text (read out by screen
    # readers): horizontal bars.
    "bar": N_("Bar chart"),
    # Translators: the kind of a chart, first in its alternative text: vertical columns.
    "column": N_("Column chart"),
    # Translators: the kind of a chart, first in its alternative text: one or more lines.
    "line": N_("Line chart"),
    # Translators: the kind of a chart, first in its alternative text: filled areas.
    "area": N_("Area chart"),
    # Translators: the kind of a chart, first in its alternative text: a circle in slices.
    "pie": N_("Pie chart"),
    # Translators: the kind of a chart, first in its alternative text: dots on two axes.
    "scatter": N_("Scatter plot"),
}
"""The kinds a figure module may declare (``KIND = "bar"``) and how the alternative
text names each, as messages translated where they are used."""
# Translators: the kind of a chart whose figure module does not say what it draws, first
# in its alternative text.
NEUTRAL_KIND = N_("Chart")
"""The word for a chart whose module declares no kind."""
MAX_VALUES_READ = 12
"""The most values an alternative text reads out one by one: a year of months in one
series, or four quarters of three. A chart of more values (12 months × 3 series) is
summed up — its categories' range and, per series, its first and last value, its
lowest and its highest — and the text names the table in the appendix that gives
every value; without that table (``chart_data: none``) every value is read out, as
the text is then the only way to them."""
KIND_NAME = "KIND"
"""The module-level name a figure module declares its kind with."""


def declared_kind(source: bytes, path: Path) -> tuple[str | None, Problem | None]:
    """The kind a figure module's ``source`` declares as ``KIND = "<kind>"`` at module
    level (read with :mod:`ast`, never run), and a problem when the declaration is
    not one Almanac knows (not a literal text, or not a key of :data:`CHART_KINDS`),
    naming ``path`` and its line. (None, None) for a module without it, or one that
    does not parse (the chart worker reports that)."""
    try:
        tree = ast.parse(source, filename=str(path))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None, None
    known = ", ".join(f'"{kind}"' for kind in CHART_KINDS)
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        if not any(isinstance(target, ast.Name) and target.id == KIND_NAME
                   for target in targets):
            continue
        kind = value.value if isinstance(value, ast.Constant) else None
        if isinstance(kind, str) and kind in CHART_KINDS:
            return kind, None
        written = ast.get_source_segment(source.decode("utf-8", "replace"), value) or "?"
        return None, Problem(
            f"{KIND_NAME} = {written[:60]} is not a kind of chart Almanac knows", path,
            node.lineno, f"write {KIND_NAME} = one of {known} (the alternative text names the "
            "chart by it), or remove it to call it a chart")
    return None, None


@dataclass(frozen=True)
class DataColumn:
    """One column of a chart's data table: its heading, its kind (a series column's,
    :data:`~almanac.project.tables.KINDS`, or ``text`` and ``number`` for a figure of
    numbers) and whether it holds numbers (set right)."""

    heading: str
    kind: str
    numeric: bool


@dataclass(frozen=True)
class DataTable:
    """A chart's data as a table: its ``columns`` and its ``rows`` of cells as the
    page prints them (the first cell of a row names it: a row header), with
    ``values``, the same cells as numbers where they are numbers (else None), for the
    extremes of a long series. ``labelled`` is False for a figure of numbers, whose
    headings are Almanac's own words ("Category", "Value"), not the data's."""

    columns: list[DataColumn]
    rows: list[list[str]]
    values: list[list[float | None]]
    labelled: bool = True

    @property
    def count(self) -> int:
        """How many values the table holds beside its row headers."""
        return sum(1 for row in self.rows for cell in row[1:] if cell)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def data_table(data: FigureData, words: Catalogue) -> DataTable:
    """The data a figure block names as a table. A block with a series: the series'
    columns in its order under their own names, each row's cells as a table of the
    series prints them (``data.texts``: :meth:`~almanac.text.formatting.Formatter.cell`).
    A block of numbers: one row per number, its label and its value as prose prints
    it (``Value.text``), under the headings "Category" and "Value" in the report's
    language. The label is the number's own (``label:`` where it is defined: what the
    number is), else the block's short label for the chart (``labels:``), else its key:
    a module may draw a value made from the numbers under a label of the block's (the
    start of a year from its end and the decrease), and the table gives the numbers
    the report states, each named for what it is. A block with both gives the series
    (the numbers are then what the module prints beside it)."""
    if data.rows:
        names = list(data.columns) or list(data.rows[0])
        kinds = {name: parse_spec(spec)[0] for name, spec in data.columns.items()}
        columns = [DataColumn(name, kinds.get(name, "text"), kinds.get(name) in NUMERIC)
                   for name in names]
        texts = data.texts or [{name: "" if row.get(name) is None else str(row.get(name))
                                for name in names} for row in data.rows]
        return DataTable(columns=columns,
                         rows=[[text.get(name, "") for name in names] for text in texts],
                         values=[[_number(row.get(name)) for name in names]
                                 for row in data.rows])
    # Translators: the heading of the first column of a chart's data table when the chart
    # shows numbers of the report: what each number is.
    category = words.gettext("Category")
    # Translators: the heading of the second column of a chart's data table when the chart
    # shows numbers of the report: the number itself.
    value = words.gettext("Value")
    labels = [number.label or data.labels.get(key) or key
              for key, number in data.numbers.items()]
    return DataTable(
        columns=[DataColumn(category, "text", False), DataColumn(value, "number", True)],
        rows=[[label, number.text] for label, number in zip(labels, data.numbers.values())],
        values=[[None, number.value] for number in data.numbers.values()],
        labelled=False)


SPACES = re.compile(r"[ \t\n\r\f\v\u2028\u2029]+")


def _sentence(text: str) -> str:
    """``text`` as a sentence of the alternative text: its runs of spaces, tabs and
    line breaks one space (a no-break space of a value stays), starting with a capital
    and ending in a full stop unless it ends in one already (or ``?``, ``!``, ``…``)."""
    text = SPACES.sub(" ", text).strip(" ")
    text = text[:1].upper() + text[1:]
    return text if not text or text[-1] in ".?!…" else text + "."


def _item(words: Catalogue, label: str, value: str) -> str:
    # Translators: one value in a chart's alternative text, "2021: 1,250"; label names the
    # value (a year, a category), value is the value as the page prints it.
    return words.gettext("%(label)s: %(value)s", label=label, value=value)


def _values(table: DataTable, words: Catalogue) -> str:
    """Every value of ``table``, row by row: "2017: 2,400; 2018: 2,100" for one
    column of values, "Q1: received 720, answered 690; Q2: …" for several."""
    several = len(table.columns) > 2
    items = []
    for row in table.rows:
        cells = [(column.heading, cell) for column, cell in zip(table.columns[1:], row[1:])
                 if cell]
        if not cells:
            continue
        if several:
            # Translators: the value of one series in a chart's alternative text, "received
            # 720"; series is the series' name, value the value as the page prints it.
            shown = ", ".join(words.gettext("%(series)s %(value)s", series=name, value=cell)
                              for name, cell in cells)
        else:
            shown = cells[0][1]
        items.append(_item(words, row[0], shown))
    return "; ".join(items)


def _names(names: list[str], words: Catalogue) -> str:
    """``names`` as a list in the report's language ("a, b and c": CLDR's list
    patterns, through Babel)."""
    from babel.lists import format_list

    locale = words.language.replace("-", "_")
    try:
        return format_list(names, locale=locale)
    except (ValueError, LookupError):
        return ", ".join(names)


def _summary(table: DataTable, words: Catalogue) -> list[str]:
    """The sentences that sum up a long table: the range of its row headers (of a
    series: its first column, "month from January to December"), then per column of
    numbers its first and last value, its lowest and its highest, each with its
    row's header."""
    sentences = []
    if table.labelled:
        # Translators: in a chart's alternative text, the range of a long series' categories;
        # category is the name of its first column ("year"), first and last its first and
        # last category ("2010", "2021").
        sentences.append(words.gettext("%(category)s from %(first)s to %(last)s",
                                       category=table.columns[0].heading,
                                       first=table.rows[0][0], last=table.rows[-1][0]))
    for index, column in enumerate(table.columns[1:], 1):
        known = [(value, row[index], row[0])
                 for values, row in zip(table.values, table.rows)
                 if (value := values[index]) is not None and row[index]]
        if not known:
            continue
        low = min(known, key=lambda item: item[0])
        high = max(known, key=lambda item: item[0])
        # Translators: in a chart's alternative text, a long series summed up: series is its
        # name; start and end its first and last value, low and high its lowest and highest,
        # each followed by where it is (the year, the category: start_at, low_at, …).
        sentences.append(words.gettext(
            "%(series)s: from %(start)s (%(start_at)s) to %(end)s (%(end_at)s); lowest "
            "%(low)s (%(low_at)s), highest %(high)s (%(high_at)s)", series=column.heading,
            start=known[0][1], start_at=known[0][2], end=known[-1][1], end_at=known[-1][2],
            low=low[1], low_at=low[2], high=high[1], high_at=high[2]))
    return sentences


def alt_text(kind: str | None, caption: str, table: DataTable, words: Catalogue, *,
             illustrative: bool = False, source: str | None = None,
             table_named: str | None = None) -> str:
    """The alternative text of a chart, in the report's language (``words``):

    ``<Kind>. <caption>. <values>. [Illustrative data.] [Source: <source>.]``

    - the kind declared by its module (:data:`CHART_KINDS`; None: "Chart");
    - ``caption`` as plain text (its numbers formatted, a cross-reference without
      its page: :meth:`~almanac.text.prose.Prose.text`);
    - the values as the page prints them, each with its label — the number's label
      for a figure of numbers (:func:`data_table`); for a series, the name of
      its value column by its first column ("requests by year: 2020: 2,800; 2021:
      3,150"), or with several value columns each row's values by series name
      ("2021: requests 3,150, answered 2,977"); a unit (€, %) is printed with each
      value, as on the page;
    - a table of more than :data:`MAX_VALUES_READ` values, when ``table_named`` says
      where it is printed in full ("the table of figure 3 in the appendix Chart
      data"), summed up instead (:func:`_summary`) and pointed to;
    - "Illustrative data" for an illustrative series; the source when the block gives
      one.

    Every word is a message of the report's language; the text is plain (the
    template escapes it)."""
    sentences = [words.gettext(CHART_KINDS.get(kind or "", NEUTRAL_KIND)), caption]
    if table.count:  # a table of values beside its row headers
        if table.count > MAX_VALUES_READ and table_named is not None:
            sentences += _summary(table, words)
            # Translators: the end of a long chart's alternative text, which does not read out
            # every value; table names where they are, e.g. "the table of figure 3 in the
            # appendix ‘Chart data’".
            sentences.append(words.gettext("Every value is in %(table)s",
                                           table=table_named))
        elif table.labelled and len(table.columns) == 2:
            # Translators: in a chart's alternative text, before its values: values is the
            # name of what the chart shows ("requests"), category the name of what it is
            # shown by ("year"): "requests by year: 2020: 2,800; 2021: 3,150".
            sentences.append(words.gettext(
                "%(values)s by %(category)s: %(items)s", values=table.columns[1].heading,
                category=table.columns[0].heading, items=_values(table, words)))
        elif table.labelled:
            # Translators: in a chart's alternative text of several series, before its values:
            # series names them ("requests and answers"), category is what they are shown by.
            sentences.append(words.gettext(
                "%(series)s by %(category)s: %(items)s",
                series=_names([column.heading for column in table.columns[1:]], words),
                category=table.columns[0].heading, items=_values(table, words)))
        else:
            sentences.append(_values(table, words))
    if illustrative:
        sentences.append(words.gettext("Illustrative data"))
    if source:
        sentences.append(words.gettext("Source: %(source)s", source=source))
    return " ".join(_sentence(sentence) for sentence in sentences if sentence.strip())


ANCHOR = re.compile(r"[^A-Za-z0-9_-]+")


def table_anchor(figure_anchor: str) -> str:
    """The HTML id of the data table of the figure whose id is ``figure_anchor``."""
    return "data-" + ANCHOR.sub("-", figure_anchor)
