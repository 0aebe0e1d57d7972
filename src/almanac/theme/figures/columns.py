"""Built-in figure module ``columns``: a series as columns with their values.

The series' first column gives the categories (in file order), the second the
values, printed above each column. A project's ``figures/columns.py`` replaces it.
"""

import altair as alt


def label(value):
    """A category as its label: a whole number read from the CSV (a year) without
    the ``.0`` of the float it was read as."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def build(data, theme):
    if not data.rows or len(data.rows[0]) < 2:
        raise ValueError("the columns chart needs a series with a category and a value column")
    category, value = list(data.rows[0])[:2]
    rows = [{"category": label(row[category]), "value": row[value]}
            for row in data.rows]
    order = [row["category"] for row in rows]
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("category:N", sort=order, title=None,
                axis=alt.Axis(labelAngle=0, ticks=False, domain=False)),
        y=alt.Y("value:Q", axis=None, scale=alt.Scale(zero=True)),
    )
    column = base.mark_bar(color=theme.colors["primary"], width={"band": 0.6})
    text = base.mark_text(dy=-7, color=theme.colors["ink"]).encode(text="value:Q")
    return (column + text).properties(width=380, height=150)
