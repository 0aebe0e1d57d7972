"""Stage 3 — render: the report and its charts → one HTML document (Jinja2).

Templates and stylesheets are looked up most specific first
(:mod:`almanac.project.theme`): ``chapters/<slug>/chapter.html`` → the project's
``layout/`` and ``styles/`` → the built-in theme; an override extends the original
as ``almanac/chapter.html``. Autoescape is on and undefined names are errors:
data never becomes markup unless it went through the Markdown renderer.

Every word the templates write themselves is a message of the report's language
(:mod:`almanac.text.messages`), through Jinja2's i18n extension: ``{{ _("Contents")
}}``, ``{{ _("Version %(version)s", version=v) }}``, ``{% trans %}``. The words of
the running heads and footers, which the stylesheets place, are CSS custom
properties the document head defines (:func:`label_css`).
"""

from __future__ import annotations

import base64
import re
import types
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup, escape

from ..errors import Problem, TemplateError
from ..project import theme
from ..project.checks import TARGET_KINDS
from ..project.files import Refused, Roots, read_bytes
from ..project.fontfaces import brand_faces, match_face, text_width
from ..project.model import (
    LINE_SEPARATORS,
    Chapter,
    FigureBlock,
    Photo,
    Place,
    Placed,
    Report,
    ResultsBlock,
    TableBlock,
    references,
)
from ..project.parts import CACHE, CHAPTERS
from ..project.theme import LAYOUT, STYLES, brand_file
from ..text.formatting import Parts, report_formatter
from ..text.messages import N_, Catalogue, catalogue, css_content, css_string
from ..text.prose import Prose
from . import photos
from .brand import cmyk_of, display_weight, output_profile, raster_for_print, svg_for_print
from .breaks import Splits
from .chartdata import DataTable, alt_text, data_table, table_anchor
from .charts import ChartJob, figure_blocks
from .fetcher import MAX_RESOURCE_BYTES
from .guard import Guard, Limits
from .variants import Variant

PHOTO_CACHE = CACHE / "photos"
"""Where the duotones of real images are kept, each named by a hash of what makes it."""
STYLESHEETS = ("pages.css", "typography.css", "components.css")
"""The stylesheets every layout uses, in cascade order, each looked up on the
search path (the project's ``styles/``, then the built-in theme's)."""
# Text longer than this without a space gets a break opportunity (U+200B) every
# LONG_WORD // 2 characters: hyphenating one long word costs WeasyPrint time that
# grows with the square of its length (minutes for 10 000 characters).
LONG_WORD = 100
_TEXT_RUNS = re.compile(r"(<(style|script|title)\b.*?</\2\s*>|<!--.*?-->|<[^>]*>)"
                        r"|([^\s<>&]{" + str(LONG_WORD) + ",})", re.DOTALL | re.IGNORECASE)
ASIDES = ("kpis", "facts")  # blocks set beside the text, attached to the block that follows
STATUS_TEXT = {
    # Translators: the status of a result in the results table: its target was met.
    "achieved": N_("achieved"),
    # Translators: the status of a result in the results table: its target was met in part.
    "partly": N_("partly achieved"),
    # Translators: the status of a result in the results table: its target was not met.
    "not-achieved": N_("not achieved"),
    # Translators: the status of a result in the results table: the report does not say
    # whether its target was met.
    "unknown": N_("unknown"),
}
"""The words of a result's status (:data:`almanac.project.model.STATUSES`, the
language-neutral keys the data writes), translated where they are printed."""


def flow(blocks) -> tuple[list, list[list]]:
    """Split a section's blocks into leading asides and groups for the page flow.

    Asides (KPI tiles, sidebars) that open a section are set before its heading,
    floating beside it, so the heading stays in the flow next to its text and is
    never stranded at the foot of a page. Every other aside travels with the
    block that follows it.
    """
    blocks = list(blocks)
    leading = []
    while blocks and blocks[0].type in ASIDES:
        leading.append(blocks.pop(0))
    groups, pending = [], []
    for block in blocks:
        pending.append(block)
        if block.type not in ASIDES:
            groups.append(pending)
            pending = []
    if pending:
        groups.append(pending)
    return leading, groups


FOOTNOTE_SYMBOLS = 6
"""How many notes of a chapter the theme marks with symbols (``* † ‡ § ‖ ¶``, the
``footnote-symbols`` counter style of styles/components.css): a chapter with more is
numbered instead (:func:`footnote_count`), as a typesetter numbers notes once the
traditional symbols run out."""


def footnote_count(chapter: Chapter) -> int:
    """How many footnote calls (``[^key]`` in prose) the chapter makes: each call is a
    note at the foot of its page."""
    return sum(1 for section in chapter.data.sections for block in section.blocks
               if block.type == "prose"
               for kind, _ in references(getattr(block, "text", "")) if kind == "footnote")


