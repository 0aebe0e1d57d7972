"""Fonts: only the brand's faces reach the PDF, and every character has its glyph.

Fonts lacking a character are made here by subsetting a brand font with
fontTools in a private copy of the project.
"""

from __future__ import annotations

import functools
import io
import json
import re
from pathlib import Path

import pytest
from fontTools import subset
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from almanac.pipeline import build, load
from almanac.reporter import BufferReporter
from almanac.stages.brand import chart_theme
from almanac.stages.charts import ChartJob, figure_blocks
from almanac.text.formatting import Formatter

from conftest import BRAND, VOORWOORD, cut_to, edit, figure, override

HYPHEN = "\u2010"


def without(font: Path, characters: str) -> None:
    """Rewrite ``font`` in place without ``characters`` in its character map (and
    without the glyphs only they used); everything else of the face is kept."""
    font.write_bytes(_without(font.read_bytes(), characters))


@functools.cache
def _without(body: bytes, characters: str) -> bytes:
    """The font ``body`` without ``characters`` (subsetting a face takes seconds: the
    same face is subset once per test process)."""
    with TTFont(io.BytesIO(body)) as face:
        kept = set(face.getBestCmap()) - {ord(char) for char in characters}
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = True
    subsetter = subset.Subsetter(options)
    out = io.BytesIO()
    with TTFont(io.BytesIO(body)) as face:
        subsetter.populate(unicodes=kept)
        subsetter.subset(face)
        face.save(out)
    return out.getvalue()


def brand_files(project: Path) -> list[Path]:
    report = load(project)
    return [report.brand_path.parent / face.file for role in ("body", "heading")
            for face in getattr(report.brand.fonts, role).faces]


def line_of(project: Path, text: str) -> int:
    lines = (project / BRAND).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def embedded(pdf: Path) -> dict[str, TTFont]:
    """Every embedded font program by its PDF /FontName without the subset prefix."""
    fonts: dict[str, TTFont] = {}
    for page in PdfReader(pdf).pages:
        for ref in ((page.get("/Resources") or {}).get("/Font") or {}).values():
            font = ref.get_object()
            for descendant in font.get("/DescendantFonts") or [font]:
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                name = str(descriptor["/FontName"]).lstrip("/")
                program = next(descriptor[key] for key in ("/FontFile2", "/FontFile3",
                                                           "/FontFile") if key in descriptor)
                fonts[re.sub(r"^[A-Z]{6}\+", "", name)] = TTFont(
                    io.BytesIO(program.get_object().get_data()))
    return fonts


def assert_only_brand_faces(pdf: Path, project: Path) -> set[str]:
    """Each embedded font is a face of the brand's files: its PostScript name (name
    ID 6) is one of theirs and its /FontName begins with one of their family names
    (name ID 16, else 1), as read with fontTools. Returns the PostScript names."""
    postscript, families = set(), set()
    for file in set(brand_files(project)):
        with TTFont(file) as face:
            postscript.add(face["name"].getDebugName(6))
            families.add(face["name"].getDebugName(16) or face["name"].getDebugName(1))
    fonts = embedded(pdf)
    assert fonts
    names = set()
    for name, program in fonts.items():
        ps = program["name"].getDebugName(6)
        assert ps in postscript, f"{name} ({ps}) is not a brand face: {sorted(postscript)}"
        assert any(name.replace("-", " ").startswith(family) for family in families), name
        names.add(ps)
    return names


# --------------------------------------------------------------------------- the sample

@pytest.mark.parametrize("variant", ["screen", "print", "archive"])
def test_every_variant_embeds_only_the_brand_faces(variant, request, sample_dir):
    pdf = {"screen": lambda: request.getfixturevalue("pdf_path"),
           "print": lambda: request.getfixturevalue("print_pdf"),
           "archive": lambda: request.getfixturevalue("published")[1]}[variant]()
    names = assert_only_brand_faces(pdf, sample_dir)
    assert len(names) > 1  # body and headings: more than one face is used


# --------------------------------------------------------------------------- gaps

