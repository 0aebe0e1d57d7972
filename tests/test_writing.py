"""Writing fails as the world makes it fail: a full disk, a read-only file system, a
folder in the way, a rename across mount points, a damaged published edition, two
publishes at once. Each ends in a message with the file, the cause and a fix (exit
1), no traceback, the earlier output byte for byte as it was, and no temporary left.

Where a test can make the real condition, it does: a small ``tmpfs`` (a full disk),
a read-only bind mount, a bind mount (``EXDEV``), in a mount namespace of its own
(``unshare``, which needs no root); the ``OSError`` is raised in-process only for a
permission (the tests may run as root, whom ``chmod`` does not stop) and for a
rename failing between two renames.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest
from pypdf import PdfReader

from almanac.project.parts import CACHE
from almanac.stages import output as writer
from almanac.stages.charts import CACHE_DIR
from almanac.stages.output import STAGING_DIR

from conftest import almanac, edit, snapshot

PDF = "jaarverslag-2021.pdf"


def _namespaces() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0


namespaces = pytest.mark.skipif(not _namespaces(), reason="no mount namespaces (unshare -rm)")


def in_namespace(script: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the shell ``script`` in a mount namespace of its own (its mounts vanish with
    it); ``$ALMANAC`` in it runs the command line."""
    almanac = " ".join(shlex.quote(part) for part in (sys.executable, "-m", "almanac"))
    return subprocess.run(["unshare", "-rm", "sh", "-euc", f"ALMANAC={shlex.quote(almanac)}\n"
                           + script], capture_output=True, text=True, timeout=timeout)


