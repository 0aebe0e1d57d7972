"""Stage 4, on every core: one report typeset in parts, the result the single pass's.

WeasyPrint lays out a document on one core. A report's chapters each start on a new
page, so the document can be cut there into *parts* (runs of chapters, balanced by
size) and each part laid out and drawn in a process of its own. What makes that the
same document as the single pass is what the parts learn from each other:

1. **Pages.** Each part is laid out with a guess of where it starts (the last build's
   anchor pages, else a share of the document by size: :class:`Guesses`) and reports
   its page count, its anchors' pages, the named strings it set, and whether its
   content printed a page number (the contents, a "see page 26") or the page total
   (:class:`~.paging.PartPages`). The true start of every part follows from the page
   counts before it. A part is laid out again, in its own process, only when a
   guess its *pages* depend on was wrong: the side of its first page (a right-hand
   chapter start may need a blank page before it), the break that opens it, or a page
   number its content printed. That repeats until no guess is wrong (at most
   :data:`ROUNDS` rounds; a layout whose numbers feed back into its own length is
   settled there as WeasyPrint settles it, by its own loop, within a part).
2. **Numbers in the margins.** A part whose content printed no number keeps its
   layout; its margin boxes ("page 12 of 340", the running heads) are made again with
   the true numbers and the strings in force before it (:func:`~.paging.renumbered`).
3. **One PDF.** The parts' PDFs are joined with pikepdf (:func:`join_parts`): the pages
   in order; the named destinations of every part in one name tree, so a link into
   another part leads there; the outlines one after the other; the structure trees
   under one ``Document`` element, the parent tree numbered again (pages by their
   index in the document, link annotations after them: ISO 32000-1, 14.7.4.4).

The document-level parts of the file (metadata, XMP, embedded files, output intent,
file identifier) come from the first part, laid out with them. Where the bytes differ
from the single pass, and why: each part embeds its own subset of each font (the same
glyphs drawn, a few kB more per part), objects are numbered in another order, and the
second half of the file identifier is the MD5 of the joined file (pikepdf's
``deterministic_id``: the same inputs give the same bytes), where the single pass
repeats the first half. Pages, text, links, outline and tags are the same.
"""

from __future__ import annotations

import io
import os
import signal
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from ..errors import ReportError
from .paging import (
    NotSplittable,
    PartPages,
    PartStart,
    anchor_pages,
    break_chains,
    combined_break,
    laid_out_as_part,
    part_pages,
    renumbered,
)
from .render import Rendered
from .structure import Tagging

ROUNDS = 5
"""At most this many layouts of one part before the parts agree; past it the report
is typeset in one pass (a layout whose page numbers never settle)."""

OPENERS = ("chapter", "appendix")
"""The classes of the body's children a part may start at: each begins on a new
page (the theme's ``pages.css``). A report whose layout does not start them on a new
page is typeset in one pass."""

FORCED = ("page", "left", "right", "recto", "verso")


class Unsplittable(Exception):
    """The report cannot be typeset in parts as the single pass would: typeset it in
    one pass. The message says why."""


@dataclass(frozen=True)
class PartSource:
    """One part of the rendered HTML: the document's head and body opening, a run of
    the body's children, the body's end. ``anchor``: the ``id`` of its first element."""

    html: str
    prefix: int  # length of the head and body opening in ``html``
    suffix: int  # length of the body's end
    anchor: str | None
    size: int  # characters of its body part, a measure of its work


@dataclass
class Guesses:
    """What the last build of the report learnt: each anchor's 0-based page and the
    page count (kept by the caller between builds, e.g. in the build cache)."""

    anchors: dict[str, int] = field(default_factory=dict)
    total: int = 0
    blank: list[int] = field(default_factory=list)  # the blank pages a break inserted

    @classmethod
    def of(cls, document: Any) -> Guesses:
        """What a laid-out WeasyPrint ``document`` (the whole report) tells the next
        build."""
        anchors, blank = anchor_pages(document)
        return cls(anchors, len(document.pages), blank)

    def first_page(self, anchor: str) -> int | None:
        """Where a part that opens with ``anchor`` began: its page, or the blank page
        before it."""
        page = self.anchors.get(anchor)
        if page is None:
            return None
        return page - 1 if page - 1 in self.blank else page


