"""Editions an archivist can trust: publish, PDF/A-3a with sources, reproducible,
immutable, atomic, verifiable, recoverable, comparable, catalogued."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from almanac.cli import main
from almanac.editions.sources import SOURCES_MANIFEST
from almanac.editions.verify import verify
from almanac.project import theme
from almanac.project.parts import CACHE, source_files

from conftest import almanac, copy_project, edit, snapshot

EDITION = Path("editions/2021/1.0")


def test_publish_writes_the_pdf_and_its_manifest(published):
    project, pdf = published
    assert pdf.parent == project / EDITION
    assert sorted(p.name for p in pdf.parent.iterdir()) == sorted([pdf.name, "manifest.json"])
    manifest = json.loads((pdf.parent / "manifest.json").read_text())
    data = pdf.read_bytes()
    assert manifest["pdf"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["pdf"]["size"] == len(data)
    assert manifest["pdf"]["pages"] == len(PdfReader(pdf).pages)
    assert manifest["edition"] == {"version": "1.0", "date": "2022-05-01"}
    # the built-in theme the edition was made with, as installed
    assert (manifest["theme"]["sha256"], manifest["theme"]["files"]) == theme.digest()
    assert set(manifest["tools"]) == {"python", "almanac", "weasyprint", "vl-convert",
                                      "altair", "pypdf", "fonttools", "pydyf", "pillow",
                                      "pikepdf"}
    inputs = {item["path"]: item for item in manifest["inputs"]}
    assert list(inputs) == source_files(project)
    for name in ("report.yaml", "chapters/03-inzetbaarheid/chapter.yaml",
                 "figures/normen.py", "styles/fonts/Lato-Regular.ttf", "styles/brand.yaml"):
        body = (project / name).read_bytes()
        assert inputs[name] == {"path": name, "sha256": hashlib.sha256(body).hexdigest(),
                                "size": len(body)}


def test_the_pdf_is_pdf_a_3a_with_its_sources_inside(published):
    project, pdf = published
    reader = PdfReader(pdf)
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    with pikepdf.open(pdf) as document:
        meta = document.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("3", "A")
    assert "/StructTreeRoot" in root  # tagged
    sources = reader.attachments[SOURCES_MANIFEST][0]
    assert f"<almanac:manifestSha256>{hashlib.sha256(sources).hexdigest()}<" in xmp
    assert "<almanac:editionVersion>1.0<" in xmp and "weasyprint " in xmp
    relationships = {}
    for spec in root["/AF"]:
        spec = spec.get_object()
        relationships[str(spec["/F"])] = spec["/AFRelationship"]
    assert relationships[SOURCES_MANIFEST] == "/Data"
    for name in source_files(project):
        assert relationships[name] == "/Source"
        assert reader.attachments[name][0] == (project / name).read_bytes()
    assert subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True).returncode == 0
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows), fonts  # emb column
    colophon = reader.pages[-1].extract_text()
    assert "Archiefversie" in colophon and "Schermversie" not in colophon  # what it is


def test_an_edition_is_never_rewritten(published, tmp_path, cli):
    project = tmp_path / "project"  # a copy: the published project is shared, read-only
    shutil.copytree(published[0], project)  # (with the files' times)
    before = snapshot(project / "editions", mtimes=True)
    again = cli("publish", str(project))
    assert again.returncode == 0 and "already published" in again.stderr
    assert snapshot(project / "editions", mtimes=True) == before
    edit(project, "chapters/03-inzetbaarheid/chapter.yaml", "    value: 35\n", "    value: 38\n")
    refused = cli("publish", str(project))
    assert refused.returncode == 1
    assert "bump edition.version" in refused.stderr
    assert "chapters/03-inzetbaarheid/chapter.yaml" in refused.stderr
    assert snapshot(project / "editions", mtimes=True) == before


@pytest.mark.slow
def test_a_killed_publish_leaves_no_edition_folder(small_warm, pdf_path, tmp_path, cli):
    """Killed at named phases (see faults.py): before anything is staged, with half
    the edition's PDF staged, and with the whole edition staged, about to be renamed
    into editions/. Each time editions/ stays as it was and no edition folder appears."""
    from almanac.stages.output import STAGING_DIR

    from conftest import edit
    from faults import killed_warm, tree

    project, name = small_warm, "jaarverslag-2021-1.1.pdf"  # its charts in the cache
    archived = project / "editions" / "2021" / "1.0"
    archived.mkdir(parents=True)
    (archived / "jaarverslag-2021-1.0.pdf").write_bytes(pdf_path.read_bytes())
    (archived / "manifest.json").write_text(json.dumps({"edition": {"version": "1.0"}}))
    edit(project, "report.yaml", 'version: "1.0"', 'version: "1.1"\n  changes: "Corrected."')
    output, staging = project / "editions", project / STAGING_DIR
    before = tree(output)
    staged: dict = {}
    for phase in ("typeset", "writing", "staged"):
        marker = killed_warm(phase, tmp_path, "publish", project)
        held = marker["staging"]
        folders = [path for path, kind in held.items() if kind == "folder"]
        if phase == "typeset":  # nothing staged yet
            assert held == {}
            continue
        # the edition's temporary folder, in the staging folder, named after this process
        assert len(folders) == 1 and folders[0].startswith(f".{marker['pid']}.1.1.") \
            and folders[0].endswith(".partial"), held
        folder = folders[0]
        assert (staging / folder).is_dir()  # left behind by the killed process
        files = {path.removeprefix(f"{folder}/"): kind for path, kind in held.items()
                 if path != folder}
        if phase == "writing":  # half of the PDF written, no manifest yet
            assert marker["file"] == f"{STAGING_DIR.as_posix()}/{folder}/{name}"
            assert files == {name: {"size": marker["written"], "sha256": files[name]["sha256"]}}
            assert marker["written"] == marker["size"] // 2 > 10_000
        else:  # the whole edition, synced, about to be renamed to editions/2021/1.1
            assert marker["source"] == f"{STAGING_DIR.as_posix()}/{folder}"
            assert marker["target"] == "editions/2021/1.1"
            assert sorted(files) == [name, "manifest.json"], held
            manifest = json.loads((staging / folder / "manifest.json").read_text())
            assert manifest["pdf"]["sha256"] == files[name]["sha256"]
            assert manifest["pdf"]["size"] == files[name]["size"]
            staged = files
    result = cli("publish", str(project))
    assert result.returncode == 0, result.stderr
    pdf = Path(result.stdout.strip())
    assert pdf == output / "2021" / "1.1" / name and verify(pdf).ok
    # the edition the killed publish had staged, byte for byte (publishing is reproducible)
    assert tree(pdf.parent) == staged
    assert {k: v for k, v in tree(output).items() if not k.startswith("2021/1.1")} == before
    assert not list(staging.iterdir())  # the killed ones' temporaries are removed
    assert not [p for p in output.rglob(".*")]  # nothing half-written left


def test_verify_passes_an_intact_edition_and_names_what_fails(published, tmp_path, capsys):
    _, pdf = published
    assert main(["verify", "--quick", str(pdf)]) == 0  # the rebuild: test_verify_rebuild.py
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


def test_extract_and_publish_reproduce_the_edition_byte_for_byte(published, tmp_path, cli):
    """The sources extracted from the PDF alone, published again in another process,
    another folder and another time zone (another local day), with no chart cache:
    the identical file."""
    _, pdf = published
    target = tmp_path / "elsewhere" / "recovered"
    result = cli("extract", str(pdf), str(target))
    assert result.returncode == 0, result.stderr
    rebuilt = almanac("publish", str(target), env={**os.environ, "TZ": "Pacific/Auckland"})
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert Path(rebuilt.stdout.strip()).read_bytes() == pdf.read_bytes()


@pytest.mark.slow
def test_diff_reports_an_erratum(published, tmp_path, cli):
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
    shutil.copytree(project / CACHE, erratum / CACHE)  # the charts drawn for 1.0
    new = cli("publish", str(erratum))
    assert new.returncode == 0, new.stderr
    new_pdf = Path(new.stdout.strip())
    assert "Wijzigingen" in PdfReader(new_pdf).pages[-1].extract_text()
    pages = tmp_path / "pages"
    compared = cli("diff", str(old_pdf), str(new_pdf), "--pages", str(pages))
    assert compared.returncode == 0, compared.stderr
    out = compared.stdout
    assert "quarantaine_fte (Inzetbaarheid): 35 → 38" in out
    assert "numbers changed: 1" in out
    assert "edition 1.0 (2022-05-01) → 1.1 (2022-06-15)" in out
    assert "changelog entries added: 1\n  1.1 (2022-06-15): Het aantal FTE in quarantaine " \
           "is gecorrigeerd." in out
    assert " Beide {+projecten+} zijn gericht " in out  # the word, not the paragraph twice
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


def test_an_edition_whose_manifest_was_retitled_is_not_called_verified(published, tmp_path,
                                                                      capsys):
    # manifest.json rewritten after publishing: another version, a date with a
    # terminal escape (it would set the window title and clear the screen)
    project, _ = published
    copy = tmp_path / "copy"
    shutil.copytree(project / "editions", copy / "editions", symlinks=True)
    record = copy / EDITION / "manifest.json"
    manifest = json.loads(record.read_text(encoding="utf-8"))
    manifest["edition"]["version"] = "2.0\x1b[31m"
    manifest["edition"]["date"] = "\x1b]0;pwned\x07\x1b[2J2022-05-01"
    record.write_text(json.dumps(manifest), encoding="utf-8")
    assert main(["editions", str(copy)]) == 1
    out = capsys.readouterr().out
    assert "FAILED (manifest.json names version '2.0\\x1b[31m'; its folder is 1.0)" in out, out
    assert "\\x1b]0;pwned\\x07" in out and "\x1b" not in out and "\x07" not in out
