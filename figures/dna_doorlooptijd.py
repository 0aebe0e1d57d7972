"""Lead times of the fast DNA process: before, after phase 1, whole process (the
caption names the unit)."""

from ._common import bars, category_rows

KIND = "bar"  # what it draws, as its alternative text names it


def build(data, theme):
    rows = category_rows(data)
    colors = theme.ramp(2) + [theme.colors["accent"]]
    return bars(rows, theme, data, colors=colors)