@dataclass(frozen=True)
class Rendered:
    """The render stage's output: one HTML document, resolved against ``base_url``
    (the project folder)."""

    html: str
    base_url: str


def _rgb(value: str) -> tuple[int, int, int]:
    """``#RRGGBB`` as three values 0–255."""
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def svg_data_uri(svg: str) -> str:
    """An SVG document as a ``data:`` URI (RFC 2397), base64-encoded."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


MAX_TEMPLATE_BYTES = 4 * 2**20  # a template is text: a few KB, the whole layout ~50 KB


class _ProjectLoader(jinja2.BaseLoader):
    """Templates from one folder of the project, each read as every project file is
    (:func:`~almanac.project.files.read_bytes`: a regular file inside the allowed
    ``roots``, at most MAX_TEMPLATE_BYTES, UTF-8). A name that is not there is
    :class:`jinja2.TemplateNotFound` (Jinja2 itself refuses ``..``); a file that is
    there but refused (a link out of the project, a FIFO, a link loop, too large)
    is a :class:`TemplateError` naming it."""

    def __init__(self, folder: Path, roots: Roots):
        self.folder = folder
        self.roots = roots

    def get_source(self, environment, template):
        path = self.folder.joinpath(*split_template_path(template))
        if not (path.exists() or path.is_symlink()) or path.is_dir():
            raise jinja2.TemplateNotFound(template)
        try:
            source = read_bytes(path, self.roots, MAX_TEMPLATE_BYTES,
                                "split it into templates that include each other")
            text = source.decode("utf-8")
        except Refused as exc:
            raise TemplateError(Problem(f"template {exc.reason}", path, hint=exc.hint)) \
                from None
        except UnicodeDecodeError as exc:
            raise TemplateError(Problem(f"template is not UTF-8 text ({exc.reason})", path,
                                        source[:exc.start].count(b"\n") + 1,
                                        "save the template as UTF-8")) from None
        mtime = path.stat().st_mtime
        return text, str(path), lambda: path.stat().st_mtime == mtime


_PATH_ATTRIBUTES = frozenset({"name", "stem", "suffix", "suffixes"})
"""What a template may read of a path (a chapter's folder): its name, never its file."""


class ReportSandbox(SandboxedEnvironment):
    """Jinja2's sandbox (``jinja2.sandbox``: no attribute that starts with ``_``, no
    internal attributes of functions, frames or generators, ``str.format`` checked,
    ``range`` bounded), closed further for the objects a report's templates see:
    a path (``chapter.folder``) shows only its name, never a method that reads or
    writes its file; a class or a module (reachable through a pydantic model's
    ``model_fields``) shows nothing. A template may then read the data it is given
    and nothing else; what it is refused is a :class:`jinja2.sandbox.SecurityError`
    that :meth:`Renderer.render` reports with the template's file and line."""

    intercepted_binops = frozenset({"*", "**"})
    MAX_ITEMS = 1_000_000
    """The most characters or items ``*`` may make in a template (a page holds ~3 000)."""

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """``*`` and ``**`` bounded: ``'x' * 10**9`` would hold a gigabyte, and
        ``9 ** 9 ** 9`` would compute for hours (a :class:`SecurityError`)."""
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if isinstance(sequence, (str, list, tuple)) and isinstance(count, int) \
                        and len(sequence) * count > self.MAX_ITEMS:
                    raise SecurityError(f"'*' would make {len(sequence) * count:,} items; "
                                        f"a template may make {self.MAX_ITEMS:,}")
            return left * right
        if isinstance(left, int) and isinstance(right, int) and right > 0 \
                and abs(left).bit_length() * right > 64 * self.MAX_ITEMS:
            raise SecurityError("'**' would make a number of more than "
                                f"{64 * self.MAX_ITEMS:,} bits")
        return left**right

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, PurePath):
            return attr in _PATH_ATTRIBUTES
        if isinstance(obj, (type, types.ModuleType)) or isinstance(value, types.ModuleType):
            return False
        return super().is_safe_attribute(obj, attr, value)


def _finalize(value: object) -> object:
    """Every ``{{ expression }}``'s value, before it is escaped: U+2028 LINE SEPARATOR
    and U+2029 PARAGRAPH SEPARATOR (what InDesign and Word write for a forced line
    break) become a ``<br>`` in Markdown's output, and a space-like newline in plain
    text (which may stand in an attribute). As characters they are forced breaks
    (UAX #14, class BK) that WeasyPrint's line layout does not always expect: after
    an overlong word and before a soft hyphen it fails an internal assertion."""
    if isinstance(value, Markup):
        return Markup(LINE_SEPARATORS.sub("<br>", value))
    if isinstance(value, str):
        return LINE_SEPARATORS.sub("\n", value)
    return value


