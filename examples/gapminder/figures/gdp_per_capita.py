"""GDP per capita by year on a logarithmic axis, so that equal growth rates climb
equally steeply; the value of the first and the last year printed at the line. The
block's ``labels:`` give the axis title (``axis:``)."""

import altair as alt

from ._common import by_year, label, year_axis

KIND = "line"


def build(data, theme):
    rows = by_year(data, "gdp_per_capita")
    low = min(row["gdp_per_capita"] for row in rows) / 1.8  # room for the first value below
    high = max(row["gdp_per_capita"] for row in rows) * 1.25
    # ticks at 1, 2 and 5 times a power of ten, as a logarithmic axis is read; finer
    # steps when the line spans less than that gives three ticks for
    for steps in ((1, 2, 5), (1, 1.5, 2, 3, 5, 7)):
        ticks = [step * 10 ** power for power in range(1, 7) for step in steps
                 if low <= step * 10 ** power <= high]
        if len(ticks) >= 3:
            break
    ends = [dict(rows[0], text=theme.format(rows[0]["gdp_per_capita"], "currency", 0),
                 align="left", dx=6, dy=12),
            dict(rows[-1], text=theme.format(rows[-1]["gdp_per_capita"], "currency", 0),
                 align="right", dx=0, dy=-12)]
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=year_axis(alt, rows),
        y=alt.Y("gdp_per_capita:Q", title=label(data, "axis"),
                scale=alt.Scale(type="log", domain=[low, high], nice=False),
                axis=alt.Axis(format=theme.number_format("currency"), values=ticks)),
    )
    line = base.mark_line(color=theme.colors["primary"], strokeWidth=2.5)
    points = base.mark_point(color=theme.colors["primary"], filled=True, size=36)
    first, last = ends
    texts = [alt.Chart(alt.Data(values=[end])).mark_text(
        align=end["align"], dx=end["dx"], dy=end["dy"], fontSize=theme.sizes.value, fontWeight=700,
        color=theme.colors["ink"]).encode(x="year:Q", y="gdp_per_capita:Q", text="text:N")
        for end in (first, last)]
    return alt.layer(line, points, *texts).properties(width=theme.width(data), height=170)
