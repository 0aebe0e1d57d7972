"""The one Markdown renderer. Data becomes markup only through here.

Raw HTML in Markdown is disabled (it is escaped, not passed through) and links
may only be http(s), mailto or in-document. Three kinds of reference are
resolved: ``{{ key }}`` inserts a formatted number, ``{{ ref:key }}`` a
cross-reference to a figure or table in the report's language ("figure 3 on page
12"; ``{{ Ref:key }}`` capitalised; the forms are
:data:`~almanac.project.model.REFERENCE_FORMS`), and ``[^key]`` a footnote whose
text the block gives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from markdown_it import MarkdownIt
from markupsafe import Markup, escape
from mdit_py_plugins.attrs import attrs_plugin

from ..project.model import LANGUAGE_TAG, MEMBER_PREFIX, TOKEN, reference_kind

SAFE_LINK = re.compile(r"^(https?:|mailto:|#)", re.IGNORECASE)
PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")


class _SafeLinks(MarkdownIt):
    """Links only to http(s), mailto or within the document."""

    def validateLink(self, url: str) -> bool:
        return bool(SAFE_LINK.match(url.strip()))


def _make_parser() -> MarkdownIt:
    md = _SafeLinks("commonmark", {"html": False, "typographer": False, "linkify": False})
    md.enable("table")
    # [Good morning]{lang=en}: a passage in another language, marked for screen
    # readers and hyphenation (PDF/UA-1, 7.2; WCAG 2.1, 3.1.2); no other attribute
    md.use(attrs_plugin, spans=True, allowed=["lang"])
    md.core.ruler.push("almanac_languages", _well_formed_languages)
    return md


def _well_formed_languages(state) -> None:
    """Drop a ``lang`` attribute that is not a BCP 47 language tag."""
    tag = re.compile(LANGUAGE_TAG)
    for token in state.tokens:
        for item in [token, *(token.children or [])]:
            value = item.attrs.get("lang")
            if value is not None and not tag.fullmatch(str(value)):
                del item.attrs["lang"]


_PARSER = _make_parser()


class Prose:
    """Renders Markdown fields with their references resolved.

    ``number(key)`` gives a number's text; ``xref(kind, key, capital)`` the markup
    of a cross-reference (kind ``ref``, ``figure`` or ``table``; ``capital`` when
    the form was written with a capital, ``{{ Ref:key }}``), and ``label(kind, key,
    capital)`` its words alone as text ("table 1"), for :meth:`text`; ``field(name)`` a
    family member's field as text, for ``{{ member.name }}`` (inserted as text, escaped:
    never read as Markdown or as a template). The references were
    checked when the report was loaded (:func:`~almanac.project.checks.check_numbers`).
    Markup is kept out of the Markdown source (where it would be escaped) as
    placeholders and put back after rendering.
    """

    def __init__(self, number: Callable[[str], str],
                 xref: Callable[[str, str, bool], Markup] | None = None,
                 label: Callable[[str, str, bool], str] | None = None,
                 field: Callable[[str], str] | None = None):
        self._number = number
        self._xref = xref
        self._label = label
        self._field = field

    def _member(self, key: str) -> str | None:
        """The text of ``{{ member.name }}`` (``key`` ``member.name``), or None for a
        key that is no member's field."""
        if not key.startswith(MEMBER_PREFIX):
            return None
        assert self._field is not None, "a member's field needs the field callback"
        return self._field(key.removeprefix(MEMBER_PREFIX))

    def _render(self, text: str, footnotes: Mapping[str, str], inline: bool) -> Markup:
        fragments: list[str] = []
        notes_end = [-1]  # where the last footnote call ended in ``text``

        def substitute(match: re.Match) -> str:
            form, key, note = match.groups()
            if note is not None:
                body = self._render(footnotes[note], {}, inline=True)
                # a call right after another ([^a][^b]) is set apart from it, so that
                # numbered calls 8 and 9 do not read as 89 (styles/components.css)
                kind = "footnote footnote-next" if match.start() == notes_end[0] \
                    else "footnote"
                notes_end[0] = match.end()
                markup = Markup('<span class="{}">{}</span>').format(kind, body)
            elif form is not None:
                markup = self._reference(form, key)
            elif (field := self._member(key)) is not None:
                markup = escape(field)
            else:
                return self._number(key)
            fragments.append(str(markup))
            return f"\ue000{len(fragments) - 1}\ue001"

        source = TOKEN.sub(substitute, text)
        html = _PARSER.renderInline(source) if inline else _PARSER.render(source)
        return Markup(PLACEHOLDER.sub(lambda m: fragments[int(m.group(1))], html))

    def _reference(self, form: str, key: str) -> Markup:
        assert self._xref is not None, "a cross-reference needs the xref callback"
        return self._xref(reference_kind(form), key, form[:1].isupper())

    def block(self, text: str, footnotes: Mapping[str, str] | None = None) -> Markup:
        """Markdown → HTML block markup."""
        return self._render(text, footnotes or {}, inline=False)

    def inline(self, text: str) -> Markup:
        """Markdown → HTML without the surrounding paragraph."""
        return self._render(text, {}, inline=True)

    def plain(self, text: str) -> Markup:
        """A plain-text field (a heading, a quotation, a caption, a label) with its
        ``{{ key }}`` numbers and cross-references resolved, as in prose, and every
        other character escaped: no Markdown, no footnotes (a ``[^key]`` stays as
        written)."""
        parts: list[Markup] = []
        last = 0
        for match in TOKEN.finditer(text):
            form, key, note = match.groups()
            parts.append(escape(text[last:match.start()]))
            if note is not None:
                parts.append(escape(match.group(0)))
            elif form is not None:
                parts.append(self._reference(form, key))
            else:
                field = self._member(key)
                parts.append(escape(self._number(key) if field is None else field))
            last = match.end()
        parts.append(escape(text[last:]))
        return Markup("").join(parts)

    def text(self, text: str) -> str:
        """A plain-text field as plain text, for where neither markup nor generated
        content can stand (an image's alternative text, a bookmark): its ``{{ key }}``
        numbers formatted, each cross-reference as its label alone ("table 1"; the
        page of "table 1 on page 12" is filled in by the layout, which text outside
        the page's flow never gets), every other character as written (a ``[^key]``
        too, as :meth:`plain` leaves it). Not escaped: the caller's template escapes
        it."""

        def substitute(match: re.Match) -> str:
            form, key, note = match.groups()
            if note is not None:
                return match.group(0)
            if form is None:
                field = self._member(key)
                return self._number(key) if field is None else field
            assert self._label is not None, "a cross-reference needs the label callback"
            return self._label(reference_kind(form), key, form[:1].isupper())

        return TOKEN.sub(substitute, text)
