"""Cross-checks of a loaded project: what one file alone cannot tell.

Every number is defined once and every reference (number, figure, table,
footnote, series) points at something that exists; a table's columns exist in
its series; images, fonts and the colour profile are real files inside the
project, within their limits; every figure block names a figure module. Each
check returns problems (file, line, fix) and raises nothing.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import re
from pathlib import Path
from typing import Any

from ..errors import Problem
from .files import Refused, confine
from .markdown import directive_line
from .model import (
    LANGUAGE_TAG,
    REFERENCE_FORMS,
    UNCLOSED,
    Brand,
    Chapter,
    ChapterData,
    Manifest,
    Photo,
    references,
)
from .parts import CACHE
from .tables import Series
from .theme import FIGURES, brand_file, find, roots
from .yamlfile import Lines

MAX_IMAGE_MEGAPIXELS = 50  # 50 MP is a 30 × 20 cm photo at 600 dpi
FONT_SIGNATURES = (b"\x00\x01\x00\x00", b"OTTO", b"true", b"ttcf", b"wOFF", b"wOF2")


def check_series_use(data: ChapterData, series: dict[str, Series],
                     path: Path) -> list[Problem]:
    """A table's columns exist in its series. (A column that mixes numbers and words
    is the reader's error already: :func:`~almanac.project.tables.type_columns`.)"""
    problems = []
    for s, section in enumerate(data.sections):
        for b, block in enumerate(section.blocks):
            found = series.get(getattr(block, "series", None) or "")
            if found is None:
                continue
            names = [column.name for column in found.columns]
            for column in getattr(block, "columns", None) or {}:
                if column not in names:
                    close = difflib.get_close_matches(column, names, n=1)
                    problems.append(Problem(
                        f"column {column!r} is not in {found.origin}",
                        path, line_of(path, re.escape(column) + r"\s*:"),
                        f"did you mean {close[0]!r}?" if close else
                        "its columns are: " + ", ".join(names),
                        f"sections[{s}].blocks[{b}].columns"))
    return problems


