"""The print edition as a printer receives it: marks, page boxes, page count, black
text, ink and colour spaces, read back from the written PDF."""

from __future__ import annotations

import io
import math
import re
import shutil

import pikepdf
import pytest
from pypdf import PdfReader

from almanac.errors import TypesetError
from almanac.pipeline import build, build_specimen
from almanac.project import theme
from almanac.project.scaffold import new_project
from almanac.stages.presscheck import press_check

from conftest import copy_project, cut_to, edit
from pdfread import outline, rasterise

MM = 72 / 25.4
BLEED, SLUG = 3, 10  # the sample brand's bleed; the default slug (mm)


def box(page: pikepdf.Page, name: str) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in page.obj[name])
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def operators(stream) -> list[tuple[str, list]]:
    return [(str(op), list(operands)) for operands, op in pikepdf.parse_content_stream(stream)]


def test_marks_are_in_registration_colour_drawn_last_outside_the_bleed(print_pdf):
    with pikepdf.open(print_pdf) as pdf:
        for page in pdf.pages:
            trim, bleed = box(page, "/TrimBox"), box(page, "/BleedBox")
            media = box(page, "/MediaBox")
            assert round((trim[2] - trim[0]) / MM) == 210 and round((trim[3] - trim[1]) / MM) == 297
            for outer, inner, by in ((bleed, trim, BLEED), (media, bleed, SLUG)):
                assert [round(v / MM, 2) for v in (inner[0] - outer[0], inner[1] - outer[1],
                                                   outer[2] - inner[2], outer[3] - inner[3])] \
                    == [by] * 4
            assert "/ArtBox" not in page.obj
            # the last content stream draws the marks: in a colour space that is the
            # registration colour, every point of them outside the bleed box
            ops = operators(page.obj.Contents[-1])
            spaces = page.obj.Resources.ColorSpace
            used = [operands[0] for op, operands in ops if op == "CS"]
            assert used and all(str(spaces[name][0]) == "/Separation"
                                and str(spaces[name][1]) == "/All" for name in used)
            points = [(float(a[i]), float(a[i + 1])) for op, a in ops if op in ("m", "l", "c")
                      for i in range(0, len(a), 2)]
            assert len(points) > 16
            assert all(not (bleed[0] < x < bleed[2] and bleed[1] < y < bleed[3])
                       for x, y in points)
            assert all(op not in ("cm", "Do", "BT") for op, _ in ops)
        # no RGB anywhere: not in a content stream, a form or an image
        for item in pdf.objects:
            if not isinstance(item, pikepdf.Stream):
                continue
            if item.get("/Subtype") == "/Image":
                space = item.get("/ColorSpace")
                assert space != "/DeviceRGB" and not (
                    isinstance(space, pikepdf.Array) and space[0] == "/ICCBased"
                    and space[1].N == 3)
            elif item.get("/Subtype") == "/Form":
                assert all(op not in ("rg", "RG") for op, _ in operators(item))
        for page in pdf.pages:
            for stream in page.obj.Contents:
                assert all(op not in ("rg", "RG") for op, _ in operators(stream))


def test_the_marks_show_on_full_bleed_artwork(print_pdf):
    """On the cover, whose picture and colour run into the bleed, the crop marks are
    seen in the slug, and the slug is white but for them."""
    dpi = 72
    sheet = rasterise(print_pdf, 1, dpi).convert("L")
    scale = dpi / 72
    edge = round((BLEED + SLUG) * MM * scale)  # the trim's left edge, from the sheet's
    # the crop mark continuing the left trim line above the sheet: a dark column
    column = [sheet.getpixel((x, round(edge * 0.5))) for x in range(edge - 2, edge + 3)]
    assert min(column) < 128
    # the slug's top-left corner square (outside the marks' lines): paper white
    corner = sheet.crop((2, 2, edge - round(2 * MM * scale), edge - round((BLEED + 2) * MM)))
    assert corner.getextrema()[0] > 240
    # and the cover's artwork reaches the bleed: dark, under the mark's column
    inside = sheet.getpixel((edge + round(BLEED * MM * scale / 2) + 8, edge + 40))
    assert inside < 200


def test_the_print_edition_has_an_even_page_count_and_the_back_cover_last(print_pdf,
                                                                            report):
    reader = PdfReader(print_pdf)
    count = len(reader.pages)
    assert count % 2 == 0, count
    organisation = report.manifest.organisation
    assert organisation in reader.pages[-1].extract_text()
    assert [n for n, page in enumerate(reader.pages, 1)
            if organisation in page.extract_text()
            and page.extract_text().strip().endswith(organisation)] == [count]


