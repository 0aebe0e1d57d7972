"""A catalogue of hostile and broken input: each case gives one clear message
(file, line where there is one, what to fix), exit 1, and leaves output/ as it was."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
from pypdf import PdfReader

from almanac.cli import main

from conftest import (
    BRAND,
    INZET,
    OVERVALLEN,
    PHOTO,
    RESULTATEN,
    VOORWOORD,
    add_photo,
    almanac,
    csv_file,
    edit,
    figure,
    override,
    png,
    saved_as_excel_would,
    snapshot,
)
from pdfread import squash

CHAPTER_HTML = "layout/chapter.html"
BOMB = "".join(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]\n"
               for previous, name in zip("abcdefgh", "bcdefghi"))


class Expect(NamedTuple):
    """What the message must hold: the file, its line (None: no line) and phrases."""

    file: str
    line: int | None
    phrases: tuple[str, ...]


def add_table(project: Path, columns: str) -> int:
    """A table block of the 'overvallen' series in RESULTATEN; the line of its columns."""
    text = (project / RESULTATEN).read_text(encoding="utf-8")
    block = ("\n  - title: Tabel\n    blocks:\n      - type: table\n        caption: Overvallen\n"
             f"        series: overvallen\n        columns: {{{columns}}}\n")
    (project / RESULTATEN).write_text(text + block, encoding="utf-8")
    return text.count("\n") + 7


def series_line(project: Path, below: int = 0) -> int:
    """The line of the 'overvallen' series in RESULTATEN, or ``below`` lines under it."""
    lines = (project / RESULTATEN).read_text(encoding="utf-8").splitlines()
    return lines.index("  overvallen:") + 1 + below


def chapter_list(project: Path, extra: str) -> int:
    """Append ``extra`` to the chapters: list of report.yaml; return its line."""
    return edit(project, "report.yaml", "  - 07-resultaten\n", f"  - 07-resultaten\n{extra}") + 1


# --------------------------------------------------------------------------- the catalogue
# Each case breaks a private copy of the sample one way and says what the message holds.

def _malformed_bracket(p):
    line = edit(p, INZET, "  - title: PO21\n", "  - title: PO21\n   blocks: [\n")
    return Expect(INZET, line + 1, ("invalid YAML", "fix: check indentation"))


def _tab_indent(p):
    line = edit(p, INZET, "title: Inzetbaarheid\n", "title: Inzetbaarheid\n\tshort_title: x\n")
    return Expect(INZET, line + 1, ("invalid YAML", "tab character"))


def _unclosed_quote(p):
    edit(p, "report.yaml", "subtitle: Eenheid Limburg", 'subtitle: "Eenheid Limburg')
    return Expect("report.yaml", None, ("invalid YAML",))


def _duplicate_key(p):
    line = edit(p, "report.yaml", "subtitle: Eenheid Limburg\n",
                "subtitle: Eenheid Limburg\nsubtitle: Limburg\n")
    return Expect("report.yaml", line + 1,
                  ("the key 'subtitle' is given twice", f"line {line}"))


def _two_documents(p):
    line = edit(p, INZET, "opener:\n", "---\nopener:\n")
    return Expect(INZET, line, ("invalid YAML", "another document"))


def _undefined_alias(p):
    line = edit(p, INZET, "title: Inzetbaarheid\n", "title: *naam\n")
    return Expect(INZET, line, ("invalid YAML", "undefined alias"))


def _control_character(p):
    line = edit(p, INZET, "title: Inzetbaarheid\n", "title: Inzet\x07baarheid\n")
    return Expect(INZET, line, ("character U+0007 is not allowed", "fix: remove the control"))


def _yaml_latin1(p):
    path = p / VOORWOORD
    text = path.read_text(encoding="utf-8")
    path.write_bytes(text.encode("utf-8") + "\nshort_title: Voorwoord café\n".encode("latin-1"))
    return Expect(VOORWOORD, text.count("\n") + 2, ("not UTF-8", "fix: save the file as UTF-8"))


def _top_level_list(p):
    (p / INZET).write_text("- title: Inzetbaarheid\n- sections: []\n", encoding="utf-8")
    return Expect(INZET, 1, ("holds a list, not keys with values", "title: …"))


def _alias_bomb(p):
    # Nine levels of nine aliases: 387 million strings if anything expanded them.
    line = edit(p, INZET, "title: Inzetbaarheid\n",
                "title: Inzetbaarheid\nbommen:\n  a: &a [x, x, x, x, x, x, x, x, x]\n"
                + "".join("  " + row + "\n" for row in BOMB.splitlines()))
    return Expect(INZET, line + 1, ("bommen: unknown key",))


def _nested_too_deeply(p):
    (p / INZET).write_text("title: " + "[" * 20000 + "]" * 20000 + "\n", encoding="utf-8")
    return Expect(INZET, 1, ("invalid YAML", "nesting depth"))


def _year_not_a_number(p):
    line = edit(p, "report.yaml", "year: 2021", "year: twintig")
    return Expect("report.yaml", line, ("year: Input should be a valid integer", "twintig",
                                        "fix: write a plain number"))


def _chapters_not_a_list(p):
    text = (p / "report.yaml").read_text(encoding="utf-8")
    start = text.index("chapters:\n")
    (p / "report.yaml").write_text(text[:start] + "chapters: 01-voorwoord\n", encoding="utf-8")
    return Expect("report.yaml", text[:start].count("\n") + 1,
                  ("chapters: Input should be a valid list",))


def _bad_date(p):
    line = edit(p, "report.yaml", "date: 2022-05-01", "date: 2022-13-45")
    return Expect("report.yaml", line, ("'2022-13-45' is not a valid value",
                                        "month must be in 1..12", "fix: write a valid value"))


def _number_is_a_word(p):
    line = edit(p, INZET, "    value: 6.3\n", "    value: zes\n")
    return Expect(INZET, line, ("numbers.verzuim.value: Input should be a valid number",
                                "'zes'", "fix: write a plain number"))


def _unknown_key_in_a_block(p):
    line = edit(p, INZET, PHOTO, PHOTO + "        colour: red\n")
    return Expect(INZET, line + 1, ("blocks[1].colour: unknown key",))


def _unknown_number(p):
    line = edit(p, INZET, "{{ quarantaine_fte }}", "{{ quarantaine }}")
    return Expect(INZET, line, ("unknown number 'quarantaine'", "did you mean 'quarantaine_fte'?"))


def _chapter_folder_missing(p):
    line = chapter_list(p, "  - 08-vooruitblik\n")
    return Expect("report.yaml", line, ("chapters/08-vooruitblik/ does not exist",
                                        "fix: create chapters/08-vooruitblik/chapter.md"))


def _photo_missing(p):
    return Expect(INZET, add_photo(p, "foto/po21.jpg"), ("image foto/po21.jpg not found",
                                                         "fix: put the file in chapters/"))


def _bad_unit(p):
    line = edit(p, INZET, "    unit: percent\n", "    unit: procent\n")
    return Expect(INZET, line, ("numbers.verzuim.unit", "procent", "fix: use one of",
                                "'percent'"))


def _fractional_count(p):
    line = edit(p, INZET, "    value: 35\n", "    value: 35.5\n")
    return Expect(INZET, line - 1, ("a count must be a whole number, got 35.5",
                                    "fix: use unit: decimal for fractions"))


def _infinite_number(p):
    line = edit(p, INZET, "    value: 6.3\n", "    value: .inf\n")
    return Expect(INZET, line, ("finite number", "fix: write a finite number"))


def _five_kpis(p):
    kpi = "          - number: verzuim\n            label: 12-maandsverzuim ultimo 2021\n"
    line = edit(p, INZET, kpi, kpi * 5)
    return Expect(INZET, line - 1, ("items: List should have at most 4 items",
                                    "fix: keep at most 4"))


def _bad_colour(p):
    line = edit(p, BRAND, '{hex: "#15396B", cmyk: [100, 75, 18, 25], name: Politieblauw}',
                '{hex: "#15396", cmyk: [100, 75, 18, 25], name: Politieblauw}')
    return Expect(BRAND, line, ("colors.primary.hex", "'#15396'", "fix: write a colour as #"))


def _upper_case_key(p):
    line = edit(p, INZET, "  verzuim:\n", "  Verzuim:\n")
    return Expect(INZET, line, ("numbers.Verzuim: String should match pattern",
                                "fix: a key is lower-case letters"))


def _block_without_type(p):
    line = edit(p, INZET, "      - type: photo\n" + PHOTO, "      - motif: classroom\n")
    return Expect(INZET, line, ("sections[0].blocks[1]", "discriminator 'type'",
                                "fix: give the block a type: one of prose"))


def _no_sections(p):
    text = (p / VOORWOORD).read_text(encoding="utf-8")
    start = text.index("sections:")
    (p / VOORWOORD).write_text(text[:start] + "sections: []\n", encoding="utf-8")
    return Expect(VOORWOORD, text[:start].count("\n") + 1,
                  ("sections: List should have at least 1 item", "fix: give at least 1"))


def _empty_section(p):
    text = (p / VOORWOORD).read_text(encoding="utf-8")
    (p / VOORWOORD).write_text(text + "  - title: Tot slot\n    blocks: []\n", encoding="utf-8")
    return Expect(VOORWOORD, text.count("\n") + 2,
                  ("sections[1].blocks: List should have at least 1 item",
                   "fix: give at least 1"))


def _section_with_only_a_title(p):
    text = (p / VOORWOORD).read_text(encoding="utf-8")
    (p / VOORWOORD).write_text(text + "  - title: Tot slot\n", encoding="utf-8")
    return Expect(VOORWOORD, text.count("\n") + 1,
                  ("sections[1].blocks: Field required", "fix: add 'blocks'"))


def _status_in_former_words(p):
    line = edit(p, RESULTATEN, "aangepakte CS, status: achieved}",
                "aangepakte CS, status: niet gerealiseerd}")
    return Expect(RESULTATEN, line, ("items[1].status: is not a status, got 'niet gerealiseerd'",
                                     "fix: did you mean 'not-achieved'?"))


def _status_misspelt(p):
    line = edit(p, RESULTATEN, "afgeronde onderzoeken, status: achieved}",
                "afgeronde onderzoeken, status: acheived}")
    return Expect(RESULTATEN, line, ("items[0].status: is not a status, got 'acheived'",
                                     "fix: did you mean 'achieved'?"))


def _title_is_a_list(p):
    line = edit(p, INZET, "title: Inzetbaarheid\n", "title: [Inzet, baarheid]\n")
    return Expect(INZET, line, ("title: Input should be a valid string",))


def _misspelt_report_key(p):
    line = edit(p, "report.yaml", "subject:", "subjcet:")
    return Expect("report.yaml", line, ("subjcet: unknown key", "did you mean 'subject'?"))


def _misspelt_brand_key(p):
    line = edit(p, BRAND, "\ncolors:\n", "\ncolours:\n") + 1
    return Expect(BRAND, line, ("colours: unknown key", "did you mean 'colors'?"))


def _misspelt_number_key(p):
    line = edit(p, INZET, "    value: 6.3\n", "    vlaue: 6.3\n")
    return Expect(INZET, line, ("numbers.verzuim.vlaue: unknown key", "did you mean 'value'?"))


def _misspelt_block_key(p):
    line = edit(p, RESULTATEN, "caption: Landelijke normen", "captoin: Landelijke normen")
    return Expect(RESULTATEN, line, ("captoin: unknown key", "did you mean 'caption'?"))


def _misspelt_block_type(p):
    line = edit(p, RESULTATEN, "      - type: figure\n", "      - type: figuur\n")
    return Expect(RESULTATEN, line, ("did you mean type: figure?",))


def _misspelt_chapter_key(p):
    line = edit(p, RESULTATEN, "\nseries:\n", "\nseires:\n") + 1
    return Expect(RESULTATEN, line, ("seires: unknown key", "did you mean 'series'?"))


def _duplicate_slug(p):
    line = chapter_list(p, "  - 03-inzetbaarheid\n")
    return Expect("report.yaml", line, ("chapter 03-inzetbaarheid is listed twice",
                                        "fix: list each chapter folder once"))


def _misspelt_slug(p):
    line = edit(p, "report.yaml", "  - 03-inzetbaarheid\n", "  - 03-inzetbaarhied\n")
    return Expect("report.yaml", line, ("chapters/03-inzetbaarhied/ does not exist",
                                        "did you mean '03-inzetbaarheid'?"))


def _unlisted_chapter(p):
    shutil.copytree(p / "chapters" / "01-voorwoord", p / "chapters" / "08-bijlage")
    line = (p / "report.yaml").read_text(encoding="utf-8").splitlines().index("chapters:") + 1
    return Expect("report.yaml", line, ("chapters/08-bijlage/ is not listed in report.yaml",
                                        "add it to chapters: in report.yaml or remove it"))


def _slug_leaves_chapters(p):
    line = chapter_list(p, "  - ../../etc\n")
    return Expect("report.yaml", line, ("chapter '../../etc' is not a folder name",))


def _empty_report(p):
    (p / "report.yaml").write_text("", encoding="utf-8")
    return Expect("report.yaml", None, ("the file is empty", "fix: it needs at least: title"))


def _no_chapters(p):
    text = (p / "report.yaml").read_text(encoding="utf-8")
    start = text.index("chapters:\n")
    (p / "report.yaml").write_text(text[:start] + "chapters: []\n", encoding="utf-8")
    return Expect("report.yaml", text[:start].count("\n") + 1,
                  ("chapters: List should have at least 1 item",))


def _empty_chapter(p):
    (p / INZET).write_text("# nog te schrijven\n", encoding="utf-8")
    return Expect(INZET, None, ("the file is empty", "title, sections"))


def _chapter_file_is_a_folder(p):
    (p / INZET).unlink()
    (p / INZET).mkdir()
    return Expect(INZET, None, ("file is a folder, not a regular file",
                                "fix: replace it with the file itself"))


def _cover_image_missing(p):
    line = edit(p, "report.yaml", "  motif: aerial-river\n",
                "  motif: aerial-river\n  image: omslag.jpg\n") + 1
    return Expect("report.yaml", line, ("cover", "image omslag.jpg not found"))


def _image_not_an_image(p):
    (p / "chapters" / "03-inzetbaarheid" / "foto.png").write_text("geen plaatje")
    return Expect(INZET, add_photo(p, "foto.png"),
                  ("image foto.png is not an image that can be read",
                   "fix: save it again as PNG or JPEG"))


def _image_outside(p):
    return Expect(INZET, add_photo(p, "../../../buiten.png"),
                  ("image ../../../buiten.png is outside the project folder",))


def _image_too_large(p):
    png(p / "chapters" / "03-inzetbaarheid" / "groot.png", 20_000, 20_000)
    return Expect(INZET, add_photo(p, "groot.png"),
                  ("image groot.png is 400 megapixels", "the limit is 50",
                   "fix: scale it down"))


def _image_unreadable(p):
    if os.geteuid() == 0:
        pytest.skip("runs as root: chmod 000 does not stop root from reading")
    path = png(p / "chapters" / "03-inzetbaarheid" / "foto.png", 40, 30)
    path.chmod(0)
    return Expect(INZET, add_photo(p, "foto.png"), ("image foto.png cannot be read",))


def _font_missing(p):
    line = edit(p, BRAND, "fonts/Lato-Black.ttf", "fonts/Lato-Zwart.ttf")
    return Expect(BRAND, line, ("font file fonts/Lato-Zwart.ttf not found",
                                "fix: put the font under styles/fonts/"))


def _font_not_a_font(p):
    (p / "styles" / "fonts" / "Lato-Black.ttf").write_bytes(b"<html>404 Not Found</html>")
    line = (p / BRAND).read_text(encoding="utf-8").splitlines().index(
        "      - {file: fonts/Lato-Black.ttf, weight: 900}") + 1
    return Expect(BRAND, line, ("font file fonts/Lato-Black.ttf is not a font",))


def _font_outside(p):
    line = edit(p, BRAND, "fonts/Lato-Black.ttf", "/usr/share/fonts/truetype/x.ttf")
    return Expect(BRAND, line, ("is outside the project folder",
                                "fix: copy the font into styles/fonts/"))


def _font_unreadable(p):
    if os.geteuid() == 0:
        pytest.skip("runs as root: chmod 000 does not stop root from reading")
    (p / "styles" / "fonts" / "Lato-Black.ttf").chmod(0)
    return Expect(BRAND, None, ("font file fonts/Lato-Black.ttf cannot be read",))


def _figure_missing(p):
    line = edit(p, RESULTATEN, "chart: normen", "chart: normen_oud")
    return Expect(RESULTATEN, line, ("figures/normen_oud.py does not exist",
                                     "fix: create figures/normen_oud.py"))


def _figure_raises(p):
    figure(p, "def build(data, theme):\n    raise ValueError('geen normen')\n")
    return Expect("figures/normen.py", 2, ("ValueError: geen normen", "07-resultaten: sections"))


def _figure_returns_none(p):
    figure(p, '"""Forgets to return."""\n\n\ndef build(data, theme):\n    pass\n')
    return Expect("figures/normen.py", 4, ("build() returned NoneType, not an Altair chart",
                                           "07-resultaten: sections[2].blocks[4]"))


def _figure_returns_dict(p):
    figure(p, "def build(data, theme):\n    return {'mark': 'bar'}\n")
    return Expect("figures/normen.py", 1, ("build() returned dict, not an Altair chart",
                                           "07-resultaten: sections[2].blocks[4]"))


def _figure_syntax_error(p):
    figure(p, "import altair as alt\n\n\ndef build(data, theme)\n    return None\n")
    return Expect("figures/normen.py", 4, ("SyntaxError",))


def _figure_without_build(p):
    figure(p, "def draw(data, theme):\n    return None\n")
    return Expect("figures/normen.py", None, ("has no build(data, theme) function",))


def _figure_invalid_vega_lite(p):
    # Altair accepts it; Vega cannot parse the expression when it draws the chart.
    figure(p, "import altair as alt\n\n\ndef build(data, theme):\n"
              "    rows = [{'a': 1}]\n"
              "    return alt.Chart(alt.Data(values=rows)).mark_bar().encode(x='b:Q')"
              ".transform_calculate(b='datum.a +* 2')\n")
    return Expect("figures/normen.py", None, ("Vega-Lite cannot draw the chart",
                                              "07-resultaten: sections[2].blocks[4]",
                                              "fix: fix the chart the module builds"))


def _figure_reads_a_file(p):
    figure(p, "import altair as alt\n\n\ndef build(data, theme):\n"
              "    return alt.Chart(alt.UrlData('file:///etc/passwd')).mark_text()"
              ".encode(text='a:N')\n")
    return Expect("figures/normen.py", None, ("reads its data from file:///etc/passwd",
                                              "charts read no URLs or files"))


def _figure_wrong_column(p):
    (p / "figures" / "hic_trend.py").write_text(  # a module that names its columns
        "import altair as alt\n\n\ndef build(data, theme):\n"
        "    years = [row['jaar'] for row in data.rows]\n"
        "    return alt.Chart(alt.Data(values=years)).mark_point()\n", encoding="utf-8")
    csv_file(p, "year,aantal\n2017,90\n2018,75\n")
    return Expect("figures/hic_trend.py", None, ("KeyError: 'jaar'",
                                                 "series columns year, aantal"))


def _table_column_missing(p):
    line = add_table(p, "jaar: Jaar, aantall: Aantal")
    return Expect(RESULTATEN, line, (f"column 'aantall' is not in {OVERVALLEN}",
                                     "did you mean 'aantal'?"))


def _csv_ambiguous_thousands(p):
    # no cell shows the decimal mark: 12.345 is twelve thousand or twelve point three
    csv_file(p, "jaar,aantal\n2017,90\n2018,12.345\n")
    return Expect(OVERVALLEN, 3, ("B3: '12.345' reads as 12345 or as 12.345",
                                  "the file's decimal mark is not known",
                                  "fix: declare it for the series (decimal: ','"))


def _csv_both_decimal_marks(p):
    csv_file(p, "jaar;aantal\n2017;12,5\n2018;3.7\n")
    return Expect(OVERVALLEN, 3, ("B3: '3.7' has '.' where this file's decimal mark is ','",
                                  "fix: write every number of the file with the same"))


def _csv_word_in_numbers(p):
    csv_file(p, "jaar,aantal\n2017,90\n2018,onbekend\n2019,60\n")
    return Expect(OVERVALLEN, 3, ("B3: expected a number, got 'onbekend'",
                                  "or declare the column text"))


def _csv_empty(p):
    csv_file(p, b"")
    return Expect(OVERVALLEN, None, ("empty CSV: no header row",))


def _csv_header_only(p):
    csv_file(p, "jaar,aantal\n")
    return Expect(OVERVALLEN, 1, ("CSV has a header but no rows",))


def _csv_latin1(p):
    csv_file(p, "jaar,aantal,bron\n2017,90,CBS\n2018,75,Politié\n".encode("latin-1"))
    return Expect(OVERVALLEN, 3, ("this file is Windows-1252", "'2018,75,Politié'",
                                  "fix: save it as CSV UTF-8",
                                  "or declare encoding: windows-1252"))


def _csv_ragged_row(p):
    csv_file(p, "jaar,aantal\n2017,90\n2018\n")
    return Expect(OVERVALLEN, 3, ("this row has 1 cell where the header has 2",
                                  "(read with ',' as the separator)"))


def _csv_duplicate_header(p):
    csv_file(p, "jaar,aantal,aantal\n2017,90,1\n")
    return Expect(OVERVALLEN, 1, ("the column 'aantal' twice",))


def _csv_outside(p):
    line = edit(p, RESULTATEN, "file: data/overvallen.csv", "file: ../../../../etc/hosts.csv")
    return Expect(RESULTATEN, line - 1, ("series file hosts.csv is outside the project folder",))


def _csv_too_many_rows(p):
    csv_file(p, "jaar,aantal\n" + "".join(f"{i},{i % 97}\n" for i in range(50_000)))
    line = series_line(p)
    return Expect(RESULTATEN, line, ("data/overvallen.csv has more than 10,000 rows",
                                     "the limit is 10,000", "fix: aggregate"))


def _template_syntax(p):
    line = edit(p, CHAPTER_HTML, "{% block body %}", "{% block body %}{% if %}")
    return Expect(CHAPTER_HTML, line, ("template syntax error", "fix: fix the Jinja2 syntax"))


def _chapter_template_syntax(p):
    (p / "chapters" / "03-inzetbaarheid" / "chapter.html").write_text(
        '{% extends "layout/chapter.html" %}\n\n{% block opener %}\n{{ chapter.data.title }\n'
        "{% endblock %}\n", encoding="utf-8")
    return Expect("chapters/03-inzetbaarheid/chapter.html", 4, ("template syntax error",))


def _template_undefined(p):
    line = edit(p, CHAPTER_HTML, "{% block body %}", "{% block body %}{{ ondertitel }}")
    return Expect(CHAPTER_HTML, line, ("undefined value: 'ondertitel' is undefined",))


def _template_expression_fails(p):
    line = edit(p, CHAPTER_HTML, "{% block body %}", "{% block body %}{{ 1 / 0 }}")
    return Expect(CHAPTER_HTML, line, ("ZeroDivisionError", "fix: fix the expression"))


def _template_unknown_number(p):
    line = edit(p, CHAPTER_HTML, "{% block body %}", "{% block body %}{{ number('nope') }}")
    return Expect(CHAPTER_HTML, line, ("KeyError: 'nope'",))


def _template_include_missing(p):
    line = edit(p, CHAPTER_HTML, "{% block body %}", "{% block body %}{% include 'kader.html' %}")
    return Expect(CHAPTER_HTML, line, ("template 'kader.html' not found",
                                       "fix: create layout/kader.html"))


def _template_include_escape(p):
    line = edit(p, CHAPTER_HTML, "{% block body %}",
                "{% block body %}{% include '../../../etc/passwd' %}")
    return Expect(CHAPTER_HTML, line, ("not found", "read from layout/, chapters/ and the "
                                       "built-in theme (almanac/) only"))


def _strict_css_error(p):
    css = override(p, "styles/components.css")
    line = css.read_text(encoding="utf-8").count("\n") + 2
    with css.open("a", encoding="utf-8") as stream:
        stream.write("\n.kpi { colr: red; }\n")
    return Expect("", None, ("styles/components.css: Ignored `colr: red`", f"at {line}:",
                             "unknown property"))


# ---- damaged images: decoded in full, refused where WeasyPrint would draw them wrong or not

PHOTO_DIR = "chapters/03-inzetbaarheid"


def noisy(path: Path, kind: str = "PNG", mode: str = "RGB", **options) -> Path:
    """An image of random pixels (it does not compress, so a cut loses rows)."""
    import random

    from PIL import Image

    rng = random.Random(7)
    image = Image.frombytes("RGB", (160, 120), bytes(rng.randrange(256)
                                                     for _ in range(160 * 120 * 3)))
    image.convert(mode).save(path, kind, **options)
    return path


def cut(path: Path, fraction: float = 0.6) -> None:
    """Keep only the first ``fraction`` of a file, as an interrupted copy does."""
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * fraction)])


def _image_truncated_png(p):
    cut(noisy(p / PHOTO_DIR / "foto.png"))
    return Expect(INZET, add_photo(p, "foto.png"),
                  ("image foto.png is truncated", "fix: copy or export the image again"))


def _image_truncated_jpeg(p):
    cut(noisy(p / PHOTO_DIR / "foto.jpg", "JPEG", quality=95))
    return Expect(INZET, add_photo(p, "foto.jpg"), ("image foto.jpg is truncated",))


def _image_truncated_cover(p):
    cut(noisy(p / "omslag.png"), 0.3)
    line = edit(p, "report.yaml", "  motif: aerial-river\n",
                "  motif: aerial-river\n  image: omslag.png\n") + 1
    return Expect("report.yaml", line, ("cover", "image omslag.png is truncated"))


def _image_16_bit(p):
    from PIL import Image

    Image.new("I;16", (64, 48), 30_000).save(p / PHOTO_DIR / "grijs.png")
    return Expect(INZET, add_photo(p, "grijs.png"),
                  ("image grijs.png has 16-bit pixels", "draws black or white",
                   "fix: save it as an 8-bit image"))


def _image_float_tiff(p):
    from PIL import Image

    Image.new("F", (64, 48), 0.5).save(p / PHOTO_DIR / "hoogte.tif")
    return Expect(INZET, add_photo(p, "hoogte.tif"),
                  ("image hoogte.tif has 32-bit floating-point pixels",
                   "fix: save it as an 8-bit image"))


def _image_cmyk_tiff(p):
    noisy(p / PHOTO_DIR / "druk.tif", "TIFF", "CMYK")
    return Expect(INZET, add_photo(p, "druk.tif"),
                  ("image druk.tif has pixels WeasyPrint cannot draw (TIFF, mode CMYK)",
                   "(CMYK only as JPEG)"))


def _image_eps(p):
    (p / PHOTO_DIR / "logo.eps").write_bytes(
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n0 0 moveto 10 10 lineto stroke\n")
    return Expect(INZET, add_photo(p, "logo.eps"),
                  ("image logo.eps is not an image that can be read",
                   "fix: save it again as PNG or JPEG (a drawing as SVG)"))


def _image_pixel_bomb(p):
    # 57 bytes on disk; 4 295 megapixels if anything decoded it
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))

    (p / PHOTO_DIR / "bom.png").write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 65535, 65535, 8, 2, 0, 0, 0))
        + chunk(b"IEND", b""))
    return Expect(INZET, add_photo(p, "bom.png"),
                  ("image bom.png is 4295 megapixels; the limit is 50", "too many pixels"))


def _svg_latin1(p):
    (p / PHOTO_DIR / "kaart.svg").write_bytes(
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<svg xmlns="http://www.w3.org/2000/svg"'
        ' width="40" height="30"><text y="20">Maastricht-Zuid, café</text></svg>'
        .encode("latin-1"))
    return Expect(INZET, add_photo(p, "kaart.svg"),
                  ("image kaart.svg is not UTF-8 text", "fix: save it as UTF-8"))


def _svg_latin1_declared_only(p):
    (p / PHOTO_DIR / "kaart.svg").write_bytes(
        b'<?xml version="1.0" encoding="windows-1252"?>\n<svg xmlns="http://www.w3.org/2000/svg"'
        b' width="40" height="30"/>')
    return Expect(INZET, add_photo(p, "kaart.svg"),
                  ("image kaart.svg declares the encoding windows-1252", "save it as UTF-8"))


def _svg_utf16(p):
    (p / PHOTO_DIR / "kaart.svg").write_bytes(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"/>'.encode("utf-16"))
    return Expect(INZET, add_photo(p, "kaart.svg"),
                  ("image kaart.svg is UTF-16 text, not UTF-8", "fix: save it as UTF-8"))


def _svg_not_well_formed(p):
    (p / PHOTO_DIR / "kaart.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30">\n<g><rect/>\n</svg>',
        encoding="utf-8")
    return Expect(INZET, add_photo(p, "kaart.svg"),
                  ("image kaart.svg is not well-formed XML", "line 3"))


def _svg_is_html(p):
    (p / PHOTO_DIR / "kaart.svg").write_text("<html><body>404</body></html>", encoding="utf-8")
    return Expect(INZET, add_photo(p, "kaart.svg"),
                  ("image kaart.svg is XML but not SVG (its root is <html>)",))


# ---- damaged fonts: parsed whole, refused rather than set in another face

BLACK = "styles/fonts/Lato-Black.ttf"


def font_line(p: Path) -> int:
    return (p / BRAND).read_text(encoding="utf-8").splitlines().index(
        "      - {file: fonts/Lato-Black.ttf, weight: 900}") + 1


def spoil_table(p: Path, tag: bytes, at: float = 0.0) -> None:
    """Overwrite 64 bytes of one table of Lato Black, its directory left intact."""
    import struct

    path = p / BLACK
    data = bytearray(path.read_bytes())
    for index in range(struct.unpack(">H", data[4:6])[0]):
        name, _, offset, length = struct.unpack(">4sIII", data[12 + 16 * index:28 + 16 * index])
        if name == tag:
            start = offset + int(length * at)
            data[start:start + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))


def _font_glyf_damaged(p):
    spoil_table(p, b"glyf")
    return Expect(BRAND, font_line(p), ("font file fonts/Lato-Black.ttf is damaged",
                                        "its glyf table cannot be read",
                                        "fix: replace it with an undamaged copy"))


def _font_cmap_damaged(p):
    spoil_table(p, b"cmap")
    return Expect(BRAND, font_line(p), ("font file fonts/Lato-Black.ttf is damaged",
                                        "its cmap table cannot be read"))


def _font_truncated(p):
    cut(p / BLACK, 0.5)
    return Expect(BRAND, font_line(p), ("font file fonts/Lato-Black.ttf is damaged",))


def _font_without_latin_letters(p):
    from fontTools.ttLib import TTFont

    with TTFont(p / BLACK) as font:
        for table in font["cmap"].tables:
            table.cmap = {code: glyph for code, glyph in table.cmap.items()
                          if not chr(code).isascii() or not chr(code).isalpha()}
        font.save(p / BLACK)
    return Expect(BRAND, font_line(p), ("has no glyphs for the letters ABCDEFGHIJKL",
                                        "fix: use a text face"))


# ---- brand strings that go into CSS and the chart theme

def _family_with_a_quote(p):
    line = edit(p, BRAND, "    family: Lato\n", "    family: Lato'\n")
    return Expect(BRAND, line, ("fonts.body.family: is not a font family name", "\"Lato'\"",
                                "fix: write the family's name"))


def _family_with_markup(p):
    # once a panic of the chart engine, blamed on a figure module
    line = edit(p, BRAND, "    family: Lato\n", "    family: 'La\"to<svg>'\n", count=2)
    return Expect(BRAND, line, ("fonts.body.family: is not a font family name",))


def _fallback_smuggles_css(p):
    line = edit(p, BRAND, "    fallback: sans-serif\n",
                "    fallback: 'sans-serif; } body { display: none'\n")
    return Expect(BRAND, line, ("fonts.body.fallback: has 'sans-serif; } body { display: none'",
                                "which is not a font family", "fix: write names separated"))


# ---- series from workbooks, and the kinds of their columns

def workbook(p: Path, sheets: dict[str, list[list]], series: str = "") -> Path:
    """The 'overvallen' series read from a workbook of ``sheets`` (rows of values; a
    text starting with = is a formula, saved without a value as openpyxl saves it),
    with ``series`` lines added to its entry in RESULTATEN."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = p / OVERVALLEN.replace(".csv", ".xlsx")
    book.save(path)
    edit(p, RESULTATEN, "file: data/overvallen.csv", "file: data/overvallen.xlsx" + series)
    return path