def check_numbers(chapters: list[Chapter],
                  fields: tuple[str, list[str]] | None = None) -> list[Problem]:
    """Every number is defined once; every reference (number, figure, table,
    footnote, series) points at something that exists; a ``{{ member.x }}`` names a
    column of the member table (``fields``: its file as shown and its columns; None for
    a report that is no family member, where such a reference is a problem)."""
    problems: list[Problem] = []
    defined: dict[str, Chapter] = {}
    for chapter in chapters:
        for key in chapter.data.numbers:
            if key in defined:
                path = chapter.source
                problems.append(Problem(
                    f"number '{key}' is also defined in chapters/{defined[key].slug}",
                    path, line_of(path, rf"^\s+{key}:"),
                    "define each number once; other chapters can use it as {{ key }}"))
            defined.setdefault(key, chapter)
    targets: dict[str, dict[str, Chapter]] = {"figure": {}, "table": {}}
    for chapter in chapters:
        for where, block in blocks(chapter):
            kind = TARGET_KINDS.get(block.type)
            ident = getattr(block, "id", None)
            if kind and ident:
                if ident in targets[kind]:
                    path = chapter.source
                    problems.append(Problem(f"{kind} id '{ident}' is used twice", path,
                                            line_of(path, rf"id:\s*{ident}\b"),
                                            "give every figure and table its own id", where))
                targets[kind][ident] = chapter
    known = {"number": defined, **targets, "ref": {**targets["table"], **targets["figure"]}}
    for chapter in chapters:
        path = chapter.source
        for where, block in blocks(chapter):
            for note, text in (getattr(block, "footnotes", None) or {}).items():
                for kind, key in references(text):
                    if kind == "footnote":  # prose resolves a footnote's text once, flat
                        problems.append(Problem(
                            f"footnote '{note}' refers to the footnote [^{key}]; a footnote "
                            "cannot have footnotes", path,
                            line_of(path, rf"^(\s+{note}|\[\^{note}\]):.*\[\^{key}\]")
                            or line_of(path, re.escape(f"[^{key}]")),
                            f"write the text of [^{key}] into footnote '{note}' itself, or "
                            "refer to both from the paragraph", f"{where}.footnotes.{note}"))
        for where, _, _, text in texts_in(chapter):
            problems += _attributes(text, path, where)
            for match in UNCLOSED.finditer(text):
                written = match.group(0)
                problems.append(Problem(
                    f"the reference '{written}' is not closed", path,
                    line_of(path, re.escape(written) + r"(?!\w|\s*\})"),
                    "close it with }}", where))
        for kind, key, where, block, what in references_in(chapter):
            line = line_of(path, mention(key)) if what in KEYED \
                else line_of(path, written_as(kind, key))
            if kind == "footnote":
                if block is None or "footnotes" not in type(block).model_fields:
                    problems.append(Problem(
                        f"footnote [^{key}] is in a text that cannot have footnotes", path,
                        line, "only prose blocks have footnotes: move the text to a prose "
                        "block, or write the note out", where))
                elif key not in block.footnotes:
                    problems.append(Problem(
                        f"footnote [^{key}] has no text", path, line,
                        f"define it below the paragraph as [^{key}]: and its text"
                        if path.suffix == ".md" else
                        f"add it under this block's footnotes: as {key}: ...", where))
                continue
            if kind == "member":
                if fields is None:
                    problems.append(Problem(
                        f"{{{{ member.{key} }}}} is a family member's field, and this "
                        "report is no family", path, line,
                        "add family.yaml beside report.yaml, or write the text itself",
                        where))
                elif key not in fields[1]:
                    close = difflib.get_close_matches(key, fields[1], n=1)
                    problems.append(Problem(
                        f"the member table {fields[0]} has no column {key!r} "
                        f"({{{{ member.{key} }}}})", path, line,
                        (f"did you mean {{{{ member.{close[0]} }}}}? " if close else "")
                        + "its columns are: " + ", ".join(fields[1]), where))
                continue
            if what in HEADINGS and kind != "number":
                problems.append(Problem(
                    "a heading cannot hold a cross-reference (the contents and the "
                    "bookmarks cannot show its page)", path,
                    line_of(path, HEADING_LINE + written_as(kind, key)) or line,
                    "refer to it in the text", where))
                continue
            if kind.startswith("form:"):
                form = kind.removeprefix("form:")
                close = difflib.get_close_matches(form.lower(), NEUTRAL_FORMS, n=1)
                problems.append(Problem(
                    f"unknown kind of reference '{{{{ {form}:{key} }}}}'", path, line,
                    f"write {{{{ ref:{key} }}}} for a figure or table"
                    + (f" (did you mean '{close[0]}'?)" if close else "")
                    + f", or {{{{ {key} }}}} for a number", where))
                continue
            if kind == "ref" and key in targets["figure"] and key in targets["table"]:
                problems.append(Problem(
                    f"reference '{key}' names both a figure and a table", path, line,
                    f"write {{{{ figure:{key} }}}} or {{{{ table:{key} }}}}, or give one of "
                    "them another id", where))
                continue
            other = {"figure": "table", "table": "figure"}.get(kind)
            if other and key not in targets[kind] and key in targets[other]:
                problems.append(Problem(
                    f"'{key}' is a {other}, not a {kind}", path, line,
                    f"write {{{{ {other}:{key} }}}} or {{{{ ref:{key} }}}}", where))
                continue
            if key not in known[kind]:
                close = difflib.get_close_matches(key, known[kind], n=1)
                name = {"number": "number", "ref": "figure or table"}.get(kind, kind)
                problems.append(Problem(
                    f"unknown {name} '{key}'", path, line,
                    f"did you mean '{close[0]}'?" if close else
                    "define it under numbers: with a value and a unit" if kind == "number"
                    else f"give the {name} block id: {key}", where))
        for where, block in blocks(chapter):
            series = getattr(block, "series", None)
            if block.type in ("figure", "table") and series is not None \
                    and series not in chapter.data.series:
                problems.append(Problem(f"unknown series '{series}'", path,
                                        line_of(path, rf"series:\s*{series}\b|"
                                                + directive_line("table", series)),
                                        "declare it under series: with its CSV file", where))
    return problems


NEUTRAL_FORMS = ("ref", "figure", "table")
"""The forms of a cross-reference a mistyped one is compared with (the Dutch forms
work, but are not suggested)."""
TARGET_KINDS = {"figure": "figure", "results": "table", "table": "table"}
"""The blocks a cross-reference can point at, by type, and the kind they are counted
and referred to as (a results block is a table)."""


ATTRIBUTES = re.compile(r"\]\{([^{}\n]*)\}")
"""Markdown attributes after a span, ``[text]{lang=en}`` (mdit-py-plugins' ``attrs``)."""


