"""Lead times of the fast DNA process: before, after phase 1, whole process."""

from ._common import bars, category_rows


def build(data, theme):
    rows = category_rows(data, value_suffix=" dagen")
    colors = theme.ramp(2) + [theme.colors["accent"]]
    return bars(rows, theme, data, colors=colors)
