"""Photos with real images and drawn placeholders, read back from the PDF.

A small report of its own (not the sample): one chapter per photo, so each photo
stands alone on its chapter's body page. The test image is 3:2, a green field with
three discs — magenta near the top, yellow in the middle, cyan near the bottom — so
that a page rendered by poppler shows whether the image was stretched (a disc would
be an ellipse), which part a crop kept, and what colours a treatment gave it.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from almanac.pipeline import build, load
from almanac.reporter import BufferReporter
from almanac.stages.brand import cmyk_of, output_profile
from almanac.text.messages import catalogue

from pdfread import rasterise, squash

WIDTH, HEIGHT = 600, 400  # 3:2
GREEN, MAGENTA, YELLOW, CYAN = (40, 170, 60), (220, 0, 200), (250, 220, 0), (0, 200, 230)
DPI = 72
SKY = (0xC9, 0xD6, 0xDF)  # the sky of a placeholder's natural palette

CHAPTERS = {  # folder: (its photo block, the caption that finds its page)
    "01-cover": "{image: pattern.jpg, treatment: none}",
    "02-contain": "{image: pattern.jpg, treatment: none, fit: contain}",
    "03-top": "{image: pattern.jpg, treatment: none, focus: top}",
    "04-bottom": "{image: pattern.jpg, treatment: none, focus: [50, 100]}",
    "05-overlay": "{image: pattern.jpg, treatment: overlay}",
    "06-duotone": "{image: pattern.png, treatment: duotone}",
    "07-unknown": "{motif: lighthouse, treatment: none}",
}


def pattern() -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT), GREEN)
    draw = ImageDraw.Draw(image)
    for (x, y), colour in (((300, 80), MAGENTA), ((300, 200), YELLOW), ((300, 320), CYAN)):
        draw.ellipse([x - 55, y - 55, x + 55, y + 55], fill=colour)
    return image


def wide() -> Image.Image:
    """A 3:1 panorama: a magenta disc at its left end, a cyan one at its right."""
    image = Image.new("RGB", (900, 300), GREEN)
    draw = ImageDraw.Draw(image)
    draw.ellipse([50, 50, 250, 250], fill=MAGENTA)
    draw.ellipse([650, 50, 850, 250], fill=CYAN)
    return image


def make_project(folder: Path, chapters: dict[str, str], *, cover: str = "",
                 series: bool = False) -> Path:
    """A report with the built-in theme: one chapter per entry, each a photo block
    (its flow mapping in YAML, captioned with the chapter's name); ``series`` adds a
    chart of an illustrative series to the last chapter."""
    folder.mkdir(parents=True)
    (folder / "report.yaml").write_text(
        "title: Photo report\norganisation: Example Organisation\nyear: 2023\n"
        "language: en-GB\nsubject: Photos in their boxes\n"
        "edition: {version: '1.0', date: 2024-03-01}\n"
        + (f"cover: {cover}\n" if cover else "")
        + "chapters:\n" + "".join(f"  - {name}\n" for name in chapters), encoding="utf-8")
    pattern().save(folder / "pattern.jpg", quality=95)
    for name, photo in chapters.items():
        chapter = folder / "chapters" / name
        chapter.mkdir(parents=True)
        pattern().save(chapter / "pattern.jpg", quality=95)
        pattern().save(chapter / "pattern.png")
        block = photo.replace("{", "{type: photo, description: A test pattern, "
                              f"caption: Caption {name}, ", 1)
        text = f"title: Chapter {name}\nsections:\n  - blocks:\n      - {block}\n"
        if series and name == list(chapters)[-1]:
            (chapter / "trend.csv").write_text("year,count\n2020,5\n2021,7\n2022,6\n",
                                               encoding="utf-8")
            text = text.replace("sections:", "series:\n  trend: {file: trend.csv, "
                                "illustrative: true}\nsections:")
            text += ("      - {type: figure, chart: line, series: trend, "
                     "caption: A trend}\n")
        (chapter / "chapter.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def photo_report(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(project, screen PDF, print PDF) of the report of :data:`CHAPTERS`, its cover a
    panorama kept at its left end."""
    project = make_project(tmp_path_factory.mktemp("photos") / "project", CHAPTERS,
                           cover="{image: wide.jpg, treatment: none, focus: left, "
                                 "description: A test pattern}")
    wide().save(project / "wide.jpg", quality=95)
    reporter = BufferReporter()
    screen = build(project, reporter=reporter)
    assert not [w for w in reporter.warnings if "pattern" in w or "image" in w], \
        reporter.warnings
    printed = build(project, variant="print")
    return project, screen.path, printed.path


def page_of(pdf: Path, text: str) -> int:
    """The page (from 1) whose text holds ``text``."""
    pages = [i + 1 for i, page in enumerate(PdfReader(pdf).pages)
             if text in page.extract_text()]
    assert len(pages) == 1, (text, pages)
    return pages[0]


def near(a, b, tolerance: int = 40) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b))


