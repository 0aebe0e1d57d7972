"""Lead times of the fast DNA process: before, after phase 1, whole process."""

from ._common import bars, category_rows


def build(data, theme):
    rows = category_rows(data, value_suffix=" dagen")
    colors = [theme.palette[3], theme.colors["primary"], theme.colors["accent"]]
    return bars(rows, theme, colors=colors)
