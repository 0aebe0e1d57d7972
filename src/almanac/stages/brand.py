"""Brand tokens → CSS custom properties, ``@font-face`` rules and the chart theme.

The brand file is the single source of colours, fonts and type scale. This
module is the only place that translates it; the stylesheets use only the
custom properties, the charts only the theme returned here.
"""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path

from PIL import Image, ImageCms

from ..errors import Problem, ReportError
from ..project.fontfaces import hyphen_for
from ..project.model import GENERIC_FAMILIES, Brand, Color, FontFamily
from ..project.theme import brand_file

HEX_COLOR = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


def css_string(text: str) -> str:
    """``text`` as a double-quoted CSS string (CSS Syntax 3 §4.3.5, §2.1 escapes): a
    backslash, a double quote, ``<`` and every control or non-ASCII-space character
    is written as a hex escape, so nothing in it can end the string, the rule or
    the ``<style>`` element it stands in."""
    def escape(char: str) -> str:
        if char in '\\"<>' or ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0:
            return f"\\{ord(char):x} "
        return char

    return '"' + "".join(escape(char) for char in text) + '"'


def font_stack(family: FontFamily) -> str:
    """A brand family and its fallbacks as a CSS ``font-family`` value: names as
    :func:`css_string`, generic families (CSS Fonts 4 §4.2) as keywords."""
    names = [family.family] + [name.strip() for name in family.fallback.split(",")]
    return ", ".join(name if name in GENERIC_FAMILIES else css_string(name) for name in names)


def display_weight(family: FontFamily, *, heaviest: bool) -> int:
    """The weight of the family's heaviest (or lightest) upright face: the stylesheets
    set display headings in ``--weight-heading`` and light text in ``--weight-light``,
    so each brand shows its own range (a Black heading where the brand has one) and
    no weight is asked for that the brand has no face for (CSS Fonts 4 §5.2 would
    otherwise pick a nearby face or synthesise a bold one)."""
    weights = [face.weight for face in family.faces if face.style == "normal"] \
        or [face.weight for face in family.faces]
    return max(weights) if heaviest else min(weights)


def output_profile(brand: Brand, brand_dir: Path) -> Path:
    """The brand's CMYK output profile (``print.output_profile``), relative to the
    brand's folder ``brand_dir`` or else the theme's (:func:`brand_file`)."""
    return brand_file(brand_dir, brand.print.output_profile)


@functools.lru_cache(maxsize=8)
def _transform(profile: str, stamp: tuple[int, int]) -> ImageCms.ImageCmsTransform:
    """sRGB → the CMYK profile at ``profile``, relative colorimetric with black-point
    compensation; cached per profile file (``stamp``: its size and modification time)."""
    try:
        target = ImageCms.ImageCmsProfile(io.BytesIO(Path(profile).read_bytes()))
        return ImageCms.buildTransform(
            ImageCms.createProfile("sRGB"), target, "RGB", "CMYK",
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
            flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)
    except (OSError, ImageCms.PyCMSError) as exc:
        raise ReportError(Problem(f"the colour profile cannot convert sRGB to CMYK ({exc})",
                                  Path(profile), hint="name a CMYK output profile (ICC), "
                                  "e.g. color/FOGRA39L.icc")) from None


@functools.lru_cache(maxsize=4096)
def _converted(value: str, profile: str, stamp: tuple[int, int]) \
        -> tuple[float, float, float, float]:
    r, g, b = (int(value[i:i + 2], 16) for i in (1, 3, 5))
    pixel = ImageCms.applyTransform(Image.new("RGB", (1, 1), (r, g, b)),
                                    _transform(profile, stamp))
    assert pixel is not None  # applyTransform returns a new image unless inPlace
    parts = pixel.getpixel((0, 0))
    assert isinstance(parts, tuple)
    c, m, y, k = (round(part / 255 * 100, 1) for part in parts)
    return c, m, y, k


