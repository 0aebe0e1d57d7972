"""The designer's loop: a preview session of one report.

A :class:`Preview` builds the report (or one chapter) on demand and keeps its
pages as PNG images; :mod:`.server` serves them and rebuilds on every save. Each
build runs in a fresh process of the build server (:mod:`.buildserver`), so the
preview's memory stays flat and a crashing or hanging build is an error shown in
the page with the last good pages kept. The pages are drawn in a thread of their
own while the next build may already run; only changed pages are drawn again.
"""

from __future__ import annotations

import functools
import gc
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import Problem, ReportError
from ..pipeline import PER_CHAPTER, BuildOptions, load, make_pdf
from ..project.model import Report
from ..project.parts import SOURCES
from ..stages.pageimages import PagesNotDrawn
from . import buildserver
from .buildserver import BuildCrashed, BuildServer
from .raster import RASTER_TIMEOUT, analyse, rasterise, runs

WATCHED = SOURCES
DPI = 72
BUILD_TIMEOUT = 600  # seconds for one build, charts included


@dataclass
class State:
    """What the browser sees: one consistent snapshot per build."""

    version: int = 0
    building: bool = False
    pages: list[str] = field(default_factory=list)  # content hash per page
    chapters: list[dict] = field(default_factory=list)  # title, page
    error: list[dict] | None = None  # problems of the last build, if it failed
    warnings: list[str] = field(default_factory=list)  # layout findings, WeasyPrint warnings
    seconds: float = 0.0
    title: str = ""

    def to_json(self) -> dict:
        """The state as the browser reads it (``/state.json``)."""
        return {"version": self.version, "building": self.building, "title": self.title,
                "pages": [{"number": n, "url": f"/page/{n}.png?v={h[:16]}"}
                          for n, h in enumerate(self.pages, 1)],
                "chapters": self.chapters, "error": self.error, "warnings": self.warnings,
                "seconds": round(self.seconds, 2)}


