"""Every module Almanac imports directly is a declared dependency: a pip install of
the package brings everything its code imports, not only what happens to come
along with another package."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "almanac"


def _name(requirement: str) -> str:
    """The distribution a requirement names, normalised (PEP 503: runs of ``-_.``
    are one ``-``, case ignored)."""
    name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert name, requirement
    return _normal(name.group(1))


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported() -> dict[str, set[str]]:
    """Each top-level module that the package's source imports absolutely (also inside
    functions), with the files that import it."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(
                    path.relative_to(ROOT).as_posix())
    return found


def test_every_imported_distribution_is_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_name(requirement) for requirement in project["dependencies"]}
    distributions = importlib.metadata.packages_distributions()
    missing = []
    for module, files in sorted(_imported().items()):
        if module in sys.stdlib_module_names or module == "almanac":
            continue
        owners = {_normal(name) for name in distributions.get(module, [])}
        if not owners:
            missing.append(f"{module} (imported by {', '.join(sorted(files))}) is installed "
                           "by no distribution")
        elif not owners & declared:
            missing.append(f"{module} (imported by {', '.join(sorted(files))}) comes from "
                           f"{' or '.join(sorted(owners))}, not in [project] dependencies")
    assert not missing, "\n".join(missing)
