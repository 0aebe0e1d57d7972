"""Photos in their box, with their treatment in the brand colours.

A photo without an image file is a placeholder: a small generated SVG illustration
of its motif (an unknown motif gets a neutral abstract drawing), deterministic
(seeded by the description), vector, a few KB. A photo with a raster image is
placed by an SVG frame (:func:`image_svg`) that crops it to its box around its
focal point, or fits it whole, and never stretches it. The treatments are the same
for both: ``overlay`` (older name ``blue-overlay``) lays the brand's primary colour
over the photo at :data:`OVERLAY_OPACITY`; ``duotone`` maps its tones to the range
from the brand's ``primary_dark`` to its ``tint`` — for an image with Pillow, at
build time (:func:`duotone`), as WeasyPrint does not apply SVG filters.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from ..project.model import Photo
from .output import write_file

WIDTH, HEIGHT = 1200, 700
OVERLAY_OPACITY = 0.62
"""How much of the brand colour's layer covers a photo with ``overlay``."""

# Natural colours per tone: ground, vegetation, built, water, light, dark.
NATURAL = {"ground": "#B9B49A", "field": "#A7B07F", "green": "#55704A", "built": "#C9C2B6",
           "roof": "#8E5B4A", "water": "#6F8FA6", "light": "#E8E4DA", "dark": "#3A3F44",
           "sky": "#C9D6DF"}


def _mix(a: str, b: str, t: float) -> str:
    ca = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb))


def _luma(color: str) -> float:
    r, g, b = (int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.3 * r + 0.59 * g + 0.11 * b


class _Canvas:
    def __init__(self, seed: str, palette: dict[str, str]):
        self.rng = random.Random(int(hashlib.sha256(seed.encode()).hexdigest()[:12], 16))
        self.palette = palette
        self.parts: list[str] = []

    def c(self, name: str) -> str:
        return self.palette[name]

    def rect(self, x, y, w, h, fill, extra=""):
        self.parts.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" '
                          f'fill="{fill}" {extra}/>')

    def circle(self, x, y, r, fill, extra=""):
        self.parts.append(f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{r:.0f}" fill="{fill}" {extra}/>')

    def path(self, d, fill="none", stroke="none", width=0, extra=""):
        self.parts.append(f'<path d="{d}" fill="{fill}" stroke="{stroke}" '
                          f'stroke-width="{width}" {extra}/>')


def _aerial_river(cv: _Canvas) -> None:
    rng = cv.rng
    cv.rect(0, 0, WIDTH, HEIGHT, cv.c("field"))
    for _ in range(26):  # patchwork of fields
        cv.rect(rng.uniform(-100, WIDTH), rng.uniform(-100, HEIGHT), rng.uniform(120, 320),
                rng.uniform(80, 220), _mix(cv.c("field"), cv.c("ground"), rng.random() * 0.8),
                f'transform="rotate({rng.uniform(-12, 12):.1f} 600 350)"')
    river = "M -20 180 C 250 120, 330 420, 560 380 S 880 170, 1220 300"
    cv.path(river, stroke=cv.c("water"), width=64, extra='stroke-linecap="round"')
    cv.path(river, stroke=_mix(cv.c("water"), cv.c("light"), 0.12), width=18,
            extra='stroke-linecap="round"')
    for _ in range(150):  # houses along the banks
        t = rng.random()
        x = -20 + t * 1240
        y = 240 + 150 * math.sin(t * 5.2 + 0.7) + rng.choice((-1, 1)) * rng.uniform(60, 150)
        w, h = rng.uniform(14, 26), rng.uniform(10, 18)
        cv.rect(x, y, w, h, rng.choice((cv.c("roof"), cv.c("built"), cv.c("dark"))),
                f'transform="rotate({rng.uniform(-20, 20):.0f} {x:.0f} {y:.0f})"')
    for _ in range(120):  # trees
        cv.circle(rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT), rng.uniform(7, 16),
                  _mix(cv.c("green"), cv.c("dark"), rng.random() * 0.5))


