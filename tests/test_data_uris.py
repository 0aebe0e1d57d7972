"""Every limit holds on every path an input can take: an image or a file given as a
``data:`` URI (in CSS, in a template, in an SVG, inside another ``data:`` URI), and
a raster image under any name, meets the same checks as an image file of the project."""

from __future__ import annotations

import base64
import struct
import zlib
from pathlib import Path

import pytest

from almanac.project.checks import MAX_IMAGE_MEGAPIXELS
from almanac.stages import fetcher as fetcher_module
from almanac.stages.fetcher import FetchRefused, ProjectFetcher

from conftest import add_photo, override

SIDE = 13_000  # 169 megapixels: 1.4 GB as WeasyPrint decodes it (RGBA8)


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` × ``height`` pixels (PNG spec, 5.3 and 11.2.2:
    signature, IHDR) and holds one empty IDAT: its header reads, its pixels cannot
    be decoded, so only a check that reads the header alone can say its size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"") \
        + chunk(b"IEND", b"")


def data_uri(mime: str, body: bytes) -> str:
    return f"data:{mime};base64," + base64.b64encode(body).decode("ascii")


BOMB = data_uri("image/png", png_header(SIDE, SIDE))
INZET_DIR = "chapters/03-inzetbaarheid"


def _svg_with(href: str) -> str:
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="700">'
            '<rect width="1200" height="700" fill="#15396B"/>'
            f'<image href="{href}" width="1200" height="700"/></svg>')


def _css(p: Path, rule: str) -> None:
    css = override(p, "styles/components.css")
    css.write_text(css.read_text(encoding="utf-8") + "\n" + rule + "\n", encoding="utf-8")


NESTED = data_uri("image/svg+xml", _svg_with(BOMB).encode())  # an SVG holding the image


# ---- limits: a raster image over the limit, on every path to WeasyPrint
# Each places the 169-megapixel image somewhere the report uses it.
ROUTES = {
    "data: URI in CSS": lambda p: _css(p, f".kpi {{ background-image: url({BOMB}); }}"),
    "data: URI in a template": lambda p: (p / INZET_DIR / "chapter.html").write_text(
        '{% extends "layout/chapter.html" %}{% block body %}'
        f'<img src="{BOMB}" alt="x">{{{{ super() }}}}{{% endblock %}}', encoding="utf-8"),
    "data: URI in an SVG photo": lambda p: (
        (p / INZET_DIR / "foto.svg").write_text(_svg_with(BOMB), encoding="utf-8"),
        add_photo(p, "foto.svg")),
    "data: URI in a data: SVG": lambda p: _css(
        p, f".kpi {{ background-image: url({NESTED}); }}"),
    "PNG file named .svg": lambda p: (
        (p / INZET_DIR / "foto.svg").write_bytes(png_header(SIDE, SIDE)),
        add_photo(p, "foto.svg")),
    "PNG file named .css in CSS": lambda p: (
        (p / "styles" / "achtergrond.css").write_bytes(png_header(SIDE, SIDE)),
        _css(p, ".kpi { background-image: url(achtergrond.css); }")),
    "PNG file in an SVG photo": lambda p: (
        (p / INZET_DIR / "groot.dat").write_bytes(png_header(SIDE, SIDE)),
        (p / INZET_DIR / "foto.svg").write_text(_svg_with("groot.dat"), encoding="utf-8"),
        add_photo(p, "foto.svg")),
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_an_image_over_the_limit_is_refused_on_every_path(route, small_warm, cli):
    project = small_warm
    ROUTES[route](project)
    result = cli("build", str(project), "--strict", "-q")
    assert result.returncode == 1, result.stderr
    assert f"is {SIDE * SIDE / 1e6:.0f} megapixels ({SIDE} × {SIDE}); the limit is " \
           f"{MAX_IMAGE_MEGAPIXELS}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr) < 4000  # a data: URI is shortened, not printed whole
    assert not (project / "output").exists() or not list((project / "output").glob("*.pdf"))


def test_without_strict_the_image_is_left_out_with_a_warning(small_warm, cli):
    ROUTES["data: URI in CSS"](small_warm)
    result = cli("build", str(small_warm))
    assert result.returncode == 0, result.stderr
    assert "refused: data:image/png;base64," in result.stderr
    assert "169 megapixels" in result.stderr


def test_a_data_uri_is_held_to_the_size_limit(tmp_path, monkeypatch):
    """At the limit it is read; one byte over, refused (the limit made small here
    so the test holds no 64 MiB in memory: the rule is the same)."""
    monkeypatch.setattr(fetcher_module, "MAX_RESOURCE_BYTES", 1000)
    fetcher = ProjectFetcher(tmp_path)
    assert len(fetcher.fetch(data_uri("font/ttf", b"x" * 1000)).read()) == 1000
    with pytest.raises(FetchRefused, match="larger than 0 MiB"):
        fetcher.fetch(data_uri("font/ttf", b"x" * 1001))
    with pytest.raises(FetchRefused):  # too long to be decoded at all
        fetcher.fetch("data:text/plain," + "x" * 2001)
    assert len(fetcher.refused) == 2


def test_small_images_in_data_uris_still_draw(tmp_path):
    import io

    from PIL import Image

    stream = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(stream, "PNG")
    fetcher = ProjectFetcher(tmp_path)
    assert fetcher.fetch(data_uri("image/png", stream.getvalue())).read() == stream.getvalue()
    assert fetcher.refused == []
