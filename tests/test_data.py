"""Data as report teams keep it, read the way a user meets it.

One project, made once for the module: the sample cut to two chapters, with files
written as people write them — a workbook with several sheets, formulas whose values
Excel saved, formats (percent, date, currency, a code kept with leading zeros), a named
table and defined names; CSV as Dutch Excel saves it, a tab-separated file, a UTF-16
"Unicode Text" file and a Windows-1252 one — and a section that uses them: numbers
kept in workbook cells in prose and tiles, a table of a typed series, a figure module
that checks what it gets. The series are checked as loaded (``almanac.load``), then
the built PDF is read back: its text, and where PDFium finds each character.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from pathlib import Path

import pytest
from babel.dates import format_date
from pypdf import PdfReader

from almanac.errors import ReportError
from almanac.pipeline import build, load
from almanac.project.csvfile import read_csv

from conftest import INZET, SMALL, copy_project, cut_to, saved_as_excel_would
from pdfread import squash

CHAPTER = Path(INZET).parent
WORKBOOK = "data/key-figures.xlsx"

# --------------------------------------------------------------------------- the data
# Values as the team means them; the files below write them each in their own way, and
# the expectations are computed from these.

REGIONS = [  # code (a text cell), station (a number shown as 0000), region, staff,
    # hours (0.00), absence (0.0%), start (a date cell)
    ("0591", 591, "Noord", 81200, 3.5, 0.125, dt.date(2021, 1, 4)),
    ("0042", 42, "Zuid-Oost", 1234, 12.25, 0.083, dt.date(2021, 3, 15)),
    ("1001", 1001, "Liège", 56, 107, 0.2, dt.date(2021, 12, 31)),
]
YEAR = 2021
BUDGET_PER_HEAD = 25  # budget = staff × 25, a formula with a currency format
TREND = [  # year, reported, solved (0.0%), counted on (a date cell)
    (2017, 1480, 0.412, dt.date(2018, 1, 15)),
    (2018, 1390, 0.398, dt.date(2019, 1, 14)),
    (2019, 1275, 0.455, dt.date(2020, 1, 13)),
    (2020, 990, 0.5, dt.date(2021, 1, 18)),
    (2021, 1012, 0.471, dt.date(2022, 1, 17)),
]
ABSENCE = 0.125  # cell C7 of sheet "2021", formatted 0.0%
OFFICERS = 2345  # cell C8, formatted #,##0, the defined name "officers"

DUTCH = [  # year, municipality, reports, share (%), average
    (2019, "Maastricht", 12034, 12.5, 3.25),
    (2020, "Heerlen", 9870, 8, 1.5),
    (2021, "Sittard-Geleen", 1234, 10.25, 12),
]
TABS = [("Belgique", 2021, 12.5), ("Nederland", 2021, 7.25)]
UNICODE = [("Düsseldorf", 3.5), ("Łódź", 12.75), ("Liège", 4)]
WESTERN = [("Café De Zwaan", "coördinatie"), ("Hôtel Roermond–Venlo", "Sjiek € 5")]


def dutch(value: float | int, decimals: int | None = None) -> str:
    """``value`` as Dutch Excel shows it: ``.`` between thousands, ``,`` decimals."""
    text = f"{value:,.{decimals}f}" if decimals is not None else f"{value:,}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


# --------------------------------------------------------------------------- the files

def write_workbook(path: Path) -> None:
    """The workbook as a team keeps it: an explanation sheet first, the regions (text
    codes, a numeric code shown as 0000, counts, fixed decimals, percentages, dates and
    two formula columns), a trend as a named table under a title, and key figures in
    cells; the defined names "Staffing" (a range) and "officers" (a cell)."""
    import openpyxl
    from openpyxl.workbook.defined_name import DefinedName
    from openpyxl.worksheet.table import Table

    book = openpyxl.Workbook()
    about = book.active
    about.title = "About"
    about["A1"] = "Key figures"
    about["A2"] = "Kept by the planning office; figures at the end of the year."

    regions = book.create_sheet("Regions")
    regions.append(["code", "station", "region", "year", "staff", "hours", "absence",
                    "start", "budget", "share"])
    last = len(REGIONS) + 1
    for row, (code, station, region, staff, hours, absence, start) in enumerate(REGIONS, 2):
        regions.append([code, station, region, YEAR, staff, hours, absence, start,
                        f"=E{row}*{BUDGET_PER_HEAD}", f"=E{row}/SUM(E$2:E${last})"])
        regions[f"B{row}"].number_format = "0000"
        regions[f"E{row}"].number_format = "#,##0"
        regions[f"F{row}"].number_format = "0.00"
        regions[f"G{row}"].number_format = "0.0%"
        regions[f"H{row}"].number_format = "dd-mm-yyyy"
        regions[f"I{row}"].number_format = "€ #,##0"
        regions[f"J{row}"].number_format = "0.0%"

    trend = book.create_sheet("Trend")
    trend["A1"] = "Reported incidents, 2017–2021"
    for row, values in enumerate([("year", "reported", "solved", "counted on"), *TREND], 3):
        for column, value in zip("BCDE", values):
            trend[f"{column}{row}"] = value
        if row > 3:
            trend[f"D{row}"].number_format = "0.0%"
            trend[f"E{row}"].number_format = "dd-mm-yyyy"
    trend.add_table(Table(displayName="Trend", ref=f"B3:E{len(TREND) + 3}"))

    figures = book.create_sheet(str(YEAR))
    figures["A7"], figures["C7"] = "absence at year end", ABSENCE
    figures["C7"].number_format = "0.0%"
    figures["A8"], figures["C8"] = "officers", OFFICERS
    figures["C8"].number_format = "#,##0"
    figures["A9"], figures["C9"] = "staff", f"=SUM(Regions!E2:E{last})"
    figures["C9"].number_format = "#,##0"

    book.defined_names["Staffing"] = DefinedName("Staffing",
                                                 attr_text=f"'Regions'!$A$1:$E${last}")
    book.defined_names["officers"] = DefinedName("officers", attr_text=f"'{YEAR}'!$C$8")
    book.save(path)
    staff = sum(r[3] for r in REGIONS)
    saved_as_excel_would(path, {f"I{row}": r[3] * BUDGET_PER_HEAD for row, r in
                                enumerate(REGIONS, 2)}
                         | {f"J{row}": r[3] / staff for row, r in enumerate(REGIONS, 2)},
                         sheet=2)
    saved_as_excel_would(path, {"C9": staff}, sheet=4)


def write_csvs(folder: Path) -> None:
    """The same kind of table saved four ways."""
    rows = ["jaar;gemeente;meldingen;aandeel;gemiddelde"] + [
        f"{year};{place};{dutch(reports)};{dutch(share)}%;{dutch(average)}"
        for year, place, reports, share, average in DUTCH]
    # Dutch Excel, "CSV UTF-8": a BOM, ';' between cells, CRLF line ends, and a separator
    # for every column of the sheet that some row uses (two empty ones after the table,
    # a row of empty cells in it)
    rows = [row + ";;" for row in rows]
    rows.insert(2, ";" * (rows[0].count(";")))
    (folder / "dutch.csv").write_bytes(codecs.BOM_UTF8 + "\r\n".join(rows).encode() + b"\r\n")
    (folder / "tabs.tsv").write_text(
        "country\tyear\tshare\n" + "".join(f"{c}\t{y}\t{s}\n" for c, y, s in TABS),
        encoding="utf-8")
    # Excel's "Unicode Text": UTF-16 (little-endian, with its BOM), tabs, CRLF
    text = "city\tscore\r\n" + "".join(f"{c}\t{dutch(s)}\r\n" for c, s in UNICODE)
    (folder / "unicode.txt").write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    (folder / "western.csv").write_bytes(
        ("name;note\r\n" + "".join(f"{n};{t}\r\n" for n, t in WESTERN)).encode("cp1252"))


SERIES = f"""\
series:
  regions:
    file: {WORKBOOK}
    sheet: Regions
  trend:
    file: {WORKBOOK}
    table: Trend
  trend_counts:
    file: {WORKBOOK}
    sheet: Trend
    range: B3:C{len(TREND) + 3}
  staffing:
    file: {WORKBOOK}
    range: Staffing
  dutch:
    file: data/dutch.csv
  tabs:
    file: data/tabs.tsv
  unicode:
    file: data/unicode.txt
  western:
    file: data/western.csv
    encoding: windows-1252

