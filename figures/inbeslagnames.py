"""Seizures from the crypto-communication investigations, largest first."""

from ._common import bars, category_rows

KIND = "bar"  # what it draws, as its alternative text names it


def build(data, theme):
    rows = sorted(category_rows(data), key=lambda row: -row["value"])
    return bars(rows, theme, data, colors=[theme.colors["primary"]] * len(rows))