def _flood(cv: _Canvas) -> None:
    rng = cv.rng
    cv.rect(0, 0, WIDTH, 260, cv.c("sky"))
    for i in range(5):  # houses half under water
        x = 80 + i * 230 + rng.uniform(-20, 20)
        cv.rect(x, 220, 170, 180, cv.c("built"))
        cv.path(f"M {x - 15} 225 L {x + 85} 140 L {x + 185} 225 Z", fill=cv.c("roof"))
        for j in range(2):
            cv.rect(x + 30 + j * 70, 260, 40, 40, _mix(cv.c("built"), cv.c("dark"), 0.6))
    cv.rect(0, 330, WIDTH, HEIGHT - 330, cv.c("water"))
    for _ in range(40):
        y = rng.uniform(350, HEIGHT)
        x = rng.uniform(-50, WIDTH)
        cv.path(f"M {x:.0f} {y:.0f} q 30 -8 60 0 t 60 0",
                stroke=_mix(cv.c("water"), cv.c("light"), 0.5), width=3)


def _crowd(cv: _Canvas) -> None:
    rng = cv.rng
    cv.rect(0, 0, WIDTH, HEIGHT, cv.c("sky"))
    cv.rect(0, 380, WIDTH, HEIGHT, cv.c("ground"))
    for row in range(6):
        y = 300 + row * 70
        scale = 0.7 + row * 0.12
        for _ in range(22 - row):
            x = rng.uniform(-40, WIDTH + 40)
            tone = _mix(cv.c("dark"), cv.c("built"), rng.random() * 0.6)
            cv.circle(x, y, 22 * scale, tone)
            cv.path(f"M {x - 40 * scale:.0f} {y + 150 * scale:.0f} Q {x:.0f} {y - 10:.0f} "
                    f"{x + 40 * scale:.0f} {y + 150 * scale:.0f} Z", fill=tone)


def _tape(cv: _Canvas) -> None:
    _city(cv)
    cv.path("M -50 520 L 1250 300 L 1250 390 L -50 610 Z", fill="#F4F4F0")
    for i in range(-2, 30):
        x = i * 60
        cv.path(f"M {x} {520 - x * 0.17:.0f} l 30 -5 l 0 90 l -30 5 Z",
                fill=_mix("#F4F4F0", cv.c("dark"), 0.25))


def _drone(cv: _Canvas) -> None:
    rng = cv.rng
    cv.rect(0, 0, WIDTH, HEIGHT, cv.c("sky"))
    cv.rect(0, 470, WIDTH, 230, cv.c("field"))
    for i in range(14):
        cv.path(f"M {i * 100 - 200} 700 L {i * 90 + 20} 470", stroke=cv.c("ground"), width=3)
    x, y = 600, 230
    cv.rect(x - 70, y - 18, 140, 36, cv.c("dark"), 'rx="14"')
    for dx in (-160, 160):
        cv.path(f"M {x} {y} L {x + dx} {y - 40}", stroke=cv.c("dark"), width=10)
        cv.path(f"M {x + dx - 70} {y - 52} L {x + dx + 70} {y - 52}", stroke=cv.c("dark"),
                width=6, extra='stroke-linecap="round"')
    cv.circle(x, y + 34, 16, cv.c("dark"))
    for _ in range(30):
        cv.circle(rng.uniform(0, WIDTH), rng.uniform(480, 700), rng.uniform(8, 18),
                  cv.c("green"))


def _classroom(cv: _Canvas) -> None:
    cv.rect(0, 0, WIDTH, HEIGHT, cv.c("light"))
    cv.rect(200, 60, 800, 220, cv.c("dark"))
    cv.rect(215, 75, 770, 190, _mix(cv.c("green"), cv.c("dark"), 0.5))
    for row in range(3):
        y = 380 + row * 110
        for col in range(5):
            x = 90 + col * 220 - row * 20
            cv.circle(x + 60, y - 40, 24, cv.c("dark"))
            cv.rect(x, y, 140 + row * 10, 26, cv.c("roof"))


def _lab(cv: _Canvas) -> None:
    rng = cv.rng
    cv.rect(0, 0, WIDTH, HEIGHT, cv.c("light"))
    cv.rect(0, 470, WIDTH, 230, cv.c("built"))
    for i in range(9):
        x = 90 + i * 120 + rng.uniform(-15, 15)
        h = rng.uniform(120, 230)
        cv.path(f"M {x} {470 - h} l 0 {h * 0.4:.0f} l -40 {h * 0.6:.0f} l 110 0 "
                f"l -40 {-h * 0.6:.0f} l 0 {-h * 0.4:.0f} Z",
                fill=_mix(cv.c("water"), cv.c("light"), 0.2))
        cv.rect(x - 5, 470 - h - 10, 40, 12, cv.c("dark"))


