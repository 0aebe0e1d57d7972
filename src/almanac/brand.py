"""Brand tokens → CSS custom properties, ``@font-face`` rules and the chart theme.

The brand file is the single source of colours, fonts and type scale. This
module is the only place that translates it; the stylesheets use only the
custom properties, the charts only the theme returned here.
"""

from __future__ import annotations

from pathlib import Path

from .model import Brand


def brand_css(brand: Brand, brand_dir: Path) -> str:
    """The ``@font-face`` rules and ``:root`` custom properties of the brand."""
    lines: list[str] = []
    seen = set()
    for family in (brand.fonts.body, brand.fonts.heading):
        for face in family.faces:
            key = (family.family, face.weight, face.style)
            if key in seen:
                continue
            seen.add(key)
            url = (brand_dir / face.file).resolve().as_uri()
            lines.append(
                f"@font-face {{ font-family: '{family.family}'; src: url('{url}'); "
                f"font-weight: {face.weight}; font-style: {face.style}; }}")
    props = {}
    for name, color in brand.colors:
        if isinstance(color, list):
            for index, item in enumerate(color, 1):
                props[f"color-{name}-{index}"] = item.hex
        else:
            props[f"color-{name.replace('_', '-')}"] = color.hex
    props["font-body"] = f"'{brand.fonts.body.family}', {brand.fonts.body.fallback}"
    props["font-heading"] = f"'{brand.fonts.heading.family}', {brand.fonts.heading.fallback}"
    scale = brand.type
    props["size-base"] = f"{scale.base_size_pt}pt"
    props["leading"] = f"{scale.leading}"
    props["line"] = f"{scale.base_size_pt * scale.leading:.3f}pt"
    for step in range(1, 6):
        props[f"size-{step}"] = f"{scale.base_size_pt * scale.ratio ** step:.2f}pt"
    props["size-small"] = f"{scale.base_size_pt / scale.ratio:.2f}pt"
    lines.append(":root {")
    lines += [f"  --{key}: {value};" for key, value in props.items()]
    lines.append("}")
    return "\n".join(lines) + "\n"


def chart_theme(brand: Brand) -> dict:
    """The Vega-Lite ``config`` every chart uses: brand fonts, colours, sizes."""
    colors = brand.colors
    body = brand.fonts.body.family
    heading = brand.fonts.heading.family
    size = brand.type.base_size_pt * 96 / 72  # charts are laid out in CSS px
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
