"""The archive side given hostile or damaged input: PDFs given to ``verify``,
``extract``, ``diff`` and ``editions``, tampered edition folders given to
``editions``, ``verify`` and ``publish``, and the bounds of what ``publish``
embeds. Each ends in a message (exit 1) that says what was found, never a
traceback or a hang, and nothing is written outside the target folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfWriter

from almanac.editions.sources import EmbedLimits, read_sources
from almanac.errors import ReportError
from almanac.project.parts import source_files

from conftest import almanac, snapshot
from hostile_pdf import (
    BILLION_LAUGHS,
    add_embedded,
    clone,
    cyclic_kids,
    cyclic_kids_deep,
    draw_box,
    manifest,
    recursive_resources,
    rename,
    self_resources,
    set_manifest,
    set_raw,
    set_xmp,
    written,
    zeros_deflated,
)

EDITION = Path("editions/2021/1.0")
ESCAPE = "ESCAPED"  # a file that a name in a hostile PDF tries to put outside the target


def mutated(change: Callable[[PdfWriter], None]) -> Callable[[bytes], bytes]:
    def make(edition: bytes) -> bytes:
        writer = clone(edition)
        change(writer)
        return written(writer)
    return make


def manifest_inputs(change: Callable[[dict], object]) -> Callable[[PdfWriter], None]:
    """Change every input record of the embedded sources manifest."""
    def apply(writer: PdfWriter) -> None:
        data = manifest(writer)
        for item in data["inputs"]:
            change(item)
        set_manifest(writer, data)
    return apply


def blank_pdf(_: bytes) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    return written(writer)


MANIFEST_HEAD = (b'{"format": "almanac-edition/1", "edition": {"version": "1", "date": "x"}, '
                 b'"inputs": [{"path": "report.yaml", "sha256": "' + b"0" * 64 + b'", ')

# name → (the hostile PDF made from the edition's bytes, what verify's FAIL line says)
HOSTILE: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    # ---- not a PDF, or a PDF that cannot be read
    "text": (lambda _: b"hello, this is not a PDF\n", "not a PDF"),
    "empty": (lambda _: b"", "not a PDF"),
    "truncated-half": (lambda data: data[: len(data) // 2], "readable PDF: damaged"),
    "truncated-header": (lambda data: data[:1000], "readable PDF: damaged"),
    "encrypted": (mutated(lambda w: w.encrypt("secret")), "encrypted"),
    "no-attachments": (blank_pdf, "no almanac-sources.json attached"),
    "length-huge": (lambda data: re.sub(rb"/Length \d+", b"/Length 99999999999", data, count=5),
                    "readable PDF"),
    # ---- cyclic page trees
    "kids-self": (mutated(cyclic_kids), "its pages cannot be read"),
    "kids-back": (mutated(cyclic_kids_deep), "its pages cannot be read"),
    # ---- an embedded manifest of the wrong shape
    "manifest-list": (mutated(lambda w: set_manifest(w, [])), "not an Almanac manifest"),
    "manifest-missing-keys": (mutated(lambda w: set_manifest(w, {"format": "almanac-edition/1"})),
                              "edition: Field required"),
    "manifest-strings": (mutated(manifest_inputs(lambda i: i.update(size=str(i["size"])))),
                         "size: Input should be a valid integer"),
    "manifest-huge-size": (mutated(manifest_inputs(lambda i: i.update(size=10**30))),
                           "is said to be 1,000,000,000,000,000,000,000,000,000,000 bytes"),
    "manifest-infinite": (mutated(lambda w: set_manifest(w, MANIFEST_HEAD + b'"size": 1e999}]}')),
                          "size: Input should be a valid integer"),
    "manifest-long-number": (mutated(lambda w: set_manifest(
        w, MANIFEST_HEAD + b'"size": ' + b"9" * 100_000 + b"}]}")), "more than 4 300 digits"),
    "manifest-deep": (mutated(lambda w: set_manifest(w, b"[" * 200_000)), "nested too deeply"),
    "manifest-not-json": (mutated(lambda w: set_manifest(w, b"\xff\xfe{")), "not JSON"),
    "manifest-bad-hash": (mutated(manifest_inputs(lambda i: i.update(sha256="ABC"))),
                          "sha256: String should match pattern"),
    # ---- embedded names that are not a plain path under a source folder
    "name-dot": (mutated(lambda w: rename(w, "report.yaml", ".")), "not a plain relative path"),
    "name-dotdot": (mutated(lambda w: rename(w, "report.yaml", "..")),
                    "not a plain relative path"),
    "name-absolute": (mutated(lambda w: rename(w, "report.yaml", f"/{ESCAPE}")),
                      "not a plain relative path"),
    "name-climbs": (mutated(lambda w: rename(w, "report.yaml", f"chapters/../../{ESCAPE}")),
                    "not a plain relative path"),
    "name-nul": (mutated(lambda w: rename(w, "report.yaml", "chapters/a\0b")),
                 "control character or a backslash"),
    "name-backslash": (mutated(lambda w: rename(w, "report.yaml", f"chapters\\..\\..\\{ESCAPE}")),
                       "control character or a backslash"),
    "name-hidden": (mutated(lambda w: rename(w, "report.yaml", "styles/.git/config")),
                    "not a plain relative path"),
    "name-elsewhere": (mutated(lambda w: rename(w, "report.yaml", ESCAPE)),
                       "neither report.yaml nor a file under"),
    "name-too-long": (mutated(lambda w: rename(w, "report.yaml", "styles/" + "x" * 300)),
                      "longer than 255 bytes"),
    "name-twice": (mutated(lambda w: rename(w, "styles/brand.yaml", "report.yaml")),
                   "embeds two files named 'report.yaml'"),
    "name-folder-prefix": (mutated(lambda w: rename(w, "report.yaml", "chapters/01-voorwoord")),
                           "chapters/01-voorwoord is both a file and a folder"),
    "name-not-in-manifest": (mutated(lambda w: rename(w, "report.yaml", f"../{ESCAPE}",
                                                      in_manifest=False)),
                             f"'../{ESCAPE}' is not in the manifest"),
    # ---- oversized and decompression-bomb streams
    "bomb-file": (mutated(lambda w: add_embedded(w, "styles/bomb.bin", b"",
                                                 raw=zeros_deflated(200 * 2**20))),
                  "'styles/bomb.bin' is larger than the limit of 32 MiB"),
    "bomb-manifest": (mutated(lambda w: set_raw(w, "almanac-sources.json",
                                                zeros_deflated(64 * 2**20))),
                      "'almanac-sources.json' is larger than the limit of 32 MiB"),
    "undecodable-file": (mutated(lambda w: set_raw(w, "report.yaml", b"not deflated")),
                         "report.yaml does not match its hash"),
}


@pytest.fixture(scope="module")
def edition(published) -> bytes:
    return published[1].read_bytes()


def _no_escape(tmp_path: Path) -> None:
    assert not list(tmp_path.rglob(f"*{ESCAPE}*"))
    assert not Path("/", ESCAPE).exists()


@pytest.mark.parametrize("case", HOSTILE)
def test_verify_and_extract_refuse_a_hostile_pdf(edition, tmp_path, cli, case):
    make, phrase = HOSTILE[case]
    pdf = tmp_path / "in" / "hostile.pdf"
    pdf.parent.mkdir()
    pdf.write_bytes(make(edition))
    checked = cli("verify", str(pdf))
    assert checked.returncode == 1, checked
    fails = [line for line in checked.stdout.splitlines() if line.startswith("FAIL")]
    assert any(phrase in line for line in fails), checked.stdout
    assert checked.stdout.rstrip().endswith("NOT intact")
    target = tmp_path / "out" / "target"
    extracted = cli("extract", str(pdf), str(target))
    assert extracted.returncode == 1, extracted
    assert f"{pdf}: " in extracted.stderr and phrase in extracted.stderr
    assert "fix: only an intact published edition can be extracted" in extracted.stderr
    assert not (tmp_path / "out").exists()  # nothing made, not even the folder
    assert [p.name for p in tmp_path.iterdir()] == ["in"] and \
        [p.name for p in (tmp_path / "in").iterdir()] == ["hostile.pdf"]
    _no_escape(tmp_path)


@pytest.mark.parametrize("case", ["text", "manifest-list", "name-climbs", "bomb-file",
                                  "kids-self", "name-twice"])
def test_diff_refuses_a_hostile_pdf_on_either_side(published, edition, tmp_path, cli, case):
    make, phrase = HOSTILE[case]
    pdf = tmp_path / "hostile.pdf"
    pdf.write_bytes(make(edition))
    pages = tmp_path / "pages"
    for old, new in ((published[1], pdf), (pdf, published[1])):
        compared = cli("diff", str(old), str(new), "--pages", str(pages))
        assert compared.returncode == 1, compared
        assert f"{pdf}: " in compared.stderr and phrase in compared.stderr
        assert "fix:" in compared.stderr and not compared.stdout
    assert not pages.exists()
    _no_escape(tmp_path)


def _archive(root: Path, pdf: bytes, **record) -> Path:
    """``root/editions/2021/1.0`` holding ``pdf`` and a manifest.json that describes
    it (``record`` overrides its pdf fields)."""
    folder = root / EDITION
    folder.mkdir(parents=True)
    (folder / "edition.pdf").write_bytes(pdf)
    data = {"format": "almanac-edition/1", "edition": {"version": "1.0", "date": "2022-05-01"},
            "inputs": [], "pdf": {"file": "edition.pdf", "sha256": hashlib.sha256(pdf)
                                  .hexdigest(), "size": len(pdf), "pages": 30, **record}}
    (folder / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    return folder / "edition.pdf"


@pytest.mark.parametrize("case", ["text", "truncated-half", "encrypted", "manifest-strings",
                                  "name-absolute", "bomb-file", "kids-back"])
def test_editions_lists_a_hostile_pdf_as_failed(edition, tmp_path, cli, case):
    make, phrase = HOSTILE[case]
    _archive(tmp_path, make(edition))
    listed = cli("editions", str(tmp_path), "--json")
    assert listed.returncode == 1, listed
    [entry] = json.loads(listed.stdout)
    assert entry["version"] == "1.0" and entry["status"].startswith("FAILED")
    assert phrase in entry["status"] or "readable PDF" in entry["status"], entry
    _no_escape(tmp_path)


def test_resources_that_refer_to_themselves_are_walked_once(edition, tmp_path):
    """A form XObject whose /Resources name itself, a resource dictionary that holds
    a form that holds it, and a lattice of 60 levels where each form names the one
    below twice (2**60 paths): verify walks each object once and finds every font
    embedded. In a process of its own, so that a walk without end fails the test
    (by the timeout) instead of stopping the run."""
    for name, change in (("cycle", lambda w: recursive_resources(w)),
                         ("itself", self_resources),
                         ("lattice", lambda w: recursive_resources(w, fan_out=2, depth=60))):
        pdf = tmp_path / f"{name}.pdf"
        pdf.write_bytes(mutated(change)(edition))
        checked = almanac("verify", "--quick", str(pdf), timeout=120)  # not the pages
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "ok   fonts embedded: every font" in checked.stdout, checked.stdout


@pytest.mark.parametrize("xmp", ["not XML", "billion laughs", "bomb"])
def test_xmp_that_cannot_be_read_fails_verify_but_not_extract(edition, tmp_path, cli, xmp):
    """The XMP metadata is parsed by pypdf's expat builder, which refuses entity
    declarations and bounds the elements; its stream is decompressed within the
    limits. The sources are intact, so they can still be extracted."""
    change = {"not XML": lambda w: set_xmp(w, b"not xml <<<"),
              "billion laughs": lambda w: set_xmp(w, BILLION_LAUGHS),
              "bomb": lambda w: set_xmp(w, b"", raw=zeros_deflated(100 * 2**20))}[xmp]
    pdf = tmp_path / "hostile.pdf"
    pdf.write_bytes(mutated(change)(edition))
    checked = cli("verify", str(pdf))
    assert checked.returncode == 1
    assert "FAIL PDF/A identification: the XMP metadata cannot be read" in checked.stdout
    assert "FAIL manifest hash in XMP" in checked.stdout
    extracted = cli("extract", str(pdf), str(tmp_path / "sources"))
    assert extracted.returncode == 0, extracted.stderr
    assert (tmp_path / "sources" / "report.yaml").is_file()


@pytest.mark.parametrize("length", [b"0", b"-5", b"12"])
def test_a_wrong_stream_length_is_repaired_or_refused(edition, tmp_path, cli, length):
    """A /Length that is wrong (pypdf looks for ``endstream`` instead: its
    documented non-strict reading) either reads back intact or fails a check."""
    import re

    pdf = tmp_path / "wrong.pdf"
    pdf.write_bytes(re.sub(rb"/Length \d+", b"/Length " + length, edition))
    checked = cli("verify", "--quick", str(pdf))  # how the file is read, not its pages
    assert checked.returncode in (0, 1), checked
    intact = checked.stdout.rstrip().endswith(": intact (the file's own checks; pages not "
                                              "checked: --quick)")
    assert intact or checked.stdout.rstrip().endswith(("NOT intact", "standards it claims"))
    assert (not intact) == ("FAIL" in checked.stdout)


def test_extract_never_overwrites_nor_writes_through_a_link(published, tmp_path, cli):
    """The target must be new or empty; a link in its place is refused, not followed;
    the tree appears in one rename, so there is never half of it."""
    _, pdf = published
    outside = tmp_path / "outside"
    outside.mkdir()
    full = tmp_path / "full"
    full.mkdir()
    (full / "report.yaml").write_text("mine\n")
    link = tmp_path / "link"
    link.symlink_to(outside, target_is_directory=True)
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for target, phrase in ((full, "is not empty"), (link, "exists and is not a folder"),
                           (a_file, "exists and is not a folder")):
        refused = cli("extract", str(pdf), str(target))
        assert refused.returncode == 1 and phrase in refused.stderr, refused
        assert "fix: name a new or empty folder" in refused.stderr
    assert (full / "report.yaml").read_text() == "mine\n" and not list(outside.iterdir())
    assert a_file.read_text() == "x"
    empty = tmp_path / "empty"
    empty.mkdir()
    done = cli("extract", str(pdf), str(empty))
    assert done.returncode == 0, done.stderr
    assert sorted(p.relative_to(empty).as_posix() for p in empty.rglob("*") if p.is_file()) \
        == source_files(empty)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


# ---- tampered archive folders: editions/<year>/<version>/ given to editions, verify, publish

def _manifest_json(folder: Path) -> Path:
    return folder / EDITION / "manifest.json"


def _rewrite(change: Callable[[dict], object]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = _manifest_json(root)
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data), encoding="utf-8")
    return apply


def _outside_copy(manifest_json: Path) -> Path:
    """A copy of the edition's intact manifest.json outside the project (beside it):
    following a link to it would find nothing wrong."""
    outside = manifest_json.parents[4] / "outside.json"
    outside.write_bytes(manifest_json.parents[4].joinpath("intact.json").read_bytes())
    return outside


def _replace(make: Callable[[Path], None]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        _manifest_json(root).unlink()
        make(_manifest_json(root))
    return apply


# name → (the tampering, what editions and publish say about it)
TAMPERED: dict[str, tuple[Callable[[Path], None], str]] = {
    "a list": (_replace(lambda p: p.write_text("[]")), "Input should be a valid dictionary"),
    "missing keys": (_rewrite(lambda d: d.pop("pdf")), "pdf: Field required"),
    "inputs missing": (_rewrite(lambda d: d.pop("inputs")), "inputs: Field required"),
    "strings for numbers": (_rewrite(lambda d: d["pdf"].update(pages="30")),
                            "pdf.pages: Input should be a valid integer"),
    "a string for the inputs": (_rewrite(lambda d: d.update(inputs="all")),
                                "inputs: Input should be a valid list"),
    "a negative size": (_rewrite(lambda d: d["pdf"].update(size=-1)),
                        "pdf.size: Input should be greater than or equal to 0"),
    "not JSON": (_replace(lambda p: p.write_bytes(b"\0garbage")), "not JSON"),
    "deeply nested": (_replace(lambda p: p.write_bytes(b"[" * 100_000)), "nested too deeply"),
    "a PDF outside the folder": (_rewrite(lambda d: d["pdf"].update(file="../../../report.yaml")),
                                 "not a file name in the edition's folder"),
    "a FIFO": (_replace(lambda p: os.mkfifo(p)), "is not a regular file"),
    "a link to a file outside": (_replace(lambda p: p.symlink_to(_outside_copy(p))),
                                 "is a symbolic link"),
    "a folder": (_replace(lambda p: p.mkdir()), "Is a directory"),
    "missing": (lambda root: _manifest_json(root).unlink(), "No such file or directory"),
}


@pytest.fixture(scope="module")
def archived(published, tmp_path_factory) -> Path:
    """A copy of the published project (sources and editions/, no chart cache)."""
    copy = tmp_path_factory.mktemp("archived") / "project"
    shutil.copytree(published[0], copy, ignore=shutil.ignore_patterns(".almanac-cache"))
    return copy


@pytest.mark.parametrize("case", TAMPERED)
def test_a_tampered_edition_folder_gives_messages(archived, tmp_path, cli, case):
    tamper, phrase = TAMPERED[case]
    project = tmp_path / "project"
    shutil.copytree(archived, project, symlinks=True)
    shutil.copy(_manifest_json(project), tmp_path / "intact.json")
    tamper(project)
    before = snapshot(project / "editions", mtimes=True)
    listed = cli("editions", str(project))
    assert listed.returncode == 1, listed
    [row] = listed.stdout.splitlines()[1:]
    assert row.startswith("1.0") and "FAILED: unreadable manifest.json" in row and phrase in row
    pdf = next((project / EDITION).glob("*.pdf"))
    checked = cli("verify", "--quick", str(pdf))  # the file's own checks, not its pages
    assert "ok   embedded sources" in checked.stdout  # the PDF itself is intact
    if case == "missing":  # verify from the file alone
        assert checked.returncode == 0 and "manifest.json" not in checked.stdout
    else:
        assert checked.returncode == 1
        assert "FAIL sha256 against manifest.json: unreadable" in checked.stdout
    again = cli("publish", str(project))
    assert again.returncode == 1, again
    assert "editions/2021/1.0/manifest.json: the published edition 1.0 is damaged: " \
        "manifest.json" in again.stderr, again.stderr
    assert phrase in again.stderr or case == "missing" and "manifest.json is missing" \
        in again.stderr, again.stderr
    assert "fix: restore the edition folder from a copy" in again.stderr
    assert snapshot(project / "editions", mtimes=True) == before


@pytest.mark.parametrize("case", ["a file", "other files", "a link outside"])
def test_a_folder_named_like_a_version_that_is_no_edition(archived, tmp_path, cli, case):
    """editions/<year>/<version> that is a file, holds other files, or is a link: listed
    as FAILED by editions (nothing read through the link), refused by publish."""
    project = tmp_path / "project"
    shutil.copytree(archived, project, symlinks=True)
    extra = project / "editions" / "2021" / "0.9"
    outside = tmp_path / "outside"
    shutil.copytree(project / EDITION, outside)
    if case == "a file":
        extra.write_text("notes\n")
    elif case == "other files":
        extra.mkdir()
        (extra / "notes.txt").write_text("notes\n")
    else:
        extra.symlink_to(outside, target_is_directory=True)
    listed = cli("editions", str(project), "--json")
    assert listed.returncode == 1
    rows = {row["version"]: row for row in json.loads(listed.stdout)}
    assert rows["1.0"]["status"] == "verified"
    assert rows["0.9"]["status"].startswith("FAILED"), rows
    assert rows["0.9"]["path"] == "editions/2021/0.9"
    expected = {"a file": "not an edition folder", "other files": "No such file",
                "a link outside": "not an edition folder (a link or a file)"}[case]
    assert expected in rows["0.9"]["status"]


def test_a_linked_pdf_in_an_edition_folder_is_not_followed(archived, tmp_path, cli):
    """The edition's PDF replaced by a link to a copy outside the project (which would
    verify): editions lists it as failed, naming the link."""
    project = tmp_path / "project"
    shutil.copytree(archived, project)
    pdf = next((project / EDITION).glob("*.pdf"))
    outside = tmp_path / "outside.pdf"
    pdf.rename(outside)
    pdf.symlink_to(outside)
    listed = cli("editions", str(project), "--json")
    assert listed.returncode == 1
    [entry] = json.loads(listed.stdout)
    assert entry["status"] == "FAILED (readable PDF: the file is a symbolic link, not a file)"


@pytest.mark.slow
def test_diff_replaces_a_link_among_the_page_images_instead_of_writing_through_it(
        published, tmp_path, cli):
    """--pages DIR holding a link named like a page image, to a file outside: the
    image is written under a new name and renamed over the link."""
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(mutated(draw_box)(published[1].read_bytes()))
    pages = tmp_path / "pages"
    pages.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me\n")
    (pages / "page-001.png").symlink_to(outside)
    compared = cli("diff", str(published[1]), str(changed), "--pages", str(pages))
    assert compared.returncode == 0, compared.stderr
    assert "pages that look different: 1\n" in compared.stdout
    assert outside.read_text() == "keep me\n"
    image = pages / "page-001.png"
    assert not image.is_symlink() and image.read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in pages.iterdir()) == ["page-001.png"]


def test_manifest_size_and_pages_are_checked_against_the_pdf(archived, tmp_path, cli):
    project = tmp_path / "project"
    shutil.copytree(archived, project)
    _rewrite(lambda d: d["pdf"].update(pages=10**30))(project)
    pdf = next((project / EDITION).glob("*.pdf"))
    checked = cli("verify", str(pdf))
    assert checked.returncode == 1
    assert "FAIL size and pages against manifest.json" in checked.stdout
    assert f"{10**30:,} pages" in checked.stdout
    listed = cli("editions", str(project))
    assert listed.returncode == 1 and "FAILED (size and pages" in listed.stdout


# ---- the bounds of what publish embeds

def test_publish_refuses_a_source_over_the_file_limit_before_reading_it(project, cli):
    """A 2 GiB stray file (sparse: no disk, and never read) and one just over the
    limit: both named, with the fix; nothing is written."""
    for name, size in (("styles/stray.bin", 2 * 2**30), ("chapters/01-voorwoord/data.xlsx",
                                                         32 * 2**20 + 1)):
        path = project / name
        with open(path, "wb") as handle:
            handle.truncate(size)
    refused = cli("publish", str(project))
    assert refused.returncode == 1, refused
    err = refused.stderr
    assert "styles/stray.bin: this source file is 2048.0 MiB (2,147,483,648 bytes); the " \
        "limit is 32 MiB (33,554,432 bytes) for one embedded file of an edition" in err
    assert "chapters/01-voorwoord/data.xlsx: this source file is 32.0 MiB (33,554,433" in err
    assert err.count("fix: make it smaller, or leave it out of the edition (move it out "
                     "of chapters/, data/, figures/, layout/, locale/, styles/, or give it a name "
                     "starting with '.'), or raise the limit, e.g. "
                     "ALMANAC_MAX_EMBEDDED_FILE_MIB=64") == 2
    assert "2 problems; nothing was written" in err
    assert not (project / "editions").exists()


def test_publish_refuses_sources_over_the_total_and_the_count(project, cli, monkeypatch):
    total = sum((project / name).stat().st_size for name in source_files(project)) / 2**20
    assert 3 < total < 6  # the sample's sources: its chapters, figures, brand and fonts
    monkeypatch.setenv("ALMANAC_MAX_EMBEDDED_TOTAL_MIB", "3")
    refused = cli("publish", str(project))
    assert refused.returncode == 1, refused
    assert f"report.yaml: the source files together is {total:.1f} MiB" in refused.stderr
    assert "the limit is 3 MiB" in refused.stderr and "Lato-BoldItalic.ttf (0.7 MiB)" \
        in refused.stderr
    assert "ALMANAC_MAX_EMBEDDED_TOTAL_MIB=6" in refused.stderr
    monkeypatch.delenv("ALMANAC_MAX_EMBEDDED_TOTAL_MIB")
    many = project / "styles" / "many"
    many.mkdir()
    for number in range(EmbedLimits().files + 1 - len(source_files(project))):
        (many / f"{number}.txt").touch()
    refused = cli("publish", str(project))
    assert refused.returncode == 1
    assert f"styles/many: the report has {EmbedLimits().files + 1:,} source files " \
        f"({len(list(many.iterdir())):,} in this folder); an edition embeds at most " \
        f"{EmbedLimits().files:,}" in refused.stderr
    assert not (project / "editions").exists()


@pytest.mark.parametrize("value", ["lots", "0", "-1", "1e3", "99999999"])
def test_a_limit_set_wrongly_is_a_message(project, published, cli, monkeypatch, value):
    monkeypatch.setenv("ALMANAC_MAX_EMBEDDED_FILE_MIB", value)
    for args in (("publish", str(project)), ("verify", str(published[1])),
                 ("editions", str(published[0]))):
        ran = cli(*args)
        assert ran.returncode == 1, (args, ran)
        assert f"ALMANAC_MAX_EMBEDDED_FILE_MIB={value!r} is not a size in MiB" in ran.stderr
        assert "fix: set it to a whole number of MiB from 1 to 65536" in ran.stderr


def test_sources_that_are_not_regular_files_are_refused_without_reading(project):
    """A FIFO (reading it would wait for a writer) and a device (endless): refused
    from fstat of the opened file, as every problem at once."""
    os.mkfifo(project / "styles" / "pipe.css")
    (project / "styles" / "zero.css").symlink_to("/dev/zero")
    with pytest.raises(ReportError) as caught:
        read_sources(project, ["report.yaml", "styles/pipe.css", "styles/zero.css"])
    text = caught.value.format(project)
    assert "styles/pipe.css: this source file is not a regular file" in text
    assert "styles/zero.css: this source file is not a regular file" in text


def test_verify_holds_an_edition_to_the_limits_it_was_published_within(published, cli,
                                                                     monkeypatch):
    """Lower limits than the edition's: named, with the variable that raises them."""
    monkeypatch.setenv("ALMANAC_MAX_EMBEDDED_TOTAL_MIB", "3")  # the sample's: 3.9 MiB
    checked = cli("verify", str(published[1]))
    assert checked.returncode == 1
    assert "FAIL embedded sources: its embedded files together are more than the limit of " \
        "3 MiB (if it was published with a raised limit, set ALMANAC_MAX_EMBEDDED_TOTAL_MIB " \
        "as it was then)" in checked.stdout