WORKBOOK = OVERVALLEN.replace(".csv", ".xlsx")


def _workbook_wrong_sheet(p):
    workbook(p, {"Cijfers 2021": [["jaar", "aantal"], [2017, 90]]},
             "\n    sheet: Cijfers 2012")
    line = series_line(p)
    return Expect(RESULTATEN, line, ("data/overvallen.xlsx has no sheet 'Cijfers 2012'",
                                     "fix: did you mean 'Cijfers 2021'?"))


def _workbook_word_in_numbers(p):
    workbook(p, {"2021": [["jaar", "aantal"], [2017, 90], [2018, 75], [2019, "n.b."],
                          [2020, 50]]}, "\n    sheet: '2021'")
    return Expect(WORKBOOK + "[2021]!B4", None, ("expected a number, got 'n.b.'",
                                                 "or declare the column text"))


def _workbook_error_value(p):
    path = workbook(p, {"Blad1": [["jaar", "aantal"], [2017, 90], [2018, "=1/0"]]})
    saved_as_excel_would(path, {"B3": "#DIV/0!"})
    return Expect(WORKBOOK + "[Blad1]!B3", None, ("holds the error value #DIV/0!",
                                                  "fix: correct the formula"))


def _workbook_formula_never_calculated(p):
    workbook(p, {"Blad1": [["jaar", "aantal"], [2017, 90], [2018, "=B2*2"]]})
    return Expect(WORKBOOK + "[Blad1]!B3", None, ("the formula =B2*2 has no saved value",
                                                  "fix: open the workbook in Excel or "
                                                  "LibreOffice and save it"))