def _attributes(text: str, path: Path, where: str) -> list[Problem]:
    """A span's attributes other than one well-formed ``lang`` (the only one prose
    keeps, :mod:`almanac.text.prose`): as written they would be printed on the page."""
    problems = []
    for match in ATTRIBUTES.finditer(text):
        written = match.group(0)[1:]
        language = re.fullmatch(r"\s*lang\s*=\s*(\"?)([^\s\"]+)\1\s*", match.group(1))
        if language and re.fullmatch(LANGUAGE_TAG, language.group(2)):
            continue
        problems.append(Problem(
            f"'{written}' after a [passage] is not a language Almanac can mark", path,
            line_of(path, re.escape(written)),
            "write the passage's language as a BCP 47 tag, [Good morning]{lang=en} or "
            "{lang=fr-BE}; no other attribute is kept", where))
    return problems


def blocks(chapter: Chapter):
    """(location, block) for every block of a chapter, in order."""
    for s, section in enumerate(chapter.data.sections):
        for b, block in enumerate(section.blocks):
            yield f"sections[{s}].blocks[{b}]", block


PLAIN_FIELDS = ("caption", "source", "label", "title")
"""The plain-text fields of a block (besides ``text``) whose ``{{ key }}`` references the
page fills in (``Prose.plain``), so that they are checked and counted as uses."""
HEADINGS = ("chapter title", "short title", "section title", "heading")
"""The texts (``what`` of :func:`references_in`) that become a contents entry or a
bookmark (and the running head): a ``{{ key }}`` number in them is formatted the same
in each, a cross-reference is refused, for neither can show its page (WeasyPrint's
bookmark label takes no generated content)."""
KEYED = ("tile", "norm", "results norm", "results realised", "figure")
"""The ``what`` of :func:`references_in` for a key in a field (``number: key``, a
figure's ``numbers:``), rather than a reference written in a text (``{{ key }}``)."""
HEADING_LINE = r"^\s*(#|(-\s*)?(title|short_title|text)\s*:|:{3,}\s*\{heading\}).*"
"""The start of a line that holds a title or a heading, in Markdown or YAML."""


def texts_in(chapter: Chapter):
    """(where, block, what, text) for every text of a chapter that may hold references,
    in order: ``where`` the location in the chapter file (``title``, ``short_title``,
    ``lead``, ``sections[1].title``, ``sections[1].blocks[2]``), ``block`` the block
    (None for the chapter's own texts and a section's title), ``what`` the part:
    ``chapter title``, ``short title``, ``lead``, ``section title``, the block's type
    for its text or items (``prose``, ``heading``, ``quote``, ``facts``, ``note``),
    ``footnote``, ``<type> note``, ``<type> <field>`` for a plain field
    (:data:`PLAIN_FIELDS`), ``tile label`` or ``results label``."""
    for where, block, what, text in _parts(chapter):
        if what is not None:
            yield where, block, what, text


def references_in(chapter: Chapter):
    """(kind, key, where, block, what) for every reference a chapter makes, in order:
    ``kind`` as :func:`~.model.references` says ("number", "ref", "figure", "table",
    "footnote", "form:<word>"); ``where``, ``block`` and ``what`` as
    :func:`texts_in` gives them for a reference in a text, and for a key in a field
    ``what`` is ``tile``, ``norm``, ``results norm``, ``results realised`` or
    ``figure`` (a key in its ``numbers:``)."""
    for where, block, what, text in _parts(chapter):
        if what is None:  # a block's keys, before the references of its texts
            assert block is not None
            yield from _keys(where, block)
        else:
            for kind, key in references(text):
                yield kind, key, where, block, what


def _parts(chapter: Chapter):
    """:func:`texts_in`'s texts in document order, and before each block's texts the
    block itself with ``what`` None."""
    data = chapter.data
    block: Any  # any block type: its fields are looked up by name
    yield "title", None, "chapter title", data.title
    if data.short_title:
        yield "short_title", None, "short title", data.short_title
    if data.lead:
        yield "lead", None, "lead", data.lead
    for s, section in enumerate(data.sections):
        if section.title:
            yield f"sections[{s}].title", None, "section title", section.title
        for b, block in enumerate(section.blocks):
            where = f"sections[{s}].blocks[{b}]"
            yield where, block, None, ""
            if isinstance(getattr(block, "text", None), str):
                yield where, block, block.type, block.text
            for text in (getattr(block, "footnotes", None) or {}).values():
                yield where, block, "footnote", text
            if getattr(block, "note", None):
                yield where, block, f"{block.type} note", block.note
            for field in PLAIN_FIELDS:  # plain text, its references filled in as in prose
                value = getattr(block, field, None)
                if isinstance(value, str) and not (field == "label" and block.type == "kpis"):
                    yield where, block, f"{block.type} {field}", value
            for item in getattr(block, "items", None) or []:
                if isinstance(item, str):
                    yield where, block, block.type, item
                elif block.type == "kpis":
                    yield where, block, "tile label", item.label
                else:
                    yield where, block, "results label", item.label


