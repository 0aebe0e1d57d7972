"""Images as WeasyPrint draws them: what ``check`` accepts is drawn as it looks, and
what it refuses would be drawn wrong. Each image is a red top half over a green
bottom half, typeset alone on a page and read back as pixels (``pdftoppm``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image

from almanac.project.checks import check_image

WIDTH, HEIGHT = 120, 80
RED, GREEN = (200, 30, 30), (30, 160, 40)


def halves() -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT), RED)
    image.paste(GREEN, (0, HEIGHT // 2, WIDTH, HEIGHT))
    return image


def drawn(path: Path) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The colours WeasyPrint gives the middle of the top and of the bottom half."""
    from weasyprint import HTML

    html = (f"<style>@page {{ size: {WIDTH}px {HEIGHT}px; margin: 0 }} body {{ margin: 0 }}"
            f"img {{ display: block; width: {WIDTH}px; height: {HEIGHT}px }}</style>"
            f'<img src="{path.name}">')
    pdf = path.with_suffix(".pdf")
    HTML(string=html, base_url=str(path.parent) + "/").write_pdf(pdf)
    subprocess.run(["pdftoppm", "-r", "96", "-png", "-singlefile", str(pdf),
                    str(pdf.with_suffix(""))], check=True, timeout=60)
    with Image.open(pdf.with_suffix(".png")) as page:
        page = page.convert("RGB")
        middle = WIDTH // 2
        return page.getpixel((middle, HEIGHT // 4)), page.getpixel((middle, HEIGHT * 3 // 4))


def close(colour, expected, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected))


def _palette_with_transparency(path):
    halves().convert("P").save(path.with_suffix(".png"), transparency=255)


def _cmyk_jpeg(path):
    halves().convert("CMYK").save(path.with_suffix(".jpg"), quality=95)


def _progressive_jpeg(path):
    halves().save(path.with_suffix(".jpg"), quality=95, progressive=True)


def _animated_gif(path):  # WeasyPrint draws the first frame, as a browser prints it
    first = halves()
    first.save(path.with_suffix(".gif"), save_all=True, duration=100,
               append_images=[first.transpose(Image.Transpose.FLIP_TOP_BOTTOM)])


def _animated_webp(path):
    first = halves()
    first.save(path.with_suffix(".webp"), save_all=True, duration=100, lossless=True,
               append_images=[first.transpose(Image.Transpose.FLIP_TOP_BOTTOM)])


def _rgb_tiff(path):
    halves().save(path.with_suffix(".tif"))


def _rgba_png(path):
    halves().convert("RGBA").save(path.with_suffix(".png"))


def _bmp(path):
    halves().save(path.with_suffix(".bmp"))


DRAWN = {name.lstrip("_").replace("_", " "): make for name, make in list(globals().items())
         if name.startswith("_") and not name.startswith("__") and callable(make)}


@pytest.mark.parametrize("kind", sorted(DRAWN))
def test_an_image_check_accepts_is_drawn_as_it_looks(kind, tmp_path):
    DRAWN[kind](tmp_path / "foto")
    (path,) = tmp_path.glob("foto.*")
    assert check_image(path) is None
    top, bottom = drawn(path)
    tolerance = 60 if "cmyk" in kind else 40  # RGB to CMYK and back, uncalibrated
    assert close(top, RED, tolerance) and close(bottom, GREEN, tolerance), (top, bottom)


def noisy() -> Image.Image:
    """Red and green halves with a little noise, so a cut file loses rows."""
    import random

    rng = random.Random(3)
    image = halves()
    pixels = image.load()
    for y in range(HEIGHT):
        for x in range(WIDTH):
            r, g, b = pixels[x, y]
            pixels[x, y] = (r + rng.randrange(-20, 20), g + rng.randrange(-20, 20), b)
    return image


def _truncated_png(path):
    noisy().save(path.with_suffix(".png"))
    data = path.with_suffix(".png").read_bytes()
    path.with_suffix(".png").write_bytes(data[:len(data) // 2])
    return "is truncated"


def _truncated_jpeg(path):
    noisy().save(path.with_suffix(".jpg"), quality=95)
    data = path.with_suffix(".jpg").read_bytes()
    path.with_suffix(".jpg").write_bytes(data[:len(data) * 2 // 3])
    return "is truncated"


def _sixteen_bit_png(path):
    Image.new("I;16", (WIDTH, HEIGHT), 30_000).save(path.with_suffix(".png"))
    return "has 16-bit pixels"


def _float_tiff(path):
    Image.new("F", (WIDTH, HEIGHT), 0.5).save(path.with_suffix(".tif"))
    return "has 32-bit floating-point pixels"


def _cmyk_tiff(path):
    halves().convert("CMYK").save(path.with_suffix(".tif"))
    return "has pixels WeasyPrint cannot draw (TIFF, mode CMYK)"


REFUSED = {"truncated png": _truncated_png, "truncated jpeg": _truncated_jpeg,
           "sixteen bit png": _sixteen_bit_png, "float tiff": _float_tiff,
           "cmyk tiff": _cmyk_tiff}


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_an_image_check_refuses_would_be_drawn_wrong(kind, tmp_path):
    """The reason for each refusal: WeasyPrint draws the lower half black or white,
    the whole image black and white, or nothing. (Should a WeasyPrint release draw
    one of them right, this test says the refusal can go.)"""
    reason = REFUSED[kind](tmp_path / "foto")
    (path,) = tmp_path.glob("foto.*")
    problem, fix = check_image(path)
    assert reason in problem and fix
    top, bottom = drawn(path)
    expected = (RED, GREEN) if "truncated" in kind else ((115, 115, 115), (115, 115, 115)) \
        if kind in ("sixteen bit png", "float tiff") else (RED, GREEN)
    assert not (close(top, expected[0]) and close(bottom, expected[1])), (top, bottom)


def test_the_truncation_check_holds_whatever_pillow_is_told(tmp_path, monkeypatch):
    """WeasyPrint sets ``ImageFile.LOAD_TRUNCATED_IMAGES`` when it is imported (so that
    Pillow draws what a cut file has); the check finds a cut file either way."""
    from PIL import ImageFile

    _truncated_png(tmp_path / "foto")
    for setting in (False, True):
        monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", setting)
        assert check_image(tmp_path / "foto.png")[0].startswith("is truncated")


@pytest.mark.parametrize("name, data, reason", [
    ("kaart.svg", '<svg xmlns="http://www.w3.org/2000/svg"><text>café</text></svg>'
     .encode("latin-1"), "is not UTF-8 text"),
    ("kaart.svg", '<svg xmlns="http://www.w3.org/2000/svg"/>'.encode("utf-16"),
     "is UTF-16 text"),
    ("kaart.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><g></svg>', "not well-formed XML"),
    ("vlak.png", None, "is truncated"),
])
def test_the_fetcher_refuses_what_check_refuses(tmp_path, name, data, reason):
    """An image a stylesheet or template names (not the data) passes the same check:
    a Latin-1 SVG would otherwise vanish from the print variant only."""
    from almanac.stages.fetcher import FetchRefused, ProjectFetcher

    path = tmp_path / "styles" / name
    path.parent.mkdir()
    if data is None:
        _truncated_png(path)
    else:
        path.write_bytes(data)
    fetcher = ProjectFetcher(tmp_path)
    with pytest.raises(FetchRefused, match=reason):
        fetcher.fetch(path.as_uri())


@pytest.mark.parametrize("name", ["logo.eps", "logo.png", "achtergrond.css"])
def test_the_fetcher_never_hands_postscript_to_pillow(tmp_path, name):
    """Pillow draws an EPS by running Ghostscript on it; a PostScript file is refused
    by its first bytes, whatever its name, so a stylesheet cannot have it drawn."""
    from almanac.stages.fetcher import FetchRefused, ProjectFetcher

    path = tmp_path / "styles" / name
    path.parent.mkdir()
    path.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    fetcher = ProjectFetcher(tmp_path)
    with pytest.raises(FetchRefused, match="PostScript or EPS"):
        fetcher.fetch(path.as_uri())
    assert fetcher.refused and name in fetcher.refused[0]