def area(page: Image.Image, colour, tolerance: int = 40) -> tuple[int, int, int] | None:
    """(width, height, pixel count) of the pixels of ``page`` near ``colour``, or None."""
    mask = Image.new("1", page.size)
    data = page.get_flattened_data()
    mask.putdata([near(p, colour, tolerance) for p in data])
    box = mask.getbbox()
    if box is None:
        return None
    return box[2] - box[0], box[3] - box[1], sum(mask.get_flattened_data()) // 255


def assert_round(found: tuple[int, int, int] | None) -> None:
    """A disc drawn at its shape: as wide as high (a pixel or two of rounding)."""
    assert found is not None, "the disc is not on the page"
    width, height, _ = found
    assert width > 20 and abs(width - height) <= 2 + 0.02 * width, found


def photo_page(pdf: Path, chapter: str) -> Image.Image:
    return rasterise(pdf, page_of(pdf, f"Caption {chapter}"), DPI)


def test_a_cropped_photo_keeps_its_shape(photo_report):
    _, pdf, _ = photo_report
    page = photo_page(pdf, "01-cover")
    assert_round(area(page, YELLOW))
    field = area(page, GREEN)
    assert field is not None and field[0] / field[1] > 2, field  # the box's shape, cropped
    # the image is embedded whole, at its own pixels: the frame crops, nothing resamples
    found = drawn_images(pdf, page_of(pdf, "Caption 01-cover"))
    assert [image.size for image in found] == [(WIDTH, HEIGHT)]


def test_a_contained_photo_shows_all_of_it_at_its_shape(photo_report):
    _, pdf, _ = photo_report
    page = photo_page(pdf, "02-contain")
    for colour in (MAGENTA, YELLOW, CYAN):
        assert_round(area(page, colour))
    magenta, cyan = area(page, MAGENTA), area(page, CYAN)
    assert magenta is not None and cyan is not None
    field = area(page, GREEN)
    assert field is not None and abs(field[0] / field[1] - WIDTH / HEIGHT) < 0.03, field


@pytest.mark.parametrize("chapter, kept, cut", [("03-top", MAGENTA, CYAN),
                                                 ("04-bottom", CYAN, MAGENTA)])
def test_the_focus_decides_what_the_crop_keeps(photo_report, chapter, kept, cut):
    _, pdf, _ = photo_report
    page = photo_page(pdf, chapter)
    assert_round(area(page, kept))
    assert area(page, cut) is None


def test_the_cover_photo_is_cropped_around_its_focus(photo_report):
    _, pdf, _ = photo_report
    page = rasterise(pdf, 1, DPI)
    assert_round(area(page, MAGENTA))  # the left end of the panorama kept, at its shape
    assert area(page, CYAN) is None


def test_an_overlay_lays_the_brand_colour_over_a_real_image(photo_report):
    project, pdf, _ = photo_report
    primary = load(project).brand.colors.primary.hex
    rgb = tuple(int(primary[i:i + 2], 16) for i in (1, 3, 5))
    under = tuple(round(0.38 * a + 0.62 * b) for a, b in zip(YELLOW, rgb))
    page = photo_page(pdf, "05-overlay")
    assert area(page, YELLOW, 30) is None
    assert_round(area(page, under, 20))


