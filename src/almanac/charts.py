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
import multiprocessing
import os
import re
import sys
import threading
import traceback
import types
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path

from .brand import chart_theme
from .errors import ChartError, Problem, ReportError
from .formatting import Formatter
from .model import Chapter, FigureBlock, Report

CACHE_DIR = Path(".almanac-cache") / "charts"
ILLUSTRATIVE_LABEL = "Voorbeeldgegevens"
WORKER_TIMEOUT = 300  # seconds for all uncached charts together


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

    def plan(self, chapter: Chapter, where: str, block: FigureBlock) -> "Planned":
        """The chart's data and cache key, and whether the cache has it."""
        data = figure_data(self.report, chapter, block, self.fmt)
        key = self.key(block, data)
        cached = self.cache_dir is not None and (self.cache_dir / f"{key}.svg").is_file()
        return Planned(chapter, where, block, data, key, cached)

    def convert(self, planned: "Planned") -> str:
        """Build the chart with its figure module and convert it to SVG."""
        spec = self._spec(planned.chapter, planned.where, planned.block, planned.data)
        return self._convert(spec, planned)

    def render(self, chapter: Chapter, where: str, block: FigureBlock) -> RenderedChart:
        """One chart as SVG text, from the cache or drawn now (and then cached)."""
        planned = self.plan(chapter, where, block)
        if planned.cached:
            svg = (self.cache_dir / f"{planned.key}.svg").read_text(encoding="utf-8")
            return RenderedChart(svg, planned.data.illustrative, True)
        svg = self.convert(planned)
        if self.cache_dir is not None:
            _write_text(self.cache_dir / f"{planned.key}.svg", svg)
        return RenderedChart(svg, planned.data.illustrative, False)

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
        block_name = f"{chapter.slug}: {where}"
        try:
            with alt.theme.enable("almanac"):
                chart = build(data, self.theme)
                spec = chart.to_dict() if isinstance(chart, alt.TopLevelMixin) else None
        except Exception as exc:  # the figure module is report input: name its line
            raise ChartError(_problem_in(path, exc, block_name, _data_hint(exc, data))) from exc
        if spec is None:
            raise ChartError(Problem(
                f"build() returned {type(chart).__name__}, not an Altair chart", path,
                getattr(getattr(build, "__code__", None), "co_firstlineno", None),
                "return the chart it makes, e.g. return alt.Chart(...).mark_bar()...",
                block_name))
        url = _data_url(spec)
        if url is not None:
            raise ChartError(Problem(
                f"the chart reads its data from {url[:200]}; charts read no URLs or files",
                path, None, "give the data to the block as numbers: or series: (a CSV in "
                "the chapter folder) and use data.numbers or data.rows", block_name))
        spec = _svg_safe(spec)
        if data.illustrative and "title" not in spec:
            spec["title"] = {"text": ILLUSTRATIVE_LABEL.upper(), "fontSize": 10,
                             "fontWeight": 700, "color": self.theme.colors["accent"],
                             "anchor": "start"}
        return spec

    def _import(self, path: Path):
        """Import a figure module as part of a package named after the sources' hash.

        Modules import their siblings relatively (``from ._common import bars``);
        a changed figures/ folder — or another project's — is a new package, so
        a long-running process never uses a stale module.
        """
        digest = hashlib.sha256()
        for name, source in self._sources.items():
            digest.update(name.encode() + b"\0" + source + b"\0")
        package = f"almanac_figures_{digest.hexdigest()[:16]}"
        if package not in sys.modules:
            module = types.ModuleType(package)
            module.__path__ = [str(path.parent)]
            sys.modules[package] = module
        name = f"{package}.{path.stem}"
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[name]
            raise ChartError(_problem_in(path, exc)) from exc
        return module

    def _convert(self, spec: dict, planned: "Planned") -> str:
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
        try:
            return vl_convert.vegalite_to_svg(spec, format_locale=locale,
                                              time_format_locale=locale, allowed_base_urls=[])
        except Exception as exc:  # vl-convert rejects the spec the figure module made
            lines = [line.strip() for line in str(exc).splitlines()]
            reason = next((line for line in lines[1:] if line and not line.startswith("at ")),
                          lines[0] if lines else type(exc).__name__)
            hint = "give the data as the block's numbers: or series:; charts read no URLs" \
                if "url not allowed" in reason.lower() else \
                "fix the chart the module builds (mark, encoding, data): it is not valid Vega-Lite"
            raise ChartError(Problem(
                f"Vega-Lite cannot draw the chart: {reason[:300]}",
                self.report.root / "figures" / f"{planned.block.chart}.py", None, hint,
                f"{planned.chapter.slug}: {planned.where}")) from exc