def _workbook_row_below_a_gap(p):
    workbook(p, {"Blad1": [["jaar", "aantal"], [2017, 90], [], ["Bron: eigen telling"]]})
    return Expect(WORKBOOK + "[Blad1]!A4", None, ("below an empty row (3)",
                                                  "declare range: A1:B2"))


def _workbook_declared_column_missing(p):
    workbook(p, {"Blad1": [["jaar", "aantal"], [2017, 90]]},
             "\n    columns: {aantl: count}")
    line = series_line(p)
    return Expect(RESULTATEN, line, ("columns: 'aantl' is not a column of overvallen.xlsx",
                                     "fix: did you mean 'aantal'?"))


def _workbook_amount_in_another_currency(p):
    import openpyxl

    path = workbook(p, {"Blad1": [["jaar", "schade"], [2017, 1234.5]]})
    book = openpyxl.load_workbook(path)
    book["Blad1"]["B2"].number_format = "[$$-409]#,##0.00"  # US dollars, as Excel writes it
    book.save(path)
    return Expect(WORKBOOK + "[Blad1]!B2", None, ("the cell is an amount in $",
                                                  "the report's currency is EUR (€)"))


def _workbook_title_above_the_table(p):
    workbook(p, {"Blad1": [["Overvallen per jaar"], [], ["jaar", "aantal"], [2017, 90],
                           [2018, 75]]})
    return Expect(WORKBOOK + "[Blad1]!A1", None, ("row 1 is read as the header",
                                                  "is row 1 a title above the table?",
                                                  "e.g. range: A3:B5"))