def _city(cv: _Canvas) -> None:
    rng = cv.rng
    cv.rect(0, 0, WIDTH, HEIGHT, cv.c("sky"))
    x: float = -20
    while x < WIDTH:
        w, h = rng.uniform(90, 170), rng.uniform(200, 480)
        tone = _mix(cv.c("built"), cv.c("dark"), rng.random() * 0.6)
        cv.rect(x, HEIGHT - h, w - 8, h, tone)
        for wy in range(int(HEIGHT - h + 20), HEIGHT - 40, 44):
            for wx in range(int(x + 14), int(x + w - 30), 34):
                cv.rect(wx, wy, 16, 22, _mix(tone, cv.c("light"), 0.55))
        x += w
    cv.rect(0, 640, WIDTH, 60, cv.c("dark"))


def _border(cv: _Canvas) -> None:
    cv.rect(0, 0, WIDTH, 330, cv.c("sky"))
    cv.rect(0, 330, WIDTH, 370, cv.c("field"))
    cv.path("M 520 330 L 680 330 L 1100 700 L 100 700 Z", fill=cv.c("dark"))
    for i in range(8):
        y = 350 + i * 45
        cv.rect(596, y, 8, 24 + i * 2, cv.c("light"))
    cv.rect(880, 380, 12, 200, cv.c("dark"))
    cv.rect(830, 330, 200, 70, cv.c("water"), 'rx="6"')
    for i in range(12):
        cv.circle(i * 110 + 30, 325, 40, cv.c("green"))


def _team(cv: _Canvas) -> None:
    rng = cv.rng
    cv.rect(0, 0, WIDTH, HEIGHT, cv.c("light"))
    for i in range(7):
        x = 120 + i * 160 + rng.uniform(-20, 20)
        s = rng.uniform(0.9, 1.1)
        tone = _mix(cv.c("dark"), cv.c("water"), rng.random() * 0.5)
        cv.circle(x, 260 * s, 45, tone)
        cv.path(f"M {x - 90} 700 L {x - 75} 380 Q {x} 320 {x + 75} 380 L {x + 90} 700 Z",
                fill=tone)


def _network(cv: _Canvas) -> None:
    rng = cv.rng
    cv.rect(0, 0, WIDTH, HEIGHT, cv.c("dark"))
    nodes = [(rng.uniform(60, WIDTH - 60), rng.uniform(60, HEIGHT - 60)) for _ in range(40)]
    for i, (x, y) in enumerate(nodes):
        for j in range(i + 1, len(nodes)):
            u, v = nodes[j]
            if (x - u) ** 2 + (y - v) ** 2 < 200 ** 2:
                cv.path(f"M {x:.0f} {y:.0f} L {u:.0f} {v:.0f}",
                        stroke=_mix(cv.c("dark"), cv.c("water"), 0.6), width=2)
    for x, y in nodes:
        cv.circle(x, y, rng.uniform(5, 12), cv.c("light"))


def _abstract(cv: _Canvas) -> None:
    """A neutral placeholder for a motif without a drawing: a horizon of soft bands
    and a few large discs, placed by the canvas's seed (the description)."""
    rng = cv.rng
    horizon = rng.uniform(0.45, 0.65) * HEIGHT
    cv.rect(0, 0, WIDTH, HEIGHT, cv.c("sky"))
    cv.rect(0, horizon, WIDTH, HEIGHT - horizon, cv.c("ground"))
    for i in range(4):
        y = horizon + i * (HEIGHT - horizon) / 4
        cv.rect(0, y, WIDTH, (HEIGHT - horizon) / 4 + 1,
                _mix(cv.c("ground"), cv.c("dark"), 0.12 * i))
    for _ in range(5):
        cv.circle(rng.uniform(80, WIDTH - 80), rng.uniform(80, horizon),
                  rng.uniform(50, 150), _mix(cv.c("light"), cv.c("built"), rng.random()),
                  'opacity="0.7"')


MOTIFS = {"aerial-river": _aerial_river, "flood": _flood, "crowd": _crowd, "tape": _tape,
          "drone": _drone, "classroom": _classroom, "lab": _lab, "city": _city,
          "border": _border, "team": _team, "network": _network}