class Preview:
    """Builds the report (or one chapter) and keeps its pages as PNG images."""

    def __init__(self, root: Path | str, chapter: str | None = None, dpi: int = DPI,
                 options: BuildOptions | None = None):
        self.root = Path(root).resolve()
        self.chapter = chapter
        # the limits; a report typeset in parts is cut at every chapter, so that a
        # change to one chapter typesets that part again (stages/parallel.py)
        self.options = replace(options or BuildOptions(), check=False, parts=PER_CHAPTER)
        self.dpi = dpi
        self.state = State()
        self.images: dict[str, bytes] = {}  # page hash → PNG
        self.pdf = b""
        self.changed = threading.Condition()
        self._build_lock = threading.Lock()
        self._workdir = Path(tempfile.mkdtemp(prefix="almanac-preview-"))
        self.rasterised = 0  # pages drawn for the last build (the others were unchanged)
        # The pages are drawn by a thread of their own, so that a save made while
        # they are drawn starts its build at once instead of waiting for them.
        self._job: tuple[int, bytes, list[str]] | None = None  # the newest pages to draw
        self._drawn = 0  # the newest build whose pages are all drawn
        self._one_lane = threading.Semaphore(1)
        self._closed = False
        self._drawer: threading.Thread | None = None
        # Every build runs in a fresh fork of a warm build server (see buildserver.py),
        # started now so that it warms up while the preview starts.
        try:
            self._server = BuildServer(warm=self._warming()) if buildserver.available() else None
        except BaseException:  # e.g. Ctrl-C or SIGTERM while it starts: no folder left
            shutil.rmtree(self._workdir, ignore_errors=True)
            raise

    def _warming(self) -> Callable[[], None]:
        """The warm-up the build server runs, for this report's language (a partial of
        a module function: it is pickled to the server)."""
        return functools.partial(_warm, self.options.language or _main_language(self.root))

    # ------------------------------------------------------------------ building

    def rebuild(self, wait: bool = True) -> State:
        """Build now; a report error becomes the state's error, never an exception.

        The new state is published as soon as the PDF is made; its changed pages
        are drawn in the background. ``wait`` returns only when they are drawn.
        """
        with self._build_lock:
            self._publish(building=True)
            start = time.perf_counter()
            try:
                if self._server is not None:
                    made = self._server.call(_build, self.root, self.chapter, self.options,
                                             timeout=BUILD_TIMEOUT)
                else:
                    made = _build(self.root, self.chapter, self.options)
            except BuildCrashed as exc:
                assert self._server is not None  # only the build server raises it
                if self._server.stopped and not self._closed:  # it died: a new one next time
                    self._server = BuildServer(warm=self._warming())
                made = {"error": [_problem(Problem(
                    str(exc), hint=f"a build may take up to {BUILD_TIMEOUT} s; if it died, "
                    "the details are in the terminal"), self.root)]}
            if "error" in made:
                return self._publish(building=False, error=made["error"],
                                     seconds=time.perf_counter() - start)
            with self.changed:
                self.pdf = made["pdf"]
                # Tell the browsers at once; a page image they ask for before it is
                # drawn is served as soon as it is (see page()).
                state = self._publish(building=False, error=None, pages=made["pages"],
                                      chapters=made["chapters"], title=made["title"],
                                      warnings=made["warnings"],
                                      seconds=time.perf_counter() - start)
                generation = state.version
                self._job = (generation, made["pdf"], made["pages"])
                self._start_drawer()
                self.changed.notify_all()
            del made
        if wait:
            with self.changed:
                while self._drawn < generation and not self._closed:
                    self.changed.wait(timeout=1)
        return state

    def _publish(self, **changes) -> State:
        with self.changed:
            for key, value in changes.items():
                setattr(self.state, key, value)
            self.state.version += 1
            self.changed.notify_all()
            return self.state

    # ------------------------------------------------------------------ drawing

    def _start_drawer(self) -> None:
        if self._drawer is None:
            self._drawer = threading.Thread(target=self._draw_forever, daemon=True,
                                            name="almanac-preview-pages")
            self._drawer.start()

    def _draw_forever(self) -> None:
        """Draw the pages of the newest build; a newer build cuts an older one short."""
        while True:
            with self.changed:
                while self._job is None and not self._closed:
                    self.changed.wait()
                if self._closed:
                    return
                assert self._job is not None  # the wait above ends on a job or on close
                generation, pdf, hashes = self._job
                self._job = None
            try:
                complete = self._rasterise(generation, pdf, hashes)
            except (OSError, PagesNotDrawn) as exc:
                complete = True
                self._publish(error=[_problem(Problem(
                    f"could not draw the pages: {exc}",
                    hint="PDFium (the pypdfium2 package) draws the pages; see why above"),
                    self.root)])
            del pdf
            with self.changed:
                if complete:
                    self._drawn = max(self._drawn, generation)
                    self.changed.notify_all()
                idle = self._job is None
            if idle and not self._build_lock.locked():
                # While idle, not during a build: the garbage of builds made here
                # (where there is no build server) is large; a collection is cheap.
                gc.collect()

    def _rasterise(self, generation: int, pdf: bytes, hashes: list[str]) -> bool:
        """PNG images of the pages; pages whose content did not change are kept.
        Returns False when a newer build arrived first (its job draws the rest)."""
        missing = [n for n, h in enumerate(hashes, 1) if h not in self.images]
        self.rasterised = len(missing)
        source = self._workdir / f"build-{generation}.pdf"
        source.write_bytes(pdf)
        try:
            with ThreadPoolExecutor(max_workers=2) as pool:  # one drawing process per core
                for drawn in pool.map(lambda run: self._draw(source, *run), runs(missing)):
                    if drawn is None:
                        continue
                    first, last, files = drawn
                    with self.changed:
                        for number, png in zip(range(first, last + 1), files):
                            self.images[hashes[number - 1]] = png
                        self.changed.notify_all()
        finally:
            source.unlink(missing_ok=True)
        with self.changed:
            if self._job is not None:
                return False
            keep = set(self.state.pages)
            self.images = {h: png for h, png in self.images.items() if h in keep}
            return True

    def _draw(self, source: Path, first: int, last: int) -> tuple[int, int, list[bytes]] | None:
        if self._job is not None or self._closed:
            return None  # superseded: a newer build has its own pages to draw
        if self._build_lock.locked():  # a build runs on one core: leave it that core
            with self._one_lane:
                return self._draw_run(source, first, last)
        return self._draw_run(source, first, last)

    def _draw_run(self, source: Path, first: int, last: int) -> tuple[int, int, list[bytes]]:
        return first, last, rasterise(source, first, last, self.dpi, self._workdir)

    def page(self, number: int, timeout: float = 60) -> bytes | None:
        """The current image of a page, waiting for it if it is still being drawn."""
        with self.changed:
            deadline = time.monotonic() + timeout
            while 1 <= number <= len(self.state.pages):
                image = self.images.get(self.state.pages[number - 1])
                if image is not None or time.monotonic() > deadline:
                    return image
                self.changed.wait(timeout=1)
        return None

    # ------------------------------------------------------------------ watching

    def watch(self, stop: threading.Event) -> None:
        """Rebuild whenever a source changes, until ``stop`` is set. The project
        folder is watched whole, so that a folder made while the preview runs (a
        designer's first ``styles/`` or ``layout/`` override of the built-in theme)
        is seen too; only changes to the sources (:data:`WATCHED`) count."""
        from watchfiles import watch

        root = self.root

        def sources_only(change: Any, path: str) -> bool:
            try:
                parts = Path(path).relative_to(root).parts
            except ValueError:
                return False
            return bool(parts) and parts[0] in WATCHED and _source_filter(change, path)

        for _ in watch(root, stop_event=stop, debounce=20, step=10,
                       watch_filter=sources_only, yield_on_timeout=False,
                       raise_interrupt=False):
            self.rebuild(wait=False)

    def close(self) -> None:
        """Stop the build server and the drawing thread; remove the page images."""
        with self.changed:  # first: a build that the closing server stops starts no new one
            self._closed = True
            self.changed.notify_all()
        if self._server is not None:
            self._server.close()
        if self._drawer is not None:
            self._drawer.join(timeout=RASTER_TIMEOUT)
        shutil.rmtree(self._workdir, ignore_errors=True)


