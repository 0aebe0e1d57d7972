"""The designer's loop: a live preview of the report in the browser.

``almanac preview`` builds the report, serves its pages as images in a spread
view on a loopback address, watches the project's sources and rebuilds on every
change; open tabs refresh themselves through server-sent events. A build error
is shown in the page with its file and line while the last good pages stay.

Each build runs in a fresh process of the build server (buildserver.py), so
the preview's memory stays flat and a crashing or hanging build is an error
shown in the page. The pages are drawn in a thread of their own while the next
build may already run.

Only the preview page, its state, the page images and the PDF are served —
never a file of the project or of the machine — so a request for
``/../../etc/passwd`` simply finds no route.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from . import buildserver
from .buildserver import BuildCrashed, BuildServer
from .errors import Problem, ReportError
from .pipeline import check_report, render_pdf

WATCHED = ("report.yaml", "styles", "layout", "chapters", "figures")
DPI = 72
RASTER_TIMEOUT = 120  # seconds for one pdftoppm run
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
        return {"version": self.version, "building": self.building, "title": self.title,
                "pages": [{"number": n, "url": f"/page/{n}.png?v={h[:16]}"}
                          for n, h in enumerate(self.pages, 1)],
                "chapters": self.chapters, "error": self.error, "warnings": self.warnings,
                "seconds": round(self.seconds, 2)}


class Preview:
    """Builds the report (or one chapter) and keeps its pages as PNG images."""

    def __init__(self, root: Path | str, chapter: str | None = None, dpi: int = DPI):
        self.root = Path(root).resolve()
        self.chapter = chapter
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
        self._server = BuildServer(warm=_warm) if buildserver.available() else None

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
                    made = self._server.call(_build, self.root, self.chapter,
                                             timeout=BUILD_TIMEOUT)
                else:
                    made = _build(self.root, self.chapter)
            except BuildCrashed as exc:
                if self._server.stopped:  # the server itself died: a new one next time
                    self._server = BuildServer(warm=_warm)
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
                generation, pdf, hashes = self._job
                self._job = None
            try:
                complete = self._rasterise(generation, pdf, hashes)
            except (OSError, subprocess.SubprocessError) as exc:
                complete = True
                self._publish(error=[_problem(Problem(
                    f"could not draw the pages: {exc}",
                    hint="is poppler-utils (pdftoppm) installed?"), self.root)])
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
            with ThreadPoolExecutor(max_workers=2) as pool:  # one pdftoppm per core
                for drawn in pool.map(lambda run: self._draw(source, *run), _runs(missing)):
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
                return self._pdftoppm(source, first, last)
        return self._pdftoppm(source, first, last)

    def _pdftoppm(self, source: Path, first: int, last: int) -> tuple[int, int, list[bytes]]:
        prefix = self._workdir / f"{source.stem}-p{first}"
        subprocess.run(["pdftoppm", "-f", str(first), "-l", str(last), "-r", str(self.dpi),
                        "-png", str(source), str(prefix)], check=True,
                       timeout=RASTER_TIMEOUT, capture_output=True)
        files = sorted(self._workdir.glob(f"{prefix.name}-*.png"),
                       key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        images = [p.read_bytes() for p in files]
        for path in files:
            path.unlink()
        return first, last, images

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
        """Rebuild whenever a source changes, until ``stop`` is set."""
        from watchfiles import watch

        paths = [self.root / name for name in WATCHED if (self.root / name).exists()]
        for _ in watch(*paths, stop_event=stop, debounce=20, step=10,
                       watch_filter=_source_filter, yield_on_timeout=False,
                       raise_interrupt=False):
            self.rebuild(wait=False)

    def close(self) -> None:
        import shutil

        if self._server is not None:
            self._server.close()
        with self.changed:
            self._closed = True
            self.changed.notify_all()
        if self._drawer is not None:
            self._drawer.join(timeout=RASTER_TIMEOUT)
        shutil.rmtree(self._workdir, ignore_errors=True)


def _build(root: Path, chapter: str | None) -> dict:
    """One build of the preview (in the build server's child): the PDF, a hash per
    page, the chapters; or the problems, ready for the browser."""
    try:
        report = check_report(root)
        template = "report.html"
        if chapter is not None:
            report = _only_chapter(report, chapter)
            template = "chapter-preview.html"
        made = render_pdf(report, template=template, parallel=buildserver.available())
        hashes, chapters = _analyse(made.pdf)
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
    return {"file": shown, "line": problem.line, "where": problem.where,
            "message": problem.message, "hint": problem.hint}


# A page that takes WeasyPrint through what a report needs: hyphenation in Dutch, an
# SVG image with text, a table, a positioned box, a link, a bookmark.
_WARM_PAGE = """<html lang="nl"><style>
  @page { size: A4; @top-right { content: counter(page) } }
  p { width: 18mm; hyphens: auto; } .box { position: absolute; right: 0; width: 20mm; }
</style><h1>Jaarverslag</h1><p>Arbeidsongeschiktheidsverzekering en
<a href="#t">politieorganisatie</a></p><div class="box">Wist je dat</div>
<img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='40'
 height='20'%3E%3Cpath d='M0 0L9 9' stroke='red'/%3E%3Crect width='5' height='5'
 fill='%2315396B' opacity='.5'/%3E%3Ctext x='1' y='15'%3E6,3%3C/text%3E%3C/svg%3E">
<table id="t"><thead><tr><th>Norm</th></tr></thead><tbody><tr><td>19</td></tr></tbody>
</table></html>"""


def _warm() -> None:
    """In the build server: load and exercise what every build needs (WeasyPrint's
    layout, drawing and hyphenation, pypdf, Babel's Dutch data), so no build pays
    for it: a build forked from a cold server takes 0.3 s longer."""
    import weasyprint

    from . import inspect, typeset  # noqa: F401 — imported by each build otherwise
    from .formatting import Formatter

    Formatter("nl").decimal(1234.5)
    _analyse(weasyprint.HTML(string=_WARM_PAGE).write_pdf())


def _source_filter(change, path: str) -> bool:
    parts = Path(path).parts
    return not any(part.startswith(".") or part == "__pycache__" for part in parts)


def _only_chapter(report, slug: str):
    chosen = [c for c in report.chapters if c.slug == slug]
    if not chosen:
        known = ", ".join(c.slug for c in report.chapters)
        raise ReportError(Problem(f"no chapter '{slug}'", report.root / "report.yaml",
                                  hint=f"use one of: {known}"))
    return report.model_copy(update={"chapters": chosen})


def _runs(numbers: list[int], size: int = 4) -> list[tuple[int, int]]:
    """Consecutive page numbers as (first, last) runs of at most ``size`` pages, in
    page order: the first changed page alone, so that it is shown first."""
    runs: list[list[int]] = []
    for number in numbers:
        if len(runs) > 1 and number == runs[-1][1] + 1 \
                and runs[-1][1] - runs[-1][0] + 1 < size:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return [tuple(run) for run in runs]


def _analyse(pdf: bytes) -> tuple[list[str], list[dict]]:
    """Per page, a hash of what it draws (its content stream and the images and forms
    it uses, as stored); and the chapters with their first page, from the outline."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    hashes = []
    for page in reader.pages:
        digest = hashlib.sha256()
        contents = page.get("/Contents")
        contents = contents.get_object() if contents is not None else []
        for stream in contents if isinstance(contents, list) else [contents]:
            digest.update(stream.get_object().get_data())
        _hash_resources(page.get("/Resources"), digest, set())
        hashes.append(digest.hexdigest())
    chapters = [{"title": item.title, "page": reader.get_destination_page_number(item) + 1}
                for item in reader.outline if not isinstance(item, list)]
    return hashes, chapters


def _hash_resources(resources, digest, seen: set) -> None:
    if resources is None:
        return
    resources = resources.get_object()
    for name, ref in sorted((resources.get("/XObject") or {}).items()):
        xobject = ref.get_object()
        if id(xobject) in seen:
            continue
        seen.add(id(xobject))
        digest.update(name.encode() + xobject.get_data())
        _hash_resources(xobject.get("/Resources"), digest, seen)
    for name in ("/ExtGState", "/Pattern", "/Shading"):
        digest.update(repr(sorted((resources.get(name) or {}).keys())).encode())


# ---------------------------------------------------------------------- the server

def make_server(preview: Preview, host: str = "127.0.0.1", port: int = 8765,
                stop: threading.Event | None = None) -> ThreadingHTTPServer:
    """An HTTP server for ``preview``; ``serve_forever()`` it in a thread."""
    stop = stop or threading.Event()

    class Handler(BaseHTTPRequestHandler):
        server_version = "Almanac"

        def log_message(self, *args):  # quiet: the terminal shows builds, not requests
            pass

        def do_GET(self):  # noqa: N802 (the http.server API)
            path = urlsplit(self.path).path
            if path == "/":
                self._send(200, "text/html; charset=utf-8", PAGE.encode())
            elif path == "/state.json":
                with preview.changed:
                    body = json.dumps(preview.state.to_json()).encode()
                self._send(200, "application/json", body)
            elif path == "/events":
                self._events()
            elif path == "/report.pdf" and preview.pdf:
                self._send(200, "application/pdf", preview.pdf)
            elif path.startswith("/page/") and path.endswith(".png") \
                    and path[6:-4].isdigit():
                png = preview.page(int(path[6:-4]))
                if png is None:
                    self._send(404, "text/plain", b"no such page")
                else:
                    self._send(200, "image/png", png, cache=True)
            else:
                self._send(404, "text/plain; charset=utf-8", b"not found")

        def _send(self, status: int, kind: str, body: bytes, cache: bool = False):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "max-age=31536000, immutable" if cache
                             else "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            self.wfile.write(body)

        def _events(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            seen = -1
            try:
                while not stop.is_set():
                    with preview.changed:
                        if preview.state.version == seen:
                            preview.changed.wait(timeout=10)
                        version = preview.state.version
                        building = preview.state.building
                    if version != seen:
                        seen = version
                        data = json.dumps({"version": version, "building": building})
                        self.wfile.write(f"event: build\ndata: {data}\n\n".encode())
                    else:
                        self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

    server = Server((host, port), Handler)
    return server


def serve(root: Path, *, host: str = "127.0.0.1", port: int = 8765,
          chapter: str | None = None, announce=print) -> None:
    """Run the preview until interrupted (Ctrl-C)."""
    preview = Preview(root, chapter)
    stop = threading.Event()
    server = make_server(preview, host, port, stop)
    address = f"http://{host}:{server.server_address[1]}/"
    announce(f"Preview of {preview.root} at {address} (Ctrl-C to stop)")
    threads = [threading.Thread(target=server.serve_forever, daemon=True),
               threading.Thread(target=preview.watch, args=(stop,), daemon=True)]
    for thread in threads:
        thread.start()
    try:
        state = preview.rebuild()
        announce(f"built in {state.seconds:.1f} s" if state.error is None else
                 f"build failed: {state.error[0]['message']}")
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        with preview.changed:
            preview.changed.notify_all()
        server.shutdown()
        server.server_close()
        preview.close()


PAGE = r"""<!DOCTYPE html>
<html lang="nl"><head><meta charset="utf-8"><title>Almanac preview</title>
<style>
  :root { --zoom: 1; }
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: #5b6470; color: #1c2430; }
  header { position: sticky; top: 0; z-index: 2; display: flex; gap: 16px; align-items: center;
           padding: 8px 16px; background: #1c2430; color: #fff; }
  header h1 { font-size: 15px; margin: 0 12px 0 0; }
  header select, header input { font: inherit; }
  header a { color: #e0a526; }
  #status { margin-left: auto; font-size: 12px; opacity: .8; }
  #error { display: none; margin: 16px; padding: 12px 16px; background: #fde8e6;
           border-left: 6px solid #b3261e; white-space: pre-wrap; font: 13px/1.5 monospace; }
  #error.shown { display: block; }
  #warnings { display: none; margin: 16px; padding: 8px 16px; background: #fff6dc;
              border-left: 6px solid #e0a526; white-space: pre-wrap; font: 12px/1.5 monospace; }
  #warnings.shown { display: block; }
  main { padding: 24px 16px 64px; display: flex; flex-direction: column; align-items: center;
         gap: 24px; }
  .spread { display: flex; gap: 2px; justify-content: center; }
  .page { background: #fff; box-shadow: 0 2px 10px rgba(0,0,0,.35); position: relative; }
  .page img { display: block; width: calc(420px * var(--zoom)); height: auto; }
  .page.blank { visibility: hidden; }
  .number { position: absolute; bottom: -20px; width: 100%; text-align: center;
            color: #e8ecf1; font-size: 12px; }
</style></head>
<body>
<header>
  <h1 id="title">Almanac</h1>
  <label>Hoofdstuk <select id="chapters"></select></label>
  <label>Zoom <input id="zoom" type="range" min="0.5" max="2.5" step="0.1" value="1"></label>
  <a href="/report.pdf" target="_blank">PDF</a>
  <span id="status">…</span>
</header>
<div id="error" role="alert"></div>
<div id="warnings"></div>
<main id="pages"></main>
<script>
const pages = document.getElementById('pages');
let version = -1;
function spreads(list) {
  // As in print: page 1 is a right-hand page, then left + right pairs.
  const groups = [[null, list[0]]];
  for (let i = 1; i < list.length; i += 2) groups.push([list[i], list[i + 1] || null]);
  return list.length ? groups : [];
}
function render(state) {
  document.getElementById('title').textContent = state.title || 'Almanac';
  const status = document.getElementById('status');
  status.textContent = state.building ? 'bouwen…' :
    (state.error ? 'fout in de laatste bouw' : 'gebouwd in ' + state.seconds + ' s');
  const error = document.getElementById('error');
  if (state.error) {
    error.textContent = state.error.map(p =>
      (p.file ? p.file + (p.line ? ':' + p.line : '') + ': ' : '') +
      (p.where ? p.where + ': ' : '') + p.message + (p.hint ? '\n    fix: ' + p.hint : '')
    ).join('\n');
    error.classList.add('shown');
  } else { error.classList.remove('shown'); error.textContent = ''; }
  const warnings = document.getElementById('warnings');
  warnings.textContent = (state.warnings || []).join('\n');
  warnings.classList.toggle('shown', !state.error && (state.warnings || []).length > 0);
  if (state.error || !state.pages.length) return;  // keep the last good pages
  const groups = spreads(state.pages);
  while (pages.children.length > groups.length) pages.lastChild.remove();
  groups.forEach((group, index) => {
    let spread = pages.children[index];
    if (!spread) { spread = document.createElement('div'); spread.className = 'spread';
                   pages.appendChild(spread); }
    group.forEach((page, side) => {
      let box = spread.children[side];
      if (!box) { box = document.createElement('div'); box.className = 'page';
                  box.innerHTML = '<img alt=""><span class="number"></span>';
                  spread.appendChild(box); }
      box.classList.toggle('blank', !page);
      if (!page) return;
      box.id = 'page-' + page.number;
      const img = box.querySelector('img');
      if (img.getAttribute('src') !== page.url) {
        img.setAttribute('src', page.url); img.alt = 'pagina ' + page.number; }
      box.querySelector('.number').textContent = page.number;
    });
  });
  const select = document.getElementById('chapters');
  select.innerHTML = state.chapters.map(c =>
    '<option value="' + c.page + '">' + c.title.replace(/</g, '&lt;') + '</option>').join('');
}
async function refresh() {
  const state = await (await fetch('/state.json')).json();
  if (state.version !== version) { version = state.version; render(state); }
}
document.getElementById('chapters').onchange = e =>
  document.getElementById('page-' + e.target.value)?.scrollIntoView({block: 'start'});
document.getElementById('zoom').oninput = e =>
  document.documentElement.style.setProperty('--zoom', e.target.value);
const events = new EventSource('/events');
events.addEventListener('build', refresh);
refresh();
</script>
</body></html>
"""
