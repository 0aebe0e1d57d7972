"""Where a visible signature goes on a page: ``publish --signature-box`` and
``report.yaml``'s ``archive.signature_box``, written ``PAGE`` or ``PAGE:X,Y,W,H`` in
millimetres. The box is placed and drawn when the edition is signed
(:mod:`almanac.editions.signing`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

MM = 72 / 25.4
"""Points (1/72 inch, the default user space unit: ISO 32000-1 8.3.2.3) per millimetre."""
DEFAULT_BOX_SIZE = (70.0, 18.0)
"""The width and height of a visible signature given without a box, in millimetres."""
DEFAULT_BOX_MARGINS = (22.0, 24.0)
"""Its distance from the trim box's right and bottom edges, in millimetres."""
MINIMUM_BOX_SIZE = (30.0, 11.0)
"""The smallest width and height of a box, in millimetres: the signature's two lines
(the signer, the signing time ``YYYY-MM-DD HH:MM UTC``) set at 8 pt on 11 pt leading
inside margins of 8 pt left and right and 6 pt top and bottom are shrunk to fit
(:mod:`almanac.editions.signing`), and in a box of 30 x 11 mm the time still stands
at 6 pt or more; a long name is checked against its box when the edition is
signed."""
BOX_FORMS = ("PAGE:X,Y,W,H (PAGE a page number from 1 or 'last', X,Y the box's lower "
             "left corner from the page's lower left corner, W,H its size, in mm), or "
             "PAGE alone for a 70 x 18 mm box in the foot of the page, e.g. last, "
             "last:20,20,70,18 or 1:120,15,70,18")


@dataclass(frozen=True)
class SignatureBox:
    """Where a visible signature goes: ``page`` from 1 (None: the last page) and
    ``box`` ``(x, y, width, height)`` in millimetres, ``x``/``y`` its lower left
    corner measured from the lower left corner of the page's trim box (its
    ``/TrimBox``, else its ``/CropBox``, else its ``/MediaBox``; ISO 32000-1 14.11.2);
    None: :data:`DEFAULT_BOX_SIZE` at :data:`DEFAULT_BOX_MARGINS` from the
    bottom right corner."""

    page: int | None = None
    box: tuple[float, float, float, float] | None = None
    origin: str = field(default="--signature-box", compare=False)
    """Where it was written, for a message: the option, or ``archive.signature_box``."""
    path: Path | None = field(default=None, compare=False)
    """The file it was written in (report.yaml), and its ``line``; None: the command line."""
    line: int | None = field(default=None, compare=False)
    language: str | None = field(default=None, compare=False)
    """The language of the edition it is placed on, named in a refusal when a report
    is published in several; None: not named."""

    def __str__(self) -> str:
        page = "last" if self.page is None else str(self.page)
        if self.box is None:
            return page
        return page + ":" + ",".join(f"{value:g}" for value in self.box)


def parse_signature_box(text: str) -> SignatureBox:
    """The :class:`SignatureBox` written ``PAGE`` or ``PAGE:X,Y,W,H`` (see
    :data:`BOX_FORMS`; numbers with a ``.`` for decimals). ValueError saying what is
    wrong, then after ``; `` the forms it takes: not that shape, a page below 1, a
    width or height not above 0, a box smaller than :data:`MINIMUM_BOX_SIZE`, a
    corner below 0. Whether the box fits the page is
    seen on the PDF (:func:`almanac.editions.signing.signature_rect`)."""
    page_text, colon, box_text = text.strip().partition(":")
    page_text = page_text.strip().lower()
    page: int | None = None
    if page_text != "last":
        if not page_text.isascii() or not page_text.isdigit() or int(page_text) < 1:
            raise ValueError("names no page: the page is a number from 1, or 'last'; "
                             "write " + BOX_FORMS)
        page = int(page_text)
    if not colon:
        return SignatureBox(page)
    parts = [part.strip() for part in box_text.split(",")]
    # digits with an optional decimal point: not float()'s "1_0", "1e3", "inf" or "nan"
    values: tuple[float, ...] = ()
    if all(re.fullmatch(r"[0-9]+(\.[0-9]*)?|\.[0-9]+", part, re.ASCII) for part in parts):
        values = tuple(float(part) for part in parts)
    if len(values) != 4 or not all(0 <= value < 10_000 for value in values):
        raise ValueError("is not a box: the box is four numbers of millimetres X,Y,W,H "
                         "(digits, a '.' for decimals), "
                         "none below 0; write " + BOX_FORMS)
    x, y, width, height = values
    if width <= 0 or height <= 0:
        raise ValueError("has an empty box: its width and height must be above 0; write "
                         + BOX_FORMS)
    least_width, least_height = MINIMUM_BOX_SIZE
    if width < least_width or height < least_height:
        raise ValueError(f"is too small to read: the box is at least {least_width:g} x "
                         f"{least_height:g} mm (W,H) for the signer and the signing time "
                         f"at 6 pt or more; write " + BOX_FORMS)
    return SignatureBox(page, (x, y, width, height))