def make_environment(root: Path) -> ReportSandbox:
    """The Jinja2 environment of a project. A template name is looked up on the
    search path of :mod:`almanac.project.theme`: the project's ``layout/``, then the
    built-in theme's. ``almanac/x.html`` always names the built-in template and
    ``layout/x.html`` the project's (or, without one, the built-in), so that an
    override can extend the original; ``chapters/<slug>/chapter.html`` is a
    chapter's own template. Templates run in the sandbox (:class:`ReportSandbox`);
    autoescape on, undefined names are errors (``StrictUndefined``); line and
    paragraph separators are mapped (``_finalize``)."""
    roots = theme.roots(root)
    own, builtin = (_ProjectLoader(folder, roots) for folder in theme.folders(root, LAYOUT))
    search = jinja2.ChoiceLoader([own, builtin])
    loader = jinja2.ChoiceLoader([
        jinja2.PrefixLoader({
            theme.THEME_PREFIX: builtin,
            LAYOUT: search,
            CHAPTERS: _ProjectLoader(root / CHAPTERS, roots),
        }),
        search,
    ])
    env = ReportSandbox(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                        finalize=_finalize, trim_blocks=True, lstrip_blocks=True,
                        extensions=["jinja2.ext.i18n"])
    # {% trans %} blocks have their whitespace collapsed, as the extraction reads them
    # (almanac.text.extract.OPTIONS): a template's line breaks are no part of a message.
    env.policies["ext.i18n.trimmed"] = True
    return env


def label_css(messages: Catalogue) -> Markup:
    """The words the stylesheets place in page margins, as CSS custom properties of
    the document (a ``:root`` rule) in the report's language: ``--almanac-page``, the
    footer's ``"page " counter(page) " of " counter(pages)`` in the translator's word
    order (:func:`~almanac.text.messages.css_content`), and ``--almanac-contents``, the
    running head of the contents pages. A stylesheet uses them as ``content:
    var(--almanac-page)`` (CSS Custom Properties 1 §3; WeasyPrint resolves ``var()``
    in margin boxes, counters included), so no stylesheet holds a word. Every
    string is escaped (:func:`~almanac.text.messages.css_string`), so a project's
    translation cannot end the ``<style>`` element it stands in."""
    properties = {
        # Translators: the page footer, "page 6 of 15"; page is the page's number and
        # pages the number of pages, both filled in by the layout.
        "--almanac-page": css_content(messages.gettext("page %(page)s of %(pages)s"),
                                      {"page": "counter(page)", "pages": "counter(pages)"}),
        # Translators: the running head of the pages of the table of contents.
        "--almanac-contents": css_string(messages.gettext("Contents")),
    }
    return Markup(":root {\n%s\n}") % Markup("\n".join(
        f"  {name}: {value};" for name, value in properties.items()))


def stylesheets(root: Path, variant: Variant) -> list[Path]:
    """The stylesheets of the project at ``root`` for ``variant``, in cascade order:
    each of :data:`STYLESHEETS` from the search path, every other ``*.css`` directly
    in the project's ``styles/`` (by name: a project adds rules without copying a
    whole stylesheet), and last the variant's own (``variant-print.css``) where the
    project or the theme has one. A stylesheet the layout needs that is found
    nowhere is a :class:`TemplateError`: the PDF would come out unstyled."""
    found = []
    for name in STYLESHEETS:
        path = theme.find(root, STYLES, name)
        if path is None:
            raise TemplateError(Problem(f"stylesheet {STYLES}/{name} is found neither in the "
                                        "project nor in the built-in theme", root / STYLES / name,
                                        hint="reinstall Almanac, or create the file"))
        found.append(path)
    own = root / STYLES
    extra = sorted(path for path in own.glob("*.css")
                   if path.name not in STYLESHEETS and not path.name.startswith("variant-")) \
        if own.is_dir() and not own.is_symlink() else []
    variant_sheet = theme.find(root, STYLES, variant.stylesheet)
    return found + extra + ([variant_sheet] if variant_sheet is not None else [])


