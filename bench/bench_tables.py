"""Reading a series: a workbook against the same data as CSV, as ratios in one run.

The same 10 000 rows (a year, a code with a leading zero, a count, a decimal, a
percentage and a date) are written once as CSV (comma, dot decimals), once as CSV
the way Dutch Excel saves it (semicolon, decimal comma, Windows line ends) and once as
an .xlsx workbook (openpyxl, with number formats). Each round reads each through
Almanac's readers (typed columns included), interleaved; the medians are reported
as time and as a ratio against the plain CSV, with the peak memory each adds.

    python bench/bench_tables.py [--rounds 5] [--rows 10000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

from almanac.project.csvfile import read_csv
from almanac.project.model import SeriesRef
from almanac.project.workbook import Workbook, read_workbook


def write_files(folder: Path, rows: int) -> dict[str, Path]:
    """The three files of ``rows`` rows in ``folder``."""
    import openpyxl

    records = [(2000 + i % 25, f"{i % 9999:04d}", 1000 + i * 7, round(i / 7, 2),
                round(i % 1000 / 10, 1), dt.date(2021, 1, 1) + dt.timedelta(days=i % 365))
               for i in range(rows)]
    header = ["year", "region_code", "count", "value", "share", "date"]
    plain = folder / "plain.csv"
    plain.write_text(",".join(header) + "\n" + "".join(
        f"{y},{c},{n},{v},{s}%,{d.isoformat()}\n" for y, c, n, v, s, d in records),
        encoding="utf-8")
    dutch = folder / "dutch.csv"
    dutch.write_bytes((";".join(header) + "\r\n" + "".join(
        f"{y};{c};{n};{str(v).replace('.', ',')};{str(s).replace('.', ',')}%;"
        f"{d.isoformat()}\r\n" for y, c, n, v, s, d in records)).encode("utf-8-sig"))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "data"
    sheet.append(header)
    for y, c, n, v, s, d in records:
        sheet.append([y, c, n, v, s / 100, d])
    for row in sheet.iter_rows(min_row=2, min_col=4, max_col=5):
        row[0].number_format = "0.00"
        row[1].number_format = "0.0%"
    workbook = folder / "data.xlsx"
    book.save(workbook)
    return {"csv": plain, "csv (Dutch Excel)": dutch, "xlsx": workbook}


def read(kind: str, path: Path, root: Path) -> int:
    """Rows read from ``path`` by the reader of its kind."""
    owner = root / "chapter.yaml"
    columns = {"region_code": "code"}
    if kind == "xlsx":
        series = read_workbook(Workbook(path, owner, 1, root), SeriesRef(
            file=path.name, sheet="data", columns=columns), owner, 1)
    else:
        series = read_csv(path, owner, 1, root, SeriesRef(file=path.name, columns=columns))
    return len(series.rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        files = write_files(root, args.rows)
        times: dict[str, list[float]] = {kind: [] for kind in files}
        peaks: dict[str, int] = {}
        for _ in range(args.rounds):
            for kind, path in files.items():
                start = time.perf_counter()
                assert read(kind, path, root) == args.rows
                times[kind].append(time.perf_counter() - start)
        for kind, path in files.items():
            tracemalloc.start()
            read(kind, path, root)
            peaks[kind] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        base = statistics.median(times["csv"])
        print(f"{args.rows:,} rows, median of {args.rounds} rounds")
        print(f"{'file':<20}{'size':>10}{'time':>10}{'ratio':>8}{'peak memory':>14}")
        for kind, path in files.items():
            median = statistics.median(times[kind])
            print(f"{kind:<20}{path.stat().st_size / 1024:>8.0f} K{median:>9.3f}s"
                  f"{median / base:>7.2f}×{peaks[kind] / 2**20:>11.1f} MiB")


if __name__ == "__main__":
    main()
