"""Shared pieces of the country profiles' charts: the member's series by year."""


def label(data, key):
    """The block's label ``key`` (``labels:`` in the chapter, in the report's language)
    with the member's fields filled in: ``"{name_en}"`` → ``"Sweden"``."""
    if key not in data.labels:
        raise ValueError(f"the figure needs labels: {{{key}: …}} in its block")
    return data.labels[key].format(**(data.member or {}))


def by_year(data, *columns):
    """One row per year of the member's series: ``year`` (the year as text, in the
    order of the file) and each of ``columns`` (numbers)."""
    if not data.rows:
        raise ValueError("the chart needs the member's series by year")
    missing = [name for name in ("year", *columns) if name not in data.rows[0]]
    if missing:
        raise ValueError(f"the series has no column {', '.join(missing)}")
    return [{"year": int(row["year"]), **{name: row[name] for name in columns}}
            for row in data.rows]


def year_axis(alt, rows):
    """The x axis of years: every ten years labelled, no title."""
    years = [row["year"] for row in rows]
    return alt.X("year:Q", title=None, scale=alt.Scale(domain=[min(years), max(years)],
                                                         nice=False),
                 axis=alt.Axis(format="d", values=[y for y in years if y % 10 == 2],
                               ticks=False, grid=False))
