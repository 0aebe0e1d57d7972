"""What a family run remembers: each member's input hash and the PDF it made.

A member's inputs are the files it is built from (their SHA-256), its row of the
member table, its language, the build options and the versions of the tools that
make the bytes; their hash (:func:`input_hash`) is kept with the SHA-256 of the PDF
written in ``.almanac-cache/family/state.json``. A member whose inputs hash the same
and whose PDF is still there with the same bytes is not built again ("from
cache"), so a run of thousands of members that stopped (or failed for some) is
resumed by running it again.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from .. import __version__
from ..project.parts import CACHE
from ..stages.output import write_file
from .files import digest

STATE = CACHE / "family" / "state.json"
"""The run's memory, relative to the project."""
TOOLS = ("weasyprint", "vl-convert-python", "altair", "pypdf", "pikepdf", "fonttools",
         "pydyf", "babel", "jinja2")
"""The packages whose versions change a PDF's bytes (besides Almanac's own)."""


def tool_versions() -> dict[str, str]:
    """Almanac's version and each of :data:`TOOLS`' installed versions."""
    found = {"almanac": __version__}
    for name in TOOLS:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = ""
    return found


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else \
        str(value) if isinstance(value, Path) else value


def input_hash(files: dict[str, str], fields: dict[str, Any], key: str,
               language: str | None, options: Any, tools: dict[str, str]) -> str:
    """The SHA-256 of one member's inputs: ``files`` (path → SHA-256), its row's
    ``fields``, its ``key`` and ``language``, the build ``options`` (a dataclass) and
    the ``tools`` (:func:`tool_versions`), as canonical JSON (sorted keys)."""
    options = {name: _plain(value) for name, value in asdict(options).items()
               if name not in ("html_output", "language", "member")}
    return digest(json.dumps(
        {"files": files, "fields": {name: _plain(value) for name, value in fields.items()},
         "key": key, "language": language, "options": options, "tools": tools},
        sort_keys=True).encode())


def read_state(root: Path) -> dict[str, dict[str, str]]:
    """The state of the last runs (member name → ``inputs``, ``pdf`` SHA-256,
    ``output`` path relative to the project); empty when there is none or it cannot
    be read (every member is then built)."""
    try:
        state = json.loads((root / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def write_state(root: Path, state: dict[str, dict[str, str]]) -> None:
    """Write ``state`` atomically (:func:`~almanac.stages.output.write_file`)."""
    write_file(root / STATE, json.dumps(state, sort_keys=True, indent=1).encode(), root,
               durable=False)


def unchanged(root: Path, entry: dict[str, str] | None, inputs: str) -> bool:
    """Whether a member with the input hash ``inputs`` is built already: ``entry``
    (its state) has the same hash and its PDF is there with the recorded bytes."""
    if not entry or entry.get("inputs") != inputs or not entry.get("output"):
        return False
    try:
        return digest((root / entry["output"]).read_bytes()) == entry.get("pdf")
    except OSError:
        return False