def _new_report(folder, multiple: int):
    new_project(folder, language="en-GB")
    brand = folder / "styles" / "brand.yaml"
    brand.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(theme.THEME / "styles" / "brand.yaml", brand)
    text = brand.read_text(encoding="utf-8")
    brand.write_text(text.replace("page_multiple: 2", f"page_multiple: {multiple}"),
                     encoding="utf-8")
    return build(folder, variant="print", strict=True)


@pytest.mark.slow
def test_a_page_multiple_of_four_adds_blank_pages_before_the_back_cover(tmp_path):
    two = _new_report(tmp_path / "two", 2)
    four = _new_report(tmp_path / "four", 4)
    assert two.pages % 2 == 0 and four.pages % 4 == 0
    assert two.pages % 4 == 2, "the new report should be two pages short of a multiple of 4"
    assert four.pages == two.pages + 2
    before, after = PdfReader(two.path), PdfReader(four.path)
    texts = [page.extract_text() for page in after.pages]
    # the pages before keep their text; the added pages are blank; the back cover last
    assert texts[:two.pages - 1] == [
        page.extract_text().replace(f"of {two.pages}", f"of {four.pages}")
        for page in before.pages[:two.pages - 1]]
    assert [text.strip() for text in texts[two.pages - 1:four.pages - 1]] == ["", ""]
    assert texts[-1] == before.pages[-1].extract_text()
    assert f"page 2 of {four.pages}" in texts[1]  # the printed total counts them
    assert outline(after) == outline(before)  # bookmarks lead to the same pages
    with pikepdf.open(four.path) as pdf:
        last, blank = pdf.pages[-1], pdf.pages[-2]
        assert all(box(blank, name) == box(last, name)
                   for name in ("/MediaBox", "/BleedBox", "/TrimBox"))
        assert len(operators(blank.obj.Contents[-1])) > 10  # the marks, on every sheet


class Text:
    """Every text showing operator of a page with its fill colour and size (pt)."""

    def __init__(self, page) -> None:
        self.found: list[tuple[tuple[float, ...], float, str]] = []
        self.colour: tuple[float, ...] = ()
        self.size = 0.0

        def before(op, args, cm, tm):
            if op in (b"sc", b"scn", b"k"):
                self.colour = tuple(round(float(a), 3) for a in args)
            elif op == b"Tf":
                self.size = float(args[1])
            elif op in (b"Tj", b"TJ"):
                a, b, c, d = (tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3],
                              tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3])
                self.found.append((self.colour, self.size * math.sqrt(abs(a * d - b * c)),
                                   op.decode()))

        page.extract_text(visitor_operand_before=before)


def test_small_text_in_the_brands_ink_is_single_ink_black(print_pdf, report):
    """The sample's ink (#1C2430) is near-black: its small text is 0/0/0/100 in print,
    never the ink's four-colour value."""
    declared = tuple(part / 100 for part in report.brand.colors.ink.cmyk)
    small = [found for page in PdfReader(print_pdf).pages for found in Text(page).found
             if found[1] < 12]
    black = [found for found in small if found[0] == (0, 0, 0, 1)]
    assert black
    assert not [found for found in small if found[0] == declared]


@pytest.fixture
def short_warm(warm):
    return cut_to(warm, ("01-voorwoord",))


def test_the_press_check_finds_rgb_rich_black_text_and_too_much_ink(short_warm):
    project = short_warm
    line = edit(project, "styles/brand.yaml", "cmyk: [100, 75, 18, 25], name: Politieblauw",
                "cmyk: [100, 90, 60, 80], name: Politieblauw")  # 330 % ink
    edit(project, "styles/typography.css", "/*", "h2 { color: #c03020 !important; }\n"
         "p { color: device-cmyk(0.75 0.6 0.4 0.75) !important; }\n/*")
    result = build(project, variant="print")
    kinds = "\n".join(result.warnings)
    assert f"styles/brand.yaml:{line}" in kinds and "total ink 330 %" in kinds
    assert "brand colour 'primary'" in kinds
    assert "RGB colour in a CMYK print file" in kinds
    assert "four-colour black CMYK 75/60/40/75" in kinds
    with pytest.raises(TypesetError) as failed:
        build(project, variant="print", strict=True)
    assert any("total ink 330 %" in problem.message for problem in failed.value.problems)


