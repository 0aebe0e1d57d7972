"""The national norms of the year, as the results chapter gives them."""

from ._common import bars, category_rows

KIND = "bar"  # what it draws, as its alternative text names it


def build(data, theme):
    rows = category_rows(data)
    return bars(rows, theme, data, colors=[theme.colors["primary_dark"]] * len(rows))
