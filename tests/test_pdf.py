"""The built sample report as a reader meets it: pages, outline, contents, metadata."""

from __future__ import annotations

import re

from pdfread import outline, rasterise, squash


def test_a4_pages(reader):
    assert 20 <= len(reader.pages) <= 60
    for page in reader.pages:
        assert round(float(page.mediabox.width)) == 595
        assert round(float(page.mediabox.height)) == 842


def test_outline_lists_every_chapter_and_its_sections(report, reader, chapter_starts):
    entries = outline(reader)
    chapters = [(title, page) for depth, title, page in entries if depth == 1]
    expected = [(c.data.title, chapter_starts[c.data.title]) for c in report.chapters]
    # the contents before the chapters, the appendix of chart data after them
    assert [c for c in chapters if c[0] not in ("Inhoud", "Gegevens bij de grafieken")] \
        == expected
    titles = [title for _, title, _ in entries]
    for chapter in report.chapters:
        for section in chapter.data.sections:
            if section.title:
                assert section.title in titles
    assert all(depth in (1, 2, 3) for depth, _, _ in entries)


def test_contents_page_numbers_are_the_chapter_start_pages(report, reader, zones,
                                                           chapter_starts):
    lines = []
    for page in reader.pages[1:4]:
        for line in page.extract_text(extraction_mode="layout").splitlines():
            lines.append(" ".join(line.split()))
    contents = "\n".join(lines)
    listed = {}
    for chapter in report.chapters:
        pattern = rf"^{chapter.number:02d} {re.escape(chapter.data.title)} ?[. ]+ (\d+)$"
        match = re.search(pattern, contents, re.MULTILINE)
        assert match, f"{chapter.data.title} is in the table of contents"
        listed[chapter.data.title] = int(match.group(1))
    assert listed == chapter_starts


def _text_lines(page) -> list[tuple[float, str]]:
    """(baseline y, text) of every text run on a page."""
    runs = []
    page.extract_text(visitor_text=lambda text, cm, tm, font, size: runs.append(
        (tm[5] * cm[3] + cm[5], text)) if text.strip() else None)
    return runs


def test_contents_entries_link_to_their_chapters(report, reader, zones, chapter_starts):
    """Each entry of the contents is a link, on the entry's own line, that opens the
    page where its chapter starts."""
    contents = [i for i, (_, body, _) in enumerate(zones) if squash(body).startswith("inhoud")]
    assert contents, "a contents page"
    links = {}  # destination page → the link rectangles pointing there
    for index in contents:
        page = reader.pages[index]
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link" or "/Dest" not in annotation:
                continue
            target = reader.named_destinations[str(annotation["/Dest"])]
            rect = [float(v) for v in annotation["/Rect"]]
            links.setdefault(reader.get_destination_page_number(target) + 1, []).append(
                (index, min(rect[1], rect[3]), max(rect[1], rect[3])))
    for chapter in report.chapters:
        start = chapter_starts[chapter.data.title]
        assert start in links, f"no contents link to page {start} ({chapter.data.title})"
        lines = [(index, y) for index in contents
                 for y, text in _text_lines(reader.pages[index])
                 if squash(chapter.data.title) in squash(text)]
        assert any(index == link_page and low - 2 <= y <= high + 2
                   for index, y in lines for link_page, low, high in links[start]), \
            f"the link to page {start} is not on the line of '{chapter.data.title}'"


def test_metadata_comes_from_the_manifest(report, reader):
    manifest = report.manifest
    meta = reader.metadata
    assert meta.title == manifest.title
    assert meta.author == manifest.organisation
    assert meta.subject == manifest.subject
    assert meta["/Keywords"] == ", ".join(manifest.keywords)
    assert meta.creation_date.date() == manifest.edition.date
    assert reader.trailer["/Root"]["/Lang"] == manifest.language


def test_cover_has_no_running_elements_and_body_pages_do(reader, zones, chapter_starts):
    header, body, footer = zones[0]
    assert not header.strip() and "pagina" not in footer
    assert "Jaarverslag 2021" in body
    total = len(reader.pages)
    for number, (_, _, footer) in enumerate(zones, 1):
        if number in chapter_starts.values() or number in (1, total):
            assert "pagina" not in footer
        elif number > 2:
            assert f"pagina {number} van {total}" in footer


