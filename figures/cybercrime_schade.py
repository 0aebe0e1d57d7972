"""Registered cybercrime damage: 2021 and the year before (2021 minus the increase)."""

import altair as alt

KIND = "column"  # what it draws, as its alternative text names it


def build(data, theme):
    current = data.numbers["cyber_schade_2021"]
    increase = data.numbers["cyber_schade_toename"]
    rows = [
        {"year": "2020", "amount": current.value - increase.value},
        {"year": "2021", "amount": current.value},
    ]
    for row in rows:
        row["text"] = theme.format(row["amount"], current.unit)
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("year:N", title=None, axis=alt.Axis(labelAngle=0,
                                                    labelFontSize=theme.sizes.value,
                                                    labelColor=theme.colors["ink"],
                                                    domainColor=theme.colors["rule"],
                                                    ticks=False)),
        y=alt.Y("amount:Q", axis=None, scale=alt.Scale(domainMin=0)),
    )
    bar = base.mark_bar(size=70).encode(
        color=alt.Color("year:N", scale=alt.Scale(range=theme.ramp(2)), legend=None))
    text = base.mark_text(dy=-10, fontWeight=700, fontSize=theme.sizes.large,
                          color=theme.colors["ink"]).encode(text="text:N")
    return (bar + text).properties(width=theme.width(data, compact=True), height=170)
