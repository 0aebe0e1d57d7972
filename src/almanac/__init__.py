"""Almanac: branded annual-report PDFs from structured data.

The public API is small: :func:`build` (project folder → PDF), :func:`load_report`
(project folder → typed model) and :class:`ReportError`.
"""

__version__ = "0.1.0"


def build(root, output=None, **options):
    """Build the report in ``root``; see :func:`almanac.pipeline.build`."""
    from .pipeline import build as _build

    return _build(root, output, **options)


def load_report(root):
    """Load and validate the report in ``root``; see :func:`almanac.pipeline.check_report`."""
    from .pipeline import check_report

    return check_report(root)


from .errors import ReportError  # noqa: E402

__all__ = ["ReportError", "__version__", "build", "load_report"]
