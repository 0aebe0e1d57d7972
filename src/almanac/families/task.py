"""One member's build, as a pure task a Dask worker runs.

:func:`build_member` takes the family's files (:class:`~.files.ProjectFiles`) and
one :class:`MemberTask`, builds the member in a folder of the worker's own, and
returns a :class:`MemberBuilt`: the PDF's bytes and where it goes, or the member's
problems. It writes nothing the client reads: the client writes each PDF once, via
the one writer (:class:`~almanac.stages.output.Writer`). Run twice (a worker that
died mid-build has its task run again elsewhere: Dask's scheduler reschedules the
tasks of a lost worker), it returns the same bytes.

The charts of a process's builds are drawn by warm chart workers
(:class:`~almanac.stages.chartpool.ChartWorkers`, one pool per process:
:func:`chart_workers`), so a Dask worker pays the start of Altair and vl-convert
once, not per member; each build's figure modules are forgotten before the next.
"""

from __future__ import annotations

import atexit
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import Problem, ReportError
from ..pipeline import BuildOptions, default_output, load, make_pdf
from ..stages.chartpool import ChartWorkers
from ..stages.charts import CACHE_DIR
from .files import ProjectFiles, member_folder

_POOL: ChartWorkers | None = None
_POOL_LOCK = threading.Lock()


def chart_workers() -> ChartWorkers:
    """This process's pool of warm chart workers, made at its first use and closed
    when the process exits (``atexit``; a worker also ends when its process dies:
    :mod:`~almanac.stages.chartpool`)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ChartWorkers()
        return _POOL


def close_chart_workers() -> None:
    """End this process's warm chart workers (:func:`chart_workers`); the next build
    starts a new pool. For a process that is done building, or that reads the CPU time
    and memory of its finished children (``getrusage(RUSAGE_CHILDREN)``)."""
    global _POOL
    with _POOL_LOCK:
        pool, _POOL = _POOL, None
    if pool is not None:
        pool.close()


@dataclass(frozen=True)
class MemberTask:
    """What to build: the member ``key`` in ``language`` (None: the report's main
    language) with ``options`` (``html_output`` is not used). ``home`` is the folder
    the worker keeps member folders in (None: beside the worker's local directory,
    ``distributed.get_worker().local_directory``)."""

    key: str
    language: str | None
    options: BuildOptions
    home: str | None = None

    @property
    def name(self) -> str:
        """``KEY`` or ``KEY/LANGUAGE``: the member's name in messages and the summary."""
        return self.key if self.language is None else f"{self.key}/{self.language}"


@dataclass(frozen=True)
class MemberBuilt:
    """What one member's build gave.

    ``output`` is the PDF's path relative to the project (POSIX,
    :func:`~almanac.pipeline.default_output`) and ``pdf`` its bytes; ``problems``
    the member's problems instead (their paths relative to the project). ``charts``
    holds the chart SVGs the build drew (store name → bytes), for the client's chart
    store. ``seconds`` is the build's wall time on the worker."""

    key: str
    language: str | None
    output: str | None = None
    pdf: bytes = field(default=b"", repr=False)
    pages: int = 0
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    charts: dict[str, bytes] = field(default_factory=dict, repr=False)
    seconds: float = 0.0


def worker_home() -> Path:
    """The folder member folders are kept in on this worker: ``almanac`` beside the
    worker's local directory (Dask makes ``<local-directory>/dask-scratch-space/
    worker-<id>`` and removes it when the worker stops; its parent stays, so the
    member folders and their chart store are reused by the next run); the current
    folder's ``.almanac-cache/family/serial`` outside a worker."""
    try:
        from distributed import get_worker

        return Path(get_worker().local_directory).parent / "almanac"
    except (ImportError, ValueError):  # not in a worker
        return Path.cwd() / ".almanac-cache" / "family" / "serial"


def _charts(root: Path) -> set[str]:
    store = root / CACHE_DIR
    return {path.name for path in store.glob("*.svg")} if store.is_dir() else set()


def build_member(files: ProjectFiles, task: MemberTask,
                 own: ProjectFiles | None = None,
                 workers: ChartWorkers | None = None) -> MemberBuilt:
    """Build the member of ``task`` from ``files`` and its ``own`` files, when they
    travel apart (:meth:`~.files.ProjectFiles.own`; see the module docstring), its
    charts drawn by ``workers`` (default: this process's pool, :func:`chart_workers`);
    its problems (:class:`~almanac.errors.ReportError`) are returned, not raised, each
    naming the member key; any other exception is raised (a bug: Dask reports it)."""
    start = time.perf_counter()
    if own is not None:
        files = files.joined(own)
    home = Path(task.home) if task.home is not None else worker_home()
    with member_folder(files, task.key, home) as root:
        before = _charts(root)
        try:
            report = load(root, task.language, member=task.key)
            options = replace(task.options, language=task.language, member=task.key,
                              html_output=None)
            made = make_pdf(report, options,
                            chart_workers=workers if workers is not None else chart_workers())
        except ReportError as exc:
            return MemberBuilt(task.key, task.language,
                               problems=[_relative(problem, root, task.key)
                                         for problem in exc.problems],
                               seconds=time.perf_counter() - start)
        drawn = {name: (root / CACHE_DIR / name).read_bytes()
                 for name in sorted(_charts(root) - before)}
        output = default_output(report, options.variant).relative_to(root).as_posix()
    return MemberBuilt(task.key, task.language, output, made.pdf, made.pages,
                       [warning.replace(str(root) + "/", "") for warning in made.warnings],
                       charts=drawn, seconds=time.perf_counter() - start)


def _relative(problem: Problem, root: Path, key: str) -> Problem:
    """``problem`` with its path relative to the member folder ``root`` (the same
    path in the user's project) and the member key in its message."""
    path = problem.path
    if path is not None and Path(path).is_absolute() and Path(path).is_relative_to(root):
        path = Path(path).relative_to(root)
    message = problem.message if key in problem.message else f"member {key}: {problem.message}"
    return replace(problem, path=path, message=message)


atexit.register(close_chart_workers)  # a process's warm chart workers end as it exits
