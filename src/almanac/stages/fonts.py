"""Fonts: only the brand's faces set the report, and every character has its glyph.

Two parts. :class:`BrandFontConfiguration` is the WeasyPrint font configuration
of every build: a fontconfig configuration that starts empty instead of loading
the system's fonts, so Pango can choose only among the ``@font-face`` faces of
the brand (a character none of them has is drawn as the font's missing-glyph
box rather than silently taken from a system font such as DejaVu Sans).

:func:`check_fonts` then reads the laid-out document, the way the preflight
does: for each piece of text (margin boxes, markers and generated content
included; the text of SVG images too), the face its computed style asks for
must be declared by the brand with that weight and style, and each of its
characters — the hyphen WeasyPrint adds at a line's end included — must be in
that face's character map.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from weasyprint.formatting_structure import boxes
from weasyprint.text.fonts import FontConfiguration

from ..project.fontfaces import (
    HYPHEN,
    Face,
    brand_faces,
    character_name,
    family_line,
    match_face,
)
from ..project.model import Brand
from .preflight import Finding, _clip, _describe, _image_name, _walk

if TYPE_CHECKING:
    from weasyprint import Document

_FONTCONFIG_NAMES = ("libfontconfig-1", "fontconfig-1", "fontconfig", "libfontconfig.so.1",
                     "libfontconfig.1.dylib", "libfontconfig-1.dll")
"""The names WeasyPrint tries for fontconfig (``weasyprint/text/ffi.py``)."""
_create_config: Any = None


def _empty_config() -> Any:
    """A new fontconfig configuration without fonts, directories or rules
    (``FcConfigCreate``, which WeasyPrint's bindings do not declare: declared here
    on an FFI that includes WeasyPrint's, so the pointer has WeasyPrint's type)."""
    global _create_config
    if _create_config is None:
        import cffi
        from weasyprint.text.ffi import ffi

        own = cffi.FFI()
        own.include(ffi)
        own.cdef("FcConfig * FcConfigCreate (void);")
        for name in _FONTCONFIG_NAMES:
            try:
                library = own.dlopen(name)
                break
            except OSError:
                continue
        else:  # WeasyPrint itself loaded fontconfig under one of these names
            raise OSError("fontconfig cannot be loaded")
        _create_config = library.FcConfigCreate
    return _create_config()


class BrandFontConfiguration(FontConfiguration):
    """WeasyPrint's ``FontConfiguration`` with no system font: its fontconfig
    configuration is an empty one (``FcConfigCreate``) instead of the system's
    (``FcInitLoadConfigAndFonts``), so only the fonts of ``@font-face`` rules,
    which WeasyPrint adds with ``FcConfigAppFontAddFile``, can be matched; a
    ``local()`` source finds nothing. The font map's configuration is replaced
    with ``pango_fc_font_map_set_config``, which releases the system one.

    :attr:`faces` counts the ``@font-face`` faces WeasyPrint could add: with none,
    Pango has no font at all and crashes the process when it draws text (a
    segmentation fault in ``get_pango_font_hb_face``), so :func:`~.typeset.typeset`
    stops before drawing (a template that leaves out the brand's rules). The brand's
    files are not added here by their own names: fontconfig would then match a
    family a brand renames (``family: House`` set in ``Lato-Bold.ttf``) by the
    file's own family as well, and set text in a face the brand did not name."""

    def __init__(self) -> None:
        from weasyprint.text.ffi import ffi, fontconfig, pangoft2

        super().__init__()
        self.faces = 0
        config = _empty_config()
        pangoft2.pango_fc_font_map_set_config(ffi.cast("PangoFcFontMap *", self.font_map),
                                              config)
        fontconfig.FcConfigDestroy(config)  # the font map keeps its own reference
        self._config = config

    def add_font_face(self, rule_descriptors, url_fetcher):
        """WeasyPrint's (``weasyprint/text/fonts.py``), counted in :attr:`faces` when
        the face's file is there afterwards: WeasyPrint writes each face it reads to
        its folder, named by the MD5 of the rule's descriptors, before it adds it to
        fontconfig (and returns nothing either way)."""
        super().add_font_face(rule_descriptors, url_fetcher)
        digest = hashlib.md5(str(rule_descriptors).encode(), usedforsecurity=False).hexdigest()
        if self._folder is not None and (Path(self._folder) / digest).is_file():
            self.faces += 1


# --------------------------------------------------------------------------- the check

SKIPPED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
"""Characters no glyph draws: controls, format characters (soft hyphen, zero-width
space and joiners, bidirectional marks), line and paragraph separators."""

WEIGHTS = {"normal": 400, "bold": 700, "lighter": 300, "bolder": 700}
"""SVG ``font-weight`` keywords as numbers (``lighter``/``bolder`` approximated)."""


ChartSource = Callable[[str, str], "tuple[Path, int | None] | None"]
"""Where a chart asks for a family: called with a chart image's file name and the
family, the figure module that drew it and the line that writes the name (None
when the image is no chart); :meth:`~.charts.ChartJob.written`."""


def check_fonts(document: Document, brand: Brand, brand_path: Path,
                root: Path | None = None, charts: ChartSource | None = None,
                first_page: int = 0) -> list[Finding]:
    """Findings (kind ``font``) about the fonts of a laid-out document, in page order:

    - text whose ``font-family`` names no brand family (only the brand's faces are
      available to the build, see :class:`BrandFontConfiguration`);
    - a chart's text (an image ``charts`` knows) whose first family is not a brand
      family as the brand file writes it: the chart engine matches names exactly and
      knows only the brand's faces under the brand's names and the system's fonts
      (:mod:`~.chartfonts`), so it laid the text out in another face than the page
      sets it in, at other widths; one finding per figure module and family, naming
      the module and the line that writes the family;
    - a weight and style asked for with no face of that family declared for it
      (WeasyPrint would set a neighbouring face, or synthesise one): one finding per
      family, weight and style;
    - a character not in the character map of the face that sets it (matched as
      CSS does, :func:`~almanac.project.fontfaces.match_face`, trying each brand
      family of the ``font-family`` list in turn): one finding per face and
      character, at its first occurrence.

    Each finding names the brand file (``brand_path``; relative to ``root`` in the
    message) and the line of the family or the face file, a chart's family its
    figure module and line, and gives the fix. ``first_page``: the 0-based index of
    the document's first page in a larger one (a part typeset apart)."""
    families = brand_faces(brand, brand_path)
    by_name = {name.casefold(): name for name in families}
    brand_name = _relative(brand_path, root)
    findings: list[Finding] = []
    asked: set[tuple] = set()
    missing: set[tuple[str, str]] = set()
    for number, page in enumerate(document.pages, start=first_page + 1):
        for text, stack, weight, style, where, image in _texts(page._page_box):
            names = [by_name[name.casefold()] for name in stack if name.casefold() in by_name]
            source = None
            if charts is not None and image and stack and stack[0] not in families:
                source = charts(image, stack[0])
            if source is not None:
                if (source[0], stack[0]) not in asked:
                    asked.add((source[0], stack[0]))
                    findings.append(_chart_family(number, text, stack[0],
                                                  by_name.get(stack[0].casefold()), source,
                                                  brand_name))
            elif not names:
                if ("family", stack) not in asked:
                    asked.add(("family", stack))
                    findings.append(Finding(
                        number, "font", f"page {number}: {where} asks for font-family "
                        f"{', '.join(stack)}, which names no family of {brand_name}; the "
                        "build uses only the brand's fonts", brand_path,
                        family_line(brand_path, brand.fonts.body.family),
                        "set font-family: var(--font-body) or var(--font-heading) in the "
                        "stylesheet, or make the family a brand family in " + brand_name))
            names = names or [brand.fonts.body.family]
            primary = families[names[0]]
            if not any((f.weight, f.style) == (weight, style) for f in primary) \
                    and (names[0], weight, style) not in asked:
                asked.add((names[0], weight, style))
                findings.append(_no_face(number, where, primary, names[0], weight, style,
                                         brand_path, brand_name))
            faces = [match_face(families[name], weight, style) for name in names]
            first = faces[0]
            if first is None or not first.cmap:
                continue
            for char in set(text):
                if unicodedata.category(char) in SKIPPED_CATEGORIES \
                        or (first.file, char) in missing:
                    continue
                if any(face is not None and ord(char) in face.cmap for face in faces):
                    continue
                missing.add((first.file, char))
                findings.append(_gap(number, where, first, char, text, brand_path, brand_name))
    return sorted(findings, key=lambda finding: finding.page)


def _chart_family(page: int, text: str, family: str, brand_family: str | None,
                  source: tuple[Path, int | None], brand_name: str) -> Finding:
    """A chart's text asks for ``family``, which is not a brand family as written
    (``brand_family`` is the one it names in another case, if any)."""
    module, line = source
    known = (f"the brand writes it {brand_family!r}, and the chart engine matches "
             "names exactly" if brand_family else f"not a family of {brand_name}")
    fix = (f"write {brand_family!r}, or leave the font to the theme" if brand_family else
           "leave the font to the theme (theme.font is the brand's body family), or make "
           f"the family a brand family in {brand_name}")
    return Finding(
        page, "font", f"page {page}: the chart of {module.name} sets '{_clip(text)}' in "
        f"font-family {family!r} ({known}), so the chart was laid out in another face "
        "than the page prints it in, and its text does not fit the space measured for it",
        module, line, fix)


def _relative(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.name


def _no_face(page: int, where: str, faces: list[Face], family: str, weight: int, style: str,
             brand_path: Path, brand_name: str) -> Finding:
    have = ", ".join(face.label().removeprefix(f"{family} ") for face in faces)
    role = faces[0].roles[0] if faces else "body"
    wanted = f"weight: {weight}" + (", style: italic" if style == "italic" else "")
    return Finding(
        page, "font", f"page {page}: the stylesheets ask for {family} weight {weight} "
        f"{style} ({where}); {brand_name} has no such face (it has {have}), so another "
        "face would be used or one synthesised", brand_path, family_line(brand_path, family),
        f"add a face with {wanted} to fonts.{role} in {brand_name}, or change the stylesheet")


def _gap(page: int, where: str, face: Face, char: str, text: str, brand_path: Path,
         brand_name: str) -> Finding:
    shown = repr(char) if char.isspace() else f"'{char}'"
    hyphen = char == HYPHEN and HYPHEN not in text.rstrip(HYPHEN)
    hint = (f"use a face that has the character (fonts.{face.roles[0]} in {brand_name}), "
            "or write the text without it")
    if hyphen:
        hint = ("use a face that has U+2010, or set hyphenate-character: \"-\" in the "
                "stylesheet (the build does so by itself when a brand face lacks it)")
    return Finding(
        page, "font", f"page {page}: {character_name(char)} {shown} is not in {face.label()} "
        f"({face.file}), which sets it in {where}"
        + (" (the hyphen added at a line's end)" if hyphen else "")
        + "; it prints as the font's missing-glyph box", brand_path,
        face.line or family_line(brand_path, face.family), hint)


Text = tuple[str, tuple[str, ...], int, str, str, str | None]
"""Text, families, weight, style, where, and the file name of the image it is in."""


def _texts(page_box: boxes.PageBox) -> Iterator[Text]:
    """Every visible piece of text on a page (margin boxes included) with the
    ``font-family`` list, weight, style (``italic`` for italic and oblique) that set
    it, a description of where it is and the file name of the SVG image it is in
    (None for the page's own text); the text of a hyphenated line ends with its
    ``hyphenate-character``, which is not part of the box's text."""
    for box, ancestors in _walk(page_box):
        if isinstance(box, boxes.TextBox):
            if box.style["visibility"] != "visible" or not box.text.strip():
                continue
            text = box.text
            layout = getattr(box, "pango_layout", None)
            hyphen = box.style["hyphenate_character"]
            shown = getattr(layout, "text", None) or ""
            if hyphen and shown.endswith(hyphen) and not text.endswith(hyphen):
                text += hyphen
            style = "normal" if box.style["font_style"] == "normal" else "italic"
            parent = next((b for b in reversed(ancestors) if b.element_tag), box)
            where = f"{_describe(parent, with_text=False)} '{_clip(box.text)}'"
            yield text, tuple(box.style["font_family"]), int(box.style["font_weight"]), \
                style, where, None
        elif isinstance(box, boxes.ReplacedBox):
            tree = getattr(getattr(getattr(box.replacement, "_svg", None), "tree", None),
                           "_etree_node", None)
            if tree is not None:
                source = box.element.get("src", "") if box.element is not None else ""
                yield from _svg_texts(tree, f"image {_image_name(box)}",
                                      source.rsplit("/", 1)[-1] or None)


_DECLARATION = re.compile(r"\s*([\w-]+)\s*:\s*([^;]+)")


def _svg_texts(element: Any, where: str, image: str | None,
               inherited: dict[str, str] | None = None) -> Iterator[Text]:
    """The text of an SVG's ``text`` elements with their inherited font attributes
    (presentation attributes and ``style`` declarations; SVG 2 §11.4)."""
    values = dict(inherited or {"font-family": "serif", "font-weight": "normal",
                                "font-style": "normal"})
    for key in ("font-family", "font-weight", "font-style"):
        if element.get(key):
            values[key] = element.get(key)
    for key, value in _DECLARATION.findall(element.get("style") or ""):
        if key in values:
            values[key] = value.strip()
    tag = element.tag.split("}", 1)[-1] if isinstance(element.tag, str) else ""
    if tag in ("text", "tspan", "textPath"):
        own = (element.text or "") + "".join(child.tail or "" for child in element)
        if own.strip():
            stack = tuple(name.strip().strip("'\"") for name in values["font-family"].split(","))
            weight = values["font-weight"]
            number = int(weight) if weight.isdigit() else WEIGHTS.get(weight, 400)
            style = "normal" if values["font-style"] == "normal" else "italic"
            yield own, stack, number, style, f"{where} '{_clip(own)}'", image
    for child in element:
        yield from _svg_texts(child, where, image, values)
