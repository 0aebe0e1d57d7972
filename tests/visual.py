"""Visual regression helpers: find the reference pages, render, compare, draw a diff.

A few pages of the sample report are kept as small PNGs in ``tests/references/``.
The pages are found by their content (not by number), rendered with poppler's
``pdftoppm`` at a low resolution and compared pixel by pixel within a tolerance
that absorbs anti-aliasing noise but not a changed colour, a moved block or
reflowed text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageStat

from conftest import chapter_starts_in
from pdfread import page_zones, rasterise, squash

REFERENCES = Path(__file__).resolve().parent / "references"
REFRESH_COMMAND = "pytest tests/test_visual.py --refresh-references"

DPI = 40  # an A4 page is 331 × 468 pixels: small enough to commit, enough to see a layout
PIXEL_THRESHOLD = 40  # a pixel counts as changed when one channel differs by more than this
MAX_CHANGED = 0.005  # … and fewer than 0.5 % of the pixels may change
MAX_MEAN = 2.0  # mean absolute difference over all pixels and channels (0–255)

# name → what the page is; the file is tests/references/<name>.png
PAGES = {
    "cover": "the cover (page 1)",
    "contents": "the table of contents (first page whose body opens with 'Inhoud')",
    "opener-resultaten": "the opener of chapter 'Resultaten'",
    "chart": "the first page (after the contents) whose text contains 'Figuur 1'",
    "norms": "the first page whose body text contains 'Norm 2021'",
}


class ReferenceWritten(UserWarning):
    """Reported (as a warning) for every reference written by --refresh-references."""


def reference_path(name: str) -> Path:
    return REFERENCES / f"{name}.png"


def find_pages(reader, report) -> dict[str, int]:
    """Page numbers (from 1) of the reference pages, found by their text.

    The text of every page is read once (pypdf is the slow part, ~0.1 s a page)."""
    zones = [page_zones(page) for page in reader.pages]
    bodies = [squash(body) for _, body, _ in zones]
    found = {"cover": 1}

    contents = [i + 1 for i, body in enumerate(bodies) if body.startswith(squash("Inhoud"))]
    if not contents:
        raise LookupError("no page whose body opens with 'Inhoud' (table of contents)")
    found["contents"] = contents[0]

    found["opener-resultaten"] = chapter_starts_in(report, zones)["Resultaten"]

    figure_1 = re.compile(r"figuur1(?!\d)")  # not Figuur 10, 11, …
    charts = [i + 1 for i, zone in enumerate(zones)
              if i + 1 > found["contents"] and figure_1.search(squash("".join(zone)))]
    if not charts:
        raise LookupError("no page after the contents whose text contains 'Figuur 1'")
    found["chart"] = charts[0]

    norms = [i + 1 for i, body in enumerate(bodies) if squash("Norm 2021") in body]
    if not norms:
        raise LookupError("no page whose body text contains 'Norm 2021'")
    found["norms"] = norms[0]

    assert set(found) == set(PAGES)
    return found


def render_page(pdf: Path, page: int, dpi: int = DPI) -> Image.Image:
    """One page (from 1) of ``pdf`` at the references' resolution."""
    return rasterise(pdf, page, dpi)


def load_image(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


def save_image(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG", optimize=True)


@dataclass(frozen=True)
class Comparison:
    reference_size: tuple[int, int]
    actual_size: tuple[int, int]
    changed: float | None = None  # share of pixels whose largest channel difference > threshold
    mean: float | None = None  # mean absolute difference per channel, 0–255

    @property
    def same_size(self) -> bool:
        return self.reference_size == self.actual_size

    @property
    def ok(self) -> bool:
        return self.same_size and self.changed < MAX_CHANGED and self.mean < MAX_MEAN

    def __str__(self) -> str:
        if not self.same_size:
            return (f"size differs: reference {self.reference_size[0]}×{self.reference_size[1]}, "
                    f"actual {self.actual_size[0]}×{self.actual_size[1]}")
        return (f"{self.changed:.3%} of pixels differ by more than {PIXEL_THRESHOLD} "
                f"(limit {MAX_CHANGED:.1%}), mean difference {self.mean:.2f} "
                f"(limit {MAX_MEAN})")


def _difference(reference: Image.Image, actual: Image.Image):
    """(per-channel difference image, per-pixel largest channel difference as 'L')."""
    diff = ImageChops.difference(reference.convert("RGB"), actual.convert("RGB"))
    red, green, blue = diff.split()
    return diff, ImageChops.lighter(ImageChops.lighter(red, green), blue)


def compare(reference: Image.Image, actual: Image.Image) -> Comparison:
    """How far ``actual`` is from ``reference``; ``.ok`` says whether it is within tolerance."""
    if reference.size != actual.size:
        return Comparison(reference.size, actual.size)
    diff, peak = _difference(reference, actual)
    pixels = reference.width * reference.height
    changed = sum(peak.histogram()[PIXEL_THRESHOLD + 1:]) / pixels
    mean = sum(ImageStat.Stat(diff).mean) / 3
    return Comparison(reference.size, actual.size, changed, mean)


def _padded(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    if image.size == size:
        return image.convert("RGB")
    canvas = Image.new("RGB", size, (255, 0, 255))  # magenta where the image has no pixels
    canvas.paste(image.convert("RGB"), (0, 0))
    return canvas


def diff_image(reference: Image.Image, actual: Image.Image) -> Image.Image:
    """reference | actual | differences: a faded copy of the actual page with pixels
    beyond the threshold in red and smaller differences in pale red."""
    size = (max(reference.width, actual.width), max(reference.height, actual.height))
    reference, actual = _padded(reference, size), _padded(actual, size)
    _, peak = _difference(reference, actual)
    faded = actual.convert("L").point(lambda v: 255 - (255 - v) // 4).convert("RGB")
    minor = peak.point(lambda v: 255 if 0 < v <= PIXEL_THRESHOLD else 0)
    major = peak.point(lambda v: 255 if v > PIXEL_THRESHOLD else 0)
    marked = Image.composite(Image.new("RGB", size, (255, 170, 170)), faded, minor)
    marked = Image.composite(Image.new("RGB", size, (230, 0, 0)), marked, major)

    gap, label = 8, 14
    sheet = Image.new("RGB", (3 * size[0] + 4 * gap, size[1] + label + 2 * gap), (128, 128, 128))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()
    titles = ("reference", "actual", f"difference > {PIXEL_THRESHOLD} in red")
    for index, (title, panel) in enumerate(zip(titles, (reference, actual, marked))):
        x = gap + index * (size[0] + gap)
        draw.text((x, gap // 2), title, fill=(255, 255, 255), font=font)
        sheet.paste(panel, (x, gap + label))
    return sheet
