"""Fuzzing the archive side: random bytes, and copies of a real published edition
mutated byte by byte (flipped, truncated, spliced) or in its structure (with
pypdf: cyclic /Kids, resources that refer to themselves, embedded names and
manifests of any shape, wrong /Length, XMP of any bytes), given to ``verify``,
``extract``, ``diff`` and ``editions``. Each command ends in a message with exit
0 or 1, never an exception; ``extract`` writes nothing outside its target.

The commands run in the test's own process (``almanac.cli.main``), with an alarm
as the guard against a hang (it fails the example; it decides nothing else).
The edition is a one-chapter report published once per run: it has every part
of an edition (PDF/A-3a, the tagged structure, the fonts, every source embedded)
at a fifth of the sample's reading time, so the examples fit in about 30 s.
Hypothesis runs derandomized (the same examples each run); a failure it finds is
kept above its test as an ``@example``. (For a longer hunt, raise ``max_examples``
and set ``derandomize`` False for a run: 400 random files and 300 mutated
editions found nothing when these tests were written.)
"""

from __future__ import annotations

import hashlib
import json
import re
import signal
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, reject, settings
from hypothesis import strategies as st

from almanac.editions.sources import SOURCES_MANIFEST

from conftest import _shared, almanac, copy_project, cut_to
from hostile_pdf import (
    add_embedded,
    clone,
    cyclic_kids,
    cyclic_kids_deep,
    manifest,
    names_array,
    recursive_resources,
    rename,
    self_resources,
    set_manifest,
    set_raw,
    set_xmp,
    written,
)

HANG = 120  # seconds: an example still running then is a hang (a failure)
FUZZ = {"deadline": None, "database": None, "derandomize": True, "print_blob": True,
        "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                                  HealthCheck.function_scoped_fixture,
                                  HealthCheck.large_base_example]}


def _publish_small(folder: Path) -> dict:
    project = cut_to(copy_project(folder / "project"), ("01-voorwoord",))
    result = almanac("publish", str(project))
    assert result.returncode == 0, result.stderr
    return {"pdf": result.stdout.strip()}


@pytest.fixture(scope="session")
def fuzz_edition(tmp_path_factory, worker_id) -> bytes:
    """The bytes of a one-chapter edition, published once per run."""
    _, record = _shared(tmp_path_factory, worker_id, "fuzz-edition", _publish_small)
    return Path(record["pdf"]).read_bytes()


@contextmanager
def hang_guard():
    def stop(signum, frame):
        raise TimeoutError(f"still running after {HANG} s: a hang")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(HANG)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def commands_end_in_messages(cli, intact: bytes, body: bytes) -> None:
    """verify, extract, diff and editions on ``body``: exit 0 or 1 with a message,
    agreeing with each other; extract writes only into its target."""
    with tempfile.TemporaryDirectory() as tmp, hang_guard():
        work = Path(tmp)
        pdf = work / "in" / "edition.pdf"
        pdf.parent.mkdir()
        pdf.write_bytes(body)
        checked = cli("verify", "--quick", str(pdf))  # reading it (a rebuild: ~15 s each)
        assert checked.returncode in (0, 1), checked
        last = checked.stdout.rstrip().splitlines()[-1]
        if checked.returncode == 0:
            assert last.endswith(": intact (the file's own checks; pages not checked: "
                                 "--quick)") and "FAIL" not in checked.stdout
        else:
            # damaged, or intact with only rules of the claimed standards broken
            assert last.endswith((": NOT intact", "does not conform to the standards it "
                                  "claims")) and "\nFAIL " in "\n" + checked.stdout

        target = work / "out" / "target"
        extracted = cli("extract", str(pdf), str(target))
        assert extracted.returncode in (0, 1), extracted
        if extracted.returncode == 1:
            assert checked.returncode == 1 and "fix:" in extracted.stderr
            assert not (work / "out").exists()
        else:
            assert [p.name for p in (work / "out").iterdir()] == ["target"]
        assert sorted(p.name for p in work.iterdir()) == \
            (["in", "out"] if extracted.returncode == 0 else ["in"])  # nothing else

        (work / "intact.pdf").write_bytes(intact)
        compared = cli("diff", str(pdf), str(work / "intact.pdf"))
        assert compared.returncode in (0, 1), compared
        if extracted.returncode == 1:
            assert compared.returncode == 1
        if compared.returncode == 1:  # the edition, or a source in it, is named
            assert f"{pdf}: " in compared.stderr and not compared.stdout
        else:
            assert compared.stdout.startswith("edition ")

        folder = work / "root" / "output" / "2021" / "1.0"
        folder.mkdir(parents=True)
        (folder / "edition.pdf").write_bytes(body)
        (folder / "manifest.json").write_text(json.dumps({
            "format": "almanac-edition/1", "edition": {"version": "1.0", "date": "2022-05-01"},
            "inputs": [], "pdf": {"file": "edition.pdf", "size": len(body),
                                  "sha256": hashlib.sha256(body).hexdigest(),
                                  "pages": _pages(checked.stdout)}}))
        listed = cli("editions", str(work / "root"), "--json")
        assert listed.returncode in (0, 1), listed
        [entry] = json.loads(listed.stdout)
        assert (entry["status"] == "verified") == (checked.returncode == 0), entry


def _pages(verify_output: str) -> int:
    found = re.search(r"readable PDF: (\d+) pages", verify_output)
    return int(found.group(1)) if found else 0


# ---- random bytes

