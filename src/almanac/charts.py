"""Stage 3 — charts: each ``figures/<name>.py`` turns typed data and the brand
theme into an Altair chart; vl-convert renders it to SVG.

A figure module defines ``build(data: FigureData, theme: Theme) -> alt.Chart``.
Rendered SVGs are cached under ``.almanac-cache/charts`` by a hash of
everything that determines them (the figure modules' source, the data, the
theme, the versions of Altair and vl-convert), so an unchanged chart costs
neither the Altair import nor a conversion.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
import traceback
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path

from .brand import chart_theme
from .errors import ChartError, Problem
from .formatting import Formatter
from .model import Chapter, FigureBlock, Report

CACHE_DIR = Path(".almanac-cache") / "charts"
ILLUSTRATIVE_LABEL = "Voorbeeldgegevens"


@dataclass(frozen=True)
class Value:
    """A number as a figure module sees it."""

    value: float
    unit: str
    label: str | None
    text: str  # formatted for the report's locale, e.g. "€ 6,2 miljoen"


@dataclass(frozen=True)
class FigureData:
    """What a figure module gets: the numbers and series its block names."""

    numbers: dict[str, Value]
    labels: dict[str, str]
    rows: list[dict]
    illustrative: bool
    caption: str


@dataclass(frozen=True)
class Theme:
    """Brand tokens for charts: named colours, the palette and the Vega-Lite config."""

    colors: dict[str, str]
    palette: list[str]
    font: str
    config: dict = field(repr=False)


@dataclass(frozen=True)
class RenderedChart:
    svg: str
    illustrative: bool
    cached: bool


def make_theme(report: Report) -> Theme:
    colors = {name: c.hex for name, c in report.brand.colors if not isinstance(c, list)}
    return Theme(colors=colors, palette=[c.hex for c in report.brand.colors.chart],
                  font=report.brand.fonts.body.family, config=chart_theme(report.brand))


def figure_blocks(report: Report):
    """Every figure block of the report with its chapter and location."""
    for chapter in report.chapters:
        for s, section in enumerate(chapter.data.sections):
            for b, block in enumerate(section.blocks):
                if isinstance(block, FigureBlock):
                    yield chapter, f"sections[{s}].blocks[{b}]", block


def figure_data(report: Report, chapter: Chapter, block: FigureBlock, fmt: Formatter) -> FigureData:
    numbers = {}
    for key in block.numbers:
        number = report.number(key)
        numbers[key] = Value(number.value, number.unit, number.label, fmt.number(number))
    rows, illustrative = [], False
    if block.series:
        rows = chapter.series[block.series]
        illustrative = chapter.data.series[block.series].illustrative
    return FigureData(numbers=numbers, labels=dict(block.labels), rows=rows, illustrative=illustrative,
                      caption=block.caption)


class ChartRenderer:
    """Renders figure blocks to SVG, with a content-addressed cache."""

    def __init__(self, report: Report, fmt: Formatter, cache: bool = True):
        self.report = report
        self.fmt = fmt
        self.theme = make_theme(report)
        self.cache_dir = report.root / CACHE_DIR if cache else None
        self._fonts_registered = False
        figures = report.root / "figures"
        # Every module of figures/ can be imported by another: all count for the hash.
        self._sources = {p.name: p.read_bytes() for p in sorted(figures.glob("*.py"))} \
            if figures.is_dir() else {}
        self._versions = {
            "altair": version("altair"), "vl-convert": version("vl-convert-python"),
        }

    def key(self, block: FigureBlock, data: FigureData) -> str:
        digest = hashlib.sha256()
        payload = {
            "chart": block.chart, "data": asdict(data), "theme": asdict(self.theme),
            "versions": self._versions, "format": 3,
        }
        digest.update(json.dumps(payload, sort_keys=True, default=str).encode())
        for name, source in self._sources.items():
            digest.update(name.encode() + b"\0" + source + b"\0")
        return digest.hexdigest()

    def render(self, chapter: Chapter, where: str, block: FigureBlock) -> RenderedChart:
        data = figure_data(self.report, chapter, block, self.fmt)
        key = self.key(block, data)
        cached = self.cache_dir / f"{key}.svg" if self.cache_dir else None
        if cached is not None and cached.is_file():
            return RenderedChart(cached.read_text(encoding="utf-8"), data.illustrative, True)
        spec = self._spec(chapter, where, block, data)
        svg = self._convert(spec, block)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            temporary = cached.with_suffix(f".{key[:8]}.tmp")
            temporary.write_text(svg, encoding="utf-8")
            temporary.replace(cached)
        return RenderedChart(svg, data.illustrative, False)

    def _spec(self, chapter: Chapter, where: str, block: FigureBlock, data: FigureData) -> dict:
        path = self.report.root / "figures" / f"{block.chart}.py"
        module = self._import(path)
        build = getattr(module, "build", None)
        if not callable(build):
            raise ChartError(Problem("figure module has no build(data, theme) function", path,
                                     hint="define def build(data, theme) -> alt.Chart"))
        import altair as alt

        # The brand theme is an Altair theme: a module's own .configure_*() still wins.
        theme_config = self.theme.config
        alt.theme.register("almanac", enable=False)(
            lambda: alt.theme.ThemeConfig({"config": theme_config}))
        try:
            with alt.theme.enable("almanac"):
                chart = build(data, self.theme)
                spec = chart.to_dict()
        except Exception as exc:  # the figure module is report input: name its line
            raise ChartError(_problem_in(path, exc, f"{chapter.slug}: {where}")) from exc
        if data.illustrative and "title" not in spec:
            spec["title"] = {"text": ILLUSTRATIVE_LABEL.upper(), "fontSize": 10,
                             "fontWeight": 700, "color": self.theme.colors["accent"],
                             "anchor": "start"}
        return spec

    def _import(self, path: Path):
        name = f"almanac_figures.{path.stem}"
        if name in sys.modules:
            return sys.modules[name]
        figures = str(path.parent)
        if figures not in sys.path:
            sys.path.insert(0, figures)
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise ChartError(_problem_in(path, exc)) from exc
        sys.modules[name] = module
        return module

    def _convert(self, spec: dict, block: FigureBlock) -> str:
        import vl_convert

        if not self._fonts_registered:
            folders = {(self.report.brand_path.parent / face.file).resolve().parent
                       for family in (self.report.brand.fonts.body,
                                      self.report.brand.fonts.heading)
                       for face in family.faces}
            for folder in sorted(folders):
                vl_convert.register_font_directory(str(folder))
            self._fonts_registered = True
        language = self.report.manifest.language
        locale = language if "-" in language else f"{language}-{language.upper()}"
        return vl_convert.vegalite_to_svg(spec, format_locale=locale,
                                          time_format_locale=locale, allowed_base_urls=[])


def _problem_in(path: Path, exc: Exception, where: str | None = None) -> Problem:
    line = None
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if Path(frame.filename).resolve() == path.resolve():
            line = frame.lineno
            break
    return Problem(f"{type(exc).__name__}: {exc}", path, line,
                   "fix the figure module; it must return an Altair chart", where)
