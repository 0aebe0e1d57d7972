"""One brand source: the brand file drives the CSS, the charts and the photos."""

from __future__ import annotations

import re

from pypdf import PdfReader

from almanac.cli import main
from almanac.pipeline import build, load, render_html
from almanac.reporter import BufferReporter

BRAND = "styles/brand.yaml"
NEW_PRIMARY = "#7A1F5C"


def edit_brand(project, old, new):
    path = project / BRAND
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def chart_svgs(project) -> str:
    return "".join(p.read_text() for p in (project / ".almanac-cache" / "charts").glob("*.svg"))


def fonts(pdf) -> set[str]:
    names = set()
    for page in PdfReader(pdf).pages:
        for ref in ((page.get("/Resources") or {}).get("/Font") or {}).values():
            names.add(str(ref.get_object()["/BaseFont"]).split("+")[-1])
    return names


def test_primary_colour_changes_css_and_charts(project):
    edit_brand(project, 'primary:      {hex: "#15396B"', f'primary:      {{hex: "{NEW_PRIMARY}"')
    edit_brand(project, '    - {hex: "#15396B", cmyk: [100, 75, 18, 25]}',
               f'    - {{hex: "{NEW_PRIMARY}", cmyk: [30, 95, 20, 20]}}')
    rendered, charts = render_html(load(project), reporter=BufferReporter())
    charts.finish()
    assert f"--color-primary: {NEW_PRIMARY};" in rendered.html
    assert "#15396B" not in rendered.html.upper().replace("--COLOR", "")  # nowhere else
    svgs = chart_svgs(project).lower()
    assert NEW_PRIMARY.lower() in svgs and "#15396b" not in svgs
    # the styles only use the tokens, so headings, tiles and rules follow
    from almanac.project.theme import THEME

    css = "".join((THEME / "styles" / n).read_text() for n in
                  ("pages.css", "typography.css", "components.css"))
    assert not re.findall(r"#[0-9a-fA-F]{6}\b", css), "colours in styles/ come from the brand"


def test_body_font_changes_text_and_charts(project):
    edit_brand(project, """  body:
    family: Lato
    fallback: sans-serif
    faces:
      - {file: fonts/Lato-Regular.ttf, weight: 400}""", """  body:
    family: Merktest
    fallback: sans-serif
    faces:
      - {file: fonts/Lato-Light.ttf, weight: 400}""")
    result = build(project)
    names = fonts(result.path)
    assert "Merktest" in names  # the body text is set in the new family
    assert names - {n for n in names if n.startswith("Merktest")} == {"Lato-Heavy"}  # headings
    # chart text in the body font; chart titles (the sample-data label) in the heading font
    families = set(re.findall(r'font-family="([^"]*)"', chart_svgs(project)))
    assert families == {"Merktest", "Lato"}, families


def test_brand_errors_name_the_line(project, capsys):
    edit_brand(project, 'accent:       {hex: "#E0A526", cmyk: [10, 38, 95, 0]',
               'accent:       {hex: "E0A526", cmyk: [10, 38, 195, 0]')
    assert main(["check", str(project)]) == 1
    err = capsys.readouterr().err
    line = (project / BRAND).read_text().splitlines().index(
        '  accent:       {hex: "E0A526", cmyk: [10, 38, 195, 0], name: Goud}') + 1
    assert f"styles/brand.yaml:{line}: colors.accent.hex" in err
    assert "colors.accent.cmyk" in err and "0 to 100" in err


# --------------------------------------------------------------------------- names into CSS

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00")))
def test_any_text_survives_as_a_css_string(text):
    """What css_string writes, a CSS parser (tinycss2, WeasyPrint's) reads back as the
    one string it was (CSS Syntax 3 §4.3.5; NUL and surrogates become U+FFFD by the
    standard, so they are not tried), and it never holds a quote, < or > itself."""
    import tinycss2

    from almanac.stages.brand import css_string

    written = css_string(text)
    tokens = [t for t in tinycss2.parse_component_value_list(written)
              if t.type != "whitespace"]
    assert len(tokens) == 1 and tokens[0].type == "string" and tokens[0].value == text
    assert not set(written[1:-1]) & set('"<>')


