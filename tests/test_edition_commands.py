"""The commands that read editions (verify, diff) as a terminal user meets them:
Ctrl-C in the middle of a rebuild, and a reader that stops reading (``| head``)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from almanac.cli import main

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


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    """A starter report published once (read only)."""
    folder = tmp_path_factory.mktemp("edition")
    assert main(["new", str(folder / "report")]) == 0
    assert main(["publish", "-q", str(folder / "report")]) == 0
    (pdf,) = (folder / "report" / "editions").rglob("*.pdf")
    return pdf


def _rebuild_folders() -> set[str]:
    return {name for name in os.listdir(tempfile.gettempdir())
            if name.startswith("almanac-rebuild-")}


def test_ctrl_c_while_verify_rebuilds_ends_quietly(edition):
    before = _rebuild_folders()
    result = subprocess.run([sys.executable, "-c", INTERRUPTED_WHILE_REBUILDING, str(edition)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 130, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "almanac: interrupted"
    assert "Traceback" not in result.stderr
    assert _rebuild_folders() <= before  # the sources restored for the rebuild are gone


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
