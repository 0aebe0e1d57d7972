"""A High Impact Crime series over the years: the series' first column the years,
its second the numbers, whose column name is the axis title (the chapter's data
names it in the report's language)."""

import altair as alt

KIND = "line"  # what it draws, as its alternative text names it


def build(data, theme):
    if not data.rows or len(data.rows[0]) < 2:
        raise ValueError("the trend needs a series with a year and a number column")
    year, count = list(data.rows[0])[:2]
    rows = [{"year": theme.category(row[year]), "count": row[count], "text": text[count]}
            for row, text in zip(data.rows, data.texts)]
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0,
                                                    labelFontSize=theme.sizes.label,
                                                    ticks=False)),
        y=alt.Y("count:Q", title=count, scale=alt.Scale(zero=True),
                axis=alt.Axis(format=theme.number_format("count"), tickCount=4,
                              labelFontSize=theme.sizes.small)),
    )
    area = base.mark_area(color=theme.colors["tint"], line=False)
    line = base.mark_line(color=theme.colors["primary"], strokeWidth=2.5)
    points = base.mark_point(color=theme.colors["primary"], filled=True, size=50)
    labels = base.mark_text(dy=-10, fontSize=theme.sizes.small,
                            color=theme.colors["ink"]).encode(text="text:N")
    return (area + line + points + labels).properties(width=theme.width(data), height=140)
