"""Pages as pictures (PDFium in a process of its own): the pages asked for, in
order, at the resolution asked; a page larger than the limit cropped to its top
left corner; a file PDFium cannot read and a page that draws forever refused with
a reason; no program of the system needed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from almanac.preview.raster import rasterise
from almanac.stages.pageimages import MAX_SIDE, PagesNotDrawn, draw_pages

BLACK_BOX = b"0 0 0 rg 0 %g 36 36 re f"  # 36 pt square, its top left at the page's


def _pdf(pages: list[bytes], extra: list[bytes]) -> bytes:
    """A PDF whose page objects are ``pages`` (dictionaries without /Type and
    /Parent), objects numbered in order after the catalog (1) and page tree (2),
    followed by the objects ``extra``."""
    kids = " ".join(f"{3 + n} 0 R" for n in range(len(pages))).encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % len(pages)]
    objects += [b"<< /Type /Page /Parent 2 0 R " + page[2:] for page in pages]
    objects += list(extra)
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def _stream(data: bytes, entries: bytes = b"") -> bytes:
    return b"<< " + entries + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def _page(width: float, height: float, contents: int, rotate: int = 0,
          resources: bytes = b"") -> bytes:
    return (b"<< /MediaBox [0 0 %g %g] /Rotate %d /Contents %d 0 R /Resources << %s >> >>"
            % (width, height, rotate, contents, resources))


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _dark(image: Image.Image) -> tuple[int, int, int, int] | None:
    """The box around the image's dark pixels."""
    return Image.eval(image.convert("L"), lambda v: 255 if v < 128 else 0).getbbox()


def test_the_pages_asked_for_are_drawn_in_order_at_the_resolution_asked(tmp_path):
    widths = [144, 216, 288]  # three pages told apart by their width
    pages = [_page(width, 144, 6 + n) for n, width in enumerate(widths)]
    pdf = _write(tmp_path, "three.pdf", _pdf(pages, [_stream(BLACK_BOX % 108)] * 3))
    files = draw_pages(pdf, tmp_path, 36, first=2, last=3)
    images = [Image.open(path) for path in files]
    assert [image.format for image in images] == ["PNG", "PNG"]
    assert [image.size for image in images] == [(108, 72), (144, 72)]  # 36 dpi: half a point
    for image in images:
        assert image.convert("RGB").getpixel((1, 1)) == (0, 0, 0)
        assert _dark(image) == (0, 0, 18, 18)  # the box, at the top left, and nothing else
    everything = draw_pages(pdf, tmp_path, 36, first=3, last=None)
    assert [Image.open(path).size for path in everything] == [(144, 72)]


def test_a_page_larger_than_the_limit_is_cropped_to_its_top_left_corner(tmp_path):
    # 14,400 pt (the largest page of PDF 1.7) is 10,000 pixels at 50 dpi; a box at
    # the top left is kept, one at the bottom right is cut off
    contents = _stream(BLACK_BOX % 14364 + b" 14364 0 36 36 re f")
    pdf = _write(tmp_path, "big.pdf", _pdf([_page(14400, 14400, 4)], [contents]))
    [path] = draw_pages(pdf, tmp_path, 50)
    image = Image.open(path)
    assert image.size == (MAX_SIDE, MAX_SIDE)
    assert _dark(image) == (0, 0, 25, 25)


def test_a_rotated_page_is_cropped_as_it_is_shown(tmp_path):
    # 14,400 × 144 pt turned a quarter clockwise: shown 144 wide and 14,400 tall;
    # the box at the bottom left of its user space is at the top left as shown
    contents = _stream(b"0 0 0 rg 0 0 36 36 re f")
    pdf = _write(tmp_path, "turned.pdf", _pdf([_page(14400, 144, 4, rotate=90)], [contents]))
    [path] = draw_pages(pdf, tmp_path, 50, max_side=1000)
    image = Image.open(path)
    assert image.size == (100, 1000)
    assert _dark(image) == (0, 0, 25, 25)


def test_a_file_that_is_not_a_pdf_is_refused_with_pdfiums_reason(tmp_path):
    path = _write(tmp_path, "notes.pdf", b"these are notes, not a PDF\n" * 10)
    with pytest.raises(PagesNotDrawn, match="PDFium: (Data format|File) error") as raised:
        draw_pages(path, tmp_path, 50)
    assert "Traceback" not in str(raised.value)
    assert not list(tmp_path.glob("*.png"))


def test_a_page_that_draws_forever_is_stopped_after_the_timeout(tmp_path):
    # a form that draws the next one ten times, ten deep: 10¹⁰ rectangles
    forms = [_stream(b" ".join([b"/F Do"] * 10), b"/Type /XObject /Subtype /Form "
                     b"/BBox [0 0 144 144] /Resources << /XObject << /F %d 0 R >> >>"
                     % (6 + level)) for level in range(10)]
    forms.append(_stream(b"0 0 1 1 re f", b"/Type /XObject /Subtype /Form /BBox [0 0 9 9]"))
    pdf = _write(tmp_path, "forever.pdf", _pdf(
        [_page(144, 144, 4, resources=b"/XObject << /F 5 0 R >>")],
        [_stream(b"/F Do"), *forms]))
    with pytest.raises(PagesNotDrawn, match=r"^PDFium took over 2 s$"):
        draw_pages(pdf, tmp_path, 50, timeout=2)
    assert not list(tmp_path.glob("*.png"))


def test_the_preview_draws_pages_with_no_program_of_the_system(tmp_path, monkeypatch):
    """Nothing is looked up on PATH (no pdftoppm): PDFium comes with the package."""
    pdf = _write(tmp_path, "one.pdf", _pdf([_page(144, 72, 4)], [_stream(BLACK_BOX % 36)]))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    [png] = rasterise(pdf, 1, 1, 72, work)
    image = Image.open(io.BytesIO(png))
    assert image.size == (144, 72) and _dark(image) == (0, 0, 36, 36)
    assert list(work.iterdir()) == []  # the files are read and removed