def test_a_character_the_font_lacks_is_named_with_file_line_and_place(small_warm, cli):
    project = small_warm
    regular = next(f for f in brand_files(project) if f.name == "Lato-Regular.ttf")
    without(regular, "§")
    edit(project, VOORWOORD, "text: |\n          ", "text: |\n          § 2 and § 3. ")
    reporter = BufferReporter()
    build(project, reporter=reporter)
    gaps = [w for w in reporter.warnings if "U+00A7 SECTION SIGN" in w]
    assert len(gaps) == 1, reporter.warnings  # one finding per face and character
    assert f"{BRAND}:{line_of(project, 'Lato-Regular.ttf')}:" in gaps[0]
    assert "fonts/Lato-Regular.ttf" in gaps[0] and "page " in gaps[0]

    ran = cli("build", "--strict", str(project))
    assert ran.returncode == 1
    assert "U+00A7 SECTION SIGN" in ran.stderr
    assert f"{BRAND}:{line_of(project, 'Lato-Regular.ttf')}" in ran.stderr


def test_the_light_text_takes_the_lightest_face_the_brand_has(small_warm):
    """The stylesheets set light text in ``--weight-light``, the lightest face of the
    body family: without a Light face it is the Regular, and nothing asks for a
    weight the brand lacks."""
    project = small_warm
    edit(project, BRAND, "      - {file: fonts/Lato-Light.ttf, weight: 300}\n", "")
    reporter = BufferReporter()
    result = build(project, reporter=reporter)
    assert not [w for w in reporter.warnings if "weight" in w], reporter.warnings
    assert "Lato-Light" not in assert_only_brand_faces(result.path, project)


def test_a_weight_without_a_face_is_named(small_warm):
    project = small_warm
    edit(project, BRAND, "      - {file: fonts/Lato-Light.ttf, weight: 300}\n", "")
    (project / "styles" / "house.css").write_text(  # asked for by name, not by the token
        ".cover-subtitle, .opener .lead { font-weight: 300; }\n", encoding="utf-8")
    reporter = BufferReporter()
    result = build(project, reporter=reporter)
    asked = [w for w in reporter.warnings if "Lato weight 300 normal" in w]
    assert len(asked) == 1, reporter.warnings
    assert f"{BRAND}:{line_of(project, 'family: Lato')}:" in asked[0]
    assert "add a face with weight: 300 to fonts.body" in asked[0]
    assert "Lato-Light" not in assert_only_brand_faces(result.path, project)


def test_a_font_family_outside_the_brand_is_named(small_warm):
    project = small_warm
    override(project, "styles/typography.css").open("a", encoding="utf-8").write(
        "\nh2 { font-family: Georgia, serif; }\n")
    reporter = BufferReporter()
    result = build(project, reporter=reporter)
    assert any("asks for font-family Georgia, serif" in w for w in reporter.warnings), \
        reporter.warnings
    assert_only_brand_faces(result.path, project)


def text_of(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(pdf).pages)


def test_fonts_without_the_hyphen_break_words_with_the_hyphen_minus(small_warm):
    """Every face lacks U+2010: the build hyphenates with U+002D, which they have,
    and nothing is missing (a strict build passes)."""
    project = small_warm
    for font in brand_files(project):
        without(font, HYPHEN)
    result = build(project, strict=True)
    text = text_of(result.path)
    assert HYPHEN not in text
    assert re.search(r"\w-\n\w", text)  # words broken at line ends with "-"
    assert_only_brand_faces(result.path, project)


def test_a_hyphen_the_font_lacks_is_reported_and_no_other_font_embedded(small_warm):
    project = small_warm
    for font in brand_files(project):
        without(font, HYPHEN)
    override(project, "styles/typography.css").open("a", encoding="utf-8").write(
        '\n:root { hyphenate-character: "\\2010"; }\n')
    reporter = BufferReporter()
    result = build(project, reporter=reporter)
    gaps = [w for w in reporter.warnings if "U+2010 HYPHEN" in w]
    assert gaps and all("the hyphen added at a line's end" in w for w in gaps), \
        reporter.warnings
    names = assert_only_brand_faces(result.path, project)
    assert not any("DejaVu" in name for name in names)


# --------------------------------------------------------------------------- almanac fonts

