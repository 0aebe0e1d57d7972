"""Reporters keep terminal output out of the build logic.

The pipeline calls ``step``/``warning``; the CLI chooses a reporter: step
lines with a spinner on a terminal, nothing when quiet or piped, a buffer in
tests.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.console import Console


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (gettext's ``N_``)."""
    return message


STEPS = {"load": N_("load"), "charts": N_("charts"), "render": N_("render"),
         "typeset": N_("typeset"), "preflight": N_("preflight"), "finish": N_("finish"),
         "sign": N_("sign"), "verify": N_("verify"), "extract": N_("extract"),
         "compare": N_("compare")}
"""The stages the pipeline reports (``step``'s ``name``), as messages: a reporter shows
each in the words of its :class:`Words`; the name itself stays what the code calls it."""


class Words(Protocol):
    """What a reporter speaks with: the API of :class:`almanac.text.messages.Catalogue`
    (this layer sits below it and only receives one)."""

    def gettext(self, message: str, **values: object) -> str:
        """``message`` translated, ``%(name)s`` placeholders filled from ``values``."""
        ...

    def ngettext(self, singular: str, plural: str, count: int, **values: object) -> str:
        """The form for ``count`` (placeholders ``%(count)s`` and ``values``)."""
        ...


class English:
    """The messages as they are written (their ``msgid``): gettext's behaviour when
    no catalogue is installed (``gettext.NullTranslations``: English plural rule,
    ``n == 1`` singular)."""

    def gettext(self, message: str, **values: object) -> str:
        """``message``, placeholders filled from ``values`` (none: as it is)."""
        return message % values if values else message

    def ngettext(self, singular: str, plural: str, count: int, **values: object) -> str:
        """``singular`` when ``count`` is 1, else ``plural``, placeholders filled."""
        return (singular if count == 1 else plural) % {"count": count, **values}


ENGLISH = English()


class Reporter:
    """Base reporter: ignores everything (the null reporter).

    ``words`` is the language its messages are in: what the pipeline says through it
    (a step's detail, what a build made) is put in those words by the pipeline
    (``reporter.words.gettext(...)``); English unless the command line gives another.
    """

    words: Words = ENGLISH

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

    def __init__(self, quiet: bool = False, words: Words | None = None):
        self.quiet = quiet or not sys.stderr.isatty()
        self.words = words or ENGLISH
        self._console: Console | None = None
        self._start = time.perf_counter()
        # step names in one column: as wide as the longest in this language
        self._width = max(len(self.words.gettext(step)) for step in STEPS.values())

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

        shown = self.words.gettext(STEPS[name]) if name in STEPS else name
        text = f"[dim]{elapsed:5.2f} s[/]  [bold blue]{escape(shown):<{self._width}}[/]"
        if detail:
            text += f" [dim]{escape(detail)}[/]"
        self.console.print(text)

    def warning(self, message):
        # Warnings are shown even when quiet: they are about the report. Their text
        # (and the report's own words in it) is shown as written, not as rich markup.
        from rich.markup import escape

        label = escape(self.words.gettext("warning"))
        self.console.print(f"[yellow]{label}:[/] {escape(message)}", soft_wrap=True)

    def done(self, message):
        if not self.quiet:
            from rich.markup import escape

            elapsed = time.perf_counter() - self._start
            label = escape(self.words.gettext("done"))
            self.console.print(f"[dim]{elapsed:5.2f} s[/]  [bold green]"
                               f"{label:<{self._width}}[/] {escape(message)}")
