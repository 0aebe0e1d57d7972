"""Reporters keep terminal output out of the build logic.

The pipeline calls ``step``/``warning``; the CLI chooses a reporter: step
lines with a spinner on a terminal, nothing when quiet or piped, a buffer in
tests.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


class Reporter:
    """Base reporter: ignores everything (the null reporter)."""

    def step(self, name: str, detail: str = "") -> None:
        """A stage starts: ``name`` (load, charts, …) and what it does."""

    def warning(self, message: str) -> None:
        """Something about the report a person should see (a layout finding, …)."""

    def done(self, message: str) -> None:
        """The build is done: what it made."""


NullReporter = Reporter


class BufferReporter(Reporter):
    """Collects everything, for tests."""

    def __init__(self):
        self.steps: list[str] = []
        self.warnings: list[str] = []
        self.messages: list[str] = []

    def step(self, name, detail=""):
        self.steps.append(name)

    def warning(self, message):
        self.warnings.append(message)

    def done(self, message):
        self.messages.append(message)


class ConsoleReporter(Reporter):
    """Step lines on stderr (rich), each with the time since the start, for people
    at a terminal."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet or not sys.stderr.isatty()
        self._console: Console | None = None
        self._start = time.perf_counter()

    @property
    def console(self) -> Console:
        if self._console is None:  # rich is imported only when something is shown
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False)
        return self._console

    def step(self, name, detail=""):
        if self.quiet:
            return
        elapsed = time.perf_counter() - self._start
        from rich.markup import escape

        text = f"[dim]{elapsed:5.2f} s[/]  [bold blue]{escape(name):<8}[/]"
        if detail:
            text += f" [dim]{escape(detail)}[/]"
        self.console.print(text)

    def warning(self, message):
        # Warnings are shown even when quiet: they are about the report. Their text
        # (and the report's own words in it) is shown as written, not as rich markup.
        from rich.markup import escape

        self.console.print(f"[yellow]warning:[/] {escape(message)}", soft_wrap=True)

    def done(self, message):
        if not self.quiet:
            from rich.markup import escape

            elapsed = time.perf_counter() - self._start
            self.console.print(f"[dim]{elapsed:5.2f} s[/]  [bold green]done[/]     "
                               f"{escape(message)}")