def _keys(where: str, block):
    """The numbers a block names by key in its fields, as :func:`references_in` gives
    them."""
    for item in getattr(block, "items", None) or []:
        if block.type == "kpis":
            yield "number", item.number, where, block, "tile"
        elif not isinstance(item, str):  # a result: its norm and realisation
            yield "number", item.norm, where, block, "results norm"
            if item.realised:
                yield "number", item.realised, where, block, "results realised"
    if block.type == "norm":
        yield "number", block.number, where, block, "norm"
    for key in getattr(block, "numbers", None) or []:
        yield "number", key, where, block, block.type


def written_as(kind: str, key: str) -> str:
    """A pattern for a reference of ``kind`` (:func:`~.model.references`) to ``key`` as
    a text writes it: ``{{ key }}``, ``[^key]``, or ``{{ form:key }}`` in any form of
    that kind (:data:`~.model.REFERENCE_FORMS`, in any case), for the line of the
    reference itself."""
    if kind == "number":
        return rf"\{{\{{\s*{re.escape(key)}\s*\}}\}}"
    if kind == "member":
        return rf"\{{\{{\s*member\.{re.escape(key)}\s*\}}\}}"
    if kind == "footnote":
        return re.escape(f"[^{key}]")
    forms = [re.escape(kind.removeprefix("form:"))] if kind.startswith("form:") else \
        [form for form, meant in REFERENCE_FORMS.items() if meant == kind]
    return rf"\{{\{{\s*(?i:{'|'.join(forms)})\s*:\s*{re.escape(key)}\s*\}}\}}"


def mention(key: str) -> str:
    """A pattern for the places a key is used: ``{{ key }}``, ``{{ ref:key }}``,
    ``number: key``, ``norm: key``, in a ``numbers: [...]`` list or as the argument of
    a ``:::{norm} key`` directive."""
    return (rf"\{{\{{\s*(\w+\s*:\s*)?{key}\s*\}}\}}|(number|norm|realised):\s*{key}\b"
            rf"|numbers:.*\b{key}\b|" + directive_line("norm", key))


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


def is_cmyk_profile(path: Path) -> bool:
    """Whether ``path`` is an ICC profile (ICC.1:2010 §7.2) that LittleCMS (Pillow's
    ``ImageCms``) reads, with CMYK as its colour space: what the print edition
    converts colours to and names as its output intent."""
    from PIL import ImageCms

    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(path.read_bytes()))
    except (OSError, ImageCms.PyCMSError):
        return False
    return profile.profile.xcolor_space.strip() == "CMYK"


def check_logo(brand: Brand, brand_path: Path, root: Path) -> list[Problem]:
    """The brand's ``logo:`` (if any): a file beside the brand file or in the theme
    (:func:`~almanac.project.theme.brand_file`), inside the project, and an image
    within the limits of every image (:func:`check_image`: SVG, or a raster format
    that WeasyPrint draws)."""
    if brand.logo is None:
        return []
    line = line_of(brand_path, r"^\s*logo\s*:")
    try:
        logo = confine(brand_file(brand_path.parent, brand.logo), roots(root))
    except Refused as exc:
        return [Problem(f"logo {brand.logo} {exc.reason}", brand_path, line,
                        "put the logo (SVG or PNG) beside the brand file, or fix the path"
                        if exc.reason == "not found" else exc.hint, "logo")]
    why = check_image(logo)
    return [Problem(f"logo {brand.logo} {why[0]}", brand_path, line, why[1], "logo")] \
        if why else []