@pytest.mark.slow
def test_an_edition_at_a_raised_file_limit_opens_everywhere(small_warm, tmp_path, cli,
                                                           monkeypatch):
    """The issue's instance: an 80 MB input (above pypdf's default 75 MB stream
    limit), published with the file limit raised to 80 MiB, verifies, lists and
    extracts byte for byte with the same limit; the default limit names the file."""
    body = os.urandom(80 * 2**20)  # incompressible: the stream is as long as the file
    (small_warm / "styles" / "workbook.xlsx").write_bytes(body)
    refused = cli("publish", str(small_warm))
    assert refused.returncode == 1 and "styles/workbook.xlsx: this source file is 80.0 MiB" \
        in refused.stderr
    monkeypatch.setenv("ALMANAC_MAX_EMBEDDED_FILE_MIB", "80")
    made = cli("publish", str(small_warm))
    assert made.returncode == 0, made.stderr
    pdf = Path(made.stdout.strip())
    checked = cli("verify", str(pdf))
    assert checked.returncode == 0, checked.stdout
    assert cli("editions", str(small_warm)).returncode == 0
    extracted = cli("extract", str(pdf), str(tmp_path / "back"))
    assert extracted.returncode == 0, extracted.stderr
    assert (tmp_path / "back" / "styles" / "workbook.xlsx").read_bytes() == body
    monkeypatch.delenv("ALMANAC_MAX_EMBEDDED_FILE_MIB")
    checked = cli("verify", str(pdf))
    assert checked.returncode == 1
    assert "'styles/workbook.xlsx' is larger than the limit of 32 MiB (if it was published " \
        "with a raised limit, set ALMANAC_MAX_EMBEDDED_FILE_MIB as it was then)" in checked.stdout