def test_running_header_is_the_current_chapter(report, zones, chapter_starts):
    # after the last chapter, the appendix of chart data runs to the back cover
    appendix = squash("Gegevens bij de grafieken")
    after = next(number for number, zone in enumerate(zones, 1)
                 if squash(zone[0]) == appendix)
    assert after > max(chapter_starts.values())
    assert all(squash(zone[0]) == appendix for zone in zones[after - 1:len(zones) - 1])
    starts = sorted((page, title) for title, page in chapter_starts.items())
    for (page, title), following in zip(starts, starts[1:] + [(after, None)]):
        for number in range(page + 1, following[0]):
            assert squash(title) in squash(zones[number - 1][0]), (number, title)


def _images(resources, seen=None) -> list[str]:
    seen = seen if seen is not None else set()
    found = []
    xobjects = resources.get("/XObject") if resources else None
    if not xobjects:
        return found
    for name, ref in xobjects.get_object().items():
        obj = ref.get_object()
        key = id(obj)
        if key in seen:
            continue
        seen.add(key)
        if obj.get("/Subtype") == "/Image":
            found.append(name)
        elif obj.get("/Subtype") == "/Form":
            found += _images(obj.get("/Resources"), seen)
    return found


def test_charts_and_photos_are_vector(reader):
    for number, page in enumerate(reader.pages, 1):
        assert not _images(page.get("/Resources")), f"raster image on page {number}"


def test_chart_text_is_selectable(reader):
    text = squash(" ".join(page.extract_text() for page in reader.pages))
    for label in ("Nederweert (crystal meth)", "€ 6,2 miljoen", "2,6", "Aangepakte CS",
                  "ultimo 2021"):
        assert squash(label) in text, label


def test_fonts_are_the_shipped_ones_and_embedded(reader):
    names = set()
    for page in reader.pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for ref in fonts.values():
            font = ref.get_object()
            names.add(str(font.get("/BaseFont")))
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font).get(
                "/FontDescriptor")
            if descriptor is not None:
                descriptor = descriptor.get_object()
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert names and all("Lato" in name for name in names), names


def test_file_is_small(pdf_path):
    assert pdf_path.stat().st_size < 1_500_000


def test_pages_look_branded(pdf_path, report, chapter_starts):
    def share(image, hex_color, tolerance=40):
        target = tuple(int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
        pixels = list(image.get_flattened_data())
        close = sum(1 for p in pixels if sum(abs(a - b) for a, b in zip(p, target)) < tolerance)
        return close / len(pixels)

    colors = report.brand.colors
    cover = rasterise(pdf_path, 1)
    assert share(cover, colors.primary_dark.hex) + share(cover, colors.primary.hex) > 0.3
    opener = rasterise(pdf_path, chapter_starts["Resultaten"])
    assert share(opener, "#ffffff") < 0.2  # a full-bleed opener, not a blank page
    body = rasterise(pdf_path, chapter_starts["Resultaten"] + 1)
    assert share(body, "#ffffff", 10) > 0.6


def test_contents_leaders_are_one_run_of_dots_per_entry(report, pdf_path, zones):
    """Each entry's dots are drawn as one run of text, not one text object per dot
    (WeasyPrint's own leaders: some 60 a line), and are still there to see."""
    import pikepdf

    index = next(i for i, (_, body, _) in enumerate(zones) if squash(body).startswith("inhoud"))
    entries = sum(1 + sum(1 for section in chapter.data.sections if section.title)
                  for chapter in report.chapters)
    with pikepdf.open(pdf_path) as pdf:
        page = pdf.pages[index]
        runs = sum(1 for operands, operator in pikepdf.parse_content_stream(page)
                   if str(operator) == "BT")
    assert runs <= 4 * entries, f"{runs} text objects for {entries} entries"
    text = zones[index][1]
    assert len(re.findall(r"(?:\. ?){10,}", text)) >= len(report.chapters)