def _number_cell_fraction_as_percent(p):
    workbook(p, {"2021": [["jaar", "aantal"], [2017, 90], [2018, 0.063]]})
    line = edit(p, INZET, "    value: 6.3\n",
                "    cell: ../07-resultaten/data/overvallen.xlsx[2021]!B3\n")
    return Expect(INZET, line, ("holds 0.063 with no percent format: 6.3 % or 0.063 %?",
                                    "fix: format the cell as a percentage"))


def _csv_one_column_with_decimal_commas(p):
    csv_file(p, "aantal\n12,5\n13,1\n")
    return Expect(OVERVALLEN, 2, ("a file of one column whose numbers have a decimal comma",
                                  "fix: declare separator: ';'"))


def _workbook_not_a_workbook(p):
    workbook(p, {"Blad1": [["jaar", "aantal"], [2017, 90]]}).write_bytes(b"jaar,aantal\n1,2\n")
    return Expect(WORKBOOK, None, ("not an Excel workbook (.xlsx)",
                                   "fix: save it as Excel Workbook"))


def _csv_that_is_a_workbook(p):
    path = workbook(p, {"Blad1": [["jaar", "aantal"], [2017, 90]]})
    edit(p, RESULTATEN, "file: data/overvallen.xlsx", "file: data/overvallen.csv")
    (p / OVERVALLEN).write_bytes(path.read_bytes())
    return Expect(OVERVALLEN, None, ("this file is an Excel workbook (.xlsx), not CSV text",
                                     "fix: rename it to overvallen.xlsx"))


