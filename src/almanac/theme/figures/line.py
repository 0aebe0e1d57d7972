"""Built-in figure module ``line``: a series as one line per value column.

The series' first column is the category axis (years, months, any labels, in the
order of the file); every other column with numbers becomes a line, in the brand's
chart palette, with a legend when there is more than one. Column names are the
legend's labels; a single line has its column name as the axis title. The value
axis writes its ticks as the columns' kind does (``theme.number_format``): a count
grouped and whole, another number with no more decimals than its column's and each
tick needs.
A project's ``figures/line.py`` replaces this module.
"""

import altair as alt

KIND = "line"  # what it draws, as its alternative text names it


def build(data, theme):
    if not data.rows:
        raise ValueError("the line chart needs a series with at least one row")
    columns = list(data.rows[0])
    category, values = columns[0], [
        name for name in columns[1:]
        if all(isinstance(row[name], (int, float)) or row[name] is None for row in data.rows)]
    if not values:
        raise ValueError(f"the line chart needs a column of numbers after '{category}'")
    order = [theme.category(row[category]) for row in data.rows]
    long = [{"category": theme.category(row[category]), "series": name, "value": row[name]}
            for row in data.rows for name in values]
    many = len(values) > 1
    # the value axis in the columns' own kind, with at most their decimals and as few
    # as each tick needs ("500,000", "2.5")
    kinds = {data.columns.get(name) for name in values}
    if len(kinds) == 1 and None not in kinds:
        axis_format = theme.number_format(kinds.pop())
    else:
        whole = all(float(row[name]).is_integer() for row in data.rows for name in values
                    if row[name] is not None)
        axis_format = theme.number_format("count" if whole else "decimal")
    labels_every = max(1, len(order) // 12)
    base = alt.Chart(alt.Data(values=long)).encode(
        x=alt.X("category:O", sort=order, title=None,
                axis=alt.Axis(labelAngle=0, ticks=False,
                              values=order[::labels_every])),
        y=alt.Y("value:Q", title=None if many else values[0], scale=alt.Scale(zero=True),
                axis=alt.Axis(tickCount=4, format=axis_format)),
        color=alt.Color("series:N", sort=values, title=None,
                        scale=alt.Scale(domain=values, range=theme.series(len(values))),
                        legend=alt.Legend(orient="top") if many else None),
    )
    line = base.mark_line(strokeWidth=2.5)
    if len(order) > 12:
        return line.properties(width=theme.width(data), height=160)
    points = base.mark_point(filled=True, size=50)
    return (line + points).properties(width=theme.width(data), height=160)
