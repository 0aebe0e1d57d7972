"""Screen and print variants from one layout; the specimen; the preflight."""

from __future__ import annotations

import re

from pypdf import PdfReader

from almanac.cli import main

from pdfread import page_zones, rasterise, squash

MM = 72 / 25.4
DPI = 150


def content(page) -> bytes:
    return page.get_contents().get_data()


def ink(pdf, number: int, page, box: str = "trimbox", threshold: int = 200, dpi: int = DPI):
    """The page drawn in grey (``number`` from 1), cropped to ``box``, with pixels
    darker than ``threshold`` white and the rest black; and its pixels per point."""
    image = rasterise(pdf, number, dpi).convert("L")
    scale = dpi / 72
    media, area = page.mediabox, getattr(page, box)
    crop = (round((float(area.left) - float(media.left)) * scale),
            round((float(media.top) - float(area.top)) * scale),
            round((float(area.right) - float(media.left)) * scale),
            round((float(media.top) - float(area.bottom)) * scale))
    return image.crop(crop).point(lambda v: 255 if v < threshold else 0), scale


def text_pages(reader) -> list[int]:
    """The pages (from 1) with a page-number footer: text on white paper."""
    return [n for n, page in enumerate(reader.pages, 1) if "pagina" in page_zones(page)[2]]


def test_print_variant_has_trim_bleed_and_printers_marks(print_pdf, pdf_path):
    reader = PdfReader(print_pdf)
    for page in reader.pages:
        trim, bleed, media = page.trimbox, page.bleedbox, page.mediabox
        assert round(float(trim.width) / MM) == 210 and round(float(trim.height) / MM) == 297
        for side in ("left", "bottom"):
            assert round((float(getattr(trim, side)) - float(getattr(bleed, side))) / MM, 1) == 3.0
        for side in ("right", "top"):
            assert round((float(getattr(bleed, side)) - float(getattr(trim, side))) / MM, 1) == 3.0
        assert float(media.width) >= float(bleed.width)
    screen = PdfReader(pdf_path).pages[0]
    assert screen.trimbox == screen.mediabox  # no bleed, no room for marks

    # The marks, on a text page (white paper around it), in the bleed outside the trim:
    # a crop mark on each trim line at the four corners, a cross mark at the middle
    # of each edge; nothing of them inside the trim box's corners.
    number = text_pages(reader)[0]
    page = reader.pages[number - 1]
    sheet, scale = ink(print_pdf, number, page, box="mediabox")
    media, trim = page.mediabox, page.trimbox
    x = lambda pt: round((pt - float(media.left)) * scale)  # noqa: E731
    y = lambda pt: round((float(media.top) - pt) * scale)  # noqa: E731
    left, right = x(float(trim.left)), x(float(trim.right))
    top, bottom = y(float(trim.top)), y(float(trim.bottom))
    width, height = sheet.size

    def inked(x0, y0, x1, y1) -> bool:
        return sheet.crop((x0, y0, x1, y1)).getbbox() is not None

    for cx in (left, right):  # crop marks on the vertical trim lines, above and below
        assert inked(cx - 2, 0, cx + 3, top - 2) and inked(cx - 2, bottom + 3, cx + 3, height)
    for cy in (top, bottom):  # on the horizontal trim lines, left and right
        assert inked(0, cy - 2, left - 2, cy + 3) and inked(right + 3, cy - 2, width, cy + 3)
    middle_x, middle_y = (left + right) // 2, (top + bottom) // 2
    assert inked(middle_x - 12, 0, middle_x + 12, top - 1)  # cross marks
    assert inked(middle_x - 12, bottom + 2, middle_x + 12, height)
    assert inked(0, middle_y - 12, left - 1, middle_y + 12)
    assert inked(right + 2, middle_y - 12, width, middle_y + 12)
    corner = round(10 * MM * scale)  # 10 mm inside each corner: margin, blank
    for x0, y0 in ((left, top), (right - corner, top), (left, bottom - corner),
                   (right - corner, bottom - corner)):
        assert not inked(x0 + 2, y0 + 2, x0 + corner, y0 + corner)


