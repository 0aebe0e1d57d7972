"""Build every member of a family, in parallel, on Dask's distributed scheduler.

:func:`build_family` plans one task per member and language, skips those built
already with the same inputs (:mod:`.state`), sends the project's files to the
workers once (:mod:`.files`), runs :func:`~.task.build_member` for the others with
``Client.submit`` and collects them with ``as_completed``, writing each PDF as it
comes back through one :class:`~almanac.stages.output.Writer` (atomic; an earlier
PDF is never damaged). Without a scheduler address the work runs on a
``distributed.LocalCluster`` of process workers, one thread each, in this machine's
cores; with ``tcp://HOST:PORT`` on that cluster. A worker that dies has its tasks
run again elsewhere (the scheduler's documented behaviour for a lost worker, up to
``distributed.scheduler.allowed-failures`` times): the task is pure, and only the
client writes.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import Problem, ReportError
from ..pipeline import KEPT, BuildOptions, load
from ..project.family import FAMILY, Family, load_family
from ..project.parts import CACHE, MANIFEST
from ..stages.chartpool import ChartWorkers
from ..stages.charts import CACHE_DIR
from ..stages.output import Writer, check_output_folder, write_file
from .files import ProjectFiles, digest, family_sources, project_files
from .state import input_hash, read_state, tool_versions, unchanged, write_state
from .task import MemberBuilt, MemberTask, build_member

WORKERS = CACHE / "family" / "workers"
"""The local cluster's ``local_directory``, relative to the project."""
SERIAL = CACHE / "family" / "serial"
"""Where a serial run keeps its member folder, relative to the project."""


@dataclass(frozen=True)
class MemberResult:
    """One member's outcome: ``status`` is ``built``, ``cached`` (its inputs and PDF
    unchanged since the last run) or ``failed`` (``problems`` formatted, each naming
    the member); ``output`` the PDF; ``seconds`` its build time on a worker."""

    key: str
    language: str | None
    status: str
    output: Path | None = None
    pages: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.key if self.language is None else f"{self.key}/{self.language}"


@dataclass
class FamilyRun:
    """What :func:`build_family` did: a result per member and language (in the
    member table's order), the run's wall time (s), where it ran."""

    results: list[MemberResult]
    seconds: float
    scheduler: str
    dashboard: str | None = None

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result.status == status)

    @property
    def failed(self) -> list[MemberResult]:
        return [result for result in self.results if result.status == "failed"]

    def as_json(self, root: Path) -> dict[str, Any]:
        """The summary as JSON-ready data: the counts, the time and each member."""
        return {
            "built": self.count("built"), "cached": self.count("cached"),
            "failed": self.count("failed"), "seconds": round(self.seconds, 3),
            "scheduler": self.scheduler, "dashboard": self.dashboard,
            "members": [{
                "key": result.key, "language": result.language, "status": result.status,
                "pdf": str(result.output.relative_to(root)) if result.output else None,
                "pages": result.pages, "seconds": round(result.seconds, 3),
                "problems": result.problems} for result in self.results]}


class Progress:
    """What a run says while it runs (nothing, here): :meth:`start` with the number
    of tasks to build and those from cache, :meth:`advance` after each, :meth:`stop`."""

    def start(self, total: int, cached: int, dashboard: str | None) -> None:
        """The run starts: ``total`` members to build, ``cached`` skipped."""

    def advance(self, result: MemberResult) -> None:
        """One member is done (built or failed)."""

    def stop(self) -> None:
        """The run is over."""


@dataclass(frozen=True)
class Planned:
    task: MemberTask
    inputs: str  # the member's input hash (state.input_hash)


def plan(root: Path, family: Family, keys: list[str] | None, options: BuildOptions
         ) -> tuple[ProjectFiles, list[Planned]]:
    """The family's files and one task per member (``keys``: those members, in that
    order; None: all) and language: the member's ``language`` column when the family
    has one, else every language of the report (or ``options.language``). A key
    that is no member is a ReportError (did-you-mean, :meth:`Family.member`)."""
    members = [family.member(key) for key in dict.fromkeys(keys)] if keys \
        else list(family.members)  # a key named twice is built once
    shared, per_member = family_sources(root, [family.path, family.table_path],
                                 {member.key: family.member_files(member)
                                  for member in family.members})
    files = project_files(root, shared, per_member)
    tools = tool_versions()
    column = family.spec.language
    languages: list[str | None] = [options.language]
    if column is None and options.language is None:
        languages = _languages(root, members[0].key) if members else [None]
    # the member table counts by the member's own row (its fields): a change to
    # another member's row does not make this one's inputs change
    table = family.table_path.relative_to(root).as_posix()
    planned = []
    for member in members:
        own = {name: sha for name, sha in files.files_of(member.key).items() if name != table}
        for language in ([str(member.fields.get(column) or "") or None] if column
                         else languages):
            inputs = input_hash(own, dict(member.fields),
                                member.key, language, options, tools)
            planned.append(Planned(MemberTask(member.key, language, options), inputs))
    return files, planned