def _series_old_excel(p):
    edit(p, RESULTATEN, "file: data/overvallen.csv", "file: data/overvallen.xls")
    line = series_line(p, 1)
    return Expect(RESULTATEN, line, (".xls files cannot be read",
                                     "save it as an Excel workbook (.xlsx)"))


def _column_kind_unknown(p):
    edit(p, RESULTATEN, "file: data/overvallen.csv",
         "file: data/overvallen.csv\n    columns: {jaar: jaartal}")
    line = series_line(p, 2)
    return Expect(RESULTATEN, line, ("'jaartal' is not a column kind",
                                     "write one of year, code, count"))


def _number_cell_empty(p):
    workbook(p, {"2021": [["jaar", "aantal"], [2017, 90]]})
    edit(p, INZET, "    value: 6.3\n", "    cell: ../07-resultaten/data/overvallen.xlsx[2021]!C9\n")
    return Expect(WORKBOOK + "[2021]!C9", None, ("expected a number, got an empty cell",
                                                 "fix: write the number in the cell"))


def _number_value_and_cell(p):
    line = edit(p, INZET, "    value: 6.3\n", "    value: 6.3\n    cell: k.xlsx!B2\n")
    return Expect(INZET, line - 1, ("numbers.verzuim: the number gives both a value and a cell",
                                    "fix: keep one"))