def check_fonts(brand: Brand, brand_path: Path, root: Path | None = None) -> list[Problem]:
    """The colour profile and every font file exist inside the project, and each
    font file is a whole font that text can be set in (:func:`check_font`); a
    problem names the brand file and the line that names the font."""
    root = (root or brand_path.parent.parent).resolve()
    problems = []
    try:
        profile = confine(brand_file(brand_path.parent, brand.print.output_profile),
                          roots(root))
        if not is_cmyk_profile(profile):
            problems.append(Problem(
                f"colour profile {brand.print.output_profile} is not a CMYK ICC profile",
                brand_path, line_of(brand_path, "output_profile"), "name the printer's CMYK "
                "output profile, e.g. color/FOGRA39L.icc (the built-in one)",
                "print.output_profile"))
    except Refused as exc:
        problems.append(Problem(
            f"colour profile {brand.print.output_profile} {exc.reason}", brand_path,
            line_of(brand_path, "output_profile"),
            "put the CMYK ICC profile under styles/ or fix the path"
            if exc.reason == "not found" else "copy the profile into styles/color/"
            if exc.reason.startswith("is outside") else exc.hint, "print.output_profile"))
    problems += check_logo(brand, brand_path, root)
    for role in ("body", "heading"):
        for face in getattr(brand.fonts, role).faces:
            why = None
            try:
                font = confine(brand_file(brand_path.parent, face.file), roots(root))
            except Refused as exc:
                why = exc.reason, ("put the font under styles/fonts/ or fix the path"
                                   if exc.reason == "not found" else
                                   "copy the font into styles/fonts/"
                                   if exc.reason.startswith("is outside") else exc.hint)
            else:
                why = check_font(font, root / CACHE / "fonts")
            if why:
                problems.append(Problem(f"font file {face.file} {why[0]}", brand_path,
                                        line_of(brand_path, re.escape(face.file)),
                                        why[1], f"fonts.{role}"))
    return problems


LATIN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CORE_TABLES = ("head", "hhea", "maxp", "OS/2", "name", "cmap", "post", "loca", "glyf", "CFF ",
               "CFF2", "hmtx")
"""Read first, so that a damaged table is named rather than one that depends on it."""
_FONTS_PASSED: set[str] = set()  # SHA-256 of font files that passed, in this process


def check_font(path: Path, verdicts: Path | None = None) -> tuple[str, str] | None:
    """What is wrong with a font file — (problem, fix) — or None.

    WeasyPrint (Pango, FreeType, HarfBuzz) silently sets text in another face when a
    font file cannot be used, so the file is parsed whole with fontTools: a font
    signature (TrueType, OpenType, WOFF, WOFF2, a collection's first face), every
    table decompiled, a ``cmap`` mapping the basic Latin letters A–Z and a–z, and a
    family name in its ``name`` table. Parsing costs about half a second per face,
    so a passing file is remembered by its SHA-256 (and fontTools' version): in this
    process, and as an empty marker file under ``verdicts`` (a cache folder) when
    it is given and writable."""
    import hashlib

    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"cannot be read: {exc.strerror}", "make it a readable file"
    if data[:4] not in FONT_SIGNATURES:
        return "is not a font (TrueType, OpenType or WOFF)", "replace it with the font file itself"
    import fontTools
    from fontTools.ttLib import TTFont

    digest = hashlib.sha256(data).hexdigest()
    marker = f"{digest}-{fontTools.version}"
    if marker in _FONTS_PASSED or (verdicts is not None and (verdicts / marker).is_file()):
        return None
    fix = "replace it with an undamaged copy of the font (download it again)"
    import io

    try:
        font = TTFont(io.BytesIO(data), fontNumber=0)
    except Exception as exc:
        return f"is damaged: its table directory cannot be read ({_reason(exc)})", fix
    with font:
        present = [tag for tag in font.keys() if tag != "GlyphOrder"]
        for tag in sorted(present, key=lambda tag: (CORE_TABLES + (tag,)).index(tag)):
            try:
                table = font[tag]
                if hasattr(table, "ensureDecompiled"):
                    table.ensureDecompiled(recurse=True)
            except Exception as exc:
                return f"is damaged: its {tag.strip()} table cannot be read ({_reason(exc)})", fix
        if "glyf" not in font and "CFF " not in font and "CFF2" not in font:
            return "has no glyph outlines (no glyf, CFF or CFF2 table)", fix
        cmap = font.getBestCmap() or {}
        missing = [letter for letter in LATIN_LETTERS if ord(letter) not in cmap]
        if missing:
            return (f"has no glyphs for the letters {''.join(missing[:12])}"
                    f"{'…' if len(missing) > 12 else ''} (a symbol font, or a damaged cmap)",
                    "use a text face that covers the basic Latin letters")
        name = font["name"].getBestFamilyName() if "name" in font else None
        if not name:
            return "has no family name in its name table", fix
    _FONTS_PASSED.add(marker)
    if verdicts is not None:
        _remember(verdicts, marker)
    return None


def _reason(exc: Exception) -> str:
    first = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    text = first.strip().splitlines()[0][:120] if first.strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _remember(folder: Path, marker: str) -> None:
    """An empty file named ``marker`` in ``folder``, made whole or not at all (a
    temporary name renamed into place); nothing when the folder cannot be written."""
    import os
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        os.close(handle)
        os.replace(temporary, folder / marker)
    except OSError:
        pass


