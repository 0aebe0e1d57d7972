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

import difflib
import functools
import io
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, TranslationError
from babel.messages.checkers import num_plurals
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import NullTranslations, Translations

from ..errors import Problem, ReportError
from ..project.files import Refused, read_bytes
from ..project.languages import lookup
from ..project.parts import LOCALE

DOMAIN = "almanac"
"""The gettext domain of Almanac's messages (the catalogues' file name)."""
SOURCE_LANGUAGE = "en"
"""The language the messages are written in (their ``msgid``)."""
BUILT_IN = files("almanac") / "locale"
"""The built-in catalogues: ``<lang>/LC_MESSAGES/almanac.po`` (package data)."""
PROJECT_LOCALE = LOCALE
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
    """A project's ``locale/<tag>.po``, checked before a build uses it: read as every
    project file is; UTF-8 text (:func:`_utf8_problem`); every line in gettext's
    form (:func:`_line_problems`), which Babel's reader does not insist on; parsed by
    Babel (``read_po``); every translation usable as Jinja2's i18n extension uses it
    (:func:`translation_problems`) and with as many plural forms as the language has
    (Babel's ``num_plurals`` checker). A ReportError names the file, the line of each
    problem and its fix."""
    try:
        data = read_bytes(path, roots, MAX_CATALOGUE_BYTES, "keep only Almanac's messages in it")
    except Refused as exc:
        raise ReportError(Problem(f"catalogue {exc.reason}", path, hint=exc.hint)) from None
    data = data.removeprefix(BOM)  # as some editors save UTF-8; Babel's reader stops at it
    problem = _utf8_problem(data, path)
    if problem is not None:
        raise ReportError(problem)
    problems = _line_problems(data.decode("utf-8"), path)
    if problems:
        raise ReportError(problems)
    try:
        catalogue = read_po(io.BytesIO(data), locale=_locale_name(tag), domain=DOMAIN,
                            abort_invalid=True)
    except (PoFileError, UnicodeDecodeError, ValueError) as exc:
        lineno = getattr(exc, "lineno", None)
        line = lineno + 1 if isinstance(lineno, int) else _line_of(str(exc))
        raise ReportError(Problem(f"not a gettext catalogue: {str(exc)[:200]}", path, line,
                                  "write it as a .po file (msgid \"…\" / msgstr \"…\" pairs), "
                                  "e.g. from `almanac messages " + tag + "`")) from None
    if catalogue.charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        line, written = _charset(data.decode("utf-8"))
        raise ReportError(Problem(
            f"the header declares the character set {written or catalogue.charset}", path,
            line, "save the file as UTF-8 and write charset=UTF-8 in its Content-Type line"))
    for message in catalogue:
        if not message.id:
            continue
        for text, hint in translation_problems(message.id, message.string):
            problems.append(Problem(f"the translation of {_shown(message.id)} {text}", path,
                                    message.lineno, hint))
        try:
            num_plurals(catalogue, message)
        except TranslationError as exc:
            problems.append(Problem(f"the translation of {_shown(message.id)}: {exc}", path,
                                    message.lineno, "give one msgstr[n] for each plural form "
                                    "of the language (its Plural-Forms header)"))
    if problems:
        raise ReportError(problems)
    return catalogue


BOM = b"\xef\xbb\xbf"
"""The UTF-8 byte order mark (Unicode §23.8), which a catalogue may start with."""
MAX_LINE_PROBLEMS = 20
"""The most lines of one catalogue named in one error."""
_STRING = r'"(?:[^"\\]|\\.)*"'
_KEYWORD = r"msgctxt|msgid|msgid_plural|msgstr|msgstr\[\d+\]"
_ENTRY_LINE = re.compile(rf"(?:(?:{_KEYWORD})\s+)?{_STRING}")
_KEYWORD_START = re.compile(rf"({_KEYWORD})(?=\s|\"|$)")


