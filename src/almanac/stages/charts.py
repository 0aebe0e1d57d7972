"""Stage 2 — charts: each figure block becomes an SVG file in the chart store.

A figure module (``figures/<name>.py``) defines ``build(data: FigureData, theme:
Theme) -> alt.Chart``; vl-convert draws the chart as SVG. Each SVG is a file
named by a hash of everything that determines it — the figure modules' sources,
the block's data, the brand theme and its faces (as the chart engine is given
them, :mod:`~.chartfonts`), the locale's number and date definitions, the
currency, the time zone, the translations a module may use, the versions of
Altair and vl-convert — in ``.almanac-cache/charts/``, so the HTML can
name every chart before any is drawn, and an unchanged chart costs nothing.

Charts not in the store are drawn by a worker process (``chartworker``), an
interpreter of its own (fresh for the build, or a warm one of a pool that forgets
each build's figure modules: :mod:`~.chartpool`) that imports the figure modules,
Altair and vl-convert: none of them is ever imported by the process that
builds, so a build keeps no global state of theirs, is safe to run from a
threaded host, and a figure module that hangs or crashes costs the worker, not
the build. The worker draws in UTC, whatever the
machine's time zone (:data:`WORKER_ENVIRONMENT`: a date without a time is midnight
UTC to Vega, and in local time a month axis would put 2021-01-01 in December on a
machine west of Greenwich), so a chart's pixels are the same everywhere. The worker
draws in document order while this process lays out the document; the URL fetcher
waits (:meth:`ChartJob.wait`) before it reads a chart that is not drawn yet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import resource
import select
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path

from .. import ipc
from ..errors import ChartError, Problem
from ..project.checks import line_of
from ..project.colors import lighter
from ..project.files import Refused, read_bytes
from ..project.fontfaces import minus_for
from ..project.model import AMOUNTS, Chapter, FigureBlock, Number, Place, Report
from ..project.parts import CACHE, MANIFEST
from ..project.tables import parse_spec
from ..project.theme import FIGURES, folders
from ..project.theme import roots as theme_roots
from ..text.formatting import Formatter
from ..text.messages import catalogue, fill
from .brand import chart_base_px, chart_theme
from .chartdata import declared_kind
from .chartfonts import chart_fonts
from .chartlocale import chart_locales, resolve
from .chartpool import ChartProcess, ChartWorkers
from .guard import resident_bytes

CACHE_DIR = CACHE / "charts"
TIMEOUT = 300.0  # seconds for drawing all the charts a build lacks
MAX_MODULE_BYTES = 2**20  # a figure module is a few KB of code
CHART_MEMORY_MIB = 2048
"""Default limit of the chart worker's resident memory, MiB (a 10 000-point line chart
needs about 0.5 GiB)."""
WORKER_ENVIRONMENT = {"TZ": "UTC", "LC_ALL": "C.UTF-8"}
"""What the chart worker's environment sets over the build's: the time zone of its
JavaScript engine and of Python (POSIX ``TZ``; a chart is drawn in UTC) and the
locale of its C library and ICU (``LC_ALL``; the chart's own locale is the report's,
given to vl-convert), so that nothing of the machine shows in a chart."""


@dataclass(frozen=True)
class Value:
    """A number as a figure module sees it."""

    value: float
    unit: str
    label: str | None
    text: str  # formatted for the report's locale, e.g. "€6.2 million" in English


@dataclass(frozen=True)
class FigureData:
    """What a figure module gets: the numbers and series its block names.

    ``rows`` are the series' rows, typed by column (:mod:`almanac.project.tables`:
    whole numbers and years as int, other numbers as float, codes and text as str,
    dates as ``datetime.date``, empty cells None); ``columns`` gives each column's
    kind as a series declares it (``{"year": "year", "share": "percent(1)"}``), the
    decimals only where the series fixes them (a column it does not declare is its
    inferred kind alone, ``decimal``: the table prints it with its most precise
    cell's decimals, a chart's axis as few as each tick needs);
    ``texts`` are the same rows as a table prints them, formatted for the report's
    locale (``"1.250"``, ``"6,3%"``, ``"2021"`` in Dutch), for labels a module prints beside
    a mark; empty cells are empty text. ``member`` is a family member's fields by the
    member table's column names, and ``key`` (None for a report that is no family's):
    part of the chart's cache key where a figure module names ``member``."""

    numbers: dict[str, Value]
    labels: dict[str, str]
    rows: list[dict]
    illustrative: bool
    caption: str
    texts: list[dict] = field(default_factory=list)
    width: str = "column"  # the block's width: column or full
    columns: dict[str, str] = field(default_factory=dict)
    member: dict | None = None