def test_fonts_lists_the_brand_faces_and_what_they_lack(project, cli):
    regular = next(f for f in brand_files(project) if f.name == "Lato-Regular.ttf")
    without(regular, HYPHEN + "€")
    ran = cli("fonts", str(project), "--json")
    assert ran.returncode == 0, ran.stderr
    listing = json.loads(ran.stdout)
    report = load(project)
    declared = {(face.file, face.weight, face.style) for role in ("body", "heading")
                for face in getattr(report.brand.fonts, role).faces}
    assert {(face["file"], face["weight"], face["style"]) for family in listing
            for face in family["faces"]} == declared
    faces = {face["file"]: face for family in listing for face in family["faces"]}
    assert faces["fonts/Lato-Regular.ttf"]["missing"] == ["U+2010 HYPHEN", "U+20AC EURO SIGN"]
    assert faces["fonts/Lato-Bold.ttf"]["missing"] == []
    latin = dict((name, (done, total)) for name, done, total in
                 faces["fonts/Lato-Bold.ttf"]["blocks"])["Basic Latin"]
    assert latin[0] == latin[1]

    ran = cli("fonts", str(project))
    assert ran.returncode == 0
    assert "fonts/Lato-Regular.ttf" in ran.stdout
    assert "lacks: U+2010 HYPHEN, U+20AC EURO SIGN" in ran.stdout


# --------------------------------------------------------------------------- charts

RENAMED = "Brand Sans"  # a family name the font files do not have (they say Lato)
NORMEN = "Aangepakte CS"  # a category of the 'normen' figure (RESULTATEN)
BARS = '''"""Bars with their categories printed right of them: 210 px of bars and the
longest label set in Lato fit the text column (114 mm, 431 px); the same labels
measured in a wider face do not, and the chart would be scaled down to fit."""

import altair as alt

KIND = "bar"


def build(data, theme):
    rows = [{"category": data.labels.get(key) or value.label or key, "value": value.value}
            for key, value in data.numbers.items()]
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y("category:N", axis=None), x=alt.X("value:Q", axis=None))
    labels = base.mark_text(align="left", dx=6).encode(x=alt.value(210), text="category:N")
    return (base.mark_bar() + labels).properties(width=210, height=60)
'''


def printed(pdf: Path, text: str) -> list[tuple[float, str]]:
    """(size in pt, font name without its subset prefix) of each character but the
    spaces of the first run of ``text`` in the PDF, read with PDFium: the font size
    times the scale of the character's whole matrix (text matrix and every
    transformation around it, such as the scaling of an image the text is drawn in)."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    document = pdfium.PdfDocument(pdf)
    try:
        for page in document:
            text_page = page.get_textpage()
            count = text_page.count_chars()
            read = "".join(chr(pdfium_c.FPDFText_GetUnicode(text_page.raw, i))
                           for i in range(count))
            start = read.find(text)
            if start < 0:
                continue
            found = []
            for index in range(start, start + len(text)):
                if read[index].isspace():  # PDFium makes up the spaces between words
                    continue
                matrix = pdfium_c.FS_MATRIX()
                pdfium_c.FPDFText_GetMatrix(text_page.raw, index, matrix)
                scale = abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5
                size = pdfium_c.FPDFText_GetFontSize(text_page.raw, index) * scale
                name = ctypes.create_string_buffer(256)
                pdfium_c.FPDFText_GetFontInfo(text_page.raw, index, name, 256, None)
                found.append((size, re.sub(r"^[A-Z]{6}\+", "", name.value.decode())))
            return found
    finally:
        document.close()
    raise AssertionError(f"{text!r} is not in {pdf.name}")


def svg_width(svg: str) -> float:
    return float(re.search(r'<svg[^>]*\swidth="([\d.]+)"', svg).group(1))


def test_a_chart_is_set_in_the_brand_type_whatever_the_family_is_called(project):
    """The brand calls its family otherwise than the font files do: the chart engine
    measures the chart's text in the brand's faces all the same, so the chart is as
    wide as with the files' own name, and its labels print in a brand face at the
    size of the brand's chart theme (nothing is scaled down to fit the box)."""
    project = cut_to(project, ("04-goed-politiewerk", "07-resultaten"))
    figure(project, BARS)
    edit(project, BRAND, "family: Lato", f"family: {RENAMED}", count=2)
    result = build(project, strict=True)
    report = load(project)
    size = chart_theme(report.brand)["text"]["fontSize"] * 72 / 96  # px → pt
    chars = printed(result.path, NORMEN)
    assert [round(printed_size, 2) for printed_size, _ in chars] \
        == [round(size, 2)] * len(NORMEN.replace(" ", ""))
    programs = embedded(result.path)
    faces = {TTFont(file)["name"].getDebugName(6) for file in brand_files(project)}
    assert {programs[name]["name"].getDebugName(6) for _, name in chars} <= faces

    block = next(block for _, block in figure_blocks(report) if block.chart == "normen")
    renamed = ChartJob(report, Formatter("nl")).svg(block)  # the build's, from the store
    edit(project, BRAND, f"family: {RENAMED}", "family: Lato", count=2)
    proper = load(project)
    job = ChartJob(proper, Formatter("nl"), cache=False)
    job.start()
    job.finish()
    assert svg_width(renamed) == svg_width(job.svg(block))
    assert f'font-family="{RENAMED}"' in renamed


