"""Fixture ladder: project → report → html → pdf → reader.

The sample report (the repository itself) is built once per test session;
tests that change input work on a copy of the project in a temporary folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from almanac.pipeline import build, load as check_report, render_html
from almanac.reporter import BufferReporter

ROOT = Path(__file__).resolve().parent.parent
SEED = Path(__file__).resolve().parent / "fixtures" / "jaarverslag-2021-eenheid-limburg.txt"
PROJECT_PARTS = ("report.yaml", "chapters", "figures", "layout", "styles")


def copy_project(target: Path) -> Path:
    """A private copy of the sample project that a test may break."""
    target.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_PARTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name,
                            ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    return copy_project(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="session")
def report(sample_dir):
    return check_report(sample_dir)


@pytest.fixture(scope="session")
def html(report) -> str:
    return render_html(report, reporter=BufferReporter())[0].html


@pytest.fixture(scope="session")
def built(sample_dir):
    reporter = BufferReporter()
    result = build(sample_dir, reporter=reporter)
    return result, reporter


@pytest.fixture(scope="session")
def pdf_path(built) -> Path:
    return built[0].path


@pytest.fixture(scope="session")
def reader(pdf_path) -> PdfReader:
    return PdfReader(pdf_path)


@pytest.fixture
def project(tmp_path) -> Path:
    return copy_project(tmp_path / "project")


def pytest_addoption(parser):
    parser.addoption(
        "--refresh-references", action="store_true", default=False,
        help="visual tests: write tests/references/*.png from the current build "
             "instead of comparing against them")