@example(body=b"")
@example(body=b"%PDF-1.7\n")
@example(body=b"%PDF-1.7\ntrailer<</Root 1 0 R>>\n1 0 obj<</Names<</EmbeddedFiles 1 0 R>>>>"
         b"endobj\n")  # a catalog that is its own name tree
@settings(max_examples=30, **FUZZ)
@given(body=st.one_of(st.binary(max_size=2048),
                      st.binary(max_size=2048).map(lambda b: b"%PDF-1.7\n" + b)))
def test_random_bytes_end_in_a_message(fuzz_edition, cli, body):
    commands_end_in_messages(cli, fuzz_edition, body)


# ---- byte mutations of a real edition

@st.composite
def byte_mutations(draw, size: int) -> list[tuple]:
    kinds = st.sampled_from(["flip", "truncate", "splice", "delete", "length"])
    steps = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(kinds)
        at = draw(st.integers(0, size - 1))
        if kind == "flip":
            steps.append(("flip", at, draw(st.integers(1, 255))))
        elif kind == "truncate":
            steps.append(("truncate", at))
        elif kind in ("splice", "delete"):
            steps.append((kind, at, draw(st.integers(1, 4096)), draw(st.integers(0, size - 1))))
        else:
            steps.append(("length", draw(st.integers(0, 40)),
                          draw(st.sampled_from(["0", "-1", "1", "99999999999", "1e9", "x"]))))
    return steps


def apply_bytes(data: bytes, steps: list[tuple]) -> bytes:
    body = bytearray(data)
    for step in steps:
        if not body:
            break
        kind, at = step[0], step[1] % max(len(body), 1)
        if kind == "flip":
            body[at] ^= step[2]
        elif kind == "truncate":
            del body[at:]
        elif kind == "splice":  # a run of bytes (objects, parts of them) copied elsewhere
            body[step[3] % len(body):step[3] % len(body)] = body[at:at + step[2]]
        elif kind == "delete":
            del body[at:at + step[2]]
        else:  # the n-th /Length given another value
            lengths = list(re.finditer(rb"/Length \d+", body))
            if lengths:
                found = lengths[step[1] % len(lengths)]
                body[found.start():found.end()] = b"/Length " + step[2].encode()
    return bytes(body)


@example(steps=[("length", 0, "99999999999")])
@example(steps=[("truncate", 2_000)])
@settings(max_examples=6, **FUZZ)
@given(steps=byte_mutations(400_000))
@pytest.mark.slow
def test_an_edition_with_bytes_changed_ends_in_a_message(fuzz_edition, cli, steps):
    commands_end_in_messages(cli, fuzz_edition, apply_bytes(fuzz_edition, steps))


# ---- structural mutations of a real edition, with pypdf

NAMES = st.one_of(
    st.sampled_from([".", "..", "/abs", "a/../../b", "chapters/../../b", "chapters/a\0b",
                     "chapters\\a", "report.yaml", "chapters", "chapters/01-voorwoord",
                     "styles/.hidden", "styles/" + "x" * 300, "almanac-sources.json", ""]),
    st.text(max_size=30))
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


@st.composite
def structural(draw) -> Callable:
    """One change to the edition's object graph (returned as a function of a writer)."""
    kind = draw(st.sampled_from(["kids", "kids-back", "resources", "self-resources", "rename",
                                 "manifest-value", "manifest-field", "xmp", "add", "raw"]))
    if kind == "kids":
        return cyclic_kids
    if kind == "kids-back":
        return cyclic_kids_deep
    if kind == "resources":
        fan, depth = draw(st.integers(1, 3)), draw(st.integers(1, 40))
        return lambda w: recursive_resources(w, fan_out=fan, depth=depth)
    if kind == "self-resources":
        return self_resources
    if kind == "rename":
        new, index, listed = draw(NAMES), draw(st.integers(0, 100)), draw(st.booleans())

        def change(w):
            names = names_array(w)
            old = str(names[2 * (index % (len(names) // 2))])
            rename(w, old, new, in_manifest=listed and old != SOURCES_MANIFEST)
        return change
    if kind == "manifest-value":
        value = draw(JSON)
        return lambda w: set_manifest(w, value)
    if kind == "manifest-field":
        key = draw(st.sampled_from(["format", "edition", "inputs", "path", "sha256", "size"]))
        value = draw(JSON)

        def change(w):
            data = manifest(w)
            if key in ("path", "sha256", "size"):
                data["inputs"][0][key] = value
            else:
                data[key] = value
            set_manifest(w, data)
        return change
    if kind == "xmp":
        body = draw(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
        return lambda w: set_xmp(w, body)
    if kind == "add":
        name, body, listed = draw(NAMES), draw(st.binary(max_size=64)), draw(st.booleans())
        return lambda w: add_embedded(w, name, body, in_manifest=listed)
    raw, target = draw(st.binary(max_size=64)), draw(st.sampled_from(["report.yaml",
                                                                     SOURCES_MANIFEST]))
    return lambda w: set_raw(w, target, raw)


@settings(max_examples=6, **FUZZ)
@given(change=structural())
@pytest.mark.slow
def test_an_edition_with_its_structure_changed_ends_in_a_message(fuzz_edition, cli, change):
    writer = clone(fuzz_edition)
    try:
        change(writer)
        body = written(writer)
    except (KeyError, IndexError, ValueError, TypeError):  # the change does not apply
        reject()
    commands_end_in_messages(cli, fuzz_edition, body)
