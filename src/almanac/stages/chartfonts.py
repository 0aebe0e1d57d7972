"""The brand's faces as the chart engine reads them: under the names the brand gives.

WeasyPrint sets a brand family in the faces of the ``@font-face`` rules the build
writes (:func:`~.brand.brand_css`): the family is the name the brand file gives it,
whatever the font files call themselves, and a face's weight and style are the ones
the brand declares (CSS Fonts 4 §4.1: the descriptors of the rule, not the file's
names, define the face). vl-convert, which lays out every chart and measures its
text, has a font database of its own (fontdb, fed by ``register_font_directory``):
it matches a family by the names in the files' ``name`` tables, exactly, case
included (typographic family, name ID 16, and family, ID 1), a weight by the
file's ``OS/2`` ``usWeightClass``, italic by its ``fsSelection``, and reads only
files named ``.ttf``, ``.otf``, ``.ttc`` and ``.otc``. A family the brand names
otherwise than its files (``family: House Sans`` set in ``Lato-*.ttf``), in another
case, or shipped as WOFF would be unknown to it: the chart would be laid out in a
fallback face, wider or narrower than the brand's, and then scaled to its box.

So the chart engine is given copies of the brand's faces, one for each family,
weight and style the ``@font-face`` rules declare (the first declared wins, as in
:func:`~.brand.brand_css`), each saying what the brand says: the brand's family
name (IDs 1 and 16, and the full and PostScript names, IDs 4 and 6, made from it),
the declared weight and style (``OS/2`` ``usWeightClass`` and ``fsSelection``,
``head`` ``macStyle``), as plain OpenType (WOFF and WOFF2 unpacked). A face whose
file says all of that already is copied byte for byte. The copies go into a folder
of the chart store named by a hash of what they are made from (:data:`FORMAT`,
and each face's family, weight, style and file content), which the chart worker
registers before it draws anything and whose name is part of each chart's key: a
change of a font file or of a brand's declaration draws the charts again.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import ChartError, Problem
from ..project.checks import line_of
from ..project.files import Refused, read_bytes
from ..project.model import Brand
from ..project.theme import brand_file, roots
from .output import WriteError, check_output_folder, write_file

FORMAT = 1
"""The version of how copies are made: a change makes new folders (and chart keys)."""
MAX_FONT_BYTES = 64 * 2**20
"""The largest font file read (as WeasyPrint's fetcher reads at most 64 MiB a file)."""
FOLDER = "fonts"
"""The folder of the chart store (``.almanac-cache/charts/``) that holds the copies."""
FAMILY_IDS = (1, 16)
"""``name`` table IDs of a family name (OpenType ``name``: 1 family, 16 typographic
family); fontdb takes a face's families from them."""


@dataclass(frozen=True)
class ChartFace:
    """One face of a brand family as the chart engine is to know it: ``family`` as
    the brand file writes it, ``weight`` (100–900) and ``style`` (``normal`` or
    ``italic``) as it declares them, ``data`` the bytes of its file ``path``."""

    family: str
    weight: int
    style: str
    path: Path
    data: bytes


@dataclass(frozen=True)
class ChartFonts:
    """The copies of the brand's faces for the chart engine: ``folder`` (named by
    the hash of what they are made from, inside the chart store ``store``) and the
    faces they are made of, in the order of the brand's ``@font-face`` rules."""

    store: Path
    folder: Path
    faces: tuple[ChartFace, ...]

    def write(self, root: Path) -> Path:
        """Write the copies into :attr:`folder` (inside the project ``root``) unless
        they are all there; returns the folder. Each file is written whole or not at
        all (:func:`~.output.write_file`), so the folder never holds part of a font,
        and two builds writing it at once write the same bytes. A WriteError when a
        file cannot be written (the folders it made for it are removed again when
        empty), a ReportError when the folder is a link out of the project
        (:func:`~.output.check_output_folder`)."""
        relative = self.folder.relative_to(root)
        check_output_folder(root, (str(relative.parent), str(relative)))
        try:
            for index, face in enumerate(self.faces):
                if any(self.folder.glob(f"{index:02d}.*")):
                    continue
                data, suffix = chart_face(face.data, face.family, face.weight, face.style)
                write_file(self.folder / f"{index:02d}{suffix}", data, root, durable=False)
        except WriteError:
            for folder in (self.folder, self.folder.parent):  # made for nothing: removed
                try:
                    folder.rmdir()  # only when empty
                except OSError:
                    pass
            raise
        return self.folder


def chart_fonts(brand: Brand, brand_path: Path, root: Path, store: Path) -> ChartFonts:
    """The brand's faces for the chart engine (:class:`ChartFonts`), one per family,
    weight and style in the order of :func:`~.brand.brand_css`'s ``@font-face`` rules,
    their folder named by the hash of :data:`FORMAT` and each face's family, weight,
    style and bytes; nothing is written yet (:meth:`ChartFonts.write`). Each file is
    read as every project file is (:func:`~almanac.project.files.read_bytes`: inside
    the project or the theme, a regular file of at most 64 MiB); one that cannot be
    is a :class:`~almanac.errors.ChartError` naming the brand file and its line."""
    faces: list[ChartFace] = []
    problems: list[Problem] = []
    seen: set[tuple[str, int, str]] = set()
    allowed = roots(root)
    for role in ("body", "heading"):
        family = getattr(brand.fonts, role)
        for face in family.faces:
            key = (family.family, face.weight, face.style)
            if key in seen:
                continue
            seen.add(key)
            path = brand_file(brand_path.parent, face.file)
            try:
                data = read_bytes(path, allowed, MAX_FONT_BYTES, "use a smaller font file")
            except Refused as exc:
                problems.append(Problem(f"font file {face.file} {exc.reason}", brand_path,
                                        line_of(brand_path, re.escape(face.file)), exc.hint,
                                        f"fonts.{role}"))
                continue
            faces.append(ChartFace(family.family, face.weight, face.style, path, data))
    if problems:
        raise ChartError(problems)
    digest = hashlib.sha256(f"chart fonts {FORMAT}\0".encode())
    for face in faces:
        digest.update(f"{face.family}\0{face.weight}\0{face.style}\0".encode())
        digest.update(hashlib.sha256(face.data).digest())
    return ChartFonts(store, store / FOLDER / digest.hexdigest()[:32], tuple(faces))


def chart_face(data: bytes, family: str, weight: int, style: str) -> tuple[bytes, str]:
    """The font file ``data`` (the first face of a collection) as the chart engine is
    to read it, and the file suffix it needs (``.ttf``, or ``.otf`` for CFF outlines):
    every family name (IDs 1 and 16) ``family``, the full name (ID 4) ``family`` and
    the subfamily (ID 17, else 2), the PostScript name (ID 6) made of their printable
    ASCII letters (at most 63, Adobe Technical Note #5902), ``OS/2`` ``usWeightClass``
    ``weight``, the italic bit of ``OS/2`` ``fsSelection`` and ``head`` ``macStyle`` as
    ``style`` asks (the oblique bit cleared; the bold and regular bits following),
    and no WOFF or WOFF2 wrapping. The bytes are ``data`` itself when the file says
    all of that already; the glyphs and their metrics are never changed."""
    from fontTools.ttLib import TTFont

    italic = style == "italic"
    with TTFont(io.BytesIO(data), fontNumber=0, recalcTimestamp=False,
                recalcBBoxes=False) as font:
        suffix = ".otf" if font.sfntVersion == "OTTO" else ".ttf"
        names = font["name"] if "name" in font else None
        os2 = font["OS/2"] if "OS/2" in font else None
        families = {record.toUnicode() for record in (names.names if names else [])
                    if record.nameID in FAMILY_IDS}
        same = (font.flavor is None and data[:4] != b"ttcf" and families == {family}
                and (os2 is None or (os2.usWeightClass == weight
                                     and bool(os2.fsSelection & 1) == italic
                                     and not os2.fsSelection & 1 << 9)))
        if same:
            return data, suffix
        if names is None:
            from fontTools.ttLib import newTable

            names = font["name"] = newTable("name")
            names.names = []
        subfamily = (names.getDebugName(17) or names.getDebugName(2)
                     or ("Italic" if italic else "Regular"))
        for name_id in (*FAMILY_IDS, 4, 6):
            names.removeNames(nameID=name_id)
        postscript = re.sub(r"[^!-~]|[\[\](){}<>/%]", "", f"{family}-{subfamily}")[:63]
        for name_id, text in ((1, family), (16, family), (4, f"{family} {subfamily}"),
                              (6, postscript.strip("-") or "Face")):
            names.setName(text, name_id, 3, 1, 0x409)  # Windows, Unicode BMP, English
        bold = weight >= 700
        if os2 is not None:
            os2.usWeightClass = weight
            keep = os2.fsSelection & ~(1 | 1 << 5 | 1 << 6 | 1 << 9)
            os2.fsSelection = keep | italic | bold << 5 | (not (italic or bold)) << 6
        if "head" in font:
            font["head"].macStyle = (font["head"].macStyle & ~3) | bold | italic << 1
        font.flavor = None
        out = io.BytesIO()
        font.save(out)
    return out.getvalue(), suffix