def test_print_variant_is_pdf_x4_with_a_cmyk_output_intent(print_pdf):
    reader = PdfReader(print_pdf)
    intent = reader.trailer["/Root"]["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFX"
    profile = intent["/DestOutputProfile"].get_object()
    assert profile["/N"] == 4  # a CMYK profile
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "PDF/X-4" in xmp


def test_print_variant_uses_process_colours(print_pdf, pdf_path):
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
    """On the printed sheet, measured from the trim edge to the ink: the outside margin
    of a left-hand (even) page, its left one, equals the outside margin of a
    right-hand (odd) page, its right one; so do the inside margins, which are wider
    (for the binding)."""
    reader = PdfReader(print_pdf)
    margins: dict[str, list[float]] = {"even-left": [], "even-right": [], "odd-left": [],
                                       "odd-right": []}
    for number in text_pages(reader):
        page = reader.pages[number - 1]
        sheet, scale = ink(print_pdf, number, page, dpi=72)  # a pixel is 0.35 mm
        box = sheet.getbbox()
        parity = "even" if number % 2 == 0 else "odd"
        margins[f"{parity}-left"].append(box[0] / scale / MM)
        margins[f"{parity}-right"].append((sheet.width - box[2]) / scale / MM)
    assert all(len(found) >= 5 for found in margins.values()), margins
    # the column's edge is the smallest distance to the ink over the pages
    edge = {side: min(found) for side, found in margins.items()}
    outside, inside = (edge["even-left"], edge["odd-right"]), (edge["even-right"], edge["odd-left"])
    assert abs(outside[0] - outside[1]) < 1, edge
    assert abs(inside[0] - inside[1]) < 1, edge
    assert min(inside) > max(outside) + 5, edge


def test_specimen_shows_tokens_and_every_component(project, capsys):
    assert main(["specimen", str(project), "-q"]) == 0
    path = capsys.readouterr().out.strip()
    reader = PdfReader(path)
    text = squash(" ".join(page.extract_text() for page in reader.pages))
    # The specimen's own text is English; the words Almanac adds are the report's (Dutch).
    for expected in ("Politieblauw", "CMYK 100 75 18 25", "Key figures", "Did you know..",
                     "Figuur 1", "Tabel 1", "Tabel 2", "Norm 2021", "A footnote",
                     "Voorbeeldgegevens", "TEXT IN THE IMAGE", "see figuur 1 op pagina"):
        assert squash(expected) in text, expected
    # the long table repeats its header row on every page it spans
    pages_with_rows = [text for text in (p.extract_text() for p in reader.pages)
                       if re.search(r"20(19|21).\d\d", text)]
    assert len(pages_with_rows) >= 2
    assert all("Reports" in text for text in pages_with_rows)


def test_cross_references_name_the_right_page(reader):
    pages = [page.extract_text() for page in reader.pages]
    refs = [(int(n), int(p)) for text in pages
            for n, p in re.findall(r"figuur (\d+) op pagina (\d+)", text)]
    assert refs
    for number, page in refs:
        assert f"Figuur {number}" in pages[page - 1], (number, page)


def test_layout_problems_warn_and_fail_a_strict_build(small, capsys):
    project = small
    path = project / "styles" / "brand.yaml"
    text = path.read_text()
    path.write_text(text.replace('muted:        {hex: "#5A6473"', 'muted:        {hex: "#C9CDD3"'))
    assert main(["build", str(project), "-q"]) == 0
    assert "contrast" in capsys.readouterr().err
    assert main(["build", str(project), "-q", "--strict"]) == 1
    err = capsys.readouterr().err
    assert re.search(r"page \d+: text .* has contrast \d", err)
    assert "fix: darken the text colour" in err


def test_the_sample_is_clean_under_strict_in_both_variants(built, print_build):
    """Both were built with --strict: no WeasyPrint warning, no preflight finding."""
    assert built.warnings == [] and print_build["warnings"] == []
