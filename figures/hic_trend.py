"""A High Impact Crime series over the years (the chapter's CSV: jaar, aantal)."""

import altair as alt


def build(data, theme):
    rows = [{"jaar": theme.category(row["jaar"]), "aantal": row["aantal"],
             "tekst": text["aantal"]}
            for row, text in zip(data.rows, data.texts)]
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("jaar:O", title=None, axis=alt.Axis(labelAngle=0,
                                                    labelFontSize=theme.sizes.label,
                                                    ticks=False)),
        y=alt.Y("aantal:Q", title="aantal", scale=alt.Scale(zero=True),
                axis=alt.Axis(format=theme.number_format("count"), tickCount=4,
                              labelFontSize=theme.sizes.small)),
    )
    area = base.mark_area(color=theme.colors["tint"], line=False)
    line = base.mark_line(color=theme.colors["primary"], strokeWidth=2.5)
    points = base.mark_point(color=theme.colors["primary"], filled=True, size=50)
    labels = base.mark_text(dy=-10, fontSize=theme.sizes.small,
                            color=theme.colors["ink"]).encode(text="tekst:N")
    return (area + line + points + labels).properties(width=theme.width(data), height=140)
