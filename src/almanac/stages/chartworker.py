"""The chart worker: a process of its own that draws the charts of builds.

``python -m almanac.stages.chartworker FD LIFELINE`` reads a
:class:`~.charts.Drawing` from its standard input, draws its plans in order and
reports each on the pipe ``FD`` (see :mod:`almanac.ipc`): ``("drawing", key)``
when it starts a chart, ``("done", key)`` when the chart's SVG is in the store,
``("engine", "ready")`` once vl-convert's JavaScript engine has started (before any
chart; or ``("engine-failed", reason)``), ``("problems", [Problem, ...])`` before
the ``done`` of a chart whose figure module failed, ``("bug", traceback)`` when
Almanac itself failed (then it ends), and ``("idle", None)`` after the last plan;
then it waits for the next drawing, and ends at the end of its standard input. It
ends at once when the pipe ``LIFELINE`` (which the build never writes) reaches its
end: the build closed it, or died (:mod:`~.chartpool`).

Everything with global state lives here: the figure modules (imported as a package
named after the hash of their sources, so they can import each other relatively),
Altair's theme registry (the brand theme is an Altair theme, so a module's own
``.configure_*()`` still wins) and vl-convert's JavaScript engine and font
registry. After each drawing the worker forgets the figure modules (the package,
its modules, their finder and source lines), and restores its environment
variables and current folder, so that the next drawing imports them afresh.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import linecache
import os
import re
import signal
import sys
import threading
import traceback
import types
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .. import ipc
from ..errors import ChartError, Problem, ReportError
from ..project.model import LINE_SEPARATORS
from .charts import Drawing, FigureData, Plan
from .output import write_file

if TYPE_CHECKING:
    from altair.theme import ConfigKwds
    from vl_convert import FormatLocale, TimeFormatLocale


def main(argv: list[str]) -> None:
    """The worker process: ``argv[1]`` is the file descriptor to report on,
    ``argv[2]`` its lifeline's."""
    # Ctrl-C on a terminal reaches the whole process group: the build it serves
    # decides what to stop (it ends this process, or its lifeline does)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    results = os.fdopen(int(argv[1]), "wb", buffering=0)
    threading.Thread(target=_lifeline, args=(int(argv[2]),), daemon=True).start()
    environment, folder = dict(os.environ), os.getcwd()
    while True:
        # Standard input is read unbuffered (os.read): a thread still blocked in a
        # buffered read would hold its lock and abort the interpreter's shutdown.
        try:
            drawing: Drawing = ipc.read(lambda size: os.read(0, size))
        except EOFError:  # the build (or the pool) is done with this worker
            return
        try:
            if not _serve(drawing, results):
                return
        except BrokenPipeError:  # the build stopped waiting: nothing to do
            return
        except BaseException:  # a bug: hand the traceback to the build
            with contextlib.suppress(BrokenPipeError):  # unless it stopped waiting
                results.write(ipc.frame(("bug", traceback.format_exc())))
            return
        finally:
            _forget(drawing, environment, folder)
        try:
            results.write(ipc.frame(("idle", None)))
        except BrokenPipeError:  # the build stopped waiting as the drawing ended
            return


def _serve(drawing: Drawing, results: Any) -> bool:
    """Draw the plans of ``drawing``, reporting on ``results``; False when the chart
    engine could not start (the worker then ends)."""
    worker = _Worker(drawing)
    try:
        worker.start_engine()
    except Exception as exc:  # the engine cannot start: not any figure module's fault
        results.write(ipc.frame(("engine-failed", f"{type(exc).__name__}: {exc}")))
        return False
    results.write(ipc.frame(("engine", "ready")))
    for plan in drawing.plans:
        results.write(ipc.frame(("drawing", plan.key)))
        try:
            svg = worker.draw(plan)
            write_file(drawing.store / f"{plan.key}.svg", svg.encode("utf-8"), drawing.root,
                       durable=False)
        except ReportError as exc:
            results.write(ipc.frame(("problems", exc.problems)))
        results.write(ipc.frame(("done", plan.key)))
    return True


def _forget(drawing: Drawing, environment: dict[str, str], folder: str) -> None:
    """Undo what a drawing's figure modules left in this process: their package and
    its modules, the finder that imports them, their lines in ``linecache``; the
    environment variables and the current folder as they were (``environment``,
    ``folder``); Altair's data transformer as it starts (``default``). The brand's
    Altair theme is registered again by each chart (:meth:`_Worker._spec`)."""
    package = drawing.package
    for name in [name for name in sys.modules
                 if name == package or name.startswith(package + ".")]:
        del sys.modules[name]
    sys.meta_path[:] = [finder for finder in sys.meta_path
                        if not isinstance(finder, _FigureSources)]
    for path in drawing.origins.values():
        linecache.cache.pop(str(path), None)
    if dict(os.environ) != environment:
        os.environ.clear()
        os.environ.update(environment)
    if os.getcwd() != folder:
        os.chdir(folder)
    altair = sys.modules.get("altair")
    if altair is not None:
        altair.data_transformers.enable("default")