@dataclass(frozen=True)
class Sizes:
    """Chart text sizes in CSS px (a chart is laid out at 96 px per inch), from the
    brand's type scale (``type.base_size_pt``, ``type.ratio``; base = the body size):
    ``small`` base ÷ ratio (notes, the sample-data label), ``label`` 0.85 × base (axis
    and category labels, as the chart theme's axes), ``value`` 0.95 × base (a value
    printed at a mark, as the theme's text marks), ``large`` 1.05 × base (the one
    value a column chart is about)."""

    small: float
    label: float
    value: float
    large: float


@dataclass(frozen=True)
class Widths:
    """Widths of a chart's plot area in CSS px, to fit the figure's box (a chart whose
    axes and labels make it wider than its box is drawn again as wide as the box, its
    plot narrower, so that its text keeps the brand's sizes): ``column`` for a
    figure in the text column (``width: column``, the default; 114 mm is 431 px),
    ``compact`` for a small chart in it (a few bars, two columns), ``full`` for the
    full text width (``width: full``, 166 mm of an A4 page)."""

    compact: int = 300
    column: int = 420
    full: int = 600
    column_box: int = 431  # 114 mm: .chart-column's max-width (styles/components.css)
    full_box: int = 627  # 166 mm: the text width of an A4 page
    illustrative_rule: int = 11  # 3 mm: the accent rule and gap before an illustrative
    # chart (.chart.illustrative img: border-left 1 mm, padding-left 2 mm)

    def box(self, data: FigureData) -> int:
        """The width in CSS px a figure's chart may take in its box, less the rule
        before an illustrative one: a chart wider than that is drawn again to fit it
        (the chart worker), so that the page never scales it, nor its text, down, and
        it never runs past the text area."""
        box = self.full_box if data.width == "full" else self.column_box
        return box - self.illustrative_rule if data.illustrative else box