def failed_with(result, *phrases: str) -> None:
    """Exit 1, a message with each phrase and a fix, no traceback."""
    assert result.returncode == 1, (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "\n    fix: " in result.stderr, result.stderr
    for phrase in phrases:
        assert phrase in result.stderr, (phrase, result.stderr)


def listing(stdout: str) -> dict[str, str]:
    """``sha256sum`` lines → name → digest (what a namespace saw before it vanished)."""
    return {name.rsplit("/", 1)[-1]: digest for digest, name in
            re.findall(r"^([0-9a-f]{64})  (.+)$", stdout, re.MULTILINE)}


# --------------------------------------------------------------------------- a full disk

@namespaces
def test_a_full_disk_under_output_leaves_the_earlier_pdf(small_warm, pdf_path):
    project = small_warm
    output = project / "output"
    output.mkdir()
    earlier = pdf_path.read_bytes()
    size = len(earlier) + 16384  # room for the earlier PDF, not for a new one
    result = in_namespace(f"""
        mount -t tmpfs -o size={size} tmpfs {output}
        cp {pdf_path} {output}/{PDF}
        status=0; $ALMANAC build {project} 2>&1 >/dev/null || status=$?
        echo "exit $status"; ls -A {output} | sed 's/^/held /'; sha256sum {output}/*
    """)
    said = result.stdout
    assert "exit 1" in said, said
    assert f"output/{PDF}: cannot write this file: the disk is full" in said, said
    assert "fix: free some space on that disk, or write elsewhere (-o FILE)" in said
    assert "Traceback" not in said and "nothing was written" in said
    # the earlier PDF byte for byte, and no temporary beside it
    assert [line for line in said.splitlines() if line.startswith("held ")] == [f"held {PDF}"]
    assert listing(said) == {PDF: snapshot(pdf_path.parent)[PDF]}


@namespaces
def test_a_full_disk_for_the_chart_cache_names_the_chart_file(small, tmp_path):
    project = small  # its cache cold: every chart is drawn and stored
    store = project / CACHE_DIR
    store.mkdir(parents=True)
    result = in_namespace(f"""
        mount -t tmpfs -o size=4096 tmpfs {store}
        head -c 4096 /dev/zero > {store}/vol 2>/dev/null || true
        status=0; $ALMANAC build {project} 2>&1 >/dev/null || status=$?
        echo "exit $status"; ls -A {store} | sed 's/^/held /'
    """)
    said = result.stdout
    assert "exit 1" in said and "Traceback" not in said, said
    assert ".almanac-cache/charts/" in said and "cannot write this file: the disk is full" in said
    assert "fix: free some space on that disk" in said
    assert [line for line in said.splitlines() if line.startswith("held ")] == ["held vol"]
    assert not (project / "output").exists()
    assert list((project / STAGING_DIR).iterdir()) == []


# --------------------------------------------------------------------------- read-only, bind mounts

@namespaces
def test_a_read_only_output_folder_leaves_the_earlier_pdf(small_warm, pdf_path):
    project = small_warm
    output = project / "output"
    output.mkdir()
    (output / PDF).write_bytes(pdf_path.read_bytes())
    before = snapshot(output)
    result = in_namespace(f"""
        mount --bind {output} {output}
        mount -o remount,ro,bind {output}
        $ALMANAC build {project}
    """)
    failed_with(result, f"output/{PDF}: cannot write this file: the file system is read-only",
                "fix: write elsewhere (-o FILE), or make the file system writable",
                "nothing was written")
    assert snapshot(output) == before
    assert list((project / STAGING_DIR).iterdir()) == []


@namespaces
def test_an_output_folder_on_another_mount_is_written_by_staging_beside_it(small_warm, tmp_path):
    """``output/`` and ``editions/`` bind-mounted from elsewhere: the rename from the
    staging folder would cross mount points (EXDEV), so the writer stages beside the
    target instead."""
    project = small_warm
    elsewhere = tmp_path / "elders"
    for name in ("output", "editions"):
        (elsewhere / name).mkdir(parents=True)
        (project / name).mkdir()
    result = in_namespace(f"""
        mount --bind {elsewhere / 'output'} {project / 'output'}
        mount --bind {elsewhere / 'editions'} {project / 'editions'}
        $ALMANAC build {project}
        $ALMANAC publish {project}
    """)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == [str(project / "output" / PDF),
                                     str(project / "editions/2021/1.0/jaarverslag-2021-1.0.pdf")]
    assert sorted(p.relative_to(elsewhere).as_posix() for p in elsewhere.rglob("*")) == [
        "editions", "editions/2021", "editions/2021/1.0",
        "editions/2021/1.0/jaarverslag-2021-1.0.pdf", "editions/2021/1.0/manifest.json",
        "output", f"output/{PDF}"]
    assert len(PdfReader(elsewhere / "output" / PDF).pages) > 5
    assert list((project / STAGING_DIR).iterdir()) == []
    verified = almanac("verify", str(elsewhere / "editions/2021/1.0/jaarverslag-2021-1.0.pdf"))
    assert verified.returncode == 0, verified.stdout


def test_a_rename_across_mount_points_is_staged_again_beside_the_target(tmp_path, monkeypatch):
    """The in-process form of the test above, for the file and the folder writer."""
    project = tmp_path / "project"
    (project / "output").mkdir(parents=True)
    crossed: list[str] = []

    def replace(source, target, rename=os.rename):
        if Path(source).parent == project / STAGING_DIR:
            crossed.append(Path(target).name)
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), str(source), None, str(target))
        return rename(source, target)

    monkeypatch.setattr(writer, "os", _os_with(replace=replace, rename=replace))
    writer.write_file(project / "output" / "a.pdf", b"%PDF new", project)
    writer.write_folder(project / "output" / "2021" / "1.0", {"a.pdf": b"%PDF"}, project)
    assert crossed == ["a.pdf", "1.0"]
    assert (project / "output" / "a.pdf").read_bytes() == b"%PDF new"
    assert sorted(p.name for p in (project / "output").iterdir()) == ["2021", "a.pdf"]
    assert [p.name for p in (project / "output" / "2021").iterdir()] == ["1.0"]
    assert list((project / STAGING_DIR).iterdir()) == []


def _os_with(**functions) -> types.ModuleType:
    """The writer's ``os`` with some functions replaced."""
    module = types.ModuleType("os")
    module.__dict__.update({name: getattr(os, name) for name in dir(os)})
    module.__dict__.update(functions)
    return module


# --------------------------------------------------------------------------- in the way

def test_an_output_that_is_a_file_or_a_cache_that_leads_out_is_refused(project, tmp_path, cli):
    outside = tmp_path / "elders"
    outside.mkdir()
    cases = [
        ("output", "file", "lies below", "which is a file, not a folder"),
        (".almanac-cache", "file", ".almanac-cache: .almanac-cache is a file, not a folder",
         "fix: move it away or delete it"),
        ("output", "link", "leads through a link to", "outside the project"),
        (".almanac-cache", "link", f".almanac-cache is a link to {outside}, outside the project",
         "fix: remove the link (rm .almanac-cache)"),
        # the chart store: a link out would let a build read charts drawn elsewhere
        (".almanac-cache/charts", "file", ".almanac-cache/charts is a file, not a folder"),
        (".almanac-cache/charts", "link", f".almanac-cache/charts is a link to {outside}"),
        (".almanac-cache/tmp", "link", f".almanac-cache/tmp is a link to {outside}"),
    ]
    for name, kind, *phrases in cases:
        path = project / name
        path.parent.mkdir(exist_ok=True)
        if kind == "file":
            path.write_text("geen map\n", encoding="utf-8")
        else:
            path.symlink_to(outside, target_is_directory=True)
        before = snapshot(project), snapshot(outside)
        result = cli("build", str(project))
        failed_with(result, *phrases)
        assert (snapshot(project), snapshot(outside)) == before
        path.unlink()
        if path.parent != project:
            path.parent.rmdir()
    assert list(outside.iterdir()) == []


