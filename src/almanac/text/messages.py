"""The words Almanac itself writes, from gettext message catalogues.

Every word Almanac puts on a page, in the preview or on the terminal — "page 3 of
15", "Contents", "Figure 2", the colophon, the statuses of results — is a message
in the gettext domain :data:`DOMAIN`, written in English in the source (the
``msgid``, as gettext has it) and translated by a catalogue per language:

- the built-in catalogues, ``almanac/locale/<lang>/LC_MESSAGES/almanac.po`` (the
  layout ``pybabel init``/``update``/``compile`` read and write; their template
  is ``almanac/locale/almanac.pot``, made by ``pybabel extract``);
- a project's own, ``locale/<tag>.po`` in the report's folder: every message it
  translates replaces the built-in translation, so a project can change any word
  ("Colophon" → "Credits") or add a language Almanac has no catalogue for.

Catalogues are read as ``.po`` text by Babel (``babel.messages.pofile.read_po``)
and compiled in memory (``babel.messages.mofile.write_mo``) into a
:class:`babel.support.Translations` — the standard ``gettext.GNUTranslations``
API that Jinja2's i18n extension installs (``install_gettext_translations``);
nothing compiled is kept in the repository.

A language tag is looked up from the most specific catalogue to the least,
project before built-in: ``de-AT`` → the project's ``de-AT.po``, Almanac's
``de_AT``, the project's ``de.po``, Almanac's ``de``. A language no catalogue
has gets the English source text, and :attr:`Catalogue.missing` says so, for
the build to warn (gettext's own behaviour: an untranslated message is its
``msgid``).
"""

from __future__ import annotations

import functools
import io
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import NullTranslations, Translations

from ..errors import Problem, ReportError
from ..project.files import Refused, read_bytes
from ..project.languages import lookup

DOMAIN = "almanac"
"""The gettext domain of Almanac's messages (the catalogues' file name)."""
SOURCE_LANGUAGE = "en"
"""The language the messages are written in (their ``msgid``)."""
BUILT_IN = files("almanac") / "locale"
"""The built-in catalogues: ``<lang>/LC_MESSAGES/almanac.po`` (package data)."""
PROJECT_LOCALE = "locale"
"""The folder of a project's own catalogues, ``locale/<tag>.po``."""
MAX_CATALOGUE_BYTES = 4 * 2**20
"""The largest catalogue read: Almanac's own are ~20 KB."""


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (gettext's ``N_``): for
    words kept in a table at import time and translated where they are used."""
    return message


def candidates(language: str) -> list[str]:
    """The catalogue names to try for a BCP 47 ``language`` tag, most specific
    first: ``de-AT`` → ``["de-AT", "de"]``, ``sr-Latn-RS`` → ``["sr-Latn-RS",
    "sr-Latn", "sr"]`` (RFC 4647 §3.4, "Lookup"; the same lookup finds a report's
    texts by language, :func:`almanac.project.languages.lookup`)."""
    return lookup(language)


def _gettext_name(tag: str) -> str:
    """``de-AT`` as gettext and Babel name a locale's folder: ``de_AT``."""
    return tag.replace("-", "_")


@functools.lru_cache(maxsize=32)
def _built_in(tag: str) -> Catalog | None:
    """Almanac's own catalogue named ``tag`` (``nl``, ``de-AT``), or None."""
    path = BUILT_IN / _gettext_name(tag) / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return None
    return read_po(io.BytesIO(path.read_bytes()), locale=_gettext_name(tag), domain=DOMAIN,
                   abort_invalid=True)


def built_in_languages() -> list[str]:
    """The languages Almanac has a catalogue for (``["de", "en", "fr", "nl"]``)."""
    return sorted(entry.name.replace("_", "-") for entry in BUILT_IN.iterdir()
                  if entry.is_dir() and (entry / "LC_MESSAGES" / f"{DOMAIN}.po").is_file())


def _project_catalogue(path: Path, roots, tag: str) -> Catalog:
    """A project's ``locale/<tag>.po``, checked: read as every project file is,
    parsed by Babel, and every translation keeping its message's placeholders
    (``%(number)s``; Babel's ``python-format`` checker). A ReportError names the
    file, the line and the fix."""
    try:
        data = read_bytes(path, roots, MAX_CATALOGUE_BYTES, "keep only Almanac's messages in it")
    except Refused as exc:
        raise ReportError(Problem(f"catalogue {exc.reason}", path, hint=exc.hint)) from None
    try:
        catalogue = read_po(io.BytesIO(data), locale=_locale_name(tag), domain=DOMAIN,
                            abort_invalid=True)
    except (PoFileError, UnicodeDecodeError, ValueError) as exc:
        line = _line_of(str(exc))
        raise ReportError(Problem(f"not a gettext catalogue: {str(exc)[:200]}", path, line,
                                  "write it as a .po file (msgid \"…\" / msgstr \"…\" pairs), "
                                  "e.g. from `almanac messages " + tag + "`")) from None
    problems = []
    for message, errors in catalogue.check():
        for error in errors:
            problems.append(Problem(f"translation of {message.id!r}: {error}", path,
                                    message.lineno,
                                    "keep every placeholder of the msgid, e.g. %(number)s"))
    if problems:
        raise ReportError(problems)
    return catalogue


def _line_of(text: str) -> int | None:
    match = re.search(r"line (\d+)", text)
    return int(match.group(1)) if match else None


def _locale_name(tag: str) -> str | None:
    try:
        return str(Locale.parse(_gettext_name(tag)))
    except (UnknownLocaleError, ValueError):
        return None


def _compiled(catalogue: Catalog) -> Translations:
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


@dataclass(frozen=True)
class Catalogue:
    """The messages of one language, as a build uses them.

    ``language`` is the tag asked for; ``found`` the catalogues that serve it, most
    specific first (``["locale/de-AT.po", "almanac:de"]``); ``missing`` is True when
    none does and the messages are the English source text. ``translations`` has
    the ``gettext.GNUTranslations`` API (``gettext``, ``ngettext``, ``pgettext``,
    ``npgettext``) that Jinja2's i18n extension takes.
    """

    language: str
    found: tuple[str, ...]
    translations: NullTranslations = field(repr=False, compare=False)

    @property
    def missing(self) -> bool:
        """True when no catalogue has this language (the English source is used)."""
        return not self.found

    def gettext(self, message: str, **values: object) -> str:
        """``message`` translated, with ``%(name)s`` placeholders filled from ``values``
        (none: the text as it is, a ``%`` left alone)."""
        text = self.translations.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, count: int, **values: object) -> str:
        """The form of ``singular``/``plural`` the language uses for ``count`` (its
        plural rule from the catalogue's ``Plural-Forms``), placeholders filled from
        ``values`` and ``count``."""
        text = self.translations.ngettext(singular, plural, count)
        return text % {"count": count, **values}

    def table(self) -> dict[str, str]:
        """Every singular message with its translation, ``{msgid: text}``: what a
        figure module in another process is given (a dict pickles; a translations
        object with its compiled plural rule does not)."""
        table: dict[str, str] = {}
        chain: list[NullTranslations] = []
        current: NullTranslations | None = self.translations
        while current is not None:
            chain.append(current)
            current = getattr(current, "_fallback", None)
        for translations in reversed(chain):  # the most specific last: it wins
            catalog = getattr(translations, "_catalog", {})
            table.update({key: value for key, value in catalog.items()
                          if isinstance(key, str) and key and isinstance(value, str)})
        return table


