"""No build reads outside the project or makes a network request, whatever the
data, Markdown, templates, CSS, SVG images or figure modules say."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader

from almanac.cli import main
from almanac.editions.verify import embedded_files
from almanac.pipeline import build, load, publish, render_html
from almanac.reporter import BufferReporter
from almanac.stages.fetcher import FetchRefused, ProjectFetcher

from conftest import (
    BRAND,
    INZET,
    OVERVALLEN,
    RESULTATEN,
    VOORWOORD,
    add_photo,
    almanac,
    edit,
    figure,
    override,
    png,
    snapshot,
)


def secrets(folder: Path) -> dict[str, Path]:
    """Files outside the project, each with its own marker text."""
    folder.mkdir(exist_ok=True)
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40">' \
          '<text x="0" y="20">{}</text></svg>'
    made = {
        "svg": ("geheim.svg", svg.format("LEAK-SVG")),
        "css": ("geheim.css", 'body::before { content: "LEAK-CSS"; }'),
        "html": ("geheim.html", "<p>LEAK-HTML</p>"),
        "csv": ("geheim.csv", "jaar,aantal\nLEAK-CSV,1\n"),
        "yaml": ("geheim.yaml", "title: LEAK-YAML\n"
                                "sections: [{blocks: [{type: note, text: LEAK-YAML}]}]\n"),
        "txt": ("geheim.txt", "LEAK-TXT"),
    }
    paths = {}
    for kind, (name, body) in made.items():
        paths[kind] = folder / name
        paths[kind].write_text(body, encoding="utf-8")
    paths["png"] = png(folder / "geheim.png", 64, 64)
    paths["font"] = folder / "geheim.ttf"
    paths["font"].write_bytes((Path(__file__).parent.parent / "styles" / "fonts"
                               / "Lato-Black.ttf").read_bytes())
    return paths


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout


def assert_nothing_leaked(text: str) -> None:
    for marker in ("LEAK-SVG", "LEAK-CSS", "LEAK-HTML", "LEAK-CSV", "LEAK-YAML", "LEAK-TXT",
                   "root:x:0:0"):
        assert marker not in text


def test_markdown_templates_css_and_svg_cannot_reach_out(small_warm, recorder, tmp_path):
    warm = small_warm
    url, requests = recorder
    outside = secrets(tmp_path / "buiten")
    up = "../" * 8 + str(outside["svg"]).lstrip("/")  # a relative path out of the warm

    # Markdown prose: images and links to files, other folders and the network.
    markdown = [f"![a]({outside['svg'].as_uri()})", f"![b]({up})", f"![c]({url}/md.svg)",
                f"[d]({outside['txt'].as_uri()})", f"<{url}/autolink>",
                f'<img src="{url}/raw.svg">', "![e](file:///etc/passwd)",
                f"[f]: {url}/ref.svg\n\n![f][f]"]
    edit(warm, INZET, "          2021 stond in het teken",
         "          " + "\n\n          ".join(m.replace("\n", "\n          ") for m in markdown)
         + "\n\n          2021 stond in het teken")

    # A chapter's own template: images, stylesheets, objects, relative escapes.
    template = [f'<img src="{outside["svg"].as_uri()}">', f'<img src="{up}">',
                f'<img src="{url}/tpl.svg">', f'<link rel="stylesheet" href="{url}/tpl.css">',
                f'<link rel="stylesheet" href="{outside["css"].as_uri()}">',
                f'<object data="{url}/object.svg"></object>',
                f'<embed src="{outside["svg"].as_uri()}">',
                f'<iframe src="{outside["html"].as_uri()}"></iframe>',
                f'<div style="background: url({url}/style.png)">x</div>',
                f'<img src="{url.replace("http:", "https:")}/tls.png">']
    (warm / "chapters" / "03-inzetbaarheid" / "chapter.html").write_text(
        '{% extends "layout/chapter.html" %}\n{% block body %}\n' + "\n".join(template)
        + "\n{{ super() }}\n{% endblock %}\n", encoding="utf-8")

    # CSS: @import, backgrounds, fonts; absolute, relative and remote.
    css = override(warm, "styles/components.css")
    imports = [f'@import url("{url}/import.css");',
               f'@import url("{outside["css"].as_uri()}");',
               '@import url("../../buiten/geheim.css");']
    rules = [f".prose {{ background-image: url('{url}/bg.png'); }}",
             f".kpi {{ background-image: url('{outside['svg'].as_uri()}'); }}",
             f"@font-face {{ font-family: Lek; src: url('{url}/font.woff2'); }}",
             f"@font-face {{ font-family: Lek2; src: url('{outside['font'].as_uri()}'); }}",
             "@font-face { font-family: Lek3; src: url('../../buiten/geheim.ttf'); }",
             "h2 { font-family: Lek, Lek2, Lek3, sans-serif; }",
             f".facts {{ list-style-image: url('{url}/bullet.svg'); }}"]
    css.write_text("\n".join(imports) + "\n" + css.read_text(encoding="utf-8") + "\n"
                   + "\n".join(rules) + "\n", encoding="utf-8")

    # An SVG image used by the report that refers to the network and to files outside.
    svg_refs = [f'<image href="{url}/svg-image.png" width="10" height="10"/>',
                f'<image xlink:href="{outside["png"].as_uri()}" width="10" height="10"/>',
                f'<image href="{outside["svg"].as_uri()}" width="200" height="40"/>',
                f'<use href="{outside["svg"].as_uri()}#x"/>',
                f'<style>@import url("{url}/svg.css");</style>',
                f'<rect width="5" height="5" fill="url({url}/paint.svg#p)"/>',
                f'<filter id="f"><feImage href="{url}/fe.png"/></filter>'
                '<rect width="5" height="5" filter="url(#f)"/>']
    (warm / "chapters" / "03-inzetbaarheid" / "foto.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        'width="1200" height="700"><rect width="1200" height="700" fill="#15396B"/>'
        + "".join(svg_refs) + "</svg>", encoding="utf-8")
    add_photo(warm, "foto.svg")

    reporter = BufferReporter()
    result = build(warm, reporter=reporter)
    assert requests == []  # the loopback server heard nothing
    text = pdf_text(result.path)
    assert_nothing_leaked(text)
    # Every way of reaching out that WeasyPrint follows was really tried, and refused:
    # Markdown images (inline and by reference), a template's image, stylesheet,
    # object and style attribute, CSS imports, backgrounds and fonts, an SVG's image.
    refused = {warning.removeprefix("refused: ").split(" (")[0]
               for warning in reporter.warnings if warning.startswith("refused: ")}
    remote = ("md.svg", "ref.svg", "tpl.svg", "tpl.css", "object.svg", "style.png",
              "import.css", "bg.png", "font.woff2", "svg-image.png")
    expected = {f"{url}/{name}" for name in remote} | {
        f"{url.replace('http:', 'https:')}/tls.png"} | {
        outside[kind].as_uri() for kind in ("svg", "css", "font", "png")}
    assert expected <= refused, sorted(expected - refused)


def test_a_strict_build_refuses_the_first_remote_reference(warm, recorder, capsys):
    url, requests = recorder
    css = override(warm, "styles/components.css")
    css.write_text(f'@import url("{url}/import.css");\n' + css.read_text(encoding="utf-8"))
    assert main(["build", str(warm), "--strict", "-q"]) == 1
    assert "refused" in capsys.readouterr().err
    assert requests == []
    assert not (warm / "output").exists() or not list((warm / "output").glob("*.pdf"))


def _link(project: Path, relative: str, target: Path) -> Path:
    link = project / relative
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists() or link.is_symlink():
        link.unlink()
    link.symlink_to(target)
    return link


# Each breaks out of the project through the data; (file of the message, phrase).
DATA_ESCAPES = {
    "series path": lambda p, s: (edit(p, RESULTATEN, "file: data/overvallen.csv",
                                      f"file: {s['csv']}"),
                                 (RESULTATEN, "outside the project folder")),
    "series ../": lambda p, s: (edit(p, RESULTATEN, "file: data/overvallen.csv",
                                     "file: ../../../buiten/geheim.csv"),
                                (RESULTATEN, "outside the project folder")),
    "series link": lambda p, s: (_link(p, OVERVALLEN, s["csv"]),
                                 (RESULTATEN, "outside the project folder")),
    "image link": lambda p, s: (_link(p, "chapters/03-inzetbaarheid/foto.png", s["png"]),
                                add_photo(p, "foto.png"),
                                (INZET, "outside the project folder")),
    "cover image": lambda p, s: (edit(p, "report.yaml", "  motif: aerial-river\n",
                                      f"  motif: aerial-river\n  image: {s['svg']}\n"),
                                 ("report.yaml", "outside the project folder")),
    "chapter link": lambda p, s: (_link(p, "chapters/08-buiten", s["yaml"].parent),
                                  (s["yaml"].parent / "chapter.yaml").write_text(
                                      s["yaml"].read_text()),
                                  edit(p, "report.yaml", "  - 07-resultaten\n",
                                       "  - 07-resultaten\n  - 08-buiten\n"),
                                  ("report.yaml", "links to a folder outside the project")),
    "chapter ../": lambda p, s: (edit(p, "report.yaml", "  - 07-resultaten\n",
                                      "  - 07-resultaten\n  - ../../buiten\n"),
                                 ("report.yaml", "is not a folder name")),
    "brand path": lambda p, s: (edit(p, "report.yaml", "brand: styles/brand.yaml",
                                     f"brand: {s['yaml']}"),
                                ("report.yaml", "brand file")),
    "font path": lambda p, s: (edit(p, "styles/brand.yaml", "fonts/Lato-Black.ttf",
                                    str(s["font"])),
                               ("styles/brand.yaml", "outside the project folder")),
    "font link": lambda p, s: (_link(p, "styles/fonts/Lato-Black.ttf", s["font"]),
                               ("styles/brand.yaml", "outside the project folder")),
    "profile path": lambda p, s: (edit(p, "styles/brand.yaml", "color/FOGRA39L.icc",
                                       str(s["txt"])),
                                  ("styles/brand.yaml", "outside the project folder")),
    "template include": lambda p, s: (edit(p, "layout/chapter.html", "{% block body %}",
                                           "{% block body %}{% include '../../buiten/"
                                           "geheim.html' %}"),
                                      ("layout/chapter.html", "not found")),
    "template link": lambda p, s: (_link(p, "layout/kader.html", s["html"]),
                                   edit(p, "layout/chapter.html", "{% block body %}",
                                        "{% block body %}{% include 'kader.html' %}"),
                                   ("layout/kader.html", "template is outside the project")),
}


@pytest.mark.parametrize("kind", sorted(DATA_ESCAPES))
def test_data_cannot_point_outside_the_project(kind, project, tmp_path, capsys):
    outside = secrets(tmp_path / "buiten")
    *_, (relative, phrase) = DATA_ESCAPES[kind](project, outside)
    assert main(["build", str(project), "-q"]) == 1
    output = capsys.readouterr()
    message = output.err + output.out
    assert f"{relative}:" in message and phrase in message, message
    assert "Traceback" not in message
    assert_nothing_leaked(message)
    assert not list((project / "output").glob("*.pdf")) if (project / "output").exists() \
        else True


def test_a_figure_module_cannot_fetch_chart_data(project, recorder, capsys):
    url, requests = recorder
    figure(project, "import altair as alt\n\n\ndef build(data, theme):\n"
                    f"    return alt.Chart(alt.UrlData('{url}/data.csv')).mark_bar()"
                    ".encode(x='aantal:Q', y='jaar:N')\n")
    assert main(["build", str(project), "-q"]) == 1
    err = capsys.readouterr().err
    assert "figures/normen.py:" in err and "07-resultaten: sections[2].blocks[4]" in err
    assert f"reads its data from {url}/data.csv" in err and "charts read no URLs" in err
    assert requests == []


def test_vl_convert_itself_refuses_urls(recorder):
    """The second line of defence: vl-convert is called with allowed_base_urls=[]."""
    import vl_convert

    url, requests = recorder
    with pytest.raises(ValueError, match="not allowed"):
        vl_convert.vegalite_to_svg({"data": {"url": f"{url}/d.csv"}, "mark": "bar"},
                                   allowed_base_urls=[])
    svg = vl_convert.vegalite_to_svg(
        {"data": {"values": [{"a": 1}]}, "mark": "image",
         "encoding": {"url": {"value": f"{url}/mark.png"}}}, allowed_base_urls=[])
    assert svg.startswith("<svg")
    assert requests == []


def test_a_chart_image_mark_is_not_fetched(warm, recorder):
    project = warm  # only the chart of this module is drawn
    url, requests = recorder
    figure(project, "import altair as alt\n\n\ndef build(data, theme):\n"
                    "    rows = [{'x': 1, 'y': 1}]\n"
                    "    return alt.Chart(alt.Data(values=rows)).mark_image(width=20, height=20)"
                    f".encode(x='x:Q', y='y:Q', url=alt.value('{url}/mark.png'))\n")
    reporter = BufferReporter()
    build(project, reporter=reporter)
    assert requests == []


def test_publish_embeds_no_file_from_outside(small_warm, tmp_path):
    warm, data = small_warm, "chapters/03-inzetbaarheid/data/extra.csv"
    outside = secrets(tmp_path / "buiten")
    _link(warm, "layout/geheim.txt", outside["txt"])
    _link(warm, data, outside["csv"])
    _link(warm, "styles/nul.dat", Path("/dev/zero"))
    _link(warm, "layout/kring.html", Path("kring.html"))  # a link loop
    os.mkfifo(warm / "figures" / "pijp.txt")  # would hang a reader
    published = publish(warm)
    files = embedded_files(PdfReader(published.pdf))
    assert "chapters/03-inzetbaarheid/chapter.yaml" in files  # the sources are embedded
    for stray in ("layout/geheim.txt", data, "styles/nul.dat", "layout/kring.html",
                  "figures/pijp.txt"):
        assert stray not in files
    assert not any(b"LEAK" in body for body in files.values())


def test_fetcher_serves_project_files_and_data_uris(tmp_path):
    (tmp_path / "a.css").write_text("p { color: red }")
    fetcher = ProjectFetcher(tmp_path)
    assert fetcher.fetch((tmp_path / "a.css").as_uri()).read() == b"p { color: red }"
    assert fetcher.fetch("data:text/plain,hallo").read() == b"hallo"


def test_fetcher_refuses_everything_else(tmp_path, recorder):
    url, requests = recorder
    project = tmp_path / "project"
    project.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("geheim")
    (project / "link.txt").symlink_to(secret)
    fetcher = ProjectFetcher(project)
    for target in (f"{url}/image.svg", "https://example.org/x.png", "ftp://example.org/x",
                   "file:///etc/passwd", secret.as_uri(), f"{project.as_uri()}/../secret.txt",
                   (project / "link.txt").as_uri(), "file://otherhost/etc/passwd"):
        with pytest.raises(FetchRefused):
            fetcher.fetch(target)
    assert requests == []
    assert len(fetcher.refused) == 8


def test_data_is_escaped_and_markdown_cannot_inject_html(project):
    edit(project, INZET, "title: Inzetbaarheid\n", 'title: "Inzet <script>alert(1)</script>"\n')
    edit(project, INZET, "          2021 stond in het teken",
         "          <img src=x onerror=alert(1)> <b>vet</b> [link](javascript:alert(1))\n\n"
         "          2021 stond in het teken")
    rendered, charts = render_html(load(project))
    charts.cancel()
    html = rendered.html
    assert "<script>alert(1)</script>" not in html
    assert "Inzet &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>vet</b>" not in html
    assert 'href="javascript:' not in html


# ---- confinement: every file Almanac reads, linked out of the project or not a file
#
# Each case turns one file of the small project into a link to a copy outside the
# project that carries a marker (the copy would build: its text reaches the PDF if
# it is read), or into a FIFO, a link to /dev/zero or a link loop. Each returns
# (the file the message names, a phrase of the message). A figure module outside
# would create MARKER when imported.

MARKER = "figure-module-ran"


def _outside_copy(p: Path, relative: str, old: str, new: str) -> tuple[str, str]:
    """``relative`` moved to a folder beside the project, with ``old`` replaced by
    ``new``, and a link to it in its place."""
    outside = p.parent / "buiten" / relative
    outside.parent.mkdir(parents=True, exist_ok=True)
    text = override(p, relative).read_text(encoding="utf-8")  # a theme file: its copy
    assert old in text, (old, relative)
    outside.write_text(text.replace(old, new, 1), encoding="utf-8")
    _link(p, relative, outside)
    return relative, "is outside the project folder"


def _module_outside(p: Path, relative: str) -> tuple[str, str]:
    """A figure module moved out of the project, which would leave a marker when
    imported."""
    marker = p.parent / MARKER
    return _outside_copy(p, relative, "import altair as alt\n",
                         f"import altair as alt\nopen({str(marker)!r}, 'w').close()\n")


def _fifo(p: Path, relative: str) -> tuple[str, str]:
    path = p / relative  # in the project's place of a file, or of the theme's it overrides
    if path.exists() or path.is_symlink():
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return relative, "is a named pipe (FIFO), not a regular file"


def _to_dev_zero(p: Path, relative: str) -> tuple[str, str]:
    _link(p, relative, Path("/dev/zero"))
    return relative, "is outside the project folder"


def _loop(p: Path, relative: str) -> tuple[str, str]:
    _link(p, relative, Path((p / relative).name))  # a link to itself
    return relative, "a link loop"


def _figures_folder_outside(p: Path) -> tuple[str, str]:
    outside = p.parent / "buiten" / "figures"
    shutil.copytree(p / "figures", outside)
    module = outside / "verzuim.py"
    module.write_text(module.read_text(encoding="utf-8").replace(
        "import altair as alt\n",
        f"import altair as alt\nopen({str(p.parent / MARKER)!r}, 'w').close()\n"),
        encoding="utf-8")
    shutil.rmtree(p / "figures")
    (p / "figures").symlink_to(outside)
    return INZET, "figure module figures/verzuim.py is outside the project folder"


def _series(p: Path) -> str:
    """A series for the small project: a CSV in INZET's folder, charted by nothing."""
    (p / "chapters/03-inzetbaarheid/data").mkdir()
    (p / "chapters/03-inzetbaarheid/data/reeks.csv").write_text("jaar,aantal\n2021,3\n",
                                                                 encoding="utf-8")
    edit(p, INZET, "title: Inzetbaarheid\n",
         "title: Inzetbaarheid\nseries:\n  reeks: {file: data/reeks.csv}\n")
    return "chapters/03-inzetbaarheid/data/reeks.csv"


