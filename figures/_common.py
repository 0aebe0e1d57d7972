"""Shared pieces of the report's charts: the labelled-bars layout."""

import altair as alt

BAR_HEIGHT = 34  # px per bar: the rhythm of the bars, not a size of text


def category_rows(data):
    """One row per number of the figure: its category label (the block's ``labels:``,
    else the number's label), its value and its text as the report prints it."""
    return [{"category": data.labels.get(key) or v.label or key, "value": v.value,
             "text": v.text} for key, v in data.numbers.items()]


def bars(rows, theme, data, *, colors=None, sort=None):
    """Horizontal bars with their formatted value printed at the end of each bar.

    ``rows`` have ``category``, ``value`` and ``text``; ``colors`` gives one
    colour per row (default: the brand's primary colour for all).
    """
    colors = colors or [theme.colors["primary"]] * len(rows)
    order = [row["category"] for row in rows] if sort is None else sort
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y("category:N", sort=order, title=None,
                axis=alt.Axis(labelLimit=200, labelFontSize=theme.sizes.label,
                              labelColor=theme.colors["ink"], domain=False, ticks=False,
                              labelPadding=8)),
        x=alt.X("value:Q", axis=None, scale=alt.Scale(domainMin=0)),
    )
    bar = base.mark_bar(height=BAR_HEIGHT * 0.62).encode(
        color=alt.Color("category:N", sort=order, legend=None,
                        scale=alt.Scale(domain=order, range=colors[:len(rows)])))
    text = base.mark_text(align="left", dx=6, fontWeight=700, fontSize=theme.sizes.value,
                          color=theme.colors["ink"]).encode(text="text:N")
    return (bar + text).properties(width=theme.width(data, compact=True),
                                   height=BAR_HEIGHT * len(rows))
