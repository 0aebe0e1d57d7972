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

from .errors import Problem, TypesetError
from .finish import finish_pdf
from .formatting import Formatter
from .load import load_report
from .model import Report
from .render import Rendered, render_charts, render_report
from .reporter import Reporter
from .typeset import typeset


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


def render_html(report: Report, reporter: Reporter, cache: bool = True) -> Rendered:
    fmt = Formatter(report.manifest.language)
    reporter.step("charts", "rendering figures to SVG")
    charts = render_charts(report, fmt, cache=cache)
    cached = sum(chart.cached for chart in charts.values())
    reporter.step("render", f"{len(charts)} charts ({cached} from cache); templates → HTML")
    return render_report(report, charts)


def build(root: Path | str, output: Path | str | None = None, *,
          reporter: Reporter | None = None, cache: bool = True, strict: bool = False,
          html_output: Path | str | None = None) -> BuildResult:
    """Build the report at ``root`` into a PDF and return where it went."""
    reporter = reporter or Reporter()
    reporter.step("load", "reading report.yaml, brand and chapters")
    report = check_report(root)
    rendered = render_html(report, reporter, cache)
    if html_output is not None:
        _write_atomic(Path(html_output), rendered.html.encode("utf-8"))
    reporter.step("typeset", "laying out pages with WeasyPrint")
    result = typeset(rendered, report.root)
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
                       warnings=result.warnings, charts=len(rendered.charts),
                       charts_cached=rendered.charts_cached)


def _write_atomic(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` so that readers see the old file or the new one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                         dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
