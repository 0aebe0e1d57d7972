"""Built-in figure module ``bars``: the figure's numbers as labelled horizontal bars.

One bar per number the block names, labelled with its short label (the block's
``labels:``, else the number's ``label``) and its value as the report formats it.
A project's ``figures/bars.py`` replaces this module.
"""

import altair as alt

KIND = "bar"  # what it draws, as its alternative text names it
BAR_HEIGHT = 30  # px per bar: the rhythm of the bars, not a size of text


def build(data, theme):
    rows = [{"category": data.labels.get(key) or value.label or key, "value": value.value,
             "text": value.text} for key, value in data.numbers.items()]
    if not rows:
        raise ValueError("the bars chart needs numbers: list them under numbers: in the block")
    order = [row["category"] for row in rows]
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y("category:N", sort=order, title=None,
                axis=alt.Axis(labelLimit=220, labelFontSize=theme.sizes.label, domain=False,
                              ticks=False, labelPadding=8)),
        x=alt.X("value:Q", axis=None, scale=alt.Scale(domainMin=0)),
    )
    bar = base.mark_bar(height=BAR_HEIGHT * 0.6, color=theme.colors["primary"])
    text = base.mark_text(align="left", dx=6, fontWeight=700, fontSize=theme.sizes.value,
                          color=theme.colors["ink"]).encode(text="text:N")
    return (bar + text).properties(width=theme.width(data, compact=True),
                                   height=BAR_HEIGHT * len(rows))
