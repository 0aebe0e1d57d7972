"""The orchestrator: the only module that imports every stage.

load → check → charts → render → typeset → finish → write. Everything is built
in memory; the PDF is written to a temporary file beside its target and
renamed into place, so an earlier PDF is never damaged by a failed build.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .charts import ChartJob
from .errors import Problem, TypesetError
from .finish import catalog_finisher, finish_pdf
from .formatting import Formatter
from .load import load_report
from .model import Report
from .render import Rendered, render_report
from .reporter import Reporter


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


def default_output(report: Report) -> Path:
    slug = re.sub(r"[^a-z0-9]+", "-", report.manifest.title.lower()).strip("-")
    if str(report.manifest.year) not in slug:
        slug += f"-{report.manifest.year}"
    return report.root / "output" / f"{slug}.pdf"


def render_html(report: Report, reporter: Reporter, cache: bool = True,
                parallel: bool = False) -> tuple[Rendered, ChartJob]:
    """Templates → one HTML document; its charts are drawn by the returned job
    (in the background when ``parallel``; call ``job.finish()`` when done)."""
    job = ChartJob(report, Formatter(report.manifest.language), cache=cache)
    reporter.step("charts", f"{len(job.plans)} charts, {job.cached} from cache")
    job.start(parallel=parallel)
    reporter.step("render", "templates → HTML")
    return render_report(report, job), job


def build(root: Path | str, output: Path | str | None = None, *,
          reporter: Reporter | None = None, cache: bool = True, strict: bool = False,
          html_output: Path | str | None = None) -> BuildResult:
    """Build the report at ``root`` into a PDF and return where it went."""
    reporter = reporter or Reporter()
    reporter.step("load", "reading report.yaml, brand and chapters")
    report = check_report(root)
    rendered, charts = render_html(report, reporter, cache, parallel=True)
    reporter.step("typeset", "laying out pages with WeasyPrint")
    # Imported here, not at the top: WeasyPrint's import then overlaps with the
    # chart worker drawing the charts on the other core.
    from .typeset import typeset

    try:
        result = typeset(rendered, report.root, finisher=catalog_finisher,
                         before_read=charts.wait)
    finally:
        charts.finish()  # raises the figure modules' problems, if any
    if html_output is not None:
        _write_atomic(Path(html_output), rendered.html.encode("utf-8"))
    for warning in result.warnings:
        reporter.warning(warning)
    if strict and result.warnings:
        raise TypesetError([Problem(f"WeasyPrint: {w}", hint="fix the template, style or "
                                    "image it names (strict build)") for w in result.warnings])
    reporter.step("finish", f"{result.pages} pages; metadata and outline")
    finished = finish_pdf(result.pdf, report)
    target = Path(output) if output is not None else default_output(report)
    if not target.is_absolute():
        target = Path.cwd() / target
    _write_atomic(target, finished.pdf)
    reporter.done(f"{target} ({finished.pages} pages, {len(finished.pdf) / 1024:.0f} KB)")
    return BuildResult(path=target, pages=finished.pages, size=len(finished.pdf),
                       warnings=result.warnings, charts=len(charts.plans),
                       charts_cached=charts.cached)


def _write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` so that readers see the old file or the new one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                         dir=target.parent)
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
