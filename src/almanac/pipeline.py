"""The orchestrator: the one module that runs the stages, in order.

    load → charts → render → typeset → preflight → finish → write

Everything is made in memory; the PDF is written by the one writer
(:mod:`almanac.stages.output`), so an earlier PDF is never damaged by a failed
or killed build. A build owns all its state: it sets no environment variable,
touches no global registry or logger setting, and draws its charts in a worker
process of its own; many builds can run in one process, in threads, and give
the same bytes as each alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pypdf.errors import PyPdfError

from .editions.archive import archived_editions, check_archive_rules, missing_editions
from .editions.publish import (
    Published,
    existing_edition,
    manifest_line,
    published_version_folder,
    together,
    version_folder,
    write_editions,
)
from .editions.signing import Appearance, Signer, TimestampError, sign_pdf
from .editions.sources import (
    SOURCES_MANIFEST,
    EmbedLimits,
    edition_date,
    read_sources,
    sha256,
    sources_manifest,
    xmp_schema,
)
from .editions.verify import Verification
from .errors import Problem, ReportError, TypesetError, printable
from .project.checks import line_of
from .project.family import load_family
from .project.load import load_all as load_editions
from .project.load import load_report, load_specimen
from .project.model import Report
from .project.parts import CACHE, MANIFEST, OUTPUT, source_files
from .project.signaturebox import SignatureBox, parse_signature_box
from .project.uses import Definition, definitions, unused
from .reporter import Reporter
from .stages.breaks import CONTINUATION_PASSES, Splits, continuations
from .stages.chartpool import ChartWorkers
from .stages.charts import CACHE_DIR, CHART_MEMORY_MIB, TIMEOUT, ChartJob
from .stages.finish import catalog_finisher, finish_pdf
from .stages.guard import MAX_PAGES, MEMORY_MIB, TYPESET_SECONDS, Limits, too_many_pages
from .stages.output import (
    STAGING_DIR,
    Writer,
    check_output_folder,
    check_target,
    check_targets,
    exclusive,
    file_slug,
)
from .stages.parallel import Guesses
from .stages.render import Rendered, render_report
from .stages.structure import Tagging
from .stages.typeset import Attachment, Embedding
from .stages.variants import BUILD_VARIANTS, VARIANTS, Variant
from .text.formatting import report_formatter

if TYPE_CHECKING:
    from .stages.typeset import Typeset

KEPT = (str(CACHE), str(CACHE_DIR), str(STAGING_DIR))
"""The folders a run keeps things in: each must be a folder inside the project."""
HINTS = {  # what to do about each kind of preflight finding (strict builds)
    "overflow": "make the content narrower or allow it to break (styles/)",
    "stranded-heading": "keep the heading with its text: break-after: avoid, or move a block",
    "table-orphan-row": "keep at least two rows together (orphans/widows on table rows)",
    "low-dpi": "use an image with more pixels, or print it smaller",
    "contrast": "darken the text colour or lighten its background in styles/brand.yaml",
    "font": "use a face of the brand that has it (fonts in styles/brand.yaml)",
    "rgb": "give the colour in CMYK (cmyk: in styles/brand.yaml, device-cmyk() in styles/), "
           "or convert the image to the output profile",
    "marks-in-bleed": "leave the marks to Almanac (no marks: in styles/ @page rules) and "
                      "keep print.slug_mm in styles/brand.yaml",
    "total-ink": "lower the colour's cmyk: values in styles/brand.yaml (or the image's ink) "
                 "under print.max_ink",
    "black-text": "set small text in a near-black brand colour (print.black_text: true), "
                  "or give the colour cmyk: [0, 0, 0, 100]",
    "split-block": "shorten the block or move it to where a page has room for it whole",
    "caption-parted": "move the figure or table, or text before it, so that it starts under "
                      "its caption",
    "header-missing": "let the row break over pages (.table tr { break-inside: auto } in "
                      "styles/), or split its long cell over several rows",
    "footnote-parted": "move the call or shorten the note so that the note fits on the call's "
                       "page",
    "lone-block": "shorten the section's text a little, or lengthen it, so that its close "
                  "does not stand alone",
    "hole": "move the block that opens the next page, or text after it, so that the page "
            "fills up",
}


@dataclass(frozen=True)
class BuildOptions:
    """How to build: every choice a build makes, in one typed value.

    ``variant`` names an entry of :data:`~almanac.stages.variants.VARIANTS`
    (``screen``, ``print``; ``archive`` is made by :func:`publish`). ``strict``
    fails the build on any warning (WeasyPrint's, the preflight's); a note on the
    locale (a region inferred, :func:`~.stages.charts.locale_notes`) is said but
    fails nothing, as the PDF follows CLDR's data for the language. ``cache=False``
    draws every chart again. ``html_output`` also writes the HTML WeasyPrint lays
    out. ``chart_timeout`` bounds the drawing of the charts, in seconds. ``check``
    reads the PDF back (the finish stage); the preview, which only looks at the
    pages, skips it. ``typeset_seconds``, ``memory_mib`` (the process's resident
    memory, MiB) and ``max_pages`` bound the typesetting (:mod:`~.stages.guard`;
    defaults sized for a 2 000-page report); ``chart_memory_mib`` bounds the chart
    worker's resident memory. ``language`` is the edition of a report in several
    languages to make (a tag of its ``languages:``; None: the main language, or for
    :func:`build_all` every language). ``member`` is the key of the family member to
    build (:mod:`~.project.family`): required for a family, refused for a report that
    is none. ``jobs`` is how many processes typeset the report's parts at once
    (:mod:`~.stages.parallel`; 1: one pass; None: as many as the cores, for a report
    of at least :data:`PARALLEL_PAGES` pages): the PDF has the same pages either way.
    ``parts`` is how many parts it is cut into then (None: one per process, more for
    a long report, so that no part is much over :data:`PART_PAGES` pages; the preview
    cuts one per chapter, so that a change to one chapter typesets that part again).
    """

    variant: str = "screen"
    strict: bool = False
    cache: bool = True
    html_output: Path | None = None
    chart_timeout: float = TIMEOUT
    check: bool = True
    typeset_seconds: float = TYPESET_SECONDS
    memory_mib: int = MEMORY_MIB
    max_pages: int = MAX_PAGES
    chart_memory_mib: int = CHART_MEMORY_MIB
    language: str | None = None
    member: str | None = None
    jobs: int | None = None
    parts: int | None = None

    def __post_init__(self) -> None:
        if self.jobs is not None and self.jobs < 1:
            raise ValueError("jobs must be at least 1")
        Limits(self.typeset_seconds, self.memory_mib, self.max_pages)  # ValueError if not > 0
        if not self.chart_memory_mib > 0 or not self.chart_timeout > 0:
            raise ValueError("the chart limits must be positive")
        if self.variant not in VARIANTS:
            raise ValueError(f"unknown variant {self.variant!r}; "
                             f"one of {', '.join(VARIANTS)}")


@dataclass(frozen=True)
class BuildResult:
    """What a build made: where, how many pages and bytes, what it warned about."""

    path: Path
    pages: int
    size: int
    warnings: list[str]
    charts: int
    charts_cached: int


@dataclass(frozen=True)
class Made:
    """A PDF made in memory (not written anywhere yet)."""

    pdf: bytes
    pages: int
    html: str = ""  # the HTML that WeasyPrint laid out
    warnings: list[str] = field(default_factory=list)
    charts: int = 0
    charts_cached: int = 0
    parts: int = 1  # the parts typeset at once (1: one pass)
    layouts: int = 1  # layouts made: of the document, or of its parts in all rounds
    typeset: list[int] = field(default_factory=list)  # parts typeset, not kept (from 0)


def load(root: Path | str, language: str | None = None, member: str | None = None) -> Report:
    """Load and validate the report's data: the manifest, brand and chapters, in
    ``language`` (a report in several languages; None: its main language, or the
    member's own), for the family member ``member`` (its key; a family needs one)."""
    return load_report(root, language, member)


def load_all(root: Path | str, member: str | None = None) -> list[Report]:
    """The report in each of its languages, the main one first (one report for a
    report in one language), of the family member ``member`` when given; every problem
    of every language in one ReportError."""
    return load_editions(root, member)


def _untranslated(report: Report, reporter: Reporter) -> None:
    """A warning for each text of the edition shown in the main language."""
    for text in report.untranslated:
        reporter.warning(Problem(
            f"not translated into {text.language}: shown in {report.languages[0]}",
            text.path, text.line, where=text.where).format(report.root))


@dataclass(frozen=True)
class Checked:
    """What :func:`check` found valid, and what it warns about: ``warnings`` as
    printed (numbers and series defined but not used, then the stylesheets'),
    ``definitions`` every number and series with its uses
    (:func:`~.project.uses.definitions`); ``reports`` the report in every language
    checked, ``report`` the first of them."""

    report: Report
    warnings: list[str]
    definitions: list[Definition] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)


