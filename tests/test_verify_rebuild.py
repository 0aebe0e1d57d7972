"""``almanac verify`` rebuilds the edition from the sources it embeds and compares
the bytes, so a change to the pages themselves is caught, not only a change to
the embedded sources and metadata.

Each test works on a copy of one small edition (``almanac new``, published once),
copied alone as if it had been mailed, and changed as someone with a PDF tool would.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from almanac.editions.diff import GUTTER


@pytest.fixture
def edition(starter_edition) -> Path:
    """A starter report's edition, published once (read only)."""
    return starter_edition


@pytest.fixture
def alone(edition, tmp_path) -> Path:
    """The edition's PDF copied alone (no manifest.json beside it), as if mailed."""
    copy = tmp_path / "mailed" / edition.name
    copy.parent.mkdir()
    shutil.copyfile(edition, copy)
    return copy


def _recolour(pdf: Path) -> int:
    """Change the non-stroking (fill) colours set in the pages' content streams, as
    one does with ``qpdf --qdf``, an editor and ``fix-qdf``: every ``rg`` and ``sc``
    operator gets other values; the file is written again by qpdf (pikepdf). Returns
    how many operators were changed."""
    changed = 0
    with pikepdf.open(pdf, allow_overwriting_input=True) as document:
        for page in document.pages:
            operations = []
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) in ("rg", "sc") and len(operands) == 3:
                    operands = [0.9, 0.1, 0.1]
                    changed += 1
                operations.append((operands, operator))
            page.obj.Contents = document.make_stream(
                pikepdf.unparse_content_stream(operations))
        document.save(pdf)
    return changed


def test_an_intact_edition_copied_alone_is_rebuilt_identical(alone, cli):
    checked = cli("verify", str(alone))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert re.search(r"^ok +pages rebuilt identical: the same [\d,]+ bytes$",
                     checked.stdout, re.M), checked.stdout
    assert checked.stdout.rstrip().endswith(f"{alone}: intact")
    assert sorted(p.name for p in alone.parent.iterdir()) == [alone.name]  # nothing written


def test_fill_colours_changed_in_the_pages_are_caught(alone, tmp_path, cli):
    """The issue's case: the PDF copied alone, its fill colours changed with qpdf.
    The structural checks still pass (``--quick`` says intact); the rebuild names
    the first page that differs and draws it beside the rebuilt one."""
    assert _recolour(alone) > 10
    quick = cli("verify", "--quick", str(alone))
    assert quick.returncode == 0 and quick.stdout.rstrip().endswith(
        ": intact (the file's own checks; pages not checked: --quick)"), quick.stdout
    assert "pages rebuilt" not in quick.stdout
    pages = tmp_path / "differences"
    checked = cli("verify", str(alone), "--pages", str(pages))
    assert checked.returncode == 1, checked.stdout + checked.stderr
    found = re.search(r"^FAIL pages rebuilt identical: page (\d+) differs.*; published \| "
                      r"rebuilt \| changes: (.+)$", checked.stdout, re.M)
    assert found, checked.stdout
    assert checked.stdout.rstrip().endswith(f"{alone}: NOT intact")
    image = Path(found[2])
    assert image.parent == pages and re.fullmatch(
        rf"{re.escape(alone.stem)}-\d{{8}}T\d{{6}}-page-{int(found[1]):03d}\.png", image.name)
    assert sorted(p.name for p in pages.iterdir()) == [image.name]  # the first page only
    with pikepdf.open(alone) as document:
        width = float(document.pages[int(found[1]) - 1].mediabox[2]) / 72 * 50
    with Image.open(image) as drawn:  # published | rebuilt | changes, each at 50 dpi
        assert abs(drawn.width - (3 * width + 2 * GUTTER)) < 4
        # the third panel is the rebuilt page faded to light grey: red there is a mark
        changes = drawn.convert("RGB").crop((drawn.width - round(width) + 2, 0,
                                            drawn.width, drawn.height))
        pixels = changes.tobytes()
        reds = sum(1 for i in range(0, len(pixels), 3)
                   if pixels[i] > 200 and pixels[i + 1] < 40 and pixels[i + 2] < 40)
        assert reds > 100  # the changed pixels, marked


