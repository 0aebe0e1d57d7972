"""Screen and print editions from one layout; the specimen; the layout check."""

from __future__ import annotations

import re
import zlib

import pytest
from pypdf import PdfReader

from almanac.cli import main
from almanac.pipeline import build, build_specimen
from pdfread import page_zones, squash

MM = 72 / 25.4


@pytest.fixture(scope="module")
def print_pdf(sample_dir):
    return build(sample_dir, variant="print").path


def content(page) -> bytes:
    data = page.get_contents().get_data()
    return data


def test_print_edition_has_bleed_marks_and_trim(print_pdf, pdf_path):
    reader = PdfReader(print_pdf)
    for page in reader.pages:
        trim, bleed, media = page.trimbox, page.bleedbox, page.mediabox
        assert round(float(trim.width) / MM) == 210 and round(float(trim.height) / MM) == 297
        assert round((float(trim.left) - float(bleed.left)) / MM, 1) == 3.0
        assert float(media.width) >= float(bleed.width)
    screen = PdfReader(pdf_path).pages[0]
    assert screen.trimbox == screen.mediabox


def test_print_edition_is_pdf_x4_with_a_cmyk_output_intent(print_pdf):
    reader = PdfReader(print_pdf)
    intent = reader.trailer["/Root"]["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFX"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 4  # a CMYK profile
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "PDF/X-4" in xmp


def test_print_edition_uses_process_colours(print_pdf, pdf_path):
    printed = b"".join(content(p) for p in PdfReader(print_pdf).pages[:6])
    screen = b"".join(content(p) for p in PdfReader(pdf_path).pages[:6])
    assert b"/DeviceCMYK cs" in printed and b"1 0.75 0.18 0.25 scn" in printed  # primary
    assert b"DeviceCMYK" not in screen


def test_print_chapters_open_on_right_hand_pages(print_pdf):
    zones = [page_zones(p) for p in PdfReader(print_pdf).pages]
    openers = [i + 1 for i, (_, body, footer) in enumerate(zones)
               if re.match(r"0\d", squash(body)[:2] or "") and not footer.strip()
               and len(squash(body)) < 200]
    assert len(openers) == 7
    assert all(number % 2 == 1 for number in openers), openers


def test_print_margins_are_mirrored(print_pdf):
    reader = PdfReader(print_pdf)

    def left_edge(page):
        xs = []
        page.extract_text(visitor_text=lambda t, cm, tm, f, s: xs.append(
            tm[4] * cm[0] + cm[4]) if t.strip() else None)
        xs = [x for x in xs if x > 5 * MM]  # text runs positioned by a later operator
        return min(xs) if xs else None

    body = {number: left_edge(page) for number, page in enumerate(reader.pages, 1)
            if "pagina" in page_zones(page)[2]}
    # left-hand (even) pages: narrow margin outside, on the left: 18 mm; right-hand: 26 mm
    even = {round(x / MM) for n, x in body.items() if n % 2 == 0}
    odd = {round(x / MM) for n, x in body.items() if n % 2 == 1}
    assert min(even) == 18 and min(odd) == 26, (even, odd)


def test_specimen_shows_tokens_and_every_component(project, capsys):
    assert main(["specimen", str(project), "-q"]) == 0
    path = capsys.readouterr().out.strip()
    reader = PdfReader(path)
    text = squash(" ".join(page.extract_text() for page in reader.pages))
    for expected in ("Politieblauw", "CMYK 100 75 18 25", "Kengetallen", "Wist je dat..",
                     "Figuur 1", "Tabel 1", "Tabel 2", "Norm 2021", "Een voetnoot",
                     "Voorbeeldgegevens", "TEKST IN BEELD", "zie figuur 1 op pagina"):
        assert squash(expected) in text, expected
    # the long table repeats its header row on every page it spans
    pages_with_rows = [text for text in (p.extract_text() for p in reader.pages)
                       if re.search(r"20(19|21).\d\d", text)]
    assert len(pages_with_rows) >= 2
    assert all("Meldingen" in text for text in pages_with_rows)


def test_cross_references_name_the_right_page(reader):
    pages = [page.extract_text() for page in reader.pages]
    refs = [(int(n), int(p)) for text in pages
            for n, p in re.findall(r"figuur (\d+) op pagina (\d+)", text)]
    assert refs
    for number, page in refs:
        assert f"Figuur {number}" in pages[page - 1], (number, page)


def test_layout_problems_warn_and_fail_a_strict_build(project, capsys):
    path = project / "styles" / "brand.yaml"
    text = path.read_text()
    path.write_text(text.replace('muted:        {hex: "#5A6473"', 'muted:        {hex: "#C9CDD3"'))
    assert main(["build", str(project), "-q"]) == 0
    assert "contrast" in capsys.readouterr().err
    assert main(["build", str(project), "-q", "--strict"]) == 1
    err = capsys.readouterr().err
    assert re.search(r"page \d+: text .* has contrast \d", err)
    assert "fix: darken the text colour" in err


def test_the_sample_is_clean_under_strict_in_both_editions(sample_dir):
    for edition in ("screen", "print"):
        assert build(sample_dir, variant=edition, strict=True).warnings == []
