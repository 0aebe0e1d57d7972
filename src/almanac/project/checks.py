"""Cross-checks of a loaded project: what one file alone cannot tell.

Every number is defined once and every reference (number, figure, table,
footnote, series) points at something that exists; a table's columns exist in
its series; images, fonts and the colour profile are real files inside the
project, within their limits; every figure block names a figure module. Each
check returns problems (file, line, fix) and raises nothing.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from ..errors import Problem
from .files import Refused, confine
from .model import Brand, Chapter, ChapterData, Photo, references
from .parts import CHAPTER_FILE

MAX_IMAGE_MEGAPIXELS = 50  # 50 MP is a 30 × 20 cm photo at 600 dpi
FONT_SIGNATURES = (b"\x00\x01\x00\x00", b"OTTO", b"true", b"ttcf", b"wOFF", b"wOF2")


def check_series_use(data: ChapterData, series: dict[str, list[dict]], path: Path,
                      folder: Path) -> list[Problem]:
    """A table's columns exist in its series; a chart's series has no column that
    mixes numbers and text (a word where a chart expects a number)."""
    problems = []
    charted: set[str] = set()
    for s, section in enumerate(data.sections):
        for b, block in enumerate(section.blocks):
            name: str = getattr(block, "series", None) or ""
            rows = series.get(name)
            if not rows:
                continue
            where = f"sections[{s}].blocks[{b}]"
            if block.type == "figure":
                charted.add(name)
            for column in getattr(block, "columns", None) or {}:
                if column not in rows[0]:
                    close = difflib.get_close_matches(column, list(rows[0]), n=1)
                    problems.append(Problem(
                        f"column {column!r} is not in {data.series[name].file}",
                        path, line_of(path, re.escape(column) + r"\s*:"),
                        f"did you mean {close[0]!r}?" if close else
                        "its columns are: " + ", ".join(rows[0]), where + ".columns"))
    for key in sorted(charted):
        rows = series[key]
        for column in rows[0]:
            kinds = {type(row[column]) for row in rows if row[column] != ""}
            if kinds == {float, str}:
                index, text = next((i, row[column]) for i, row in enumerate(rows)
                                   if isinstance(row[column], str) and row[column])
                problems.append(Problem(
                    f"column {column!r} mixes numbers and text ({text!r}); a chart reads it",
                    folder / data.series[key].file, index + 2,
                    "write a number, or leave the cell empty for a missing value"))
    return problems


def check_numbers(chapters: list[Chapter]) -> list[Problem]:
    """Every number is defined once; every reference (number, figure, table,
    footnote, series) points at something that exists."""
    problems: list[Problem] = []
    defined: dict[str, Chapter] = {}
    for chapter in chapters:
        for key in chapter.data.numbers:
            if key in defined:
                path = chapter.folder / CHAPTER_FILE
                problems.append(Problem(
                    f"number '{key}' is also defined in chapters/{defined[key].slug}",
                    path, line_of(path, rf"^\s+{key}:"),
                    "define each number once; other chapters can use it as {{ key }}"))
            defined.setdefault(key, chapter)
    targets: dict[str, dict[str, Chapter]] = {"figuur": {}, "tabel": {}}
    for chapter in chapters:
        for where, block in blocks(chapter):
            kind = "figuur" if block.type == "figure" else "tabel" \
                if block.type in ("results", "table") else None
            ident = getattr(block, "id", None)
            if kind and ident:
                if ident in targets[kind]:
                    path = chapter.folder / CHAPTER_FILE
                    problems.append(Problem(f"{kind} id '{ident}' is used twice", path,
                                            line_of(path, rf"id:\s*{ident}\b"),
                                            "give every figure and table its own id", where))
                targets[kind][ident] = chapter
    known = {"number": defined, **targets}
    for chapter in chapters:
        path = chapter.folder / CHAPTER_FILE
        for kind, key, where, block in _references(chapter):
            if kind == "footnote":
                if key not in getattr(block, "footnotes", {}):
                    problems.append(Problem(
                        f"footnote [^{key}] has no text", path,
                        line_of(path, re.escape(f"[^{key}]")),
                        f"add it under this block's footnotes: as {key}: ...", where))
                continue
            if key not in known[kind]:
                close = difflib.get_close_matches(key, known[kind], n=1)
                what = "number" if kind == "number" else kind
                problems.append(Problem(
                    f"unknown {what} '{key}'", path, line_of(path, _mention(key)),
                    f"did you mean '{close[0]}'?" if close else
                    "define it under numbers: with a value and a unit" if kind == "number"
                    else f"give the {kind} block id: {key}", where))
        for where, block in blocks(chapter):
            series = getattr(block, "series", None)
            if block.type in ("figure", "table") and series is not None \
                    and series not in chapter.data.series:
                problems.append(Problem(f"unknown series '{series}'", path,
                                        line_of(path, rf"series:\s*{series}\b"),
                                        "declare it under series: with its CSV file", where))
    return problems


def blocks(chapter: Chapter):
    """(location, block) for every block of a chapter, in order."""
    for s, section in enumerate(chapter.data.sections):
        for b, block in enumerate(section.blocks):
            yield f"sections[{s}].blocks[{b}]", block


def _references(chapter: Chapter):
    """(kind, key, where, block) for every reference a chapter makes."""
    if chapter.data.lead:
        for kind, key in references(chapter.data.lead):
            yield kind, key, "lead", None
    for where, block in blocks(chapter):
        texts = [block.text] if isinstance(getattr(block, "text", None), str) else []
        texts += [t for t in (getattr(block, "footnotes", None) or {}).values()]
        if getattr(block, "note", None):
            texts.append(block.note)
        for item in getattr(block, "items", None) or []:
            if isinstance(item, str):
                texts.append(item)
            elif block.type == "kpis":
                yield "number", item.number, where, block
            else:  # a result: its norm and realisation
                yield "number", item.norm, where, block
                if item.realised:
                    yield "number", item.realised, where, block
        if block.type == "norm":
            yield "number", block.number, where, block
        for key in getattr(block, "numbers", None) or []:
            yield "number", key, where, block
        for text in texts:
            for kind, key in references(text):
                yield kind, key, where, block


def _mention(key: str) -> str:
    """A pattern for the places a key is used: ``{{ key }}``, ``{{ figuur:key }}``,
    ``number: key``, ``norm: key`` or in a ``numbers: [...]`` list."""
    return (rf"\{{\{{\s*(\w+:)?{key}\s*\}}\}}|(number|norm|realised):\s*{key}\b"
            rf"|numbers:.*\b{key}\b")


def line_of(path: Path, pattern: str) -> int | None:
    """The first line of ``path`` that matches the regular expression ``pattern``."""
    regex = re.compile(pattern)
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if regex.search(line):
                return number
    except OSError:
        pass
    return None


def check_fonts(brand: Brand, brand_path: Path, root: Path | None = None) -> list[Problem]:
    """The colour profile and every font file exist inside the project, and each
    font file is a font (TrueType, OpenType or WOFF)."""
    root = (root or brand_path.parent.parent).resolve()
    problems = []
    try:
        confine(brand_path.parent / brand.print.output_profile, root)
    except Refused as exc:
        problems.append(Problem(
            f"colour profile {brand.print.output_profile} {exc.reason}", brand_path,
            line_of(brand_path, "output_profile"),
            "put the CMYK ICC profile under styles/ or fix the path"
            if exc.reason == "not found" else "copy the profile into styles/color/"
            if exc.reason.startswith("is outside") else exc.hint, "print.output_profile"))
    for role in ("body", "heading"):
        for face in getattr(brand.fonts, role).faces:
            why = None
            try:
                font = confine(brand_path.parent / face.file, root)
            except Refused as exc:
                why = exc.reason, ("put the font under styles/fonts/ or fix the path"
                                   if exc.reason == "not found" else
                                   "copy the font into styles/fonts/"
                                   if exc.reason.startswith("is outside") else exc.hint)
            else:
                try:
                    with font.open("rb") as stream:
                        if stream.read(4) not in FONT_SIGNATURES:
                            why = ("is not a font (TrueType, OpenType or WOFF)",
                                   "replace it with the font file itself")
                except OSError as exc:
                    why = f"cannot be read: {exc.strerror}", "make it a readable file"
            if why:
                problems.append(Problem(f"font file {face.file} {why[0]}", brand_path,
                                        line_of(brand_path, re.escape(face.file)),
                                        why[1], f"fonts.{role}"))
    return problems


def check_images(chapters: list[Chapter], root: Path | None = None) -> list[Problem]:
    """Every photo that names an image file points at a readable image inside the
    project, of at most MAX_IMAGE_MEGAPIXELS."""
    problems = []
    for chapter in chapters:
        path = chapter.folder / CHAPTER_FILE
        photos = [("opener", chapter.data.opener)] + [
            (where, block) for where, block in blocks(chapter)
            if getattr(block, "type", None) == "photo"]
        for where, photo in photos:
            if photo is not None:
                problems += check_photo(photo, chapter.folder,
                                         root or chapter.folder.parent.parent, path, where,
                                         f"put the file in chapters/{chapter.slug}/ or remove "
                                         "'image:' to draw a placeholder")
    return problems


def check_photo(photo: Photo, folder: Path, root: Path, path: Path, where: str,
                 hint: str = "put the file in the project or remove 'image:' to draw a "
                 "placeholder") -> list[Problem]:
    """An image file a photo names (relative to ``folder``): inside ``root``, a file,
    and an image within the limits (see :func:`check_image`); ``hint`` says where to put it."""
    if photo.image is None:
        return []
    line = line_of(path, re.escape(photo.image))
    try:
        image = confine(folder / photo.image, root)
    except Refused as exc:
        return [Problem(f"image {photo.image} {exc.reason}", path, line,
                        hint if exc.reason == "not found" else exc.hint, where)]
    why = check_image(image)
    return [Problem(f"image {photo.image} {why[0]}", path, line, why[1], where)] if why else []


def check_image(path: Path | bytes) -> tuple[str, str] | None:
    """What is wrong with an image file (or an image's bytes, e.g. from a ``data:``
    URI) for the report — (problem, fix) — or None. Reads only the header: its
    format and size in pixels."""
    if isinstance(path, Path) and path.suffix.lower() == ".svg":
        return None  # vector: no pixels to count
    import io
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(path) if isinstance(path, bytes) else path) as image:
                width, height = image.size
    except Image.DecompressionBombError as exc:  # far over the limit: Pillow refuses
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(pixels.group(1)) / 1e6:.0f}" if pixels else "hundreds of"
        return (f"is {size} megapixels; the limit is {MAX_IMAGE_MEGAPIXELS}",
                "scale it down (300 dpi at its printed size is plenty)")
    except UnidentifiedImageError:
        return "is not an image that can be read (PNG, JPEG, GIF or WebP)", \
            "save it again as PNG or JPEG"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}", "make it a readable image file"
    except Exception as exc:  # a damaged header makes Pillow raise other errors
        return f"is damaged ({type(exc).__name__})", "save it again as PNG or JPEG"
    megapixels = width * height / 1e6
    if megapixels > MAX_IMAGE_MEGAPIXELS:
        return (f"is {megapixels:.0f} megapixels ({width} × {height}); the limit is "
                f"{MAX_IMAGE_MEGAPIXELS}", "scale it down (300 dpi at its printed size is "
                "plenty)")
    return None


def check_figures(root: Path, chapters: list[Chapter]) -> list[Problem]:
    """Every figure block names a module under figures/."""
    problems = []
    for chapter in chapters:
        path = chapter.folder / CHAPTER_FILE
        for where, block in blocks(chapter):
            if getattr(block, "type", None) != "figure":
                continue
            try:
                confine(root / "figures" / f"{block.chart}.py", root)
            except Refused as exc:
                problems.append(Problem(
                    f"figure module figures/{block.chart}.py "
                    + ("does not exist" if exc.reason == "not found" else exc.reason), path,
                    line_of(path, rf"chart:\s*{block.chart}\b"),
                    f"create figures/{block.chart}.py with a build(data, theme) function, "
                    "or fix the chart name" if exc.reason == "not found" else exc.hint, where))
    return problems