def photo_svg(photo: Photo, primary: str, primary_dark: str, tint: str,
              font: str = "sans-serif", aspect: float = WIDTH / HEIGHT) -> str:
    """An SVG placeholder for ``photo`` with its treatment in the brand colours.

    ``aspect`` (width / height) is the shape of the box it fills: the drawing is
    cropped to it, centred, as ``object-fit: cover`` would, so the image never
    paints outside its box. Text that the photo shows (``overlay_text``, e.g. on
    police tape) is real SVG text, selectable and in reading order. A motif without
    a drawing in :data:`MOTIFS` gets a neutral abstract one; the treatment is the
    photo's (see the module docstring).
    """
    palette = dict(NATURAL)
    if photo.treatment == "duotone":
        palette = {name: _mix(primary_dark, tint, _luma(color) ** 1.3)
                   for name, color in NATURAL.items()}
    canvas = _Canvas((photo.description or "") + photo.motif, palette)
    MOTIFS.get(photo.motif, _abstract)(canvas)
    if photo.overlaid:
        canvas.rect(0, 0, WIDTH, HEIGHT, primary, f'opacity="{OVERLAY_OPACITY}"')
    if photo.overlay_text:
        canvas.parts.append(
            f'<text x="{WIDTH / 2:.0f}" y="{HEIGHT * 0.56:.0f}" text-anchor="middle" '
            f'transform="rotate(-9 {WIDTH / 2:.0f} {HEIGHT * 0.56:.0f})" fill="#FFFFFF" '
            f'font-family="{escape(font)}" font-weight="900" font-size="58" '
            f'letter-spacing="12">{escape(photo.overlay_text)}</text>')
    title = f"<title>{escape(photo.description)}</title>" if photo.description else ""
    width: float
    height: float
    if aspect >= WIDTH / HEIGHT:
        width, height = WIDTH, WIDTH / aspect
    else:
        width, height = HEIGHT * aspect, HEIGHT
    x, y = (WIDTH - width) / 2, (HEIGHT - height) / 2
    box = f'x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}"'
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x:.1f} {y:.1f} {width:.1f} '
            f'{height:.1f}" width="{width:.0f}" height="{height:.0f}" '
            f'role="{"img" if title else "presentation"}">'
            f'{title}<clipPath id="frame"><rect {box}/></clipPath>'
            f'<g clip-path="url(#frame)">' + "".join(canvas.parts) + "</g></svg>")


# --------------------------------------------------------------------------- images

@dataclass(frozen=True)
class Frame:
    """Where an image of ``width`` × ``height`` pixels shows in its box, in the image's
    pixels: the box is the rectangle (x, y, box_width, box_height) — inside the image
    when it is cropped (cover), around it when it is shown whole (contain)."""

    width: int
    height: int
    x: float
    y: float
    box_width: float
    box_height: float


def frame(width: int, height: int, aspect: float, fit: str = "cover",
          focus: tuple[float, float] = (50, 50)) -> Frame:
    """The box of ``aspect`` (width / height) for an image of ``width`` × ``height``
    pixels: for ``cover`` the largest box of that shape inside the image, for
    ``contain`` the smallest around it; placed as CSS ``object-position`` places an
    image (CSS Images 3, §5.5): ``focus`` (x, y) in percent aligns that point of the
    box with that point of the image, so (50, 50) centres the crop, (50, 0) keeps
    the top. The image keeps its own shape (the scale is the same both ways)."""
    if (width / height >= aspect) == (fit == "cover"):
        box_width, box_height = height * aspect, float(height)
    else:
        box_width, box_height = float(width), width / aspect
    fx, fy = focus
    return Frame(width, height, (width - box_width) * fx / 100,
                 (height - box_height) * fy / 100, box_width, box_height)


