"""Bounds on typesetting: time, resident memory, page count and page size, and an
interrupt that WeasyPrint cannot swallow.

WeasyPrint runs in the caller's thread, so a limit cannot kill it: a watchdog
thread polls the elapsed time, the process's resident memory (``/proc/self/statm``,
proc(5)) and the layout's progress (the page list ``context.page_maker`` that
``weasyprint.layout.layout_document`` builds, and the first page's content area,
``context.style_for.initial_page_sizes``), and at a limit raises :class:`Stopped`
in the typesetting thread (``PyThreadState_SetAsyncExc``, Python's C API). An
asynchronous exception is delivered between two bytecodes, never inside a C call,
and WeasyPrint catches ``BaseException`` in two places (``images.py``,
``SVGImage.draw``: an SVG that fails is logged and left out; ``css/__init__.py``:
an ICC profile): so the watchdog raises it again on every poll until the thread
has left WeasyPrint, and a tripped guard raises its :class:`ReportError` after
WeasyPrint returned, whatever WeasyPrint did with the exception.

Ctrl-C is the same problem: Python raises ``KeyboardInterrupt`` in the main
thread, and WeasyPrint's ``except BaseException`` may swallow it, finishing the
document without the image it was drawing. Interrupts are counted by a SIGINT
handler (:func:`record_interrupts`, installed by the command line, which owns its
process; and by a guard running in the main thread under Python's default
handler, for the time it runs); a guard that saw one raises ``KeyboardInterrupt``
when WeasyPrint returns, so nothing is written.
"""

from __future__ import annotations

import contextvars
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar
from urllib.parse import urlsplit
from urllib.request import url2pathname

from ..errors import Problem, ReportError

TYPESET_SECONDS = 600.0
"""Default time limit of one typesetting (layout and drawing), in seconds: a warm
build costs about 0.9 s + 0.064 s a page on a 2-core machine, 2 000 pages ≈ 130 s."""
MEMORY_MIB = 4096
"""Default limit of the process's resident memory while typesetting, in MiB: about
1.1 MiB a page, 2 000 pages ≈ 2.3 GiB."""
MAX_PAGES = 5000
"""Default most pages a document may have."""
MIN_PAGE_AREA_MM = 10.0
"""The smallest width and height of a page's content area (page size less margins), mm."""
POLL_SECONDS = 0.05
_PX_PER_MM = 96 / 25.4  # CSS px (CSS Values 4, 6.2: 1in = 96px = 25.4mm)

T = TypeVar("T")


_SUSPENDABLE = 0x20 | 0x80 | 0x100 | 0x200
"""Code flags of generators, coroutines and async generators (``inspect.CO_GENERATOR``,
``CO_COROUTINE``, ``CO_ITERABLE_COROUTINE``, ``CO_ASYNC_GENERATOR``)."""


def _frames(thread_id: int):
    """The frames of the thread ``thread_id``, innermost first, read from another
    thread: up to and including the first frame of a generator or coroutine, never
    past it. Such a frame may be suspended between two reads of it, and CPython 3.11
    then leaves its link to the caller pointing at memory that is reused (a crash,
    not an exception); every other frame's link stays valid after it returns (it is
    copied into the frame object, ``take_ownership`` in ``Objects/frameobject.c``)."""
    frame = sys._current_frames().get(thread_id)
    while frame is not None:
        yield frame
        if frame.f_code.co_flags & _SUSPENDABLE:
            return
        frame = frame.f_back


_watched: contextvars.ContextVar[Guard | None] = contextvars.ContextVar(
    "almanac_guard", default=None)
_probes_lock = threading.Lock()


def _install_probes() -> None:
    """Wrap two functions of WeasyPrint's layout, once per process, so that the
    guard running in the same context learns, in the typesetting thread itself, the
    layout context and each page made (``weasyprint.layout.make_all_pages``, looked
    up by ``layout_document`` at each call) and the column count of a multi-column
    box (read from ``columns_layout``'s own frame when it lays out a column with
    ``weasyprint.layout.block.block_box_layout``, which it imports at each call).
    Without a guard in the context both wrappers only pass the call on. Reading
    the stack of the typesetting thread from the watchdog thread instead is not
    safe (see :func:`_frames`)."""
    import weasyprint.layout as layout
    import weasyprint.layout.block as block

    with _probes_lock:
        if getattr(layout.make_all_pages, "almanac_probe", False):
            return
        make_pages = layout.make_all_pages
        lay_out_block = block.block_box_layout

        def make_all_pages(context: Any, root_box: Any, html: Any, pages: Any) -> Any:
            guard = _watched.get()
            for page in make_pages(context, root_box, html, pages):
                if guard is not None:
                    guard._context = context
                    guard._note_area(getattr(page, "width", None),
                                     getattr(page, "height", None))
                yield page

        def block_box_layout(*args: Any, **kwargs: Any) -> Any:
            guard = _watched.get()
            if guard is not None:
                guard._check_columns(sys._getframe(1))
            return lay_out_block(*args, **kwargs)

        make_all_pages.almanac_probe = True  # type: ignore[attr-defined]
        layout.make_all_pages = make_all_pages
        block.block_box_layout = block_box_layout