# ---- numbers as written: only plain ASCII numbers are numbers

def _csv_underscore_digits(p):
    csv_file(p, "jaar,aantal\n2017,90\n2018,1_000\n")
    return Expect(OVERVALLEN, 3, ("'1_000' is not a number as written", "fix: write a plain"))


def _csv_arabic_indic_digits(p):
    csv_file(p, "jaar,aantal\n2017,90\n2018,\u0667\u0665\n")
    return Expect(OVERVALLEN, 3, ("'\u0667\u0665' is not a number as written",))


def _csv_full_width_digits(p):
    csv_file(p, "jaar,aantal\n\uff12\uff10\uff11\uff17,90\n2018,75\n")
    return Expect(OVERVALLEN, 2, ("'\uff12\uff10\uff11\uff17' is not a number as written",))


def _csv_number_too_large(p):
    csv_file(p, "jaar,aantal\n2017,90\n2018,1e25\n")
    return Expect(OVERVALLEN, 3, ("'1e25' is too large to print exactly", "the limit is 10^15",
                                  "fix: write it in a larger unit"))


def _yaml_underscore_digits(p):
    line = edit(p, INZET, "    value: 6.3\n", "    value: 1_000\n")
    return Expect(INZET, line, ("numbers.verzuim.value: is not a number as written",
                                "'1_000'", "fix: write a plain number in ASCII digits"))


def _yaml_base_60(p):
    line = edit(p, INZET, "    value: 6.3\n", "    value: 1:30\n")  # YAML 1.1: 90
    return Expect(INZET, line, ("numbers.verzuim.value: Input should be a valid number", "'1:30'",
                                "fix: write a plain number"))


def _yaml_hexadecimal(p):
    line = edit(p, INZET, "    value: 6.3\n", "    value: 0x1F\n")  # YAML 1.1: 31
    return Expect(INZET, line, ("numbers.verzuim.value: Input should be a valid number",
                                "'0x1F'"))


def _yaml_full_width_digits(p):
    line = edit(p, INZET, "    value: 6.3\n", '    value: "\uff16.\uff13"\n')
    return Expect(INZET, line, ("numbers.verzuim.value: is not a number as written",))


def _yaml_yes_as_a_number(p):
    line = edit(p, INZET, "    value: 6.3\n", "    value: yes\n")
    return Expect(INZET, line, ("numbers.verzuim.value: is true or false, not a number",))


def _yaml_weight_as_text(p):
    line = edit(p, BRAND, "fonts/Lato-Black.ttf, weight: 900", "fonts/Lato-Black.ttf, weight: 9_00")
    return Expect(BRAND, line, ("weight: is not a number as written",))


def _number_too_large(p):
    # once a traceback, or a template error in layout/components.html
    line = edit(p, INZET, "    value: 6.3\n", "    value: 1.0e25\n")
    return Expect(INZET, line, ("numbers.verzuim.value: is too large to print exactly",
                                "the limit is 10^15"))


