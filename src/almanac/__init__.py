"""Almanac: branded annual-report PDFs from structured data.

The public API is small, and the command line is built on it:

``load(root, language=None) -> Report``
    Read and validate the project in the folder ``root`` (``report.yaml``, the
    brand file, every chapter): the typed model, or :class:`ReportError` with
    every problem found, each with its file, line and a fix. A report in several
    languages (``languages:``) is read in ``language`` (default: its main one).

``build(root, output=None, options=None, *, reporter=None, **changes) -> BuildResult``
    Typeset the report into a PDF (default ``<root>/output/<title>.pdf``).
    :class:`BuildOptions` (or its fields as keywords) choose the variant
    (``"screen"`` or ``"print"``), strictness, the chart cache and more. The PDF
    is written atomically: on any error nothing is written and an earlier PDF
    stays as it was.

``publish(root, *, reporter=None) -> Published``
    Publish the archival edition (PDF/A-3a with its sources embedded) into
    the archive, ``<root>/editions/<year>/<version>/`` (``archive.folder`` of
    ``report.yaml``), once; a new version must keep the archive's rules
    (:func:`almanac.editions.archive.check_archive_rules`).

Errors: :class:`ReportError` is a problem with the report's own files (its
``problems`` say where and how to fix it); any other exception is a bug in
Almanac. Builds own their state, so several may run at once in one process (in
threads); WeasyPrint's warnings are collected per build into
``BuildResult.warnings`` and still reach the ``weasyprint`` logger.

    >>> import almanac
    >>> result = almanac.build("my-report", variant="print")  # doctest: +SKIP
    >>> result.path, result.pages                              # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .errors import Problem, ReportError
    from .pipeline import BuildOptions, BuildResult, build, load, publish
    from .project.model import Report

# Imported when first used, so that ``import almanac`` (and every helper process
# that imports a part of it) does not pay for the whole pipeline.
_EXPORTS = {"BuildOptions": "pipeline", "BuildResult": "pipeline", "build": "pipeline",
            "load": "pipeline", "publish": "pipeline", "Report": "project.model",
            "Problem": "errors", "ReportError": "errors"}


def __getattr__(name: str) -> Any:
    if name == "load_report":  # the name of earlier versions
        name = "load"
    if name not in _EXPORTS:
        raise AttributeError(f"module 'almanac' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)


__all__ = ["BuildOptions", "BuildResult", "Problem", "Report", "ReportError", "__version__",
           "build", "load", "load_report", "publish"]
