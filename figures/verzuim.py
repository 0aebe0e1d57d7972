"""12-month sickness absence: at the start of the year (the end value plus the
decrease) and at its end. The block's ``labels:`` name the two moments, in the
report's language: ``verzuim_daling`` the start, ``verzuim`` the end."""

import altair as alt

KIND = "column"  # what it draws, as its alternative text names it


def build(data, theme):
    end = data.numbers["verzuim"]
    decrease = data.numbers["verzuim_daling"]
    if not {"verzuim", "verzuim_daling"} <= set(data.labels):
        raise ValueError("name the two moments in the block's labels: verzuim_daling (the "
                         "start of the year) and verzuim (its end)")
    rows = [
        {"moment": data.labels["verzuim_daling"], "share": end.value + decrease.value},
        {"moment": data.labels["verzuim"], "share": end.value},
    ]
    for row in rows:
        row["text"] = theme.format(row["share"], end.unit, decimals=1)
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("moment:N", title=None, sort=None,
                axis=alt.Axis(labelAngle=0, labelFontSize=theme.sizes.value,
                              labelColor=theme.colors["ink"],
                              domainColor=theme.colors["rule"], ticks=False)),
        y=alt.Y("share:Q", axis=None, scale=alt.Scale(domainMin=0)),
    )
    bar = base.mark_bar(size=70).encode(
        color=alt.Color("moment:N", sort=None, legend=None,
                        scale=alt.Scale(range=theme.ramp(2))))
    text = base.mark_text(dy=-10, fontWeight=700, fontSize=theme.sizes.large,
                          color=theme.colors["ink"]).encode(text="text:N")
    return (bar + text).properties(width=theme.width(data, compact=True), height=170)