def _count_with_400_digits(p):
    line = edit(p, INZET, "    value: 35\n", "    value: " + "9" * 400 + "\n")
    return Expect(INZET, line, ("value: is too large to print exactly",))


# ---- language and footnotes: messages that name the input, not a template

def _unknown_locale(p):
    line = edit(p, "report.yaml", "language: nl\n", "language: zz\n")
    return Expect("report.yaml", line, ("language: is not a language and region that CLDR",
                                        "'zz'", "fix: write a language code CLDR knows",
                                        "nl-NL"))


def _unknown_region(p):
    line = edit(p, "report.yaml", "language: nl\n", "language: nl-XX\n")
    return Expect("report.yaml", line, ("language: is not a language", "'nl' alone",
                                        "a region CLDR knows for it: nl-NL, ", "nl-BE"))


def _footnote_in_a_footnote(p):
    line = edit(p, RESULTATEN, '          nb: "NB: De doelstellingen',
                '          bron: "Zie ook [^nb]."\n          nb: "NB: De doelstellingen')
    edit(p, RESULTATEN, "worden jaarlijks[^nb]", "worden jaarlijks[^nb][^bron]")
    return Expect(RESULTATEN, line, ("footnote 'bron' refers to the footnote [^nb]",
                                     "a footnote cannot have footnotes", "fix: write the text"))


def _footnote_in_a_fact(p):
    line = edit(p, INZET, '          - "...AVIM Limburg', '          - "[^bron]...AVIM Limburg')
    return Expect(INZET, line, ("footnote [^bron] is in a text that cannot have footnotes",
                                "fix: only prose blocks have footnotes"))


# ---- dates that would print wrong: an edition dated far from the report's year

def _edition_in_year_one(p):
    line = edit(p, "report.yaml", "date: 2022-05-01", "date: 0001-05-01")
    return Expect("report.yaml", line, ("edition.date: the date 0001-05-01 is not within",
                                        "the report's year 2021", "fix: write the date"))


def _erratum_in_year_9999(p):
    line = edit(p, "report.yaml", "  date: 2022-05-01\n",
                '  date: 2022-05-01\n  changes:\n    - version: "1.0"\n      date: 9999-12-31\n'
                "      text: Eerste uitgave\n") + 3
    return Expect("report.yaml", line, ("edition.changes[0].date: the date 9999-12-31",))
# ---- typesetting engine crashes: CSS that WeasyPrint cannot lay out or draw
# Each is a message naming the stylesheet (or the styles), what failed and a fix.

def style(p: Path, css: str, name: str = "components.css") -> str:
    """Append ``css`` to a stylesheet of the project; its path in the project."""
    with (p / "styles" / name).open("a", encoding="utf-8") as stream:
        stream.write("\n" + css + "\n")
    return f"styles/{name}"


ENGINE = ("WeasyPrint failed", "fix: look for an extreme or malformed value")


def _css_font_size_huge(p):
    return Expect(style(p, "body, p { font-size: 1e9pt; }"), None,
                  ENGINE + ("(the stylesheet changed last)",))


def _css_not_nested_deeply(p):
    selector = "p" + ":not(" * 2000 + "a" + ")" * 2000
    return Expect(style(p, selector + " { color: red; }", "typography.css"), None,
                  ENGINE + ("RecursionError",))


def _css_calc_nested_deeply(p):
    value = "calc(" * 2000 + "1px" + ")" * 2000
    return Expect(style(p, f".kpi {{ width: {value}; }}"), None, ENGINE + ("RecursionError",))


def _css_float_everything(p):
    style(p, "* { float: left; }")
    return Expect("styles", None, ("chapters missing from the PDF outline", "Voorwoord",
                                   "fix: the chapter headings must keep bookmark-level"))


def _css_scale_huge(p):
    style(p, "body, p, h1 { transform: scale(1e30); }")
    return Expect("", None, ("the PDF WeasyPrint made cannot be read back",
                             "fix: look for extreme values in styles/"))


# ---- unbounded typesetting: pages, page size, SVG instances, stylesheets fetched
# Each stops at a bound with a message naming it (stages.guard, stages.fetcher).

def _page_size_zero(p):
    style(p, "@page { size: 0; }", "pages.css")
    return Expect("", None, ("content area is 0 × 0 mm", "at least 10 mm",
                             "fix: fix the size and margins of @page"))


def _page_margins_larger_than_the_page(p):
    style(p, "@page { margin: 200mm; }", "pages.css")
    return Expect("", None, ("content area is 0 × 0 mm", "fix: fix the size and margins"))


def nested_use(depth: int, fan: int = 10) -> str:
    """An SVG whose ``<use>`` elements copy a group ``fan`` times, ``depth`` deep:
    about fan ** depth elements drawn from a file of a few hundred bytes."""
    groups = "".join(f'<g id="g{i}">' + f'<use href="#g{i - 1}"/>' * fan + "</g>"
                     for i in range(1, depth + 1))
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><defs>'
            f'<rect id="g0" width="1" height="1"/>{groups}</defs>'
            f'<use href="#g{depth}"/></svg>')


def _svg_photo_of_nested_use(p):
    (p / "chapters" / "03-inzetbaarheid" / "bom.svg").write_text(nested_use(8))
    add_photo(p, "bom.svg")
    return Expect("chapters/03-inzetbaarheid/bom.svg", None,
                  ("the SVG image draws 469,135,793 elements", "the limit is 200,000",
                   "fix: simplify the image"))


def _svg_in_a_data_uri_of_a_stylesheet(p):
    import base64

    data = base64.b64encode(nested_use(7).encode()).decode()
    style(p, f'.kpi {{ background-image: url("data:image/svg+xml;base64,{data}"); }}')
    return Expect("", None, ("the SVG image data:image/svg+xml;base64,",
                             "draws 46,913,572 elements", "the limit is 200,000"))