def check(root: Path | str, *, strict: bool = False, reporter: Reporter | None = None,
          language: str | None = None, member: str | None = None) -> Checked:
    """Everything that can be checked without drawing charts or laying out pages, so
    that ``check`` and ``build`` never disagree on it: the data (:func:`load`), the
    figure modules found and read, the templates of each look (screen, print; the
    archive is the screen's) rendered in the sandbox (syntax, every template a layout
    includes, every name they use), and
    every stylesheet they link, read and parsed as a build reads it
    (:func:`~.stages.typeset.check_stylesheets`). It also warns about every number
    and series that is defined but used nowhere (:func:`~.project.uses.unused`; a
    build does not, as it prints right), and, as a build does, about a language no
    message catalogue has (:func:`language_problems`). Raises ReportError when
    ``strict`` and anything warned (a TypesetError when a stylesheet did); returns the
    warnings. A report in several languages is checked in each (``language``: in that
    one); the uses of numbers and series are those of the main language. A family
    (:mod:`~.project.family`) is checked for ``member``, or else every member's data is
    loaded and checked (every problem of every member, each naming the member's key,
    one several members share said once naming them or ``every member``)
    and the templates rendered with the first member's (``reports``: every member's)."""
    from .stages.typeset import check_stylesheets

    reporter = reporter or Reporter()
    reporter.step("load", reporter.words.gettext("reading report.yaml, brand and chapters"))
    reports = _checked_reports(root, language, member)
    report = reports[0]
    found = definitions(report)
    noted = unused(found) + [problem for edition in reports
                             for problem in language_problems(edition)]
    for problem in noted:
        reporter.warning(problem.format(report.root))
    warnings: list[str] = []
    notes: list[str] = []  # the locales': said, never a failure of a strict check
    first = report.member.key if report.member is not None else None
    for edition in reports:
        _untranslated(edition, reporter)
        if edition.member is not None and edition.member.key != first:
            continue  # the templates and stylesheets are the family's, checked once
        job = ChartJob(edition, report_formatter(edition), cache=True)  # not started
        for note in job.notes:
            reporter.warning(printable(note))
        notes += job.notes
        for name in BUILD_VARIANTS:  # the archive has the screen's look: the same HTML
            reporter.step("render", reporter.words.gettext(
                "templates and stylesheets of the %(variant)s edition", variant=name)
                + (f" ({edition.manifest.language})" if edition.multilingual else ""))
            rendered = render_report(edition, job, VARIANTS[name])
            warnings += check_stylesheets(rendered, edition.root)
    warnings = list(dict.fromkeys(warnings))
    for warning in warnings:
        reporter.warning(printable(warning))
    if strict and warnings:
        raise TypesetError([Problem(f"WeasyPrint: {w}", hint="fix the stylesheet it names "
                                    "(strict check)") for w in warnings] + noted)
    if strict and noted:
        raise ReportError(noted)
    return Checked(report=report, warnings=[p.format(report.root) for p in noted] + warnings
                   + notes, definitions=found, reports=reports)


def _checked_reports(root: Path | str, language: str | None,
                     member: str | None) -> list[Report]:
    """The reports :func:`check` checks: of ``member`` (or of a project that is no
    family) in every language or in ``language``; of a family without ``member``, every
    member's (those in ``language`` when given), every member's problems in one
    ReportError, a problem several members share said once (:func:`_shared`)."""
    family = load_family(root)
    if family is None or member is not None:
        return load_all(root, member) if language is None else [load(root, language, member)]
    reports: list[Report] = []
    problems: list[tuple[str, Problem]] = []
    checked = 0
    for one in family.members:
        if language is not None and one.language not in (None, language):
            continue
        checked += 1
        try:
            reports += load_all(root, one.key) if language is None \
                else [load(root, language, one.key)]
        except ReportError as exc:
            problems += [(one.key, problem) for problem in exc.problems]
    if problems:
        raise ReportError(_shared(problems, checked))
    if not reports:
        raise ReportError(Problem(f"no member of the family is in {language}",
                                  family.table_path, hint="check the member table's "
                                  f"{family.spec.language} column, or leave --language out"))
    return reports