"""
NUMBERS = f"""\
  absence:
    cell: {WORKBOOK}[{YEAR}]!C7
    label: absence at year end
  officers:
    cell: {WORKBOOK}!officers
    label: officers
  staff_total:
    cell: {WORKBOOK}[{YEAR}]!C9
    label: staff of the regions
"""
SECTION = """
  - title: Figures kept in a workbook
    blocks:
      - type: kpis
        items:
          - number: absence
            label: absence at the end of the year
          - number: officers
            label: officers on the payroll
      - type: prose
        text: |
          At the end of the year absence stood at {{ absence }}, with {{ officers }}
          officers; the regions counted {{ staff_total }} staff.
      - type: table
        caption: Regions at the end of the year
        series: regions
        columns: {code: Code, region: Region, year: Year, staff: Staff, hours: Hours,
                  absence: Absence, start: Start, budget: Budget}
      - type: figure
        chart: typed_rows
        series: trend
        caption: What a figure module gets
"""
FIGURE = '''\
"""Checks the types of what it gets, and says them in its title."""

import datetime as dt

import altair as alt

TYPES = {"year": int, "count": int, "date": dt.date, "code": str, "text": str}


def build(data, theme):
    for row in data.rows:
        for name, kind in data.columns.items():
            wanted = TYPES.get(kind.split("(")[0], (int, float))
            if not isinstance(row[name], wanted) or isinstance(row[name], bool):
                raise TypeError(f"{name} ({kind}) is {type(row[name]).__name__}")
    first = data.rows[0]
    title = " ".join(f"{name}={kind}:{type(first[name]).__name__}"
                     for name, kind in data.columns.items())
    rows = [{"year": str(row["year"]), "reported": row["reported"]} for row in data.rows]
    return alt.Chart(alt.Data(values=rows), title=title).mark_bar().encode(
        x="year:O", y="reported:Q").properties(width=theme.width(data), height=80)
'''


def make_project(folder: Path) -> Path:
    """The sample cut to two chapters, the data above beside its chapter 03."""
    project = cut_to(copy_project(folder), SMALL)
    data = project / CHAPTER / "data"
    data.mkdir()
    write_workbook(data / "key-figures.xlsx")
    write_csvs(data)
    chapter = project / INZET
    text = chapter.read_text(encoding="utf-8")
    text = text.replace("numbers:\n", "numbers:\n" + NUMBERS, 1)
    text = text.replace("\nsections:\n", "\n" + SERIES + "sections:\n", 1)
    chapter.write_text(text.rstrip("\n") + "\n" + SECTION, encoding="utf-8")
    (project / "figures" / "typed_rows.py").write_text(FIGURE, encoding="utf-8")
    return project


@pytest.fixture(scope="module")
def data_project(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("data") / "project")


@pytest.fixture(scope="module")
def chapter(data_project):
    """The chapter with the series, as loaded."""
    return next(c for c in load(data_project).chapters if c.folder.name == CHAPTER.name)


def kinds(series) -> dict[str, str]:
    """Each column's kind as a series would declare it: ``{"hours": "decimal(2)"}``."""
    return {column.name: column.spec for column in series.columns}