def profile_cmyk(value: str, profile: Path) -> tuple[float, float, float, float]:
    """The sRGB colour ``value`` (``#RGB`` or ``#RRGGBB``) as CMYK percentages of the
    output profile ``profile``, converted by LittleCMS (Pillow's ``ImageCms``) with the
    relative colorimetric intent and black-point compensation (ICC.1:2010 §6.2.2;
    Adobe's default for converting a document to a press profile): a colour the
    press can print keeps its appearance, black becomes the profile's rich black
    (FOGRA39: about 91/78/54/98 rather than 0/0/0/100), and the darkest greys stay
    apart. The perceptual intent would shift in-gamut brand colours too. Cached per
    profile file and colour; a profile that is not a CMYK ICC profile is a
    ReportError naming it."""
    value = value.lower()
    if len(value) == 4:
        value = "#" + "".join(part * 2 for part in value[1:])
    return _converted(value, *_profile_key(Path(profile).resolve()))


def _profile_key(path: Path) -> tuple[str, tuple[int, int]]:
    """The profile file's path and stamp (size, modification time) that key the
    cached conversions; ReportError when the file is missing."""
    try:
        info = path.stat()
    except OSError:
        raise ReportError(Problem("the colour profile is missing", path,
                                  hint="name a CMYK output profile under styles/")) from None
    return str(path), (info.st_size, info.st_mtime_ns)


def cmyk_of(color: Color, profile: Path) -> tuple[float, float, float, float]:
    """The colour's print value in percent: as declared (``cmyk:``), else its hex
    value converted through the output profile ``profile`` (:func:`profile_cmyk`)."""
    if color.cmyk is not None:
        return color.cmyk
    return profile_cmyk(color.hex, profile)


def device_cmyk(cmyk: tuple[float, float, float, float]) -> str:
    """Percentages as CSS Color 5 ``device-cmyk(c m y k)``, each from 0 to 1."""
    return "device-cmyk(" + " ".join(f"{part / 100:.3g}" for part in cmyk) + ")"


MARGIN_BOXES = tuple(f"{side}-{place}" for side in ("top", "bottom")
                     for place in ("left-corner", "left", "center", "right", "right-corner")) \
    + tuple(f"{side}-{place}" for side in ("left", "right")
            for place in ("top", "middle", "bottom"))
"""The sixteen page-margin boxes (CSS Paged Media 3, 5.3)."""
SOLID_BLACK = (0.0, 0.0, 0.0, 100.0)
"""Single-ink black, in percent: text in it cannot misregister, as one plate prints it."""
RICH_BLACK = (60.0, 40.0, 40.0, 100.0)
"""A rich black for large areas, in percent (240 % total ink, under FOGRA39's 300 %):
100 % K alone prints as a dark grey over an area; the other inks deepen it."""


def near_black(rgb: tuple[float, float, float]) -> bool:
    """Whether an sRGB colour (channels 0–1) reads as black: every channel at most 0.25
    and the channels within 0.12 of each other (a dark neutral, not a dark blue or
    green). The print edition sets such a colour in single-ink black for text
    (``print.black_text``), as prepress practice asks for small type."""
    return max(rgb) <= 0.25 and max(rgb) - min(rgb) <= 0.12


def hex_rgb(value: str) -> tuple[float, float, float]:
    """``#RGB`` or ``#RRGGBB`` as sRGB channels from 0 to 1."""
    value = value.lstrip("#")
    if len(value) == 3:
        value = "".join(part * 2 for part in value)
    r, g, b = (int(value[i:i + 2], 16) / 255 for i in (0, 2, 4))
    return r, g, b


def print_black(color: Color, black_text: bool) -> bool:
    """Whether the print edition replaces the colour's process value by black: with
    ``print.black_text``, a colour whose screen value is :func:`near_black`."""
    return black_text and near_black(hex_rgb(color.hex))


def color_value(color: Color, profile: Path, process_colours: bool = False) -> str:
    """A brand colour as CSS: its hex value, or its process colour as ``device-cmyk()``
    (:func:`cmyk_of` with the output profile ``profile``)."""
    return device_cmyk(cmyk_of(color, profile)) if process_colours else color.hex


def print_colors(brand: Brand, profile: Path) -> dict[str, str]:
    """Every brand hex value (lower case) → its print value as ``device-cmyk()``:
    single-ink black for a near-black one when the brand asks (:func:`print_black`)."""
    mapping: dict[str, str] = {}
    for _, color in brand.colors:
        for item in color if isinstance(color, list) else [color]:
            value = SOLID_BLACK if print_black(item, brand.print.black_text) \
                else cmyk_of(item, profile)
            mapping.setdefault(item.hex.lower(), device_cmyk(value))
    return mapping