MEMBERS_NAMED = 8
"""How many members' keys a problem shared by some of them names before "…"."""


def _shared(found: list[tuple[str, Problem]], checked: int) -> list[Problem]:
    """The problems of a family's members (member key, problem naming it as ``member
    KEY: …``), each said once, where it first appears: one that several members have
    alike (the same file, line, cell, message and fix: a problem of the family's own
    files) names them all, ``members NLD, NOR: …``, or ``every member: …`` when all
    ``checked`` members have it."""
    keys: dict[Problem, list[str]] = {}
    for key, problem in found:
        bare = replace(problem, message=problem.message.removeprefix(f"member {key}: "))
        keys.setdefault(bare, []).append(key)
    shared: list[Problem] = []
    for bare, members in keys.items():
        if len(members) == 1:
            named = f"member {members[0]}"
        elif len(members) == checked:
            named = "every member"
        else:
            named = "members " + ", ".join(members[:MEMBERS_NAMED]) + (
                f" … ({len(members)})" if len(members) > MEMBERS_NAMED else "")
        shared.append(replace(bare, message=f"{named}: {bare.message}"))
    return shared


def language_problems(report: Report) -> list[Problem]:
    """What a build warns about the report's language, blamed on report.yaml's
    ``language`` line: a language no message catalogue has (Almanac's own words are
    then printed in English), catalogues that leave some of the words a report
    prints untranslated, and (on their own lines) a project catalogue's messages that
    Almanac never asks for; each with the fix."""
    from .project.checks import line_of
    from .project.theme import roots
    from .text.extract import report_messages
    from .text.messages import catalogue

    language = report.manifest.language
    found = catalogue(language, report.root, roots(report.root))
    strays = list(found.strays)  # a translation of a message Almanac never asks for
    manifest = report.root / MANIFEST
    line = line_of(manifest, r"^languages?:")
    if found.missing:
        return [Problem(
            f"Almanac has no message catalogue for '{language}': the words it writes "
            "itself (page numbers, captions, contents, colophon) are printed in English",
            manifest, line, f"run `almanac messages {language}` and translate "
            f"locale/{language}.po")]
    translated = found.table()
    words = [message.id for message in report_messages(language, {})
             if isinstance(message.id, str) and message.id]
    untranslated = [word for word in words if word not in translated]
    if not untranslated:
        return strays
    shown = ", ".join(repr(word) for word in untranslated[:3])
    return strays + [Problem(
        f"{len(untranslated)} of the {len(words)} words Almanac writes have no translation "
        f"in '{language}' ({shown}{', …' if len(untranslated) > 3 else ''}) and are printed "
        "in English", manifest, line,
        f"translate them (msgstr) in {found.found[0]}" if found.found[0].endswith(".po")
        else f"run `almanac messages {language}` and translate locale/{language}.po")]


def _options(options: BuildOptions | None, changes: dict[str, Any]) -> BuildOptions:
    return replace(options or BuildOptions(), **changes)


def default_output(report: Report, variant: str = "screen") -> Path:
    """``<project>/output/<title slug>[-<year>][-<language>][<variant suffix>].pdf``:
    the language (its tag) for a report in several languages, each with its title. A
    family member's: ``output/<family title slug>[-<year>]/<member key>[-<language>]
    [<variant suffix>].pdf``, the family's title being report.yaml's as written, its
    ``{{ member.x }}`` taken out, in the main language (stable: the key; one folder per
    family, whatever the member's language; ``report`` for a title of member fields
    only)."""
    if report.member is not None:
        folder = file_slug(report.family_title if report.family_title is not None
                           else report.manifest.title)
        if str(report.manifest.year) not in folder:
            folder += f"-{report.manifest.year}"
        name = report.member.key
        if report.multilingual:
            name += f"-{report.manifest.language}"
        return report.root / OUTPUT / folder / f"{name}{VARIANTS[variant].file_suffix}.pdf"
    slug = file_slug(report.manifest.title)
    if str(report.manifest.year) not in slug:
        slug += f"-{report.manifest.year}"
    if report.multilingual:
        slug += f"-{report.manifest.language}"
    return report.root / OUTPUT / f"{slug}{VARIANTS[variant].file_suffix}.pdf"


def build(root: Path | str, output: Path | str | None = None,
          options: BuildOptions | None = None, *, reporter: Reporter | None = None,
          **changes: Any) -> BuildResult:
    """Build the report in the folder ``root`` into a PDF at ``output`` (default
    :func:`default_output`) and return what was made.

    ``options`` (or its fields as keywords, e.g. ``variant="print"``) say how.
    Raises :class:`~almanac.errors.ReportError` for a problem of the report's
    files; nothing is written then, and an earlier PDF stays as it was. A report in
    several languages is built in ``options.language`` (default: its main language;
    :func:`build_all` builds each).
    """
    options = _options(options, changes)
    reporter = reporter or Reporter()
    reporter.step("load", reporter.words.gettext("reading report.yaml, brand and chapters"))
    report = load(root, options.language, options.member)
    _untranslated(report, reporter)
    target = Path(output) if output is not None else default_output(report, options.variant)
    return _produce(report, target, options, reporter)


def build_all(root: Path | str, output: Path | str | None = None,
              options: BuildOptions | None = None, *, reporter: Reporter | None = None,
              **changes: Any) -> list[BuildResult]:
    """Build the report in every language (``options.language`` given: in that one),
    each into its own PDF (:func:`default_output`, which names the language), the
    main language first; for a report in one language, :func:`build`. Every language
    is loaded and checked before any is built. ``output`` (and ``html_output``) name
    one file: a ReportError for a report in several languages unless one is chosen.
    Each PDF is written as :func:`build` writes it; a failed language stops the
    build, the PDFs of the languages before it are written."""
    options = _options(options, changes)
    reporter = reporter or Reporter()
    reporter.step("load", reporter.words.gettext("reading report.yaml, brand and chapters"))
    reports = load_all(root, options.member) if options.language is None \
        else [load(root, options.language, options.member)]
    if len(reports) > 1 and (output is not None or options.html_output is not None):
        report = reports[0]
        raise ReportError(Problem(
            f"one output file is named, and the report has {len(reports)} languages "
            f"({', '.join(report.languages)})", report.root / MANIFEST,
            line_of(report.root / MANIFEST, r"^languages\s*:"),
            "choose one language to build into it (--language), or leave the file name "
            "out: each language gets its own PDF"))
    results = []
    for report in reports:
        _untranslated(report, reporter)
        target = Path(output) if output is not None else \
            default_output(report, options.variant)
        results.append(_produce(report, target, options, reporter))
    return results


