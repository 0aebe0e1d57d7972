"""12-month sickness absence: start of 2021 (end value plus the decrease) and end."""

import altair as alt


def build(data, theme):
    end = data.numbers["verzuim"]
    decrease = data.numbers["verzuim_daling"]
    rows = [
        {"moment": "begin 2021", "verzuim": end.value + decrease.value},
        {"moment": "ultimo 2021", "verzuim": end.value},
    ]
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("moment:N", title=None, sort=None,
                axis=alt.Axis(labelAngle=0, labelFontSize=12, labelColor=theme.colors["ink"],
                              domainColor=theme.colors["rule"], ticks=False)),
        y=alt.Y("verzuim:Q", axis=None, scale=alt.Scale(domainMin=0)),
    )
    bar = base.mark_bar(size=70).encode(
        color=alt.Color("moment:N", sort=None, legend=None,
                        scale=alt.Scale(range=[theme.palette[3], theme.colors["primary"]])))
    text = base.mark_text(dy=-10, fontWeight=700, fontSize=13,
                          color=theme.colors["ink"]).transform_calculate(
        tekst="format(datum.verzuim, ',.1f') + ' %'").encode(text="tekst:N")
    return (bar + text).properties(width=300, height=170)