@dataclass(frozen=True)
class Theme:
    """Brand tokens for figure modules (``build(data, theme)``), so that a module
    has no sizes, colours or number formats of its own:

    - ``colors``: every brand role by name (``theme.colors["primary"]``), and the
      chart palette as ``chart_1`` … ``chart_n``;
    - ``palette``: the chart palette in order; :meth:`series` gives n colours of it;
      :meth:`ramp` n steps of the primary colour from light to full;
    - ``sizes`` (:class:`Sizes`) and ``widths`` (:class:`Widths`);
    - :meth:`format` a value as the report prints numbers, :meth:`category` a
      series cell as a category label, :meth:`number_format`
      the matching d3-format string for Vega-Lite axes and text marks (vl-convert
      formats them with the report's locale and currency);
    - ``language``: the report's language as report.yaml gives it (``en``,
      ``sr-Latn``); ``locale``: the tag of its region, as numbers and dates follow
      it (``en-US``; :func:`~almanac.stages.chartlocale.locale_tag`), for a module
      that formats with Babel itself; ``currency``: the report's ISO 4217 code;
    - :meth:`gettext` a message in the report's language, from the catalogues
      (Almanac's own and the project's ``locale/<tag>.po``), so that one module
      serves every language: ``theme.gettext("Cases per year")``,
      ``theme.gettext("%(count)s cases", count=12)``; ``messages`` is that table,
      ``{msgid: text}``;
    - ``minus``: the character printed for U+2212 MINUS SIGN when the brand's fonts
      lack it (``"-"``; :func:`~almanac.project.fontfaces.minus_for`), else None;
    - ``config``: the Vega-Lite config every chart gets (``chart_theme``).
    """

    colors: dict[str, str]
    palette: list[str]
    font: str
    config: dict = field(repr=False)
    sizes: Sizes = Sizes(10.1, 10.8, 12.0, 13.3)
    widths: Widths = Widths()
    language: str = "nl"
    locale: str = ""
    currency: str = "EUR"
    messages: dict[str, str] = field(default_factory=dict, repr=False)
    minus: str | None = None

    def gettext(self, message: str, **values: object) -> str:
        """``message`` (an English msgid, as gettext has it) in the report's language:
        its translation in :attr:`messages` (a project's ``locale/<tag>.po`` first,
        then Almanac's catalogue of the language; :func:`almanac.text.messages.catalogue`),
        else the message itself, gettext's own fallback. ``%(name)s`` placeholders
        are filled from ``values`` (Python's ``%`` formatting, as gettext's
        python-format; a literal ``%`` in a translation is written ``%%``, as in a
        template: :func:`almanac.text.messages.fill`); an untranslated message without
        values is returned as it is."""
        return fill(message, self.messages.get(message) or message, values)

    def width(self, data: FigureData, compact: bool = False) -> int:
        """The plot width for the figure of ``data`` (:class:`Widths`): ``full`` for a
        block of ``width: full``, else ``column``, or ``compact`` when asked."""
        if data.width == "full":
            return self.widths.full
        return self.widths.compact if compact else self.widths.column

    def series(self, count: int) -> list[str]:
        """``count`` colours for as many series: the chart palette in order, from its
        start again when there are more series than colours."""
        return [self.palette[index % len(self.palette)] for index in range(count)]

    def ramp(self, count: int) -> list[str]:
        """``count`` steps of the primary colour, light to full (the last is
        ``primary``), for values in sequence (before and after, a ramp of classes):
        lightened in OKLCH (:func:`~almanac.project.colors.lighter`) by 0.6 at the
        lightest, in even steps."""
        primary = self.colors["primary"]
        if count <= 1:
            return [primary][:count]
        return [lighter(primary, 0.6 * (count - 1 - step) / (count - 1))
                for step in range(count)]

    def format(self, value: float, unit: str = "decimal", decimals: int | None = None) -> str:
        """``value`` as the report prints a number of ``unit`` (count, decimal,
        percent, currency — ``eur`` is the same —;
        :class:`~almanac.text.formatting.Formatter`), in the report's language and
        currency: ``"€6.2 million"``, ``"6.3%"``, ``"1,250"`` in English;
        ``decimals`` fixed, else as few as the value needs."""
        number = Number(value=value if unit != "count" else round(value), unit=unit,
                        decimals=decimals)
        return self._formatter().number(number)

    def _formatter(self) -> Formatter:
        return Formatter(self.language, self.currency, self.minus)

    def category(self, cell: object) -> str:
        """A series cell used as a category (a year, a code, a name) as its label: a
        whole number without a thousands separator (``2017``, not ``2.017``: it
        names, it does not count), another number with the locale's decimal sign,
        a date in the locale's medium form, text as it is."""
        if isinstance(cell, int) and not isinstance(cell, bool):
            return str(cell)
        if isinstance(cell, float) and cell.is_integer():
            return str(int(cell))
        if isinstance(cell, float):
            return self._formatter().decimal(cell)
        if isinstance(cell, dt.date):
            return self._formatter().date(cell, "medium")
        return "" if cell is None else str(cell)

    def number_format(self, unit: str = "count", decimals: int | None = None) -> str:
        """A d3-format string (Vega-Lite ``format``) for axis labels or text marks of
        ``unit``, a unit of a number or the kind of a series' column as
        ``FigureData.columns`` gives it (``count``, ``decimal(1)``, ``percent``): whole
        numbers with the locale's thousands separator for ``count`` (``",d"``); an amount
        (``currency``, ``eur``) in the report's currency as the locale's pattern places
        it, whole (``"$,.0f"``: d3-format's ``$`` is the locale's currency, which is the
        report's; :func:`~almanac.stages.chartlocale.format_definition`); any other
        number grouped, with at most ``decimals`` — by default the column's own
        (``decimal(2)``: ``",.2~f"``) — and no more than each value needs (d3-format's
        ``~`` trims insignificant trailing zeros, so the ticks of an axis read ``0``,
        ``250,000``, ``2.5``, not ``0.00``), as many as the value needs where no
        decimals are known (``",~f"``). The values are numbers as the data holds them:
        a percentage is printed without its sign."""
        kind, declared = parse_spec(unit) if unit not in AMOUNTS else (unit, None)
        if kind == "count":
            return ",d"
        if kind in AMOUNTS:
            return "$,.0f"
        decimals = declared if decimals is None else decimals
        return ",~f" if decimals is None else f",.{decimals}~f"


