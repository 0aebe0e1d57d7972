"""The preflight after pagination: each kind of finding on a small document made to
provoke it (and only it). The sample report's own pages are clean: its strict builds
(tests/test_variants.py) fail on any finding."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
import yaml
from PIL import Image
from pypdf import PdfReader
from weasyprint import HTML

from almanac.project.model import Brand, Color
from almanac.stages.preflight import Finding, contrast_ratio, preflight

from conftest import override
from pdfread import page_zones, squash

BRAND_FILE = Path(__file__).resolve().parent.parent / "styles" / "brand.yaml"

PAGE_CSS = """
@page { size: A4; margin: 20mm; }
body { margin: 0; font-family: sans-serif; font-size: 10pt; color: #000; }
p { margin: 0 0 4mm; }
.break { break-before: page; }
"""
# A4 with 20 mm margins leaves a content area of 170 × 257 mm.


def make_brand(paper: str = "#FFFFFF") -> Brand:
    """The sample's brand (styles/brand.yaml) on paper of the given colour."""
    brand = Brand.model_validate(yaml.safe_load(BRAND_FILE.read_text(encoding="utf-8")))
    colors = brand.colors.model_copy(update={"paper": Color(hex=paper)})
    return brand.model_copy(update={"colors": colors})


def lay_out(body: str, css: str = ""):
    html = (f"<!DOCTYPE html><html><head><style>{PAGE_CSS}{css}</style></head>"
            f"<body>{body}</body></html>")
    return HTML(string=html).render()  # WeasyPrint lays the document out


def check(body: str, css: str = "", **options) -> list[Finding]:
    return preflight(lay_out(body, css), make_brand(), **options)


def png_uri(width: int, height: int) -> str:
    stream = io.BytesIO()
    Image.new("RGB", (width, height), "#15396B").save(stream, format="PNG")
    return "data:image/png;base64," + base64.b64encode(stream.getvalue()).decode("ascii")


SVG_URI = ("data:image/svg+xml;base64," + base64.b64encode(
    b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
    b'<rect width="100" height="100" fill="#15396B"/></svg>').decode("ascii"))

FIRST_PAGE = "<p>Inleiding.</p><div class='break'></div>"


# --------------------------------------------------------------------------- overflow

def test_a_block_past_the_right_edge_is_an_overflow():
    findings = check(FIRST_PAGE + "<div style='width: 200mm; height: 10mm; "
                     "background: #C5D0E0'></div>")
    assert [(f.page, f.kind) for f in findings] == [(2, "overflow")]
    assert "right edge" in findings[0].message and findings[0].message.startswith("page 2: div")


def test_a_block_past_the_bottom_edge_is_an_overflow():
    # a monolithic box taller than the page cannot be split: it runs off the bottom
    findings = check("<p>Inleiding.</p><img class='break' src='" + SVG_URI + "' "
                     "style='display: block; width: 100mm; height: 280mm'>")
    assert [(f.page, f.kind) for f in findings] == [(2, "overflow")]
    assert "bottom edge" in findings[0].message


def test_a_line_wider_than_its_column_is_an_overflow():
    findings = check("<div style='width: 30mm; hyphens: none'>"
                     "<p>Arbeidsongeschiktheidsverzekeringsmaatschappij</p></div>")
    assert [(f.page, f.kind) for f in findings] == [(1, "overflow")]
    assert findings[0].message.startswith(
        "page 1: line 'Arbeidsongeschiktheidsverzekeringsmaats…' is ")
    assert findings[0].message.endswith("pt wider than its p")


def test_full_bleed_pages_may_bleed():
    css = """@page cover { margin: 0; }
             .cover { page: cover; position: relative; height: 297mm; background: #0B2244; }
             .photo { position: absolute; left: -5mm; top: -5mm; width: 220mm; height: 307mm; }"""
    body = ("<section class='cover'><img class='photo' src='" + SVG_URI + "'></section>"
            "<p class='break'>Tekst.</p>")
    assert check(body, css) == []


# --------------------------------------------------------------------------- headings

STRANDED = """
<div class="spacer"></div>
<h2>Verzuim</h2>
<div class="block"></div>
"""
HEADING_CSS = """
h2 { font-size: 14pt; margin: 0; break-after: auto; }
.spacer { height: 235mm; background: #EDF1F7; }
.block { height: %s; background: #C5D0E0; break-inside: avoid; }
"""


def test_a_heading_at_the_foot_of_a_page_is_stranded():
    findings = check(FIRST_PAGE + STRANDED, HEADING_CSS % "40mm")
    assert findings == [Finding(2, "stranded-heading",
                                "page 2: heading 'Verzuim' at the foot of the page")]


def test_a_heading_followed_by_content_on_its_page_is_not_stranded():
    assert check(FIRST_PAGE + STRANDED, HEADING_CSS % "5mm") == []


def test_absolutely_positioned_headings_are_not_stranded():
    # like the titles on the cover and the chapter openers: last in the source, but
    # placed by position, not by the flow of the page
    body = ("<p>Tekst.</p><div style='position: relative; height: 20mm'>"
            "<h1 style='position: absolute; top: 0; margin: 0'>Titel</h1></div>")
    assert check(body) == []


# --------------------------------------------------------------------------- tables

TABLE_CSS = """
table { width: 100mm; border-spacing: 0; }
td, th { height: 10mm; padding: 0; }
.spacer { height: %s; background: #EDF1F7; }
"""


def table(rows: int, head: bool = False) -> str:
    thead = "<thead><tr><th>Jaar</th><th>Aantal</th></tr></thead>" if head else ""
    body = "".join(f"<tr><td>{2010 + i}</td><td>{i}</td></tr>" for i in range(rows))
    return f"<table><caption>Meldingen</caption>{thead}<tbody>{body}</tbody></table>"


def test_a_single_body_row_before_the_page_break_is_an_orphan():
    # 257 mm - 232 mm leaves room for the header row and one body row on page 1
    findings = check("<div class='spacer'></div>" + table(5, head=True), TABLE_CSS % "232mm")
    assert [(f.page, f.kind) for f in findings] == [(1, "table-orphan-row")]
    assert findings[0].message == ("page 1: table 'Meldingen' (pages 1–2) has a single "
                                   "body row on this page")


def test_a_finding_names_the_file_and_line_of_the_block_it_is_about(tmp_path):
    # the templates give each block's outer element its file and line (data-source)
    body = ("<div class='spacer'></div><div data-source='chapters/02-x/chapter.yaml:41'>"
            + table(5, head=True) + "</div>")
    [finding] = preflight(lay_out(body, TABLE_CSS % "232mm"), make_brand(), root=tmp_path)
    assert (finding.kind, finding.path, finding.line) == (
        "table-orphan-row", tmp_path / "chapters/02-x/chapter.yaml", 41)


def test_a_single_body_row_after_the_page_break_is_an_orphan():
    # 257 mm - 197 mm - caption leaves room for five of the six rows on page 1
    findings = check("<div class='spacer'></div>" + table(6), TABLE_CSS % "197mm")
    assert [(f.page, f.kind) for f in findings] == [(2, "table-orphan-row")]


def test_a_table_split_with_several_rows_each_side_is_fine():
    assert check("<div class='spacer'></div>" + table(8), TABLE_CSS % "210mm") == []


# --------------------------------------------------------------------------- images

def test_a_raster_image_below_the_minimum_resolution_is_reported():
    # 100 px over 50 mm is 51 dpi; 1200 px over 50 mm is 610 dpi; SVG is vector
    body = (FIRST_PAGE + f"<img src='{png_uri(100, 100)}' alt='Luchtfoto' style='width: 50mm'>"
            f"<img src='{png_uri(1200, 1200)}' style='width: 50mm'>"
            f"<img src='{SVG_URI}' style='width: 50mm'>")
    findings = check(body)
    assert findings == [Finding(2, "low-dpi", "page 2: image 'Luchtfoto' (100×100 px) "
                                "prints at 51 dpi, below 150")]
    assert check(body, min_dpi=50) == []


@pytest.mark.parametrize("fit, reported", [("fill", True), ("contain", False), ("cover", True)])
def test_the_resolution_is_that_of_the_painted_image(fit, reported):
    # 400 × 100 px in a 50 mm square: stretched (fill) or cropped (cover) the height
    # gets 51 dpi; fitted inside (contain) the image keeps 203 dpi
    body = (f"<img src='{png_uri(400, 100)}' "
            f"style='width: 50mm; height: 50mm; object-fit: {fit}'>")
    assert [f.kind for f in check(body)] == (["low-dpi"] if reported else [])


# --------------------------------------------------------------------------- contrast

def test_contrast_ratio_follows_wcag():
    assert contrast_ratio((0, 0, 0), (1, 1, 1)) == pytest.approx(21)
    assert contrast_ratio((1, 1, 1), (1, 1, 1)) == pytest.approx(1)
    assert contrast_ratio((0x76 / 255,) * 3, (1, 1, 1)) == pytest.approx(4.54, abs=0.01)


def test_light_text_on_white_paper_is_reported_once_per_colour_pair():
    body = (FIRST_PAGE +
            "<p style='color: #AAAAAA'>Bron: CBS, bewerking eenheid Limburg.</p>"
            "<p style='color: #AAAAAA'>Nog een grijze regel.</p>"
            "<p style='color: #949494; font-size: 18pt'>Groot genoeg</p>"
            "<p style='color: #949494; font-size: 14pt; font-weight: bold'>Vet genoeg</p>"
            "<div style='background: #0B2244'><p style='color: #FFFFFF'>Wit op blauw</p></div>")
    findings = check(body)
    assert findings == [Finding(2, "contrast", "page 2: text 'Bron: CBS, bewerking eenheid "
                                "Limburg.' in #AAAAAA on #FFFFFF has contrast 2.32:1, below 4.5:1")]


@pytest.mark.parametrize("style", ["font-size: 10pt", "font-size: 14pt",
                                   "font-size: 13pt; font-weight: bold"])
def test_small_text_needs_4_5_to_1(style):
    findings = check(f"<p style='color: #949494; {style}'>Klein</p>")
    assert [(f.page, f.kind) for f in findings] == [(1, "contrast")]


def test_text_is_judged_against_its_nearest_background_then_the_paper():
    body = ("<div style='background: #E0A526'><div><p style='color: #FFFFFF'>Wit op goud</p>"
            "</div></div><p style='color: #FFFFFF'>Wit op papier</p>")
    findings = preflight(lay_out(body), make_brand(paper="#000000"))
    # white on black paper is fine; white on gold (2.2:1) is not
    assert [f.message for f in findings] == [
        "page 1: text 'Wit op goud' in #FFFFFF on #E0A526 has contrast 2.19:1, below 4.5:1"]


def test_decorative_glyphs_and_hidden_text_are_not_judged():
    body = ("<ul style='color: #DDDDDD'><li><span style='color: #000'>Punt</span></li></ul>"
            "<p style='visibility: hidden; color: #EEEEEE'>Verborgen</p>")
    assert check(body) == []


# --------------------------------------------------------------------------- breaks

WORDS = " ".join(f"woord{i}" for i in range(400))
SOURCE = "data-source='chapters/02-x/chapter.yaml:{}'"


def placed(findings: list[Finding]) -> list[tuple[int, str, int | None]]:
    return [(f.page, f.kind, f.line) for f in findings]


def sidebar(items: int) -> str:
    return (f"<aside class='facts' {SOURCE.format(12)}><p>Wist je dat..</p><ul>"
            + "".join(f"<li>Feit {i}: iets wat de lezer moet weten</li>" for i in range(items))
            + "</ul></aside>")


SIDEBAR_CSS = (".facts { float: right; width: 42mm; break-inside: avoid; background: #EDF1F7; }"
               ".spacer { height: 200mm; background: #EDF1F7; }")


def test_a_sidebar_split_at_the_foot_of_a_page_is_a_split_block():
    # twelve items fit on a page, but the float starts 30 mm above the foot of page 1
    body = "<div class='spacer'></div><p>" + WORDS[:800] + "</p>" + sidebar(12) + \
        "<p>" + WORDS + "</p>"
    findings = check(body, SIDEBAR_CSS)
    assert placed(findings) == [(1, "split-block", 12)]
    assert findings[0].message.startswith("page 1: aside.facts 'Wist je dat..")
    assert findings[0].message.endswith("is kept together but set on pages 1–2")


def test_a_block_taller_than_a_page_has_to_break():
    css = SIDEBAR_CSS.replace("float: right;", "")
    document = lay_out("<div class='spacer'></div>" + sidebar(60), css)
    assert len(document.pages) > 2  # the spacer's page, then the sidebar over two or more
    assert "split-block" not in [f.kind for f in preflight(document, make_brand())]


def test_a_sidebar_whose_tail_lands_on_the_back_cover_is_split():
    # too long for any page, but its tail belongs inside the margins of a body page
    css = SIDEBAR_CSS + ("@page back { margin: 0 } "
                         ".back { page: back; height: 297mm; background: #0B2244 }")
    body = ("<div class='spacer'></div><p>" + WORDS[:800] + "</p>" + sidebar(70)
            + "<div class='back'></div>")
    document = lay_out(body, css)
    assert [page._page_box.page_type.name for page in document.pages] == ["", "back"]
    assert placed(preflight(document, make_brand())) == [(1, "split-block", 12)]


FIGURE = ("<div class='spacer'></div><figure {}><figcaption>Figuur 3 Meldingen per jaar"
          "</figcaption><img src='" + SVG_URI + "' style='display: block; height: 80mm'>"
          "</figure><p>Tekst na de figuur.</p>")


def test_a_caption_at_the_foot_of_a_page_without_its_image_is_parted():
    findings = check(FIGURE.format(SOURCE.format(30)), ".spacer { height: 240mm; "
                     "background: #EDF1F7 }")
    assert placed(findings) == [(1, "caption-parted", 30)]
    assert findings[0].message == ("page 1: the caption 'Figuur 3 Meldingen per jaar' is on "
                                   "page 1, its image on page 2")


def test_a_figure_kept_together_moves_whole():
    # break-inside: avoid takes the caption along: the figure is neither parted nor split
    findings = check(FIGURE.format(""), ".spacer { height: 240mm; background: #EDF1F7 } "
                     "figure { break-inside: avoid }")
    assert [f.kind for f in findings] == []


TALL_ROW = ("<div class='spacer'></div><figure {}><figcaption>Tabel 1 Meldingen</figcaption>"
            "<table><thead><tr><th>Jaar</th><th>Toelichting</th></tr></thead><tbody>"
            "<tr><td>2021</td><td>" + WORDS * 3 + "</td></tr><tr><td>2022</td><td>Kort.</td>"
            "</tr></tbody></table></figure>")
TALL_ROW_CSS = (".spacer { height: 225mm; background: #EDF1F7 } tr { break-inside: avoid } "
                "figcaption { break-after: avoid }")


def test_a_row_taller_than_a_page_parts_the_caption_and_drops_the_header():
    # as WeasyPrint sets it: the caption alone on page 2, the row from page 3 on, the
    # header only on the last page
    document = lay_out(TALL_ROW.format(SOURCE.format(44)), TALL_ROW_CSS)
    findings = preflight(document, make_brand())
    assert (2, "caption-parted", 44) in placed(findings)
    missing = [(page, line) for page, kind, line in placed(findings) if kind == "header-missing"]
    pages = len(document.pages)
    assert missing == [(page, 44) for page in range(3, pages)]
    assert findings[[f.kind for f in findings].index("header-missing")].message.endswith(
        f"(pages 3–{pages}) is without its header row on this page")


def test_a_header_too_tall_to_go_with_any_row_is_missing_on_every_page():
    # 250 mm of header and a 10 mm row exceed the 257 mm text area: no page has both
    document = lay_out(table(40, head=True), TABLE_CSS % "0mm" + "th { height: 250mm }")
    findings = preflight(document, make_brand())
    assert [f.page for f in findings if f.kind == "header-missing"] == list(
        range(2, len(document.pages) + 1))


def test_a_table_whose_header_is_ordinary_rows_is_not_missing_it():
    findings = check(TALL_ROW.format(""), TALL_ROW_CSS + " thead { display: table-row-group }")
    assert "header-missing" not in [f.kind for f in findings]


FOOTNOTE_CSS = ".spacer { height: 200mm; background: #EDF1F7 } .note { float: footnote }"


def test_a_footnote_that_does_not_fit_under_its_call_is_parted():
    body = (f"<div class='spacer'></div><p {SOURCE.format(7)}>{WORDS[:200]}<span class='note'>"
            f"Bron: {WORDS[:1200]}</span> {WORDS[:300]}</p><p>{WORDS}</p>")
    findings = check(body, FOOTNOTE_CSS)
    assert placed(findings) == [(1, "footnote-parted", 7)]
    assert findings[0].message.startswith("page 1: the footnote '1. Bron: woord0")
    assert findings[0].message.endswith("' called on this page is set on page 2")


def test_a_footnote_under_its_call_is_fine():
    body = (f"<div class='spacer'></div><p>{WORDS[:200]}<span class='note'>Bron: CBS."
            f"</span> {WORDS[:300]}</p>")
    assert check(body, FOOTNOTE_CSS) == []


LINES = "<br>".join(f"Regel {i}" for i in range(26))  # 25 lines of 10 mm fill 257 mm
LONE_CSS = "p.lines { line-height: 10mm; widows: 1; orphans: 1; margin: 0 }"


def test_the_last_line_of_a_chapter_alone_on_a_page_is_a_lone_block():
    body = (f"<section><p class='lines' {SOURCE.format(80)}>{LINES}</p></section>"
            "<section class='break'><p>Volgend hoofdstuk.</p></section>")
    findings = check(body, LONE_CSS)
    assert placed(findings) == [(2, "lone-block", 80)]
    assert findings[0].message == ("page 2: p.lines 'Regel 25' stands alone at the end of "
                                   "its section, pushed over from page 1")


def test_a_line_followed_by_more_of_its_section_is_not_alone():
    body = (f"<section><p class='lines'>{LINES}</p><div style='height: 50mm; "
            "background: #EDF1F7'></div></section>")
    assert check(body, LONE_CSS) == []


HOLE = ("<div class='spacer'></div><div class='plate' {}></div><p>Tekst na het blok.</p>"
        "<section class='break'><div class='spacer'></div></section>")
HOLE_CSS = (".spacer { height: 150mm; background: #EDF1F7 } "
            ".plate { height: 150mm; background: #C5D0E0; break-inside: avoid }")


def test_a_block_that_does_not_fit_leaves_a_hole():
    # 257 - 150 mm empty at the foot of page 1 (42 % of the text area), page 2 goes on;
    # page 3 is as short but ends its chapter
    findings = check(HOLE.format(SOURCE.format(61)), HOLE_CSS)
    assert placed(findings) == [(1, "hole", 61)]
    assert findings[0].message == ("page 1: 42% of the text area (303.3pt) is left empty "
                                   "at the foot of the page; page 2 begins with div.plate")
    assert check(HOLE.format(""), HOLE_CSS, max_hole=0.45) == []


def test_pages_of_no_running_text_have_no_holes():
    # a named page (with margins) and a page of no margins are not body pages
    css = HOLE_CSS + "@page wide { margin: 10mm } @page bleed { margin: 0 } " \
        ".wide { page: wide } .bleed { page: bleed }"
    for name in ("wide", "bleed"):
        body = f"<div class='{name}'>" + HOLE.format("") + "</div>"
        assert check(body, css) == [], name


def test_a_build_names_the_pages_where_the_breaks_part_captions_and_drop_headers(
        cli, tmp_path):
    # the report `almanac new` writes, with styles of its own that no layout can meet: a
    # page break after each chart's caption, table header cells too tall to go with a row
    project = tmp_path / "report"
    assert cli("new", str(project)).returncode == 0
    styles = override(project, "styles/components.css")
    styles.write_text(styles.read_text(encoding="utf-8") + "\n.chart figcaption "
                      "{ break-after: page; }\n.table th { height: 250mm; }\n", encoding="utf-8")
    blocks, notes = {}, {}  # each block's (file, line); under a chart, its series' note
    for chapter in sorted((project / "chapters").glob("*/chapter.md")):
        text = chapter.read_text(encoding="utf-8")
        series = yaml.safe_load(text.split("---\n")[1]).get("series", {})
        for found in re.finditer(r"^:::\{(figure|table)\}.*\n((?::.*\n)*)", text, re.MULTILINE):
            place = (chapter.relative_to(project).as_posix(),
                     text.count("\n", 0, found.start()) + 1)
            blocks.setdefault(found.group(1), []).append(place)
            name = re.search(r":series: (\w+)", found.group(2))
            notes[place] = squash(series[name.group(1)]["note"]) if name else None
    assert len(blocks["figure"]) == 2 and len(blocks["table"]) == 1

    pdf = tmp_path / "report.pdf"
    ran = cli("build", str(project), "-o", str(pdf))
    assert ran.returncode == 0, ran.stderr
    said = [(path, int(line), int(page), message) for path, line, page, message in
            re.findall(r"warning: (chapters/\S+?):(\d+): page (\d+): (.+)", ran.stderr)]
    parted = {(path, line): page for path, line, page, message in said
              if message.startswith("the caption ")}
    headless = [(path, line, page) for path, line, page, message in said
                if message.endswith("is without its header row on this page")]
    assert sorted(parted) == sorted(blocks["figure"] + blocks["table"]), ran.stderr
    assert headless and {(path, line) for path, line, _ in headless} == set(blocks["table"])

    # what the reader sees: each caption without its chart or rows on its page, the
    # table's rows on pages without its header
    pages = [squash(page_zones(page)[1]) for page in PdfReader(pdf).pages]
    table = parted[blocks["table"][0]]
    assert "requestsperquarter" in pages[table - 1] and "q1" not in pages[table - 1]
    assert all("q1" in pages[page - 1] and "received" not in pages[page - 1]
               for _, _, page in headless)
    for place in blocks["figure"]:  # the note set under the chart is on the next page
        page = parted[place]
        assert notes[place] not in pages[page - 1] and notes[place] in pages[page]

    strict = cli("build", str(project), "-o", str(pdf), "--strict")
    assert strict.returncode != 0
    path, line = blocks["table"][0]
    assert f"{path}:{line}: page {table}: the caption 'Table 1" in strict.stderr
