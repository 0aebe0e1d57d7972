"""The orchestrator: the only module that imports every stage.

load → check → charts → render → typeset → finish → write. Everything is built
in memory; the PDF is written to a temporary file in the project's staging
folder and renamed into place, so an earlier PDF is never damaged by a failed
or killed build.
"""

from __future__ import annotations

import gc
import json
import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .archive import (ARCHIVE_VARIANT, SOURCES_MANIFEST, Attachment, Published, edition_date,
                      existing_edition, file_slug, input_files, sha256, sources_manifest,
                      write_edition, xmp_block)
from .brand import EDITIONS, Edition, svg_for_print
from .charts import ChartJob
from .errors import Problem, TypesetError
from .finish import catalog_finisher, finish_pdf
from .formatting import Formatter
from .load import load_report, load_specimen
from .model import Report
from .render import Rendered, render_report
from .reporter import Reporter
from .staging import prefix, staging_dir


@dataclass(frozen=True)
class BuildResult:
    path: Path
    pages: int
    size: int
    warnings: list[str]
    charts: int
    charts_cached: int


def check_report(root: Path | str) -> Report:
    """Load and validate everything that can be checked without typesetting."""
    return load_report(root)


PDF_VARIANTS = {"screen": None, "print": "pdf/x-4"}
HINTS = {  # what to do about each kind of layout finding (strict builds)
    "overflow": "make the content narrower or allow it to break (styles/)",
    "stranded-heading": "keep the heading with its text: break-after: avoid, or move a block",
    "table-orphan-row": "keep at least two rows together (orphans/widows on table rows)",
    "low-dpi": "use an image with more pixels, or print it smaller",
    "contrast": "darken the text colour or lighten its background in styles/brand.yaml",
}


def default_output(report: Report, edition: Edition = "screen") -> Path:
    slug = file_slug(report.manifest.title)
    if str(report.manifest.year) not in slug:
        slug += f"-{report.manifest.year}"
    if edition != "screen":
        slug += f"-{edition}"
    return report.root / "output" / f"{slug}.pdf"


def render_html(report: Report, reporter: Reporter, cache: bool = True,
                parallel: bool = False, edition: Edition = "screen",
                template: str = "report.html") -> tuple[Rendered, ChartJob]:
    """Templates → one HTML document; its charts are drawn by the returned job
    (in the background when ``parallel``; call ``job.finish()`` when done)."""
    job = ChartJob(report, Formatter(report.manifest.language), cache=cache)
    reporter.step("charts", f"{len(job.plans)} charts, {job.cached} from cache")
    job.start(parallel=parallel)
    reporter.step("render", "templates → HTML")
    try:
        return render_report(report, job, edition, template), job
    except BaseException:
        job.cancel()  # a template failed: the chart worker stops too
        raise


def build(root: Path | str, output: Path | str | None = None, *,
          reporter: Reporter | None = None, cache: bool = True, strict: bool = False,
          html_output: Path | str | None = None, edition: Edition = "screen") -> BuildResult:
    """Build the report at ``root`` into a PDF and return where it went.

    ``edition`` is ``screen`` (RGB, links, no bleed) or ``print`` (CMYK process
    colours, bleed and marks, mirrored pages, PDF/X-4); both come from one layout.
    """
    reporter = reporter or Reporter()
    reporter.step("load", "reading report.yaml, brand and chapters")
    report = check_report(root)
    target = Path(output) if output is not None else default_output(report, edition)
    return produce(report, target, reporter=reporter, cache=cache, strict=strict,
                   html_output=html_output, edition=edition)


def build_specimen(root: Path | str, output: Path | str | None = None, *,
                   reporter: Reporter | None = None, edition: Edition = "screen",
                   strict: bool = False) -> BuildResult:
    """A PDF that shows the brand tokens and every component (``layout/specimen/``)."""
    reporter = reporter or Reporter()
    reporter.step("load", "reading the brand and layout/specimen/")
    report = load_specimen(check_report(root))
    suffix = "" if edition == "screen" else f"-{edition}"
    target = Path(output) if output is not None else \
        report.root / "output" / f"specimen{suffix}.pdf"
    return produce(report, target, reporter=reporter, strict=strict, edition=edition,
                   template="specimen.html")


def produce(report: Report, target: Path, *, reporter: Reporter, cache: bool = True,
            strict: bool = False, html_output: Path | str | None = None,
            edition: Edition = "screen", template: str = "report.html") -> BuildResult:
    """A loaded report → charts → HTML → PDF written atomically to ``target``."""
    if edition not in EDITIONS:
        raise ValueError(f"unknown edition {edition!r}")
    with _no_garbage_collection():
        made = _make_pdf(report, reporter=reporter, cache=cache, strict=strict,
                         html_output=html_output, edition=edition, template=template)
        if not target.is_absolute():
            target = Path.cwd() / target
        _write_atomic(target, made.pdf, report.root)
    reporter.done(f"{target} ({made.pages} pages, {len(made.pdf) / 1024:.0f} KB)")
    return BuildResult(path=target, pages=made.pages, size=len(made.pdf),
                       warnings=made.warnings, charts=made.charts,
                       charts_cached=made.charts_cached)


