"""A High Impact Crime series over the years (the chapter's CSV: jaar, aantal)."""

import altair as alt


def build(data, theme):
    rows = [{"jaar": str(int(r["jaar"])), "aantal": r["aantal"]} for r in data.rows]
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("jaar:O", title=None, axis=alt.Axis(labelAngle=0, labelFontSize=11,
                                                    ticks=False)),
        y=alt.Y("aantal:Q", title="aantal", scale=alt.Scale(zero=True),
                axis=alt.Axis(format=",d", tickCount=4, labelFontSize=10)),
    )
    area = base.mark_area(color=theme.colors["tint"], line=False)
    line = base.mark_line(color=theme.colors["primary"], strokeWidth=2.5)
    points = base.mark_point(color=theme.colors["primary"], filled=True, size=50)
    labels = base.mark_text(dy=-10, fontSize=10, color=theme.colors["ink"]).encode(
        text=alt.Text("aantal:Q", format=",d"))
    return (area + line + points + labels).properties(width=420, height=140)