def on_segment(pixel, low, high, tolerance: float) -> float | None:
    """Where ``pixel`` lies from ``low`` (0) to ``high`` (1), or None when it is farther
    than ``tolerance`` from that line."""
    direction = [h - lo for lo, h in zip(low, high)]
    length = sum(d * d for d in direction)
    t = sum((p - lo) * d for p, lo, d in zip(pixel, low, direction)) / length
    t = min(1.0, max(0.0, t))
    closest = [lo + t * d for lo, d in zip(low, direction)]
    distance = sum((p - c) ** 2 for p, c in zip(pixel, closest)) ** 0.5
    return t if distance <= tolerance else None


def drawn_images(pdf: Path, page: int) -> list[Image.Image]:
    """The raster images that page ``page`` (from 1) draws, as the PDF holds them (a
    JPEG as it is), extracted by poppler's ``pdfimages``, which follows the page's
    content into form XObjects (where an SVG image draws them)."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdfimages", "-f", str(page), "-l", str(page), "-all", str(pdf),
                        f"{folder}/image"], check=True, capture_output=True, timeout=60)
        found = []
        for path in sorted(Path(folder).iterdir()):
            with Image.open(path) as image:
                image.load()
                found.append(image)
        return found


def duotone_pixels(pdf: Path) -> tuple[str, list[tuple[int, ...]]]:
    """The mode and pixels of the one image on the duotone's page."""
    (image,) = drawn_images(pdf, page_of(pdf, "Caption 06-duotone"))
    return image.mode, list(image.get_flattened_data())


def test_a_duotone_of_a_real_image_has_only_tones_between_the_two_brand_colours(
        photo_report):
    project, pdf, _ = photo_report
    colors = load(project).brand.colors
    dark, light = ([int(c.hex[i:i + 2], 16) for i in (1, 3, 5)]
                   for c in (colors.primary_dark, colors.tint))
    mode, pixels = duotone_pixels(pdf)
    assert mode == "RGB"
    places = [on_segment(pixel, dark, light, 12) for pixel in pixels]
    assert None not in places
    assert max(places) - min(places) > 0.3  # the photo's tones, not one flat colour
    page = photo_page(pdf, "06-duotone")
    assert all(area(page, colour, 30) is None for colour in (GREEN, MAGENTA, YELLOW, CYAN))


def test_the_print_duotone_is_in_the_brand_s_process_colours(photo_report):
    project, _, printed = photo_report
    report = load(project)
    profile = output_profile(report.brand, report.brand_path.parent)
    colors = report.brand.colors
    dark, light = ([2.55 * part for part in cmyk_of(c, profile)]
                   for c in (colors.primary_dark, colors.tint))
    mode, pixels = duotone_pixels(printed)
    assert mode == "CMYK"
    # JPEG codes each of the four inks on its own: a few units of ringing at edges
    places = [on_segment(pixel, dark, light, 20) for pixel in pixels]
    assert None not in places
    assert max(places) - min(places) > 0.3


def test_an_unknown_motif_draws_a_placeholder(photo_report):
    _, pdf, _ = photo_report
    page = photo_page(pdf, "07-unknown")
    sky = area(page, SKY, 8)
    assert sky is not None and sky[0] > page.width / 2, sky  # a drawing across the column


ENGLISH = catalogue("en")
# the colophon's sentences on drawn photos and on illustrative data
PHOTOS_NOTE = ENGLISH.gettext("Photos are shown as illustrations.")
DATA_NOTE = ENGLISH.gettext("Charts and tables labelled ‘illustrative data’ show series that "
                            "the report does not give; their values are for illustration.")


def colophon(pdf: Path) -> str:
    return squash(PdfReader(pdf).pages[-1].extract_text())


def test_the_colophon_notes_drawn_photos_but_no_sample_data_it_does_not_have(photo_report):
    _, pdf, _ = photo_report
    text = colophon(pdf)
    assert squash(PHOTOS_NOTE) in text  # the unknown motif's
    assert squash(DATA_NOTE) not in text


def test_the_colophon_has_no_note_on_illustrations_when_every_photo_is_an_image(tmp_path):
    project = make_project(tmp_path / "project", {
        "01-one": "{image: pattern.jpg, motif: city}",
        "02-two": "{image: pattern.png, treatment: duotone}"}, series=True,
        cover="{image: pattern.jpg, description: A test pattern}")
    result = build(project)
    text = colophon(result.path)
    assert squash(PHOTOS_NOTE) not in text
    assert squash(DATA_NOTE) in text  # the illustrative chart