@dataclass
class Planned:
    chapter: Chapter
    where: str
    block: FigureBlock
    data: FigureData
    key: str
    cached: bool


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


class ChartJob:
    """The report's charts, rendered while WeasyPrint already works on the document.

    Each chart is a file named by its content hash in the chart store
    (``.almanac-cache/charts/<key>.svg``) and the HTML refers to it by that
    path, so the HTML is complete before any chart is drawn. Charts not in the
    store are built in a forked worker process — Altair's import and
    vl-convert's JavaScript engine (which holds the GIL) then run on the second
    core while this process imports WeasyPrint and parses the document. The
    URL fetcher calls :meth:`wait` before it reads a chart file. Where fork is
    unavailable (or unsafe), the charts are built here, in :meth:`start`.
    """

    def __init__(self, report: Report, fmt: Formatter, cache: bool = True):
        self.renderer = ChartRenderer(report, fmt, cache=True)
        self.store = report.root / CACHE_DIR
        self.plans = {id(block): self.renderer.plan(chapter, where, block)
                      for chapter, where, block in figure_blocks(report)}
        self.missing = {plan.key: plan for plan in self.plans.values()
                        if not (cache and plan.cached)}  # --no-cache: draw every chart again
        self._pending = set(self.missing)
        self._process = None
        self._receive = None
        self._bug: str | None = None  # a traceback from the worker: raised by finish()
        self._drawing: str | None = None  # the chart being drawn (here, not in a worker)
        self.problems: list[Problem] = []

    def path(self, block: FigureBlock) -> str:
        """The chart's file, relative to the project root (a URL the HTML can use)."""
        return f"{CACHE_DIR.as_posix()}/{self.plans[id(block)].key}.svg"

    def illustrative(self, block: FigureBlock) -> bool:
        return self.plans[id(block)].data.illustrative

    @property
    def cached(self) -> int:
        return len(self.plans) - len(self.missing)

    def start(self, parallel: bool = True) -> None:
        # Fork only while vl-convert has not started its engine threads in this
        # process: a forked copy of a running JavaScript engine can deadlock.
        can_fork = ("fork" in multiprocessing.get_all_start_methods()
                    and "vl_convert" not in sys.modules)
        if not self.missing:
            return
        if parallel and can_fork:
            context = multiprocessing.get_context("fork")
            self._receive, send = context.Pipe(duplex=False)
            self._process = context.Process(target=self._work, args=(send,), daemon=True)
            self._process.start()
            send.close()
        else:  # here, in a thread, so that a figure module that hangs cannot hang the build
            failure: list[BaseException] = []
            thread = threading.Thread(target=self._draw_pending, args=(failure,), daemon=True)
            thread.start()
            thread.join(WORKER_TIMEOUT)
            if thread.is_alive():
                self.problems.append(self._too_slow(self._drawing or next(iter(self._pending))))
            self._pending.clear()
            if failure:
                raise failure[0]

    def _draw_pending(self, failure: list[BaseException]) -> None:
        try:
            for key in list(self._pending):
                self._drawing = key
                try:
                    self._draw(self.missing[key])
                except ReportError as exc:
                    self.problems += exc.problems
                self._pending.discard(key)
        except BaseException as exc:  # a bug: raised again in the calling thread
            failure.append(exc)

    def _too_slow(self, key: str) -> Problem:
        return self._chart_problem(key, f"drawing the charts took over {WORKER_TIMEOUT} s",
                                   "simplify the figure module or its data")

    def _chart_problem(self, key: str, message: str, hint: str) -> Problem:
        """A problem with the chart ``key``, naming its figure module and block."""
        plan = self.missing[key]
        return Problem(message, self.renderer.report.root / "figures" / f"{plan.block.chart}.py",
                       None, hint, f"{plan.chapter.slug}: {plan.where}")

    def _draw(self, plan: Planned) -> None:
        _write_text(self.store / f"{plan.key}.svg", self.renderer.convert(plan))

    def _work(self, send) -> None:  # in the worker process
        try:
            for key, plan in self.missing.items():
                try:
                    self._draw(plan)
                    send.send(("done", key))
                except ReportError as exc:
                    send.send(("problems", exc.problems))
                    send.send(("done", key))
        except BaseException:  # a bug: hand the traceback to the parent
            send.send(("bug", traceback.format_exc()))
        finally:
            send.close()

    def wait(self, path: Path) -> None:
        """Block until the chart file at ``path`` is drawn (if it is one of ours)."""
        key = path.stem
        if path.parent != self.store or key not in self._pending:
            return
        while key in self._pending and self._receive is not None:
            if not self._receive.poll(WORKER_TIMEOUT):
                self.problems.append(self._too_slow(key))
                self._stop()
                break
            try:
                kind, value = self._receive.recv()
            except EOFError:  # it drew the charts in order: the first one not done
                culprit = next(k for k in self.missing if k in self._pending)
                self.problems.append(self._chart_problem(
                    culprit, "the chart worker process died drawing this chart",
                    "simplify the figure module or its data (vl-convert failed on it)"))
                self._stop()
                break
            if kind == "done":
                self._pending.discard(value)
            elif kind == "problems":
                self.problems += value
            else:  # raised by finish(): WeasyPrint would take it for a missing image
                self._bug = value
                self._stop()

    def finish(self) -> None:
        """Wait for every chart; raise the figure modules' problems, if any."""
        for key in list(self._pending):
            self.wait(self.store / f"{key}.svg")
        self._stop()
        if self._bug is not None:
            raise RuntimeError(f"chart worker failed:\n{self._bug}")
        if self.problems:
            raise ChartError(self.problems)

    def cancel(self) -> None:
        """Stop drawing (a later stage failed); raise nothing."""
        self._stop()

    def _stop(self) -> None:
        self._pending.clear()
        if self._process is not None:
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
            self._process = None


