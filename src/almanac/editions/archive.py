"""The archive of published editions, and the rules a new edition must keep.

Editions lie in ``<archive.folder>/<year>/<version>/`` (``report.yaml``, default
``editions/``; :mod:`almanac.project.archive`), and for a report in several
languages in a folder per language below that; editions published before the
archive had a place of its own lie in ``output/<year>/<version>/`` and count as
well. Before a new version is published, :func:`check_archive_rules` compares it
with the editions of the same year already there: its version is higher than
each of theirs (PEP 440 ordering, :class:`packaging.version.Version`), its date
is not before theirs, and it has a changelog entry of its own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from ..errors import Problem, ReportError
from ..project.archive import archive_bases
from ..project.languages import TAG, lookup
from ..project.load import plain_entries
from ..project.model import Report
from ..project.parts import MANIFEST
from ..project.yamlfile import read_yaml
from .publish import EDITION_MANIFEST, next_version
from .sources import EmbedLimits, read_bounded, read_edition_manifest


@dataclass(frozen=True)
class Archived:
    """An edition found in the archive: its ``folder``, the ``year`` and ``version``
    its folders name, its ``date`` (from its ``manifest.json``; None when that
    cannot be read), whether it lies outside the archive folder, in a place of
    before such as ``output/`` (``legacy``), and what the ``report.yaml`` embedded in
    its PDF says: the ``report_year`` (None when it cannot be read) and the
    ``languages`` of the report (``languages:``, else its one ``language:``; empty
    when it cannot be read)."""

    folder: Path
    year: str
    version: str
    date: dt.date | None
    legacy: bool
    report_year: str | None = None
    languages: tuple[str, ...] = ()

    @property
    def counted_year(self) -> str:
        """The year the archive's rules count it under: the one its embedded
        ``report.yaml`` gives (a folder moved to another year's keeps its own), else
        its folder's."""
        return self.report_year or self.year


def edition_folders(base: Path) -> list[tuple[Path, str, str]]:
    """(folder, year, version) of every edition under ``base``: ``<base>/<year>/<version>``
    for every year folder (its name all digits) and every entry in it that is not
    hidden (a staged temporary), sorted; for a version folder without
    ``manifest.json`` whose entries are named as languages (``en``, ``en-GB``), each
    of those instead (the editions of a report in several languages), and after them
    its other entries that are not hidden (a copy such as ``nl.bak``, which
    :func:`~.verify.list_editions` names as no edition). A year that is
    a link or a file is returned as (year, year, year). Links are returned, not
    followed."""
    if base.is_symlink() or not base.is_dir():
        return []
    found = []
    for year in sorted(base.iterdir()):
        if not (year.name.isascii() and year.name.isdigit()):
            continue
        if year.is_symlink() or not year.is_dir():
            found.append((year, year.name, year.name))
            continue
        for entry in sorted(entry for entry in year.iterdir() if not entry.name.startswith(".")):
            members = member_folders(entry)
            if members:  # a family's version: a folder per member (a folder per language)
                found += [(folder, year.name, entry.name) for member in members
                          for folder in language_folders(member) or [member]]
                continue
            languages = language_folders(entry)
            strays = [other for other in sorted(entry.iterdir()) if other not in languages
                      and not other.name.startswith(".")] if languages else []
            found += [(folder, year.name, entry.name) for folder in languages + strays] \
                or [(entry, year.name, entry.name)]
    return found


def member_folders(folder: Path) -> list[Path]:
    """The editions of a family's members in a version's folder (``publish --family``):
    its folders whose ``manifest.json`` (or whose language folders' first) records that
    folder's name as the ``member``, sorted; none when the folder is an edition itself,
    a link or not a folder, or holds no member's edition."""
    if folder.is_symlink() or not folder.is_dir() \
            or os.path.lexists(folder / EDITION_MANIFEST):
        return []
    return sorted(entry for entry in folder.iterdir() if not entry.name.startswith(".")
                  and member_of(entry) == entry.name)


def member_of(folder: Path) -> str | None:
    """The member key the edition in ``folder`` records (``member`` of its
    ``manifest.json``, or of its first language folder's), None when none or unreadable."""
    if folder.is_symlink() or not folder.is_dir():
        return None
    languages = [] if os.path.lexists(folder / EDITION_MANIFEST) else language_folders(folder)
    try:
        record = read_edition_manifest((languages[0] if languages else folder)
                                       / EDITION_MANIFEST, EmbedLimits.from_environment())
    except (OSError, ValueError):
        return None
    member = record.get("member") if isinstance(record, dict) else None
    return member if isinstance(member, str) else None


def language_folders(folder: Path) -> list[Path]:
    """The editions in a version's folder of a report in several languages: its
    entries named as languages, sorted; none when it is an edition itself (it holds
    a ``manifest.json``), a link or not a folder."""
    if folder.is_symlink() or not folder.is_dir() \
            or os.path.lexists(folder / EDITION_MANIFEST):
        return []
    return sorted(entry for entry in folder.iterdir() if TAG.match(entry.name))


def archived_editions(root: Path, folder: str | None = None) -> list[Archived]:
    """Every edition of the project at ``root``: those in its archive folder
    (``folder``, relative to ``root``; None: as ``report.yaml`` sets it), then those
    in the places of before (:func:`~almanac.project.archive.archive_bases`: the
    default ``editions/`` when another folder is set, and ``output/``), ``legacy``.
    Each ``manifest.json`` is read (bounded, its shape checked) for the date, and the
    ``report.yaml`` embedded in its PDF (:func:`embedded_report`) for the year and the
    languages; what cannot be read gives none."""
    limits = EmbedLimits.from_environment()
    found = []
    bases = archive_bases(root, folder)
    for base in bases:
        for path, year, version in edition_folders(base):
            date = None
            try:
                date = dt.date.fromisoformat(
                    read_edition_manifest(path / EDITION_MANIFEST, limits)["edition"]["date"])
            except (OSError, ValueError, KeyError, TypeError):
                pass
            data = embedded_report(path, limits) if date is not None else None
            written = data.get("year") if data is not None else None
            languages = data.get("languages") or [data.get("language")] \
                if data is not None else []
            found.append(Archived(
                path, year, version, date, base != bases[0],
                str(written) if isinstance(written, int) else None,
                tuple(tag for tag in languages if isinstance(tag, str))
                if isinstance(languages, list) else ()))
    return found


def embedded_report(folder: Path, limits: EmbedLimits) -> dict[str, Any] | None:
    """The ``report.yaml`` embedded in the PDF of the edition in ``folder`` (named by
    its ``manifest.json``), parsed; None when any of it cannot be read (a missing or
    damaged file, no such attachment, no mapping). Reads within ``limits``."""
    from ..project.yamlfile import parse_yaml
    from .verify import embedded_files, open_pdf

    try:
        record = read_edition_manifest(folder / EDITION_MANIFEST, limits)
        pdf = read_bounded(folder / record["pdf"]["file"], limits.file, follow_links=False)
        raw = embedded_files(open_pdf(pdf), limits).get(MANIFEST)
        data = parse_yaml(raw.decode("utf-8"), Path(MANIFEST)) if raw is not None else None
    except (OSError, ValueError, KeyError, TypeError, ReportError):
        return None
    return data if isinstance(data, dict) else None


def parse_version(text: str) -> Version | None:
    """``text`` as a PEP 440 version (:class:`packaging.version.Version`), None when
    it is not one (a folder named otherwise)."""
    try:
        return Version(text)
    except InvalidVersion:
        return None


def check_archive_rules(report: Report, archived: list[Archived]) -> None:
    """Refuse (:class:`ReportError` naming ``report.yaml`` and the line to change, with
    the fix) a new edition of ``report`` that breaks the archive's rules, compared
    with the ``archived`` editions of the same year (``report.manifest.year``) and
    another version (the same version is publish's own affair: nothing to do, or
    refused, :func:`~almanac.editions.publish.existing_edition`):

    * its version is higher than each of theirs (PEP 440 ordering,
      :class:`packaging.version.Version`: 1.10 follows 1.9; 1.0.0 equals 1.0);
    * its date (``edition.date``) is not before any of theirs;
    * when there is one, it has a changelog entry for its own version;
    * that entry is not the text of an archived edition's own entry (a plain-string
      ``changes:`` left as it was when the version was raised would otherwise
      become the new version's entry);
    * each archived edition's own entry (:func:`own_entry`, from its embedded
      ``report.yaml``) is still in the changelog, its text corrected or not: history
      is never dropped. Each refusal gives the entry to paste as YAML.
    """
    edition = report.manifest.edition
    path = report.root / MANIFEST
    try:
        _, lines = read_yaml(path, report.root)
        line = lines.line
    except (ReportError, OSError):
        def line(loc: tuple) -> int | None:
            return None
    current = Version(edition.version)
    others = [a for a in archived if a.counted_year == str(report.manifest.year)
              and a.version not in (edition.version, a.year)  # a year that is no folder
              and parse_version(a.version) is not None]
    problems = []
    higher = sorted((a for a in others if Version(a.version) >= current), key=_rank)
    if higher:
        top = higher[-1]
        equal = Version(top.version) == current
        problems.append(Problem(
            f"version {edition.version} is {'the same as' if equal else 'not above'} the "
            f"archived edition {top.version} ({_shown(top, report.root)}): each new "
            "edition needs a higher version", path, line(("edition", "version")),
            f"raise edition.version above {top.version}, e.g. "
            f"{next_version(top.version)} (versions compare as numbers: 1.10 follows 1.9)",
            "edition.version"))
    earlier = sorted((a for a in others if Version(a.version) < current), key=_rank)
    if earlier and not any(Version(c.version) == current for c in edition.changes):
        last = earlier[-1]
        problems.append(Problem(
            f"edition {edition.version} has no changelog entry, and the archive holds the "
            f"earlier edition {last.version} ({_shown(last, report.root)}): every version "
            "after the first says what changed", path,
            line(("edition", "changes")) if edition.changes else line(("edition",)),
            f'add its entry under edition:, e.g. changes: "What changed, for readers." '
            f"(a plain string is the entry of version {edition.version}), or an entry with "
            "version:, date: and text: above the others", "edition.changes"))
    problems += _kept_history(report, earlier, line)
    dated = [a for a in others if a.date is not None]
    latest = max(dated, key=lambda a: (a.date or dt.date.min, *_rank(a)), default=None)
    if latest is not None and latest.date is not None and latest.date > edition.date:
        problems.append(Problem(
            f"edition {edition.version} is dated {edition.date.isoformat()}, before the "
            f"archived edition {latest.version} ({latest.date.isoformat()}, "
            f"{_shown(latest, report.root)}): edition dates do not go backwards", path,
            line(("edition", "date")),
            f"set edition.date to the day of publication, on or after "
            f"{latest.date.isoformat()}", "edition.date"))
    if problems:
        raise ReportError(problems)


def _rank(archived: Archived) -> tuple[Version, bool]:
    """The order in which a refusal names an archived edition, the last first: by
    version, and of one version an edition in its own folder (the version's, or a
    language's) after a copy beside it such as ``nl.bak``."""
    return Version(archived.version), archived.folder.name in (archived.version,
                                                               *archived.languages)


def own_entry(archived: Archived) -> dict[str, Any] | None:
    """The changelog entry an ``archived`` edition gave its own version, as its
    embedded ``report.yaml`` has it (:func:`~.verify.changelog_entries`: ``version``,
    ``date`` as YYYY-MM-DD, ``text`` as written: a string, or a mapping of language
    tag to string); None when it had none (a first edition) or its PDF or
    ``manifest.json`` cannot be read (``editions`` and ``verify`` say why). Reads
    within :class:`EmbedLimits`."""
    from .verify import changelog_entries, embedded_files, open_pdf

    limits = EmbedLimits.from_environment()
    try:
        record = read_edition_manifest(archived.folder / EDITION_MANIFEST, limits)
        pdf = read_bounded(archived.folder / record["pdf"]["file"], limits.file,
                           follow_links=False)
        raw = embedded_files(open_pdf(pdf), limits).get(MANIFEST)
    except (OSError, ValueError, KeyError, TypeError):  # Unreadable is a ValueError
        return None
    own = parse_version(archived.version)
    return next((entry for entry in changelog_entries(
        raw, archived.version, str(record["edition"]["date"]))
        if parse_version(entry["version"]) == own), None)


def repeated_in(new: str | dict[str, str], old: str | dict[str, str],
                languages: list[str]) -> str | None:
    """The language in which two changelog texts (each plain, or a mapping of
    language tag to text) say the same, white space aside, or None. Compared in each
    of ``languages`` (the report's) and each tag either gives, each side's text found
    by RFC 4647 §3.4 "Lookup" (:func:`~almanac.project.languages.lookup`: ``en``
    serves ``en-GB``); a plain text is the text of every language."""
    def text(value: str | dict[str, str], tag: str) -> str | None:
        if not isinstance(value, dict):
            return " ".join(str(value).split())
        key = next((key for key in lookup(tag) if key in value), None)
        return None if key is None else " ".join(str(value[key]).split())

    tags = [*languages, *(sorted(new) if isinstance(new, dict) else []),
            *(sorted(old) if isinstance(old, dict) else [])]
    return next((tag for tag in dict.fromkeys(tags)
                 if (said := text(new, tag)) is not None and said == text(old, tag)), None)


def _raw_entry(report: Report, version: Version) -> str | dict[str, str] | None:
    """The text of ``version``'s entry as ``report.yaml`` writes it (by language or
    plain, :func:`~almanac.project.load.plain_entries`); None when it cannot be read."""
    try:
        data, _ = read_yaml(report.root / MANIFEST, report.root)
        changes = plain_entries(data)["edition"]["changes"]
    except (ReportError, OSError, KeyError, TypeError):
        return None
    for item in changes if isinstance(changes, list) else []:
        if isinstance(item, dict) and parse_version(str(item.get("version"))) == version:
            text = item.get("text")
            if isinstance(text, dict):
                return {str(key): str(value) for key, value in text.items()}
            return None if text is None else str(text)
    return None


def _kept_history(report: Report, earlier: list[Archived],
                  line: Callable[[tuple], int | None]) -> list[Problem]:
    """The refusals of :func:`check_archive_rules` for the changelog's history: the
    new version's entry repeating an ``earlier`` edition's own, and an ``earlier``
    edition's own entry left out. For a report in several languages, the editions
    of its main language (``report``'s) are compared."""
    edition = report.manifest.edition
    path = report.root / MANIFEST
    current = Version(edition.version)
    index, own = next(((i, c) for i, c in enumerate(edition.changes)
                       if Version(c.version) == current), (None, None))
    kept = {Version(c.version) for c in edition.changes}
    written = (_raw_entry(report, current) or own.text) if own is not None else None
    languages = report.languages
    problems = []
    versions: dict[Version, list[Archived]] = {}
    for archived in earlier:  # the main language's edition first, then the others
        versions.setdefault(Version(archived.version), []).append(archived)
    for version in sorted(versions, reverse=True):
        found = sorted(versions[version], key=lambda a: a.folder.name not in (
            a.version, report.manifest.language))
        archived, entry = next(((a, e) for a in found if (e := own_entry(a)) is not None),
                               (found[0], None))
        if entry is None:
            continue
        paste = (f'- {{version: "{archived.version}", date: {entry["date"]}, '
                 f"text: {json.dumps(entry['text'], ensure_ascii=False)}}}")
        same = repeated_in(written, entry["text"], languages) if written is not None \
            else None
        if same is not None:
            said = f" (in {same})" if isinstance(written, dict) \
                or isinstance(entry["text"], dict) else ""
            problems.append(Problem(
                f"the changelog entry of {edition.version} is the text of "
                f"{archived.version}'s{said} ({_shown(archived, report.root)}): a changelog "
                "entry says what its own version corrects", path,
                line(("edition", "changes", index)) or line(("edition", "changes")),
                f"write what {edition.version} corrects, and keep {archived.version}'s "
                f"entry as a list item below it: {paste}", f"edition.changes[{index}]"))
        elif Version(archived.version) not in kept:
            problems.append(Problem(
                f"the changelog has no entry for {archived.version}, which the archived "
                f"edition {_shown(archived, report.root)} gave one: the history of "
                "corrections is kept in every later edition", path,
                line(("edition", "changes")) or line(("edition",)),
                f"put its entry back under changes: (newest first; its text may be "
                f"corrected): {paste}", "edition.changes"))
    return problems


def missing_editions(report: Report, archived: list[Archived]) -> list[Problem]:
    """A note (not a refusal) when the changelog names earlier versions of the year
    that no archived edition has: the archive may have lost them (a fresh clone of a
    repository that never held them, ``git clean``, a copy of the sources alone). At
    ``edition.changes`` of ``report.yaml``, with how to restore them."""
    edition = report.manifest.edition
    held = {Version(a.version) for a in archived
            if a.counted_year == str(report.manifest.year)
            and a.version != a.year and parse_version(a.version) is not None}
    current = Version(edition.version)
    missing = [c.version for c in edition.changes
               if Version(c.version) < current and Version(c.version) not in held]
    if not missing:
        return []
    path = report.root / MANIFEST
    try:
        line = read_yaml(path, report.root)[1].line(("edition", "changes"))
    except (ReportError, OSError):
        line = None
    folder = f"{report.manifest.archive.folder}/{report.manifest.year}/"
    return [Problem(
        f"the changelog names the earlier version{'s' if len(missing) > 1 else ''} "
        f"{', '.join(missing)}, which the archive ({folder}) does not hold", path, line,
        f"restore those editions into {folder} from where they were kept (git, a backup), "
        "so that they stay with the report; if they were never published with Almanac, "
        "nothing needs doing", "edition.changes")]


def _shown(archived: Archived, root: Path) -> str:
    try:
        return archived.folder.relative_to(root).as_posix()
    except ValueError:
        return str(archived.folder)
