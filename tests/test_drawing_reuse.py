"""A drawing shown in many places is written once: an SVG photo placeholder that two
chapter openers show is one form XObject that both pages paint."""

from __future__ import annotations

import re

import pikepdf
import pytest

from pdfread import rasterise

OPENER = re.compile(r"^opener:\n(?:  .*\n)+", re.MULTILINE)


def _painted_forms(pdf: pikepdf.Pdf) -> dict[tuple[int, int], set[int]]:
    """Form XObject (object, generation) → the pages (from 1) whose content paints it."""
    painted: dict[tuple[int, int], set[int]] = {}
    for number, page in enumerate(pdf.pages, 1):
        names = page.Resources.get("/XObject", {})
        for operands, operator in pikepdf.parse_content_stream(page):
            if str(operator) == "Do":
                xobject = names[str(operands[0])]
                if xobject.get("/Subtype") == "/Form":
                    painted.setdefault(xobject.objgen, set()).add(number)
    return painted


@pytest.mark.slow
def test_a_placeholder_shown_on_two_openers_is_drawn_once(small_warm, cli, tmp_path):
    project = small_warm
    chapters = project / "chapters"
    first = OPENER.search((chapters / "01-voorwoord" / "chapter.yaml").read_text("utf-8"))
    second = chapters / "03-inzetbaarheid" / "chapter.yaml"
    text, count = OPENER.subn(first.group(0), second.read_text("utf-8"))
    assert count == 1
    second.write_text(text, "utf-8")  # the first opener's photo: one drawing, one size
    pdf_path = tmp_path / "report.pdf"
    ran = cli("build", str(project), "-q", "-o", str(pdf_path))
    assert ran.returncode == 0, ran.stderr
    with pikepdf.open(pdf_path) as pdf:
        shared = {form: pages for form, pages in _painted_forms(pdf).items()
                  if len(pages) >= 2}
        assert shared, "no drawing is painted from one form XObject on two pages"
        form = pdf.get_object(next(iter(shared)))
        assert len(form.read_bytes()) > 1000  # the placeholder's drawing, not an empty form
        pages = sorted(next(iter(shared.values())))
    # the two openers still show the photo: most of each page is the drawing's colours
    for number in pages[:2]:
        image = rasterise(pdf_path, number, dpi=20).convert("L")
        pixels = list(image.getdata())
        assert sum(1 for value in pixels if value < 235) > 0.8 * len(pixels)