def test_the_issues_qpdf_edit_is_caught(alone, tmp_path, cli):
    """Exactly as the archivist did it: ``qpdf --qdf`` to uncompress the mailed copy,
    the fill colours (``r g b rg``) changed in a text editor's way, ``fix-qdf`` to
    mend the lengths and the cross-reference table."""
    qdf = tmp_path / "qdf.pdf"
    subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(alone), str(qdf)],
                   check=True)
    text, count = re.subn(rb"(?m)^([\d.]+) ([\d.]+) ([\d.]+) rg$", rb"0.9 0.1 0.1 rg",
                          qdf.read_bytes())
    assert count > 10
    fixed = subprocess.run(["fix-qdf"], input=text, capture_output=True, check=True).stdout
    alone.write_bytes(fixed)
    assert cli("verify", "--quick", str(alone)).returncode == 0  # the file's own checks
    checked = cli("verify", str(alone), "--pages", str(tmp_path / "pages"))
    assert checked.returncode == 1, checked.stdout
    assert re.search(r"^FAIL pages rebuilt identical: page \d+ differs", checked.stdout,
                     re.M), checked.stdout
    assert checked.stdout.rstrip().endswith(f"{alone}: NOT intact")


def test_without_pages_the_image_goes_to_a_new_temporary_folder(alone, cli):
    _recolour(alone)
    checked = cli("verify", str(alone))
    assert checked.returncode == 1
    image = Path(re.search(r"published \| rebuilt \| changes: (.+)$", checked.stdout, re.M)[1])
    try:
        assert image.is_file() and image.parent.name.startswith("almanac-verify-")
        assert Path.cwd() not in image.parents
    finally:
        shutil.rmtree(image.parent)


def test_an_appended_page_is_named(alone, cli):
    with pikepdf.open(alone, allow_overwriting_input=True) as document:
        pages = len(document.pages)
        document.pages.append(document.pages[0])
        document.save(alone)
    checked = cli("verify", str(alone))
    assert checked.returncode == 1
    assert f"FAIL pages rebuilt identical: page {pages + 1} differs; page count " \
        f"{pages + 1}, rebuilt {pages}; published | rebuilt | changes: " in checked.stdout, \
        checked.stdout


def test_changed_metadata_is_named_when_every_page_looks_the_same(alone, cli):
    with pikepdf.open(alone, allow_overwriting_input=True) as document:
        document.docinfo["/Author"] = "Someone else"
        with document.open_metadata(set_pikepdf_as_editor=False) as xmp:
            xmp["dc:creator"] = ["Someone else"]
        document.save(alone)
    checked = cli("verify", str(alone))
    assert checked.returncode == 1
    line = next(line for line in checked.stdout.splitlines() if "pages rebuilt" in line)
    assert line.startswith("FAIL pages rebuilt identical: every page looks the same, but "
                           "the bytes differ: "), line
    assert "the document information (/Author)" in line and "the XMP metadata packet" in line