def brand_member(root: Path | str, language: str | None = None) -> str | None:
    """For a command about the brand and the layout (``specimen``, ``fonts``), which
    are a family's and not a member's: the key of the family's first member (in
    ``language`` when given and the table gives languages), whose report carries them;
    None for a project that is no family (or none in that language)."""
    family = load_family(root)
    if family is None:
        return None
    return next((member.key for member in family.members
                 if language is None or member.language in (None, language)), None)


def build_specimen(root: Path | str, output: Path | str | None = None,
                   options: BuildOptions | None = None, *, reporter: Reporter | None = None,
                   **changes: Any) -> BuildResult:
    """A PDF of the brand tokens and every component (``layout/specimen/``), with
    the report's brand and layout (a family's: loaded for ``options.member``, else
    :func:`brand_member`); default ``output/specimen[-<variant>].pdf``."""
    options = _options(options, changes)
    reporter = reporter or Reporter()
    reporter.step("load", reporter.words.gettext("reading the brand and layout/specimen/"))
    report = load_specimen(load(root, options.language,
                                options.member or brand_member(root, options.language)))
    target = Path(output) if output is not None else \
        report.root / OUTPUT / f"specimen{VARIANTS[options.variant].file_suffix}.pdf"
    return _produce(report, target, options, reporter, template="specimen.html")


def _produce(report: Report, target: Path, options: BuildOptions, reporter: Reporter,
             template: str = "report.html") -> BuildResult:
    # Refused before any work: an output that is an input, a folder, a FIFO, below a
    # file, written twice; an output/ or cache that is a file or leads elsewhere.
    check_output_folder(report.root, KEPT)
    outputs = [target] if options.html_output is None else [options.html_output, target]
    check_targets(outputs, report.root)
    made = make_pdf(report, options, reporter=reporter, template=template)
    # Written only now, every check passed: a failed build writes nothing at all. The
    # HTML and the PDF are both staged before either is renamed into place.
    files = {Path(options.html_output): made.html.encode("utf-8")} \
        if options.html_output is not None else {}
    target = Writer(report.root).files({**files, Path(target): made.pdf})[-1]
    reporter.done(reporter.words.ngettext(
        "%(file)s (%(count)s page, %(size).0f KB)", "%(file)s (%(count)s pages, %(size).0f KB)",
        made.pages, file=target, size=len(made.pdf) / 1024))
    return BuildResult(path=target, pages=made.pages, size=len(made.pdf),
                       warnings=made.warnings, charts=made.charts,
                       charts_cached=made.charts_cached)


def render_html(report: Report, options: BuildOptions | None = None, *,
                reporter: Reporter | None = None, template: str = "report.html",
                chart_workers: ChartWorkers | None = None) -> tuple[Rendered, ChartJob]:
    """Stages 2 and 3: the charts are planned and their drawing started, the
    templates rendered to one HTML document. Call ``job.finish()`` when done with
    the returned :class:`ChartJob` (``job.cancel()`` to stop it). ``chart_workers``
    lends the charts a warm worker of that pool (:mod:`~.stages.chartpool`), for a
    process that makes many builds; without it the build starts its own."""
    options = options or BuildOptions()
    reporter = reporter or Reporter()
    job = ChartJob(report, report_formatter(report), cache=options.cache,
                   timeout=options.chart_timeout, memory_mib=options.chart_memory_mib,
                   workers=chart_workers)
    reporter.step("charts", reporter.words.ngettext(
        "%(count)s chart, %(cached)s from cache", "%(count)s charts, %(cached)s from cache",
        len(job.plans), cached=job.cached))
    job.start()
    reporter.step("render", reporter.words.gettext("templates → HTML"))
    try:
        limits = Limits(options.typeset_seconds, options.memory_mib, options.max_pages)
        return render_report(report, job, VARIANTS[options.variant], template, limits), job
    except BaseException:
        job.cancel()  # a template failed: the chart worker stops too
        raise


def _tagging(report: Report) -> Tagging:
    """How the structure tree describes the report's links, in its language: a link's
    text and the page it leads to ("Inzetbaarheid, pagina 10"; PDF/UA-1, 7.18.5)."""
    from .project.theme import roots
    from .text.messages import catalogue

    words = catalogue(report.manifest.language, report.root, roots(report.root))

    def describe(text: str, page: int | None) -> str:
        if page is None:
            return text
        # Translators: how a screen reader announces a link in the report: its text,
        # then the page it leads to ("Results, page 12").
        return words.gettext("%(text)s, page %(page)s", text=text, page=page)

    return Tagging(describe)


PART_PAGES = 400
"""About the most pages a part has, so that a process typesetting one holds less than
the single pass's peak memory (about 1.1 MiB a page)."""

PER_CHAPTER = 10_000
"""``BuildOptions.parts`` for a part at every place the report can be cut."""

PARALLEL_PAGES = 80
"""A report whose last build had at least this many pages is typeset in parts on
every core by default (``BuildOptions.jobs`` None); below it one pass is as fast
(bench/bench_parallel.py)."""


def _daemonic() -> bool:
    """Whether this process is a daemonic ``multiprocessing`` process, which may not
    start processes of its own (a part's, a pool's worker)."""
    import multiprocessing

    return bool(multiprocessing.current_process().daemon)


def _guesses_path(report: Report, options: BuildOptions) -> Path:
    """Where the last build of this edition kept its anchors' pages."""
    import hashlib

    key = hashlib.sha256(json.dumps([options.variant, report.manifest.language,
                                     report.member.key if report.member else None]
                                    ).encode()).hexdigest()[:16]
    return report.root / CACHE / "typeset" / f"{key}.json"


def _typeset_guesses(report: Report, options: BuildOptions) -> Guesses:
    """The anchors' pages and page count of the last build of this edition (nothing
    when there was none, or its record cannot be read: a guess, never a fact)."""
    try:
        data = json.loads(_guesses_path(report, options).read_text(encoding="utf-8"))
        return Guesses({str(k): int(v) for k, v in data["anchors"].items()},
                       int(data["total"]), [int(page) for page in data.get("blank", [])])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return Guesses()