def test_family_names_and_fallbacks_reach_the_css_as_written(project):
    """Names with spaces, digits and letters beyond ASCII; fallbacks named and generic."""
    import tinycss2

    from almanac.stages.brand import brand_css

    edit_brand(project, "    family: Lato\n    fallback: sans-serif\n",
               "    family: Überschrift Sans 3\n    fallback: Arial Nova, Helvetica, sans-serif\n")
    report = load(project)
    css = brand_css(report.brand, report.brand_path.parent)
    rules = tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)
    root = next(rule for rule in rules if rule.type == "qualified-rule")
    declarations = {d.name: d.value for d in tinycss2.parse_declaration_list(root.content)
                    if d.type == "declaration"}
    stack = [t.value for t in declarations["--font-body"] if t.type in ("string", "ident")]
    assert stack == ["Überschrift Sans 3", "Arial Nova", "Helvetica", "sans-serif"]
    faces = [rule for rule in rules if rule.type == "at-rule" and rule.lower_at_keyword ==
             "font-face"]
    assert {t.value for rule in faces for t in rule.content if t.type == "string"} >= {
        "Überschrift Sans 3"}


# --------------------------------------------------------------------------- derived colours

import copy  # noqa: E402
from pathlib import Path  # noqa: E402

import yaml  # noqa: E402

from almanac.project import theme  # noqa: E402
from almanac.project.colors import hex_to_oklab  # noqa: E402
from almanac.project.model import Brand  # noqa: E402

from conftest import edit  # noqa: E402

THEME_BRAND = theme.THEME / "styles" / "brand.yaml"
PROFILE = theme.THEME / "styles" / "color" / "FOGRA39L.icc"


def minimal_brand(**colors) -> Brand:
    """The built-in brand with only the colours given (the rest derived)."""
    data = yaml.safe_load(THEME_BRAND.read_text(encoding="utf-8"))
    data["colors"] = {"primary": "#1F4E5F", "accent": "#F2B35E", **colors}
    return Brand.model_validate(copy.deepcopy(data))


def lightness(value: str) -> float:
    return hex_to_oklab(value)[0]


def test_roles_left_out_follow_primary():
    """primary_dark, tint, rule and the chart palette derive from primary: a new primary
    moves them all; a role given on purpose stays; accent stays in the palette."""
    one, two = minimal_brand(), minimal_brand(primary="#7A1F5C")
    for brand in (one, two):
        colors = brand.colors
        assert lightness(colors.primary_dark.hex) < lightness(colors.primary.hex)
        assert lightness(colors.primary.hex) < lightness(colors.rule.hex) \
            < lightness(colors.tint.hex) < lightness(colors.paper.hex) + 1e-9
        assert colors.chart[0].hex == colors.primary.hex
        assert colors.accent.hex in [c.hex for c in colors.chart]
        assert len(colors.chart) >= 3
    for role in ("primary_dark", "tint", "rule", "ink", "muted"):
        assert getattr(one.colors, role).hex != getattr(two.colors, role).hex, role
    assert [c.hex for c in one.colors.chart] != [c.hex for c in two.colors.chart]
    kept = minimal_brand(primary="#7A1F5C", tint="#EEEEEE")
    assert kept.colors.tint.hex == "#EEEEEE"
    assert kept.colors.primary_dark.hex == two.colors.primary_dark.hex


def test_references_and_mixes():
    brand = minimal_brand(
        primary_dark={"hex": "#0B2244", "cmyk": [100, 85, 30, 55]}, rule="primary_dark",
        tint={"mix": "primary", "with": "paper", "amount": "100%"},
        muted={"mix": "primary", "with": "#000000", "amount": 0},
        chart=["accent", {"mix": "primary_dark", "with": "accent", "amount": 50}, "rule"])
    colors = brand.colors
    assert colors.rule == colors.primary_dark  # a reference takes the print value too
    assert colors.tint.hex == colors.paper.hex and colors.muted.hex == colors.primary.hex
    middle = lightness(colors.chart[1].hex)
    assert lightness("#0B2244") < middle < lightness("#F2B35E")
    assert [colors.chart[0].hex, colors.chart[2].hex] == ["#F2B35E", "#0B2244"]