def too_many_pages(limit: int) -> tuple[str, str]:
    """The message and fix when a document has more than ``limit`` pages."""
    return (f"the document has more than {limit:,} pages (the page limit)",
            "check the page size and margins (@page) and what repeats; or raise the "
            "limit: --page-limit N (BuildOptions.max_pages)")


@dataclass(frozen=True)
class Limits:
    """The bounds of one typesetting: ``seconds`` of wall time, ``memory_mib`` of the
    process's resident memory (MiB), ``pages`` laid out. Each must be positive."""

    seconds: float = TYPESET_SECONDS
    memory_mib: int = MEMORY_MIB
    pages: int = MAX_PAGES

    def __post_init__(self) -> None:
        for name in ("seconds", "memory_mib", "pages"):
            if not getattr(self, name) > 0:
                raise ValueError(f"the {name} limit must be positive, not {getattr(self, name)!r}")


class Stopped(BaseException):
    """Raised in the typesetting thread by the watchdog: a limit was reached.

    A ``BaseException``, so that WeasyPrint's many ``except Exception`` let it pass."""


_interrupts = 0  # SIGINTs counted by _count_interrupt, ever, in this process


def _count_interrupt(signum: int, frame: FrameType | None) -> None:
    global _interrupts
    _interrupts += 1
    raise KeyboardInterrupt


