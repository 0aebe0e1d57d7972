"""The brand's font faces as files: what each face covers and which face CSS picks.

The brand file declares families (``fonts.body``, ``fonts.heading``), each with its
faces (file, weight, style). This module reads the character map (``cmap``) of each
face file with fontTools, matches a requested weight and style to a face as CSS
does, and summarises a face's coverage by Unicode block. It reads files only; the
check that a file is a whole font is :func:`~.checks.check_font`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .checks import line_of
from .model import Brand
from .theme import brand_file

ROLES = ("body", "heading")


@dataclass(frozen=True)
class Face:
    """One declared face of a brand family, with what its file holds.

    ``roles`` are the brand roles (``body``, ``heading``) declaring the family;
    ``line`` is the line of ``file`` in the brand file (None when not found);
    ``cmap`` the code points its character map maps; ``glyphs`` its glyph count;
    ``name`` the family name in the file's ``name`` table (typographic family,
    name ID 16, else ID 1)."""

    family: str
    roles: tuple[str, ...]
    file: str  # as written in the brand file, relative to its folder
    path: Path
    weight: int
    style: str  # "normal" or "italic"
    line: int | None
    cmap: frozenset[int]
    glyphs: int
    name: str

    def label(self) -> str:
        """``Lato 300 italic``."""
        return f"{self.family} {self.weight}" + (" italic" if self.style == "italic" else "")


_READ: dict[tuple, tuple[frozenset[int], int, str]] = {}  # (path, inode, size, mtime) → data


def read_face(path: Path) -> tuple[frozenset[int], int, str]:
    """(code points of the best ``cmap`` subtable, glyph count, family name) of a
    font file (the first face of a collection); an empty result when it cannot be
    read. Remembered per file while its inode, size and modification time stay."""
    try:
        stat = path.stat()
    except OSError:
        return frozenset(), 0, ""
    key = (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if key not in _READ:
        from fontTools.ttLib import TTFont

        try:
            with TTFont(path, fontNumber=0, lazy=True) as font:
                cmap = frozenset((font.getBestCmap() or {}).keys())
                names = font["name"] if "name" in font else None
                name = ((names.getDebugName(16) or names.getDebugName(1)) if names else "") or ""
                glyphs = font["maxp"].numGlyphs if "maxp" in font else len(font.getGlyphOrder())
        except Exception:  # a damaged file: reported by check_font when the brand is loaded
            return frozenset(), 0, ""
        if len(_READ) > 256:
            _READ.clear()
        _READ[key] = (cmap, glyphs, name)
    return _READ[key]


_ADVANCES: dict[tuple, dict[int, float]] = {}  # (path, inode, size, mtime) → advances


def advances(path: Path) -> dict[int, float]:
    """The advance width of each character a font file maps (its ``cmap``, as
    :func:`read_face`), in em: the glyph's ``hmtx`` advance divided by the face's
    ``unitsPerEm`` (OpenType ``head``); empty when the file cannot be read.
    Remembered per file while its inode, size and modification time stay."""
    try:
        stat = path.stat()
    except OSError:
        return {}
    key = (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if key not in _ADVANCES:
        from fontTools.ttLib import TTFont

        try:
            with TTFont(path, fontNumber=0, lazy=True) as font:
                em = font["head"].unitsPerEm
                metrics = font["hmtx"].metrics
                found = {code: metrics[glyph][0] / em
                         for code, glyph in (font.getBestCmap() or {}).items()
                         if glyph in metrics}
        except Exception:  # a damaged file: reported by check_font when the brand is loaded
            return {}
        if len(_ADVANCES) > 64:
            _ADVANCES.clear()
        _ADVANCES[key] = found
    return _ADVANCES[key]


def text_width(face: Face | None, text: str) -> float:
    """The width of ``text`` set in ``face``, in em: the sum of its characters'
    advances (:func:`advances`; no kerning, which only narrows figures), a character
    the face lacks counted as 0.6 em, about a figure's width; 0.6 em a character
    when there is no face or its file cannot be read."""
    widths = advances(face.path) if face is not None else {}
    return sum(widths.get(ord(char), 0.6) for char in text)


def brand_faces(brand: Brand, brand_path: Path) -> dict[str, list[Face]]:
    """Every declared face by family name (CSS ``font-family``, case as declared),
    in brand order; a family declared by both roles has the faces of both once
    (one ``@font-face`` per family, weight and style, the first declared wins, as
    :func:`~almanac.stages.brand.brand_css` writes them)."""
    families: dict[str, list[Face]] = {}
    roles: dict[str, tuple[str, ...]] = {}
    for role in ROLES:
        family = getattr(brand.fonts, role)
        roles[family.family] = roles.get(family.family, ()) + (role,)
    for role in ROLES:
        family = getattr(brand.fonts, role)
        faces = families.setdefault(family.family, [])
        for declared in family.faces:
            if any((f.weight, f.style) == (declared.weight, declared.style) for f in faces):
                continue
            path = brand_file(brand_path.parent, declared.file)
            cmap, glyphs, name = read_face(path)
            faces.append(Face(family.family, roles[family.family], declared.file, path,
                              declared.weight, declared.style,
                              line_of(brand_path, _escaped(declared.file)), cmap, glyphs, name))
    return families


def _escaped(text: str) -> str:
    import re

    return re.escape(text)


def family_line(brand_path: Path, family: str) -> int | None:
    """The line of the brand file that names ``family`` (``family: Lato``)."""
    return line_of(brand_path, rf"family:\s*['\"]?{_escaped(family)}\b")


def match_face(faces: list[Face], weight: int, style: str) -> Face | None:
    """The face CSS picks for ``weight`` and ``style`` (CSS Fonts 4 §5.2, font
    matching, step 4): italic asks for italic faces (then oblique, then normal),
    normal for normal ones (then the others); among those, the weight itself, else,
    for a weight from 400 to 500, the weights up to 500 ascending, then those below
    descending, then those above 500; for a weight below 400, lighter descending
    first, then heavier ascending; above 500, heavier ascending first, then lighter
    descending. None when ``faces`` is empty."""
    if not faces:
        return None
    preferred = [face for face in faces if face.style == style] or list(faces)
    below = sorted((f for f in preferred if f.weight < weight), key=lambda f: -f.weight)
    above = sorted((f for f in preferred if f.weight > weight), key=lambda f: f.weight)
    exact = [f for f in preferred if f.weight == weight]
    if exact:
        return exact[0]
    if 400 <= weight <= 500:
        upto = [f for f in above if f.weight <= 500]
        order = upto + below + [f for f in above if f.weight > 500]
    elif weight < 400:
        order = below + above
    else:
        order = above + below
    return order[0]


def character_name(char: str) -> str:
    """``U+2010 HYPHEN``: the code point and its Unicode name (or its category)."""
    code = ord(char)
    name = unicodedata.name(char, "") or f"<{unicodedata.category(char)}>"
    return f"U+{code:04X} {name}"


BLOCKS = (
    ("Basic Latin", 0x0020, 0x007E),
    ("Latin-1 Supplement", 0x00A0, 0x00FF),
    ("Latin Extended-A", 0x0100, 0x017F),
    ("Latin Extended-B", 0x0180, 0x024F),
    ("Greek", 0x0370, 0x03FF),
    ("Cyrillic", 0x0400, 0x04FF),
    ("General Punctuation", 0x2010, 0x205E),
    ("Currency Symbols", 0x20A0, 0x20C0),
    ("Arrows", 0x2190, 0x21FF),
    ("Mathematical Operators", 0x2200, 0x22FF),
)
"""Unicode blocks (Unicode 15, Blocks.txt) a report's text commonly draws from,
with the range of assigned characters counted; the ``fonts`` command shows how
much of each a face covers."""

TYPOGRAPHIC = "\u2010\u2013\u2014\u2018\u2019\u201c\u201d\u201e\u2022\u2026\u20ac\u00a0"
"""Characters a report sets without anyone typing them or noticing their absence:
the hyphen WeasyPrint inserts at a line's end (CSS ``hyphenate-character``, default
U+2010), dashes, typographic quotes, the bullet of list markers, the ellipsis, the
euro sign and the no-break space."""


def block_coverage(cmap: frozenset[int]) -> list[tuple[str, int, int]]:
    """(block name, characters covered, assigned characters) for each of
    :data:`BLOCKS`; only assigned code points (with a Unicode name or a
    non-``Cn`` category) count."""
    rows = []
    for name, first, last in BLOCKS:
        assigned = [code for code in range(first, last + 1)
                    if unicodedata.category(chr(code)) not in ("Cn", "Cc")]
        rows.append((name, sum(1 for code in assigned if code in cmap), len(assigned)))
    return rows


def missing_typographic(cmap: frozenset[int]) -> str:
    """The characters of :data:`TYPOGRAPHIC` the face lacks."""
    return "".join(char for char in TYPOGRAPHIC if ord(char) not in cmap)


HYPHEN = "\u2010"
HYPHEN_MINUS = "-"


def _stand_in(brand: Brand, brand_dir: Path, wanted: str) -> str | None:
    """U+002D HYPHEN-MINUS where a face of the brand (body or heading, files relative
    to ``brand_dir``) lacks ``wanted`` but every face has U+002D; None when every face
    has ``wanted``, or when the hyphen-minus would not help either (the font check
    then reports the gap)."""
    cmaps = [read_face(brand_file(brand_dir, face.file))[0] for role in ROLES
             for face in getattr(brand.fonts, role).faces]
    cmaps = [cmap for cmap in cmaps if cmap]
    if all(ord(wanted) in cmap for cmap in cmaps):
        return None
    if all(ord(HYPHEN_MINUS) in cmap for cmap in cmaps):
        return HYPHEN_MINUS
    return None


def hyphen_for(brand: Brand, brand_dir: Path) -> str | None:
    """The hyphen the build sets at line ends instead of CSS's default U+2010
    HYPHEN (CSS Text 4, ``hyphenate-character: auto``; WeasyPrint uses U+2010):
    U+002D HYPHEN-MINUS when a face of the brand lacks U+2010, so that no line ends
    in a glyph the font does not have (:func:`_stand_in`); None otherwise."""
    return _stand_in(brand, brand_dir, HYPHEN)


MINUS_SIGN = "\u2212"


def minus_for(brand: Brand, brand_dir: Path) -> str | None:
    """The character to print for U+2212 MINUS SIGN, which CLDR gives as the minus sign
    of Swedish, Finnish, Norwegian, Swiss German and other locales: U+002D
    HYPHEN-MINUS when a face of the brand lacks U+2212, as the built-in Noto Sans
    faces do (:func:`_stand_in`); None (the locale's own sign) otherwise."""
    return _stand_in(brand, brand_dir, MINUS_SIGN)


def font_listing(brand: Brand, brand_path: Path) -> list[dict]:
    """The brand's families for people and programs (the ``fonts`` command): for each
    family its name, brand roles and line in the brand file, and its faces, each
    with file, weight, style, the family name in the file, glyph count, the
    coverage of :data:`BLOCKS` as (block, covered, assigned) and the characters of
    :data:`TYPOGRAPHIC` it lacks, as ``U+XXXX NAME`` strings."""
    listing = []
    for family, faces in brand_faces(brand, brand_path).items():
        listing.append({
            "family": family, "roles": list(faces[0].roles) if faces else [],
            "line": family_line(brand_path, family),
            "faces": [{"file": face.file, "weight": face.weight, "style": face.style,
                       "line": face.line, "name": face.name, "glyphs": face.glyphs,
                       "blocks": [list(row) for row in block_coverage(face.cmap)],
                       "missing": [character_name(char)
                                   for char in missing_typographic(face.cmap)]}
                      for face in faces]})
    return listing