@pytest.mark.parametrize("family, said", [
    ("Georgia", "not a family of styles/brand.yaml"),
    ("lato", "the brand writes it 'Lato'")])
def test_a_chart_asking_for_a_family_the_brand_does_not_name_is_reported(family, said,
                                                                          small_warm, cli):
    """A figure module sets text in a family the chart engine does not have under
    that name (it matches names exactly): the chart was measured in another face
    than the page prints it in. The finding names the module and the line that asks,
    a warning that a strict build makes an error."""
    project = small_warm
    module = "figures/verzuim.py"
    line = edit(project, module, "fontWeight=700,", f"fontWeight=700, font={family!r},")
    reporter = BufferReporter()
    build(project, reporter=reporter)
    found = [w for w in reporter.warnings if f"{module}:{line}:" in w]
    assert len(found) == 1, reporter.warnings
    assert f"font-family {family!r}" in found[0] and said in found[0]

    ran = cli("build", "--strict", str(project))
    assert ran.returncode == 1
    assert f"{module}:{line}" in ran.stderr and f"font-family {family!r}" in ran.stderr


def chart_width(project: Path, chart: str) -> float:
    """The width of the chart ``chart`` draws for its first block, drawn anew."""
    report = load(project)
    job = ChartJob(report, Formatter("nl"), cache=False)
    job.start()
    job.finish()
    return svg_width(job.svg(next(block for _, block in figure_blocks(report)
                                  if block.chart == chart)))


@pytest.mark.slow
def test_a_brand_in_woff2_files_draws_its_charts_in_its_faces(project):
    """WeasyPrint reads WOFF2 faces; the chart engine reads only OpenType files, and
    is given them unpacked: the chart is as wide as with the brand's TTF files."""
    project = cut_to(project, ("04-goed-politiewerk", "07-resultaten"))
    figure(project, BARS)
    as_ttf = chart_width(project, "normen")
    for file in set(brand_files(project)):
        with TTFont(file) as face:
            face.flavor = "woff2"
            face.save(file.with_suffix(".woff2"))
        file.unlink()
    brand = project / BRAND
    brand.write_text(brand.read_text(encoding="utf-8").replace(".ttf", ".woff2"),
                     encoding="utf-8")
    assert all(file.suffix == ".woff2" for file in brand_files(project))
    assert chart_width(project, "normen") == as_ttf


def test_the_sample_s_charts_print_their_text_at_the_brand_s_sizes(pdf_path, report):
    """A chart whose axis labels make it wider than its box is drawn as wide as the
    box, its plot narrower: the page does not scale it down, so its labels print at
    the chart theme's sizes (the column chart's value labels, the bar chart's
    category labels), not some 10 % below them."""
    theme = chart_theme(report.brand)
    label_size = theme["axis"]["labelFontSize"] * 72 / 96  # px → pt
    chars = printed(pdf_path, NORMEN)  # a category label of a bar chart with long labels
    assert {round(size, 2) for size, _ in chars} == {round(label_size, 2)}