def raster_for_print(data: bytes, profile: Path) -> bytes:
    """A raster image (a photo) in the output profile's process colours: an opaque
    RGB, palette or greyscale image converted by LittleCMS from sRGB (or the image's
    own embedded ICC profile) with the relative colorimetric intent and black-point
    compensation, as :func:`profile_cmyk` converts a colour, and returned as a CMYK
    JPEG (quality 92, no chroma subsampling: the one CMYK image WeasyPrint embeds as
    it is). A CMYK image, one with transparency (a CMYK image cannot carry an alpha
    channel in a PDF that WeasyPrint writes) or data Pillow cannot read is returned
    unchanged; the press check then reports what stays RGB. ReportError when the
    profile cannot be read."""
    return _raster_cmyk(data, *_profile_key(profile))


@functools.lru_cache(maxsize=64)
def _raster_cmyk(data: bytes, profile: str, stamp: tuple[int, int]) -> bytes:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError):
        return data
    if image.mode == "CMYK":
        return data
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        low = image.convert("RGBA").getchannel("A").getextrema()[0]
        if not isinstance(low, (int, float)) or low < 255:
            return data  # truly transparent: it stays as it is, and is reported
    embedded = image.info.get("icc_profile")
    rgb = image.convert("RGB")
    if embedded:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(embedded))
            target = ImageCms.ImageCmsProfile(io.BytesIO(Path(profile).read_bytes()))
            cmyk = ImageCms.profileToProfile(
                rgb, source, target, renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
                outputMode="CMYK", flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)
        except (OSError, ImageCms.PyCMSError):
            cmyk = ImageCms.applyTransform(rgb, _transform(profile, stamp))
    else:
        cmyk = ImageCms.applyTransform(rgb, _transform(profile, stamp))
    assert cmyk is not None  # a new image unless inPlace
    out = io.BytesIO()
    cmyk.save(out, "JPEG", quality=92, subsampling=0)
    return out.getvalue()


def svg_for_print(svg: str, brand: Brand, profile: Path) -> str:
    """Recolour an SVG (a chart, a placeholder photo) with process colours: brand
    colours get their print value (:func:`print_colors`), any other colour its
    conversion through the output profile ``profile`` (:func:`profile_cmyk`), or
    single-ink black for a :func:`near_black` one when the brand asks
    (``print.black_text``: a chart's labels are small text)."""
    mapping = print_colors(brand, profile)

    def replace(match: re.Match) -> str:
        value = match.group(0).lower()
        if len(value) == 4:
            value = "#" + "".join(part * 2 for part in value[1:])
        if value in mapping:
            return mapping[value]
        if brand.print.black_text and near_black(hex_rgb(value)):
            return device_cmyk(SOLID_BLACK)
        return device_cmyk(profile_cmyk(value, profile))

    return HEX_COLOR.sub(replace, svg)