def _keep_guesses(report: Report, options: BuildOptions, guesses: Guesses) -> None:
    """Keep what this build learnt for the next (best effort: a read-only project
    builds all the same)."""
    path = _guesses_path(report, options)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        staged = path.with_suffix(".tmp")
        staged.write_text(json.dumps({"anchors": guesses.anchors, "total": guesses.total,
                                      "blank": guesses.blank}), encoding="utf-8")
        staged.replace(path)
    except OSError:
        pass


def _part_store(report: Report, options: BuildOptions, embedding: Embedding | None,
                tagging: Tagging) -> Any:
    """Where the parts of this edition are kept between builds; None for an archival
    PDF (its parts carry the edition's own files) or a build without the cache."""
    import weasyprint

    from . import __version__
    from .stages.parallel import PartStore

    if embedding is not None or not options.cache:
        return None
    fingerprint = json.dumps([options.variant, report.manifest.language, __version__,
                              weasyprint.__version__, tagging.describe_link("\0", 0)])
    return PartStore(report.root / CACHE / "parts", fingerprint)


def _typeset_in_parts(rendered: Rendered, parts: list, lay_out: Any, inspected: Any,
                      splits: Splits | None, guesses: Guesses, page_multiple: int,
                      tagging: Tagging, store: Any, limits: Limits) -> tuple | None:
    """:func:`~.stages.parallel.typeset_parts` with the preflight and the sidebar
    continuations of each part; None when the report cannot be typeset in parts
    (it is then typeset in one pass)."""
    from .stages.parallel import Unsplittable, typeset_parts
    from .stages.typeset import Typeset

    def inspect(result: Typeset, first_page: int) -> tuple:
        return inspected(result, first_page), continuations(result.document, splits)

    try:
        joined = typeset_parts(rendered, parts, lay_out=lay_out, inspect=inspect,
                               tagging=tagging, guesses=guesses,
                               page_multiple=page_multiple, store=store)
    except Unsplittable:
        return None
    if joined.pages > limits.pages:  # a part's guard counts from a place it guessed
        message, fix = too_many_pages(limits.pages)
        raise ReportError(Problem(message, None, None, fix))
    findings, seen = [], set()
    merged: Splits | None = None
    for found, cut in joined.inspections:
        for finding in found:
            # a finding said once for the document (a font's missing character, at its
            # first page) is said once, by the first part that met it
            key = finding.message.split(": ", 1)[-1] if finding.kind == "font" else id(finding)
            if key not in seen:
                seen.add(key)
                findings.append(finding)
        if cut is not None:
            merged = dict(merged or splits or {})
            merged.update({key: value for key, value in cut.items()
                           if (splits or {}).get(key) != value})
    result = Typeset(pdf=joined.pdf, pages=joined.pages, warnings=joined.warnings,
                     html=joined.html, layouts=joined.layouts)
    return result, findings, merged, joined.guesses, joined.typeset