def image_size(data: bytes) -> tuple[int, int] | None:
    """The size in pixels of the raster image ``data`` as WeasyPrint draws it: turned
    upright by its EXIF orientation (WeasyPrint's default ``image-orientation:
    from-image``, CSS Images 3 §5.6, ``weasyprint.images.rotate_pillow_image``), read
    from its header only. None if Pillow cannot read it (e.g. an SVG)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            turned = image.getexif().get(0x0112, 1) in (5, 6, 7, 8) \
                and "exif" in image.info
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return None
    return (height, width) if turned else (width, height)


def image_svg(href: str, box: Frame, description: str | None,
              overlay: str | None = None) -> str:
    """An SVG frame showing the image at ``href`` (a URL) in ``box`` (see :func:`frame`):
    its view box is the box in the image's pixels, clipped, so only what the box holds
    is drawn, and at the image's own shape, titled ``description`` (None for a
    decorative image: no title, ``role="presentation"``). ``overlay`` (a colour) lays a
    layer of it over the image at :data:`OVERLAY_OPACITY`. The image itself is embedded
    as WeasyPrint embeds any image (a JPEG as it is)."""
    view = f"{box.x:.2f} {box.y:.2f} {box.box_width:.2f} {box.box_height:.2f}"
    clip = (f'x="{box.x:.2f}" y="{box.y:.2f}" width="{box.box_width:.2f}" '
            f'height="{box.box_height:.2f}"')
    layer = (f'<rect width="{box.width}" height="{box.height}" fill="{overlay}" '
             f'opacity="{OVERLAY_OPACITY}"/>') if overlay else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{view}" '
            f'width="{box.box_width:.0f}" height="{box.box_height:.0f}" '
            f'role="{"img" if description else "presentation"}">'
            + (f"<title>{escape(description)}</title>" if description else "")
            + f'<clipPath id="frame"><rect {clip}/>'
            f'</clipPath><g clip-path="url(#frame)"><image href={quoteattr(href)} '
            f'width="{box.width}" height="{box.height}" preserveAspectRatio="none"/>'
            f"{layer}</g></svg>")


def stored(data: bytes, store: Path, root: Path | None = None) -> Path:
    """``data`` (an image file's bytes) as a file in ``store`` named by its hash, written
    once (:func:`.output.write_file`, which raises its WriteError; ``root``: the
    project, for the staging folder of the write)."""
    suffix = ".jpg" if data[:3] == b"\xff\xd8\xff" else ".png" \
        if data[:8] == b"\x89PNG\r\n\x1a\n" else ".img"
    target = store / f"{hashlib.sha256(data).hexdigest()[:32]}{suffix}"
    if not target.is_file():
        store.mkdir(parents=True, exist_ok=True)
        write_file(target, data, root, durable=False)
    return target


DUOTONE_VERSION = "1"
"""Part of a duotone's name in the cache: raised when :func:`duotone` changes."""


def duotone(data: bytes, dark: tuple[float, ...], light: tuple[float, ...],
            store: Path, root: Path | None = None) -> Path:
    """The raster image ``data`` (its file's bytes) as a duotone: its luminance
    (ITU-R 601 weights, Pillow's ``convert("L")``) mapped linearly from ``dark``
    (black) to ``light`` (white), a JPEG in ``store`` named by a hash of the image's
    bytes and the two colours, made once. The colours are three sRGB values 0–255,
    or four CMYK percentages for print: the duotone is then a CMYK JPEG in those
    process colours (a JPEG is the one CMYK image WeasyPrint embeds as it is). The
    image is turned upright by its EXIF orientation and laid on white where it is
    transparent. ``root``: the project, for the staging folder of the write
    (:func:`.output.write_file`, which raises its WriteError)."""
    from PIL import Image, ImageOps

    key = hashlib.sha256(data + repr((DUOTONE_VERSION, dark, light)).encode()).hexdigest()
    target = store / f"{key[:32]}.jpg"
    if target.is_file():
        return target
    with Image.open(io.BytesIO(data)) as opened:
        image = ImageOps.exif_transpose(opened)
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, (255, 255, 255))
            image.paste(rgba, mask=rgba.getchannel("A"))
        grey = image.convert("L")
    if len(dark) == 4:
        bands = [grey.point([round(2.55 * (low + (high - low) * v / 255)) for v in range(256)])
                 for low, high in zip(dark, light)]
        toned = Image.merge("CMYK", bands)
    else:
        toned = ImageOps.colorize(grey, tuple(round(c) for c in dark),
                                  tuple(round(c) for c in light))
    out = io.BytesIO()
    toned.save(out, "JPEG", quality=92, subsampling=0)
    store.mkdir(parents=True, exist_ok=True)
    write_file(target, out.getvalue(), root, durable=False)
    return target