def _languages(root: Path, key: str) -> list[str | None]:
    """Every language of the report (None: it has one), read as a member loads it."""
    try:
        report = load(root, None, member=key)
    except ReportError:  # that member's own build says what is wrong
        return [None]
    return list(report.languages) if report.multilingual else [None]


def build_family(root: Path | str, *, keys: list[str] | None = None,
                 options: BuildOptions | None = None, scheduler: str | None = None,
                 workers: int | None = None, serial: bool = False,
                 progress: Progress | None = None) -> FamilyRun:
    """Build the members of the family in ``root`` (see the module docstring).

    ``keys`` selects members (default all); ``scheduler`` is a Dask scheduler's
    address (``tcp://HOST:PORT``; default a LocalCluster of ``workers`` processes,
    default one per core); ``serial`` builds in this process, one after the other,
    without Dask (the same task, for comparison). Each PDF goes to its
    :func:`~almanac.pipeline.default_output`. A member that fails does not stop the
    others: its problems are in its result. ReportError for a project that is not a
    family, an unknown key, a scheduler that cannot be reached.
    """
    start = time.perf_counter()
    root = Path(root).resolve()  # as the family names its files
    options = options or BuildOptions()
    progress = progress or Progress()
    family = load_family(root)
    if family is None:
        raise ReportError(Problem(
            f"the report is not a family: there is no {FAMILY} beside {MANIFEST}",
            root / MANIFEST, None, f"declare the members in {FAMILY}, or build the report "
            "with `almanac build`"))
    check_output_folder(root, KEPT)
    files, planned = plan(root, family, keys, options)
    state = read_state(root)
    results: dict[str, MemberResult] = {}
    todo = []
    for item in planned:
        entry = state.get(item.task.name)
        if unchanged(root, entry, item.inputs):
            assert entry is not None
            results[item.task.name] = MemberResult(item.task.key, item.task.language,
                                                   "cached", root / entry["output"],
                                                   int(entry.get("pages", 0)))
        else:
            todo.append(item)
    collect = _Collector(root, state, progress)
    if serial or not todo:
        progress.start(len(todo), len(planned) - len(todo), None)
        home = str((root / SERIAL).resolve())
        try:
            with ChartWorkers() as pool:  # one warm chart worker for the whole run
                for item in todo:
                    built = build_member(files, replace(item.task, home=home), workers=pool)
                    results[item.task.name] = collect(item, built)
        finally:
            collect.save()
            progress.stop()
        return FamilyRun([results[item.task.name] for item in planned],
                         time.perf_counter() - start, "serial" if todo else "none")
    with _client(root, scheduler, workers) as client:
        dashboard = _dashboard(client)
        progress.start(len(todo), len(planned) - len(todo), dashboard)
        try:
            results.update(_run(client, files, todo, collect))
        finally:
            collect.save()
            progress.stop()
        where = scheduler or f"local ({len(client.scheduler_info()['workers'])} workers)"
    return FamilyRun([results[item.task.name] for item in planned],
                     time.perf_counter() - start, where, dashboard)


LOST_TRIES = 3
"""How many times a member whose task was lost (its worker, or the project's files on
the workers, gone) is submitted again, beyond the scheduler's own rescheduling."""