def test_the_sample_brand_keeps_its_colours(report):
    """The sample sets every colour: nothing is derived, so its pages do not change."""
    data = yaml.safe_load((report.root / BRAND).read_text(encoding="utf-8"))
    for role, written in data["colors"].items():
        value = getattr(report.brand.colors, role)
        if role == "chart":
            assert [c.hex for c in value] == [item["hex"] for item in written]
        else:
            assert (value.hex, list(value.cmyk)) == (written["hex"], written["cmyk"])


def test_colour_errors_name_the_line_and_suggest(project, capsys):
    edit(project, BRAND, 'primary_dark: {hex: "#0B2244", cmyk: [100, 85, 30, 55], '
         'name: Nachtblauw}', "primary_dark: primry")
    edit(project, BRAND, 'tint:         {hex: "#EDF1F7", cmyk: [7, 3, 0, 0], name: IJsblauw}',
         "tint: {mix: rule, with: paper, amont: 40}")
    edit(project, BRAND, 'rule:         {hex: "#C5D0E0", cmyk: [25, 13, 4, 0], name: Lijn}',
         "rule: {mix: muted, with: paper, amount: 50}")
    edit(project, BRAND, 'muted:        {hex: "#5A6473", cmyk: [60, 45, 30, 25], name: Grijs}',
         "muted: {mix: rule, with: ink, amount: 50}")
    assert main(["check", str(project)]) == 1
    err = capsys.readouterr().err
    lines = (project / BRAND).read_text(encoding="utf-8").splitlines()

    def line(text):
        return next(number for number, row in enumerate(lines, 1) if text in row)

    assert f"brand.yaml:{line('primary_dark: primry')}: colors.primary_dark" in err
    assert "'primry'" in err and "did you mean 'primary'?" in err
    assert f"brand.yaml:{line('amont')}: colors.tint" in err and "did you mean 'amount'?" in err
    cycle = [row for row in err.splitlines() if "refers to itself" in row]
    assert len(cycle) == 1 and "muted → rule → muted" in cycle[0] \
        and f"brand.yaml:{line('muted: {mix')}" in cycle[0], err


# --------------------------------------------------------------------------- CMYK by the profile

def test_cmyk_without_a_value_goes_through_the_print_profile():
    """A colour without cmyk: LittleCMS with the output profile (relative colorimetric,
    black-point compensation), not the naive formula (K = 100 for black)."""
    import io

    from PIL import Image, ImageCms

    from almanac.stages.brand import brand_css, profile_cmyk

    transform = ImageCms.buildTransform(
        ImageCms.createProfile("sRGB"), ImageCms.ImageCmsProfile(io.BytesIO(
            PROFILE.read_bytes())), "RGB", "CMYK",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)

    def direct(rgb):
        pixel = ImageCms.applyTransform(Image.new("RGB", (1, 1), rgb), transform)
        return tuple(round(part / 255 * 100, 1) for part in pixel.getpixel((0, 0)))

    red = profile_cmyk("#FF0000", PROFILE)
    assert red == direct((255, 0, 0))
    assert red[0] < 5 and red[1] > 85 and red[2] > 85 and red[3] < 5
    black = profile_cmyk("#000", PROFILE)
    assert black == direct((0, 0, 0))
    assert black[3] < 100 and min(black[:3]) > 40  # a rich black, not 0/0/0/100
    brand = minimal_brand(tint="#FF0000")
    css = brand_css(brand, THEME_BRAND.parent, process_colours=True)
    c, m, y, k = (part / 100 for part in red)
    assert f"--color-tint: device-cmyk({c:.3g} {m:.3g} {y:.3g} {k:.3g});" in css
    assert "--color-accent: device-cmyk(0.03 0.33 0.7 0);" not in css  # no cmyk given here


