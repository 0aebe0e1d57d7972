"""The commands that read editions (verify, diff) as a terminal user meets them:
Ctrl-C in the middle of a rebuild, and a reader that stops reading (``| head``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

INTERRUPTED_WHILE_REBUILDING = """
import os, signal, sys
import weasyprint

render = weasyprint.HTML.render


def interrupted(self, *args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, as the edition is laid out again
    return render(self, *args, **kwargs)


weasyprint.HTML.render = interrupted
from almanac.cli import run

sys.argv = ["almanac", "verify", sys.argv[1]]
run()
"""


@pytest.fixture
def edition(starter_edition) -> Path:
    """A starter report's edition, published once (read only)."""
    return starter_edition


def test_ctrl_c_while_verify_rebuilds_ends_quietly(edition, tmp_path):
    temporary = tmp_path / "tmp"  # the command's own temporary folder (TMPDIR)
    temporary.mkdir()
    result = subprocess.run([sys.executable, "-c", INTERRUPTED_WHILE_REBUILDING, str(edition)],
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "TMPDIR": str(temporary)})
    assert result.returncode == 130, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "almanac: interrupted"
    assert "Traceback" not in result.stderr
    assert list(temporary.iterdir()) == []  # the sources restored for the rebuild are gone


@pytest.mark.parametrize("command", [["verify", "--quick", "{pdf}"],
                                     ["diff", "{pdf}", "{pdf}"]])
def test_a_reader_that_stops_reading_gets_no_traceback(edition, command):
    """As with ``almanac verify … | head -0``: the pipe is closed before the command
    writes its first line."""
    read, write = os.pipe()
    os.close(read)  # nobody reads: the first write fails with EPIPE
    try:
        result = subprocess.run(
            [sys.executable, "-c", "from almanac.cli import run; run()",
             *[part.format(pdf=edition) for part in command]],
            stdout=write, stderr=subprocess.PIPE, text=True, timeout=300)
    finally:
        os.close(write)
    assert "Traceback" not in result.stderr, result.stderr
    assert "BrokenPipeError" not in result.stderr
    assert result.returncode == 0, result.stderr  # the work stands; the rest unread


def test_a_font_only_an_annotation_shows_must_be_embedded_too(edition, tmp_path, cli):
    """A shown annotation's appearance (as a visible signature has) set in a font the
    file does not carry: verify's own font check names it, as check-pdf does."""
    import pikepdf

    pdf = tmp_path / edition.name
    with pikepdf.open(edition) as document:
        helvetica = document.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica))
        appearance = document.make_stream(b"BT /Helv 9 Tf 2 4 Td (Signed) Tj ET")
        appearance.Type, appearance.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
        appearance.BBox = pikepdf.Array([0, 0, 80, 16])
        appearance.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(Helv=helvetica))
        note = document.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.FreeText, Rect=[40, 40, 120, 56],
            F=4, Contents=pikepdf.String("Signed"), DA=pikepdf.String("/Helv 9 Tf"),
            AP=pikepdf.Dictionary(N=appearance)))
        page = document.pages[-1]
        page.obj.Annots = document.make_indirect(pikepdf.Array([note]))
        document.save(pdf)
    checked = cli("verify", "--quick", str(pdf))
    assert checked.returncode == 1
    assert "FAIL fonts embedded: /Helvetica" in checked.stdout, checked.stdout


@pytest.mark.parametrize("command, place", [("verify", "chapters/01-introduction"),
                                            ("diff", "chapters/01-introduction"),
                                            ("diff", "the archive")])
def test_page_images_never_go_among_the_sources_or_into_the_archive(edition, command, place,
                                                                     cli):
    """An image in a chapter's folder would be embedded in the next edition as a
    source; one in the archive would change an edition's folder (verify's refusal
    of the archive: test_verify_rebuild.py)."""
    project = edition.parents[3]
    before = sorted(path for path in project.rglob("*"))
    folder = edition.parents[1] if place == "the archive" else project / place
    pages = folder / "differences"
    ran = cli(command, str(edition), *([str(edition)] if command == "diff" else []),
              "--pages", str(pages))
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert f"{pages} lies " in ran.stderr and "fix: name a folder outside" in ran.stderr
    assert sorted(path for path in project.rglob("*")) == before  # nothing written


def test_an_edition_in_one_language_compares_with_that_language_of_a_later_pair(
        edition, tmp_path, cli):
    """1.0 in English alone, then a version in English and German: its English PDF
    is the same language as 1.0, whose manifest names none (one language)."""
    import re
    import shutil

    project = shutil.copytree(edition.parents[3], tmp_path / "report")
    for chapter in (project / "chapters").glob("*/chapter.md"):
        shutil.copyfile(chapter, chapter.with_name("chapter.de.md"))
    manifest = project / "report.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^language: \"en\"$", "languages: [en, de]", text)
    text = re.sub(r'(?m)^  version: "0.1"$', '  version: "0.2"\n  changes: Now also in German.',
                  text)
    manifest.write_text(text, encoding="utf-8")
    ran = cli("publish", "-q", str(project))
    assert ran.returncode == 0, ran.stderr
    (english,) = project.glob("editions/*/0.2/en/*.pdf")
    (german,) = project.glob("editions/*/0.2/de/*.pdf")
    compared = cli("diff", str(edition), str(english))
    assert compared.returncode == 0, compared.stderr
    assert compared.stdout.startswith("edition 0.1 (")
    refused = cli("diff", str(edition), str(german))
    assert refused.returncode == 1
    assert "the editions are in different languages (en" in refused.stderr
