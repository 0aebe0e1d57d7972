"""A newcomer's first hour: Almanac installed from its wheel into a fresh virtual
environment, a report started with ``almanac new`` in a folder of its own, built in
both variants and published, with no file of the repository but the package.

The wheel is built from the repository's sources and installed without its
dependencies (``pip install --no-deps``, not editable); the third-party packages it
declares come from the environment running the tests, through a ``.pth`` file, so
the test needs no network. It checks that each declared dependency resolves there.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pikepdf
import pytest
import yaml
from pypdf import PdfReader

from almanac.project.parts import source_files
from almanac.text.messages import catalogue

from conftest import ROOT
from pdfread import drawn_images, font_names, outline, squash

pytestmark = pytest.mark.slow

PACKAGE_FILES = ("pyproject.toml", "README.md", "src")
"""What the wheel is built from (the project's own build configuration)."""


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=env, text=True,
                          capture_output=True, timeout=timeout)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built from a copy of its sources (the build leaves its
    build/ and egg-info there, not in the repository)."""
    sources = tmp_path_factory.mktemp("sources")
    for name in PACKAGE_FILES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, sources / name, ignore=shutil.ignore_patterns(
                "__pycache__", "*.egg-info"))
        else:
            shutil.copy2(ROOT / name, sources / name)
    out = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
        "--no-index", "-q", "-w", out, sources, cwd=out)
    (found,) = out.glob("almanac-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    """A fresh virtual environment with the wheel installed, not editable."""
    folder = tmp_path_factory.mktemp("venv") / "env"
    run(sys.executable, "-m", "venv", "--without-pip", folder, cwd=folder.parent)
    python = folder / "bin" / "python"
    purelib = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                  cwd=folder).stdout.strip()
    # the dependencies of the environment running the tests, after the venv's own
    # packages on sys.path (its .pth files, such as an editable install's, are not read)
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    Path(purelib, "dependencies.pth").write_text("\n".join(sorted(ours)) + "\n",
                                                  encoding="utf-8")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps",
        "--no-index", "-q", wheel, cwd=folder)
    return folder


def clean_environment() -> dict[str, str]:
    """The test's environment without what would let another copy of Almanac in."""
    return {name: value for name, value in os.environ.items()
            if name not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")}


def test_the_wheel_holds_the_theme_and_the_starter_project_and_nothing_of_the_sample(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {
        "almanac", next(name.split("/")[0] for name in names if ".dist-info/" in name)}
    for suffix in ("theme/layout/report.html", "theme/layout/chapter.html",
                   "theme/styles/pages.css", "theme/styles/components.css",
                   "theme/styles/variant-print.css", "theme/styles/brand.yaml",
                   "theme/styles/fonts/NotoSans-Regular.ttf", "theme/styles/color/FOGRA39L.icc",
                   "theme/figures/line.py", "theme/figures/columns.py",
                   "theme/specimen/chapter.yaml", "scaffold/en/report.yaml",
                   "scaffold/nl/report.yaml", "scaffold/gitignore", "preview/page.html"):
        assert f"almanac/{suffix}" in names, suffix
    assert not [name for name in names if "tests/" in name or "conftest" in name]
    # a file of the sample is one of its name and bytes (the theme's generic specimen
    # may hold the same numbers under a name of its own)
    with zipfile.ZipFile(wheel) as archive:
        packaged = {(name.rsplit("/", 1)[-1], hashlib.sha256(archive.read(name)).hexdigest())
                    for name in names if not name.endswith("/")}
    sample = {relative for relative in source_files(ROOT)
              if (Path(relative).name, hashlib.sha256((ROOT / relative).read_bytes())
                  .hexdigest()) in packaged}
    assert not sample, f"files of the sample report in the wheel: {sorted(sample)}"


def test_a_newcomer_installs_starts_builds_and_publishes_a_report(venv, tmp_path):
    python, almanac = venv / "bin" / "python", venv / "bin" / "almanac"
    env = clean_environment()
    work = tmp_path / "desk"
    work.mkdir()
    assert not work.resolve().is_relative_to(ROOT.resolve())

    # the package is the wheel's, and what it declares resolves in this environment
    probe = run(python, "-c", """if True:
        import json
        from importlib.metadata import PackageNotFoundError, requires, version
        from packaging.requirements import Requirement
        import almanac
        unmet = []
        for text in requires("almanac"):
            need = Requirement(text)
            if need.marker is not None and not need.marker.evaluate({"extra": ""}):
                continue  # an optional extra (the test tools)
            try:
                found = version(need.name)
            except PackageNotFoundError:
                unmet.append(f"{need}: not installed")
                continue
            if not need.specifier.contains(found, prereleases=True):
                unmet.append(f"{need}: {found}")
        print(json.dumps({"file": almanac.__file__, "unmet": unmet}))
        """, cwd=work, env=env)
    found = json.loads(probe.stdout)
    assert Path(found["file"]).resolve().is_relative_to(venv.resolve()), found["file"]
    assert found["unmet"] == []

    run(almanac, "new", "r", cwd=work, env=env)
    manifest = yaml.safe_load((work / "r" / "report.yaml").read_text(encoding="utf-8"))
    titles = [re.search(r"^# (.+)$", (work / "r" / "chapters" / slug / "chapter.md").read_text(
        encoding="utf-8").split("\n---\n", 1)[1], re.MULTILINE).group(1)  # after the front matter
              for slug in manifest["chapters"]]

    screen = Path(run(almanac, "build", "r", "--strict", cwd=work, env=env)
                  .stdout.strip().splitlines()[-1])
    printed = Path(run(almanac, "build", "r", "--strict", "--edition", "print", cwd=work,
                       env=env).stdout.strip().splitlines()[-1])
    published = Path(run(almanac, "publish", "r", cwd=work, env=env)
                     .stdout.strip().splitlines()[-1])
    run(almanac, "verify", work / published if not published.is_absolute() else published,
        cwd=work, env=env)

    for pdf, folder in ((screen, "output"), (printed, "output"), (published, "editions")):
        pdf = pdf if pdf.is_absolute() else work / pdf
        assert pdf.resolve().is_relative_to((work / "r" / folder).resolve()), pdf
        reader = PdfReader(pdf)
        outlined = [title for _, title, _ in outline(reader)]
        assert [title for title in outlined if title in titles] == titles, outlined
        fonts = font_names(reader)  # the theme's Noto Sans only: no system font stood in
        assert fonts and all(name.startswith("Noto-Sans") for name in fonts), fonts
        text = squash("".join(page.extract_text() for page in reader.pages))
        assert squash(catalogue("en").gettext("Illustrative data")) in text


FACES = {"Regular": (400, "normal"), "Italic": (400, "italic"), "Bold": (700, "normal"),
         "BoldItalic": (700, "italic")}


def house_font(source: Path, target: Path, family: str, style: str) -> None:
    """The theme's Noto Sans face ``source`` renamed ``family`` and without U+2010
    HYPHEN: a brand font such as many a house font is, which lacks the character
    WeasyPrint sets at a line-end hyphen by default."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(source)
    options = subset.Options()
    options.layout_features, options.name_IDs, options.name_languages = ["*"], ["*"], ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[code for code in font.getBestCmap() if code != 0x2010])
    subsetter.subset(font)
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 16):
            names.setName(family, record.nameID, record.platformID, record.platEncID,
                          record.langID)
        elif record.nameID in (3, 4):
            names.setName(f"{family} {style}", record.nameID, record.platformID,
                          record.platEncID, record.langID)
        elif record.nameID == 6:
            names.setName(f"{family.replace(' ', '')}-{style}", record.nameID,
                          record.platformID, record.platEncID, record.langID)
    assert 0x2010 not in font.getBestCmap()
    font.save(target)


def test_a_newcomer_s_report_with_a_brand_of_its_own_a_house_font_and_a_real_photo(
        venv, tmp_path):
    """Another organisation, in Dutch: its own brand (two colours, the rest derived),
    a house font without U+2010 and a real photo in place of a placeholder. Only the
    house font is embedded, in both editions, and the photo keeps its shape."""
    from PIL import Image, ImageDraw

    from almanac.project.theme import THEME

    from pdfread import rasterise

    almanac, env = venv / "bin" / "almanac", clean_environment()
    run(almanac, "new", "r", "--language", "nl", "--title", "Jaarverslag 2025",
        "--organisation", "Havenbedrijf Noord", cwd=tmp_path, env=env)
    project = tmp_path / "r"
    fonts = project / "styles" / "fonts"
    fonts.mkdir(parents=True)
    for style in FACES:
        house_font(THEME / "styles" / "fonts" / f"NotoSans-{style}.ttf",
                   fonts / f"HavenSans-{style}.ttf", "Haven Sans", style)
    faces = "".join(f"      - {{file: fonts/HavenSans-{style}.ttf, weight: {weight}, "
                    f"style: {slant}}}\n" for style, (weight, slant) in FACES.items())
    (project / "styles" / "brand.yaml").write_text(
        "colors:\n  primary: '#7A1F3D'\n  accent: '#F2C14E'\n"
        f"fonts:\n  body:\n    family: Haven Sans\n    faces:\n{faces}"
        f"  heading:\n    family: Haven Sans\n    faces:\n{faces}", encoding="utf-8")
    # the placeholder of the last chapter becomes a real 3:2 photo: a round cyan disc on green
    image = Image.new("RGB", (600, 400), (40, 140, 60))
    ImageDraw.Draw(image).ellipse([245, 145, 355, 255], fill=(20, 200, 235))
    chapter = sorted((project / "chapters").iterdir())[-1]
    image.save(chapter / "haven.jpg", quality=95)
    text = (chapter / "chapter.md").read_text(encoding="utf-8")
    assert ":treatment: duotone\n" in text
    (chapter / "chapter.md").write_text(text.replace(
        ":treatment: duotone\n", ":treatment: none\n:image: haven.jpg\n"), encoding="utf-8")
    caption = squash(re.search(r":image: haven.jpg\n:caption: (.+)\n", (
        chapter / "chapter.md").read_text(encoding="utf-8")).group(1))

    for edition in ("screen", "print"):
        built = run(almanac, "build", "r", "--strict", "--edition", edition, cwd=tmp_path,
                    env=env)
        pdf = Path(built.stdout.strip().splitlines()[-1])
        pdf = pdf if pdf.is_absolute() else tmp_path / pdf
        reader = PdfReader(pdf)
        embedded = font_names(reader)
        assert embedded and all(name.startswith("Haven-Sans") for name in embedded), embedded
        with pikepdf.open(pdf) as document:  # (pypdf cannot decode a CMYK JPEG)
            images = {(int(image.Width), int(image.Height)) for page in document.pages
                      for image in drawn_images(page)}
        assert (600, 400) in images  # the photo at its own pixels (CMYK in print)
        photo_pages = [number for number, page in enumerate(reader.pages, 1)
                       if caption in squash(page.extract_text())]
        assert len(photo_pages) == 1, photo_pages
        page = rasterise(pdf, photo_pages[0], 100)
        disc = Image.new("1", page.size)
        disc.putdata([r < 90 and g > 160 and b > 190
                      for r, g, b in page.get_flattened_data()])
        box = disc.getbbox()
        assert box is not None, "the photo's disc is not on the page"
        width, height = box[2] - box[0], box[3] - box[1]
        assert width > 20 and abs(width - height) <= 2 + 0.02 * width, (width, height)
