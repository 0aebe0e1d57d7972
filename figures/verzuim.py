"""12-month sickness absence: start of 2021 (end value plus the decrease) and end."""

import altair as alt


def build(data, theme):
    end = data.numbers["verzuim"]
    decrease = data.numbers["verzuim_daling"]
    rows = [
        {"moment": "begin 2021", "verzuim": end.value + decrease.value},
        {"moment": "ultimo 2021", "verzuim": end.value},
    ]
    for row in rows:
        row["tekst"] = theme.format(row["verzuim"], end.unit, decimals=1)
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("moment:N", title=None, sort=None,
                axis=alt.Axis(labelAngle=0, labelFontSize=theme.sizes.value,
                              labelColor=theme.colors["ink"],
                              domainColor=theme.colors["rule"], ticks=False)),
        y=alt.Y("verzuim:Q", axis=None, scale=alt.Scale(domainMin=0)),
    )
    bar = base.mark_bar(size=70).encode(
        color=alt.Color("moment:N", sort=None, legend=None,
                        scale=alt.Scale(range=theme.ramp(2))))
    text = base.mark_text(dy=-10, fontWeight=700, fontSize=theme.sizes.large,
                          color=theme.colors["ink"]).encode(text="tekst:N")
    return (bar + text).properties(width=theme.width(data, compact=True), height=170)
