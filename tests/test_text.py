"""Every paragraph of the seed report is in the PDF, in Dutch, in its order."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from conftest import SEED
from pdfread import page_zones, squash

# Lines of the seed that were running page labels in the original layout: in the
# PDF they are the running header of the chapter's pages.
RUNNING_LABELS = {"MARKANT 2021"}
# Lines that were the parts of the original's graphic KPI tiles ("100" / "miljoen €").
TILE_FRAGMENTS = {"6,3%", "100", "30", "51", "miljoen €", "afgepakt n.a.v.",
                  "crypto-onderzoeken"}
# The seed's NB line is the note to "jaarlijks*": a footnote, printed at the foot of
# the page that calls it (after that page's text).
FOOTNOTES = {"**NB: De doelstellingen waarover gerapporteerd kunnen daarom per jaar "
             "verschillend zijn*": "jaarlijks*, na overleg met de regioburgemeesters"}
# The photo description stands for a photo: it is the photo's (Dutch) alt text.
PHOTO_DESCRIPTION = re.compile(r"^An aerial photograph of a village")


def seed_paragraphs() -> list[str]:
    lines = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line]


def classify(paragraphs):
    body, labels, tiles, photos = [], [], [], []
    for text in paragraphs:
        if text in RUNNING_LABELS:
            labels.append(text)
        elif text in FOOTNOTES:
            continue
        elif text in TILE_FRAGMENTS:
            tiles.append(text)
        elif PHOTO_DESCRIPTION.match(text):
            photos.append(text)
        else:
            body.append(text)
    return body, labels, tiles, photos


@pytest.fixture(scope="module")
def zones(reader):
    return [page_zones(page) for page in reader.pages]


@pytest.fixture(scope="module")
def body_text(zones) -> str:
    return squash("".join(body for _, body, _ in zones))


@pytest.fixture(scope="module")
def page_bodies(zones) -> list[str]:
    return [squash(body) for _, body, _ in zones]


def find_from(pages: list[str], needle: str, page: int, offset: int):
    """Where ``needle`` ends, searching from (page, offset) on; a paragraph may run
    over a page break, where the next page can open with a sidebar painted first."""
    for index in range(page, len(pages)):
        text, start = pages[index], offset if index == page else 0
        found = text.find(needle, start)
        if found >= 0:
            return index, found + len(needle)
        if index + 1 < len(pages):
            for cut in range(len(needle) - 1, 0, -1):
                head = needle[:cut]
                if text.endswith(head) and len(text) - cut >= start:
                    rest = pages[index + 1].find(needle[cut:])
                    if rest >= 0:
                        return index + 1, rest + len(needle) - cut
    return None


def test_the_seed_is_the_fixture():
    body, labels, tiles, photos = classify(seed_paragraphs())
    assert len(body) == 140
    assert labels == ["MARKANT 2021", "MARKANT 2021"]
    assert len(tiles) == 9 and len(photos) == 1


def test_every_seed_paragraph_appears_in_order(page_bodies):
    body, *_ = classify(seed_paragraphs())
    missing, position = [], (0, 0)
    for paragraph in body:
        needle = squash(paragraph)
        found = find_from(page_bodies, needle, *position)
        if found is None:
            elsewhere = find_from(page_bodies, needle, 0, 0)
            missing.append(f"{'out of order' if elsewhere else 'missing'}: {paragraph[:80]}")
            continue
        position = found
    assert not missing, "\n".join(missing)


def test_footnotes_are_on_the_page_of_their_call(page_bodies):
    for note, call in FOOTNOTES.items():
        assert note in SEED.read_text(encoding="utf-8")
        note_pages = [i for i, body in enumerate(page_bodies) if squash(note) in body]
        call_pages = [i for i, body in enumerate(page_bodies) if squash(call) in body]
        assert note_pages and note_pages == call_pages, (note_pages, call_pages)


def test_running_labels_are_running_headers(zones):
    headers = [squash(header) for header, _, _ in zones]
    assert sum(squash("Markant 2021") in header for header in headers) >= 2


def test_kpi_tiles_show_the_highlighted_figures(body_text):
    for tile in ("6,3%", "€ 100 miljoen", "€ 30 miljoen", "€ 51 miljoen",
                 "afgepakt n.a.v. crypto-onderzoeken"):
        assert squash(tile) in body_text, tile


def test_numbers_are_formatted_in_dutch(reader):
    text = " ".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ")
    for figure in ("6,3%", "€ 100 miljoen", "€ 6,2 miljoen", "10,5", "2,6", "norm 2021: 19"):
        assert figure in text.casefold(), figure
    assert "6.3" not in text and "100000000" not in text


def _figures(node, found: list[str]) -> list[str]:
    """The /Alt of every /Figure element under a structure element, in order."""
    node = node.get_object()
    if node.get("/S") == "/Figure":
        found.append(str(node.get("/Alt") or ""))
    kids = node.get("/K")
    for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
        kid = kid.get_object()
        if hasattr(kid, "get") and "/S" in kid:  # structure elements, not content items
            _figures(kid, found)
    return found


def test_photo_descriptions_are_the_alt_text_of_the_tagged_pdf(published, report):
    """In the tagged (archival) PDF every figure has alternate text; the photos have
    their descriptions from the data, in reading order, and the charts their captions."""
    _, pdf = published
    tree = PdfReader(pdf).trailer["/Root"]["/StructTreeRoot"]
    alts = [" ".join(alt.split()) for alt in _figures(tree, [])]
    assert alts and all(alts), alts
    photos = [report.manifest.cover] + [
        photo for chapter in report.chapters
        for photo in [chapter.data.opener] + [block for section in chapter.data.sections
                                              for block in section.blocks
                                              if block.type == "photo"] if photo is not None]
    described = [" ".join(photo.description.split()) for photo in photos]
    captions = [" ".join(block.caption.split()) for chapter in report.chapters
                for section in chapter.data.sections for block in section.blocks
                if block.type == "figure"]
    charts = [alt for alt in alts if any(caption in alt for caption in captions)]
    assert [alt for alt in alts if alt not in charts] == described
    # a chart's: its kind, then its caption (then its values: tests/test_chart_text.py)
    assert len(charts) == len(captions)
    for alt, caption in zip(charts, captions):
        assert re.match(rf"(Staaf|Kolom|Lijn)diagram\. {re.escape(caption)}\. ", alt), alt


def test_illustrative_charts_are_labelled_on_the_page(zones):
    pages = [squash(body) for _, body, _ in zones]
    labelled = [i for i, text in enumerate(pages) if "voorbeeldgegevens" in text
                and any(word in text for word in ("woninginbraken", "straatroven", "overvallen"))]
    assert labelled, "the High Impact Crime charts say they show sample data"
    text = "".join(pages)
    assert text.count("voorbeeldgegevens") >= 3 * 2  # badge and note on each of three charts