def _lifeline(descriptor: int) -> None:
    """End the worker when its build, or the pool that keeps it, no longer needs it:
    the pipe ``descriptor`` is never written; it ends when the other process closes
    it, or dies and the system closes it. Even a figure module that hangs then
    leaves no process behind."""
    while os.read(descriptor, 1 << 16):
        pass
    os._exit(0)


_ENGINE: dict[str, bool] = {}
"""The font folders registered with vl-convert in this process (its font database
keeps them), by path; not empty once the engine has started."""


class _Worker:
    def __init__(self, drawing: Drawing):
        self.drawing = drawing

    def draw(self, plan: Plan) -> str:
        """The chart of ``plan`` as SVG text; a ChartError names the module and block."""
        path = self.drawing.module(plan.chart)
        block = f"{plan.chapter}: {plan.where}"
        spec = self._spec(path, block, plan.data)
        svg = self._convert(spec, path, block)
        box = self.drawing.theme.widths.box(plan.data)
        if _svg_width(svg) > box + 0.5 and not any(key in spec for key in CONCATENATIONS):
            # wider than its box, the page would scale it down and its text with it:
            # drawn again as wide as the box, the plot narrower and the text at the
            # brand's sizes (Vega-Lite autosize "fit-x", the width containing padding)
            fitted = {**spec, "width": box,
                      "autosize": {"type": "fit-x", "contains": "padding"}}
            svg = self._convert(fitted, path, block)
        return svg

    def _spec(self, path: Path, block: str, data: FigureData) -> dict:
        module = self._import(path)
        build = getattr(module, "build", None)
        if not callable(build):
            raise ChartError(Problem("figure module has no build(data, theme) function", path,
                                     hint="define def build(data, theme) -> alt.Chart"))
        import altair as alt

        theme = self.drawing.theme
        alt.theme.register("almanac", enable=True)(
            # the brand's Vega-Lite config, a plain dict; the stubs want the TypedDict
            lambda: alt.theme.ThemeConfig({"config": cast("ConfigKwds", theme.config)}))
        try:
            chart = build(data, theme)
            spec = chart.to_dict() if isinstance(chart, alt.TopLevelMixin) else None
        except Exception as exc:  # the figure module is report input: name its line
            raise ChartError(_problem_in(path, exc, block, _data_hint(exc, data))) from exc
        if spec is None:
            raise ChartError(Problem(
                f"build() returned {type(chart).__name__}, not an Altair chart", path,
                getattr(getattr(build, "__code__", None), "co_firstlineno", None),
                "return the chart it makes, e.g. return alt.Chart(...).mark_bar()...",
                block))
        url = _data_url(spec)
        if url is not None:
            raise ChartError(Problem(
                f"the chart reads its data from {url[:200]}; charts read no URLs or files",
                path, None, "give the data to the block as numbers: or series: (a CSV in "
                "the chapter folder) and use data.numbers or data.rows", block))
        spec = _svg_safe(spec)
        if data.illustrative and "title" not in spec:
            spec["title"] = {"text": self.drawing.illustrative.upper(),
                             "fontSize": theme.sizes.small, "fontWeight": 700,
                             "color": theme.colors["accent"], "anchor": "start"}
        return spec

    def _import(self, path: Path) -> types.ModuleType:
        """Import a figure module as part of the package of the figure modules, from
        the sources the build read (:class:`_FigureSources`), never from the folder."""
        package = self.drawing.package
        if package not in sys.modules:
            module = types.ModuleType(package)
            module.__path__ = []  # nothing is looked up in a folder
            sys.modules[package] = module
            sys.meta_path.insert(0, _FigureSources(package, self.drawing.origins,
                                                   self.drawing.sources))
        name = f"{package}.{path.stem}"
        if name in sys.modules:
            return sys.modules[name]
        if path.name not in self.drawing.sources:
            raise ChartError(Problem("figure module not found", path,
                                     hint="create it or fix the chart name"))
        try:
            return importlib.import_module(name)
        except Exception as exc:
            sys.modules.pop(name, None)
            raise ChartError(_problem_in(path, exc)) from exc

    def start_engine(self) -> None:
        """Start vl-convert's JavaScript engine with the brand's fonts, by drawing an
        empty chart: an engine that cannot start (an address-space limit smaller than
        the engine's reservation) fails here, before any figure module is blamed.

        The fonts are the brand's faces under the brand's names
        (:mod:`~almanac.stages.chartfonts`), registered before the first conversion:
        vl-convert's font database is the process's, and a chart drawn before a
        registration would be laid out without them."""
        import vl_convert

        if _ENGINE and all(str(folder) in _ENGINE for folder in self.drawing.font_folders):
            return  # started for an earlier drawing of the same fonts
        for folder in self.drawing.font_folders:
            if str(folder) not in _ENGINE:
                vl_convert.register_font_directory(str(folder))
        vl_convert.vegalite_to_svg({"mark": "point", "data": {"values": []}},
                                   allowed_base_urls=[])
        _ENGINE.update(dict.fromkeys(map(str, self.drawing.font_folders), True))

    def _convert(self, spec: dict, path: Path, block: str) -> str:
        import vl_convert

        if not _ENGINE:
            self.start_engine()
        # the d3 definitions the build made from CLDR (almanac.stages.chartlocale)
        number_locale, time_locale = self.drawing.locales
        try:
            return vl_convert.vegalite_to_svg(
                spec, format_locale=cast("FormatLocale", number_locale),
                time_format_locale=cast("TimeFormatLocale", time_locale),
                allowed_base_urls=[])
        except Exception as exc:  # vl-convert rejects the spec the figure module made
            lines = [line.strip() for line in str(exc).splitlines()]
            reason = next((line for line in lines[1:] if line and not line.startswith("at ")),
                          lines[0] if lines else type(exc).__name__)
            hint = "give the data as the block's numbers: or series:; charts read no URLs" \
                if "url not allowed" in reason.lower() else \
                "fix the chart the module builds (mark, encoding, data): it is not valid Vega-Lite"
            raise ChartError(Problem(f"Vega-Lite cannot draw the chart: {reason[:300]}", path,
                                     None, hint, block)) from exc