# --------------------------------------------------------------------------- workbooks

def test_a_sheet_gives_its_rows_typed_as_its_cells_show_them(chapter):
    regions = chapter.series["regions"]
    assert kinds(regions) == {
        "code": "code", "station": "code", "region": "text", "year": "year",
        "staff": "count", "hours": "decimal(2)", "absence": "percent(1)", "start": "date",
        "budget": "currency(0)", "share": "percent(1)"}
    staff = sum(r[3] for r in REGIONS)
    assert regions.rows == [
        {"code": code, "station": f"{station:04d}", "region": region, "year": YEAR,
         "staff": heads, "hours": hours, "absence": pytest.approx(absence * 100),
         "start": start, "budget": heads * BUDGET_PER_HEAD,
         "share": pytest.approx(heads / staff * 100)}
        for code, station, region, heads, hours, absence, start in REGIONS]
    for row in regions.rows:
        assert type(row["year"]) is int and type(row["staff"]) is int
        assert type(row["start"]) is dt.date  # a date, not a datetime at midnight
        assert type(row["budget"]) is int  # a formula's saved value, whole


def test_a_named_table_a_range_and_a_defined_name_give_their_part_of_the_workbook(chapter):
    trend = chapter.series["trend"]
    assert kinds(trend) == {"year": "year", "reported": "count", "solved": "percent(1)",
                            "counted on": "date"}
    assert trend.rows == [
        {"year": year, "reported": reported, "solved": pytest.approx(solved * 100),
         "counted on": counted} for year, reported, solved, counted in TREND]
    assert trend.origin.endswith(f"{WORKBOOK}[Trend]!B3:E{len(TREND) + 3}")

    counts = chapter.series["trend_counts"]
    assert kinds(counts) == {"year": "year", "reported": "count"}
    assert counts.rows == [{"year": year, "reported": reported}
                           for year, reported, *_ in TREND]

    staffing = chapter.series["staffing"]  # the defined name: the first five columns
    assert [c.name for c in staffing.columns] == [
        c.name for c in chapter.series["regions"].columns][:5]
    assert staffing.rows == [{k: row[k] for k in ("code", "station", "region", "year",
                                                  "staff")}
                             for row in chapter.series["regions"].rows]