def test_an_incremental_update_is_named(alone, cli):
    """Objects added after the edition was made (an incremental update, as a signing
    or an annotating reader appends) are named, the pages being the same."""
    data = alone.read_bytes()
    # a hand-made incremental update: the Info dictionary again, a new xref and trailer
    size = int(re.findall(rb"/Size (\d+)", data)[-1])
    start = len(data)
    body = f"{size} 0 obj\n<< /Keywords (added later) >>\nendobj\n".encode()
    xref = start + len(body)
    previous = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    tail = (f"xref\n{size} 1\n{start:010d} 00000 n \ntrailer\n<< /Size {size + 1} /Prev "
            f"{previous} /Root {_root(alone)} /Info {size} 0 R >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    alone.write_bytes(data + body + tail)
    checked = cli("verify", str(alone))
    assert checked.returncode == 1
    assert "1 incremental update(s) added after the edition was made " \
        f"({len(body) + len(tail):,} bytes appended)" in checked.stdout, checked.stdout


def _root(pdf: Path) -> str:
    with pikepdf.open(pdf) as document:
        number, generation = document.Root.objgen
    return f"{number} {generation} R"


def _change_source(pdf: Path, forge: bool) -> str:
    """Change a chapter's text embedded in ``pdf``; with ``forge`` also its entry in
    the embedded sources manifest and the manifest's hash in the XMP metadata, so
    that every hash agrees again. Returns the chapter's path."""
    with pikepdf.open(pdf, allow_overwriting_input=True) as document:
        name = next(name for name in document.attachments if name.endswith("chapter.md"))
        spec = document.attachments[name]
        body = spec.get_file().read_bytes()
        changed = body + b"\nA sentence nobody wrote.\n"
        spec.obj.EF.F.write(changed)
        if forge:
            sources = document.attachments["almanac-sources.json"]
            manifest = sources.get_file().read_bytes()
            forged = manifest.replace(hashlib.sha256(body).hexdigest().encode(),
                                      hashlib.sha256(changed).hexdigest().encode()).replace(
                f'"size": {len(body)}'.encode(), f'"size": {len(changed)}'.encode())
            _forge_manifest(document, forged)
        document.save(pdf)
    return name


def _forge_manifest(document, forged: bytes) -> None:
    """Put ``forged`` in place of the embedded sources manifest and its hash in the
    XMP metadata in place of the real one's: the file's own checks then agree."""
    sources = document.attachments["almanac-sources.json"]
    manifest = sources.get_file().read_bytes()
    sources.obj.EF.F.write(forged)
    metadata = document.Root.Metadata
    metadata.write(metadata.read_bytes().replace(
        hashlib.sha256(manifest).hexdigest().encode(),
        hashlib.sha256(forged).hexdigest().encode()))


def test_a_changed_embedded_source_is_named_and_a_forged_one_caught(alone, tmp_path, cli):
    """A changed source fails its hash (nothing trusted to rebuild from); one whose
    manifest entry and XMP hash were forged to match passes every structural check,
    and the rebuild shows that its pages are not the ones published."""
    plain = tmp_path / "plain.pdf"
    shutil.copyfile(alone, plain)
    name = _change_source(plain, forge=False)
    checked = cli("verify", str(plain))
    assert checked.returncode == 1
    assert f"FAIL embedded sources: {name} does not match its hash" in checked.stdout
    assert "pages rebuilt identical" not in checked.stdout
    assert "pages not rebuilt: the file already fails the checks above" in checked.stdout
    _change_source(alone, forge=True)
    assert cli("verify", "--quick", str(alone)).returncode == 0  # the forgery holds
    checked = cli("verify", str(alone), "--pages", str(tmp_path / "pages"))
    assert checked.returncode == 1, checked.stdout
    assert re.search(r"^FAIL pages rebuilt identical: page \d+ differs", checked.stdout,
                     re.M), checked.stdout


def _forge_tools(pdf: Path, weasyprint: str) -> None:
    """Draw a red box on page 2 (as an artifact, so the tags still hold) and record
    another WeasyPrint in the embedded sources manifest, the manifest's hash in the
    XMP metadata made to agree: every check of the file alone still passes."""
    with pikepdf.open(pdf, allow_overwriting_input=True) as document:
        page = document.pages[1]
        page.contents_add(document.make_stream(
            b"/Artifact BMC q 0.9 0.1 0.1 rg 100 100 200 200 re f Q EMC"), prepend=False)
        sources = document.attachments["almanac-sources.json"]
        manifest = sources.get_file().read_bytes()
        recorded = json.loads(manifest)
        recorded["tools"]["weasyprint"] = weasyprint
        forged = (json.dumps(recorded, indent=2, ensure_ascii=False, sort_keys=True)
                  + "\n").encode()
        _forge_manifest(document, forged)
        document.save(pdf)


def test_forged_tool_versions_do_not_skip_the_pages(alone, tmp_path, cli):
    """The recorded tool versions are data anyone can change: a page changed and the
    tools forged is still rebuilt (with the installed tools, the recorded versions
    written in), and as the bytes differ the pages are said not to be proven: exit 3,
    never "intact"."""
    _forge_tools(alone, "70.0.1")
    quick = cli("verify", "--quick", str(alone))
    assert quick.returncode == 0, quick.stdout  # the forgery holds for the file alone
    pages = tmp_path / "pages"
    checked = cli("verify", str(alone), "--pages", str(pages))
    assert checked.returncode == 3, checked.stdout
    assert "weasyprint: the edition was made with 70.0.1" in checked.stdout
    last = checked.stdout.rstrip().splitlines()[-1]
    assert last.startswith(f"{alone}: NOT verified: the pages were not checked (the "
                           "edition records other tool versions; rebuilt with the "
                           "installed ones, it differs: page 2 differs"), last
    (image,) = pages.iterdir()
    assert str(image) in last
    assert re.search(r"^FAIL pages rebuilt identical: not checked: ", checked.stdout, re.M)


def test_other_installed_tools_that_rebuild_the_same_bytes_prove_the_pages(
        alone, cli, monkeypatch):
    """Another WeasyPrint installed (in this process) that makes the same bytes: the
    rebuild writes the recorded versions, the bytes are identical, so the pages are
    proven all the same, with a note of the tools installed."""
    from almanac.editions import rebuild

    installed = rebuild.tool_versions()
    monkeypatch.setattr(rebuild, "tool_versions",
                        lambda: {**installed, "weasyprint": "999.0"})
    checked = cli("verify", str(alone))
    assert checked.returncode == 0, checked.stdout
    assert f"weasyprint: the edition was made with {installed['weasyprint']}, 999.0 is " \
        "installed" in checked.stdout
    assert re.search(r"^ok +pages rebuilt identical: the same [\d,]+ bytes \(with other "
                     r"tool versions installed: weasyprint 999\.0\)$", checked.stdout, re.M)
    assert checked.stdout.rstrip().endswith(f"{alone}: intact")


def test_a_tool_the_edition_did_not_record_is_said_and_the_pages_rebuilt(
        alone, cli, monkeypatch):
    """An edition made before Almanac recorded a tool is rebuilt with the one
    installed; the bytes then decide, and the tool is named as not recorded."""
    from almanac.editions import rebuild

    installed = rebuild.tool_versions()
    monkeypatch.setattr(rebuild, "tool_versions", lambda: {**installed, "newtool": "1.0"})
    checked = cli("verify", str(alone))
    assert checked.returncode == 0, checked.stdout
    assert "ok   pages rebuilt identical" in checked.stdout
    assert "not recorded by the edition (rebuilt with those installed): newtool" \
        in checked.stdout


def test_an_edition_with_a_photo_is_rebuilt_identical_from_another_folder(tmp_path, cli):
    """A raster photo is named in the page content by its place in the project, not
    by the folder the project was published from (WeasyPrint names it by its URL), so
    the edition rebuilt from its extracted sources is the same file."""
    from PIL import Image

    project = tmp_path / "somewhere" / "report"
    assert cli("new", str(project)).returncode == 0
    Image.new("RGB", (640, 400), (30, 120, 160)).save(project / "chapters" / "03-outlook"
                                                      / "team.png")
    chapter = project / "chapters" / "03-outlook" / "chapter.md"
    text = chapter.read_text(encoding="utf-8")
    assert ":::{photo} team\n:treatment: duotone\n" in text
    chapter.write_text(text.replace(":::{photo} team\n:treatment: duotone\n",
                                    ":::{photo} team\n:image: team.png\n"), encoding="utf-8")
    made = cli("publish", "-q", str(project))
    assert made.returncode == 0, made.stderr
    with pikepdf.open(made.stdout.strip()) as document:  # the photo is in, as an image
        assert any(int(image.get("/Width", 0)) == 640 for image in document.objects
                   if isinstance(image, pikepdf.Stream) and image.get("/Subtype") == "/Image")
    copy = tmp_path / "mailed.pdf"
    shutil.copyfile(made.stdout.strip(), copy)
    checked = cli("verify", str(copy))
    assert checked.returncode == 0, checked.stdout
    assert "ok   pages rebuilt identical" in checked.stdout

@pytest.mark.slow
def test_the_sample_edition_copied_alone_is_rebuilt_identical(published, tmp_path, cli):
    """The sample report (charts, photos, its own fonts, 30 pages) published in a
    process of its own and rebuilt from its PDF alone: the same bytes."""
    copy = tmp_path / published[1].name
    shutil.copyfile(published[1], copy)
    checked = cli("verify", str(copy))
    assert checked.returncode == 0, checked.stdout
    assert "ok   pages rebuilt identical: the same " in checked.stdout


def test_each_language_of_a_report_in_several_is_rebuilt_in_its_own(tmp_path, cli):
    """Each PDF of a report in several languages embeds the whole project; its
    manifest names its language, and that edition is the one rebuilt."""
    from test_languages import bilingual

    project = bilingual(tmp_path / "project")
    made = cli("publish", "-q", str(project))
    assert made.returncode == 0, made.stderr
    pdfs = [Path(line) for line in made.stdout.split()]
    assert [pdf.parent.name for pdf in pdfs] == ["nl", "en"]
    for pdf in pdfs:
        copy = tmp_path / "mailed" / pdf.parent.name / pdf.name
        copy.parent.mkdir(parents=True)
        shutil.copyfile(pdf, copy)
        checked = cli("verify", str(copy))
        assert checked.returncode == 0, checked.stdout
        assert "ok   pages rebuilt identical" in checked.stdout, checked.stdout


def test_pages_are_never_written_into_the_archive_or_an_edition_folder(edition, tmp_path,
                                                                       cli):
    """``--pages`` naming the edition's own folder, a new folder in the archive, or a
    copy of an edition's folder elsewhere: a usage error (exit 2) before anything is
    checked, and nothing written there."""
    archive = edition.parents[2]
    copied = tmp_path / "copied-edition"
    shutil.copytree(edition.parent, copied)
    before = sorted(archive.rglob("*")), sorted(copied.rglob("*"))
    for folder, said in ((edition.parent, "lies in the archive of editions"),
                         (archive / "differences", "lies in the archive of editions"),
                         (copied / "pages", "lies in the folder of a published edition")):
        ran = cli("verify", str(edition), "--pages", str(folder))
        assert ran.returncode == 2, ran.stdout + ran.stderr
        assert f"{folder} {said}" in ran.stderr, ran.stderr
        assert ran.stdout == ""
    assert (sorted(archive.rglob("*")), sorted(copied.rglob("*"))) == before


def test_pages_leaves_an_earlier_runs_images_and_names_its_own(alone, tmp_path, cli):
    """A --pages folder already holding images (named as an earlier run named them):
    they are left as they are, and this run's image has a name of its own."""
    _recolour(alone)
    pages = tmp_path / "differences"
    pages.mkdir()
    earlier = {name: f"earlier {name}".encode() for name in
               [f"page-{number:03d}.png" for number in range(1, 11)] + ["notes.txt"]}
    for name, body in earlier.items():
        (pages / name).write_bytes(body)
    checked = cli("verify", str(alone), "--pages", str(pages))
    assert checked.returncode == 1, checked.stdout
    image = Path(re.search(r"published \| rebuilt \| changes: (.+)$", checked.stdout, re.M)[1])
    assert image.parent == pages and image.name.startswith(f"{alone.stem}-")
    assert {path.name: path.read_bytes() for path in pages.iterdir()
            if path != image} == earlier
    with Image.open(image) as drawn:
        assert drawn.width > 100