def check_images(chapters: list[Chapter], root: Path | None = None) -> list[Problem]:
    """Every photo that names an image file points at a readable image inside the
    project, of at most MAX_IMAGE_MEGAPIXELS."""
    problems = []
    for chapter in chapters:
        path = chapter.source
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


RASTER_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "TIFF", "BMP")
"""The raster formats an image may have: Pillow decodes them itself (an EPS or PDF
would need Ghostscript, which a report never runs)."""
DRAWN_MODES = {"1", "L", "LA", "P", "RGB", "RGBA"}
"""Pillow modes WeasyPrint embeds as they are (``weasyprint.images.RasterImage``:
8 bits per component, grey or RGB, palettes converted); CMYK only from a JPEG,
whose data it passes through. Anything else (16-bit ``I;16``, 32-bit ``I`` and
``F``, CMYK from a TIFF, ``LAB``, ``YCbCr``, ``PA``) it draws black, white or
not at all."""


TOO_MANY_PIXELS = "scale it down: too many pixels to print (300 dpi at its printed size is plenty)"


_IMAGES_PASSED: set[tuple] = set()  # (path, inode, size, mtime) of images that passed
TRUNCATED = ("is truncated: its file ends before its last row of pixels",
             "copy or export the image again (the file was cut short)")


class _Watched:
    """A binary file that records whether a read came back empty once ``armed``:
    a decoder asking for more after the file's end (a truncated image; Pillow
    does not say, as WeasyPrint sets ``ImageFile.LOAD_TRUNCATED_IMAGES``)."""

    def __init__(self, stream):
        self._stream = stream
        self.armed = False
        self.ran_out = False

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if self.armed and size != 0 and not data:
            self.ran_out = True
        return data

    def readinto(self, buffer) -> int:
        count = self._stream.readinto(buffer)
        if self.armed and len(buffer) and not count:
            self.ran_out = True
        return count

    def __getattr__(self, name):
        return getattr(self._stream, name)