def _svg_use_refers_to_itself(p):
    (p / "styles" / "lus.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<g id="a"><rect width="1" height="1"/><use href="#a"/></g></svg>')
    style(p, ".kpi { background-image: url(lus.svg); }")
    return Expect("styles/lus.svg", None, ("has a <use> that refers to an element containing it",
                                        "fix: remove that <use>"))


def _css_columns_huge(p):
    css = override(p, "styles/components.css")
    line = css.read_text(encoding="utf-8").count("\n") + 4  # after a blank line, 2 lines in
    style(p, "@media print {\n  .prose {\n    columns: 100000 8em; }\n}")
    return Expect("styles/components.css", line,
                  ("columns asks for 100,000 columns; the limit is 100", "fix: use fewer"))


def _css_column_count_huge(p):
    css = override(p, "styles/typography.css")
    line = css.read_text(encoding="utf-8").count("\n") + 2
    style(p, "p { column-count: 5000; }", "typography.css")
    return Expect("styles/typography.css", line, ("column-count asks for 5,000 columns",))


def _stylesheet_import_fan_out(p):
    for level in range(4):  # 1 + 8 + 64 + 512 stylesheets read from one @import
        (p / "styles" / f"waaier{level}.css").write_text(
            f'@import "waaier{level + 1}.css";\n' * 8 if level < 3 else "p { color: #111; }")
    components = override(p, "styles/components.css")
    components.write_text('@import "waaier0.css";\n' + components.read_text())
    return Expect("", None, ("more than 500 stylesheets", "fix: import each stylesheet once"))


# ---- unbounded inputs past the limits table: chapters listed, series columns, columns
def _chapters_listed_past_the_limit(p):
    chapter_list(p, "".join(f"  - extra-{i}\n" for i in range(600)))
    line = (p / "report.yaml").read_text(encoding="utf-8").split("\n").index("chapters:") + 1
    return Expect("report.yaml", line, ("chapters: List should have at most 500 items",
                                        "fix: keep at most 500"))


def _series_wider_than_the_column_limit(p):
    csv_file(p, ",".join(f"k{i}" for i in range(201)) + "\n" + ",".join(["1"] * 201) + "\n")
    return Expect(OVERVALLEN, 1, ("the header has 201 columns; the limit is 200",
                                  "fix: keep the columns the report uses"))


def _css_columns_through_a_custom_property(p):
    style(p, ":root { --veel: 100000; }\n.prose { column-count: var(--veel); }")
    return Expect("", None, ("box is laid out in 100,000 columns; the limit is 100",
                             "fix: use fewer columns"))


CASES: dict[str, Callable[[Path], Expect]] = {
    name.lstrip("_").replace("_", " "): case for name, case in list(globals().items())
    if name.startswith("_") and callable(case) and case.__module__ == __name__
    and not name.startswith("__")
}
STRICT = {"strict css error"}  # cases that fail only under --strict


@pytest.mark.parametrize("kind", sorted(CASES))
def test_bad_input(kind, warm, earlier, capsys):
    expect = CASES[kind](warm)
    args = ["build", str(warm), "-q"] + (["--strict"] if kind in STRICT else [])
    code = main(args)
    output = capsys.readouterr()
    message = output.err + output.out
    assert code == 1, message
    assert "Traceback" not in message
    if expect.file:
        location = f"{expect.file}:{expect.line}:" if expect.line else f"{expect.file}:"
        assert location in message, message
    for phrase in expect.phrases:
        assert phrase in message, message
    assert "nothing was written" in message
    assert "fix: " in message or kind in STRICT
    assert snapshot(warm / "output") == earlier  # the earlier PDF is untouched


def test_a_css_error_is_a_warning_naming_the_file(warm, capsys):
    expect = _strict_css_error(warm)
    assert main(["build", str(warm), "-q"]) == 0
    err = capsys.readouterr().err
    for phrase in expect.phrases:
        assert phrase in err


ODDITIES = (
    "RTL \u200fמשטרה\u200f en \u202eomgekeerd\u202c, Arabisch: الشرطة في ليمبورخ",
    "emoji 👮🏽‍♀️ 👩‍👩‍👧‍👦 🇳🇱 ❤️ met zero-width joiner a\u200db en non-joiner a\u200cb",
    "zero-width space\u200bhier, soft\u00adhyphen, BOM\ufeffmidden, combining e\u0301\u0301\u0301",
    "CJK 警察年度报告 and 𝕄𝕒𝕥𝕙 and \U0001F9EA and replacement \ufffd and tab\tin text",
)


def test_text_with_every_unicode_oddity_still_lays_out(warm):
    from almanac.pipeline import build
    from almanac.reporter import BufferReporter

    word = "Politieondersteuningsmedewerker" * 323  # a 10 013-character word
    prose = "\n\n".join(ODDITIES + (f"Lang woord: {word}.",))
    text = (warm / INZET).read_text(encoding="utf-8")
    start = text.index("sections:\n")
    block = "      - type: prose\n        text: |\n" + "".join(
        f"          {line}\n" if line else "\n" for line in prose.splitlines())
    # forced line breaks as pasted from a layout program (U+2028, U+2029; a YAML escape)
    block += ("      - type: facts\n        title: Harde regeleinden\n        items:\n"
              '          - "Eerste regel\\LTweede regel"\n'
              f'          - "{word[:250]}\\L ta\\xadb\\Pderde"\n')
    (warm / INZET).write_text(
        text[:start].replace("title: Inzetbaarheid", 'title: "Inzet \u200f👮🏽‍♀️ \u202eR\u202c"')
        + "sections:\n  - title: Vreemde tekens \u200d🇳🇱\n    blocks:\n" + block
        + text[start + len("sections:\n"):], encoding="utf-8")
    result = build(warm, reporter=BufferReporter())
    assert len(PdfReader(result.path).pages) == result.pages > 10
    content = subprocess.run(["pdftotext", str(result.path), "-"], capture_output=True,
                             text=True, check=True, timeout=60).stdout
    assert "الشرطة في ليمبورخ" in content and "警察年度报告" in content
    assert "Eerste regel\nTweede regel" in content and "\ntab\nderde" in content
    # every letter, hyphenated across lines and pages (running heads interrupt it)
    assert squash(content).count("politieondersteuningsmedewerker") >= 310


def test_chart_labels_with_control_characters_still_draw(warm):
    """vl-convert aborts the whole process on a NUL or U+FFFE in chart text; the
    build cleans the chart's text first. (A separate process: an abort is a crash.)"""
    edit(warm, RESULTATEN, "          norm_cs: Aangepakte CS\n",
         '          norm_cs: "Aangepakte\\0 CS \\uFFFE\\u2028 \\x1b[31m"\n')
    result = subprocess.run([sys.executable, "-m", "almanac", "build", str(warm), "-q"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert len(PdfReader(result.stdout.strip()).pages) > 20


def test_check_reports_the_same_problem_as_build(project, capsys):
    expect = _number_is_a_word(project)
    assert main(["check", str(project)]) == 1
    assert f"{expect.file}:{expect.line}:" in capsys.readouterr().err


def test_every_problem_is_reported_at_once(project, capsys):
    _number_is_a_word(project)
    _chapter_folder_missing(project)
    edit(project, RESULTATEN, "  norm_cs:\n    value: 80\n",
         "  norm_cs:\n    value: 80\n    color: red\n")
    assert main(["build", str(project), "-q"]) == 1
    output = capsys.readouterr().err
    assert "3 problems" in output
    assert INZET in output and "report.yaml" in output and RESULTATEN in output


def test_a_build_stopped_while_typesetting_leaves_the_earlier_pdf(project, earlier,
                                                                   monkeypatch):
    import almanac.stages.typeset

    def fail(*args, **kwargs):
        raise KeyboardInterrupt  # stands for a crash or a kill mid-way through typesetting

    monkeypatch.setattr(almanac.stages.typeset, "typeset", fail)
    assert main(["build", str(project), "-q"]) == 130
    assert snapshot(project / "output") == earlier


def test_the_command_exits_1_without_traceback(project):
    _misspelt_chapter_key(project)
    result = almanac("build", str(project))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert re.search(r"chapter\.yaml:\d+: seires: unknown key", result.stderr), result.stderr
    assert "did you mean 'series'?" in result.stderr
    assert result.stdout == ""
