"""The one Markdown renderer. Data becomes markup only through here.

Raw HTML in Markdown is disabled (it is escaped, not passed through), links
may only be relative or http(s)/mailto, and ``{{ key }}`` references are
replaced by the formatted number before rendering.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from markdown_it import MarkdownIt
from markupsafe import Markup

REFERENCE = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}")
SAFE_LINK = re.compile(r"^(https?:|mailto:|#)", re.IGNORECASE)


def _make_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False, "linkify": False})
    md.enable("table")
    md.validateLink = lambda url: bool(SAFE_LINK.match(url.strip()))
    return md


_PARSER = _make_parser()


class Prose:
    """Renders Markdown fields with number references resolved."""

    def __init__(self, resolve: Callable[[str], str]):
        self._resolve = resolve

    def substitute(self, text: str) -> str:
        return REFERENCE.sub(lambda m: self._resolve(m.group(1)), text)

    def block(self, text: str) -> Markup:
        """Markdown → HTML block markup."""
        return Markup(_PARSER.render(self.substitute(text)))

    def inline(self, text: str) -> Markup:
        """Markdown → HTML without the surrounding paragraph."""
        return Markup(_PARSER.renderInline(self.substitute(text)))
