"""`almanac build --family`: every member of a family built on Dask, each into its own
PDF, the same bytes as the member built alone; failures, lost workers and resumed runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from almanac.cli import main
from almanac.families.runner import build_family

from conftest import family_project

KEYS = ("NLD", "NOR", "PRT")


def pdfs(root: Path) -> dict[str, bytes]:
    """The family's PDFs by file name (output/<family folder>/<key>.pdf)."""
    return {path.name: path.read_bytes() for path in sorted((root / "output").rglob("*.pdf"))}


def text(pdf: Path) -> str:
    return " ".join(page.extract_text() for page in PdfReader(pdf).pages)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[str]:
    """A real Dask cluster on 127.0.0.1: a ``dask scheduler`` on a free port and two
    ``dask worker`` processes (one thread each, each with its own local directory).
    Each runs in a process group of its own, ended (and waited for) after the tests."""
    folder = tmp_path_factory.mktemp("cluster")
    scheduler_file = folder / "scheduler.json"
    dask = str(Path(sys.executable).with_name("dask"))  # distributed's command line
    started: list[subprocess.Popen] = []

    import almanac

    # the workers import this Almanac (installed, or the sources the tests run from)
    path = os.pathsep.join([str(Path(almanac.__file__).resolve().parents[1]),
                            *filter(None, [os.environ.get("PYTHONPATH")])])

    def start(*arguments: str) -> None:
        started.append(subprocess.Popen(
            [dask, *arguments], cwd=folder, start_new_session=True,
            env={**os.environ, "PYTHONPATH": path},
            stdout=subprocess.DEVNULL, stderr=open(folder / f"{len(started)}.log", "wb")))

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", "0",
              "--no-dashboard", "--scheduler-file", str(scheduler_file))
        for number in (1, 2):
            start("worker", "--scheduler-file", str(scheduler_file),
                  "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1",
                  "--local-directory", str(folder / f"worker-{number}"))
        from distributed import Client

        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        with Client(scheduler_file=str(scheduler_file), timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
            address = client.scheduler.address
        yield address
    finally:
        for process in reversed(started):
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in reversed(started):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def run(arguments: list[str], capsys) -> tuple[int, str, str]:
    code = main(arguments)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_members_alone_in_a_local_cluster_and_on_a_cluster_are_the_same_bytes(
        tmp_path, capsys, cluster, monkeypatch):
    alone = family_project(tmp_path, "alone")
    for key in KEYS:
        assert run(["build", "--member", key, str(alone)], capsys)[0] == 0
    local = family_project(tmp_path, "local")
    monkeypatch.chdir(local)  # the project is the current folder
    code, out, _ = run(["build", "--family", "--workers", "2", "-q"], capsys)
    monkeypatch.undo()
    assert code == 0
    assert "3 built, 0 from cache, 0 failed" in out
    assert [line.split()[-1] for line in out.splitlines()[1:4]] == \
        [f"output/country-profile-2007/{key}.pdf" for key in KEYS]
    remote = family_project(tmp_path, "remote")
    code, out, _ = run(["build", "--family", "--scheduler", cluster, "--json",
                        str(remote)], capsys)
    assert code == 0
    summary = json.loads(out)
    assert [(m["key"], m["status"]) for m in summary["members"]] == \
        [(key, "built") for key in KEYS]
    made = pdfs(alone)
    assert sorted(made) == [f"{key}.pdf" for key in KEYS]
    assert pdfs(local) == made
    assert pdfs(remote) == made
    # the charts the cluster's workers drew came back into the project's chart store
    assert sorted(p.name for p in (remote / ".almanac-cache" / "charts").glob("*.svg")) == \
        sorted(p.name for p in (alone / ".almanac-cache" / "charts").glob("*.svg"))


@pytest.mark.slow
def test_a_failing_member_fails_alone_with_its_message(tmp_path, capsys, cluster):
    root = family_project(tmp_path)
    data = root / "chapters" / "01-profile" / "data" / "NOR.csv"
    lines = data.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].split(",")[0] + ",many"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run(["build", "--family", "--scheduler", cluster, str(root)], capsys)
    assert code == 1
    assert "chapters/01-profile/data/NOR.csv:3" in err and "member NOR" in err
    assert "NOR" in err.splitlines()[-1] and "1 member failed" in err
    assert "2 built, 0 from cache, 1 failed" in out
    assert sorted(pdfs(root)) == ["NLD.pdf", "PRT.pdf"]


@pytest.mark.slow
def test_a_worker_killed_mid_build_has_its_member_built_elsewhere(tmp_path, cluster):
    from distributed import Client

    root = family_project(tmp_path)
    with Client(cluster, timeout="30s") as client:
        pids = client.run(os.getpid)
        outcome: dict = {}
        thread = threading.Thread(target=lambda: outcome.update(
            run=build_family(root, scheduler=cluster)))
        thread.start()
        killed = None
        deadline = time.monotonic() + 120
        while killed is None and thread.is_alive() and time.monotonic() < deadline:
            busy = [worker for worker, keys in client.processing().items()
                    if any(str(key).startswith("almanac-member-") for key in keys)]
            if busy:
                killed = pids[busy[0]]
                os.kill(killed, signal.SIGKILL)
            else:
                time.sleep(0.02)
        thread.join(timeout=300)
        client.wait_for_workers(2, timeout=60)  # the nanny started it again
        assert killed is not None, "no worker was seen building a member"
        assert killed not in client.run(os.getpid).values()  # a new process in its place
    family = outcome["run"]
    assert [(r.key, r.status) for r in family.results] == [(key, "built") for key in KEYS], \
        [r.problems for r in family.results]
    assert all(PdfReader(r.output).pages for r in family.results)