SERIES_OWNER = INZET  # the series' message names the chapter that declares it

CONFINED: dict[str, Callable[[Path], tuple[str, str]]] = {
    # YAML: the manifest, a chapter, the brand
    "yaml report.yaml linked out": lambda p: _outside_copy(
        p, "report.yaml", "title: Jaarverslag 2021", "title: LEAK-YAML"),
    "yaml chapter.yaml linked out": lambda p: _outside_copy(
        p, VOORWOORD, "title: Voorwoord", "title: LEAK-YAML"),
    "yaml brand.yaml linked out": lambda p: _outside_copy(
        p, BRAND, "fonts:", "# LEAK-YAML\nfonts:"),
    "yaml brand.yaml a link loop": lambda p: _loop(p, BRAND),
    "yaml chapter folder a link loop": lambda p: (
        shutil.rmtree(p / "chapters/01-voorwoord"),
        _link(p, "chapters/01-voorwoord", Path("01-voorwoord")),
        ("report.yaml", "chapters/01-voorwoord is a link to nothing or to itself"))[-1],
    "yaml report.yaml a FIFO": lambda p: _fifo(p, "report.yaml"),
    "yaml chapter.yaml a FIFO": lambda p: _fifo(p, VOORWOORD),
    "yaml chapter.yaml to /dev/zero": lambda p: _to_dev_zero(p, VOORWOORD),
    "yaml chapter.yaml a link loop": lambda p: _loop(p, VOORWOORD),
    "yaml brand.yaml a FIFO": lambda p: _fifo(p, BRAND),
    # CSV
    "csv linked out": lambda p: (_link(p, _series(p), p.parent / "buiten" / "geheim.csv"),
                                 (SERIES_OWNER, "is outside the project folder"))[1],
    "csv a FIFO": lambda p: (_fifo(p, _series(p)), (SERIES_OWNER, "named pipe (FIFO)"))[1],
    "csv to /dev/zero": lambda p: (_to_dev_zero(p, _series(p)),
                                   (SERIES_OWNER, "is outside the project folder"))[1],
    "csv a link loop": lambda p: (_loop(p, _series(p)), (SERIES_OWNER, "a link loop"))[1],
    # images
    "image linked out": lambda p: (_link(p, "chapters/03-inzetbaarheid/foto.png",
                                         p.parent / "buiten" / "geheim.png"),
                                   add_photo(p, "foto.png"),
                                   (INZET, "image foto.png is outside the project"))[-1],
    "image a FIFO": lambda p: (os.mkfifo(p / "chapters/03-inzetbaarheid/foto.png"),
                               add_photo(p, "foto.png"), (INZET, "named pipe (FIFO)"))[-1],
    "image a link loop": lambda p: (_loop(p, "chapters/03-inzetbaarheid/foto.png"),
                                    add_photo(p, "foto.png"), (INZET, "a link loop"))[-1],
    # fonts and the colour profile
    "font linked out": lambda p: (_link(p, "styles/fonts/Lato-Black.ttf",
                                        p.parent / "buiten" / "geheim.ttf"),
                                  (BRAND, "font file fonts/Lato-Black.ttf is outside"))[1],
    "font a FIFO": lambda p: (_fifo(p, "styles/fonts/Lato-Black.ttf"),
                              (BRAND, "named pipe (FIFO)"))[1],
    "ICC profile linked out": lambda p: (_link(p, "styles/color/FOGRA39L.icc",
                                               p.parent / "buiten" / "geheim.txt"),
                                         (BRAND, "colour profile color/FOGRA39L.icc is "
                                          "outside"))[1],
    "ICC profile a FIFO": lambda p: (_fifo(p, "styles/color/FOGRA39L.icc"),
                                     (BRAND, "named pipe (FIFO)"))[1],
    # templates
    "template layout linked out": lambda p: (_outside_copy(
        p, "layout/chapter.html", "{% block body %}", "{% block body %}LEAK-HTML"),
        ("layout/chapter.html", "template is outside the project folder"))[1],
    "template chapter linked out": lambda p: (
        (p.parent / "buiten" / "kapittel.html").write_text(
            '{% extends "layout/chapter.html" %}LEAK-HTML', encoding="utf-8"),
        _link(p, "chapters/03-inzetbaarheid/chapter.html", p.parent / "buiten/kapittel.html"),
        ("chapters/03-inzetbaarheid/chapter.html", "template is outside"))[-1],
    "template chapter a FIFO": lambda p: (
        os.mkfifo(p / "chapters/03-inzetbaarheid/chapter.html"),
        ("chapters/03-inzetbaarheid/chapter.html", "named pipe (FIFO)"))[-1],
    "template a FIFO": lambda p: (_fifo(p, "layout/toc.html"),
                                  ("layout/toc.html", "named pipe (FIFO)"))[1],
    "template a link loop": lambda p: (_loop(p, "layout/toc.html"),
                                       ("layout/toc.html", "a link loop"))[1],
    # stylesheets (what WeasyPrint fetches)
    "stylesheet linked out": lambda p: _outside_copy(
        p, "styles/components.css", "\n", '\nbody::before { content: "LEAK-CSS"; }\n'),
    "stylesheet a FIFO": lambda p: _fifo(p, "styles/components.css"),
    "stylesheet a link loop": lambda p: _loop(p, "styles/components.css"),
    # figure modules: the module, a helper it imports, the whole folder
    "figure module linked out": lambda p: (
        _module_outside(p, "figures/verzuim.py"),
        (INZET, "figure module figures/verzuim.py is outside the project folder"))[1],
    "figure helper linked out": lambda p: _outside_copy(
        p, "figures/_common.py", "\n", f"\nopen({str(p.parent / MARKER)!r}, 'w').close()\n"),
    "figures folder linked out": _figures_folder_outside,
    "figure module a FIFO": lambda p: (_fifo(p, "figures/verzuim.py"),
                                       (INZET, "figures/verzuim.py is a named pipe"))[1],
    "figure helper a FIFO": lambda p: _fifo(p, "figures/_common.py"),
    "figure helper a link loop": lambda p: _loop(p, "figures/_common.py"),
}


