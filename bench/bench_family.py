"""What building a family on Dask costs and gains, in one run:

- **throughput**: a family of ``--members`` members (default 100), made by this
  script from the test family's pattern (a profile chapter with a number from the
  member's row, a per-member series drawn as a chart, a shared table), built
  serially in this process (the same task as on a worker, one after the other) and
  on a LocalCluster of one worker process per core: members per minute and the
  ratio (target: at least 1.7× on two cores), once each runner has built
  ``WARM_UP`` members (a long run's steady rate; the warm-up's time is printed too);
- **per-member overhead**: a member's build time on a worker in the family run
  against one build of the same member alone (``pipeline.build(member=…)``, in a warm
  process, its charts not cached; target: at most 1.1×), and the same on a cluster of
  one worker (the family's machinery without two workers sharing the cores);
- **memory**: the peak resident memory of each worker process and of the chart
  processes it started (``getrusage(2)``'s ``ru_maxrss``; the warm chart processes
  are ended first, so that they count);
- **CPU per member**: user and system time of the serial process and of the workers
  (with their chart processes) per member: what the rates would be on idle cores,
  whatever else the machine runs;
- **scheduler overhead**: the wall time per task of ``--tiny`` tasks that do
  nothing, submitted at once to the same cluster.

    python bench/bench_family.py [--members 100] [--tiny 2000]
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from almanac.families.runner import WORKERS, FamilyRun, build_family
from almanac.families.task import close_chart_workers
from almanac.pipeline import build
from almanac.reporter import BufferReporter

from _project import copy_project

PATTERN = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "family"
"""The test family: its report.yaml, family.yaml and chapter are the pattern."""


def make_family(target: Path, members: int) -> Path:
    """A family of ``members`` members in ``target``: the pattern's report, brand and
    chapter, a member table ``M000``… with varied numbers, a per-member series of
    life expectancy by year for each (every member's chart is its own) and the shared
    GDP table with every member's rows."""
    root = copy_project(PATTERN, target)
    (root / "family.yaml").write_text((PATTERN / "family.yaml").read_text(encoding="utf-8"),
                                      encoding="utf-8")
    data = root / "chapters" / "01-profile" / "data"
    for path in data.glob("*.csv"):
        path.unlink()
    rows = ["code,name,population,life_expectancy"]
    gdp = ["country,year,gdp"]
    for index in range(members):
        code = f"M{index:03d}"
        rows.append(f"{code},Member {index},{1_000_000 + index * 7919},"
                    f"{60 + index % 25 + 0.123:.3f}")
        series = ["year,life expectancy"] + [
            f"{year},{55 + (index % 17) + (year - 1952) * 0.2 + (index % 5) * 0.1:.2f}"
            for year in range(1952, 2008, 5)]
        (data / f"{code}.csv").write_text("\n".join(series) + "\n", encoding="utf-8")
        gdp += [f"Member {index},{year},{20000 + index * 311 + (year - 1997) * 120:.2f}"
                for year in (1997, 2007)]
    (data / "gdp.csv").write_text("\n".join(gdp) + "\n", encoding="utf-8")
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "members.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return root


def rate(run: FamilyRun) -> float:
    """Members built a minute in ``run`` (members from cache, built by the warm-up
    run before it, are not counted); every member must have been built."""
    built = run.count("built")
    assert not run.failed, [r.problems for r in run.failed][:1]
    return built / (run.seconds / 60)


WARM_UP = 4
"""Members built before the measured run, by the same runner (serial or on the
cluster): the imports, the first layout and the warm chart process of each process
are then paid, as in a long run, and the measured run builds the other members."""


def cpu_seconds() -> float:
    """The CPU time (user and system, s) of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def worker_memory() -> tuple[float, float]:
    """This process's peak resident memory and its children's, in MiB (Linux: KiB)."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def nothing(value: int) -> int:
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--tiny", type=int, default=2000)
    arguments = parser.parse_args()
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    import dask
    from distributed import Client, LocalCluster

    cores = os.cpu_count() or 1
    before = os.getloadavg()[0]  # other work on the machine takes cores from both runs
    with tempfile.TemporaryDirectory() as scratch:
        serial_root = make_family(Path(scratch) / "serial", arguments.members)
        cluster_root = make_family(Path(scratch) / "cluster", arguments.members)
        alone_root = make_family(Path(scratch) / "alone", arguments.members)
        build(alone_root, member="M000", reporter=BufferReporter())  # imports warm
        alone = []
        for key in ("M001", "M002", "M003"):
            start = time.perf_counter()
            build(alone_root, member=key, reporter=BufferReporter())
            alone.append(time.perf_counter() - start)

        warm = [f"M{index:03d}" for index in range(WARM_UP)]
        start = time.perf_counter()
        build_family(serial_root, serial=True, keys=warm)
        warm_serial = time.perf_counter() - start
        spent = cpu_seconds()
        serial = build_family(serial_root, serial=True)
        serial_cpu = (cpu_seconds() - spent) / serial.count("built")
        folder = cluster_root / WORKERS
        folder.mkdir(parents=True)
        with dask.config.set({"distributed.worker.profile.enabled": False}), \
                LocalCluster(n_workers=cores, threads_per_worker=1, processes=True,
                          local_directory=str(folder), dashboard_address=":0",
                          silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            # cold: the workers' imports, first layouts and chart processes
            cold = build_family(cluster_root, scheduler=cluster.scheduler_address, keys=warm)
            spent = sum(client.run(cpu_seconds).values())
            parallel = build_family(cluster_root, scheduler=cluster.scheduler_address)
            # the workers' warm chart processes ended, so that their CPU time and
            # memory count among the workers' finished children
            client.run(close_chart_workers)
            parallel_cpu = (sum(client.run(cpu_seconds).values()) - spent) \
                / parallel.count("built")
            memory = client.run(worker_memory)
            client.run(nothing, 0)
            start = time.perf_counter()
            futures = client.map(nothing, range(arguments.tiny), pure=False)
            client.gather(futures)
            tiny = (time.perf_counter() - start) / arguments.tiny
            del futures
        # the overhead of the family machinery alone, without two workers sharing two
        # cores: one worker, a few members, against the same members built alone
        single_root = make_family(Path(scratch) / "single", arguments.members)
        folder = single_root / WORKERS
        folder.mkdir(parents=True)
        with dask.config.set({"distributed.worker.profile.enabled": False}), \
                LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                          local_directory=str(folder), dashboard_address=":0",
                          silence_logs=logging.ERROR) as cluster:
            single = build_family(single_root, scheduler=cluster.scheduler_address,
                                  keys=["M000", "M001", "M002", "M003"])
    on_worker = statistics.median(r.seconds for r in parallel.results if r.status == "built")
    print(f"members: {arguments.members}, cores: {cores}, load average (1 min) "
          f"{before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"warm-up, {WARM_UP} members first: serial {warm_serial:.1f} s, on the cluster "
          f"{cold.seconds:.1f} s (each worker's imports, first layout, chart process)")
    print(f"serial, one process:   {rate(serial):7.1f} members/min "
          f"({serial.count('built')} members in {serial.seconds:.1f} s)")
    print(f"LocalCluster ({cores} workers): {rate(parallel):7.1f} members/min "
          f"({parallel.count('built')} in {parallel.seconds:.1f} s)  ratio "
          f"{rate(parallel) / rate(serial):.2f}× "
          f"(target ≥ 1.7×)")
    print(f"per member: {on_worker:.2f} s on a worker (median) vs {statistics.median(alone):.2f}"
          f" s alone (median of 3)  ratio {on_worker / statistics.median(alone):.2f}× "
          f"(target ≤ 1.1×)")
    one = statistics.median(r.seconds for r in single.results[1:])  # M000: imports
    print(f"per member, one worker alone: {one:.2f} s (median of M001-M003) vs "
          f"{statistics.median(alone):.2f} s alone  ratio {one / statistics.median(alone):.2f}×")
    print(f"CPU per member: {serial_cpu:.2f} s serial, {parallel_cpu:.2f} s on the workers: "
          f"on {cores} idle cores at most {cores * serial_cpu / parallel_cpu:.2f}× "
          f"the serial rate if the serial run used one core")
    print(f"serial per member (median): "
          f"{statistics.median(r.seconds for r in serial.results if r.status == 'built'):.2f} s")
    for address, (own, children) in memory.items():
        print(f"worker {address}: peak {own:.0f} MiB, its chart processes {children:.0f} MiB")
    print(f"scheduler overhead: {tiny * 1000:.2f} ms per task ({arguments.tiny} tiny tasks)")


if __name__ == "__main__":
    main()