def catalogue(language: str, project: Path | None = None, roots=None) -> Catalogue:
    """The :class:`Catalogue` of ``language`` (a BCP 47 tag, ``nl``, ``en-GB``) for the
    project at ``project`` (None: the built-in catalogues only), looked up as the
    module says. ``roots`` are the folders the project's catalogues may be read from
    (:func:`almanac.project.theme.roots`). A project catalogue that cannot be read or
    breaks a placeholder is a :class:`~almanac.errors.ReportError` naming its file
    and line."""
    layers: list[tuple[str, Catalog]] = []
    for tag in candidates(language):
        if project is not None:
            path = Path(project) / PROJECT_LOCALE / f"{tag}.po"
            if path.exists() or path.is_symlink():
                layers.append((f"{PROJECT_LOCALE}/{tag}.po",
                               _project_catalogue(path, roots or project, tag)))
        built = _built_in(tag)
        if built is not None:
            layers.append((f"almanac:{_gettext_name(tag)}", built))
    translations: NullTranslations = NullTranslations()
    for _, layer in reversed(layers):  # the least specific first, each a fallback
        compiled = _compiled(layer)
        compiled.add_fallback(translations)
        translations = compiled
    return Catalogue(language, tuple(name for name, _ in layers), translations)


def interface_language(environ: Mapping[str, str] | None = None) -> str:
    """The language the user reads Almanac's own interface in (the command line, the
    preview), from the environment as gettext reads it (``LANGUAGE``, ``LC_ALL``,
    ``LC_MESSAGES``, ``LANG``, the first set, as ``babel.core.default_locale`` does), as a
    tag (``nl-NL``); English when none is set or it is ``C``/``POSIX``."""
    environ = os.environ if environ is None else environ
    keys = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
    value = next((environ[key] for key in keys if environ.get(key)), "")
    if not value or value.split(".")[0] in ("C", "POSIX"):
        return SOURCE_LANGUAGE
    # LANGUAGE may list several (nl:de): the first counts. nl_NL.UTF-8@euro → nl_NL.
    name = value.split(":")[0].split(".")[0].split("@")[0]
    try:
        return str(Locale.parse(name)).replace("_", "-")
    except (UnknownLocaleError, ValueError):
        return SOURCE_LANGUAGE


def css_string(text: str) -> str:
    """``text`` as a CSS string token (CSS Syntax 3 §4.3.5): in double quotes, a
    quote, a backslash and every control character escaped as a hex escape, and
    ``<`` and ``>`` too, so that the string can stand in an HTML ``<style>`` element
    (whose text ends at the first ``</style``, HTML §13.1.2.6)."""
    def escape(match: re.Match) -> str:
        return f"\\{ord(match.group(0)):x} "
    return '"' + re.sub(r'["\\<>\x00-\x1f\x7f\n]', escape, text) + '"'


_COUNTER = re.compile(r"%\((\w+)\)s")


def css_content(message: str, counters: Mapping[str, str]) -> str:
    """A translated message with placeholders as a CSS ``content`` value:
    ``"page %(page)s of %(pages)s"`` with ``{"page": "counter(page)", "pages":
    "counter(pages)"}`` → ``"page " counter(page) " of " counter(pages)``; the
    words become strings (:func:`css_string`), each placeholder its CSS value.
    A placeholder not in ``counters`` is a KeyError (a bug in the caller)."""
    parts: list[str] = []
    position = 0
    for match in _COUNTER.finditer(message):
        if match.start() > position:
            parts.append(css_string(message[position:match.start()]))
        parts.append(counters[match.group(1)])
        position = match.end()
    if position < len(message) or not parts:
        parts.append(css_string(message[position:]))
    return " ".join(parts)


def messages_of(catalogue: Catalog) -> Iterator[str]:
    """The ``msgid`` of every message of ``catalogue`` but its header (singular, or
    the singular of a plural pair)."""
    for message in catalogue:
        if message.id:
            yield message.id if isinstance(message.id, str) else message.id[0]