def test_numbers_kept_in_cells_take_their_value_unit_and_decimals_from_the_cell(
        data_project):
    report = load(data_project)
    absence = report.number("absence")
    assert (absence.value, absence.unit, absence.decimals) == (
        pytest.approx(ABSENCE * 100), "percent", 1)
    officers = report.number("officers")  # a defined name
    assert (officers.value, officers.unit) == (OFFICERS, "count")
    total = report.number("staff_total")  # a formula's saved value
    assert (total.value, total.unit) == (sum(r[3] for r in REGIONS), "count")


# --------------------------------------------------------------------------- CSV

def test_csv_as_dutch_excel_saves_it(chapter):
    series = chapter.series["dutch"]
    assert [c.kind for c in series.columns] == ["year", "text", "count", "percent",
                                                "decimal"]
    assert series.rows == [
        {"jaar": year, "gemeente": place, "meldingen": reports, "aandeel": share,
         "gemiddelde": average} for year, place, reports, share, average in DUTCH]
    assert all(type(row["meldingen"]) is int for row in series.rows)  # 12.034: twelve thousand


def test_a_tab_separated_file(chapter):
    series = chapter.series["tabs"]
    assert [c.kind for c in series.columns] == ["text", "year", "decimal"]
    assert series.rows == [{"country": c, "year": y, "share": s} for c, y, s in TABS]


def test_excels_unicode_text_in_utf16(chapter):
    series = chapter.series["unicode"]
    assert [c.kind for c in series.columns] == ["text", "decimal"]
    assert series.rows == [{"city": c, "score": s} for c, s in UNICODE]


def test_a_windows_1252_file_with_its_encoding_declared_keeps_its_accents(chapter):
    series = chapter.series["western"]
    assert series.rows == [{"name": n, "note": t} for n, t in WESTERN]


# --------------------------------------------------------------------------- the PDF

@pytest.fixture(scope="module")
def pdf(data_project) -> Path:
    """The project built once (strict)."""
    return build(data_project, strict=True).path


def page_with(pdf: Path, text: str) -> int:
    """The page (from 1) whose text holds ``text`` (compared squashed)."""
    pages = [i + 1 for i, page in enumerate(PdfReader(pdf).pages)
             if squash(text) in squash(page.extract_text())]
    assert len(pages) == 1, (text, pages)
    return pages[0]


Box = tuple[float, float, float, float]  # left, bottom, right, top in pt
READ_AS = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2010": "-"})