@pytest.mark.parametrize("case", list(CONFINED))
def test_no_file_is_read_from_outside_the_project_or_unbounded(case, small_warm, tmp_path):
    project = small_warm
    secrets(tmp_path / "buiten")
    named, phrase = CONFINED[case](project)
    before = snapshot(project / "output") if (project / "output").exists() else {}
    for command in ("build", "publish"):
        result = almanac(command, str(project), timeout=240)  # the timeout: a hang
        message = result.stderr + result.stdout
        assert result.returncode == 1, message
        assert f"{named}: " in message or f"{named}:" in message, message
        assert phrase in message and "fix: " in message, message
        assert "Traceback" not in message, message
        assert_nothing_leaked(message)
        assert not (tmp_path / MARKER).exists(), "a module outside the project ran"
        after = snapshot(project / "output") if (project / "output").exists() else {}
        assert after == before  # no PDF, no edition: nothing written



def test_a_file_the_brand_does_not_declare_is_not_read_for_the_charts(small, tmp_path):
    """The chart engine reads copies of the declared faces only: a FIFO and a link
    out of the project beside them in the font folder neither hang nor fail a build
    that draws its charts, and the folder the engine reads holds one font per
    declared family, weight and style."""
    project = small
    secrets(tmp_path / "buiten")
    os.mkfifo(project / "styles/fonts/extra.ttf")
    _link(project, "styles/fonts/geheim.ttf", tmp_path / "buiten" / "geheim.txt")
    result = almanac("build", str(project), timeout=240)  # the timeout: a hang
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert_nothing_leaked(result.stderr + result.stdout)
    [folder] = (project / ".almanac-cache/charts/fonts").iterdir()
    report = load(project)
    declared = {(family.family, face.weight, face.style)
                for family in (report.brand.fonts.body, report.brand.fonts.heading)
                for face in family.faces}
    assert len(list(folder.iterdir())) == len(declared)