def publish(root: Path | str, *, reporter: Reporter | None = None) -> Published:
    """Publish the archival edition into ``output/<year>/<version>/`` (see archive.py).

    The same version with the same inputs is left as it is; with other inputs it
    is refused. Nothing is written unless the whole edition is complete.
    """
    reporter = reporter or Reporter()
    reporter.step("load", "reading report.yaml, brand and chapters")
    report = check_report(root)
    files = {name: (report.root / name).read_bytes() for name in input_files(report.root)}
    sources = sources_manifest(report, files)
    existing = existing_edition(report, json.loads(sources)["inputs"])
    if existing is not None:
        reporter.done(f"edition {report.manifest.edition.version} is already published "
                      f"with these inputs: {existing.folder}")
        return existing
    date = edition_date(report)
    archive = {
        "variant": ARCHIVE_VARIANT, "identifier": sha256(sources)[:32].encode(),
        "xmp": xmp_block(report, sha256(sources)), "date": date,
        "attachments": [Attachment(name, body, "Source", "input of the edition")
                        for name, body in files.items()]
        + [Attachment(SOURCES_MANIFEST, sources, "Data",
                      "Almanac sources manifest: inputs, hashes, tools, edition")],
    }
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(date.timestamp()))
    try:
        with _no_garbage_collection():
            made = _make_pdf(report, reporter=reporter, cache=True, strict=True,
                             html_output=None, edition="screen", template="report.html",
                             archive=archive)
    finally:
        if epoch is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = epoch
    published = write_edition(report, made.pdf, made.pages, sources)
    reporter.done(f"{published.pdf} ({made.pages} pages, {len(made.pdf) / 1024:.0f} KB, "
                  f"{len(files)} sources embedded)")
    return published


@contextmanager
def _no_garbage_collection():
    """Layout allocates millions of short-lived objects and few reference cycles:
    pausing the cyclic collector for the build saves a tenth of its time. The
    collector runs again afterwards (the command line exits first)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class _Made:
    pdf: bytes
    pages: int
    warnings: list[str]
    charts: int
    charts_cached: int


def render_pdf(report: Report, *, reporter: Reporter | None = None,
               edition: Edition = "screen", template: str = "report.html",
               parallel: bool = True) -> _Made:
    """A loaded report → PDF bytes in memory, for the preview server: the pages
    are only looked at, so the read-back checks of the finish stage are skipped."""
    with _no_garbage_collection():
        return _make_pdf(report, reporter=reporter or Reporter(), cache=True, strict=False,
                         html_output=None, edition=edition, template=template,
                         parallel=parallel, check=False)


def _make_pdf(report: Report, *, reporter: Reporter, cache: bool, strict: bool,
              html_output: Path | str | None, edition: Edition, template: str,
              archive: dict | None = None, parallel: bool = True,
              check: bool = True) -> _Made:
    rendered, charts = render_html(report, reporter, cache, parallel=parallel,
                                   edition=edition, template=template)
    reporter.step("typeset", "laying out pages with WeasyPrint")
    # Imported here, not at the top: WeasyPrint's import then overlaps with the
    # chart worker drawing the charts on the other core.
    from .inspect import inspect_layout
    from .typeset import typeset

    options = {"variant": PDF_VARIANTS[edition]}
    if archive is not None:
        options = dict(archive)
    try:
        result = typeset(rendered, report.root, finisher=catalog_finisher,
                         before_read=charts.wait,
                         transform=_recolour(report) if edition == "print" else None,
                         **options)
    finally:
        charts.finish()  # raises the figure modules' problems, if any
    if html_output is not None:
        _write_atomic(Path(html_output).absolute(), rendered.html.encode("utf-8"), report.root)
    reporter.step("inspect", "checking the laid-out pages")
    findings = inspect_layout(result.document, report.brand)
    warnings = result.warnings + [finding.message for finding in findings]
    for warning in warnings:
        reporter.warning(warning)
    if strict and warnings:
        raise TypesetError(
            [Problem(f"WeasyPrint: {w}", hint="fix the template, style or image it names "
                     "(strict build)") for w in result.warnings]
            + [Problem(f.message, hint=HINTS[f.kind]) for f in findings])
    if not check:
        return _Made(pdf=result.pdf, pages=result.pages, warnings=warnings,
                     charts=len(charts.plans), charts_cached=charts.cached)
    reporter.step("finish", f"{result.pages} pages; metadata and outline")
    finished = finish_pdf(result.pdf, report)
    return _Made(pdf=finished.pdf, pages=finished.pages, warnings=warnings,
                 charts=len(charts.plans), charts_cached=charts.cached)


def _recolour(report: Report):
    """For print: SVG files (charts, images) are read with process colours."""
    def transform(path: Path, body: bytes) -> bytes:
        if path.suffix.lower() != ".svg":
            return body
        return svg_for_print(body.decode("utf-8"), report.brand).encode("utf-8")

    return transform


def _write_atomic(target: Path, data: bytes, root: Path | None = None) -> None:
    """Write ``data`` to ``target`` so that readers see the old file or the new one.

    The temporary file is made in the project's staging folder (see staging.py),
    not beside the target, so a killed build leaves nothing in ``output/``.
    """
    handle, temporary = tempfile.mkstemp(prefix=prefix(target.name), suffix=".part",
                                         dir=staging_dir(root, target))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(handle, 0o666 & ~umask)  # mkstemp makes 0600; a report is for sharing
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