@pytest.mark.slow
def test_a_resumed_run_rebuilds_only_the_members_whose_inputs_changed(tmp_path, capsys,
                                                                        cluster):
    root = family_project(tmp_path)
    assert run(["build", "--family", "--scheduler", cluster, "-q", str(root)], capsys)[0] == 0
    before = pdfs(root)
    table = root / "data" / "members.csv"
    table.write_text(table.read_text(encoding="utf-8").replace("16570613", "16570999"),
                     encoding="utf-8")
    history = root / "chapters" / "01-profile" / "data" / "PRT.csv"
    history.write_text(history.read_text(encoding="utf-8").replace("78.10", "78.90"),
                       encoding="utf-8")
    code, out, _ = run(["build", "--family", "--scheduler", cluster, "--json", str(root)],
                       capsys)
    assert code == 0
    statuses = {m["key"]: m["status"] for m in json.loads(out)["members"]}
    assert statuses == {"NLD": "built", "NOR": "cached", "PRT": "built"}
    after = pdfs(root)
    assert after["NOR.pdf"] == before["NOR.pdf"]
    assert after["NLD.pdf"] != before["NLD.pdf"] and after["PRT.pdf"] != before["PRT.pdf"]
    assert "16,570,999" in text(next((root / "output").rglob("NLD.pdf")))
    # and a third run builds nothing, and still says each PDF's pages
    code, out, _ = run(["build", "--family", "--scheduler", cluster, "--json", str(root)],
                       capsys)
    members = json.loads(out)["members"]
    assert {m["status"] for m in members} == {"cached"}
    assert [m["pages"] for m in members] == [
        len(PdfReader(root / m["pdf"]).pages) for m in members]


def test_family_options_without_family_are_a_usage_error(tmp_path, capsys):
    root = family_project(tmp_path)
    code, _, err = run(["build", "--members", "NLD", str(root)], capsys)
    assert code == 2 and "--members only go with --family" in err
    code, _, err = run(["build", "--family", "-o", str(tmp_path / "x.pdf"), str(root)], capsys)
    assert code == 2 and "leave out -o" in err
    for address in ("nonsense", "tcp://10.0.0.5", "tcp://10.0.0.5:99999", "10.0.0.5:87/x"):
        with pytest.raises(SystemExit) as exited:
            main(["build", "--family", "--scheduler", address, str(root)])
        assert exited.value.code == 2
        assert f"not a scheduler address: '{address}' (write tcp://HOST:PORT" \
            in capsys.readouterr().err
    assert not (root / "output").exists()


def test_an_unknown_member_is_named_before_anything_is_built(tmp_path, capsys):
    root = family_project(tmp_path)
    code, _, err = run(["build", "--family", "--members", "NLD,NRO", str(root)], capsys)
    assert code == 1
    assert "no member 'NRO'" in err and "'NOR'" in err
    assert not (root / "output").exists()


def test_a_report_that_is_no_family_is_refused(tmp_path, capsys, project):
    code, _, err = run(["build", "--family", str(project)], capsys)
    assert code == 1 and "not a family" in err and "family.yaml" in err


@pytest.mark.slow
def test_publish_family_archives_each_member_as_an_edition_that_verifies(tmp_path, capsys):
    root = family_project(tmp_path)
    code, out, _ = run(["publish", "--family", "-q", str(root)], capsys)
    assert code == 0
    editions = [Path(line) for line in out.splitlines()]
    assert [path.parent.name for path in editions] == list(KEYS)
    assert all(path.parent.parent == root / "editions" / "2007" / "1.0" for path in editions)
    nor = editions[1]
    manifest = json.loads((nor.parent / "manifest.json").read_text(encoding="utf-8"))
    inputs = [item["path"] for item in manifest["inputs"]]
    assert "chapters/01-profile/data/NOR.csv" in inputs and "family.yaml" in inputs
    assert not any(name.endswith(("NLD.csv", "PRT.csv")) for name in inputs)
    code, out, _ = run(["verify", str(nor)], capsys)
    assert code == 0 and "pages rebuilt identical" in out
    code, out, _ = run(["editions", "--json", str(root)], capsys)
    assert code == 0
    assert [(e["member"], e["status"]) for e in json.loads(out)] == \
        [(key, "verified") for key in KEYS]
    # the same inputs again: every member's edition stays as it is
    code, out, err = run(["publish", "--family", "-q", str(root)], capsys)
    assert code == 0 and [Path(line) for line in out.splitlines()] == editions


def test_every_worker_gets_the_shared_files_and_a_task_only_its_members_own(tmp_path):
    """What is broadcast to every worker holds no member's own file (a per-member
    series); each task carries its member's own files and no other's, and together
    they are exactly the files the member is built from."""
    from almanac.families.runner import plan
    from almanac.pipeline import BuildOptions
    from almanac.project.family import load_family

    root = family_project(tmp_path).resolve()
    family = load_family(root)
    assert family is not None
    files, planned = plan(root, family, None, BuildOptions())
    shared = files.shared_only()
    own = {key: (root / name).read_bytes() for key in KEYS
           for name in files.members[key]}
    assert own and all(files.members[key] for key in KEYS)
    assert not set(shared.blobs.values()) & set(own.values())
    for key in KEYS:
        task = files.own(key)
        others = {name for other in KEYS if other != key for name in files.members[other]}
        assert not others & set(task.members[key])
        joined = shared.joined(task)
        assert joined.files_of(key) == files.files_of(key)
        assert all(sha in joined.blobs for sha in joined.files_of(key).values())