class Renderer:
    """Renders a loaded report to HTML for one variant, with charts from ``charts``."""

    def __init__(self, report: Report, charts: ChartJob, variant: Variant,
                 splits: Splits | None = None):
        self.report = report
        self.variant = variant
        self.splits = splits or {}
        self.fmt = report_formatter(report)
        self.prose = Prose(self.number, self.xref, self.xref_label,
                           lambda name: self.fmt.field(report.member, name))
        self.charts = charts
        self._brand_faces: dict | None = None
        self.profile = output_profile(report.brand, report.brand_path.parent)
        self.env = make_environment(report.root)
        self.env.globals.update(
            md=self.prose.block, md_inline=self.prose.inline, plain=self.prose.plain,
            plain_text=self.prose.text,
            number=self.number, number_parts=self.number_parts, tile_fit=self.tile_fit,
            chart=self.chart, flow=flow, photo=self.photo,
            footnote_count=footnote_count, footnote_symbols=FOOTNOTE_SYMBOLS,
            parts=self.parts,
            fmt=self.fmt, label=self.label, table_rows=self.table_rows,
            status_text=self.status_text, series_marks=self.series_marks,
            chart_appendix=self.chart_appendix, source=self.source)
        self.catalogue = catalogue(report.manifest.language, report.root,
                                   theme.roots(report.root))
        # the i18n extension adds the method to the environment when it is created
        self.env.install_gettext_translations(  # type: ignore[attr-defined]
            self.catalogue.translations, newstyle=True)
        # Figures and tables are numbered through the report, in order, each kind apart.
        self._labels: dict[Place, dict] = {}
        self._targets: dict[tuple[str, str], dict] = {}
        counters = {"figure": 0, "table": 0}
        for chapter in report.chapters:
            for section in chapter.data.sections:
                for block in section.blocks:
                    kind = TARGET_KINDS.get(block.type)
                    if kind is None:
                        continue
                    assert isinstance(block, (FigureBlock, ResultsBlock, TableBlock))
                    counters[kind] += 1
                    number = counters[kind]
                    label = {"kind": kind, "number": number,
                             "anchor": f"{kind}-{block.id or number}",
                             "text": self._caption_label(kind, number)}
                    self._labels[block.place] = label
                    if block.id:
                        self._targets[(kind, block.id)] = label
                        self._targets.setdefault(("ref", block.id), label)
        self._figures = list(figure_blocks(report))
        self._tables: dict[Place, DataTable] = {}
        self._appendix: dict | None = None

    def _caption_label(self, kind: str, number: int) -> str:
        """"Figure 3" / "Table 3" in the report's language: the label of a caption,
        and a cross-reference at the start of a sentence."""
        if kind == "figure":
            return self.catalogue.gettext("Figure %(number)s", number=number)
        return self.catalogue.gettext("Table %(number)s", number=number)

    def label(self, block: Placed) -> dict:
        """The number, anchor and label ("Figure 3") of a figure or table block."""
        return self._labels[block.place]

    def xref_label(self, kind: str, key: str, capital: bool = False) -> str:
        """The words of a cross-reference to the figure or table ``key`` without its
        page — "figure 3", "Table 2" with ``capital`` — in the report's language: the
        linked part of :meth:`xref`, and the whole reference where only text can
        stand (an image's alternative text: :meth:`Prose.text`)."""
        target = self._targets[(kind, key)]
        number = target["number"]
        if capital:
            return self._caption_label(target["kind"], number)
        if target["kind"] == "figure":
            return self.catalogue.gettext("figure %(number)s", number=number)
        return self.catalogue.gettext("table %(number)s", number=number)

    def xref(self, kind: str, key: str, capital: bool = False) -> Markup:
        """A cross-reference to the figure or table ``key`` (``kind`` ``ref``, ``figure``
        or ``table``, as :func:`~almanac.project.model.references` gives it) in the
        report's language — "figure 3 on page 12", "figuur 3 op pagina 12",
        "Abbildung 3 auf Seite 12" — both parts linked to the target, the page filled
        in by WeasyPrint (``target-counter``); ``capital`` for the start of a sentence.
        The words and their order are the catalogue's."""
        words = self.xref_label(kind, key, capital)
        anchor = self._targets[(kind, key)]["anchor"]
        pieces = {"target": Markup('<a class="xref" href="#{}">{}</a>').format(anchor, words),
                  # the page's link says what it leads to, for a screen reader
                  "page": Markup('<a class="xref-page" href="#{}" aria-label="{}"></a>').format(
                      anchor, words)}
        # Translators: a cross-reference in running text, "figure 3 on page 12"; target
        # is "figure 3" (or "table 3"), page the page number.
        frame = self.catalogue.gettext("%(target)s on page %(page)s")
        if capital and not frame.startswith("%(target)s"):
            frame = frame[:1].upper() + frame[1:]
        return Markup(escape(frame) % pieces)

    def table_rows(self, chapter: Chapter, block) -> tuple[list[dict], list[list[str]]]:
        """A table block's columns — each ``{"heading", "kind", "numeric"}`` in the
        order the block names them (default: the series') — and its rows of cells,
        each formatted by its column's kind (:meth:`Formatter.cell`)."""
        series = chapter.series[block.series]
        names = list(block.columns) or [column.name for column in series.columns]
        columns = [series.column(name) for name in names]
        headings = [{"heading": block.columns.get(column.name, column.name),
                     "kind": column.kind, "numeric": column.numeric}
                    for column in columns if column is not None]
        cells = [[self.fmt.cell(row.get(column.name), column) for column in columns
                  if column is not None] for row in series.rows]
        return headings, cells

    def status_text(self, status: str) -> str:
        """A result's status key (``achieved``, ``partly``, ``not-achieved``,
        ``unknown``: :data:`~almanac.project.model.STATUSES`) as the results table
        prints it in the report's language ("partly achieved"; templates:
        ``status_text(item.status)``). A key not in :data:`STATUS_TEXT` is a KeyError
        (the model admits no other)."""
        return self.catalogue.gettext(STATUS_TEXT[status])

    def series_marks(self, block: FigureBlock | TableBlock) -> dict:
        """How the page marks a chart or table by its series: ``illustrative`` (the
        series is ``illustrative: true``) and ``note``, the text printed under it — the
        series' own ``note:``, else for an illustrative series the generic note in the
        report's language, else None. A block without a series has neither."""
        if block.series is None:
            return {"illustrative": False, "note": None}
        chapter = next(c for c in self.report.chapters if c.slug == block.place[0])
        series = chapter.data.series[block.series]
        if series.note or not series.illustrative:
            return {"illustrative": series.illustrative, "note": series.note or None}
        # Translators: printed under a chart or table whose series is marked as illustrative
        # data (not from the report's sources) and has no note of its own.
        note = self.catalogue.gettext("Illustrative data: the report does not give this "
                                      "series; the values are for illustration.")
        return {"illustrative": series.illustrative, "note": note}

    def illustrations(self) -> dict[str, bool]:
        """What in the report stands in for what the source does not give, for the
        colophon to say so: ``data``, a chart or table of an ``illustrative: true``
        series; ``photos``, a photo drawn as a placeholder (cover, opener or photo
        block without an ``image``)."""
        data = False
        cover = self.report.manifest.cover
        photos = cover is not None and not cover.image
        for chapter in self.report.chapters:
            opener = chapter.data.opener
            photos = photos or (opener is not None and not opener.image)
            for section in chapter.data.sections:
                for block in section.blocks:
                    if isinstance(block, (FigureBlock, TableBlock)) and block.series:
                        data = data or chapter.data.series[block.series].illustrative
                    elif isinstance(block, Photo):
                        photos = photos or not block.image
        return {"data": data, "photos": photos}

    def number(self, key: str) -> str:
        """The number ``key``, formatted for the report's locale (templates: ``number(key)``)."""
        return self.fmt.number(self.report.number(key))

    def number_parts(self, key: str) -> Parts:
        """(prefix, figure, suffix) of the number ``key``, for tiles, and whether the
        locale's pattern sets a space between each and the figure
        (:meth:`Formatter.parts`; templates: ``parts.spaced_before``)."""
        return self.fmt.parts(self.report.number(key))

    def source(self, block: Placed) -> str:
        """Where a block is written, as its element's ``data-source`` carries it:
        ``chapters/02-x/chapter.yaml:41`` (the chapter file relative to the project,
        and the block's line), or "" for a block of no chapter. The preflight sends a
        finding about the block's pages there (:func:`~.preflight.source_of`)."""
        slug, section, index = block.place
        chapter = next((c for c in self.report.chapters if c.slug == slug), None)
        if chapter is None:
            return ""
        try:
            path = chapter.source.resolve().relative_to(self.report.root.resolve()).as_posix()
        except ValueError:
            return ""
        line = chapter.block_lines.get((section, index))
        return f"{path}:{line}" if line else path

    def parts(self, block: Placed, items: list) -> list[dict]:
        """The items of a sidebar (a block of ``items``: facts, tiles) in the parts it
        is set in, each ``{"items": [(index, item), ...], "continued": bool}``: one
        part, unless a layout found the block split over pages (``splits``, by its
        :meth:`source`: the index of the item that starts each later page); then one
        part a page, each after the first a continuation, which the template heads
        as such. Indices count from 0 over the whole block, as ``data-item`` gives
        them to the layout (:func:`~.breaks.continuations`)."""
        cuts = sorted({cut for cut in self.splits.get(self.source(block), ())
                       if 0 < cut < len(items)})
        bounds = [0, *cuts, len(items)]
        numbered = list(enumerate(items))
        return [{"items": numbered[start:end], "continued": part > 0}
                for part, (start, end) in enumerate(zip(bounds, bounds[1:]))]

    def tile_fit(self, parts: Parts) -> str:
        """The widths a tile's stylesheet needs to fit its figure in the tile, as the
        CSS custom properties of the tile's value (its ``style``):
        ``--figure-ems``, the figure's width in em of the brand's heading face at the
        heading weight (``--weight-heading``, in which ``kpi-figure`` is set), and
        ``--affix-ems``, the width in em of a prefix or suffix set against the figure
        without a space (the ``$`` of ``$1,250``, the ``%`` of ``94.5%``: on the
        figure's line, bold), 0 when both may go to a line of their own. Widths are
        the faces' advances (:func:`~almanac.project.fontfaces.text_width`);
        ``components.css`` sets the figure at its size or smaller, so that
        ``1,234.56`` fits where ``12,480`` does."""
        heading = self.report.brand.fonts.heading
        faces = self._faces().get(heading.family, [])
        figure_face = match_face(faces, display_weight(heading, heaviest=True), "normal")
        affix_face = match_face(faces, 700, "normal")
        prefix, figure, suffix = parts
        affix = (prefix if not parts.spaced_before else "") \
            + (suffix if not parts.spaced_after else "")
        figure = parts.sign + figure  # a sign before the prefix is as large as the figure
        return (f"--figure-ems: {max(text_width(figure_face, figure), 0.5):.3f}; "
                f"--affix-ems: {text_width(affix_face, affix):.3f}")

    def _faces(self) -> dict:
        """The brand's faces by family (:func:`~almanac.project.fontfaces.brand_faces`),
        read once."""
        if self._brand_faces is None:
            self._brand_faces = brand_faces(self.report.brand, self.report.brand_path)
        return self._brand_faces

    def chart(self, block: FigureBlock) -> dict:
        """A figure block's chart file (``src``), its label (:meth:`label`), how its
        series marks it (``illustrative``, ``note``: :meth:`series_marks`), its
        alternative text (``alt``: :func:`~.chartdata.alt_text`, from the data the
        module draws, in the report's language), and when the report has the appendix
        of chart data (:meth:`chart_appendix`), ``table``, the id of its data table
        there, and ``link``, the line under the chart that links to it ("The values as
        a table on page 34", the page filled in by the layout); else both None."""
        label = self.label(block)
        marks = self.series_marks(block)
        appendix = self.chart_appendix()
        anchor = table_anchor(label["anchor"]) if appendix else None
        named = None
        if appendix:
            # Translators: in a long chart's alternative text, where all its values are:
            # figure is "figure 3", appendix the title of the appendix of chart data.
            named = self.catalogue.gettext(
                "the table of %(figure)s in the appendix “%(appendix)s”",
                figure=self.catalogue.gettext("figure %(number)s", number=label["number"]),
                appendix=appendix["title"])
        alt = alt_text(self.charts.kind(block), self.prose.text(block.caption),
                       self._data_table(block), self.catalogue,
                       illustrative=marks["illustrative"],
                       source=self.prose.text(block.source) if block.source else None,
                       table_named=named)
        link = None
        if anchor is not None:
            # Translators: under a chart, a link to the table of its values in the appendix
            # of chart data; page is that table's page number, filled in by the layout.
            link = self._page_link(anchor, self.catalogue.gettext(
                "The values as a table on page %(page)s"))
        return {"src": self.charts.url(block), **marks, **label, "alt": alt,
                "table": anchor, "link": link}

    def _page_link(self, anchor: str, frame: str, **values: str) -> Markup:
        """A link to the element ``anchor`` whose words are ``frame`` (a translated
        message) with ``values`` filled in and ``%(page)s`` the target's page number,
        which the layout fills in (``target-counter``, on a span that names the target
        in ``data-ref``, since a link holds no link): the whole sentence is the link."""
        pieces = {name: escape(value) for name, value in values.items()}
        pieces["page"] = Markup('<span class="data-page" data-ref="#{}"></span>').format(
            anchor)
        return Markup('<a class="data-link" href="#{}">{}</a>').format(
            anchor, Markup(escape(frame) % pieces))

    def _data_table(self, block: FigureBlock) -> DataTable:
        """The data of a figure block as a table (:func:`~.chartdata.data_table`),
        made once."""
        if block.place not in self._tables:
            self._tables[block.place] = data_table(self.charts.data(block), self.catalogue)
        return self._tables[block.place]

    def chart_appendix(self) -> dict | None:
        """The appendix of chart data (templates: ``chart_appendix()``), or None when
        the report has no chart or asks for none (``chart_data: none`` in report.yaml):
        ``anchor`` (its id), ``title`` ("Chart data" in the report's language) and
        ``tables``, one per chart in document order, each with ``anchor`` (the table's
        id), ``figure`` (the chart's label, :meth:`label`), ``caption`` (the block's),
        ``columns`` and ``rows`` (:class:`~.chartdata.DataTable`: cells as the page
        prints them), ``illustrative`` and ``note`` (:meth:`series_marks`), ``source``
        and ``back``, the link back to the chart ("Figure 3 on page 12")."""
        if self._appendix is not None or not self._figures \
                or self.report.manifest.chart_data != "appendix":
            return self._appendix
        # Translators: the title of the appendix that gives the data of every chart as a
        # table (in the contents, the bookmarks and its running head).
        appendix: dict = {"anchor": "chart-data", "title": self.catalogue.gettext("Chart data"),
                          "tables": []}
        self._appendix = appendix
        for _, block in self._figures:
            label = self.label(block)
            table = self._data_table(block)
            back = self._page_link(label["anchor"], self.catalogue.gettext(
                "%(target)s on page %(page)s"), target=label["text"])
            appendix["tables"].append({
                "anchor": table_anchor(label["anchor"]), "figure": label,
                "caption": block.caption, "columns": table.columns, "rows": table.rows,
                "source": block.source, "back": back, **self.series_marks(block)})
        return appendix

    def _dangling(self, html: str) -> list[str]:
        """The data tables ``html`` links to without holding them: the figures link to
        the appendix of chart data, and the template (a project's own report.html)
        leaves it out."""
        if self._appendix is None:
            return []
        return [table["anchor"] for table in self._appendix["tables"]
                if f'href="#{table["anchor"]}"' in html
                and f'id="{table["anchor"]}"' not in html]

    def photo(self, photo: Photo, chapter: Chapter | None = None,
              aspect: float = 16 / 9) -> str:
        """The photo's URL for a box of ``aspect`` (width / height) — the templates pass
        the shape of the box. A raster image file becomes an SVG frame that crops it to
        the box around ``photo.focus`` (``fit: cover``) or shows it whole within it
        (``fit: contain``), with its treatment (:mod:`.photos`); an SVG file is used as
        it is (a drawing keeps its own shape and colours); without an image a
        placeholder of ``photo.motif`` is drawn for the box. In the print variant the
        overlay and the placeholders are in process colours, a duotone is a CMYK
        image in the brand's process colours, and any other opaque photo a CMYK image
        converted through the output profile (:func:`~.brand.raster_for_print`)."""
        colors = self.report.brand.colors
        if photo.image:
            path = (chapter.folder if chapter else self.report.root).joinpath(photo.image) \
                .resolve()
            try:  # checked when the report was loaded; read as the fetcher reads it
                data = read_bytes(path, theme.roots(self.report.root), MAX_RESOURCE_BYTES)
            except Refused:
                return path.as_uri()  # the fetcher refuses it too, and says why
            size = photos.image_size(data)
            if size is None:  # an SVG drawing: shown as it is
                return path.as_uri()
            if photo.treatment == "duotone":
                dark, light = ((cmyk_of(colors.primary_dark, self.profile),
                                cmyk_of(colors.tint, self.profile))
                               if self.variant.process_colours else
                               (_rgb(colors.primary_dark.hex), _rgb(colors.tint.hex)))
                path = photos.duotone(data, dark, light, self.report.root / PHOTO_CACHE,
                                      self.report.root)
            elif self.variant.process_colours:  # the photo itself in process colours
                path = photos.stored(raster_for_print(data, self.profile),
                                     self.report.root / PHOTO_CACHE, self.report.root)
            box = photos.frame(*size, aspect, photo.fit, photo.focus_point)
            svg = photos.image_svg(path.as_uri(), box, photo.description,
                                   colors.primary.hex if photo.overlaid else None)
        else:
            svg = photos.photo_svg(photo, colors.primary.hex, colors.primary_dark.hex,
                                   colors.tint.hex, self.report.brand.fonts.heading.family,
                                   aspect)
        if self.variant.process_colours:
            svg = svg_for_print(svg, self.report.brand, self.profile)
        return svg_data_uri(svg)

    def chapter_template(self, chapter: Chapter) -> str:
        """The chapter's own template if it has one, else ``chapter.html``."""
        own = chapter.folder / "chapter.html"
        if own.exists() or own.is_symlink():  # the loader refuses a FIFO or a link out
            return f"chapters/{chapter.slug}/chapter.html"
        return "chapter.html"

    def render(self, template: str = "report.html") -> str:
        """The HTML of ``template``; a TemplateError names the template's file and line."""
        report = self.report
        sheets = [path.as_uri() for path in stylesheets(report.root, self.variant)]
        context = {
            "report": report.manifest, "chapters": report.chapters,
            # a family member's fields by column name (and key); None for no family's
            "member": report.member.visible() if report.member is not None else None,
            "variant": self.variant.look,
            "kind": self.variant.name,  # screen, print or archive: what the file is for
            "brand_css": Markup(self.variant.css(report.brand, report.brand_path.parent)),
            "stylesheets": sheets, "chapter_template": self.chapter_template,
            "edition_date": self.fmt.date(report.manifest.edition.date),
            "brand": report.brand, "cmyk": lambda color: cmyk_of(color, self.profile),
            "logo": brand_file(report.brand_path.parent, report.brand.logo).resolve().as_uri()
            if report.brand.logo else None,
            "illustrations": self.illustrations(),
            "label_css": label_css(self.catalogue),
            # the texts of this language's edition shown in the main language
            "untranslated": list(dict.fromkeys(text.shown for text in report.untranslated)),
        }
        try:
            html = self.env.get_template(template).render(context)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(Problem(f"template syntax error: {exc.message}",
                                        Path(exc.filename) if exc.filename else None,
                                        exc.lineno, "fix the Jinja2 syntax on this line"))
        except jinja2.TemplateNotFound as exc:
            path, line = _template_frame(exc)
            inside = not str(exc.name).startswith("/") and ".." not in str(exc.name).split("/")
            raise TemplateError(Problem(f"template '{exc.name}' not found",
                                        path or report.root / LAYOUT, line,
                                        f"create {LAYOUT}/{exc.name}" if inside else
                                        "templates are read from layout/, chapters/ and the "
                                        "built-in theme (almanac/) only"))
        except SecurityError as exc:  # the sandbox refused it: nothing was run
            path, line = _template_frame(exc)
            raise TemplateError(Problem(
                f"not allowed in a template: {str(exc)[:200]}", path, line,
                "templates read the report's data only; compute other values in a "
                "figure module or the data")) from None
        except jinja2.UndefinedError as exc:
            path, line = _template_frame(exc)
            raise TemplateError(Problem(f"template uses an undefined value: {exc.message}",
                                        path, line, "fix the name, or add the value to the data"))
        except MemoryError as exc:  # 'x'.center(10**10): one allocation beyond the machine
            path, line = _template_frame(exc)
            raise TemplateError(Problem(
                "the template asks for more memory than the machine has", path, line,
                "fix the expression on this line (a huge width, count or repetition?)")) \
                from None
        except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError,
                AttributeError, RecursionError) as exc:
            # The template's own expression failed ({{ 1 / 0 }}, number('nope'), ...).
            path, line = _template_frame(exc)
            if path is None:
                raise  # not from a template: a bug in Almanac
            raise TemplateError(Problem(
                f"template error: {type(exc).__name__}: {str(exc)[:300]}", path, line,
                "fix the expression on this line"))
        dangling = self._dangling(html)
        if dangling:
            found = theme.find(report.root, LAYOUT, template)
            raise TemplateError(Problem(
                f"the charts link to their data tables ({dangling[0]}), and {template} "
                "does not hold the appendix of chart data", found,
                hint='add {% include "chart-data.html" %} after the chapters, or write '
                "chart_data: none in report.yaml"))
        return html