CONCATENATIONS = ("concat", "hconcat", "vconcat", "repeat", "facet")
"""Vega-Lite compositions for which autosize "fit" is not supported (Vega-Lite's
size documentation): their charts keep the widths their modules give."""


def _svg_width(svg: str) -> float:
    """The ``width`` of an SVG's root element, in px (0 when it has none)."""
    found = re.search(r'<svg[^>]*?\swidth="([\d.]+)', svg)
    return float(found.group(1)) if found else 0.0


class _FigureSources(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the modules of the figures package (``package.name``, also as
    ``from ._common import bars``) from the bytes the build read and checked
    (:func:`~almanac.project.files.read_bytes`), by the import protocol of PEP 451
    (``find_spec``, ``exec_module``): the worker opens no file of figures/, so a
    module swapped or linked after the check is never run. Tracebacks still show
    the module's lines (``linecache``), under its path in the project."""

    def __init__(self, package: str, origins: dict[str, Path], sources: dict[str, bytes]):
        self.prefix = package + "."
        self.origins = origins
        self.sources = sources

    def find_spec(self, name, path=None, target=None):
        stem = name.removeprefix(self.prefix)
        if stem == name or "." in stem or f"{stem}.py" not in self.sources:
            return None
        return importlib.util.spec_from_loader(name, self,
                                               origin=str(self.origins[f"{stem}.py"]))

    def create_module(self, spec):
        return None  # the default module

    def exec_module(self, module):
        spec = module.__spec__
        assert spec is not None and spec.origin is not None
        source = self.sources[Path(spec.origin).name]  # origins are named as sources
        module.__file__ = spec.origin
        linecache.cache[spec.origin] = (len(source), None,
                                        source.decode("utf-8", "replace").splitlines(True),
                                        spec.origin)
        exec(compile(source, spec.origin, "exec", dont_inherit=True), module.__dict__)


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


def _svg_safe(value: Any) -> Any:
    """``value`` (a Vega-Lite spec) with every string cleaned of _UNSAFE characters."""
    if isinstance(value, str):
        return LINE_SEPARATORS.sub(" ", _UNSAFE.sub("", value))
    if isinstance(value, dict):
        return {_svg_safe(key): _svg_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_svg_safe(item) for item in value]
    return value


def _data_url(spec: Any) -> str | None:
    """The first URL a Vega-Lite spec loads data from, if any."""
    if isinstance(spec, dict):
        data = spec.get("data")
        if isinstance(data, dict) and isinstance(data.get("url"), str):
            return data["url"]
        values: Iterable[Any] = spec.values()
    elif isinstance(spec, list):
        values = spec
    else:
        return None
    return next((url for url in map(_data_url, values) if url is not None), None)


if __name__ == "__main__":
    main(sys.argv)
