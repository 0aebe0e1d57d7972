"""Editions an archivist can trust: publish, PDF/A-3a with sources, reproducible,
immutable, atomic, verifiable, recoverable, comparable, catalogued."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from almanac.editions.sources import SOURCES_MANIFEST
from almanac.editions.verify import verify
from almanac.project.parts import source_files as input_files
from almanac.cli import main
from conftest import copy_project

EDITION = Path("output/2021/1.0")


def almanac(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "almanac", *args], capture_output=True,
                          text=True, cwd=cwd)


def snapshot(folder: Path) -> dict[str, tuple[str, float]]:
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(),
                                         p.stat().st_mtime)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The sample published once, in a separate process."""
    project = copy_project(tmp_path_factory.mktemp("archive") / "project")
    result = almanac("publish", str(project))
    assert result.returncode == 0, result.stderr
    pdf = Path(result.stdout.strip())
    assert pdf.parent == project / EDITION
    return project, pdf


def test_publish_writes_the_pdf_and_its_manifest(published):
    project, pdf = published
    assert sorted(p.name for p in pdf.parent.iterdir()) == sorted([pdf.name, "manifest.json"])
    manifest = json.loads((pdf.parent / "manifest.json").read_text())
    data = pdf.read_bytes()
    assert manifest["pdf"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["pdf"]["size"] == len(data)
    assert manifest["pdf"]["pages"] == len(PdfReader(pdf).pages)
    assert manifest["edition"] == {"version": "1.0", "date": "2022-05-01"}
    assert set(manifest["tools"]) == {"python", "almanac", "weasyprint", "vl-convert",
                                      "altair", "pypdf"}
    inputs = {item["path"]: item for item in manifest["inputs"]}
    assert list(inputs) == input_files(project)
    for name in ("report.yaml", "chapters/03-inzetbaarheid/chapter.yaml",
                 "figures/normen.py", "layout/chapter.html", "styles/components.css",
                 "styles/fonts/Lato-Regular.ttf", "styles/brand.yaml"):
        body = (project / name).read_bytes()
        assert inputs[name] == {"path": name, "sha256": hashlib.sha256(body).hexdigest(),
                                "size": len(body)}


def test_the_pdf_is_pdf_a_3a_with_its_sources_inside(published):
    project, pdf = published
    reader = PdfReader(pdf)
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="A"' in xmp
    assert "/StructTreeRoot" in root  # tagged
    sources = reader.attachments[SOURCES_MANIFEST][0]
    assert f"<almanac:manifestSha256>{hashlib.sha256(sources).hexdigest()}<" in xmp
    assert "<almanac:editionVersion>1.0<" in xmp and "weasyprint " in xmp
    relationships = {}
    for spec in root["/AF"]:
        spec = spec.get_object()
        relationships[str(spec["/F"])] = spec["/AFRelationship"]
    assert relationships[SOURCES_MANIFEST] == "/Data"
    for name in input_files(project):
        assert relationships[name] == "/Source"
        assert reader.attachments[name][0] == (project / name).read_bytes()
    assert subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True).returncode == 0
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows), fonts  # emb column


def test_publishing_is_byte_reproducible_across_processes(published, tmp_path):
    _, pdf = published
    other = copy_project(tmp_path / "elsewhere")
    env = {**os.environ, "TZ": "Pacific/Auckland"}  # another place, another local day
    result = subprocess.run([sys.executable, "-m", "almanac", "publish", str(other)],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).read_bytes() == pdf.read_bytes()


def test_an_edition_is_never_rewritten(published):
    project, pdf = published
    before = snapshot(project / "output")
    again = almanac("publish", str(project))
    assert again.returncode == 0 and "already published" in again.stderr
    assert snapshot(project / "output") == before
    chapter = project / "chapters/03-inzetbaarheid/chapter.yaml"
    original = chapter.read_text()
    chapter.write_text(original.replace("    value: 35\n", "    value: 38\n", 1))
    try:
        refused = almanac("publish", str(project))
    finally:
        chapter.write_text(original)
    assert refused.returncode == 1
    assert "bump edition.version" in refused.stderr
    assert "chapters/03-inzetbaarheid/chapter.yaml" in refused.stderr
    assert snapshot(project / "output") == before