def _problem_in(path: Path, exc: Exception, where: str | None = None,
                hint: str | None = None) -> Problem:
    line = None
    if isinstance(exc, SyntaxError) and exc.filename \
            and Path(exc.filename).resolve() == path.resolve():
        line = exc.lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if line is None and Path(frame.filename).resolve() == path.resolve():
            line = frame.lineno
            break
    return Problem(f"{type(exc).__name__}: {exc}", path, line,
                   hint or "fix the figure module; it must return an Altair chart", where)


def _data_hint(exc: Exception, data: FigureData) -> str | None:
    """For a KeyError: what the figure's data does have."""
    if not isinstance(exc, KeyError):
        return None
    have = []
    if data.numbers:
        have.append("numbers " + ", ".join(data.numbers))
    if data.rows:
        have.append("series columns " + ", ".join(map(str, data.rows[0])))
    return ("the block's data has no " + repr(exc.args[0] if exc.args else "") + "; it has "
            + ("; ".join(have) or "no numbers and no series")
            + " — fix the module, the block's numbers:/series:, or the CSV header")


# Characters vl-convert cannot put in an SVG or a Vega expression: it fails, or
# aborts the whole process (a Rust panic), on control characters and U+FFFE.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_LINE_SEPARATORS = re.compile("[\u2028\u2029]")


def _svg_safe(value):
    """``value`` (a Vega-Lite spec) with every string cleaned of _UNSAFE characters."""
    if isinstance(value, str):
        return _LINE_SEPARATORS.sub(" ", _UNSAFE.sub("", value))
    if isinstance(value, dict):
        return {_svg_safe(key): _svg_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_svg_safe(item) for item in value]
    return value


def _data_url(spec) -> str | None:
    """The first URL a Vega-Lite spec loads data from, if any."""
    if isinstance(spec, dict):
        data = spec.get("data")
        if isinstance(data, dict) and isinstance(data.get("url"), str):
            return data["url"]
        values = spec.values()
    elif isinstance(spec, list):
        values = spec
    else:
        return None
    return next((url for url in map(_data_url, values) if url is not None), None)