def _run(client: Any, files: ProjectFiles, todo: list[Planned],
         collect: Callable[[Planned, MemberBuilt | BaseException], MemberResult]
         ) -> dict[str, MemberResult]:
    from concurrent.futures import CancelledError

    from distributed import as_completed
    from distributed.comm.core import CommClosedError
    from distributed.scheduler import KilledWorker

    def scatter() -> Any:
        # the shared files once per worker: one value, copied to every worker now
        try:
            return client.scatter(shared, broadcast=True, hash=False)
        except Exception as exc:  # the scheduler unpickles it: it needs Almanac too
            if "almanac" not in str(exc):
                raise
            raise ReportError(Problem(
                f"the Dask cluster cannot run Almanac: {exc}", None, None,
                "install the same version of Almanac on the scheduler and every worker")
            ) from None

    def submit(item: Planned, attempt: int) -> Any:
        name = item.task.name.replace("/", "-")
        return client.submit(build_member, bundle, item.task, files.own(item.task.key),
                             pure=False,
                             key=f"almanac-member-{name}-{item.inputs[:16]}-{attempt}")

    shared = files.shared_only()
    bundle = scatter()
    futures = {submit(item, 0): item for item in todo}
    tries: dict[str, int] = {}
    results = {}
    running = as_completed(futures)
    for future in running:
        item = futures.pop(future)
        try:
            outcome: MemberBuilt | BaseException = future.result()
        except (CancelledError, KilledWorker, CommClosedError) as exc:
            # lost, not failed: the task is pure and only this process writes, so it is
            # simply run again (the files scattered again if no worker holds them)
            tries[item.task.name] = tries.get(item.task.name, 0) + 1
            if tries[item.task.name] <= LOST_TRIES:
                if bundle.status != "finished":
                    bundle = scatter()
                again = submit(item, tries[item.task.name])
                futures[again] = item
                running.add(again)
                future.release()
                continue
            outcome = exc
        except Exception as exc:  # a bug in the build
            outcome = exc
        future.release()
        results[item.task.name] = collect(item, outcome)
    return results


class _Collector:
    """Writes what comes back: each PDF (one Writer, atomic), new chart SVGs into the
    project's chart store, and the state, at most once a second and at the end."""

    def __init__(self, root: Path, state: dict[str, dict[str, str]], progress: Progress):
        self.root, self.state, self.progress = root, state, progress
        self.writer = Writer(root)
        self.saved = time.monotonic()

    def __call__(self, item: Planned, built: MemberBuilt | BaseException) -> MemberResult:
        task = item.task
        if isinstance(built, BaseException):
            result = MemberResult(task.key, task.language, "failed", problems=[
                f"member {task.key}: {type(built).__name__}: {built}"])
        elif built.problems or built.output is None:
            result = MemberResult(task.key, task.language, "failed", seconds=built.seconds,
                                  problems=[problem.format(self.root)
                                            for problem in built.problems])
        else:
            store = self.root / CACHE_DIR
            for name, svg in built.charts.items():
                if not (store / name).exists():
                    write_file(store / name, svg, self.root, durable=False)
            target = self.writer.file(self.root / built.output, built.pdf)
            self.state[task.name] = {"inputs": item.inputs, "pdf": digest(built.pdf),
                                     "output": built.output, "pages": str(built.pages)}
            result = MemberResult(task.key, task.language, "built", target, built.pages,
                                  built.seconds, warnings=built.warnings)
        if result.status == "failed":
            self.state.pop(task.name, None)
        if time.monotonic() - self.saved > 1:
            self.save()
        self.progress.advance(result)
        return result

    def save(self) -> None:
        write_state(self.root, self.state)
        self.saved = time.monotonic()


class _client:
    """A Dask client for the run, and the local cluster it made (closed after)."""

    def __init__(self, root: Path, scheduler: str | None, workers: int | None):
        self.root, self.scheduler, self.workers = root, scheduler, workers
        self.cluster: Any = None

    def __enter__(self) -> Any:
        from distributed import Client, LocalCluster

        if self.scheduler is not None:
            try:
                self.client = Client(self.scheduler, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise ReportError(Problem(
                    f"cannot reach the Dask scheduler at {self.scheduler}: {exc}", None, None,
                    "start it (`dask scheduler`) and its workers, or check the address "
                    "(tcp://HOST:PORT)")) from None
            return self.client
        import dask

        folder = self.root / WORKERS
        folder.mkdir(parents=True, exist_ok=True)
        # the worker's sampling profiler (every 10 ms) costs a build CPU for a dashboard
        # page; the nanny hands this setting to the worker processes it starts
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            self.cluster = LocalCluster(
                n_workers=self.workers or os.cpu_count() or 1, threads_per_worker=1,
                processes=True, local_directory=str(folder.resolve()),
                dashboard_address=":0",  # a free port: never a clash with another cluster
                silence_logs=logging.ERROR)
        self.client = Client(self.cluster)
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _has_dashboard() -> bool:
    """Whether Dask can serve its dashboard (it needs bokeh)."""
    import importlib.util

    return importlib.util.find_spec("bokeh") is not None


def _dashboard(client: Any) -> str | None:
    if not _has_dashboard():
        return None
    try:
        return str(client.dashboard_link)
    except Exception:  # no dashboard is served
        return None