def test_a_name_near_the_longest_allowed_is_written(small_warm, tmp_path, cli):
    """A temporary's name adds a process id and a random part to its target's: for a
    name of 250 bytes it would pass the 255 allowed, so it keeps only a part of it."""
    target = tmp_path / "uit" / ("v" * 246 + ".pdf")
    result = cli("build", str(small_warm), "-q", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert [p.name for p in target.parent.iterdir()] == [target.name]
    assert len(PdfReader(target).pages) > 5


def test_no_permission_to_write_is_a_message(small_warm, pdf_path, monkeypatch, cli):
    project = small_warm
    output = project / "output"
    output.mkdir()
    (output / PDF).write_bytes(pdf_path.read_bytes())
    before = snapshot(output)

    def replace(source, target):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(target))

    monkeypatch.setattr(writer, "os", _os_with(replace=replace))
    result = cli("build", str(project), "-q")
    failed_with(result, f"output/{PDF}: cannot write this file: permission denied",
                "fix: make the folder writable for you (chmod u+w), or write elsewhere",
                "almanac: 1 problem; nothing was written")
    assert snapshot(output) == before
    assert list((project / STAGING_DIR).iterdir()) == []


def test_the_html_and_the_pdf_are_written_both_or_the_message_says_which(
        small_warm, tmp_path, monkeypatch, cli):
    project = small_warm
    pdf, page = tmp_path / "uit" / "v.pdf", tmp_path / "uit" / "v.html"
    pdf.parent.mkdir()
    pdf.write_bytes(b"%PDF earlier")
    page.write_text("<p>earlier</p>", encoding="utf-8")
    before = snapshot(pdf.parent)

    # The disk fills up while the PDF is staged: the HTML, staged already, is not put
    # in place either.
    def fdopen(handle, *args, **kwargs):
        if os.readlink(f"/proc/self/fd/{handle}").endswith(".part") and \
                ".v.pdf." in os.readlink(f"/proc/self/fd/{handle}"):
            os.close(handle)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return os.fdopen(handle, *args, **kwargs)

    monkeypatch.setattr(writer, "os", _os_with(fdopen=fdopen))
    result = cli("build", str(project), "-q", "-o", str(pdf), "--html", str(page))
    failed_with(result, f"{pdf}: cannot write this file: the disk is full",
                "almanac: 1 problem; nothing was written")
    assert snapshot(pdf.parent) == before

    # The PDF's rename fails after the HTML's: the message says the HTML was written.
    def replace(source, target):
        if Path(target) == pdf:
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(target))
        return os.replace(source, target)

    monkeypatch.setattr(writer, "os", _os_with(replace=replace))
    result = cli("build", str(project), "-q", "-o", str(pdf), "--html", str(page))
    failed_with(result, f"{pdf}: cannot write this file: the device reported an input/output",
                f"almanac: 1 problem; written before it failed: {page}; nothing else")
    assert pdf.read_bytes() == b"%PDF earlier"
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in pdf.parent.iterdir()) == ["v.html", "v.pdf"]
    assert not (project / STAGING_DIR).exists()  # staged beside the targets


# --------------------------------------------------------------------------- published editions

EDITION = Path("editions/2021/1.0")
EDITION_PDF = EDITION / "jaarverslag-2021-1.0.pdf"


@pytest.fixture
def edition(published, tmp_path) -> Path:
    """A private copy of the published sample (sources and editions/, no cache)."""
    project, _ = published
    return Path(shutil.copytree(project, tmp_path / "project",
                                ignore=shutil.ignore_patterns(".almanac-cache")))


def _manifest(text: str):
    def damage(project: Path) -> None:
        (project / EDITION / "manifest.json").write_text(text, encoding="utf-8")
    return damage


