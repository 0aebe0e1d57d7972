"""Population by year as columns, in millions; the first and the last year's value
printed above their column. The block's ``labels:`` give the axis title (``axis:``,
e.g. "million people")."""

import altair as alt

from ._common import by_year, label

KIND = "column"


def build(data, theme):
    rows = [dict(row, millions=row["population"] / 1e6)
            for row in by_year(data, "population")]
    decimals = 0 if max(row["millions"] for row in rows) >= 100 else 1
    for index, row in enumerate(rows):
        row["text"] = (theme.format(row["millions"], "decimal", decimals)
                       if index in (0, len(rows) - 1) else "")
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0, ticks=False)),
        y=alt.Y("millions:Q", title=label(data, "axis"), scale=alt.Scale(zero=True),
                axis=alt.Axis(tickCount=4, format=theme.number_format("decimal"))),
    )
    last = len(rows) - 1
    colors = [theme.colors["accent"] if i == last else theme.colors["primary"]
              for i in range(len(rows))]
    bars = base.mark_bar(width={"band": 0.7}).encode(
        color=alt.Color("year:O", legend=None,
                        scale=alt.Scale(domain=[r["year"] for r in rows], range=colors)))
    text = base.mark_text(dy=-7, fontSize=theme.sizes.value, fontWeight=700,
                          color=theme.colors["ink"]).encode(text="text:N")
    return (bars + text).properties(width=theme.width(data), height=160)