@dataclass(frozen=True)
class Plan:
    """One chart to draw: its block (by chapter and location), data and store key."""

    chapter: str  # the chapter's slug
    where: str  # e.g. "sections[2].blocks[4]"
    chart: str  # the figure module's name
    data: FigureData
    key: str  # the SVG's name in the store


@dataclass(frozen=True)
class Drawing:
    """What the chart worker needs: everything is data, so it pickles."""

    root: Path
    store: Path
    origins: dict[str, Path]  # each figure module's file, by file name
    package: str  # a package name unique to the figure modules' sources
    theme: Theme
    language: str
    illustrative: str  # the title of a chart of illustrative data, in the report's language
    locales: tuple[dict, dict]  # d3's number and time format locale definitions
    font_folders: list[Path]  # registered with the chart engine before it draws
    sources: dict[str, bytes]  # the figure modules by file name, read by the build
    plans: list[Plan]

    def module(self, chart: str) -> Path:
        """The file of the figure module ``chart``: where it was read, or where the
        project would have it."""
        return self.origins.get(f"{chart}.py") or self.root / FIGURES / f"{chart}.py"


def make_theme(report: Report) -> Theme:
    """The brand, locale and messages as a figure module's ``theme`` argument
    (:class:`Theme`); a ReportError for a project catalogue (``locale/<tag>.po``)
    that cannot be read."""
    colors = {name: c.hex for name, c in report.brand.colors if not isinstance(c, list)}
    palette = [c.hex for c in report.brand.colors.chart]
    colors.update({f"chart_{index}": value for index, value in enumerate(palette, 1)})
    base = chart_base_px(report.brand)
    sizes = Sizes(small=round(base / report.brand.type.ratio, 2), label=round(base * 0.85, 2),
                  value=round(base * 0.95, 2), large=round(base * 1.05, 2))
    manifest = report.manifest
    messages = catalogue(manifest.language, report.root, theme_roots(report.root)).table()
    return Theme(colors=colors, palette=palette, font=report.brand.fonts.body.family,
                 config=chart_theme(report.brand), sizes=sizes, language=manifest.language,
                 locale=resolve(manifest.language).tag, currency=manifest.currency,
                 messages=messages, minus=minus_for(report.brand, report.brand_path.parent))


def figure_blocks(report: Report) -> Iterator[tuple[Chapter, FigureBlock]]:
    """Every figure block of the report with its chapter, in document order."""
    for chapter in report.chapters:
        for section in chapter.data.sections:
            for block in section.blocks:
                if isinstance(block, FigureBlock):
                    yield chapter, block


def figure_data(report: Report, chapter: Chapter, block: FigureBlock,
                fmt: Formatter) -> FigureData:
    """The numbers and series a figure block names, typed and formatted."""
    numbers = {}
    for key in block.numbers:
        number = report.number(key)
        numbers[key] = Value(*number.resolved, number.label, fmt.number(number))
    rows: list[dict] = []
    texts: list[dict] = []
    columns: dict[str, str] = {}
    illustrative = False
    if block.series:
        series = chapter.series[block.series]
        rows = [dict(row) for row in series.rows]
        illustrative = chapter.data.series[block.series].illustrative
        columns = {column.name: column.spec for column in series.columns}
        texts = [{column.name: fmt.cell(row.get(column.name), column)
                  for column in series.columns} for row in series.rows]
    return FigureData(numbers=numbers, labels=dict(block.labels), rows=rows,
                      illustrative=illustrative, caption=block.caption, texts=texts,
                      width=block.width, columns=columns,
                      member=report.member.visible() if report.member is not None else None)


