"""A family run's progress on a terminal (rich): done, failed, remaining, rate, time left."""

from __future__ import annotations

import time
from typing import Any

from ..reporter import ENGLISH, Words
from .runner import MemberResult, Progress


class ConsoleProgress(Progress):
    """A rich progress bar on standard error: members done and failed of the total,
    members per minute and the time left at that rate; the Dask dashboard's address
    when one is served. Nothing when ``quiet`` (or standard error is no terminal:
    then one line per member that failed, as it comes)."""

    def __init__(self, quiet: bool = False, words: Words | None = None):
        import sys

        self.quiet = quiet
        self.live = not quiet and sys.stderr.isatty()
        self.words = words or ENGLISH
        self.done = self.failed = self.total = 0
        self.progress: Any = None
        self.bar: Any = None
        self.began = time.monotonic()

    def start(self, total: int, cached: int, dashboard: str | None) -> None:
        from rich.console import Console

        self.total, self.began = total, time.monotonic()
        console = Console(stderr=True, highlight=False)
        if not self.quiet:
            if cached:
                console.print(self.words.ngettext(
                    "%(count)s member unchanged since the last run (from cache)",
                    "%(count)s members unchanged since the last run (from cache)",
                    cached), soft_wrap=True)
            if dashboard:
                console.print(self.words.gettext("Dask dashboard: %(url)s", url=dashboard),
                              soft_wrap=True)
        if not self.live or not total:
            return
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.fields[counts]}"), TimeRemainingColumn(),
                                 console=console, transient=True)
        self.bar = self.progress.add_task(self.words.gettext("members"), total=total,
                                          counts=self._counts())
        self.progress.start()

    def _counts(self) -> str:
        minutes = (time.monotonic() - self.began) / 60
        rate = (self.done + self.failed) / minutes if minutes > 0 else 0.0
        return self.words.gettext(
            "%(done)s done, %(failed)s failed, %(left)s left · %(rate).1f/min",
            done=self.done, failed=self.failed,
            left=self.total - self.done - self.failed, rate=rate)

    def advance(self, result: MemberResult) -> None:
        if result.status == "failed":
            self.failed += 1
        else:
            self.done += 1
        if self.progress is not None:
            self.progress.update(self.bar, advance=1, counts=self._counts())

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