def characters(pdf: Path, page: int) -> tuple[str, list[Box]]:
    """The characters of a page (from 1) in PDFium's reading order, and the loose box
    of each (its origin, advance, ascent and descent: the same for every tabular
    figure); no-break spaces read as spaces, the hyphen a font draws for ``-`` as ``-``."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    document = pdfium.PdfDocument(pdf)
    try:
        text_page = document[page - 1].get_textpage()
        count = text_page.count_chars()
        text = "".join(chr(pdfium_c.FPDFText_GetUnicode(text_page.raw, i))
                       for i in range(count))
        boxes = [text_page.get_charbox(i, loose=True) for i in range(count)]
    finally:
        document.close()
    return text.translate(READ_AS), boxes


def cells_in(text: str, row: list[str], start: int) -> list[tuple[int, int]]:
    """Where the cells of ``row`` are, in order and each whole, in ``text`` after
    ``start``: (first, end) character indices of each."""
    pattern = r"\s+".join(rf"(?<![\w.,])({re.escape(cell)})(?![\w.,])" for cell in row)
    found = re.compile(pattern).search(text, start)
    assert found, f"{row} not in {text[start:]!r}"
    return [found.span(i + 1) for i in range(len(row))]


HEADINGS = ["Code", "Region", "Year", "Staff", "Hours", "Absence", "Start", "Budget"]
NUMERIC = ["Staff", "Hours", "Absence", "Budget"]
MARKED = ["Hours", "Absence"]  # the columns whose figures show a decimal mark


def printed_rows() -> list[list[str]]:
    """The table's rows as a Dutch reader expects them, from the data written."""
    return [[code, region, str(YEAR), dutch(staff), dutch(hours, 2),
             dutch(absence * 100, 1) + "%", format_date(start, "medium", locale="nl"),
             "€ " + dutch(staff * BUDGET_PER_HEAD)]
            for code, _, region, staff, hours, absence, start in REGIONS]


@pytest.fixture(scope="module")
def table_page(pdf) -> tuple[str, list[Box], int]:
    """The page of the table: its characters, their boxes, and where its heading row
    starts."""
    headings = " ".join(HEADINGS)
    text, boxes = characters(pdf, page_with(pdf, headings))
    return text, boxes, text.index(headings)


def table_rows(text: str, start: int) -> list[list[tuple[int, int]]]:
    """Where the heading row and each row of :func:`printed_rows` are, in order."""
    rows = [cells_in(text, HEADINGS, start)]
    for row in printed_rows():
        rows.append(cells_in(text, row, rows[-1][-1][1]))
    return rows


def test_numbers_from_cells_print_in_prose_and_tiles_for_the_locale(pdf):
    absence = dutch(ABSENCE * 100, 1) + "%"  # decimals and unit as the cell's format shows
    officers, staff = dutch(OFFICERS), dutch(sum(r[3] for r in REGIONS))
    prose = (f"At the end of the year absence stood at {absence}, with {officers} "
             f"officers; the regions counted {staff} staff.")
    text = squash(PdfReader(pdf).pages[page_with(pdf, prose) - 1].extract_text())
    assert squash(prose) in text
    assert squash(f"{absence} absence at the end of the year") in text  # the tiles
    assert squash(f"{officers} officers on the payroll") in text


def test_a_table_prints_each_kind_of_column_for_the_locale(table_page):
    # years and codes as written, counts grouped, the column's decimals, percentages
    # with their sign, dates in the locale's medium form (printed_rows), row by row
    text, _, start = table_page
    rows = table_rows(text, start)
    for row in rows:  # each row on one line: no cell wrapped
        assert "\n" not in text[row[0][0]:row[-1][1]], text[row[0][0]:row[-1][1]]
    body = text[rows[1][0][0]:rows[-1][-1][1]]
    assert f"{YEAR // 1000}.{YEAR % 1000:03d}" not in body  # a year is never grouped