def _rewrite(change):
    def damage(project: Path) -> None:
        path = project / EDITION / "manifest.json"
        manifest = json.loads(path.read_text(encoding="utf-8"))
        change(manifest)
        path.write_text(json.dumps(manifest), encoding="utf-8")
    return damage


def _truncate(project: Path) -> None:
    path = project / EDITION_PDF
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _same_size(project: Path) -> None:  # one byte changed: only the SHA-256 tells
    path = project / EDITION_PDF
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))


DAMAGES = {
    "pdf deleted": (lambda p: (p / EDITION_PDF).unlink(), EDITION_PDF,
                    "its PDF jaarverslag-2021-1.0.pdf is missing"),
    "pdf truncated": (_truncate, EDITION_PDF, "is not the one published"),
    "pdf changed": (_same_size, EDITION_PDF, "is not the one published"),
    "manifest deleted": (lambda p: (p / EDITION / "manifest.json").unlink(),
                         EDITION / "manifest.json", "manifest.json is missing"),
    "manifest not json": (_manifest("{"), EDITION / "manifest.json", "cannot be read"),
    "manifest a list": (_manifest("[]"), EDITION / "manifest.json",
                        "not an Almanac manifest"),
    "manifest without pdf": (_rewrite(lambda m: m.pop("pdf")), EDITION / "manifest.json",
                             "not an Almanac manifest"),
    "size as a string": (_rewrite(lambda m: m["pdf"].update(size=str(m["pdf"]["size"]))),
                         EDITION / "manifest.json", "not an Almanac manifest"),
    "inputs of the wrong shape": (_rewrite(lambda m: m.update(inputs=[["report.yaml"]])),
                                  EDITION / "manifest.json", "not an Almanac manifest"),
    "pdf named outside": (_rewrite(lambda m: m["pdf"].update(file="../../../report.yaml")),
                          EDITION / "manifest.json", "not a file name in the edition's folder"),
    "edition a file": (lambda p: (shutil.rmtree(p / EDITION), (p / EDITION).write_text("x")),
                       EDITION, "it is not a folder"),
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_edition_is_named_and_never_rewritten(edition, cli, damage):
    make, where, phrase = DAMAGES[damage]
    make(edition)
    before = snapshot(edition / "editions", mtimes=True)
    result = cli("publish", str(edition), "-q")
    failed_with(result, f"{where}: the published edition 1.0 is damaged: ", phrase,
                "fix: restore the edition folder from a copy", "publish a new version")
    assert "nothing changed" not in result.stderr and result.stdout == ""
    assert snapshot(edition / "editions", mtimes=True) == before
    assert not (edition / STAGING_DIR).exists() or not list((edition / STAGING_DIR).iterdir())


def test_an_edition_below_a_file_is_refused(edition, cli):
    shutil.rmtree(edition / "editions" / "2021")
    (edition / "editions" / "2021").write_text("geen map\n", encoding="utf-8")
    result = cli("publish", str(edition), "-q")
    failed_with(result, "lies below", "2021, which is a file, not a folder")
    assert (edition / "editions" / "2021").read_text(encoding="utf-8") == "geen map\n"


def test_an_intact_edition_with_the_same_inputs_is_left_as_it_is(edition, cli):
    before = snapshot(edition / "editions", mtimes=True)
    result = cli("publish", str(edition), "-q")
    assert result.returncode == 0, result.stderr
    assert "already published with these inputs; nothing changed" in result.stderr
    assert snapshot(edition / "editions", mtimes=True) == before


@pytest.mark.slow
def test_two_publishes_of_one_version_at_once(small_warm):
    """The second waits for the first, then finds the edition it made: one edition,
    made once, intact; no traceback."""
    project = small_warm
    edit(project, "report.yaml", 'version: "1.0"', 'version: "1.2"')
    runs = [subprocess.Popen([sys.executable, "-m", "almanac", "publish", str(project)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    results = [(run.wait(timeout=300), *run.communicate()) for run in runs]
    for code, _out, err in results:
        assert code == 0 and "Traceback" not in err, err
    made = project / "editions/2021/1.2/jaarverslag-2021-1.2.pdf"
    assert [out.strip() for _, out, _ in results] == [str(made)] * 2
    assert sum("nothing changed" in err for _, _, err in results) == 1
    assert sorted(p.name for p in made.parent.iterdir()) == [made.name, "manifest.json"]
    assert almanac("verify", str(made)).returncode == 0
    assert list((project / STAGING_DIR).iterdir()) == []
    assert sorted(p.name for p in (project / CACHE).iterdir()) == ["charts", "fonts",
                                                                   "publish.lock", "tmp"]
