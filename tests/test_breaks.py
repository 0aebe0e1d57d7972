"""Keep-together rules that give way instead of breaking the page: footnotes on the
page of their call, markers that restart, sidebars (facts, tiles) and quotes that
move whole to the next body page, a closing note that never stands alone, and
nothing of a chapter on the colophon page or an opener.

Each test builds a report as a user writes it (chapter.yaml blocks) with the same
content at several lengths, one chapter per length, so that some block falls at the
foot of a page whatever the fonts' metrics; it then reads the PDF's pages."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from almanac.pipeline import build
from almanac.project.theme import roots
from almanac.text.messages import catalogue

from conftest import copy_project
from pdfread import page_zones

WORDS = ("the report gives an account of the work of the year in figures and words teams "
         "districts partners cases hours budget staff training results targets policy "
         "safety region council plan progress review quality service").split()


def words(count: int, seed: int) -> str:
    """``count`` words of running text, the same for the same seed."""
    chosen = random.Random(seed)
    text = [chosen.choice(WORDS) for _ in range(count)]
    return " ".join(text).capitalize() + "."


def indent(text: str, by: int) -> str:
    return "\n".join(" " * by + line if line else line for line in text.splitlines())


def chapter(title: str, blocks: str, numbers: str = "") -> str:
    """A chapter.yaml of one section holding ``blocks`` (YAML list items)."""
    return (f"title: {title}\n{numbers}sections:\n  - title: Work\n    blocks:\n"
            f"{indent(blocks, 6)}\n")


def prose(text: str, footnotes: dict[str, str] | None = None) -> str:
    block = f"- type: prose\n  text: |\n{indent(text, 4)}\n"
    if footnotes:
        block += "  footnotes:\n" + "".join(f'    {k}: "{v}"\n' for k, v in footnotes.items())
    return block


def report_of(folder: Path, chapters: list[tuple[str, str]]) -> Path:
    """A copy of the sample project whose chapters are ``chapters`` (folder name,
    chapter.yaml text), in that order."""
    project = copy_project(folder)
    for old in (project / "chapters").iterdir():
        shutil.rmtree(old)
    for name, text in chapters:
        (project / "chapters" / name).mkdir()
        (project / "chapters" / name / "chapter.yaml").write_text(text, encoding="utf-8")
    manifest = project / "report.yaml"
    listed = "".join(f"  - {name}\n" for name, _ in chapters)
    text = re.sub(r"chapters:\n(  - .*\n)+", lambda _: f"chapters:\n{listed}",
                  manifest.read_text(encoding="utf-8"))
    manifest.write_text(text, encoding="utf-8")
    return project


class Pages:
    """The pages of a built report: text, and the kind of each page."""

    def __init__(self, pdf: Path):
        reader = PdfReader(pdf)
        self.zones = [page_zones(page) for page in reader.pages]
        self.text = [page.extract_text() for page in reader.pages]

    def where(self, token: str) -> list[int]:
        """The pages (from 1) whose text holds ``token``."""
        return [number for number, text in enumerate(self.text, start=1) if token in text]

    def body(self, number: int) -> bool:
        """A page of running text: it has the running footer inside its margins."""
        return bool(self.zones[number - 1][2].strip())


# --------------------------------------------------------------------------- footnotes

def footnote_chapter(length: int) -> str:
    """``length`` words, then a sentence whose call ``cN`` precedes the note ``nN``."""
    head = "\n\n".join(words(length // 3, seed) for seed in (1, 2)) + "\n\n" + \
        words(length - 2 * (length // 3), 3)
    return chapter(f"Notes {length}", prose(
        f"{head} The count c{length}[^yearly] is made each year. {words(40, 4)}",
        {"yearly": f"n{length} The targets are set anew each year."}))


MARKED = {  # chapter → number of notes: a long run of short chapters, and one of many notes
    **{f"{i:02d}-short": 3 for i in range(1, 12)}, "12-many": 8, "13-after": 2}


def marked_chapter(name: str, notes: int) -> str:
    """A chapter of ``notes`` notes; the call of note k follows the word ``q<name>k``."""
    tag = name.split("-")[0]
    text = " ".join(f"{words(30, k)} Seen q{tag}x{k}[^n{k}] here." for k in range(1, notes + 1))
    return chapter(f"Marks {name}", prose(text, {f"n{k}": f"Note {k}." for k in
                                                  range(1, notes + 1)}))


def paired_chapter() -> str:
    """A chapter of eight notes (so numbered) whose fourth and fifth calls stand side by
    side after the word ``qpair``."""
    text = " ".join(f"{words(30, k)} Seen q{k}[^n{k}] here." for k in (1, 2, 3))
    text += f" {words(30, 4)} Seen qpair[^n4][^n5] here. "
    text += " ".join(f"{words(30, k)} Seen q{k}[^n{k}] here." for k in (6, 7, 8))
    return chapter("Paired calls", prose(text, {f"n{k}": f"Note {k}." for k in range(1, 9)}))


@pytest.fixture(scope="module")
def noted(tmp_path_factory) -> Pages:
    lengths = range(450, 562, 8)  # the call moves down the page a line at a time
    chapters = [(f"{i:02d}-notes", footnote_chapter(n)) for i, n in enumerate(lengths, 1)]
    chapters += [(f"{len(chapters) + i:02d}-{name}", marked_chapter(name, count))
                 for i, (name, count) in enumerate(MARKED.items(), 1)]
    chapters += [(f"{len(chapters) + 1:02d}-paired", paired_chapter())]
    project = report_of(tmp_path_factory.mktemp("noted") / "project", chapters)
    return Pages(build(project).path)


def test_a_footnote_is_on_the_page_of_its_call(noted):
    for length in range(450, 562, 8):
        calls, notes = noted.where(f"c{length}"), noted.where(f"n{length} The targets")
        assert len(calls) == 1 and len(notes) == 1, (length, calls, notes)
        assert calls == notes, f"{length} words before the call: call on page {calls[0]}, " \
                               f"note on page {notes[0]}"


def test_footnote_markers_restart_in_each_chapter_and_a_chapter_of_many_is_numbered(noted):
    text = "\n".join(noted.text)
    symbols = "*†‡§‖¶"
    for name, count in MARKED.items():
        tag = name.split("-")[0]
        marks = [re.search(rf"q{tag}x{k}(\S*)", text) for k in range(1, count + 1)]
        assert all(marks), name
        found = [mark.group(1) for mark in marks]
        expected = list(symbols[:count]) if count <= len(symbols) else \
            [str(k) for k in range(1, count + 1)]
        assert found == expected, f"{name}: calls {found}"


def test_two_numbered_calls_side_by_side_are_set_apart(noted):
    # notes 4 and 5 of a numbered chapter: "4,5", which cannot be read as note 45
    text = "\n".join(noted.text)
    assert re.search(r"qpair(\S*)", text).group(1) == "4,5"


# --------------------------------------------------------------------------- sidebars

FACTS = 8


def facts(tag: str) -> str:
    items = "".join(f'    - "...fact {tag}i{k} tells something about the {WORDS[k]} of the '
                    f'year and the {WORDS[k + 9]} of the region."\n' for k in range(FACTS))
    return f"- type: facts\n  title: Did you know\n  items:\n{items}"


def tiles(tag: str) -> tuple[str, str]:
    numbers = "numbers:\n" + "".join(
        f"  {tag}t{k}: {{value: {k * 17 + 3}, unit: count, label: tile {k}}}\n"
        for k in range(3))
    block = "- type: kpis\n  items:\n" + "".join(
        f"    - {{number: {tag}t{k}, label: {tag}k{k} figure of the year}}\n" for k in range(3))
    return block, numbers


def quote(tag: str) -> str:
    return f'- type: quote\n  text: "{tag}w {words(55, 9)}"\n  source: A colleague\n'


def aside_chapter(kind: str, tag: str, length: int) -> str:
    """``length`` words, the aside, a short paragraph after it."""
    before = prose("\n\n".join(words(length // 2 + part * (length % 2), seed)
                               for part, seed in ((0, 1), (1, 2))))
    after = prose(words(30, 3))
    numbers = ""
    if kind == "facts":
        block = facts(tag)
    elif kind == "kpis":
        block, numbers = tiles(tag)
    else:
        block = quote(tag)
    return chapter(f"Aside {tag}", before + block + after, numbers)


def aside_tokens(kind: str, tag: str) -> list[str]:
    if kind == "facts":
        return [f"{tag}i{k} " for k in range(FACTS)]
    if kind == "kpis":
        return [f"{tag}k{k} " for k in range(3)]
    return [f"{tag}w "]


ASIDES = [(kind, f"{kind[0]}{length}", length) for kind in ("facts", "kpis", "quote")
          for length in range(340, 500, 40)]


@pytest.fixture(scope="module")
def asides(tmp_path_factory) -> Pages:
    """Every aside at lengths that bring it down the page; the last chapter a sidebar
    that starts near the foot of its page, right before the colophon."""
    chapters = [(f"{i:02d}-{tag}", aside_chapter(kind, tag, length))
                for i, (kind, tag, length) in enumerate(ASIDES, 1)]
    chapters.append(("99-last", aside_chapter("facts", "last", 420)))
    project = report_of(tmp_path_factory.mktemp("asides") / "project", chapters)
    return Pages(build(project).path)


@pytest.mark.parametrize("kind", ["facts", "kpis", "quote"])
def test_an_aside_that_fits_on_a_page_moves_whole_to_a_body_page(asides, kind):
    for aside_kind, tag, length in ASIDES + [("facts", "last", 420)]:
        if aside_kind != kind:
            continue
        pages = {token: asides.where(token) for token in aside_tokens(kind, tag)}
        found = sorted({page for where in pages.values() for page in where})
        assert all(len(where) == 1 for where in pages.values()), (tag, pages)
        assert len(found) == 1, f"{kind} after {length} words is split over pages {found}"
        assert asides.body(found[0]), f"{kind} {tag} on page {found[0]}, not a body page"


def test_nothing_of_the_last_chapter_is_on_the_colophon_page(asides):
    colophon = asides.text[-1]
    assert "lasti" not in colophon and "Did you know" not in colophon, colophon
    assert asides.where("lasti")[-1] < len(asides.text)


# --------------------------------------------------------------------------- notes

def note_chapter(length: int) -> str:
    before = prose("\n\n".join(words(length // 2 + part * (length % 2), seed)
                               for part, seed in ((0, 1), (1, 2))))
    note = f'- type: note\n  text: "Source z{length}: the yearly count of the region."\n'
    return chapter(f"Closing {length}", before + note)


def test_a_closing_note_keeps_the_last_lines_of_the_text_before_it(tmp_path):
    lengths = range(500, 572, 6)  # the note moves down the page a line at a time
    project = report_of(tmp_path / "project",
                        [(f"{i:02d}-closing", note_chapter(n)) for i, n in enumerate(lengths, 1)])
    pages = Pages(build(project).path)
    for length in lengths:
        where = pages.where(f"z{length}:")
        assert len(where) == 1, (length, where)
        body = pages.zones[where[0] - 1][1]
        before = body[:body.index(f"Source z{length}")]
        assert len(before.split()) > 3, f"the note after {length} words stands alone on " \
                                        f"page {where[0]}: {body!r}"


# --------------------------------------------------------------------------- long sidebars

def long_facts(tag: str, count: int) -> str:
    items = "".join(f'    - "...fact {tag}i{k} tells something about the {WORDS[k % 20]} of '
                    f'the year."\n' for k in range(count))
    return f"- type: facts\n  title: Did you know\n  items:\n{items}"


def test_a_sidebar_longer_than_a_page_continues_under_its_head_on_body_pages(tmp_path):
    """Tiles (at most 4 a block) always fit on a page; a sidebar of facts may not."""
    chapters = [
        ("01-facts", chapter("Long facts", prose(words(200, 1)) + long_facts("f", 70)
                             + prose(words(30, 3)))),
        ("02-last", chapter("Last facts", prose(words(420, 5)) + long_facts("l", 70))),
    ]
    project = report_of(tmp_path / "project", chapters)
    pages = Pages(build(project).path)
    continued = catalogue("nl", project, roots(project)).gettext(
        "%(title)s (continued)", title="Did you know")
    assert continued != "Did you know"
    for tag in ("f", "l"):
        where = {k: pages.where(f"{tag}i{k} ") for k in range(70)}
        assert all(len(found) == 1 for found in where.values()), (tag, where)
        spread = sorted({found[0] for found in where.values()})
        assert len(spread) > 1, f"sidebar {tag} fits on one page: the test needs a longer one"
        for page in spread:
            assert pages.body(page), f"sidebar {tag}: items on page {page}, not a body page"
        heads = [page for page in spread if continued in pages.text[page - 1]]
        assert heads == spread[1:], f"sidebar {tag} on pages {spread}, continued on {heads}"
    assert pages.where("li69 ")[0] < len(pages.text), "the sidebar's tail is on the colophon"
