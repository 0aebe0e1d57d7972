"""``almanac publish --family``: each member archived as its own edition."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..editions.publish import Published
from ..errors import Problem, ReportError
from ..pipeline import publish
from ..project.family import FAMILY, load_family
from ..project.parts import MANIFEST
from ..reporter import Reporter
from .files import family_sources


@dataclass
class FamilyEditions:
    """What :func:`publish_family` did: each member's edition (by key), and the
    problems of each member that could not be published (formatted)."""

    published: dict[str, Published] = field(default_factory=dict)
    failed: dict[str, list[str]] = field(default_factory=dict)


def publish_family(root: Path | str, *, keys: list[str] | None = None,
                   reporter: Reporter | None = None, **arguments: Any) -> FamilyEditions:
    """Publish each member of the family in ``root`` (``keys``: those) as its own
    edition through :func:`~almanac.pipeline.publish` (``arguments``: its options,
    signer, …): ``<archive>/<year>/<version>/<member key>/``, each embedding the
    shared files and the member's own (never another member's). A member whose
    edition is refused or cannot be made does not stop the others: its problems
    are in :attr:`FamilyEditions.failed`. ReportError when the project is no family
    or a key is no member."""
    root = Path(root).resolve()
    family = load_family(root)
    if family is None:
        raise ReportError(Problem(
            f"the report is not a family: there is no {FAMILY} beside {MANIFEST}",
            root / MANIFEST, None, "declare the members in family.yaml, or publish the "
            "report with `almanac publish`"))
    members = [family.member(key) for key in dict.fromkeys(keys)] if keys \
        else list(family.members)  # a key named twice is published once
    shared, own = family_sources(root, [family.path, family.table_path],
                                 {member.key: family.member_files(member)
                                  for member in family.members})
    everyone = {name for names in own.values() for name in names}
    common = set(shared) - everyone
    done = FamilyEditions()
    for member in members:
        names = sorted(common | set(own[member.key]))
        try:
            done.published[member.key] = publish(root, member=member.key, sources=names,
                                                 reporter=reporter, **arguments)
        except ReportError as exc:
            done.failed[member.key] = [problem.format(root) for problem in exc.problems]
    return done