def _build(root: Path, chapter: str | None,
           options: BuildOptions | None = None) -> dict:
    """One build of the preview (in the build server's child): the PDF, a hash per
    page, the chapters; or the problems, ready for the browser. A report in several
    languages is built in ``options.language`` (default: its main language)."""
    try:
        report = load(root, options.language if options is not None else None,
                      options.member if options is not None else None)
        template = "report.html"
        if chapter is not None:
            report = _only_chapter(report, chapter)
            template = "chapter-preview.html"
        made = make_pdf(report, options or BuildOptions(check=False), template=template)
        hashes, chapters = analyse(made.pdf)
    except Exception as exc:  # the preview outlives any build, even a bug
        if not isinstance(exc, ReportError):
            import traceback

            traceback.print_exc()
            exc = ReportError(Problem(f"internal error: {type(exc).__name__}: {exc}",
                                      hint="this is a bug in Almanac; the details "
                                      "are in the terminal"))
        return {"error": [_problem(p, root) for p in exc.problems]}
    return {"pdf": made.pdf, "pages": hashes, "chapters": chapters,
            "title": report.manifest.title, "warnings": made.warnings}


def _problem(problem: Problem, root: Path) -> dict:
    path = problem.path
    shown = str(path.relative_to(root)) if path and path.is_relative_to(root) else \
        (str(path) if path else "")
    return {"file": shown + (problem.cell or ""), "line": problem.line, "where": problem.where,
            "message": problem.message, "hint": problem.hint}


# A page that takes WeasyPrint through what a report needs: hyphenation in the report's
# language, an SVG image with text, a table, a positioned box, a link, a bookmark.
_WARM_PAGE = """<html lang="{language}"><style>
  @page {{ size: A4; @top-right {{ content: counter(page) }} }}
  p {{ width: 18mm; hyphens: auto; }} .box {{ position: absolute; right: 0; width: 20mm; }}
</style><h1>Almanac</h1><p>Internationalisation and
<a href="#t">organisation</a></p><div class="box">Box</div>
<img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='40'
 height='20'%3E%3Cpath d='M0 0L9 9' stroke='red'/%3E%3Crect width='5' height='5'
 fill='%2315396B' opacity='.5'/%3E%3Ctext x='1' y='15'%3E6.3%3C/text%3E%3C/svg%3E">
<table id="t"><thead><tr><th>Head</th></tr></thead><tbody><tr><td>19</td></tr></tbody>
</table></html>"""


def _main_language(root: Path) -> str:
    """The main language of the project at ``root`` as report.yaml gives it (``language:``
    or the first of ``languages:``), read without checking; English when it cannot say."""
    import yaml

    try:
        data = yaml.safe_load((root / "report.yaml").read_text(encoding="utf-8"))
        languages = data.get("languages") or [data.get("language") or "en"]
        return str(languages[0]) if isinstance(languages, list) and languages else "en"
    except (OSError, ValueError, AttributeError, yaml.YAMLError):
        return "en"


def _warm(language: str = "en") -> None:
    """In the build server: load and exercise what every build needs (WeasyPrint's
    layout, drawing and hyphenation, pypdf, Babel's data for the report's
    ``language``), so no build pays for it: a build forked from a cold server takes
    0.3 s longer."""
    import weasyprint

    from ..stages import preflight, typeset  # noqa: F401 — imported by each build otherwise
    from ..text.formatting import Formatter

    try:
        Formatter(language).decimal(1234.5)
    except ValueError:  # not a language CLDR knows: the build says so
        language = "en"
    analyse(weasyprint.HTML(string=_WARM_PAGE.format(language=language)).write_pdf())


def _source_filter(change: Any, path: str) -> bool:
    parts = Path(path).parts
    return not any(part.startswith(".") or part == "__pycache__" for part in parts)


def _only_chapter(report: Report, slug: str) -> Report:
    chosen = [c for c in report.chapters if c.slug == slug]
    if not chosen:
        known = ", ".join(c.slug for c in report.chapters)
        raise ReportError(Problem(f"no chapter '{slug}'", report.root / "report.yaml",
                                  hint=f"use one of: {known}"))
    return report.model_copy(update={"chapters": chosen})
