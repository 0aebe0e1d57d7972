"""The one way the benchmarks copy a report project into a private folder."""

from __future__ import annotations

from almanac.project.parts import copy_sources as copy_project

__all__ = ["copy_project"]