def test_a_profile_that_is_not_cmyk_is_an_error(project, capsys):
    from PIL import ImageCms

    (project / "styles" / "color").mkdir(parents=True, exist_ok=True)
    (project / "styles" / "color" / "rgb.icc").write_bytes(
        ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    edit(project, BRAND, "output_profile: color/FOGRA39L.icc", "output_profile: color/rgb.icc")
    assert main(["check", str(project)]) == 1
    err = capsys.readouterr().err
    assert "not a CMYK ICC profile" in err and "print.output_profile" in err


# --------------------------------------------------------------------------- logo

def test_logo_on_the_cover_and_the_back(small_warm):
    """A logo: an image on the first and last page; the organisation's name as its
    alternative text in the HTML."""
    from PIL import Image

    project = small_warm
    Image.new("RGB", (240, 80), (250, 250, 250)).save(project / "styles" / "logo.png")
    (project / BRAND).write_text((project / BRAND).read_text(encoding="utf-8")
                                 + "\nlogo: logo.png\n", encoding="utf-8")
    report = load(project)
    rendered, charts = render_html(report, reporter=BufferReporter())
    charts.cancel()
    organisation = report.manifest.organisation
    assert rendered.html.count(f'alt="{organisation}"') == 2
    pdf = PdfReader(build(project).path)
    for page in (pdf.pages[0], pdf.pages[-1]):
        sizes = [(image.image.width, image.image.height) for image in page.images]
        assert (240, 80) in sizes


def test_no_logo_no_image(small_warm):
    pdf = PdfReader(build(small_warm).path)
    assert not list(pdf.pages[0].images)


# --------------------------------------------------------------------------- figure modules

FIGURES = [Path(__file__).resolve().parent.parent / "figures",
           theme.THEME / "figures"]


def test_chart_text_sizes_come_from_the_type_scale(project):
    """Every text size in the charts is one of the theme's (its sizes or the chart
    config's), and they follow the brand's body size."""
    from almanac.stages.charts import make_theme

    edit(project, BRAND, "base_size_pt: 9.5", "base_size_pt: 11")
    report = load(project)
    rendered, charts = render_html(report, reporter=BufferReporter())
    charts.finish()
    made = make_theme(report)
    allowed = {vars(made.sizes)[name] for name in ("small", "label", "value", "large")}
    config = made.config
    allowed |= {config["text"]["fontSize"], config["axis"]["labelFontSize"],
                config["axis"]["titleFontSize"], config["title"]["fontSize"],
                config["legend"]["labelFontSize"]}
    found = {float(size) for size in re.findall(r'font-size="([0-9.]+)px"', chart_svgs(project))}
    assert found and all(any(abs(size - a) < 0.01 for a in allowed) for size in found), \
        (found, allowed)
    assert made.sizes.value > 11 * 96 / 72 * 0.9  # larger than at 9.5 pt


def test_theme_formats_numbers_for_the_report(report):
    from almanac.stages.charts import make_theme

    made = make_theme(report)  # the sample is in Dutch
    assert made.format(6_200_000, "eur") == "€\u00a06,2\u00a0miljoen"
    assert made.format(6.7, "percent", decimals=1) == "6,7%"  # CLDR nl: #,##0%
    assert made.category(2017.0) == "2017" and made.category(2.5) == "2,5"
    assert made.ramp(3)[-1] == made.colors["primary"] and len(set(made.ramp(3))) == 3
    assert made.series(7)[5] == made.palette[0]


def test_figure_modules_have_no_literal_sizes_or_formats():
    """A guard: the modules take sizes, palette colours and number formats from the theme."""
    for folder in FIGURES:
        for path in folder.glob("*.py"):
            source = path.read_text(encoding="utf-8")
            assert not re.search(r"[fF]ont[sS]ize\s*=\s*[0-9]", source), path
            assert not re.search(r"format\s*=\s*['\"]", source), path
            assert not re.search(r"palette\[\d", source), path