def _page(media, bleed, content: bytes, marks_space: bool = True) -> bytes:
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(595, 842))
    page.obj.MediaBox, page.obj.BleedBox = pikepdf.Array(media), pikepdf.Array(bleed)
    page.obj.TrimBox = pikepdf.Array([0, 0, 595, 842])
    function = pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0],
                                  C1=[1, 1, 1, 1], N=1)
    page.obj.Resources = pikepdf.Dictionary(ColorSpace=pikepdf.Dictionary(
        R=pikepdf.Array([pikepdf.Name.Separation, pikepdf.Name.All,
                         pikepdf.Name.DeviceCMYK, function])))
    page.obj.Contents = pdf.make_stream(content)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_marks_inside_the_bleed_are_found(report, sample_dir):
    """A registration-colour line entering the bleed box, and marks asked for on a
    page with no room outside the bleed, are both findings; marks in the slug are not."""
    check = lambda pdf: [f.kind for f in press_check(  # noqa: E731
        pdf, report.brand, report.brand_path, sample_dir)]
    bleed = [-8.5, -8.5, 603.5, 850.5]
    slug = [-37, -37, 632, 879]
    inside = b"/R CS 1 SCN 0.25 w 0 -5 m 0 -20 l S"  # from the trim into the slug
    outside = b"/R CS 1 SCN 0.25 w 0 -11 m 0 -34 l S"
    assert check(_page(slug, bleed, inside)) == ["marks-in-bleed"]
    assert check(_page(slug, bleed, outside)) == []
    assert check(_page(bleed, bleed, b"")) == ["marks-in-bleed"]


@pytest.mark.slow
def test_the_print_edition_is_the_same_bytes_wherever_it_is_built(tmp_path, print_pdf):
    project = copy_project(tmp_path / "elsewhere")
    again = build(project, variant="print", strict=True)
    assert again.path.read_bytes() == print_pdf.read_bytes()


def test_the_print_specimen_has_an_even_page_count_that_its_pages_print(project):
    """The specimen has no back cover: its blank page comes at the end, laid out with
    the rest, so each page's "page N of M" counts it; its swatches are process
    colours, so a strict build passes the press check."""
    result = build_specimen(project, variant="print", strict=True)
    texts = [page.extract_text() for page in PdfReader(result.path).pages]
    assert len(texts) % 2 == 0 and texts[-1].strip() == ""
    footers = [re.search(r"(\d+)\D+(\d+)\s*$", text.strip()) for text in texts[:-1]]
    totals = {found[2] for found in footers if found is not None}
    assert totals == {str(len(texts))}


def test_a_black_brand_ground_prints_in_rich_black_and_no_marks_leave_no_slug(short_warm):
    """A brand whose dark ground is a near-black gets it as a rich black over the
    cover's area (single-ink black would print as a grey there); with no marks asked
    for, the sheet is the bleed."""
    project = short_warm
    edit(project, "styles/brand.yaml", '{hex: "#0B2244", cmyk: [100, 85, 30, 55], '
         'name: Nachtblauw}', '{hex: "#141414", name: Nachtblauw}')
    edit(project, "styles/brand.yaml", "marks: [crop, cross]", "marks: []")
    result = build(project, variant="print", strict=True)
    with pikepdf.open(result.path) as pdf:
        cover = pdf.pages[0]
        assert box(cover, "/MediaBox") == box(cover, "/BleedBox")
        fills = [operands for op, operands in operators(cover.obj.Contents[1]) if op == "scn"]
        assert [0.6, 0.4, 0.4, 1.0] in [[float(v) for v in operands] for operands in fills]


def test_a_photo_in_rgb_prints_in_the_output_profile_s_process_colours(warm):
    """A real photo, as a camera saves it (an RGB JPEG), is converted to CMYK through
    the brand's output profile for the print edition: no RGB image reaches the press,
    and a strict print build passes. The screen edition keeps the RGB file."""
    from PIL import Image

    from conftest import add_photo
    from pdfread import drawn_images

    project = cut_to(warm, ("03-inzetbaarheid",))
    gradient = Image.linear_gradient("L").resize((600, 300))
    photo = Image.merge("RGB", (gradient, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                                Image.new("L", (600, 300), 90)))
    photo.save(project / "chapters" / "03-inzetbaarheid" / "photo.jpg", quality=90)
    add_photo(project, "photo.jpg")
    # embedded as it is, not toned (a duotone is made in process colours already)
    edit(project, "chapters/03-inzetbaarheid/chapter.yaml", "treatment: duotone",
         "treatment: overlay")

    def spaces(path) -> set[str]:
        with pikepdf.open(path) as pdf:
            return {str(xobject.get("/ColorSpace")) for page in pdf.pages
                    for xobject in drawn_images(page)}

    printed = build(project, variant="print", strict=True)  # an RGB image would fail it
    assert spaces(printed.path) == {"/DeviceCMYK"}
    assert "/DeviceRGB" in spaces(build(project).path)
