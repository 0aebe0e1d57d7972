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
    css = "".join((project / "styles" / n).read_text() for n in
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
