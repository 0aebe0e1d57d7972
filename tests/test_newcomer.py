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
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from almanac.project.parts import source_files
from almanac.stages.charts import ILLUSTRATIVE_LABEL

from conftest import ROOT
from pdfread import font_names, outline, squash

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
    titles = [yaml.safe_load((work / "r" / "chapters" / slug / "chapter.yaml").read_text(
        encoding="utf-8"))["title"] for slug in manifest["chapters"]]

    screen = Path(run(almanac, "build", "r", "--strict", cwd=work, env=env)
                  .stdout.strip().splitlines()[-1])
    printed = Path(run(almanac, "build", "r", "--strict", "--edition", "print", cwd=work,
                       env=env).stdout.strip().splitlines()[-1])
    published = Path(run(almanac, "publish", "r", cwd=work, env=env)
                     .stdout.strip().splitlines()[-1])
    run(almanac, "verify", work / published if not published.is_absolute() else published,
        cwd=work, env=env)

    for pdf in (screen, printed, published):
        pdf = pdf if pdf.is_absolute() else work / pdf
        assert pdf.resolve().is_relative_to((work / "r" / "output").resolve()), pdf
        reader = PdfReader(pdf)
        outlined = [title for _, title, _ in outline(reader)]
        assert [title for title in outlined if title in titles] == titles, outlined
        fonts = font_names(reader)  # the theme's Noto Sans only: no system font stood in
        assert fonts and all(name.startswith("Noto-Sans") for name in fonts), fonts
        text = squash("".join(page.extract_text() for page in reader.pages))
        assert squash(ILLUSTRATIVE_LABEL) in text