def _utf8_problem(data: bytes, path: Path) -> Problem | None:
    """A Problem naming the line of the first byte of ``data`` that is not UTF-8, or None."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return Problem(f"is not UTF-8 text: byte 0x{data[exc.start]:02x} on this line is not "
                       "a UTF-8 character", path, line,
                       "save it as UTF-8 (in the editor's 'save as' or 'encoding' choice)")
    return None


def _line_problems(text: str, path: Path) -> list[Problem]:
    """The lines of ``text`` (a ``.po`` file) not in gettext's form (the GNU gettext
    manual, "The Format of PO Files"): each must be blank, a comment (``#…``), a
    keyword (``msgctxt``, ``msgid``, ``msgid_plural``, ``msgstr``, ``msgstr[n]``)
    followed by one string in double quotes, or a string continuing the one above;
    inside a string a ``"`` or ``\\`` is escaped by a backslash. Babel's ``read_po``
    reads some of these wrongly without a word (an unclosed string loses its last
    character)."""
    problems: list[Problem] = []
    for number, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line or line.startswith("#") or _ENTRY_LINE.fullmatch(line):
            continue
        keyword = _KEYWORD_START.match(line)
        rest = line[keyword.end():].strip() if keyword else line
        name = keyword.group(1) if keyword else "the string"
        if keyword and line[keyword.end():][:1] == '"':
            problems.append(Problem(
                f"{name} and its string are not apart", path, number,
                f'write a space between them: {name} "…"'))
        elif rest.startswith('"') and not re.fullmatch(_STRING + r".*", rest):
            problems.append(Problem(
                f"the string of {name} is not closed", path, number,
                'end it with a " on the same line (a " inside the text is written \\")'))
        elif rest.startswith('"'):
            problems.append(Problem(
                f"there is more on the line after the string of {name}", path, number,
                'write one string in double quotes per line (a " inside the text is '
                'written \\"; a comment goes on a line of its own, after #)'))
        elif keyword:
            problems.append(Problem(
                f"{name} is not followed by a string in double quotes", path, number,
                f'write {name} "…"'))
        else:
            problems.append(Problem(
                f"is not a line of a gettext catalogue: {line[:60]!r}", path, number,
                'write msgid "…" and msgstr "…" lines, a "…" line to continue a string, '
                "or a comment after #"))
        if len(problems) == MAX_LINE_PROBLEMS:
            break
    return problems


def _charset(text: str) -> tuple[int | None, str | None]:
    """The line of the ``charset=`` of a catalogue's header, and the charset as written."""
    for number, line in enumerate(text.split("\n"), 1):
        found = re.search(r"charset=([\w.:-]+)", line, re.IGNORECASE)
        if found:
            return number, found.group(1)
    return None, None


def _shown(message_id: str | Sequence[str]) -> str:
    return repr(message_id if isinstance(message_id, str) else message_id[0])


_SPECIFIER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?"
                        r"[hlL]?(?P<kind>.?)", re.DOTALL)
"""A conversion specifier of Python's ``%`` formatting (printf-style String Formatting:
mapping key, flags, width, precision, length modifier, conversion type)."""
_NUMERIC = "diouxXeEfFgGc"


def placeholders(text: str) -> tuple[dict[str, str], list[str]]:
    """The named placeholders of ``text`` as Python's ``%`` formatting reads it, each
    by name with its specifier as written (``{"count": "%(count)s", "size":
    "%(size).0f"}``), and the ``%`` that are none (a lone ``%``, ``% o`` in "50% off",
    an unnamed ``%s``): a literal percent sign is written ``%%``."""
    named: dict[str, str] = {}
    stray: list[str] = []
    for match in _SPECIFIER.finditer(text):
        spec, name, kind = match.group(0), match.group("name"), match.group("kind")
        if spec == "%%":
            continue
        if name is None or not kind or kind not in _NUMERIC + "rsa":
            stray.append(spec)
        else:
            named.setdefault(name, spec)
    return named, stray