def test_a_table_aligns_numbers_right_on_their_decimal_mark_and_text_left(table_page):
    text, boxes, start = table_page
    header, *cells = table_rows(text, start)
    for index, heading in enumerate(HEADINGS):
        spans = [header[index]] + [row[index] for row in cells]
        if heading in NUMERIC:  # its heading too
            rights = [boxes[end - 1][2] for _, end in spans]
            assert max(rights) - min(rights) < 0.5, (heading, rights)
        else:
            lefts = [boxes[first][0] for first, _ in spans]
            assert max(lefts) - min(lefts) < 0.5, (heading, lefts)
    for heading in MARKED:
        index = HEADINGS.index(heading)
        spans = [row[index] for row in cells]
        assert len({end - first for first, end in spans}) > 1, "figures of one width"
        marks = [boxes[text.index(",", *span)][0] for span in spans]
        assert max(marks) - min(marks) < 0.5, (heading, marks)


def test_a_figure_module_gets_the_rows_typed_and_the_kinds_of_the_columns(pdf):
    # its build() raised on a value of the wrong type; its title says what it got: the
    # kind of each column as the trend's cells show it, and the type of its values
    got = {"year": ("year", "int"), "reported": ("count", "int"),
           "solved": ("percent(1)", "float"), "counted on": ("date", "date")}
    title = " ".join(f"{name}={kind}:{type_}" for name, (kind, type_) in got.items())
    # on the page of the figure whose caption says so (the caption is also printed
    # over the chart's table in the appendix)
    captions = [i + 1 for i, page in enumerate(PdfReader(pdf).pages)
                if squash("What a figure module gets") in squash(page.extract_text())]
    assert page_with(pdf, title) == captions[0]


def test_a_tables_caption_stays_on_the_page_of_its_table(pdf):
    caption = "Regions at the end of the year"
    assert page_with(pdf, caption) == page_with(pdf, " ".join(HEADINGS))


@pytest.mark.parametrize("separator", ["-", "/", "."])
def test_dates_in_a_locales_order_are_read_in_the_order_a_cell_shows(tmp_path, separator):
    # as Excel saves a date column in CSV: the day first in most of Europe, the month
    # first in the United States; one day above 12 says which
    day_first = [(31, 12), (3, 4), (15, 1)]
    root = tmp_path.resolve()
    for first, order in ((True, day_first), (False, [(m, d) for d, m in day_first])):
        (root / "d.csv").write_text("date;n\n" + "".join(
            f"{a:02d}{separator}{b:02d}{separator}2021;{i}\n" for i, (a, b) in enumerate(order)),
            encoding="utf-8")
        series = read_csv(root / "d.csv", root / "chapter.yaml", 1, root)
        assert [c.kind for c in series.columns] == ["date", "count"]
        assert [row["date"] for row in series.rows] == [
            dt.date(2021, month, day) for day, month in day_first], first


def test_dates_whose_order_no_cell_shows_are_refused_not_guessed(tmp_path):
    root = tmp_path.resolve()
    (root / "d.csv").write_text("date;n\n03-04-2021;1\n05-06-2021;2\n", encoding="utf-8")
    with pytest.raises(ReportError) as caught:
        read_csv(root / "d.csv", root / "chapter.yaml", 1, root)
    message = caught.value.format(root)
    assert message.startswith("d.csv:2: A2: the date '03-04-2021' reads as a day and a month "
                              "either way round"), message
    assert "fix: write the dates as YYYY-MM-DD" in message


def test_amounts_with_the_euro_sign_and_the_usual_names_of_years_and_codes(tmp_path):
    # as Dutch Excel exports a currency column; "Jaartal" and "Zaaknummer" are the usual
    # Dutch headings of a year and a case number, "Number" alone counts
    root = tmp_path.resolve()
    (root / "m.csv").write_text("Jaartal;Zaaknummer;Number;Bedrag\n2019;2020;2021;€ 1.234,50\n"
                                "2020;1999;12;12,00 €\n", encoding="utf-8")
    series = read_csv(root / "m.csv", root / "chapter.yaml", 1, root)
    assert [(c.kind, c.decimals) for c in series.columns] == [
        ("year", None), ("code", None), ("count", None), ("currency", 2)]
    assert series.rows[0] == {"Jaartal": 2019, "Zaaknummer": "2020", "Number": 2021,
                              "Bedrag": 1234.5}
