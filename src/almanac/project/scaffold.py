"""A new report project, ready to build: what ``almanac new`` writes.

The starter project is package data (``almanac/scaffold/``): plain files a person
can read, in one folder per language of their texts (``en``, ``nl``), with a few
fields in braces filled in here: ``{title}``, ``{organisation}``, ``{year}``,
``{year-1}`` … ``{year+1}``, ``{language}``, ``{subject}``, ``{keywords}``,
``{date}``. A report in another language gets the English texts with its own
``language:`` (numbers, dates and charts then follow that language).

It holds ``report.yaml``, three chapters written in Markdown (``chapter.md``, see
:mod:`almanac.project.markdown`: prose with numbers, KPI tiles, a quote, facts, a
footnote, a photo placeholder, a line and a column chart of CSV series marked
illustrative, a table), a README saying what each file is and what to run,
and a ``.gitignore`` for ``output/`` and ``.almanac-cache/`` (not for ``editions/``, the
archive, which git keeps). It has no ``styles/``,
``layout/`` or ``figures/``: the built-in theme (:mod:`almanac.project.theme`)
supplies them until the project overrides a file.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import Problem, ReportError
from .checks import MAX_EDITION_YEARS
from .model import Manifest
from .parts import MANIFEST

SCAFFOLD = Path(__file__).resolve().parent.parent / "scaffold"
"""The starter project: package data installed with Almanac."""
TEXT_LANGUAGES = ("en", "nl")
"""The languages the starter project's texts are written in; others get ``en``."""
FIELD = re.compile(r"\{(title|organisation|year|year[-+][1-9]|language|subject|keywords|"
                   r"date)\}")
"""A field of a starter file: a name in braces, nothing else (``{{ key }}`` in prose
and ``{value: 1, …}`` in YAML are left alone)."""
RENAMED = {"gitignore": ".gitignore"}
"""Starter files stored under another name (package data leaves out hidden files)."""

DEFAULTS: dict[str, dict[str, Any]] = {
    "en": {"title": "Annual report {year}", "organisation": "Name of the organisation",
           "subject": "Annual report {year} of {organisation}",
           "keywords": ["annual report", "{year}"]},
    "nl": {"title": "Jaarverslag {year}", "organisation": "Naam van de organisatie",
           "subject": "Jaarverslag {year} van {organisation}",
           "keywords": ["jaarverslag", "{year}"]},
}
OPTIONS = {"title": "--title", "organisation": "--organisation", "year": "--year",
           "language": "--language", "subject": "--title or --organisation"}
"""The option of ``almanac new`` behind each field of ``report.yaml``, for messages."""


def new_project(target: Path | str, *, title: str | None = None,
                organisation: str | None = None, year: int | None = None,
                language: str = "en", today: dt.date | None = None) -> list[Path]:
    """Write a new report project into the folder ``target``; return the files
    written, as paths under ``target``, sorted.

    ``target`` must not exist or be an empty folder: nothing is ever overwritten.
    ``year`` (the year the report is about) defaults to the year before ``today``;
    ``title``, ``organisation`` and the subject default to the texts of
    :data:`DEFAULTS` in the project's language. ``language`` is a BCP 47 tag as
    ``report.yaml`` takes it (``en``, ``nl-BE``; CLDR must know it). The edition is
    version 0.1, dated ``today`` when that lies within the years an edition may be
    dated (:func:`~almanac.project.checks.check_edition_dates`), else 1 May of the
    year after ``year``.

    The files are written into a folder beside ``target`` and renamed into place
    in one step, so ``target`` appears complete or not at all. Raises
    :class:`ReportError` for a ``target`` that holds anything, a value
    ``report.yaml`` would refuse (naming the option) and a folder that cannot be
    written (naming it); nothing is written then.
    """
    target = Path(target)
    today = today or dt.date.today()
    year = today.year - 1 if year is None else year
    _check_target(target)
    texts = language.split("-")[0] if language.split("-")[0] in TEXT_LANGUAGES else "en"
    defaults = DEFAULTS[texts]
    organisation = organisation if organisation is not None else defaults["organisation"]
    title = title if title is not None else defaults["title"].format(year=year)
    date = today if year <= today.year <= year + MAX_EDITION_YEARS \
        else dt.date(year + 1, 5, 1)
    values: dict[str, object] = {
        "title": title, "organisation": organisation, "year": year, "language": language,
        "subject": defaults["subject"].format(year=year, organisation=organisation),
        "keywords": [word.format(year=year) for word in defaults["keywords"]],
        "date": date}
    files = _fill(SCAFFOLD / texts, values) | _fill(SCAFFOLD, values, top_only=True)
    _check_manifest(files[MANIFEST])
    return _write(target, files)


def _check_target(target: Path) -> None:
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise ReportError(Problem(
            "is not a folder; almanac new writes a new report into a new or empty folder",
            target, hint="name a folder that does not exist yet"))
    if target.is_dir() and any(target.iterdir()):
        raise ReportError(Problem(
            "is not empty; almanac new never writes over files", target,
            hint="name a new folder, e.g. almanac new my-report"))


def _fill(folder: Path, values: dict[str, object], top_only: bool = False) -> dict[str, bytes]:
    """The starter files under ``folder`` (relative POSIX path → bytes) with their
    fields filled in: in a YAML file as YAML values (a text quoted, so a colon or a
    quote in a title stays text), elsewhere as plain text."""
    files = {}
    paths = folder.iterdir() if top_only else folder.rglob("*")
    for path in sorted(paths):
        if not path.is_file() or path.name.startswith(".") or "__pycache__" in path.parts:
            continue
        relative = path.relative_to(folder).as_posix()
        relative = RENAMED.get(relative, relative)
        yaml_file = path.suffix == ".yaml"

        def value(match: re.Match, yaml_file: bool = yaml_file) -> str:
            name = match.group(1)
            if name.startswith("year") and name != "year":
                return str(int(str(values["year"])) + int(name[4:]))
            found = values[name]
            if yaml_file and not isinstance(found, (int, dt.date)):
                # JSON strings and lists are YAML flow scalars and sequences (YAML 1.2)
                return json.dumps(found, ensure_ascii=False)
            return ", ".join(found) if isinstance(found, list) else str(found)

        files[relative] = FIELD.sub(value, path.read_text(encoding="utf-8")).encode("utf-8")
    return files


def _check_manifest(text: bytes) -> None:
    """Refuse values ``report.yaml`` would refuse, before anything is written, in
    the manifest's own words and naming the option that gave them."""
    try:
        Manifest.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            reason = error["msg"].removeprefix("Value error, ")
            problems.append(Problem(f"{field}: {reason}", None, None,
                                    f"give another value to {OPTIONS.get(field, field)}"))
        raise ReportError(problems) from None


def _write(target: Path, files: dict[str, bytes]) -> list[Path]:
    """Write ``files`` into a new folder beside ``target`` and rename it to
    ``target`` (rename(2) replaces an empty folder and refuses a non-empty one)."""
    parent = target.absolute().parent
    staging = None
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = parent / f".{target.name}.new-{secrets.token_hex(6)}"
        staging.mkdir()  # with the permissions the umask gives a new folder
        for relative, data in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        os.replace(staging, target)
    except OSError as exc:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
            _check_target(target)  # something came into the folder meanwhile
        raise ReportError(Problem(f"cannot be written: {exc.strerror or exc}", target,
                                  hint="name a folder you may write in")) from None
    return sorted(target / relative for relative in files)

