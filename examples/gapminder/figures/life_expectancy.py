"""Life expectancy at birth by year: the member's line against the median of its
continent (both columns of the member's series). The block's ``labels:`` name the two
lines and the axis, with the member's fields in braces: ``country: "{name_en}"``,
``median: "Median of {continent_en}"``, ``axis: years``."""

import altair as alt

from ._common import by_year, label, year_axis

KIND = "line"


def build(data, theme):
    rows = by_year(data, "life_expectancy", "continent_median_life_expectancy")
    names = {"life_expectancy": label(data, "country"),
             "continent_median_life_expectancy": label(data, "median")}
    long = [{"year": row["year"], "line": names[column], "value": row[column]}
            for row in rows for column in names]
    order = list(names.values())
    colors = [theme.colors["primary"], theme.colors["muted"]]
    base = alt.Chart(alt.Data(values=long)).encode(
        x=year_axis(alt, rows),
        y=alt.Y("value:Q", title=label(data, "axis"), scale=alt.Scale(zero=False, nice=True),
                axis=alt.Axis(tickCount=5, format=theme.number_format("count"))),
        color=alt.Color("line:N", sort=order, title=None,
                        scale=alt.Scale(domain=order, range=colors),
                        legend=alt.Legend(orient="top", direction="horizontal",
                                          symbolType="stroke", symbolStrokeWidth=2.5)),
        strokeDash=alt.StrokeDash("line:N", sort=order, title=None,
                                  legend=alt.Legend(orient="top", direction="horizontal",
                                                    symbolType="stroke",
                                                    symbolStrokeWidth=2.5),
                                  scale=alt.Scale(domain=order, range=[[1, 0], [5, 3]])),
    )
    lines = base.mark_line(strokeWidth=2.5)
    points = base.transform_filter(alt.datum.line == order[0]).mark_point(
        filled=True, size=36)
    return (lines + points).properties(width=theme.width(data), height=170)
