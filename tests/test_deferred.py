"""A cold build lays out pages while its charts are drawn: WeasyPrint reads a chart
still being drawn when the layout reaches it, not while it builds the box tree (which
would hold the whole layout until the last chart was drawn)."""

from __future__ import annotations

import sys
from pathlib import Path

from almanac.stages.charts import ChartJob


def _phase() -> str:
    """Where WeasyPrint is, from the stack: building the box tree, laying out pages,
    or writing the PDF."""
    frame = sys._getframe(1)
    names = set()
    while frame is not None:
        names.add(frame.f_code.co_name)
        frame = frame.f_back
    if "build_formatting_structure" in names:
        return "box tree"
    if "layout_document" in names:
        return "layout"
    return "other"


def test_a_chart_being_drawn_is_read_when_the_layout_reaches_it(small, cli, tmp_path,
                                                                 monkeypatch):
    reads: list[str] = []
    wait = ChartJob.wait

    def recorded(self: ChartJob, path: Path) -> bool:
        if path.parent == self.store:
            reads.append(_phase())
        return wait(self, path)

    monkeypatch.setattr(ChartJob, "wait", recorded)
    cold = tmp_path / "cold.pdf"
    ran = cli("build", str(small), "-q", "-o", str(cold))
    assert ran.returncode == 0, ran.stderr
    assert reads and set(reads) == {"layout"}, reads
    warm = tmp_path / "warm.pdf"  # every chart drawn now: the same file
    assert cli("build", str(small), "-q", "-o", str(warm)).returncode == 0
    assert cold.read_bytes() == warm.read_bytes()