def test_a_killed_publish_leaves_no_edition_folder(project):
    for delay in (0.5, 1.5, 2.5):
        process = subprocess.Popen([sys.executable, "-m", "almanac", "publish", str(project)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        year = project / "output" / "2021"
        editions = [p for p in year.iterdir() if not p.name.startswith(".")] \
            if year.exists() else []
        for folder in editions:  # complete, or not there at all
            assert sorted(p.name for p in folder.iterdir())[-1] == "manifest.json"
            assert verify(next(folder.glob("*.pdf"))).ok
    result = almanac("publish", str(project))
    assert result.returncode == 0, result.stderr
    assert not list((project / "output" / "2021").glob(".*"))  # nothing half-written left


def test_verify_passes_an_intact_edition_and_names_what_fails(published, tmp_path, capsys):
    _, pdf = published
    assert main(["verify", str(pdf)]) == 0
    assert "intact" in capsys.readouterr().out
    data = bytearray(pdf.read_bytes())
    copy = tmp_path / "edition"
    copy.mkdir()
    (copy / "manifest.json").write_bytes((pdf.parent / "manifest.json").read_bytes())
    for offset in (len(data) // 3, len(data) // 2, len(data) - 4000):
        changed = bytearray(data)
        changed[offset] ^= 0x01
        (copy / pdf.name).write_bytes(bytes(changed))
        assert main(["verify", str(copy / pdf.name)]) == 1
        out = capsys.readouterr().out
        assert "FAIL" in out and "NOT intact" in out
    # from the file alone: a changed embedded source is named
    from pypdf import PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter(clone_from=str(pdf))
    names = writer._root_object["/Names"]["/EmbeddedFiles"]["/Names"]
    for index in range(0, len(names), 2):
        if names[index] == "report.yaml":
            stream = names[index + 1].get_object()["/EF"][NameObject("/F")].get_object()
            stream.set_data(stream.get_data().replace(b"Jaarverslag", b"Jaarverslog"))
    alone = tmp_path / "alone.pdf"
    with open(alone, "wb") as handle:
        writer.write(handle)
    assert main(["verify", str(alone)]) == 1
    out = capsys.readouterr().out
    assert "FAIL embedded sources: report.yaml does not match its hash" in out


def test_extract_and_publish_reproduce_the_edition(published, tmp_path):
    _, pdf = published
    target = tmp_path / "recovered"
    result = almanac("extract", str(pdf), str(target))
    assert result.returncode == 0, result.stderr
    rebuilt = almanac("publish", str(target))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert Path(rebuilt.stdout.strip()).read_bytes() == pdf.read_bytes()


def test_diff_reports_an_erratum(published, tmp_path, capsys):
    project, old_pdf = published
    erratum = copy_project(tmp_path / "erratum")
    report = erratum / "report.yaml"
    report.write_text(report.read_text().replace(
        'edition:\n  version: "1.0"\n  date: 2022-05-01',
        'edition:\n  version: "1.1"\n  date: 2022-06-15\n  changes:\n'
        '    - version: "1.1"\n      date: 2022-06-15\n'
        '      text: Het aantal FTE in quarantaine is gecorrigeerd.'))
    chapter = erratum / "chapters/03-inzetbaarheid/chapter.yaml"
    chapter.write_text(chapter.read_text().replace("    value: 35\n", "    value: 38\n", 1)
                       .replace("Beide zijn gericht", "Beide projecten zijn gericht"))
    new = almanac("publish", str(erratum))
    assert new.returncode == 0, new.stderr
    new_pdf = Path(new.stdout.strip())
    assert "Wijzigingen" in PdfReader(new_pdf).pages[-1].extract_text()
    pages = tmp_path / "pages"
    assert main(["diff", str(old_pdf), str(new_pdf), "--pages", str(pages)]) == 0
    out = capsys.readouterr().out
    assert "quarantaine_fte (Inzetbaarheid): 35 → 38" in out
    assert "numbers changed: 1" in out
    assert "-Het terugdringen" in out and "Beide projecten zijn gericht" in out
    changed_pages = [int(n) for n in out.split("pages that look different: ")[1]
                     .splitlines()[0].split(", ")]
    old_text = PdfReader(old_pdf).pages
    quarantine_page = next(i + 1 for i, p in enumerate(old_text) if "FTE in quarantaine"
                           in p.extract_text())
    assert quarantine_page in changed_pages
    assert sorted(p.name for p in pages.iterdir()) == [f"page-{n:03d}.png"
                                                        for n in changed_pages]


def test_editions_lists_the_catalogue(published, capsys):
    project, pdf = published
    assert main(["editions", str(project)]) == 0
    assert "1.0" in capsys.readouterr().out
    assert main(["editions", str(project), "--json"]) == 0
    [edition] = json.loads(capsys.readouterr().out)
    assert edition["version"] == "1.0" and edition["status"] == "verified"
    assert edition["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert edition["pages"] == len(PdfReader(pdf).pages)
