"""Built-in figure module ``columns``: a series as columns with their values.

The series' first column gives the categories (in file order), the second the
values, printed above each column as the report formats numbers. A project's
``figures/columns.py`` replaces it.
"""

import altair as alt

KIND = "column"  # what it draws, as its alternative text names it


def build(data, theme):
    if not data.rows or len(data.rows[0]) < 2:
        raise ValueError("the columns chart needs a series with a category and a value column")
    category, value = list(data.rows[0])[:2]
    rows = [{"category": theme.category(row[category]), "value": row[value],
             "text": text[value]}
            for row, text in zip(data.rows, data.texts)]
    order = [row["category"] for row in rows]
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("category:N", sort=order, title=None,
                axis=alt.Axis(labelAngle=0, labelFontSize=theme.sizes.label, ticks=False,
                              domain=False)),
        y=alt.Y("value:Q", axis=None, scale=alt.Scale(zero=True)),
    )
    column = base.mark_bar(color=theme.colors["primary"], width={"band": 0.6})
    text = base.mark_text(dy=-7, fontSize=theme.sizes.value,
                          color=theme.colors["ink"]).encode(text="text:N")
    return (column + text).properties(width=theme.width(data), height=150)