def _sources(root: Path) -> tuple[dict[str, bytes], dict[str, Path]]:
    """Every figure module on the search path — the project's ``figures/``, then the
    built-in theme's generic ones — by file name, a project's module overriding the
    theme's of the same name (any can import another: all count for the hash, and
    the worker imports them from these bytes, never from a folder); and where each
    was read. Each is read as every project file is
    (:func:`~almanac.project.files.read_bytes`: a regular file inside the project or
    the theme, at most MAX_MODULE_BYTES), so a module, or the whole ``figures/``,
    linked to a file elsewhere is a :class:`ChartError`, not code that runs."""
    sources: dict[str, bytes] = {}
    origins: dict[str, Path] = {}
    problems = []
    allowed = theme_roots(root)
    for folder in folders(root, FIGURES):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.py")):
            if path.name in sources or path.name in origins:
                continue  # the project's module of this name comes first
            origins[path.name] = path
            try:
                sources[path.name] = read_bytes(path, allowed, MAX_MODULE_BYTES,
                                                "move data into the chapter's series")
            except Refused as exc:
                problems.append(Problem(f"figure module {exc.reason}", path, hint=exc.hint))
    if problems:
        raise ChartError(problems)
    return sources, origins


def locale_notes(report: Report) -> list[str]:
    """What a build tells about the locale of ``report``'s numbers, dates and charts
    (:func:`~almanac.stages.chartlocale.resolve`): a region inferred where the
    language's regions write differently, a fallback to another locale; each as a
    warning on the line of report.yaml's ``language:`` (``languages:`` in a report
    that lists its languages), whose fix it names."""
    language = report.manifest.language
    key = "languages" if report.manifest.languages else "language"
    manifest = report.root / MANIFEST
    line = line_of(manifest, rf"^{key}\s*:")
    return [Problem(f"{language}: {note}", manifest, line, None, key).format(report.root)
            for note in resolve(language, report.manifest.languages).notes]


