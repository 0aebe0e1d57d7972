"""The one error hierarchy of Almanac.

Every problem caused by the report's own files (data, templates, styles) is a
:class:`ReportError`. It carries one or more :class:`Problem` records, each
with the file, the line where there is one, and a hint that says what to fix.
Only ``cli.py`` turns a ``ReportError`` into a message and an exit code; any
other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_UNPRINTABLE = re.compile(r"[^\n\t\x20-\x7e\xa0-\U0010ffff]|[\u200e\u200f\u202a-\u202e"
                          r"\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control character but newline and tab (Unicode category Cc:
    C0, DEL, C1) and every bidirectional embedding, override and isolate (Unicode
    Bidirectional Algorithm, UAX #9, 2.1-2.4) written as a Python escape (``\\x1b``,
    ``\\u202e``): a report's words reach the terminal in messages, and an ESC there
    would be obeyed (ECMA-48: clear the screen, set the window title, rewrite a line),
    letting a hostile file forge what Almanac says."""
    return _UNPRINTABLE.sub(lambda match: match.group(0).encode("unicode_escape")
                            .decode("ascii"), text)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the report's input."""

    message: str
    path: Path | None = None
    line: int | None = None
    hint: str | None = None
    where: str | None = None  # a location inside the file, e.g. ``kpis[2].value``
    cell: str | None = None  # a workbook's sheet and cell, e.g. ``[2021]!C7``

    def format(self, root: Path | None = None, fix: str = "fix") -> str:
        """``file:line: where: message`` (a workbook's cell: ``file[sheet]!C7:
        message``, as Excel writes a reference to another workbook's cell) and an
        indented ``fix:`` line (its label ``fix``, in the reader's language where the
        command line gives one); the file relative to ``root`` when it lies inside it."""
        location = ""
        if self.path is not None:
            path = self.path
            if root is not None:
                try:  # a link is named as it is in the project, not by its target
                    path = (self.path.parent.resolve() / self.path.name).relative_to(
                        root.resolve())
                except ValueError:
                    pass
            location = str(path) + (self.cell or "")
            if self.line is not None and self.cell is None:
                location += f":{self.line}"
            location += ": "
        text = location + (f"{self.where}: " if self.where else "") + self.message
        if self.hint:
            text += f"\n    {fix}: {self.hint}"
        return printable(text)


class ReportError(Exception):
    """The report's input is wrong; the message says where and how to fix it."""

    def __init__(self, problems: list[Problem] | Problem | str, *, path=None, line=None,
                 hint=None):
        if isinstance(problems, str):
            problems = [Problem(problems, Path(path) if path else None, line, hint)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self.format())

    def format(self, root: Path | None = None, fix: str = "fix") -> str:
        """Every problem, as :meth:`Problem.format` shows it, one after the other."""
        return "\n".join(problem.format(root, fix) for problem in self.problems)


class TemplateError(ReportError):
    """A Jinja2 template of the report is broken."""


class ChartError(ReportError):
    """A figure module is missing or failed to build its chart."""


class TypesetError(ReportError):
    """WeasyPrint reported a problem that a strict build refuses."""