class _Blank(dict):
    """A mapping with a value for every name, for a trial of ``%`` formatting."""

    def __missing__(self, key: str) -> str:
        return ""


def translation_problems(msgid: str | Sequence[str],
                         msgstr: str | Sequence[str] | None) -> list[tuple[str, str]]:
    """What keeps the translation ``msgstr`` of ``msgid`` (both a string, or a tuple of
    the plural forms) from being printed, as ``(problem, fix)`` pairs: an empty list
    when it is fine or untranslated.

    Jinja2's i18n extension with ``newstyle`` gettext fills every message with
    Python's ``%`` (its ``_make_new_gettext``: ``rv % variables``), so a translation
    must format with the msgid's placeholders — a literal ``%`` written ``%%`` — and
    use exactly the msgid's named placeholders: the same names, over all the forms of
    a plural message (gettext's ``python-format``; a singular form may leave out
    ``%(count)s``, as ``"one page"`` does)."""
    ids = (msgid,) if isinstance(msgid, str) else tuple(msgid)
    forms = [form for form in ((msgstr,) if isinstance(msgstr, str) else msgstr or ()) if form]
    if not forms:
        return []
    expected: dict[str, str] = {}
    for form in ids:
        expected.update(placeholders(form)[0])
    keep = " and ".join(expected.values())
    found: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    trial = _Blank({name: 0 if spec[-1] in _NUMERIC else "" for name, spec in expected.items()})
    for form in forms:
        named, stray = placeholders(form)
        found.update(named)
        if stray:
            problems.append((f"has a % that is not a placeholder: {form[:80]!r}",
                             "write a % as %%" + (f" and keep {keep}" if keep else "")))
            continue
        try:
            form % trial
        except (ValueError, TypeError, KeyError) as exc:
            problems.append((f"cannot be filled in ({exc}): {form[:80]!r}",
                             f"write each placeholder as the message does ({keep}) and "
                             "a % as %%" if keep else "write a % as %%"))
    if problems:  # a form that does not fill in: its fix names the placeholders already
        return problems
    missing = [spec for name, spec in expected.items() if name not in found]
    extra = [spec for name, spec in found.items() if name not in expected]
    if missing and extra:
        problems.append((f"has {' and '.join(extra)} instead of {' and '.join(missing)}",
                         f"keep {keep}: a placeholder is not translated"))
    elif missing:
        problems.append((f"leaves out {' and '.join(missing)}",
                         f"keep {keep}, each where its value goes in the sentence"))
    elif extra:
        given = f"only {keep}" if keep else "no placeholders"
        problems.append((f"has {' and '.join(extra)}, which the message does not give",
                         f"remove {' and '.join(extra)}: the message gives {given}"
                         + (" (a literal % is written %%)" if not keep else "")))
    return problems


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
    strays: tuple[Problem, ...] = field(default=(), repr=False, compare=False)
    """The messages of the project's catalogues that Almanac never asks for, each a
    problem on its line (a build warns about them)."""

    @property
    def missing(self) -> bool:
        """True when no catalogue has this language (the English source is used)."""
        return not self.found

    def gettext(self, message: str, **values: object) -> str:
        """``message`` translated, with ``%(name)s`` placeholders filled from ``values``
        (:func:`fill`: a translation as a template prints it, ``%%`` a ``%``)."""
        return fill(message, self.translations.gettext(message), values)

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


def fill(message: str, text: str, values: Mapping[str, object]) -> str:
    """``text``, the translation of the msgid ``message`` (or ``message`` itself),
    with its placeholders filled from ``values`` by Python's ``%``, as Jinja2's
    newstyle gettext fills every message in a template; a translation without
    placeholders is read the same way (its ``%%`` a ``%``: :func:`translation_problems`
    holds every project translation to that), so that it reads the same wherever it is
    printed. Without ``values``, a text with placeholders is returned as it is, for
    the caller to fill (:func:`css_content`), and so is an untranslated message
    (gettext's fallback: a figure module's own "Share in %")."""
    if values:
        return text % values
    if text == message or placeholders(text)[0]:
        return text
    try:
        return text % {}
    except (ValueError, TypeError, KeyError):  # not a checked catalogue's text
        return text