def check_image(source: Path | bytes, *, svg: bool | None = None) -> tuple[str, str] | None:
    """What is wrong with an image for the report — (problem, fix) — or None.
    ``source`` is the image file, or its bytes as read (a ``data:`` URI, a file the
    typesetter fetched); ``svg`` says whether the bytes are an SVG (default: a file
    by its suffix, bytes by a sniff of Pillow's).

    An SVG must be well-formed UTF-8 XML (:func:`check_svg`). A raster image is read
    in two steps: its header first (format and size in pixels; more than
    MAX_IMAGE_MEGAPIXELS is refused without decoding a pixel), then, within the
    limit, every pixel — so a truncated file (drawn with its lower part black or
    white), a format or pixel mode WeasyPrint does not draw (:data:`DRAWN_MODES`),
    a damaged stream or a decompression bomb in a metadata chunk is refused here
    rather than printed wrong. An image that passed is not decoded again in this
    process: a file while its inode, size and modification time stay the same,
    bytes while their BLAKE2 digest does."""
    key: tuple
    if isinstance(source, bytes):
        key = ("bytes", hashlib.blake2b(source, digest_size=20).digest())
        if svg is None:
            svg = source.lstrip()[:1] == b"<" or source.startswith(b"\xef\xbb\xbf<")
    else:
        try:
            stat = source.stat()
            key = (str(source.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)
        except OSError as exc:
            return f"cannot be read: {exc.strerror}", "make it a readable image file"
        if svg is None:
            svg = source.suffix.lower() == ".svg"
    if key in _IMAGES_PASSED:  # e.g. a photo checked at load, then fetched to typeset
        return None
    if svg and _raster_signature(source):  # a PNG named .svg: WeasyPrint hands it to Pillow
        svg = False
    why = check_svg(source) if svg else _check_raster(source)
    if why is None:
        if len(_IMAGES_PASSED) > 4096:
            _IMAGES_PASSED.clear()
        _IMAGES_PASSED.add(key)
    return why


RASTER_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*", b"BM")
"""How the files of :data:`RASTER_FORMATS` begin (WebP: ``RIFF`` then ``WEBP``)."""


def _raster_signature(source: Path | bytes) -> bool:
    """Whether ``source`` begins as a raster image does, whatever its name."""
    if isinstance(source, bytes):
        head = source[:12]
    else:
        try:
            with source.open("rb") as stream:
                head = stream.read(12)
        except OSError:
            return False
    return head.startswith(RASTER_SIGNATURES) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def _check_raster(source: Path | bytes) -> tuple[str, str] | None:
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings(), \
                (io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")) as raw:
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            stream = _Watched(raw)
            with Image.open(stream, formats=RASTER_FORMATS) as image:
                width, height = image.size
                megapixels = width * height / 1e6
                if megapixels > MAX_IMAGE_MEGAPIXELS:
                    return (f"is {megapixels:.0f} megapixels ({width} × {height}); the limit "
                            f"is {MAX_IMAGE_MEGAPIXELS}", TOO_MANY_PIXELS)
                form, mode = image.format, image.mode
                stream.armed = True
                image.load()  # the first frame: the one WeasyPrint draws
    except Image.DecompressionBombError as exc:  # far over the limit: Pillow refuses
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(pixels.group(1)) / 1e6:.0f}" if pixels else "hundreds of"
        return (f"is {size} megapixels; the limit is {MAX_IMAGE_MEGAPIXELS}", TOO_MANY_PIXELS)
    except UnidentifiedImageError:
        return ("is not an image that can be read (PNG, JPEG, GIF, WebP, TIFF or BMP)",
                "save it again as PNG or JPEG (a drawing as SVG)")
    except OSError as exc:
        if exc.strerror:
            return f"cannot be read: {exc.strerror}", "make it a readable image file"
        if "truncated" in str(exc):  # Pillow's own word, when it is told to say it
            return TRUNCATED
        return (f"is damaged ({exc})", "export it again from the original as PNG or JPEG")
    except ValueError as exc:
        if "decompressed" in str(exc).lower() or "too much memory" in str(exc).lower():
            # Pillow's bound on a compressed text or colour-profile chunk (PngImagePlugin
            # .MAX_TEXT_CHUNK): a decompression bomb in the metadata
            return ("holds a compressed chunk (text or colour profile) that expands beyond "
                    "what Pillow accepts, a decompression bomb",
                    "save it again without its metadata (e.g. as a new PNG)")
        return f"is damaged ({exc})", "export it again from the original as PNG or JPEG"
    except Exception as exc:  # a damaged file makes Pillow's decoders raise other errors
        return f"is damaged ({type(exc).__name__})", "save it again as PNG or JPEG"
    if stream.ran_out:
        return TRUNCATED
    if mode not in DRAWN_MODES and not (mode == "CMYK" and form == "JPEG"):
        if mode.startswith("I") or mode == "F":
            depth = "16-bit" if "16" in mode else "32-bit floating-point" if mode == "F" \
                else "32-bit"
            return (f"has {depth} pixels ({form}, mode {mode}), which WeasyPrint draws "
                    "black or white",
                    "save it as an 8-bit image (8 bits per channel, RGB or greyscale)")
        return (f"has pixels WeasyPrint cannot draw ({form}, mode {mode})",
                "save it as an 8-bit RGB PNG or JPEG" + (" (CMYK only as JPEG)"
                                                        if mode == "CMYK" else ""))
    return None


XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*\bencoding\s*=\s*["']([^"']*)["']""")


def check_svg(source: Path | bytes) -> tuple[str, str] | None:
    """What is wrong with an SVG image — (problem, fix) — or None: it must be UTF-8
    (the print variant recolours it as UTF-8 text; any other encoding makes it vanish
    from the print edition only) and well-formed XML, read as WeasyPrint reads it
    (``xml.etree.ElementTree``; Python's expat refuses external entities and
    bounds entity expansion)."""
    from xml.etree import ElementTree

    try:
        data = source if isinstance(source, bytes) else source.read_bytes()
    except OSError as exc:
        return f"cannot be read: {exc.strerror}", "make it a readable file"
    fix = "save it as UTF-8 (in Inkscape or Illustrator: plain SVG, UTF-8)"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "is UTF-16 text, not UTF-8", fix
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"is not UTF-8 text ({exc.reason} at byte {exc.start})", fix
    declared = XML_ENCODING.match(data.removeprefix(b"\xef\xbb\xbf"))
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        return (f"declares the encoding {declared.group(1).decode('ascii', 'replace')}, "
                "not UTF-8", fix)
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        line = getattr(exc, "position", (None,))[0]
        return (f"is not well-formed XML ({str(exc).split(':')[0]}"
                f"{f', line {line}' if line else ''})", "save it again from the drawing "
                "program as plain SVG, UTF-8")
    except Exception as exc:  # expat's bounds on entity expansion and others
        return f"cannot be read as SVG ({type(exc).__name__})", \
            "save it again from the drawing program as plain SVG, UTF-8"
    if not root.tag.endswith("svg"):
        return (f"is XML but not SVG (its root is <{root.tag}>)",
                "save it again as plain SVG, UTF-8")
    return None


MAX_EDITION_YEARS = 10
"""An edition is published in the report's year or up to this many years after it."""


def check_edition_dates(manifest: Manifest, path: Path) -> list[Problem]:
    """The edition's date and each erratum's date fall in the report's year or the
    MAX_EDITION_YEARS after it: a year such as 0001 or 9999 is a typing error that
    would print as the publication date and stand in the PDF's metadata."""
    problems = []
    first, last = manifest.year, manifest.year + MAX_EDITION_YEARS
    dated = [("edition.date", manifest.edition.date)] + [
        (f"edition.changes[{index}].date", change.date)
        for index, change in enumerate(manifest.edition.changes)]
    for where, date in dated:
        if not first <= date.year <= last:
            problems.append(Problem(
                f"the date {date.isoformat()} is not within the {MAX_EDITION_YEARS} years "
                f"after the report's year {manifest.year}", path,
                line_of(path, rf"date:\s*['\"]?{date.isoformat()}"),
                f"write the date the edition is published, e.g. {manifest.year + 1}-05-01",
                where))
    return problems


def check_figures(root: Path, chapters: list[Chapter]) -> list[Problem]:
    """Every figure block names a figure module on the search path: the project's
    ``figures/`` or the built-in theme's generic ones."""
    problems = []
    for chapter in chapters:
        path = chapter.source
        for where, block in blocks(chapter):
            if getattr(block, "type", None) != "figure":
                continue
            try:
                module = find(root, FIGURES, f"{block.chart}.py")
                confine(module or root / FIGURES / f"{block.chart}.py", roots(root))
            except Refused as exc:
                problems.append(Problem(
                    f"figure module figures/{block.chart}.py "
                    + ("does not exist" if exc.reason == "not found" else exc.reason), path,
                    line_of(path, rf"chart:\s*{block.chart}\b|"
                            + directive_line("figure", block.chart)),
                    f"create figures/{block.chart}.py with a build(data, theme) function, "
                    "or fix the chart name" if exc.reason == "not found" else exc.hint, where))
    return problems


def check_changelog(manifest: Manifest, path: Path, lines: Lines) -> list[Problem]:
    """The rules of the changelog (``edition.changes``) that ``report.yaml`` alone
    decides, each a problem at the line to change: entries newest first (versions
    falling, in the ordering of :class:`packaging.version.Version`, PEP 440), their
    dates not rising down the list, one entry per version, none for a version above
    ``edition.version`` nor dated after ``edition.date``. The rules that need the
    archive (a changelog entry for every version after the first, versions and dates
    rising from edition to edition) are checked at ``publish``
    (:func:`~almanac.editions.archive.check_archive_rules`)."""
    from packaging.version import Version

    edition = manifest.edition
    problems: list[Problem] = []
    current = Version(edition.version)
    seen: dict[Version, int] = {}
    for index, change in enumerate(edition.changes):
        place = f"edition.changes[{index}]"
        line = lines.line(("edition", "changes", index))
        version = Version(change.version)
        if version in seen:
            problems.append(Problem(
                f"the changelog has two entries for version {change.version} (entries "
                f"{seen[version] + 1} and {index + 1})", path, line,
                "join them into one entry: one entry per version", place))
            continue
        seen[version] = index
        if version > current:
            problems.append(Problem(
                f"the changelog has an entry for version {change.version}, above this "
                f"edition's version {edition.version}", path, line,
                f"raise edition.version to {change.version}, or correct the entry's version",
                place))
        if change.date > edition.date:
            problems.append(Problem(
                f"the changelog entry for {change.version} is dated {change.date.isoformat()}, "
                f"after this edition's date {edition.date.isoformat()}", path,
                lines.line(("edition", "changes", index, "date")),
                "correct the entry's date, or move edition.date to the day of publication",
                place))
        if index:
            before = edition.changes[index - 1]
            if Version(before.version) < version:
                problems.append(Problem(
                    f"the changelog entry for {change.version} comes after the one for "
                    f"{before.version}: entries go newest first", path, line,
                    f"move the entry for {change.version} above the one for "
                    f"{before.version}", place))
            elif before.date < change.date:
                problems.append(Problem(
                    f"the changelog's dates go backwards: {before.version} is dated "
                    f"{before.date.isoformat()}, before {change.version} "
                    f"({change.date.isoformat()}) below it", path,
                    lines.line(("edition", "changes", index - 1, "date")),
                    "correct the dates: a later version is published on the same day or "
                    "later", f"edition.changes[{index - 1}]"))
    return problems
