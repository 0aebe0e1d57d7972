"""Visual regression: a few pages of the sample report against reference PNGs.

The references live in tests/references/. After an intended design change, write
them again from the current build with

    pytest tests/test_visual.py --refresh-references

and look at the new PNGs before committing them.
"""

from __future__ import annotations

import warnings

import pytest
from pypdf import PdfReader

from almanac.pipeline import build, load
from almanac.reporter import BufferReporter

from conftest import override
from visual import (
    DPI,
    PAGES,
    REFRESH_COMMAND,
    ReferenceWritten,
    compare,
    diff_image,
    find_pages,
    load_image,
    reference_path,
    render_page,
    save_image,
)

MUTATION = """
/* visual test: a deliberate change that must be noticed */
h2 { color: #ff0000 !important; }
.kpi { background: #00aa00 !important; }
"""


@pytest.fixture(scope="module")
def visual_pages(reader, report) -> dict[str, int]:
    return find_pages(reader, report)


@pytest.fixture
def refresh(request) -> bool:
    return request.config.getoption("refresh_references")


def _write_reference(name: str, page: int, image) -> str:
    path = reference_path(name)
    if path.exists():
        before = compare(load_image(path), image)
        state = "unchanged" if before.ok else f"updated ({before})"
    else:
        state = "new"
    save_image(image, path)
    size = path.stat().st_size / 1024
    return (f"wrote {path.parent.name}/{path.name} from page {page} "
            f"({image.width}×{image.height} px at {DPI} dpi, {size:.1f} KB): {state}")


@pytest.mark.parametrize("name", list(PAGES))
def test_page_matches_reference(name, visual_pages, pdf_path, refresh, tmp_path):
    page = visual_pages[name]
    actual = render_page(pdf_path, page)
    path = reference_path(name)

    if refresh:
        warnings.warn(ReferenceWritten(_write_reference(name, page, actual)), stacklevel=1)
        return

    if not path.exists():
        pytest.fail(f"no reference for {name} ({PAGES[name]}): {path} is missing; "
                    f"run `{REFRESH_COMMAND}` to write it", pytrace=False)

    reference = load_image(path)
    result = compare(reference, actual)
    if not result.ok:
        diff = tmp_path / f"{name}-diff.png"
        save_image(diff_image(reference, actual), diff)
        save_image(actual, tmp_path / f"{name}-actual.png")
        pytest.fail(f"{name} (page {page}, {PAGES[name]}) does not match {path.name}: "
                    f"{result}\n  side by side: {diff}\n"
                    f"  if the change is intended, run `{REFRESH_COMMAND}`", pytrace=False)


def test_comparison_notices_a_style_change(warm, pdf_path, visual_pages, tmp_path):
    """A visible CSS change must push at least one reference page out of tolerance.

    The changed build is compared with the unchanged session build (the pages the
    references are made from), so this holds whether or not the references are fresh.
    """
    css = override(warm, "styles/components.css")
    css.write_text(css.read_text(encoding="utf-8") + MUTATION, encoding="utf-8")
    changed_pdf = build(warm, reporter=BufferReporter()).path
    changed_pages = find_pages(PdfReader(changed_pdf), load(warm))

    results = {}
    for name in PAGES:
        before = render_page(pdf_path, visual_pages[name])
        after = render_page(changed_pdf, changed_pages[name])
        results[name] = compare(before, after)
        if not results[name].ok:
            save_image(diff_image(before, after), tmp_path / f"{name}-diff.png")

    noticed = [name for name, result in results.items() if not result.ok]
    assert noticed, "the CSS change went unnoticed:\n" + "\n".join(
        f"  {name}: {result}" for name, result in results.items())
