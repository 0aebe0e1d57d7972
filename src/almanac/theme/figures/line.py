"""Built-in figure module ``line``: a series as one line per value column.

The series' first column is the category axis (years, months, any labels, in the
order of the file); every other column with numbers becomes a line, in the brand's
chart palette, with a legend when there is more than one. Column names are the
legend's labels; a single line has its column name as the axis title.
A project's ``figures/line.py`` replaces this module.
"""

import altair as alt


def label(value):
    """A category as its label: a whole number read from the CSV (a year) without
    the ``.0`` of the float it was read as."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def build(data, theme):
    if not data.rows:
        raise ValueError("the line chart needs a series with at least one row")
    columns = list(data.rows[0])
    category, values = columns[0], [
        name for name in columns[1:]
        if all(isinstance(row[name], (int, float)) or row[name] is None for row in data.rows)]
    if not values:
        raise ValueError(f"the line chart needs a column of numbers after '{category}'")
    order = [label(row[category]) for row in data.rows]
    long = [{"category": label(row[category]), "series": name, "value": row[name]}
            for row in data.rows for name in values]
    many = len(values) > 1
    labels_every = max(1, len(order) // 12)
    base = alt.Chart(alt.Data(values=long)).encode(
        x=alt.X("category:O", sort=order, title=None,
                axis=alt.Axis(labelAngle=0, ticks=False,
                              values=order[::labels_every])),
        y=alt.Y("value:Q", title=None if many else values[0], scale=alt.Scale(zero=True),
                axis=alt.Axis(tickCount=4)),
        color=alt.Color("series:N", sort=values, title=None,
                        scale=alt.Scale(domain=values, range=theme.palette[:len(values)]),
                        legend=alt.Legend(orient="top") if many else None),
    )
    line = base.mark_line(strokeWidth=2.5)
    if len(order) > 12:
        return line.properties(width=420, height=160)
    points = base.mark_point(filled=True, size=50)
    return (line + points).properties(width=420, height=160)