@dataclass
class Joined:
    """The document typeset in parts: its PDF, page count, the warnings of its parts
    (in the document's order), its HTML (each part's as laid out, joined), what each
    part's ``inspect`` returned, and what to guess next time."""

    pdf: bytes
    pages: int
    warnings: list[str]
    html: str
    inspections: list[Any]
    guesses: Guesses
    parts: int
    layouts: int  # layouts of parts, all rounds (a part's placement passes not counted)
    typeset: list[int] = field(default_factory=list)  # the parts typeset (not kept ones)


class _Body(HTMLParser):
    """Offsets of the body's children in an HTML text."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "param", "source", "track", "wbr"}

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.lines = [0]
        for line in text.splitlines(keepends=True):
            self.lines.append(self.lines[-1] + len(line))
        self.depth = 0
        self.body: int | None = None  # depth of the body element
        self.body_start = self.body_end = -1
        self.children: list[tuple[int, str | None, set[str]]] = []

    def _at(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if tag == "body" and self.body is None:
            self.body = self.depth
            self.body_start = self._at() + len(self.get_starttag_text() or "")
        else:
            self._child(attrs)
        if tag not in self.VOID:
            self.depth += 1

    def handle_startendtag(self, tag, attrs):
        self._child(attrs)

    def _child(self, attrs: list[tuple[str, str | None]]) -> None:
        """Record an element that opens here if it is a child of the body."""
        if self.body is not None and self.depth == self.body + 1 and self.body_end < 0:
            found = dict(attrs)
            self.children.append((self._at(), found.get("id"),
                                  set((found.get("class") or "").split())))

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        self.depth -= 1
        if tag == "body" and self.body is not None and self.depth == self.body \
                and self.body_end < 0:
            self.body_end = self._at()


def split_parts(html: str, count: int, guesses: Guesses | None = None
                ) -> list[PartSource]:
    """``html`` cut before body children of class :data:`OPENERS` into at most ``count``
    parts of about equal work (by the pages each run of the body had in the last
    build, ``guesses``, when it knows every opener's page; else by the characters of
    its HTML). Fewer parts when there are fewer places to cut; one part (the whole)
    when there is none."""
    parser = _Body(html)
    parser.feed(html)
    parser.close()
    if parser.body_start < 0 or parser.body_end < 0:
        return [PartSource(html, 0, 0, None, len(html))]
    cuts = [(offset, ident) for offset, ident, classes in parser.children
            if classes & set(OPENERS)]
    if not cuts or count < 2:
        return [PartSource(html, 0, 0, None, len(html))]
    # runs: the front (up to the first opener), then each opener to the next
    bounds = [parser.body_start] + [offset for offset, _ in cuts] + [parser.body_end]
    idents: list[str | None] = [None]
    idents += [ident for _, ident in cuts]
    sizes = [bounds[i + 1] - bounds[i] for i in range(len(bounds) - 1)]
    if guesses and guesses.total and all(ident in guesses.anchors for ident in idents[1:]):
        firsts = [0] + [guesses.anchors[ident] for ident in idents[1:]  # type: ignore[index]
                        ] + [guesses.total]
        pages = [firsts[i + 1] - firsts[i] for i in range(len(sizes))]
        if all(pages_of_run >= 0 for pages_of_run in pages):
            sizes = [max(1, pages_of_run) for pages_of_run in pages]
    groups = _balanced(sizes, count)
    head, tail = html[:parser.body_start], html[parser.body_end:]
    parts = []
    for first, last in groups:
        body = html[bounds[first]:bounds[last + 1]]
        parts.append(PartSource(head + body + tail, len(head), len(tail), idents[first],
                                sum(sizes[first:last + 1])))
    return parts


def _balanced(sizes: list[int], count: int) -> list[tuple[int, int]]:
    """Consecutive runs of ``sizes`` (index ranges, inclusive) in at most ``count``
    groups whose largest sum is as small as a greedy cut makes it."""
    total = sum(sizes)
    groups: list[tuple[int, int]] = []
    start, running = 0, 0
    for index, size in enumerate(sizes):
        left = count - len(groups)
        if index > start and left > 1 and running + size / 2 > total / left:
            groups.append((start, index - 1))
            total -= running
            start, running = index, 0
        running += size
    groups.append((start, len(sizes) - 1))
    return groups


# ---------------------------------------------------------------- the worker


class _Again(Exception):
    def __init__(self, start: PartStart, pad: int):
        super().__init__()
        self.start, self.pad = start, pad


def _chains(document: Any) -> tuple[list[str], list[str], bool]:
    """The part's leading and trailing break values (:func:`~.paging.break_chains`)
    and whether its first page is a right-hand one when nothing forces it (the
    root's direction)."""
    root = document.pages[0]._page_box.almanac_context.almanac_root
    leading, trailing = break_chains(root)
    return leading, trailing, root.style["direction"] == "ltr"


def _work(connection: Any, index: int, source: PartSource, base_url: str,
          lay_out: Callable[..., Any], inspect: Callable[[Any, int], Any],
          tagging: Tagging | None) -> None:
    """A part's process: lay out, report, settle, write, inspect; every answer and
    failure goes back through ``connection``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the coordinator stops the parts
    try:
        start = connection.recv()
        html, placement = source.html, True
        placed = {"html": source.html}  # the HTML after placement, before any pad
        part_tagging = replace(tagging) if tagging is not None else None
        while True:
            try:
                result, final = _attempt(connection, index, start, html, placement,
                                         base_url, lay_out, part_tagging, placed)
                break
            except _Again as again:
                start = again.start
                if again.pad:
                    from .typeset import with_blank_pages

                    html = with_blank_pages(placed["html"], again.pad) or placed["html"]
                    placement = False
                else:
                    html, placement = source.html, True
        connection.send(("done", _Done(
            result.pdf, result.warnings, html, inspect(result, final.first_page),
            {str(path): digest for path, digest in result.read.items()})))
    except NotSplittable as exc:
        connection.send(("unsplittable", str(exc)))
    except ReportError as exc:
        connection.send(("failed", exc))
    except BaseException:  # a bug: its traceback goes to the coordinator
        connection.send(("crashed", traceback.format_exc()))
    finally:
        connection.close()


def _attempt(connection: Any, index: int, start: PartStart, html: str, placement: bool,
             base_url: str, lay_out: Callable[..., Any], tagging: Tagging | None,
             placed: dict[str, str]) -> tuple[Any, PartStart]:
    """One layout of a part from ``start``: its pages reported, the coordinator's
    answer awaited before the PDF is written (raises :class:`_Again` when the part
    is to be laid out again)."""
    settled: dict[str, PartStart] = {}
    with laid_out_as_part(start) as part:

        def glyphs(mine: dict[str, dict[int, str]]) -> dict[str, dict[int, str]]:
            connection.send(("glyphs", mine))
            return connection.recv()[1]

        part.glyphs = glyphs

        def settle(document: Any, laid_html: str) -> Any:
            if placement:
                placed["html"] = laid_html
            connection.send(("paged", part_pages(document, part), _chains(document), start))
            answer = connection.recv()
            if answer[0] == "again":
                raise _Again(answer[1], answer[2])
            final: PartStart = answer[1]
            settled["start"] = final
            if tagging is not None:
                tagging.first_page = final.first_page
                tagging.outside = final.targets
            return document if final == start else renumbered(document, final, start)

        result = lay_out(Rendered(html, base_url), part=index, settle=settle,
                         placement=placement, tagging=tagging)
    return result, settled["start"]


# ---------------------------------------------------------------- the coordinator


@dataclass
class _Paged:
    pages: PartPages
    leading: list[str]
    trailing: list[str]
    ltr: bool
    start: PartStart


class PartStore:
    """Typeset parts kept between builds (``.almanac-cache/parts/``): a part whose HTML,
    files read (stylesheets, fonts, images: by their SHA-256), settings and start in
    the document are those of a kept one is not typeset again; its PDF is joined as it
    is. So a change to one chapter typesets the part that holds it, and the parts
    whose page numbers it moved. ``fingerprint``: what else the bytes depend on (the
    variant, the words of the links' descriptions, the tools' versions)."""

    def __init__(self, folder: Path, fingerprint: str):
        self.folder, self.fingerprint = folder, fingerprint

    def key(self, source: PartSource, index: int) -> str:
        import hashlib

        return hashlib.sha256(f"{self.fingerprint}\0{index}\0{source.html}".encode()
                              ).hexdigest()[:40]

    def get(self, key: str) -> _Kept | None:
        """The part kept under ``key``, if every file it read is unchanged."""
        import hashlib
        import pickle

        path = self.folder / f"{key}.part"
        try:
            kept = pickle.loads(path.read_bytes())
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError,
                TypeError, ValueError):
            return None
        if not isinstance(kept, _Kept) or not isinstance(kept.done, _Done):
            return None
        for name, digest in kept.done.read.items():
            try:
                if hashlib.sha256(Path(name).read_bytes()).hexdigest() != digest:
                    return None
            except OSError:
                return None
        return kept

    def put(self, key: str, kept: _Kept) -> None:
        """Keep a part (best effort: a read-only project builds all the same)."""
        import pickle

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            staged = self.folder / f"{key}.tmp{os.getpid()}"
            staged.write_bytes(pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL))
            staged.replace(self.folder / f"{key}.part")
        except OSError:
            pass

    def prune(self, keep: set[str], most: int = 64) -> None:
        """Remove kept parts not in ``keep`` beyond the ``most`` newest."""
        try:
            found = sorted(self.folder.glob("*.part"), key=lambda path: path.stat().st_mtime,
                           reverse=True)
        except OSError:
            return
        for path in [path for path in found if path.stem not in keep][most:]:
            path.unlink(missing_ok=True)


@dataclass
class _Done:
    """A part typeset: its PDF, warnings, HTML as laid out, what ``inspect`` returned
    for it, and the files it read (path → SHA-256)."""

    pdf: bytes
    warnings: list[str]
    html: str
    inspection: Any
    read: dict[str, str]


@dataclass
class _Kept:
    """A part as typeset: where it started (``paged.start``, the true start), what it
    found, the glyphs it draws (``own``) and those of the document it embedded
    (``union``), the blank pages it ends with (``pad``), and the part itself."""

    paged: _Paged
    own: dict[str, dict[int, str]]
    union: dict[str, dict[int, str]]
    pad: int
    done: _Done


class _Workers:
    """The parts' processes, forked when a part is first to be typeset."""

    def __init__(self, rendered: Rendered, parts: list[PartSource], lay_out: Callable,
                 inspect: Callable, tagging: Tagging | None):
        import multiprocessing

        self.context = multiprocessing.get_context("fork")
        self.rendered, self.parts = rendered, parts
        self.lay_out, self.inspect, self.tagging = lay_out, inspect, tagging
        self.connections: dict[int, Any] = {}
        self.processes: list[Any] = []

    def begin(self, index: int, start: PartStart) -> None:
        """Fork the process of part ``index`` and have it lay the part out from
        ``start`` (with no blank pages of a pad: an "again" message adds them)."""
        mine, theirs = self.context.Pipe()
        process = self.context.Process(
            target=_work, args=(theirs, index, self.parts[index], self.rendered.base_url,
                                self.lay_out, self.inspect, self.tagging),
            daemon=True, name="almanac-part")
        process.start()
        theirs.close()
        self.connections[index] = mine
        self.processes.append(process)
        mine.send(start)

    def close(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.kill()
        for process in self.processes:
            process.join()
        for connection in self.connections.values():
            connection.close()


def typeset_parts(rendered: Rendered, parts: list[PartSource], *,
                  lay_out: Callable[..., Any], inspect: Callable[[Any, int], Any],
                  tagging: Tagging | None = None, guesses: Guesses | None = None,
                  page_multiple: int = 1, store: PartStore | None = None) -> Joined:
    """Typeset ``parts`` of ``rendered`` each in a process of its own (forked: they
    share what this process has loaded) and join them into one PDF.

    ``lay_out(rendered, part=, settle=, placement=, tagging=)`` typesets the HTML of
    the part numbered ``part`` (from 0) (:func:`~.typeset.typeset` with the report's
    options, page multiple 1; the first part with the document's embedded files);
    ``inspect(typeset, first_page)`` runs in the part's process on its result (the
    preflight of its pages, numbered from ``first_page`` + 1) and returns what
    pickles. ``page_multiple``: blank pages before the back cover (in the last part)
    make the page count a multiple of it, as :func:`~.typeset.with_blank_pages`.
    ``store``: parts kept from the last builds, reused where nothing they depend on
    changed (:class:`PartStore`).

    Raises the first part's ReportError (the others are stopped; nothing is
    written), :class:`Unsplittable` when the parts cannot give the single pass's
    document (the caller typesets in one pass), KeyboardInterrupt after stopping the
    parts."""
    guesses = guesses or Guesses()
    kept: dict[int, _Kept] = {}
    keys = [store.key(source, index) for index, source in enumerate(parts)] if store else []
    if store is not None:
        for index, key in enumerate(keys):
            found = store.get(key)
            if found is not None:
                kept[index] = found
    workers = _Workers(rendered, parts, lay_out, inspect, tagging)
    try:
        joined, made = _coordinate(parts, workers, guesses, page_multiple, kept)
        if joined is None:  # a kept part's glyphs are no longer the document's
            workers.close()
            workers = _Workers(rendered, parts, lay_out, inspect, tagging)
            joined, made = _coordinate(parts, workers, guesses, page_multiple, {})
        assert joined is not None
    finally:
        workers.close()
    if store is not None:
        for index, part in made.items():
            store.put(keys[index], part)
        store.prune(set(keys))
    return joined


def _first_guesses(parts: list[PartSource], guesses: Guesses) -> list[PartStart]:
    """Each part's start as the last build left it, else by its share of the size."""
    total = guesses.total or 0
    size = sum(part.size for part in parts) or 1
    starts, first = [], 0
    estimate = total or max(1, size // 9000)  # a page of running text, in HTML
    for index, part in enumerate(parts):
        known = guesses.first_page(part.anchor) if index and part.anchor else None
        if known is not None:
            first = known
        starts.append(PartStart(first_page=first, right=first % 2 == 0,
                                opening="any" if index == 0 else None,
                                total=estimate, targets=dict(guesses.anchors)))
        first += max(1, round(estimate * part.size / size))
    return starts


def _receive(connection: Any) -> Any:
    try:
        message = connection.recv()
    except EOFError:
        raise RuntimeError("a typesetting part's process ended without an answer "
                           "(killed, or out of memory)") from None
    kind = message[0]
    if kind == "failed":
        raise message[1]
    if kind == "unsplittable":
        raise Unsplittable(message[1])
    if kind == "crashed":
        raise RuntimeError("a typesetting part failed:\n" + message[1])
    return message


def _coordinate(parts: list[PartSource], workers: _Workers, guesses: Guesses,
                page_multiple: int, kept: dict[int, _Kept]
                ) -> tuple[Joined | None, dict[int, _Kept]]:
    """The rounds of :mod:`this module <.parallel>`: ``kept`` parts stand in for
    typesetting while their start is the true one; returns the joined document and
    the parts typeset now (to keep), or None when a kept part's glyphs differ from
    the document's (its font programs would not be the document's)."""
    starts = _first_guesses(parts, guesses)
    pads = [0] * len(parts)  # blank pages the last part is to end with
    sent = [0] * len(parts)  # ... and was laid out with
    paged: list[_Paged | None] = [None] * len(parts)
    for index, part in kept.items():
        paged[index] = part.paged
        sent[index] = part.pad
    waiting = set()
    for index, start in enumerate(starts):
        if index not in kept:
            workers.begin(index, start)
            waiting.add(index)
    layouts = 0
    laid = [0] * len(parts)
    while True:
        for index in sorted(waiting):
            _, pages, (leading, trailing, ltr), used = _receive(workers.connections[index])
            paged[index] = _Paged(pages, leading, trailing, ltr, used)
            laid[index] += 1
            layouts += 1
        done = [item for item in paged if item is not None]
        unpadded = sum(item.pages.pages for item in done) - sent[-1]
        pads[-1] = -unpadded % page_multiple if page_multiple > 1 else 0
        actual = _true_starts(done, pads[-1] - sent[-1])
        again = [index for index, item in enumerate(done)
                 if _must_redo(item, actual[index])]
        if pads[-1] != sent[-1]:
            again = sorted(set(again) | {len(parts) - 1})
        # a kept part stands only where it was made: same start, numbers and strings
        stale = [index for index in kept if index not in again
                 and not _same_start(kept[index].paged, actual[index])]
        if not again and not stale:
            break
        if any(laid[index] >= ROUNDS for index in again):
            raise Unsplittable("the page numbers of the parts do not settle")
        for index in again + stale:
            if index in kept:  # a new process: its pad, if any, comes in the next round
                del kept[index]
                workers.begin(index, actual[index])
                sent[index] = 0
            else:
                workers.connections[index].send(("again", actual[index], pads[index]))
                sent[index] = pads[index]
        waiting = set(again) | set(stale)
    live = sorted(workers.connections)
    for index in live:
        workers.connections[index].send(("write", actual[index]))
    # each part embeds the glyphs of the whole document of each font (paging.py)
    first = {index: _receive(workers.connections[index]) for index in live}
    # the document's glyphs of each font, and the text each was first drawn for (as
    # WeasyPrint maps a glyph: draw/text.py): the parts in the document's order, an
    # earlier one's text kept (paging.py)
    whole: dict[str, dict[int, str]] = {}
    for index in range(len(parts)):
        drawn = kept[index].own if index in kept else \
            first[index][1] if first[index][0] == "glyphs" else {}
        for key, texts in drawn.items():
            known = whole.setdefault(key, {})
            for glyph, text in texts.items():
                known.setdefault(glyph, text)
    if any(part.union != whole for part in kept.values()):
        return None, {}
    finished: dict[int, _Done] = {index: part.done for index, part in kept.items()}
    made: dict[int, _Kept] = {}
    for index in live:
        message = first[index]
        mine: dict[str, dict[int, str]] = {}
        if message[0] == "glyphs":
            mine = message[1]
            workers.connections[index].send(("glyphs", whole))
            message = _receive(workers.connections[index])
        finished[index] = message[1]
        item = paged[index]
        assert item is not None
        made[index] = _Kept(replace(item, start=actual[index]), mine, whole, pads[index],
                            message[1])
    ordered = [finished[index] for index in range(len(parts))]
    firsts = [start.first_page for start in actual]
    pdf = join_parts([item.pdf for item in ordered], firsts)
    tail = parts[-1].html[len(parts[-1].html) - parts[-1].suffix:]
    html = parts[0].html[:parts[0].prefix] + "".join(
        item.html[part.prefix:len(item.html) - part.suffix]
        for item, part in zip(ordered, parts)) + tail
    blank = [first + page for item, first in zip(done, firsts) for page in item.pages.blank]
    return Joined(pdf=pdf, pages=actual[-1].total, warnings=list(dict.fromkeys(
        warning for item in ordered for warning in item.warnings)), html=html,
        inspections=[item.inspection for item in ordered],
        guesses=Guesses(_anchors(done, firsts), actual[-1].total, blank), parts=len(parts),
        layouts=layouts, typeset=sorted(made)), made


def _anchors(done: list[_Paged], firsts: list[int]) -> dict[str, int]:
    """Every part's anchors → their page in the document (parts starting at
    ``firsts``)."""
    return {name: first + page for item, first in zip(done, firsts)
            for name, page in item.pages.anchors.items()}


def _true_starts(done: list[_Paged], more: int = 0) -> list[PartStart]:
    """Every part's start from the page counts of the parts before it (each count
    with the blank page a part may open with); ``more`` blank pages the last part
    is still to get."""
    firsts, first = [], 0
    for item in done:
        firsts.append(first)
        first += item.pages.pages
    total = first + more
    anchors = _anchors(done, firsts)
    starts: list[PartStart] = []
    strings: dict[str, str] = {}
    ltr = done[0].ltr if done else True
    for index, item in enumerate(done):
        opening = "any" if index == 0 else combined_break(done[index - 1].trailing + item.leading)
        if index and opening not in FORCED:
            raise Unsplittable(f"part {index + 1} does not start on a new page "
                               f"(break {opening!r})")
        starts.append(PartStart(first_page=firsts[index],
                                right=(firsts[index] % 2 == 0) == ltr, opening=opening,
                                total=total,
                                targets={name: page for name, page in anchors.items()
                                         if name not in item.pages.anchors},
                                strings=dict(strings), complete=True))
        strings.update(item.pages.strings)
    return starts


def _same_start(item: _Paged, actual: PartStart) -> bool:
    """Whether a part typeset from ``item.start`` is the part at ``actual``: the same
    first page, side, opening break, total, named strings before it, and pages of the
    anchors its content printed."""
    used = item.start
    return (used.first_page, used.right, used.total, used.strings) == (
        actual.first_page, actual.right, actual.total, actual.strings) and \
        not _must_redo(item, actual)


def _must_redo(item: _Paged, actual: PartStart) -> bool:
    """Whether a part laid out from ``item.start`` must be laid out again at
    ``actual``: a guess its pages depend on was wrong."""
    used = item.start
    opening = used.opening if used.opening is not None else combined_break(item.leading)
    if used.right != actual.right or opening != actual.opening:
        return True
    if (item.pages.numbered or item.pages.nth) and used.first_page != actual.first_page:
        return True
    if item.pages.totalled and used.total != actual.total:
        return True
    return any(actual.targets.get(name) != page for name, page in item.pages.used.items())


# ---------------------------------------------------------------- joining


def join_parts(pdfs: list[bytes], firsts: list[int]) -> bytes:
    """The parts' PDFs as one (ISO 32000-1): the first part's document (catalogue,
    metadata, embedded files, output intent) with the pages of the others after its
    own; one name tree of destinations (7.9.6, 12.3.2.3); the outlines in order
    (12.3.3); the structure trees under the first part's ``Document`` element, each
    page's ``/StructParents`` its index in the document and each link annotation's
    ``/StructParent`` numbered after them (14.7.4.4), the ``IDTree`` joined.
    ``firsts``: each part's first page index (to check the page counts agree)."""
    import pikepdf

    documents = [pikepdf.open(io.BytesIO(data)) for data in pdfs]
    base = documents[0]
    counts = [len(document.pages) for document in documents]
    for first, expected in zip(firsts, [sum(counts[:i]) for i in range(len(counts))]):
        if first != expected:
            raise RuntimeError(f"parts joined at page {expected}, laid out for {first}")
    with warnings.catch_warnings():
        # pikepdf warns that copied pages lose their named destinations: the name
        # tree is joined below
        warnings.simplefilter("ignore", getattr(pikepdf, "PageCopyWarning", UserWarning))
        for document in documents[1:]:
            base.pages.extend(document.pages)
    _join_destinations(base, documents)
    _join_outlines(base, documents)
    _join_structure(base, documents, counts)
    _share_resources(base)
    output = io.BytesIO()
    base.save(output, deterministic_id=True,
              object_stream_mode=pikepdf.ObjectStreamMode.generate)
    for document in documents:
        document.close()
    return output.getvalue()


def _copied(base: Any, value: Any) -> Any:
    """``value`` of another PDF, in ``base``: indirect objects copied once (pikepdf's
    ``copy_foreign`` keeps one copy per object, the pages' too), direct arrays and
    dictionaries item by item."""
    import pikepdf

    if isinstance(value, pikepdf.Object) and value.is_indirect:
        return base.copy_foreign(value)
    if isinstance(value, pikepdf.Array):
        return pikepdf.Array([_copied(base, item) for item in value])
    if isinstance(value, pikepdf.Dictionary):
        return pikepdf.Dictionary({key: _copied(base, item) for key, item in value.items()})
    return value


def _share_resources(base: Any) -> None:
    """One copy of each font program, image and colour profile that several parts
    embed alike (every part embeds the document's subset of a font, see
    :mod:`.paging`): the references of the pages' resources, the font descriptors
    and the images' soft masks lead to the first; the others are left unreferenced
    and not written."""
    import hashlib

    import pikepdf

    first: dict[tuple, Any] = {}

    def shared(item: Any) -> Any:
        if not isinstance(item, pikepdf.Stream) or not item.is_indirect:
            return item
        key = (hashlib.sha256(item.read_raw_bytes()).digest(), tuple(sorted(
            (str(name), repr(value)) for name, value in item.items()
            if name not in ("/Length", "/SMask"))), repr(item.get("/SMask")) if
            "/SMask" not in item else shared_mask(item))
        return first.setdefault(key, item)

    def shared_mask(item: Any) -> str:
        mask = shared(item.SMask)
        item.SMask = mask
        return repr(mask.objgen)

    seen: set[tuple[int, int]] = set()
    # the pages' resources and those of the forms they paint (an SVG image is drawn
    # as a form: svgreuse.py), at any depth
    for intent in base.Root.get("/OutputIntents", pikepdf.Array()):
        if "/DestOutputProfile" in intent:  # the catalogue's profile is the one kept
            intent.DestOutputProfile = shared(intent.DestOutputProfile)

    def profiled(space: Any) -> Any:
        """A colour space with its ICC profile shared (``[/ICCBased profile]``)."""
        if isinstance(space, pikepdf.Array) and len(space) == 2 and \
                space[0] == pikepdf.Name.ICCBased:
            return pikepdf.Array([space[0], shared(space[1])])
        return space

    stack = [page.obj.get("/Resources") for page in base.pages]
    while stack:
        resources = stack.pop()
        if resources is None or resources.objgen in seen:
            continue
        if resources.is_indirect:
            seen.add(resources.objgen)
        for kind in ("/XObject", "/ColorSpace"):
            entries = resources.get(kind)
            if entries is None:
                continue
            for name, value in list(entries.items()):
                if isinstance(value, pikepdf.Array):
                    entries[name] = profiled(value)
                elif isinstance(value, pikepdf.Stream) and \
                        value.get("/Subtype") == pikepdf.Name.Image:
                    entries[name] = shared(value)
                elif isinstance(value, pikepdf.Stream) and \
                        value.get("/Subtype") == pikepdf.Name.Form:
                    group = value.get("/Group")
                    if group is not None and "/CS" in group:
                        group.CS = profiled(group.CS)
                    stack.append(value.get("/Resources"))
        fonts = resources.get("/Font")
        for font in (fonts.values() if fonts is not None else []):
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get("/FontDescriptor")
                if descriptor is None:
                    continue
                for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                    if key in descriptor:
                        descriptor[key] = shared(descriptor[key])


def _join_destinations(base: Any, documents: list[Any]) -> None:
    import pikepdf

    entries: dict[bytes, Any] = {}
    for index, document in enumerate(documents):
        names = document.Root.get("/Names")
        tree = names.get("/Dests") if names is not None else None
        if tree is None:
            continue
        for name, destination in pikepdf.NameTree(tree).items():
            key = name.encode("utf-8") if isinstance(name, str) else bytes(name)
            if key not in entries:
                entries[key] = destination if index == 0 else _copied(base, destination)
    if not entries:
        return
    flat = pikepdf.Array()
    for key in sorted(entries):
        flat.append(pikepdf.String(key))
        flat.append(entries[key])
    if "/Names" not in base.Root:
        base.Root.Names = pikepdf.Dictionary()
    base.Root.Names.Dests = base.make_indirect(pikepdf.Dictionary(Names=flat))


def _join_outlines(base: Any, documents: list[Any]) -> None:
    import pikepdf

    items = []
    for index, document in enumerate(documents):
        root = document.Root.get("/Outlines")
        if root is None or "/First" not in root:
            continue
        item = root.First
        while True:
            items.append(item if index == 0 else base.copy_foreign(item))
            if "/Next" not in item:
                break
            item = item.Next
    if not items:
        return
    root = base.Root.get("/Outlines")
    if root is None:
        root = base.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Outlines))
        base.Root.Outlines = root
    count = 0
    for position, item in enumerate(items):
        item.Parent = root
        if position:
            item.Prev = items[position - 1]
        elif "/Prev" in item:
            del item.Prev
        if position + 1 < len(items):
            item.Next = items[position + 1]
        elif "/Next" in item:
            del item.Next
        count += 1 + max(0, int(item.get("/Count", 0)))
    root.First, root.Last, root.Count = items[0], items[-1], count


def _join_structure(base: Any, documents: list[Any], counts: list[int]) -> None:
    import pikepdf

    roots = [document.Root.get("/StructTreeRoot") for document in documents]
    if roots[0] is None:
        return
    if any(root is None for root in roots):
        raise RuntimeError("some parts are tagged, others not")
    document_element = roots[0].K[0] if isinstance(roots[0].K, pikepdf.Array) \
        else roots[0].K
    total = sum(counts)
    next_key = total
    nums = pikepdf.Array()
    annotation_keys: list[dict[int, int]] = []
    id_names: dict[bytes, Any] = {}
    for index, root in enumerate(roots):
        first = sum(counts[:index])
        keys: dict[int, int] = {}
        values = list(pikepdf.NumberTree(root.ParentTree).items())
        for key, value in sorted(values, key=lambda pair: pair[0]):
            if key < counts[index]:
                nums.append(first + key)
            else:
                keys[key] = next_key
                nums.append(next_key)
                next_key += 1
            nums.append(value if index == 0 else _copied(base, value))
        annotation_keys.append(keys)
        if index:
            their = root.K[0] if isinstance(root.K, pikepdf.Array) else root.K
            for kid in their.K if isinstance(their.K, pikepdf.Array) else [their.K]:
                if isinstance(kid, pikepdf.Dictionary):
                    copied = _copied(base, kid)
                    copied.P = document_element
                    document_element.K.append(copied)
        if "/IDTree" in root:
            for name, element in pikepdf.NameTree(root.IDTree).items():
                ident = name.encode("utf-8") if isinstance(name, str) else bytes(name)
                id_names.setdefault(ident, element if index == 0 else _copied(base, element))
        if "/RoleMap" in root and index:
            role_map = roots[0].get("/RoleMap") or pikepdf.Dictionary()
            for name, value in root.RoleMap.items():
                if name not in role_map:
                    role_map[name] = value
            roots[0].RoleMap = role_map
    for number, page in enumerate(base.pages):
        part = max(i for i in range(len(counts)) if sum(counts[:i]) <= number) \
            if number else 0
        page.obj.StructParents = number
        for annotation in page.obj.get("/Annots", pikepdf.Array()):
            if "/StructParent" in annotation:
                old = int(annotation.StructParent)
                annotation.StructParent = annotation_keys[part].get(old, old)
    roots[0].ParentTree = base.make_indirect(pikepdf.Dictionary(Nums=nums))
    roots[0].ParentTreeNextKey = next_key
    if id_names:
        flat = pikepdf.Array()
        for ident in sorted(id_names):
            flat.append(pikepdf.String(ident))
            flat.append(id_names[ident])
        roots[0].IDTree = pikepdf.Dictionary(Names=flat)


def default_jobs() -> int:
    """The processes a build typesets in by default: the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