def _template_frame(exc: BaseException) -> tuple[Path | None, int | None]:
    import traceback

    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".html"):
            return Path(frame.filename), frame.lineno
    return None, None


def render_report(report: Report, charts: ChartJob, variant: Variant,
                  template: str = "report.html", limits: Limits | None = None,
                  splits: Splits | None = None) -> Rendered:
    """The whole report as one HTML document for ``variant``, from ``template`` in
    ``layout/``; a :class:`TemplateError` names the template file and line. The
    rendering runs under ``limits``' time and memory (:class:`~.guard.Guard`: a
    template's loops and strings are bounded by nothing else); at a limit, a
    ReportError names it and the template line that was running. ``splits`` set the
    sidebars that an earlier layout found split over pages in one part a page
    (:meth:`Renderer.parts`)."""
    renderer = Renderer(report, charts, variant, splits)
    html = Guard(limits, report.root, "rendering the templates").run(
        lambda: renderer.render(template))
    return Rendered(html=breakable(html), base_url=report.root.as_uri() + "/")


def breakable(html: str) -> str:
    """``html`` with a zero-width space every LONG_WORD // 2 characters of text runs
    longer than LONG_WORD (outside tags, styles, scripts and the title)."""
    step = LONG_WORD // 2

    def split(match: re.Match) -> str:
        run = match.group(3)
        if run is None:
            return match.group(0)
        return "\u200b".join(run[i:i + step] for i in range(0, len(run), step))

    return _TEXT_RUNS.sub(split, html)