# ---- confinement: templates run in the sandbox and reach no file, module or process

RAN = "template-ran"

# Each tries to run a command, or to read or write a file, from a template; the
# command and the writes would create RAN beside the project.
TEMPLATE_ESCAPES = {
    "globals of a class": "{{ cycler.__init__.__globals__.os.popen('touch %(ran)s').read() }}",
    "globals of a global": "{{ lipsum.__globals__['os'].system('touch %(ran)s') }}",
    "class hierarchy": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "a bound method's object": "{{ md.__self__.report.root }}",
    "format string": "{{ '{0.__class__.__init__.__globals__}'.format(cycler) }}",
    "path read": "{{ (chapter.folder / '../../../buiten/geheim.txt').read_text() }}",
    "path write": "{{ (chapter.folder / '../../../%(name)s').write_text('x') }}",
    "path class": "{{ chapter.model_fields.folder.annotation.write_text("
                  "chapter.folder / '../../../%(name)s', 'x') }}",
    "a gigabyte string": "{{ ('x' * 1000) * 1000000 }}",
    "a huge power": "{{ (chapter.number + 8) ** 999999999 }}",
}


@pytest.mark.parametrize("where", ["chapters/03-inzetbaarheid/chapter.html",
                                   "layout/chapter.html"])
@pytest.mark.parametrize("escape", list(TEMPLATE_ESCAPES))
def test_a_template_cannot_run_commands_or_reach_files(escape, where, small_warm, tmp_path,
                                                        cli):
    project = small_warm
    secrets(tmp_path / "buiten")
    expression = TEMPLATE_ESCAPES[escape] % {"ran": tmp_path / RAN, "name": RAN}
    if where.startswith("chapters/"):
        (project / where).write_text('{% extends "layout/chapter.html" %}\n'
                                     '{% block body %}\n' + expression + '\n{{ super() }}\n'
                                     '{% endblock %}\n', encoding="utf-8")
        line = 3
    else:
        line = edit(project, where, "{% block body %}", "{% block body %}\n" + expression) + 1
    result = cli("build", str(project), "-q")
    assert result.returncode == 1, result.stderr
    assert f"{where}:{line}: not allowed in a template" in result.stderr, result.stderr
    assert "fix: " in result.stderr and "Traceback" not in result.stderr
    assert_nothing_leaked(result.stderr)
    assert not (tmp_path / RAN).exists()  # nothing ran, nothing was written
    assert not (project / "output").exists() or not list((project / "output").glob("*.pdf"))


def test_a_template_still_reads_the_data_it_is_given(small_warm):
    """The sandbox refuses what reaches out, not what the templates use: names of
    paths, the data's attributes and methods, the globals and filters."""
    from almanac.stages.render import make_environment

    report = load(small_warm)
    env = make_environment(small_warm)
    template = env.from_string(
        "{{ chapter.folder.name }}|{{ chapter.data.title | upper }}|"
        "{{ chapter.data.numbers | length }}|{{ chapter.data.numbers.keys() | first }}|"
        "{% for x in range(3) %}{{ loop.index }}{% endfor %}")
    chapter = report.chapters[1]
    assert template.render(chapter=chapter) == (
        f"{chapter.folder.name}|{chapter.data.title.upper()}|{len(chapter.data.numbers)}|"
        f"{next(iter(chapter.data.numbers))}|123")