class ChartJob:
    """The charts of one build: planned at once, drawn in a worker process.

    ``cache=False`` draws every chart again (``--no-cache``); ``timeout`` bounds
    the drawing of all of them (seconds). Problems of the figure modules are
    raised by :meth:`finish` as one :class:`ChartError`. ``notes`` are what the
    build should say about the charts' locale (:func:`locale_notes`): warnings that
    do not stop a build.

    ``workers`` lends the build a warm chart worker from a pool
    (:class:`~.chartpool.ChartWorkers`), given back when every chart was drawn and
    nothing went wrong; without one, the build starts a worker of its own and ends it
    when done.
    """

    def __init__(self, report: Report, fmt: Formatter, *, cache: bool = True,
                 timeout: float = TIMEOUT, memory_mib: int = CHART_MEMORY_MIB,
                 workers: ChartWorkers | None = None):
        self.root = report.root
        self._pool = workers
        self.store = report.root / CACHE_DIR
        self.timeout = timeout
        self.memory_mib = memory_mib
        sources, origins = _sources(report.root)
        digest = hashlib.sha256()
        for name, source in sources.items():
            digest.update(name.encode() + b"\0" + source + b"\0")
        theme = make_theme(report)  # with the report's catalogue, read once
        # Translators: the mark of a chart or table whose data are not from the report's
        # sources (a chart prints it in capitals as its title).
        illustrative = theme.gettext("Illustrative data")
        # the brand's faces under the brand's names, as WeasyPrint has them (chartfonts)
        self.fonts = chart_fonts(report.brand, report.brand_path, report.root, self.store)
        locales = chart_locales(report.manifest.language, report.manifest.currency,
                                theme.minus)
        self.notes = locale_notes(report)
        # everything that changes a chart's pixels: the theme (with the locale, currency
        # and messages a module sees), the d3 locales, the time zone, the font files, and
        # the words the chart prints itself
        stamp = {"altair": version("altair"), "vl-convert": version("vl-convert-python"),
                 "theme": asdict(theme), "sources": digest.hexdigest(), "format": 9,
                 "language": report.manifest.language, "locales": locales,
                 "currency": report.manifest.currency, "environment": WORKER_ENVIRONMENT,
                 "fonts": self.fonts.folder.name, "illustrative": illustrative}
        # a family member's fields count only where a figure module may read them (its
        # source names them): the members of a family share the charts of equal data
        members = any(b"member" in source for source in sources.values())
        self.plans: dict[Place, Plan] = {}
        for chapter, block in figure_blocks(report):
            data = figure_data(report, chapter, block, fmt)
            drawn = asdict(data) if members else {**asdict(data), "member": None}
            key = hashlib.sha256(json.dumps(
                {"chart": block.chart, "data": drawn, **stamp}, sort_keys=True,
                default=str).encode()).hexdigest()
            self.plans[block.place] = Plan(chapter.slug, block.where, block.chart, data, key)
        self.kinds: dict[str, str | None] = {}  # what each module used declares it draws
        problems = []
        for plan in self.plans.values():
            name = f"{plan.chart}.py"
            if plan.chart in self.kinds or name not in sources:
                continue
            self.kinds[plan.chart], problem = declared_kind(sources[name], origins[name])
            problems += [problem] if problem is not None else []
        if problems:
            raise ChartError(problems)
        self.missing: dict[str, Plan] = {}  # by key, in document order
        for plan in self.plans.values():
            if not (cache and (self.store / f"{plan.key}.svg").is_file()):
                self.missing.setdefault(plan.key, plan)
        self._drawing = Drawing(
            root=report.root, store=self.store, origins=origins,
            package=f"almanac_figures_{digest.hexdigest()[:16]}", theme=theme,
            language=report.manifest.language, illustrative=illustrative, locales=locales,
            font_folders=[self.fonts.folder], sources=sources,
            plans=list(self.missing.values()))
        self._pending: dict[str, None] = {}  # keys not drawn yet, in drawing order
        self._drawing_now: str | None = None  # the key the worker said it is drawing
        self._failed: set[str] = set()  # keys that could not be drawn
        self._worker: ChartProcess | None = None
        self._results: io.FileIO | None = None  # the worker's end of the pipe, read here
        self._deadline = 0.0
        self._bug: str | None = None  # a traceback from the worker: raised by finish()
        self._engine_ready = False  # the worker said its chart engine has started
        self._killed_for = ""  # why the memory watch killed the worker
        self._watchers: list[threading.Thread] = []
        self._watching = threading.Event()  # set: the memory watch stops
        self._brand = report.brand_path
        self.problems: list[Problem] = []

    def url(self, block: FigureBlock) -> str:
        """The chart's file as a ``file:`` URL, as the HTML names it (as it names the
        stylesheets and fonts, so the HTML shows its charts wherever it is saved)."""
        return (self.store / f"{self.plans[block.place].key}.svg").as_uri()

    def data(self, block: FigureBlock) -> FigureData:
        """The data the figure module of ``block`` is given (:func:`figure_data`)."""
        return self.plans[block.place].data

    def drawing(self) -> list[str]:
        """The charts this job draws (none came from the store), as ``file:`` URLs as
        :meth:`url` names them: images the typesetting may read later
        (:mod:`.deferred`), waiting for each in :meth:`wait`."""
        return [(self.store / f"{key}.svg").as_uri() for key in self.missing]

    def kind(self, block: FigureBlock) -> str | None:
        """What the figure module of ``block`` declares it draws (``KIND = "bar"``:
        :func:`~.chartdata.declared_kind`), None when it does not say."""
        return self.kinds.get(block.chart)

    def svg(self, block: FigureBlock) -> str:
        """The drawn chart of ``block`` (after :meth:`finish`)."""
        return (self.store / f"{self.plans[block.place].key}.svg").read_text(encoding="utf-8")

    def written(self, image: str, text: str) -> tuple[Path, int | None] | None:
        """Where a chart of this job writes ``text`` (a font family it asks for):
        for the chart image named ``image`` (``<key>.svg``, as :meth:`url` names it),
        its figure module and the first line of it that has ``text`` as a string
        literal (``'text'`` or ``"text"``), else the first such line of another figure
        module (a helper it imports), else no line; None when ``image`` is not a
        chart of this job. Searched in the sources the build read, not the files."""
        plan = next((plan for plan in self.plans.values() if f"{plan.key}.svg" == image),
                    None)
        if plan is None:
            return None
        module = self._drawing.module(plan.chart)
        literal = re.compile(rf"""['"]{re.escape(text)}['"]""")
        named = [name for name, path in self._drawing.origins.items() if path == module]
        for name in named + [name for name in self._drawing.sources if name not in named]:
            lines = self._drawing.sources[name].decode("utf-8", "replace").splitlines()
            found = next((number for number, line in enumerate(lines, 1)
                          if literal.search(line)), None)
            if found is not None:
                return self._drawing.origins[name], found
        return module, None

    @property
    def cached(self) -> int:
        """How many of the report's charts came from the store."""
        return len(self.plans) - sum(1 for plan in self.plans.values()
                                     if plan.key in self.missing)

    def start(self) -> None:
        """Start drawing the missing charts in a worker process (a warm one of the
        pool, if the job has one); returns at once."""
        if not self.missing:
            return
        self.fonts.write(self.root)
        environment = {**os.environ, **WORKER_ENVIRONMENT}
        fonts = str(self.fonts.folder)
        self._worker = self._pool.take(environment, fonts) if self._pool is not None \
            else ChartProcess(environment, fonts)
        self._worker.tail = []  # what it writes from now on: this build's
        self._results = self._worker.results
        self._watching = threading.Event()
        self._watchers = [threading.Thread(target=self._watch_memory,
                                           args=(self._worker, self._watching), daemon=True,
                                           name="almanac-chart-watch-memory")]
        for watcher in self._watchers:
            watcher.start()
        self._pending = dict.fromkeys(self.missing)
        self._deadline = time.monotonic() + self.timeout
        self._worker.send(self._drawing)

    def wait(self, path: Path) -> bool:
        """Block until the chart file at ``path`` is drawn, if it is one of ours.

        False when it could not be drawn (its figure module failed, the worker died
        or ran out of time): the document cannot be made, and the URL fetcher stops
        the typesetting at once; :meth:`finish` then says why."""
        key = path.stem
        if path.parent != self.store:
            return True
        self._await(key)
        return key not in self._failed

    def wait_all(self) -> bool:
        """Block until every chart is drawn; False when one could not be (:meth:`finish`
        then says why). After it, :meth:`wait` returns at once, also in a process
        forked from this one."""
        for key in list(self._pending):
            self._await(key)
        return not self._failed and not self.problems

    def _await(self, key: str) -> None:
        if key not in self._pending:
            return
        while key in self._pending and self._results is not None:
            left = self._deadline - time.monotonic()
            # in slices: a typesetting limit (stages.guard) can stop a wait between them
            if left > 0 and not select.select([self._results], [], [], min(left, 0.25))[0]:
                continue
            if left <= 0:
                self.problems.append(self._problem(
                    self._drawing_now or next(iter(self._pending)),
                    f"drawing the charts took over {self.timeout:g} s",
                    "simplify the figure module or its data"))
                self._stop()
                break
            try:
                kind, value = ipc.read(self._results.read)
            except EOFError:  # it died drawing the chart it named last
                self.problems.append(self._death())
                self._stop()
                break
            if kind == "engine":
                self._engine_ready = True
            elif kind == "engine-failed":
                self.problems.append(self._engine_problem(value))
                self._stop()
                break
            elif kind == "drawing":
                self._drawing_now = value
            elif kind == "done":
                self._pending.pop(value, None)
            elif kind == "problems":
                self.problems += value
                self._failed.add(self._drawing_now or "")
            else:  # raised by finish(): WeasyPrint would take it for a missing image
                self._bug = value
                self._stop()

    def finish(self) -> None:
        """Wait for every chart; raise the figure modules' problems, if any."""
        for key in list(self._pending):
            self._await(key)
        self._stop()
        if self._bug is not None:
            raise RuntimeError(f"chart worker failed:\n{self._bug}")
        if self.problems:
            raise ChartError(self.problems)

    def cancel(self) -> None:
        """Stop drawing (a later stage failed); raise nothing. A worker of the pool is
        ended, not given back."""
        self._stop(cancel=True)

    def _watch_memory(self, worker: ChartProcess, stop: threading.Event) -> None:
        """Kill the worker when its resident memory passes the limit (a runaway chart
        costs the worker, not the machine); polled every 0.1 s while this job has it."""
        limit = self.memory_mib * 2**20
        while not stop.is_set() and worker.alive():
            resident = resident_bytes(worker.pid)
            if resident > limit:
                self._killed_for = (f"the chart worker used {resident / 2**20:,.0f} MiB of "
                                    f"memory; the limit is {self.memory_mib:,} MiB")
                worker.popen.kill()
                return
            stop.wait(0.1)

    def _death(self) -> Problem:
        """Why the worker died, blaming what caused it: the memory limit, the engine
        that could not start, a panic of the engine, or the chart it was drawing."""
        if self._killed_for:
            return self._problem(self._drawing_now or next(iter(self._pending)),
                                 self._killed_for, "simplify the chart (fewer points or "
                                 "layers), or raise the limit: --chart-memory-limit MIB "
                                 "(BuildOptions.chart_memory_mib)")
        self._settle()
        panic = self._panic()
        if not self._engine_ready:
            return self._engine_problem(panic or self._signal())
        key = self._drawing_now or next(iter(self._pending))
        if panic is None:
            return self._problem(key, "the chart worker process died drawing this chart"
                                 f" ({self._signal()})",
                                 "simplify the figure module or its data "
                                 "(vl-convert failed on it)")
        family = self._drawing.theme.font
        if any(character in family for character in '"<>&\''):
            return Problem(f"the chart engine (vl-convert) failed on the brand's font family "
                           f"{family!r}: {panic}", self._brand, None,
                           "use a font family name without quotes or <, >, &",
                           "fonts")
        return self._problem(key, f"the chart engine (vl-convert) failed drawing this chart: "
                             f"{panic}", "look for characters or values in the chart's "
                             "text, labels and theme that an SVG cannot hold")

    def _settle(self) -> None:
        """Wait (briefly) for the dead worker's last words on its standard error."""
        if self._worker is not None:
            try:
                self._worker.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                return
            self._worker.join_relay(timeout=5)
        for watcher in self._watchers:
            watcher.join(timeout=5)

    def _panic(self) -> str | None:
        """The message of a Rust panic (``thread '…' panicked at FILE:\nMESSAGE``) or a
        fatal V8 error (``# Fatal …``) in what the worker wrote, if any."""
        tail = self._worker.tail if self._worker is not None else []
        lines = [line.decode("utf-8", "replace").strip() for line in tail]
        for number, line in enumerate(lines):
            if " panicked at " in line and number + 1 < len(lines):
                return lines[number + 1][:300]
            if line.startswith("# Fatal "):
                return line[2:300]
        return None

    def _signal(self) -> str:
        code = self._worker.popen.returncode if self._worker is not None else None
        if code is None:
            return "no exit status"
        if code < 0:
            try:
                return f"signal {signal.Signals(-code).name}"
            except ValueError:
                return f"signal {-code}"
        return f"exit status {code}"

    def _engine_problem(self, reason: str) -> Problem:
        """The chart engine could not start: say why, and what limits it, not a figure."""
        hint = "see the reason above; the charts need vl-convert's JavaScript engine"
        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit != resource.RLIM_INFINITY:
            reason = reason.rstrip(".") + (
                f"; this process has an address-space limit (ulimit -v) of "
                f"{limit / 2**30:.1f} GiB, less than the engine reserves as it starts")
            hint = ("remove the address-space limit (ulimit -v unlimited): it counts reserved, "
                    "not used, memory; the chart worker's memory is bounded by "
                    "--chart-memory-limit MIB instead")
        return Problem(f"the chart engine (vl-convert) could not start: {reason}", None, None,
                       hint)

    def _problem(self, key: str, message: str, hint: str) -> Problem:
        """A problem with the chart ``key``, naming its figure module and block."""
        plan = self.missing[key]
        return Problem(message, self._drawing.module(plan.chart), None, hint,
                       f"{plan.chapter}: {plan.where}")

    def _stop(self, cancel: bool = False) -> None:
        """Be done with the worker: give it back to the pool when it drew everything
        without a problem and said it is idle (never when ``cancel``); else end it,
        at once unless it has drawn everything."""
        done = not self._pending
        self._failed.update(self._pending)  # what is not drawn now never will be
        self._pending.clear()
        self._watching.set()
        for watcher in self._watchers:  # the memory watch ends with this job
            watcher.join(timeout=5)
        self._watchers = []
        worker, self._worker, self._results = self._worker, None, None
        if worker is None:
            return
        if self._pool is not None and done and not cancel and not self._failed \
                and not self.problems and self._bug is None and not self._killed_for \
                and worker.idle():
            self._pool.give(worker, self.memory_mib * 2**20)
        else:
            worker.close(wait=5 if done else 0)