def brand_css(brand: Brand, brand_dir: Path, *, process_colours: bool = False,
              bleed: bool = False) -> str:
    """The ``@font-face`` rules and ``:root`` custom properties of the brand; with
    ``process_colours`` its CMYK values (and the output profile as the
    ``device-cmyk`` colour profile), with ``bleed`` its bleed (the printer's marks
    are drawn by :func:`~.prepress.print_finisher`, outside it). Each single colour
    ``name`` gives ``--color-name`` and ``--color-name-area`` (for large areas): equal,
    except in print with ``print.black_text`` for a :func:`near_black` colour, which
    is single-ink black for text and :data:`RICH_BLACK` for areas.
    Font and profile paths are relative to ``brand_dir``, else the theme's
    (:func:`~almanac.project.theme.brand_file`)."""
    lines: list[str] = []
    seen = set()
    for family in (brand.fonts.body, brand.fonts.heading):
        for face in family.faces:
            key = (family.family, face.weight, face.style)
            if key in seen:
                continue
            seen.add(key)
            url = brand_file(brand_dir, face.file).resolve().as_uri()
            lines.append(
                f"@font-face {{ font-family: {css_string(family.family)}; "
                f"src: url({css_string(url)}); "
                f"font-weight: {face.weight}; font-style: {face.style}; }}")
    props = {}
    profile = output_profile(brand, brand_dir)
    black_text = process_colours and brand.print.black_text
    for name, color in brand.colors:
        if isinstance(color, list):
            for index, item in enumerate(color, 1):
                props[f"color-{name}-{index}"] = color_value(item, profile, process_colours)
        else:
            prop = f"color-{name.replace('_', '-')}"
            props[prop] = props[f"{prop}-area"] = color_value(color, profile, process_colours)
            if print_black(color, black_text):  # text in one ink, areas in rich black
                props[prop], props[f"{prop}-area"] = (device_cmyk(SOLID_BLACK),
                                                      device_cmyk(RICH_BLACK))
    props["font-body"] = font_stack(brand.fonts.body)
    props["font-heading"] = font_stack(brand.fonts.heading)
    props["weight-heading"] = str(display_weight(brand.fonts.heading, heaviest=True))
    props["weight-light"] = str(display_weight(brand.fonts.body, heaviest=False))
    scale = brand.type
    props["size-base"] = f"{scale.base_size_pt}pt"
    props["leading"] = f"{scale.leading}"
    props["line"] = f"{scale.base_size_pt * scale.leading:.3f}pt"
    for step in range(1, 6):
        props[f"size-{step}"] = f"{scale.base_size_pt * scale.ratio ** step:.2f}pt"
    props["size-small"] = f"{scale.base_size_pt / scale.ratio:.2f}pt"
    bleed_mm = brand.print.bleed_mm if bleed else 0
    props["bleed"] = f"{bleed_mm}mm"
    lines.append(":root {")
    lines += [f"  --{key}: {value};" for key, value in props.items()]
    hyphen = hyphen_for(brand, brand_dir)
    if hyphen is not None:
        lines.append(f"  hyphenate-character: {css_string(hyphen)};")
    lines.append("}")
    if process_colours:
        url = profile.resolve().as_uri()
        lines.append(f"@color-profile device-cmyk {{ src: url({css_string(url)}); "
                     "components: cyan, magenta, yellow, black; }")
    if bleed:  # the marks are Almanac's own, drawn outside the bleed (.prepress)
        lines.append(f"@page {{ bleed: {bleed_mm}mm; marks: none; }}")
        # the blank pages added before the back cover (typeset.with_blank_pages)
        lines.append("@page almanac-blank { " + " ".join(
            f"@{box} {{ content: none; border: none; }}" for box in MARGIN_BOXES) + " }")
    return "\n".join(lines) + "\n"


def chart_base_px(brand: Brand) -> float:
    """The brand's body size in CSS px (96 per inch, 72 pt per inch): charts are laid
    out in px, and their text sizes are steps of this one."""
    return brand.type.base_size_pt * 96 / 72


def chart_theme(brand: Brand) -> dict:
    """The Vega-Lite ``config`` every chart uses: brand fonts, colours, sizes."""
    colors = brand.colors
    body = brand.fonts.body.family
    heading = brand.fonts.heading.family
    size = chart_base_px(brand)
    palette = [c.hex for c in colors.chart]
    return {
        "background": None,
        "font": body,
        "padding": 4,
        "view": {"stroke": None, "continuousWidth": 440, "continuousHeight": 200},
        "range": {"category": palette, "ramp": [colors.tint.hex, colors.primary.hex]},
        "mark": {"color": palette[0]},
        "bar": {"color": palette[0], "cornerRadiusEnd": 2},
        "line": {"color": palette[0], "strokeWidth": 2.5},
        "point": {"color": palette[0], "filled": True, "size": 60},
        "text": {"font": body, "fontSize": size * 0.95, "color": colors.ink.hex},
        "title": {"font": heading, "fontSize": size * 1.1, "fontWeight": 700,
                  "color": colors.ink.hex, "anchor": "start", "offset": 8,
                  "subtitleFont": body, "subtitleFontSize": size * 0.85,
                  "subtitleColor": colors.muted.hex},
        "axis": {"labelFont": body, "titleFont": body, "labelFontSize": size * 0.85,
                 "titleFontSize": size * 0.85, "titleFontWeight": 400,
                 "labelColor": colors.muted.hex, "titleColor": colors.muted.hex,
                 "domainColor": colors.rule.hex, "tickColor": colors.rule.hex,
                 "gridColor": colors.tint.hex, "gridWidth": 1},
        "axisX": {"grid": False},
        "legend": {"labelFont": body, "titleFont": body, "labelFontSize": size * 0.85,
                   "titleFontSize": size * 0.85, "labelColor": colors.ink.hex},
    }
