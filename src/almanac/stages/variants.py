"""The output variants of a report: one layout, several kinds of PDF.

A *variant* is a kind of PDF made from the same report (screen, print, the
archival file); an *edition* is a published version of the report (1.0, 1.1).
Each variant carries what sets it apart, in the spirit of WeasyPrint's own
``pdf.VARIANTS`` registry:

- its look: which colour values of the brand are used (sRGB hex for screens,
  process colours for print) and which variant stylesheet is added
  (``styles/variant-<look>.css``); the templates see the look as ``variant``;
- its colour transform: SVG files (charts, placeholder photos) are recoloured
  to process colours for print;
- its PDF options: WeasyPrint's ``pdf_variant`` (``pdf/ua-1`` for the screen,
  ``pdf/x-4`` for print, ``pdf/a-3a`` for the archive), bleed, whether any layout
  warning fails it, and whether it is tagged: a tagged variant gets the structure tree
  of :mod:`.structure` and is identified as PDF/UA-1 (ISO 14289-1), the archive as both
  PDF/A-3a and PDF/UA-1; the print edition, made for a press, is not tagged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..project.model import Brand
from .brand import brand_css, output_profile, svg_for_print

Transform = Callable[[Path, bytes], bytes]


@dataclass(frozen=True)
class Variant:
    """One kind of PDF (see the module docstring)."""

    name: str
    description: str
    look: str  # "screen" or "print": the variant stylesheet and the templates' `variant`
    pdf_variant: str | None  # WeasyPrint's pdf_variant option
    process_colours: bool = False  # device-cmyk() from the brand instead of hex
    bleed: bool = False  # the brand's bleed and marks around the trim box
    strict: bool = False  # every warning (WeasyPrint's, the preflight's) fails the build
    file_suffix: str = ""  # added to the output file name, e.g. "-print"
    tagged: bool = False  # a structure tree (PDF/UA-1): screen readers, reflow, copying

    @property
    def stylesheet(self) -> str:
        """The variant's own stylesheet under ``styles/`` (used when it exists)."""
        return f"variant-{self.look}.css"

    def css(self, brand: Brand, brand_dir: Path) -> str:
        """The brand as CSS for this variant: ``@font-face`` rules, custom
        properties, and for print the bleed, marks and output profile."""
        return brand_css(brand, brand_dir, process_colours=self.process_colours,
                         bleed=self.bleed)

    def transform(self, brand: Brand, brand_dir: Path) -> Transform | None:
        """``(path, bytes) -> bytes`` applied to every file WeasyPrint reads, or None;
        for process colours, SVGs recoloured through the brand's output profile
        (relative to ``brand_dir``, the brand file's folder); photos are converted by
        the render stage (:meth:`~.render.Renderer.photo`)."""
        if not self.process_colours:
            return None
        profile = output_profile(brand, brand_dir)

        def recolour(path: Path, body: bytes) -> bytes:
            if path.suffix.lower() != ".svg":
                return body
            return svg_for_print(body.decode("utf-8"), brand, profile).encode("utf-8")

        return recolour


VARIANTS: dict[str, Variant] = {variant.name: variant for variant in (
    Variant("screen", "RGB colours, links, no bleed, tagged as PDF/UA-1 for screen readers",
            look="screen", pdf_variant="pdf/ua-1", tagged=True),
    Variant("print", "CMYK process colours, bleed with crop and cross marks, mirrored "
            "pages, PDF/X-4 with the brand's output intent", look="print",
            pdf_variant="pdf/x-4", process_colours=True, bleed=True, file_suffix="-print"),
    Variant("archive", "the screen look as PDF/A-3a and PDF/UA-1, tagged, with its sources "
            "embedded (made by publish)", look="screen", pdf_variant="pdf/a-3a", strict=True,
            tagged=True),
)}
BUILD_VARIANTS = ("screen", "print")
"""The variants ``almanac build`` makes; the archive is made by ``almanac publish``."""