def make_pdf(report: Report, options: BuildOptions, *, reporter: Reporter | None = None,
             template: str = "report.html", embedding: Embedding | None = None,
             chart_workers: ChartWorkers | None = None) -> Made:
    """A loaded report → PDF bytes in memory: charts, render, typeset, preflight and
    (unless ``options.check`` is off) finish; nothing is written. ``embedding``
    makes an archival PDF; ``chart_workers`` a pool of warm chart workers to draw
    the charts with (:func:`render_html`). A sidebar the pages cut is rendered and
    laid out again in one part a page (:func:`~.stages.breaks.continuations`, at
    most ``CONTINUATION_PASSES`` more layouts; none for a report whose sidebars fit).
    Raises ReportError (TypesetError when strict and warned)."""
    reporter = reporter or Reporter()
    variant = VARIANTS[options.variant]
    rendered, charts = render_html(report, options, reporter=reporter, template=template,
                                   chart_workers=chart_workers)
    reporter.step("typeset", reporter.words.gettext("laying out pages with WeasyPrint"))
    # Imported here, not at the top: WeasyPrint's import then overlaps with the
    # chart worker drawing the charts on the other core.
    from .stages.fonts import check_fonts
    from .stages.parallel import default_jobs, split_parts
    from .stages.preflight import Finding, preflight
    from .stages.prepress import print_finisher
    from .stages.typeset import document_identifier, typeset

    limits = Limits(options.typeset_seconds, options.memory_mib, options.max_pages)
    finisher = print_finisher(report.brand, then=catalog_finisher) if variant.bleed \
        else catalog_finisher
    page_multiple = report.brand.print.page_multiple if variant.bleed else 1

    part_finisher = print_finisher(report.brand, then=catalog_finisher, page_count=False) \
        if variant.bleed else catalog_finisher
    whole = rendered  # the document being typeset (rendered again for continuations)

    def lay_out(rendered: Rendered, *, part: int | None = None, **extra: Any) -> Typeset:
        settings: dict[str, Any] = dict(
            embedding=embedding if not part else None,
            finisher=finisher if part is None else part_finisher,
            before_read=charts.wait, deferred=charts.drawing(),
            # the whole document's, also for a part: a hash of the HTML laid out
            identifier=embedding.identifier if embedding else document_identifier(whole),
            transform=variant.transform(report.brand, report.brand_path.parent),
            limits=limits, tagging=_tagging(report),
            page_multiple=page_multiple if part is None else 1)
        settings.update(extra)
        return typeset(rendered, report.root, variant, **settings)

    def inspected(result: Typeset, first_page: int = 0) -> list[Finding]:
        return preflight(result.document, report.brand, root=report.root,
                         first_page=first_page) + check_fonts(
            result.document, report.brand, report.brand_path, report.root, charts.written,
            first_page=first_page)

    guesses = _typeset_guesses(report, options)
    # the pages of the last build, else a page of running text per 9 000 characters
    # of HTML (the sample has 9 400)
    expected = guesses.total or len(rendered.html) // 9000
    jobs = options.jobs or (default_jobs() if expected >= PARALLEL_PAGES else 1)
    if _daemonic():  # a daemonic process may start none (multiprocessing's rule)
        jobs = 1
    parts_made, typeset_now = 1, []
    try:
        splits: Splits | None = {}
        count = options.parts or max(jobs, -(-expected // PART_PAGES))
        for attempt in range(CONTINUATION_PASSES + 1):
            laid, whole = None, rendered
            parts = split_parts(rendered.html, count, guesses) if jobs > 1 else []
            if len(parts) > 1 and charts.wait_all():
                tagging = _tagging(report)
                laid = _typeset_in_parts(rendered, parts, lay_out, inspected, splits,
                                         guesses, page_multiple, tagging,
                                         _part_store(report, options, embedding, tagging),
                                         limits)
            if laid is not None:
                result, found, next_splits, guesses, typeset_now = laid
                parts_made = len(parts)
            else:
                result = lay_out(rendered)
                found = None
                next_splits = continuations(result.document, splits) \
                    if attempt < CONTINUATION_PASSES else None
                guesses = Guesses.of(result.document)
            # a sidebar longer than a page is set again in one part a page, each
            # continuation headed as such (stages/breaks.py)
            if next_splits is None or attempt == CONTINUATION_PASSES:
                break
            splits = next_splits
            rendered = render_report(report, charts, variant, template, limits, splits)
    finally:
        # Raises the figure modules' problems, if any: also when a chart that could
        # not be drawn stopped the typesetting (FetchStopped), which it then replaces.
        charts.finish()
    if embedding is None:  # an edition leaves nothing behind but itself
        _keep_guesses(report, options, guesses)
    reporter.step("preflight", reporter.words.gettext("checking the laid-out pages"))
    findings = inspected(result) if found is None else found
    if variant.bleed:  # the print edition: the written file, as a press checks it
        from .stages.presscheck import press_check

        findings += press_check(result.pdf, report.brand, report.brand_path, report.root)
    problems = [Problem(f.message, f.path, f.line, f.hint or HINTS[f.kind]) for f in findings]
    languages = language_problems(report)
    warnings = result.warnings + [  # a finding naming its file: with its line and fix
        problem.format(report.root) if finding.path is not None else finding.message
        for finding, problem in zip(findings, problems)] + [
        problem.format(report.root) for problem in languages]
    for warning in warnings:
        reporter.warning(printable(warning))  # a stylesheet's words, escaped for a terminal
    if (options.strict or variant.strict) and warnings:
        raise TypesetError(
            [Problem(f"WeasyPrint: {w}", hint="fix the template, style or image it names "
                     "(strict build)") for w in result.warnings] + problems + languages)
    for note in charts.notes:  # the locale's: the PDF is right, so never a strict failure
        reporter.warning(printable(note))
    warnings = warnings + charts.notes
    pdf, pages = result.pdf, result.pages
    if options.check:
        reporter.step("finish", reporter.words.ngettext(
            "%(count)s page; metadata and outline", "%(count)s pages; metadata and outline",
            result.pages))
        try:
            finished = finish_pdf(result.pdf, report)
        except PyPdfError as exc:  # WeasyPrint wrote what a reader refuses: extreme values
            raise ReportError(Problem(
                f"the PDF WeasyPrint made cannot be read back: {type(exc).__name__}: "
                f"{str(exc)[:200]}", None, None,
                "look for extreme values in styles/ (e.g. transform: scale(1e30), huge sizes) "
                "and use values a page can hold")) from None
        pdf, pages = finished.pdf, finished.pages
    return Made(pdf=pdf, pages=pages, html=result.html or rendered.html, warnings=warnings,
                charts=len(charts.plans), charts_cached=charts.cached, parts=parts_made,
                layouts=result.layouts, typeset=typeset_now)


def publish(root: Path | str, *, reporter: Reporter | None = None,
            options: BuildOptions | None = None, signer: Signer | None = None,
            timestamp_url: str | None = None,
            signature_box: SignatureBox | None = None, member: str | None = None,
            sources: list[str] | None = None) -> Published:
    """Publish the archival edition into ``<archive>/<year>/<version>/`` (the
    archive: ``archive.folder`` of report.yaml, default ``editions/``; see
    :mod:`almanac.editions`): the ``archive`` variant with every source embedded.
    A report in several languages is published in each, an edition per language
    in ``<archive>/<year>/<version>/<language>/``, each PDF with the whole project
    embedded; the main language's edition is returned, the others in its
    ``translations``.

    With ``signer`` (:func:`~almanac.editions.signing.load_signer`) each PDF is
    signed (PAdES, an incremental update; timestamped by the RFC 3161 authority at
    ``timestamp_url``, else at report.yaml's ``archive.timestamp_url``, when either is
    given) after it is made and before the edition is written;
    its ``manifest.json`` records the signed and the unsigned file. The signature is
    invisible, or shown in ``signature_box``, else in report.yaml's
    ``archive.signature_box`` (:func:`signature_appearance`); a box off its page is
    refused before anything is written.

    The same version with the same inputs is left as it is; with other inputs it
    is refused (:class:`~almanac.errors.ReportError`), and so is a new version that
    breaks the archive's rules (:func:`~.editions.archive.check_archive_rules`: a
    version above the archived ones, a date not before theirs, a changelog entry of
    its own). Nothing is written unless
    the whole edition (every language) is complete. ``options`` give the limits
    (its variant is always ``archive``, its language every one).

    A family member (``member``, its key) is published as its own edition in
    ``<archive>/<year>/<version>/<member key>/``, embedding the files it is built
    from (:func:`edition_sources`; ``sources`` when the caller has them already).
    """
    if member is None:  # a family's editions are its members'
        refuse_family_publish(root)
    reporter = reporter or Reporter()
    reporter.step("load", reporter.words.gettext("reading report.yaml, brand and chapters"))
    reports = load_all(root, member)
    check_output_folder(reports[0].root,
                        (OUTPUT, reports[0].manifest.archive.folder, *KEPT))
    # One publish of a project at a time: a second one waits, then finds the edition
    # the first made (same inputs: nothing to do; other inputs: refused).
    with exclusive(reports[0].root, "publish"):
        return _publish(reports, reporter, options or BuildOptions(), signer, timestamp_url,
                        signature_box, sources)


def edition_sources(report: Report) -> list[str]:
    """The files an edition of ``report`` embeds, as sorted POSIX paths relative to
    its folder: the project's sources (:func:`~.project.parts.source_files`); for a
    family member (``report.member``) those without the other members' own files,
    and with ``family.yaml``, the member table and the member's own files (what
    loading that member reads, so that the edition rebuilds from itself)."""
    from .project.family import load_family

    names = source_files(report.root)
    family = load_family(report.root) if report.member is not None else None
    if family is None or report.member is None:
        return names
    root = family.root

    def relative(paths: set[Path]) -> set[str]:
        return {path.relative_to(root).as_posix() for path in paths if path.is_file()}

    others = set().union(*(relative(family.member_files(member)) for member in family.members
                           if member.key != report.member.key))
    own = relative(family.member_files(family.member(report.member.key)))
    return sorted((set(names) - others) | own
                  | relative({family.path, family.table_path}))


def refuse_family_publish(root: Path | str) -> None:
    """A ReportError naming ``family.yaml`` when the project at ``root`` is a report
    family: its editions are its members', one each (``almanac publish --family``),
    and :func:`publish` makes the one edition of a single report. Called before
    anything is asked or read beyond the member table (the command line: before a
    signing key's passphrase)."""
    family = load_family(root)
    if family is not None:
        raise ReportError(Problem(
            f"the project is a family of {len(family.members)} members, and each is "
            "published as its own edition", family.path,
            hint="publish every member with almanac publish --family"))


def edition_pdf(report: Report, files: dict[str, bytes], manifest: bytes,
                options: BuildOptions, *, reporter: Reporter | None = None) -> Made:
    """The PDF of one edition, in memory: ``report`` (one language's) in the
    ``archive`` variant with ``files`` (path → bytes, the project's sources) and
    the sources ``manifest`` (:func:`~.editions.sources.sources_manifest`) embedded,
    the manifest's SHA-256 as the file identifier and in the XMP metadata. The one
    way an edition's bytes are made: :func:`publish` writes them, :func:`verify`
    compares them with a published file. ``options`` give the limits. An edition is
    typeset in one pass whatever ``options.jobs`` says: its bytes must come again
    from its sources alone, on a machine with any number of cores (parts joined
    differ from the single pass in their bytes, not their pages:
    :mod:`~.stages.parallel`)."""
    embedding = Embedding(
        identifier=sha256(manifest)[:32].encode(), date=edition_date(report),
        xmp=(xmp_schema(report, manifest),),
        attachments=tuple(Attachment(name, body, "Source", "input of the edition")
                          for name, body in files.items())
        + (Attachment(SOURCES_MANIFEST, manifest, "Data",
                      "Almanac sources manifest: inputs, hashes, tools, edition"),))
    return make_pdf(report, replace(options, variant="archive", jobs=1), reporter=reporter,
                    embedding=embedding)


def signature_appearance(report: Report, box: SignatureBox) -> Appearance:
    """The visible signature of ``report``'s edition in ``box``: its words in the
    report's language ("Digitally signed by <signer>" and the signing time), set in
    the brand's body family, the face of normal style nearest to weight 400."""
    from .project.theme import brand_file, roots
    from .text.messages import catalogue

    faces = report.brand.fonts.body.faces
    face = min(faces, key=lambda face: (face.style != "normal", abs(face.weight - 400)))
    words = catalogue(report.manifest.language, report.root, roots(report.root))
    # Translators: the visible signature of a signed edition; %(signer)s is the
    # certificate's name, %(ts)s the signing time (2025-04-01 14:30 UTC) on the next line
    text = words.gettext("Digitally signed by %(signer)s\n%(ts)s")
    return Appearance(box, brand_file(report.brand_path.parent, face.file), text)


def _configured_box(report: Report) -> SignatureBox | None:
    """report.yaml's ``archive.signature_box`` (checked when the report was loaded)."""
    written = report.manifest.archive.signature_box
    if not written:
        return None
    return replace(parse_signature_box(written), origin="archive.signature_box",
                   path=report.root / MANIFEST,
                   line=manifest_line(report.root, ("archive", "signature_box")))


def _publish(reports: list[Report], reporter: Reporter, options: BuildOptions,
             signer: Signer | None = None, timestamp_url: str | None = None,
             signature_box: SignatureBox | None = None,
             names: list[str] | None = None) -> Published:
    report = reports[0]
    files = read_sources(report.root, names if names is not None  # bounded: EmbedLimits
                         else edition_sources(report))
    sources = [sources_manifest(edition, files) for edition in reports]
    existing = [existing_edition(edition, json.loads(manifest)["inputs"])
                for edition, manifest in zip(reports, sources)]
    if all(edition is not None for edition in existing):
        reporter.done(reporter.words.gettext(
            "edition %(version)s is already published with these inputs: %(folder)s",
            version=report.manifest.edition.version,
            folder=published_version_folder(report) or version_folder(report)))
        return together([edition for edition in existing if edition is not None])
    # the archive's rules: a higher version, a date not before, a changelog entry
    archived = archived_editions(report.root, report.manifest.archive.folder)
    check_archive_rules(report, archived)
    for note in missing_editions(report, archived):  # earlier editions the archive lost?
        reporter.warning(note.format(report.root))
    check_target(version_folder(report), report.root)  # not below a file, not an input
    made = []
    for edition, manifest in zip(reports, sources):
        _untranslated(edition, reporter)
        pdf = edition_pdf(edition, files, manifest, options, reporter=reporter)
        final = pdf.pdf
        if signer is not None:
            reporter.step("sign", reporter.words.gettext(
                "signing as %(signer)s", signer=signer.subject))
            box = signature_box or _configured_box(edition)
            if box is not None and len(reports) > 1:  # which language's PDF, when refused
                box = replace(box, language=edition.manifest.language)
            final = _signed(final, signer, timestamp_url, edition, box)
        made.append((edition, final, pdf.pages, manifest))
    published = write_editions(made)
    for written in [published, *published.translations]:
        reporter.done(reporter.words.ngettext(
            "%(file)s (%(count)s page, %(size).0f KB, %(sources)s sources embedded)",
            "%(file)s (%(count)s pages, %(size).0f KB, %(sources)s sources embedded)",
            written.manifest["pdf"]["pages"], file=written.pdf,
            size=written.manifest["pdf"]["size"] / 1024, sources=len(files)))
    return published


def _signed(pdf: bytes, signer: Signer, timestamp_url: str | None, report: Report,
            box: SignatureBox | None = None) -> bytes:
    """``pdf`` signed (:func:`~.editions.signing.sign_pdf`), timestamped at
    ``timestamp_url`` or else at ``report.yaml``'s ``archive.timestamp_url``; when
    that one gives no timestamp, the refusal names its line in ``report.yaml``.
    Shown in ``box`` when given (:func:`signature_appearance`); a box that does not
    fit the PDF, or words the brand's face cannot show or the box cannot hold legibly,
    are refused by :func:`~.editions.signing.sign_pdf` as they are."""
    appearance = signature_appearance(report, box) if box is not None else None
    url = timestamp_url or report.manifest.archive.timestamp_url
    try:
        return sign_pdf(pdf, signer, url, appearance=appearance)
    except TimestampError as exc:
        if timestamp_url or url is None:
            raise
        raise ReportError([Problem(
            problem.message, report.root / MANIFEST,
            manifest_line(report.root, ("archive", "timestamp_url")),
            "check the address and the network, or remove archive.timestamp_url from "
            "report.yaml (the edition is then signed without a timestamp)",
            "archive.timestamp_url") for problem in exc.problems]) from None


class _Steps(Reporter):
    """The steps of a rebuild shown through ``reporter``; its warnings and what it
    made are not (the rebuild writes nothing, and what the build of the edition
    warned about was said when it was published)."""

    def __init__(self, reporter: Reporter):
        self.reporter, self.words = reporter, reporter.words

    def step(self, name: str, detail: str = "") -> None:
        self.reporter.step(name, detail)


def verify(path: Path | str, *, quick: bool = False, pages: Path | str | None = None,
           reporter: Reporter | None = None, options: BuildOptions | None = None,
           limits: EmbedLimits | None = None, trust: list[Path] | None = None
           ) -> Verification:
    """Check the published PDF at ``path``: the structural checks of
    :func:`~.editions.verify.verify` (from the file alone; a signature too, its chain
    against the certificates in ``trust``), then, unless ``quick``,
    a rebuild of the edition from the sources it embeds, compared byte for byte
    (:func:`~.editions.rebuild.compare_rebuilt`: the check ``pages rebuilt
    identical``; the first page that looks different drawn side by side into
    ``pages``, or a new temporary folder, as ``<file's stem>-<local time>-page-NNN.png``:
    an earlier run's images there are left as they are).

    The rebuild is made only of a file whose own checks pass (``intact``: its
    sources and metadata as published, though the preflight of a standard may
    fail); otherwise the verdict is given and ``rebuilt`` stays None, so no build
    runs from a file known to be changed. The rebuild writes the tool versions and
    theme digest the edition records into its manifest and XMP (they are only data
    there, and anyone can change them). With other versions installed
    (:func:`~.editions.rebuild.compare_tools`; ``tools`` names them) it is made all
    the same: identical bytes prove the pages all the same; bytes that differ, or
    sources that do not build, prove nothing either way, and ``unproven`` says why
    (the check fails as "not checked"). A signed file is compared by the revision
    before its first signature
    (:func:`~.editions.signing.unsigned_revision`), which is what was built; what
    was added after the signature is the signature checks' to judge. An untrusted
    certificate chain does not stop the rebuild: the pages may still be the
    edition's. The sources are restored into a temporary folder (removed after), the
    edition of the manifest's ``language`` (a report in several languages) is made
    in memory through :func:`edition_pdf`, as :func:`publish` makes it; nothing is
    written into the user's project, cache or current folder but the difference
    image, and nothing is fetched (charts are drawn locally). Sources that do not
    build fail the check. ``options`` give the build's limits. Raises ReportError
    only for ``pages`` that cannot be written or pages PDFium cannot draw."""
    import tempfile

    from .editions.extract import embedded_place, write_tree
    from .editions.rebuild import REBUILT, compare_rebuilt, compare_tools
    from .editions.signing import unsigned_revision
    from .editions.verify import Check
    from .editions.verify import verify as check_structure

    reporter = reporter or Reporter()
    path = Path(path)
    reporter.step("verify", reporter.words.gettext(
        "embedded sources, metadata and the standards the file claims"))
    verification = check_structure(path, limits, trust=trust)
    if quick:
        return verification
    if verification.sources is None or not verification.unchanged:
        return verification  # not the edition as published: the checks say why
    tools = compare_tools(verification)
    verification.tools, verification.unrecorded = tools.differing, tools.unrecorded
    other = "the edition records other tool versions; rebuilt with the installed ones"
    language = verification.sources.get("language")
    member = verification.sources.get("member")  # a family member's edition
    member = member if isinstance(member, str) else None
    limits = limits or EmbedLimits.from_environment()
    with tempfile.TemporaryDirectory(prefix="almanac-rebuild-") as tmp:
        root = Path(tmp, "edition")
        reporter.step("extract", reporter.words.gettext(
            "restoring the embedded sources into a temporary folder"))
        write_tree(path, verification, root)
        try:
            report = load(root, language, member)
            files = read_sources(report.root, edition_sources(report), limits)
            # the tools and theme it recorded, whatever is installed: only data there
            manifest = sources_manifest(report, files, tools.recorded, tools.theme)
            made = edition_pdf(report, files, manifest, options or BuildOptions(),
                               reporter=_Steps(reporter))
        except ReportError as exc:
            first = exc.problems[0] if exc.problems else None
            where = embedded_place(first.path, first.line, root) if first else None
            why = ("the embedded sources do not build again: "
                   + (f"{where}: " if where else "") + (first.message if first else str(exc))
                   )[:600]
            if tools.differing:
                verification.unproven = f"{other}, {why}"
                why = f"not checked: {verification.unproven}"
            verification.checks.append(Check(REBUILT, False, why))
            verification.rebuilt = True
            return verification
    reporter.step("compare", reporter.words.gettext("the file against the rebuilt edition"))
    data = verification.data  # the bytes checked above, not a second reading
    published = unsigned_revision(data) if verification.signatures else None
    check, images = compare_rebuilt(  # the image named for this file and this run
        published or data, made.pdf, Path(pages) if pages is not None else
        None, f"{path.stem}-{datetime.now():%Y%m%dT%H%M%S}")
    if tools.differing and check.ok:
        check.detail += " (with other tool versions installed: " + ", ".join(
            f"{name} {installed}" for name, _, installed in tools.differing) + ")"
    elif tools.differing:
        verification.unproven = f"{other}, it differs: {check.detail}"
        check.detail = f"not checked: {verification.unproven}"
    verification.checks.append(check)
    verification.rebuilt, verification.page_images = True, images
    return verification


__all__ = ["BuildOptions", "BuildResult", "Made", "Variant", "brand_member", "build", "build_all",
           "build_specimen", "default_output", "load", "load_all", "make_pdf", "publish",
           "render_html", "verify"]