def record_interrupts() -> None:
    """Count every SIGINT (Ctrl-C) of this process, then raise ``KeyboardInterrupt``
    as Python's default handler does. For a host that owns its process (the command
    line); must be called in the main thread (``signal.signal``'s rule). A SIGINT that
    is ignored, or handled by someone else, is left so."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _count_interrupt)


def resident_bytes(pid: int | str = "self") -> int:
    """The resident set size of process ``pid`` in bytes (the second field of
    ``/proc/PID/statm``, in pages; proc(5)); 0 where there is no ``/proc``."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as stream:
            return int(stream.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _size(value: float) -> str:
    return f"{value / 2**30:.1f} GiB" if value >= 2**30 else f"{value / 2**20:.0f} MiB"


class Guard:
    """Runs one typesetting under :class:`Limits` (see the module's docstring).

    ``root`` makes the files a message names relative. :meth:`run` returns what
    the function returns, or raises :class:`~almanac.errors.ReportError` naming
    the limit, what was being done when it was reached, and the option that
    raises it; ``KeyboardInterrupt`` when Ctrl-C came while it ran."""

    def __init__(self, limits: Limits | None = None, root: Path | None = None,
                 stage: str = "typesetting"):
        """``stage`` names what is watched in a message ("typesetting", "rendering the
        templates"); while templates render, the message names the template file and
        line that was running."""
        self.limits = limits or Limits()
        self.stage = stage
        self.root = root.resolve() if root is not None else None
        self.problem: Problem | None = None
        self._lock = threading.Lock()
        self._leaving = threading.Event()
        self._thread_id = 0
        self._context: Any = None  # WeasyPrint's LayoutContext, once layout began
        self._area: tuple[float, float] | None = None  # the smallest page content area, px

    def run(self, function: Callable[[], T]) -> T:
        """``function()`` in this thread, watched. An interrupt wins over a limit,
        and a limit over whatever WeasyPrint raised or returned after it."""
        self._thread_id = threading.get_ident()
        seen = _interrupts
        result: T | None = None
        failure: BaseException | None = None
        _install_probes()
        token = _watched.set(self)
        try:
            result, failure = self._run(function)
        except Stopped:  # delivered on the way out, before the guard was left
            self._leave()
        finally:
            _watched.reset(token)
        if _interrupts != seen:
            raise KeyboardInterrupt
        if self.problem is not None:
            raise ReportError(self.problem) from None
        if failure is not None:
            raise failure
        return result  # type: ignore[return-value]

    def _run(self, function: Callable[[], T]) -> tuple[T | None, BaseException | None]:
        previous = self._count_interrupts_here()
        watchdog = threading.Thread(target=self._watch, name="almanac-typeset-guard",
                                    daemon=True)
        result: T | None = None
        failure: BaseException | None = None
        try:
            watchdog.start()
            try:
                result = function()
            except BaseException as exc:  # judged by run(), once no Stopped can come
                failure = exc
        finally:
            self._leave()
            watchdog.join()
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        return result, failure

    def _count_interrupts_here(self) -> Any:
        """In the main thread under Python's own SIGINT handler (an API host that left
        it alone), count interrupts for as long as this guard runs."""
        if threading.current_thread() is not threading.main_thread() \
                or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            return None
        return signal.signal(signal.SIGINT, _count_interrupt)

    def _leave(self) -> None:
        """No Stopped is raised in this thread after this returns (a pending one is
        withdrawn); one raised while this runs is caught and this is tried again."""
        while True:
            try:
                with self._lock:
                    self._leaving.set()
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(
                        ctypes.c_ulong(self._thread_id), None)
                return
            except Stopped:
                continue

    def _watch(self) -> None:
        start = time.monotonic()
        limits = self.limits
        while not self._leaving.wait(POLL_SECONDS):
            if self.problem is None:
                elapsed = time.monotonic() - start
                resident = resident_bytes()
                pages, area = self._layout()
                if elapsed > limits.seconds:
                    self._trip(f"{self.stage} took over {limits.seconds:g} s (the time limit)",
                               "make the document smaller, or raise the limit: "
                               "--time-limit SECONDS (BuildOptions.typeset_seconds)")
                elif resident > limits.memory_mib * 2**20:
                    self._trip(f"{self.stage} used {_size(resident)} of memory; the limit is "
                               f"{_size(limits.memory_mib * 2**20)}",
                               "make the document smaller, or raise the limit: "
                               "--memory-limit MIB (BuildOptions.memory_mib)")
                elif pages > limits.pages:
                    self._trip(*too_many_pages(limits.pages))
                elif area is not None and min(area) < MIN_PAGE_AREA_MM * _PX_PER_MM:
                    width, height = (round(side / _PX_PER_MM, 1) for side in area)
                    self._trip(f"the pages' content area is {width:g} × {height:g} mm "
                               f"(page size less margins); at least {MIN_PAGE_AREA_MM:g} mm "
                               "each way is needed", "fix the size and margins of @page "
                               "in the stylesheets (styles/pages.css)", layout=False)
            if self.problem is not None:
                with self._lock:
                    if not self._leaving.is_set():
                        ctypes.pythonapi.PyThreadState_SetAsyncExc(
                            ctypes.c_ulong(self._thread_id), ctypes.py_object(Stopped))

    def _layout(self) -> tuple[int, tuple[float, float] | None]:
        """Pages laid out so far (the length of WeasyPrint's ``context.page_maker`` less
        one: it holds the state to start each page and the one after the last; the
        LayoutContext is handed over by the layout probe, :func:`_install_probes`)
        and the smallest content area (px) of a page seen so far: the first page's
        (``context.style_for.initial_page_sizes``) and each page made."""
        if self._context is None:
            return 0, None
        # a part of a document typeset apart counts from its first page's place
        # (stages/paging.py)
        pages = len(getattr(self._context, "page_maker", ())) - 1 + \
            getattr(self._context, "almanac_first_page", 0)
        sizes = getattr(getattr(self._context, "style_for", None), "initial_page_sizes", {})
        area = sizes.get("area") if isinstance(sizes, dict) else None
        if area:
            self._note_area(area[0], area[1])
        return pages, self._area

    def _check_columns(self, frame: FrameType | None) -> None:
        """In the typesetting thread, as ``columns_layout`` (``frame``, when it is that
        function's) lays out a column: stop when its box has more than ``MAX_COLUMNS``
        columns. Its ``count`` is what layout uses, whichever way it was asked for
        (``columns``, ``column-count`` through ``var()``, a style in the HTML, or a
        ``column-width`` so narrow that the width holds thousands); the stylesheets'
        own check (:func:`~.fetcher.too_many_columns`) sees only the first of these."""
        from .fetcher import MAX_COLUMNS

        if frame is None or frame.f_code.co_name != "columns_layout" \
                or not frame.f_globals.get("__name__", "").startswith("weasyprint.layout"):
            return
        local = frame.f_locals
        count = local.get("count")
        if not isinstance(count, int) or count <= MAX_COLUMNS or self.problem is not None:
            return
        box = local.get("box")
        tag = getattr(box, "element_tag", None) or "a"
        element = getattr(box, "element", None)
        names = (element.get("class") or "").split() if element is not None else []
        what = f"a <{tag}{''.join('.' + name for name in names[:2])}>" if tag != "a" else "a"
        self._trip(f"{what} box is laid out in {count:,} columns; the limit is {MAX_COLUMNS}",
                   "use fewer columns: columns, column-count or a narrow column-width, in "
                   "the stylesheets or in a style in a template", doing=False)
        raise Stopped

    def _note_area(self, width: Any, height: Any) -> None:
        if isinstance(width, (int, float)) and isinstance(height, (int, float)):
            if self._area is None or min(width, height) < min(self._area):
                self._area = (float(width), float(height))

    def _trip(self, message: str, hint: str, layout: bool = True, doing: bool = True) -> None:
        """Record the problem, with what the typesetting thread was doing (unless the
        message says it already)."""
        doing_now, path = self._doing(layout)
        doing_now = doing_now if doing else ""
        template, line = self._template()
        if template is not None:
            path, doing_now = template, ""
        self.problem = Problem(f"{message}, {doing_now}" if doing_now else message, path, line,
                               hint)

    def _template(self) -> tuple[Path | None, int | None]:
        """The innermost template running on the watched thread and its line, if any:
        Jinja2 compiles a template to Python code whose file name is the template's,
        and records in the module's ``debug_info`` which template line each code line
        comes from (``jinja2.Template.get_corresponding_lineno``)."""
        for frame in _frames(self._thread_id):
            name = frame.f_code.co_filename
            if name.endswith(".html") and "debug_info" in frame.f_globals:
                line = None
                for pair in str(frame.f_globals["debug_info"]).split("&"):
                    template_line, _, code_line = pair.partition("=")
                    if code_line.isdigit() and int(code_line) <= frame.f_lineno:
                        line = int(template_line)
                return Path(name), line
        return None, None

    def _doing(self, layout: bool) -> tuple[str, Path | None]:
        """What WeasyPrint is doing now, in words, and the file it is reading or
        drawing, if any: the innermost stylesheet or image on the thread's stack."""
        modules: set[str] = set()
        functions: set[str] = set()
        path: Path | None = None
        for frame in _frames(self._thread_id):
            name = frame.f_globals.get("__name__", "")
            if name.startswith("weasyprint"):
                modules.add(name.split(".")[1] if "." in name else name)
                functions.add(frame.f_code.co_name)
                if path is None:
                    path = self._file_of(frame)
        pages = len(getattr(self._context, "page_maker", ())) + \
            getattr(self._context, "almanac_first_page", 0)
        # the stack is read only up to its first generator (make_all_pages is one)
        laying_out = bool({"layout_document", "make_all_pages"} & functions
                          or "layout" in modules)
        if path is not None and path.suffix.lower() == ".svg":
            what = "drawing this SVG image (too many elements, or deeply nested <use>?)"
        elif "svg" in modules:
            what = "drawing an SVG image (too many elements, or deeply nested <use>?)"
        elif laying_out and layout and "css" in modules:
            what = (f"laying out page {max(pages, 1):,}, computing the styles (a custom "
                    "property whose var() references multiply?)")
        elif laying_out and layout:
            what = (f"laying out page {max(pages, 1):,} (page size and margins, "
                    "very large sizes or a very long table?)")
        elif modules & {"draw", "pdf"}:
            what = "drawing the pages into the PDF"
        elif "css" in modules:
            what = ("computing the styles (a custom property whose var() references "
                    "multiply, huge selector lists?)")
        else:
            what = ""
        return what, path

    def _file_of(self, frame: FrameType) -> Path | None:
        """A project file a WeasyPrint frame is working on: a stylesheet being parsed
        (``base_url`` of the ``preprocess_*`` functions) or an SVG (``_base_url``)."""
        url = None
        if frame.f_code.co_name.startswith("preprocess_"):
            url = frame.f_locals.get("base_url")
        elif frame.f_code.co_name in ("draw", "__init__"):
            url = getattr(frame.f_locals.get("self"), "_base_url", None) \
                or getattr(frame.f_locals.get("self"), "url", None)
        if not isinstance(url, str) or not url.startswith("file:"):
            return None
        path = Path(url2pathname(urlsplit(url).path))
        return path if self.root is None or path.is_relative_to(self.root) else None
