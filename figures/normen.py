"""The national norms for 2021, as given in the Resultaten chapter."""

from ._common import bars, category_rows


def build(data, theme):
    rows = category_rows(data)
    return bars(rows, theme, data, colors=[theme.colors["primary_dark"]] * len(rows))