def catalogue(language: str, project: Path | None = None, roots=None) -> Catalogue:
    """The :class:`Catalogue` of ``language`` (a BCP 47 tag, ``nl``, ``en-GB``) for the
    project at ``project`` (None: the built-in catalogues only), looked up as the
    module says. ``roots`` are the folders the project's catalogues may be read from
    (:func:`almanac.project.theme.roots`). A project catalogue that cannot be read or
    breaks a placeholder is a :class:`~almanac.errors.ReportError` naming its file
    and line."""
    layers: list[tuple[str, Catalog]] = []
    strays: list[Problem] = []
    for tag in candidates(language):
        if project is not None:
            path = Path(project) / PROJECT_LOCALE / f"{tag}.po"
            if path.exists() or path.is_symlink():
                layers.append((f"{PROJECT_LOCALE}/{tag}.po",
                               _project_catalogue(path, roots or project, tag)))
                strays += _strays(layers[-1][1], path)
        built = _built_in(tag)
        if built is not None:
            layers.append((f"almanac:{_gettext_name(tag)}", built))
    translations: NullTranslations = NullTranslations()
    for _, layer in reversed(layers):  # the least specific first, each a fallback
        compiled = _compiled(layer)
        compiled.add_fallback(translations)
        translations = compiled
    return Catalogue(language, tuple(name for name, _ in layers), translations, tuple(strays))


def _unnamed(text: str) -> str:
    """A message with its placeholders' names left out: ``page %()s of %()s``."""
    return re.sub(r"%\([^)]*\)", "%()", text)


def _strays(catalog: Catalog, path: Path) -> list[Problem]:
    """The messages of a project's catalogue that Almanac never asks for (a msgid
    mistyped, or one an older Almanac had): their translations are never printed.
    Each a problem on its line, with the message meant where one is close."""
    english = _built_in(SOURCE_LANGUAGE)
    known = list(messages_of(english)) if english is not None else []
    found = []
    for message in catalog:
        key = message.id if isinstance(message.id, str) else message.id[0] if message.id \
            else ""
        if key and key not in known:
            # compared with the placeholders' names left out, so that a msgid whose
            # placeholders were renamed finds its message first
            bare = {_unnamed(text): text for text in reversed(known)}
            close = [bare[text] for text in difflib.get_close_matches(
                _unnamed(key), list(bare), n=1, cutoff=0.6)]
            found.append(Problem(
                f"{key!r} is not a message Almanac writes: its translation is never printed",
                path, message.lineno,
                f"did you mean {close[0]!r}? (the msgid must be as `almanac messages` "
                "writes it)" if close else "remove it, or copy the msgid from the catalogue "
                "`almanac messages` writes"))
    return found


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
    words become strings (:func:`css_string`, a ``%%`` a ``%``, as ``%`` formatting
    reads it), each placeholder its CSS value.
    A placeholder not in ``counters`` is a KeyError (a bug in the caller)."""
    parts: list[str] = []
    position = 0
    for match in _COUNTER.finditer(message):
        if match.start() > position:
            parts.append(css_string(message[position:match.start()].replace("%%", "%")))
        parts.append(counters[match.group(1)])
        position = match.end()
    if position < len(message) or not parts:
        parts.append(css_string(message[position:].replace("%%", "%")))
    return " ".join(parts)


def messages_of(catalogue: Catalog) -> Iterator[str]:
    """The ``msgid`` of every message of ``catalogue`` but its header (singular, or
    the singular of a plural pair)."""
    for message in catalogue:
        if message.id:
            yield message.id if isinstance(message.id, str) else message.id[0]
