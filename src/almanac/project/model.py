"""The typed model of a report: manifest, brand, chapters and their blocks.

After loading, no stage sees a raw dict. Every model forbids unknown keys, so
a typo in a YAML file is an error that names the key, not a silent no-op.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    InstanceOf,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .colors import Broken, resolve_colors
from .parts import OUTPUT, SOURCES
from .signaturebox import parse_signature_box
from .tables import MAX_MAGNITUDE as MAX_MAGNITUDE
from .tables import Column, Series, check_magnitude, parse_spec

KEY_PATTERN = r"^[a-z][a-z0-9_]*$"
Key = Annotated[str, Field(pattern=KEY_PATTERN)]
HEX_PATTERN = r"^#[0-9a-fA-F]{6}$"

REFERENCE_FORMS = {"ref": "ref", "figure": "figure", "table": "table",
                   "figuur": "figure", "tabel": "table"}
"""The forms of a cross-reference, as written before the colon (lower case), and what
each points at: ``ref`` any figure or table by its id (language-neutral: the page
words it in the report's language, "figure 5 on page 26" / "figuur 5 op pagina
26"); ``figure`` and ``table`` one kind only; ``figuur`` and ``tabel``, the forms of
Almanac's first reports, the same. Written with a capital (``{{ Ref:key }}``) the
reference starts with a capital, for the start of a sentence."""

# The references prose may make: ``{{ key }}`` a number, ``{{ ref:key }}`` (or another
# of REFERENCE_FORMS) a cross-reference, ``[^key]`` a footnote of the block,
# ``{{ member.name }}`` a family member's field (a key with one dot). The form
# and the key are matched loosely (any word), so that a mistyped one is reported by
# the checks rather than printed as written.
TOKEN = re.compile(
    r"\{\{\s*(?:([^\W\d]\w*)\s*:\s*)?([^\W\d]\w*(?:\.\w+)?)\s*\}\}|\[\^([a-z0-9_]+)\]")


UNCLOSED = re.compile(
    r"\{\{\s*(?:[^\W\d]\w*\s*:\s*)?[^\W\d]\w*(?:\.\w+)?(?![\w.])(?!\s*(?:\}\}|:))"
    r"(?:\s*\}(?!\}))?")
"""A reference that is opened and not closed, ``{{ ref:key`` or ``{{ key }`` (what
:data:`TOKEN` would match but for its ``}}``): printed as written unless refused."""


MEMBER_PREFIX = "member."
"""A reference ``{{ member.name }}`` is a family member's field (:mod:`.family`)."""


def reference_kind(form: str | None) -> str:
    """What a reference written with ``form`` (the word before the colon, None for
    none) is: ``number``, ``ref``, ``figure`` or ``table`` (:data:`REFERENCE_FORMS`),
    else ``form:<form as written>`` for a form Almanac does not know."""
    if form is None:
        return "number"
    return REFERENCE_FORMS.get(form.lower(), f"form:{form}")


def references(text: str):
    """Every reference in a Markdown text, in order, as (kind, key): kind ``number``,
    ``ref``, ``figure``, ``table``, ``footnote`` or ``member`` (the key then the field's
    name: ``{{ member.name }}`` gives ("member", "name")), or ``form:<word>`` for a
    cross-reference of an unknown form (:func:`reference_kind`)."""
    for match in TOKEN.finditer(text):
        form, key, note = match.groups()
        if note:
            yield "footnote", note
        elif form is None and key.startswith(MEMBER_PREFIX):
            yield "member", key.removeprefix(MEMBER_PREFIX)
        else:
            yield reference_kind(form), key


LINE_SEPARATORS = re.compile("[\u2028\u2029]")
"""U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR: forced breaks (UAX #14, class
BK) that text fields may hold; each stage that sets text maps them its own way."""


PLAIN_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
"""A number as the data holds it: ASCII digits, an optional sign, a dot for decimals
and an optional exponent. Python's ``float()`` also takes ``1_000`` (PEP 515), Arabic-
Indic or full-width digits and surrounding Unicode spaces; none of these is a number
here."""
NUMBER_LIKE = re.compile(r"^[-+]?[€$]?\s*\d[\d.,_\s]*%?$")
"""A text that people would read as a number (any script's digits, separators, % or
€) but that is not a :data:`PLAIN_NUMBER`: an error, not text."""
MAX_CHAPTERS = 500
"""The most chapters a report may list: a 4 MiB report.yaml lists 300 000 names, each
a folder looked up and, missing, two messages (a minute and a half, 600 000 lines)."""
def parse_number(text: str) -> float | None:
    """The one reading of a number written as text (a CSV cell, a quoted YAML
    value): a float for a :data:`PLAIN_NUMBER` (surrounding ASCII spaces allowed;
    infinite when it overflows, which :func:`check_magnitude` refuses), None for
    anything else. ``-0`` reads as 0. The caller decides what a text that is not a
    number means (see :data:`NUMBER_LIKE`)."""
    text = text.strip(" \t")
    if not PLAIN_NUMBER.fullmatch(text):
        return None
    return float(text) + 0.0  # -0.0 becomes 0.0


def _whole_value(value: object) -> object:
    """:func:`_number_value` for a field that holds a whole number (pydantic's words)."""
    try:
        return _number_value(value)
    except PydanticCustomError:
        raise PydanticCustomError("int_parsing", "Input should be a valid integer, unable "
                                  "to parse string as an integer") from None


def _number_value(value: object) -> object:
    """A number's value as YAML gives it: an int or float (not true/false), or a text
    that is a :data:`PLAIN_NUMBER`; every other text is refused with what to write."""
    if isinstance(value, bool):
        raise ValueError("is true or false, not a number; write the number itself (yes, "
                         "no, on and off are true/false in YAML)")
    if isinstance(value, int):
        return check_magnitude(value)
    if isinstance(value, str):
        number = parse_number(value)
        if number is None and not NUMBER_LIKE.match(value.strip()):  # a word, as pydantic says
            raise PydanticCustomError("float_parsing", "Input should be a valid number, "
                                      "unable to parse string as a number")
        if number is None:
            raise ValueError("is not a number as written; write a plain number in ASCII "
                             "digits, e.g. 1000 or 6.3 (a dot for decimals, no thousands "
                             "separator or _)")
        return check_magnitude(number)
    return value


Real = Annotated[float, BeforeValidator(_number_value)]
"""A float as YAML writes it (see :func:`_number_value`): never true/false, ``1_000``
or digits of another script."""
Whole = Annotated[int, BeforeValidator(_whole_value)]
"""An int as YAML writes it, the same way."""


def _one_line(value: str) -> str:
    """A title as the PDF shows it (metadata, outline): runs of spaces, tabs and
    line breaks become one space; not empty; no control characters."""
    value = re.sub(r"[ \t\n\r\f\v]+", " ", value).strip()
    if not value:
        raise ValueError("is empty; write the text")
    bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Zl", "Zp")), None)
    if bad is not None:
        raise ValueError(f"contains the control character U+{ord(bad):04X}; remove it")
    return value


Line = Annotated[str, AfterValidator(_one_line)]


class Strict(BaseModel):
    """A part of a YAML file: unknown keys are errors, and it never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Place = tuple[str, int, int]
"""Where a block stands: (chapter slug, section index, block index)."""


class Placed(Strict):
    """A chapter's block, which later stages refer to (numbered, drawn, sent back to
    its line by the preflight): it knows its place, set when its chapter is loaded,
    so that it can be looked up by value (a map keyed by ``id()`` would not survive
    pickling)."""

    _place: Place = PrivateAttr(("", -1, -1))

    @property
    def place(self) -> Place:
        """(chapter slug, section index, block index)."""
        return self._place

    @property
    def where(self) -> str:
        """The block's location in its chapter file, e.g. ``sections[2].blocks[4]``."""
        return f"sections[{self._place[1]}].blocks[{self._place[2]}]"


# --------------------------------------------------------------------------- manifest

def _some_text(value: str) -> str:
    if not value.strip():
        raise ValueError("is empty; write what changed, for readers")
    return value


VERSION_PATTERN = r"^[0-9]+\.[0-9]+(\.[0-9]+)?$"
"""An edition's version: two or three dot-separated numbers in ASCII digits (``\\d``
would take any Unicode digit, e.g. Arabic-Indic, which PEP 440 does not)."""


def _plain_version(value: str) -> str:
    """Refuse a component with a leading zero: PEP 440 normalises ``01.4`` to ``1.4``
    (its "Integer Normalization"), so both would be one version in two folders."""
    parts = value.split(".")
    if any(len(part) > 1 and part.startswith("0") for part in parts):
        plain = ".".join(str(int(part)) for part in parts)
        raise ValueError(f"has a number with a leading zero: versions compare as numbers "
                         f"(PEP 440), so {value} is {plain}; write {plain}")
    return value


EditionVersion = Annotated[str, AfterValidator(_plain_version)]


class Change(Strict):
    """One entry of the changelog: what an edition corrected (errata)."""

    version: EditionVersion = Field(pattern=VERSION_PATTERN,
                             description="The version this entry describes, e.g. 1.1.")
    date: dt.date = Field(description="That version's publication date.")
    text: Annotated[str, AfterValidator(_some_text)] = Field(
        description="What changed, for readers; printed in the colophon.")


class Edition(Strict):
    """Which edition of the report this is.

    ``changes`` is the changelog, newest first: a list of entries with ``version``,
    ``date`` and ``text``. An entry (or the whole ``changes:``) may be a plain string:
    the entry of this edition's own version, dated ``date`` (normalised here, so
    ``changes`` is always a list of :class:`Change`). The order and the rules that
    need the archive are checked by :func:`~almanac.project.checks.check_changelog`
    and at ``publish``."""

    model_config = ConfigDict(json_schema_extra=lambda schema: _plain_entries(schema))

    version: EditionVersion = Field(pattern=VERSION_PATTERN, description="e.g. 1.0 or 1.1")
    date: dt.date = Field(description="Publication date; also the PDF's creation date.")
    changes: list[Change] = Field([], description=(
        "Changelog (errata), newest first: entries with version, date and text. Every "
        "version after the first needs one. An entry may be a plain string: the entry of "
        "this edition's version, dated edition.date."))

    @field_validator("changes", mode="before")
    @classmethod
    def _bare_strings(cls, value: Any, info: ValidationInfo) -> Any:
        """A plain string (alone or as a list's item) becomes the entry of this
        edition's version and date; only one entry may be given so."""
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            return value
        bare = [index for index, item in enumerate(value) if isinstance(item, str)]
        if len(bare) > 1:
            raise ValueError(
                f"has {len(bare)} entries written as plain text (entries {bare[0] + 1} and "
                f"{bare[1] + 1}); only one may be: the entry of this edition's version; "
                "join their texts into one entry, or give the older ones version:, date: "
                "and text:")
        if not bare or "version" not in info.data or "date" not in info.data:
            return value  # an invalid version or date is reported on its own line
        return [{"version": info.data["version"], "date": info.data["date"], "text": item}
                if isinstance(item, str) else item for item in value]


def _plain_entries(schema: dict[str, Any]) -> None:
    """The JSON Schema of ``edition.changes`` as written (not as normalised): a plain
    string, or a list of entries each a plain string or a :class:`Change`."""
    changes = schema["properties"]["changes"]
    entry = changes.pop("items")
    del changes["type"]
    changes["anyOf"] = [{"type": "string"},
                        {"type": "array", "items": {"anyOf": [{"type": "string"}, entry]}}]


def http_url(value: str) -> str:
    """``value`` when it is an http(s) URL with a host and no whitespace or control
    character (RFC 3986 gives URLs no spaces); ValueError (a message for a user)
    when not. The rule of ``archive.timestamp_url`` and ``publish --timestamp-url``."""
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(
            c.isspace() or unicodedata.category(c) == "Cc" for c in value):
        raise ValueError("is not an http(s) URL; give the timestamp authority's address, "
                         "e.g. https://freetsa.org/tsr")
    return value


def _page_number(value: Any) -> Any:
    """A page written as a YAML integer (``signature_box: 1``) read as its text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _signature_box(value: str) -> str:
    parse_signature_box(value)  # its ValueError: what is wrong; the forms it takes
    return value


ARCHIVE_FOLDER = "editions"
"""Where published editions go by default, relative to the project folder."""
def _archive_folder(value: str) -> str:
    parts = value.replace("\\", "/").split("/")
    if not value or value.startswith("/") or re.match(r"^[A-Za-z]:", value):
        raise ValueError("is not a path relative to the project folder; give a folder "
                         f"inside the project, e.g. {ARCHIVE_FOLDER}")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError("has an empty, '.' or '..' part; give a folder inside the "
                         f"project as a plain relative path, e.g. {ARCHIVE_FOLDER} or "
                         "archive/editions")
    if any(part.startswith(".") for part in parts) or any(
            unicodedata.category(c) == "Cc" for c in value):
        raise ValueError("names a hidden folder (or holds a control character): Almanac "
                         f"keeps its cache and temporaries there; use e.g. {ARCHIVE_FOLDER}")
    if parts[0] in SOURCES:
        raise ValueError(f"lies in {parts[0]}, an input of the report: an edition would "
                         f"be embedded in the next; use a folder of its own, e.g. "
                         f"{ARCHIVE_FOLDER}")
    if parts[0] == OUTPUT:
        raise ValueError(f"lies in {OUTPUT}, where builds go (git ignores it, and a clean "
                         f"build may remove it): use a folder of its own, e.g. "
                         f"{ARCHIVE_FOLDER}")
    return "/".join(parts)


class Archive(Strict):
    """Where published editions are kept, and how they are signed."""

    folder: Annotated[str, AfterValidator(_archive_folder)] = Field(
        ARCHIVE_FOLDER, description="The folder of the published editions, relative to "
        "the project: <folder>/<year>/<version>/ (and /<language>/ for a report in "
        "several languages). Keep it under version control (git add editions/) or in a "
        "synced folder; it must lie inside the project and outside its inputs.")
    timestamp_url: Annotated[str, AfterValidator(http_url)] | None = Field(
        None, description="The http(s) address of an RFC 3161 timestamp authority, "
        "used when an edition is signed (publish --sign), e.g. https://freetsa.org/tsr.")
    signature_box: Annotated[str, BeforeValidator(_page_number),
                             AfterValidator(_signature_box)] | None = Field(
        None, description="Where a signed edition shows its signature, as publish "
        "--signature-box takes it: PAGE (a number or last) or PAGE:X,Y,W,H in mm from the "
        "page's lower left corner, e.g. last. Unset: the signature is invisible.")


LANGUAGE_TAG = r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-(?:[A-Z]{2}|[0-9]{3}))?$"
"""A report's language as a BCP 47 tag (RFC 5646 §2.1) in its canonical case: a
language (``nl``), optionally a script (``sr-Latn``) and a region (``en-GB``,
``zh-Hant-TW``, ``es-419``)."""
NO_LANGUAGE = ("und", "root")
"""Codes that name no language: BCP 47's ``und`` ("undetermined", RFC 5646 §4.1) and
CLDR's ``root`` locale (which Babel would take for English and the root data)."""
TAG_EXAMPLES = "e.g. nl, nl-NL, nl-BE, en-GB, de-DE or sr-Latn"
MAX_REGIONS_SHOWN = 6


def _canonical_case(value: str) -> str:
    """``value`` in the case BCP 47 recommends (RFC 5646 §2.1.1), hyphens for
    underscores: the language lower case, a script title case, a region upper case
    (``EN_gb`` → ``en-GB``, ``SR-latn`` → ``sr-Latn``)."""
    parts = [part for part in re.split(r"[-_\s]+", value.strip()) if part]
    cased = [part.lower() for part in parts[:1]]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            cased.append(part.title())
        elif len(part) == 2 and part.isalpha():
            cased.append(part.upper())
        else:
            cased.append(part.lower())
    return "-".join(cased)


def _tag_of(locale) -> str:
    """A Babel locale as a BCP 47 tag: ``Locale('zh', 'TW', 'Hant')`` → ``zh-Hant-TW``."""
    return "-".join(part for part in (locale.language, locale.script, locale.territory) if part)


def cldr_knows(tag: str) -> bool:
    """Whether Babel has a CLDR locale for the tag ``tag`` (``babel.Locale.parse``,
    which resolves CLDR's aliases and falls back from a script it lacks); never for
    :data:`NO_LANGUAGE`."""
    from babel import Locale, UnknownLocaleError

    if tag.split("-")[0] in NO_LANGUAGE:
        return False
    try:
        Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return False
    return True


def suggested_tag(value: str) -> str | None:
    """The language tag a user most likely meant by ``value``, one that
    :data:`LANGUAGE_TAG` and CLDR accept, or None: ``value`` in canonical case
    (``EN_gb`` → ``en-GB``), else its longest prefix Babel parses (``en-US-x-foo`` →
    ``en-US``; ``babel.Locale.parse``, which resolves CLDR's aliases), else the code
    of a language of that English name (``Dutch`` → ``nl``, from CLDR's names)."""
    from babel import Locale, UnknownLocaleError

    canonical = _canonical_case(value)
    if canonical.split("-")[0] in NO_LANGUAGE:
        return None
    if re.fullmatch(LANGUAGE_TAG, canonical) and cldr_knows(canonical):
        return canonical
    parts = canonical.split("-")
    for size in range(len(parts), 0, -1):
        try:
            locale = Locale.parse("_".join(parts[:size]))
        except (UnknownLocaleError, ValueError):
            continue
        tag = _tag_of(locale) if size > 1 else locale.language
        if re.fullmatch(LANGUAGE_TAG, tag) and cldr_knows(tag):
            return tag
        break
    named = {name.casefold(): code for code, name in Locale("en").languages.items()}
    code = named.get(value.strip().casefold())
    code = _canonical_case(code) if code is not None else None
    if code is not None and re.fullmatch(LANGUAGE_TAG, code) and cldr_knows(code):
        return code
    return None


def _tag_form(value: object) -> object:
    """A language tag as written must be one (:data:`LANGUAGE_TAG`); else ValueError
    with the tag meant (:func:`suggested_tag`). Runs before the pattern, so that the
    user reads the fix rather than the pattern; what is not text is left to pydantic."""
    if isinstance(value, str) and not re.fullmatch(LANGUAGE_TAG, value):
        raise ValueError(not_a_tag(value))
    return value


def not_a_tag(value: str) -> str:
    """Why ``value`` is not a language tag and what to write, as "problem; fix"."""
    suggestion = suggested_tag(value)
    if suggestion is not None:
        return f"is not a BCP 47 language tag; did you mean '{suggestion}'?"
    return ("is not a BCP 47 language tag; write a language code, with a script and "
            f"a region if needed (RFC 5646), {TAG_EXAMPLES}")


def regions(language: str, script: str | None = None) -> list[str]:
    """The tags of the regions CLDR has a locale for in ``language`` (and ``script``):
    ``nl`` → ``["nl-NL", "nl-BE", "nl-SR", …]``. The likeliest region first, then the
    regions whose likeliest language it is (both CLDR's likely subtags: ``und_BE`` →
    ``nl_Latn_BE``), then those where it is official, each by the share of their
    population that speaks it (CLDR's territory languages); all through Babel."""
    from babel.core import get_global
    from babel.languages import get_territory_language_info
    from babel.localedata import locale_identifiers

    prefix = "_".join(part for part in (language, script) if part)
    found = [identifier[len(prefix) + 1:] for identifier in locale_identifiers()
             if identifier.startswith(prefix + "_")]
    found = [region for region in found if re.fullmatch(r"[A-Z]{2}|[0-9]{3}", region)]
    likely = get_global("likely_subtags")
    first = likely.get(prefix, "").split("_")[-1]

    def rank(region: str) -> tuple:
        info = get_territory_language_info(region).get(language, {})
        share = info.get("population_percent")
        return (region != first, likely.get(f"und_{region}", "").split("_")[0] != language,
                info.get("official_status") != "official",
                -share if isinstance(share, float | int) else 0.0, region)

    return [f"{prefix.replace('_', '-')}-{region}" for region in sorted(found, key=rank)]


def _known_locale(value: str) -> str:
    """A language tag that Babel (CLDR) has a locale for: the formatter spells
    numbers and dates with it (``babel.Locale.parse``; a script CLDR does not
    write the language in falls back to the language's own, with a warning from
    the build: :func:`almanac.stages.chartlocale.resolve`). ``und`` and ``root`` name
    no language (:data:`NO_LANGUAGE`). An unknown region gets the regions CLDR knows
    for the language (:func:`regions`)."""
    parts = value.split("-")
    language = parts[0]
    if language in NO_LANGUAGE:
        raise ValueError(f"names no language ('{language}' is undetermined); write the "
                         f"language the report is written in, {TAG_EXAMPLES}")
    if cldr_knows(value):
        return value
    if not cldr_knows(language):
        raise ValueError("is not a language and region that CLDR (Babel) knows; write a "
                         f"language code CLDR knows, {TAG_EXAMPLES}")
    script = parts[1] if len(parts) > 1 and len(parts[1]) == 4 else None
    known = regions(language, script) if script and cldr_knows(f"{language}-{script}") \
        else []
    known = known or regions(language)
    shown = ", ".join(known[:MAX_REGIONS_SHOWN]) + (", …" if len(known) > MAX_REGIONS_SHOWN
                                                     else "")
    alone = f"{language}-{script}" if script and cldr_knows(f"{language}-{script}") \
        else language
    raise ValueError(f"is not a language and region that CLDR (Babel) knows; write "
                     f"'{alone}' alone, or with a region CLDR knows for it: {shown}")


LanguageTag = Annotated[str, Field(pattern=LANGUAGE_TAG), BeforeValidator(_tag_form),
                        AfterValidator(_known_locale)]
"""A language and, optionally, its script and region as BCP 47 writes it (``nl``,
``en-GB``, ``sr-Latn``), known to CLDR; a tag in another form is refused with the
tag meant (:func:`suggested_tag`)."""


def _known_currency(value: str) -> str:
    """An ISO 4217 currency code that CLDR (Babel) has a name for
    (``babel.numbers.is_currency``); else ValueError with the closest codes."""
    from babel.numbers import is_currency, list_currencies

    if is_currency(value):
        return value
    codes = sorted(list_currencies())
    close = difflib.get_close_matches(value.upper(), codes, n=3, cutoff=0.6)
    if value.upper() in codes:
        close = [value.upper()]
    guess = "did you mean " + " or ".join(f"'{code}'" for code in close) + "? " if close \
        else ""
    raise ValueError(f"is not an ISO 4217 currency code that CLDR (Babel) knows; {guess}"
                     "write the three capital letters, e.g. EUR, USD, GBP or CHF")


class Manifest(Strict):
    """``report.yaml``: what the report is and which chapters it has, in order."""

    title: Line
    subtitle: str | None = None
    organisation: Line = Field(description="Author of the PDF and owner of the report.")
    year: Whole = Field(ge=1900, le=2200, description="The year the report is about.")
    language: LanguageTag = Field(
        "nl", description="The report's language and, optionally, script and region (BCP "
        "47: nl, nl-NL, en-GB, sr-Latn, zh-Hant-TW); CLDR must know it. Numbers, dates and "
        "charts follow its conventions (without a region, those of the region CLDR finds "
        "likeliest: en is en-US). A report in several languages gives languages: instead.")
    languages: list[LanguageTag] = Field(
        [], min_length=1, description="A report in several languages, the main one first, "
        "e.g. [nl, en]: each is built and published as a PDF of its own. Any text may then "
        "be a mapping by language (title: {nl: …, en: …}), and a chapter's translation is "
        "a file beside it (chapter.en.md); numbers, series and figures are shared.")
    missing_translations: Literal["error", "main-language"] = Field(
        "error", description="A text missing in one of the languages: an error (default), "
        "or main-language: shown in the main language, and the colophon of that edition "
        "says which texts are not translated.")
    currency: Annotated[str, AfterValidator(_known_currency)] = Field(
        "EUR", description="The currency of the report's amounts (unit: currency), as an "
        "ISO 4217 code: EUR, USD, GBP, CHF…; printed with the symbol and pattern of the "
        "report's language.")
    subject: Line = Field(description="One sentence; the PDF's subject.")
    keywords: list[str] = []
    edition: Edition
    archive: Archive = Field(Archive(), description="Where published editions are kept "
                             "(folder:, default editions) and the timestamp authority of "
                             "signed ones (timestamp_url:).")
    brand: str | None = Field(None, description="Brand file, relative to the project "
                              "(default: styles/brand.yaml when the project has one, else the "
                              "built-in theme's neutral brand).")
    cover: Photo | None = Field(None, description="The cover photo (placeholder if no image).")
    identifier: str | None = Field(None, description="ISBN or other identifier, for the colophon.")
    chart_data: Literal["appendix", "none"] = Field(
        "appendix", description="appendix (default): the data of every chart as a table in "
        "an appendix after the last chapter, each chart linked to its table and back, for "
        "readers who cannot see the chart; none: no appendix (each chart's alternative text "
        "then reads out all its values).")
    chapters: list[str] = Field(min_length=1, max_length=MAX_CHAPTERS,
                                description="Chapter folders under chapters/, in order.")

    @field_validator("languages")
    @classmethod
    def _each_once(cls, value: list[str]) -> list[str]:
        twice = [tag for index, tag in enumerate(value) if tag in value[:index]]
        if twice:
            raise ValueError(f"names {twice[0]} twice; give each language once")
        return value


# --------------------------------------------------------------------------- brand

class Color(Strict):
    """One brand colour: its screen value and, for print, its process colour."""

    hex: str = Field(pattern=HEX_PATTERN, description="Screen (sRGB) value, e.g. #15396B.")
    cmyk: tuple[Real, Real, Real, Real] | None = Field(
        None, description="Print value in percent, e.g. [100, 72, 0, 38]; without it the "
        "print edition converts the hex value.")
    name: str | None = None

    @field_validator("cmyk")
    @classmethod
    def _percentages(cls, value):
        if value is not None and not all(0 <= part <= 100 for part in value):
            raise ValueError("CMYK values are percentages from 0 to 100")
        return value


class FontFace(Strict):
    """One font file of a family: its weight (100–900) and style."""

    file: str = Field(description="Font file, relative to the brand file's folder.")
    weight: Whole = Field(400, ge=100, le=900)
    style: Literal["normal", "italic"] = "normal"


FAMILY_NAME = re.compile(r"[^\W_](?:[\w .-]{0,62}[\w.])?")
"""A font family name as the brand may write it: letters (any script), digits,
spaces, ``.``, ``-`` and ``_``, at most 64 characters. The name goes into CSS
(``font-family``, ``@font-face``), into the chart theme (JSON for vl-convert) and
into SVG attributes; quotes, ``<``, ``;``, braces and backslashes would break out of
them (CSS Fonts 4 §2.1 allows any string; this is the safe subset)."""
GENERIC_FAMILIES = ("serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui",
                    "ui-serif", "ui-sans-serif", "ui-monospace", "ui-rounded", "math",
                    "emoji", "fangsong")
"""The generic font families of CSS Fonts 4 §4.2 (``font-family``)."""


def _family_name(value: str) -> str:
    if not FAMILY_NAME.fullmatch(value):
        raise ValueError("is not a font family name that can go into CSS and the chart "
                         "theme; write the family's name in letters, digits, spaces, '.', "
                         "'-' or '_' (no quotes, angle brackets, semicolons, braces or "
                         "backslashes), e.g. Lato or Source Sans 3")
    return value


def _fallback(value: str) -> str:
    names = [name.strip() for name in value.split(",")]
    for name in names:
        if name not in GENERIC_FAMILIES and not FAMILY_NAME.fullmatch(name):
            raise ValueError(f"has {name[:40]!r}, which is not a font family; write names "
                             "separated by commas, ending in a generic family, e.g. "
                             "'Arial, sans-serif' (generic: " + ", ".join(GENERIC_FAMILIES)
                             + ")")
    return ", ".join(names)


class FontFamily(Strict):
    """A font family: its CSS name, its faces and the fallback families after it."""

    family: Annotated[str, AfterValidator(_family_name)]
    faces: list[FontFace] = Field(min_length=1)
    fallback: Annotated[str, AfterValidator(_fallback)] = Field(
        "sans-serif", description="Families tried when a glyph is not in the brand font, "
        "separated by commas; names or CSS generic families. No system font is used: "
        "only a name that is also a brand family can supply a glyph.")


class Fonts(Strict):
    """The body and heading families."""

    body: FontFamily
    heading: FontFamily


def _resolved(value: object) -> object:
    """A colour as :func:`~almanac.project.colors.resolve_colors` left it: its problem
    raised for the role's line, else the value for :class:`Color`."""
    if isinstance(value, Broken):
        raise ValueError(value.message)
    return value


RoleColor = Annotated[Color, BeforeValidator(_resolved)]


class Colors(Strict):
    """The brand colours by role; stylesheets see them as ``--color-<role>``.

    Each may be a hex value, ``{hex, cmyk, name}``, the name of another role or a mix
    (:mod:`almanac.project.colors`); only ``primary`` and ``accent`` are required,
    the others default to values derived from them
    (:data:`~almanac.project.colors.ROLE_DEFAULTS`)."""

    primary: RoleColor = Field(description="The brand colour: cover, openers, headings.")
    primary_dark: RoleColor = Field(description="Dark shade: opener shade, back cover "
                                    "(default: primary mixed 25 % with black).")
    accent: RoleColor = Field(description="Highlights: KPI figures, rules, markers.")
    ink: RoleColor = Field(description="Body text (default: #1A1A1A mixed 20 % with "
                          "primary).")
    muted: RoleColor = Field(description="Captions, running heads, secondary text "
                             "(default: ink mixed 35 % with paper).")
    paper: RoleColor = Field(description="The page (default: white).")
    tint: RoleColor = Field(description="Light background for sidebars and tiles "
                            "(default: primary mixed 90 % with paper).")
    rule: RoleColor = Field(description="Rules and axis lines (default: primary mixed 75 % "
                            "with paper).")
    positive: RoleColor = Field(description="Status marker: achieved.")
    negative: RoleColor = Field(description="Status marker: not achieved.")
    chart: list[RoleColor] = Field(min_length=3, description="Chart categorical palette, in "
                                   "order (default: primary, two tints of it, accent, muted).")

    @model_validator(mode="before")
    @classmethod
    def _derive(cls, data: object) -> object:
        return resolve_colors(data)


class TypeScale(Strict):
    """Body size (points), leading (line height / size) and the modular ratio
    between heading sizes: ``--size-n`` is base × ratio^n."""

    base_size_pt: Real = Field(9.5, gt=5, lt=20)
    leading: Real = Field(1.45, gt=1, lt=2.5)
    ratio: Real = Field(1.25, gt=1, lt=2, description="Modular scale between heading levels.")


class Print(Strict):
    """How the print edition is made."""

    bleed_mm: Real = Field(3, ge=0, le=10)
    marks: list[Literal["crop", "cross"]] = ["crop", "cross"]
    slug_mm: Real = Field(10, ge=6, le=30, description="The slug: the margin outside the "
                          "bleed that holds the printer's marks (the media box is the trim "
                          "plus bleed plus slug on every side).")
    page_multiple: Literal[2, 4] = Field(2, description="The print edition's page count is "
                                         "a multiple of this: 2 (sheets printed on both "
                                         "sides), 4 (saddle stitching); blank pages are added "
                                         "before the back cover.")
    black_text: bool = Field(True, description="Print near-black brand colours as single-"
                             "ink black (0/0/0/100) for text, and as rich black (60/40/40/100) "
                             "where the stylesheets use them for large areas.")
    max_ink: Real = Field(300, ge=200, le=400, description="The total area coverage the "
                          "press allows, in percent (the sum of C, M, Y and K; FOGRA39: 300).")
    output_profile: str = Field("color/FOGRA39L.icc",
                                description="CMYK ICC profile, relative to the brand file.")


class Brand(Strict):
    """``styles/brand.yaml``: colours, fonts and type scale, defined once."""

    colors: Colors
    fonts: Fonts
    type: TypeScale = TypeScale()
    print: Print = Print()
    logo: str | None = Field(None, description="The organisation's logo (SVG, PNG or JPEG), "
                             "relative to the brand file: on the cover and the colophon.")


# --------------------------------------------------------------------------- chapters

Unit = Literal["count", "decimal", "percent", "currency", "eur"]
"""A number's unit: ``currency`` is an amount in the report's currency
(``currency:`` in report.yaml); ``eur``, its first name, is the same and accepted
while that currency is EUR."""
AMOUNTS = ("currency", "eur")
"""The units of an amount of money."""


SERIES_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "workbook",
                   ".xlsm": "workbook"}
"""The files a series may be read from, by suffix: delimited text (CSV) or an Office
Open XML workbook (ECMA-376; Excel's .xlsx and .xlsm, read by openpyxl)."""
SEPARATORS = {",": ",", ";": ";", "tab": "\t", "\t": "\t", "|": "|"}
"""The field separators a CSV may declare (``separator: ';'``), and the character each is."""
CELL_REFERENCE = re.compile(
    r"^(?P<file>[^\[\]!]+?)(?:\[(?P<sheet>[^\[\]]{1,31})\])?!"
    r"(?P<cell>\$?[A-Za-z]{1,3}\$?[0-9]{1,7}|[A-Za-z_\\][A-Za-z0-9_.]{0,254})$")
"""A workbook cell as a number gives it, the way messages name it: ``FILE[SHEET]!C7``
(file relative to the chapter folder; without ``[SHEET]`` the first sheet) or
``FILE!NAME``, a defined name (Excel's Name Manager) of one cell."""


class Number(Strict):
    """A typed figure of the report. Prose refers to it as ``{{ key }}``.

    Its value is written here (``value:``) or kept in a workbook cell (``cell:``), read
    when the report loads; the unit and decimals of a cell's number default to what
    the cell's format shows (a percentage, an amount, a whole number)."""

    value: Annotated[float, Field(allow_inf_nan=False), BeforeValidator(_number_value),
                     AfterValidator(check_magnitude)] | None = Field(
        None, description="The value; for a number with cell:, the cell's, read when the "
        "report loads.")
    cell: str | None = Field(None, pattern=CELL_REFERENCE.pattern, description="A workbook "
                             "cell holding the value: FILE[SHEET]!C7 (file relative to the "
                             "chapter folder), or FILE!NAME for a defined name.")
    column: str | None = Field(None, min_length=1, description="In a report family: the "
                               "member table's column holding the value; each member's "
                               "report takes its own row's cell.")
    unit: Unit | None = Field(None, description="count (whole), decimal, percent (6.3 = "
                              "6.3 %), currency (an amount in the report's currency; eur "
                              "is accepted for EUR); for a cell, default: as its format "
                              "shows.")
    label: str | None = Field(None, description="What the number is, for tiles and tables.")
    decimals: Whole | None = Field(None, ge=0, le=4,
                                   description="Fixed decimals; default: as given.")

    @property
    def resolved(self) -> tuple[float, Unit]:
        """(value, unit) of a loaded number: after loading every number has both (a
        cell's is read by the loader); ValueError for one that was not loaded."""
        if self.value is None or self.unit is None:
            raise ValueError(f"the number of cell {self.cell} was not read")
        return self.value, self.unit

    @model_validator(mode="after")
    def _whole_counts(self) -> Number:
        if self.column is not None and (self.value is not None or self.cell is not None):
            raise ValueError("the number gives column: and also value: or cell:; keep one")
        if self.value is None and self.cell is None and self.column is None:
            raise ValueError("give the number's value or the workbook cell that holds it; "
                             "write value: or cell:")
        if self.cell is None and self.unit is None:
            raise ValueError("a number needs its unit; write unit: count, decimal, percent "
                             "or currency")
        if self.unit == "count" and self.value is not None \
                and not float(self.value).is_integer():
            raise ValueError(f"a count must be a whole number, got {self.value}; "
                             "use unit: decimal for fractions")
        return self


def _column_spec(value: str) -> str:
    parse_spec(value)
    return value.strip()


ColumnSpec = Annotated[str, AfterValidator(_column_spec)]


class SeriesRef(Strict):
    """A table of values kept beside the chapter: a CSV file, or a sheet (a named table
    or a range of it) of a workbook. Its first row names the columns."""

    file: str = Field(description="CSV (.csv, .tsv, .txt) or workbook (.xlsx, .xlsm), "
                      "relative to the chapter folder.")
    sheet: str | None = Field(None, min_length=1, max_length=31, description="Workbook: the "
                              "sheet (default: the first; or the sheet of 'table').")
    table: str | None = Field(None, min_length=1, description="Workbook: a named table "
                              "(Excel's Format as Table), header row included.")
    range: str | None = Field(None, min_length=1, description="Workbook: a range such as "
                              "A3:D20, header row first, or a defined name of one.")
    separator: Literal[",", ";", "tab", "\t", "|"] | None = Field(
        None, description="CSV: the field separator (default: found from the file).")
    decimal: Literal[",", "."] | None = Field(
        None, description="The decimal mark of numbers written as text (a CSV's cells, a "
        "workbook's text cells); default: found from the numbers that show it (a number "
        "that reads two ways, such as 12.345, is then an error).")
    encoding: str | None = Field(None, description="CSV: the text encoding when it is not "
                                 "UTF-8, e.g. windows-1252 (Python's codec names).")
    columns: dict[str, ColumnSpec] = Field(
        {}, description="Column name → kind: year, code, count, decimal, percent, currency, "
        "date or text; decimal, percent and currency may fix their decimals, e.g. "
        "decimal(1). Default: inferred from the cells.")
    illustrative: bool = Field(
        False, description="True when the source text does not give these values: the page "
        "then marks the chart or table made from them as illustrative data, in the report's "
        "language.")
    note: str | None = Field(None, description="Plain text printed under every chart and "
                             "table made from the series (for an illustrative series without "
                             "a note, a generic note in the report's language).")

    @field_validator("file")
    @classmethod
    def _known_file(cls, value: str) -> str:
        suffix = Path(value).suffix.lower()
        if suffix in (".xls", ".ods", ".numbers", ".xlsb"):
            raise ValueError(f"{suffix} files cannot be read; save it as an Excel workbook "
                             "(.xlsx) or as CSV UTF-8")
        if suffix not in SERIES_SUFFIXES:
            raise ValueError("is not a series file; name a CSV (.csv, .tsv, .txt) or a "
                             "workbook (.xlsx)")
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        import codecs

        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError:
                raise ValueError("is not a text encoding Python knows; write e.g. utf-8, "
                                 "windows-1252 or iso-8859-15") from None
        return value

    @model_validator(mode="after")
    def _fits_the_file(self) -> SeriesRef:
        workbook = SERIES_SUFFIXES[Path(self.file).suffix.lower()] == "workbook"
        given = [name for name in ("sheet", "table", "range") if getattr(self, name)]
        if not workbook and given:
            raise ValueError(f"{given[0]} is for a workbook, and {self.file} is CSV; remove "
                             f"{given[0]}, or name the workbook")
        text = [name for name in ("separator", "encoding") if getattr(self, name)]
        if workbook and text:
            raise ValueError(f"{text[0]} is for a CSV file, and {self.file} is a workbook "
                             f"(its cells are not text in a file); remove {text[0]}")
        if self.table and self.range:
            raise ValueError("give either table or range, not both")
        return self

    @property
    def reader(self) -> str:
        """``csv`` or ``workbook``: how the file is read (:data:`SERIES_SUFFIXES`)."""
        return SERIES_SUFFIXES[Path(self.file).suffix.lower()]


KNOWN_MOTIFS = ("aerial-river", "flood", "crowd", "tape", "drone", "classroom", "lab",
                "city", "border", "team", "network")
"""The motifs a placeholder photo has a drawing for; any other motif gets a neutral
abstract drawing (see :func:`almanac.stages.photos.photo_svg`)."""
FOCUS_POINTS: dict[str, tuple[float, float]] = {
    "center": (50, 50), "top": (50, 0), "bottom": (50, 100), "left": (0, 50),
    "right": (100, 50), "top-left": (0, 0), "top-right": (100, 0), "bottom-left": (0, 100),
    "bottom-right": (100, 100)}
"""Named focal points as (x, y) percent of the free space, as the keywords of CSS
``object-position`` place an image (CSS Images 3, §5.5; ``background-position``)."""
Percent = Annotated[float, BeforeValidator(_number_value), Field(ge=0, le=100)]


DESCRIBE = ("add description: and a sentence saying what the photo shows, which screen "
            "readers read out (or decorative: true for an image that shows nothing a "
            "reader needs)")
"""The fix for a photo without a description (PDF/UA-1, ISO 14289-1 §7.3: a figure
has alternate text; WCAG 2.2, 1.1.1 Non-text Content)."""


class Photo(Strict):
    """A photo: an image file, or without one a drawn placeholder of its motif; either
    with its treatment in the brand colours. Its box on the page has the shape the
    layout gives it: the image is cropped to it (``fit: cover``) or shown whole within
    it (``fit: contain``), never stretched."""

    description: str | None = Field(
        None, description="What the photo shows, in the report's language: its alternative "
        "text, which screen readers read out. Required, unless the photo is decorative.")
    decorative: bool = Field(
        False, description="True for a purely decorative image that shows nothing a reader "
        "needs: it has no description, and screen readers pass over it.")
    motif: str = Field("city", min_length=1, max_length=60, pattern=r"^[^\x00-\x1f\x7f]+$",
                       description="What a placeholder shows when there is no image: "
                       + ", ".join(KNOWN_MOTIFS) + "; any other name draws a neutral "
                       "abstract placeholder.")
    treatment: Literal["overlay", "blue-overlay", "duotone", "none"] = Field(
        "overlay", description="overlay: a semi-transparent layer of the brand's primary "
        "colour over the photo ('blue-overlay' is the same, its older name); duotone: the "
        "photo in tones from the brand's primary_dark to its tint; none: as it is.")
    fit: Literal["cover", "contain"] = Field(
        "cover", description="cover: the image fills its box, cropped around 'focus' "
        "(CSS object-fit: cover); contain: the whole image, within its box.")
    focus: tuple[Percent, Percent] | Literal[
        "center", "top", "bottom", "left", "right", "top-left", "top-right", "bottom-left",
        "bottom-right"] = Field(
        "center", description="The point of the image kept in view when it is cropped: "
        "[x, y] in percent from the left and top (default [50, 50]), or a name such as "
        "top or bottom-left (as CSS object-position).")
    image: str | None = Field(None, description="A real image file, relative to the chapter "
                              "folder; without it a placeholder is drawn.")
    caption: str | None = None
    overlay_text: str | None = Field(None, description="Text visible in the photo itself.")

    @field_validator("description")
    @classmethod
    def _said(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("is empty; " + DESCRIBE)
        return value

    @model_validator(mode="after")
    def _described(self) -> Photo:
        if self.decorative and self.description is not None:
            raise ValueError("a decorative photo has no description; remove description:, "
                             "or decorative: true if the photo shows what a reader needs")
        if not self.decorative and self.description is None:
            raise ValueError("the photo has no description; " + DESCRIBE)
        return self

    @property
    def focus_point(self) -> tuple[float, float]:
        """``focus`` as (x, y) in percent, 0–100."""
        if isinstance(self.focus, str):
            return FOCUS_POINTS[self.focus]
        return self.focus

    @property
    def overlaid(self) -> bool:
        """Whether the photo gets the brand colour's layer (``overlay`` or its older
        name ``blue-overlay``)."""
        return self.treatment in ("overlay", "blue-overlay")


class ProseBlock(Placed):
    """Running text in Markdown, with references and footnotes."""

    type: Literal["prose"]
    text: str = Field(description="Markdown. {{ key }} inserts a number, {{ ref:key }} a "
                      "cross-reference to a figure or table ('figure 3 on page 12'; "
                      "{{ Ref:key }} capitalised), "
                      "[^key] a footnote from footnotes.")
    footnotes: dict[Key, str] = Field({}, description="Footnote texts (Markdown) by key.")
    columns: Literal[1, 2] = 1


class HeadingBlock(Placed):
    """A heading inside a section."""

    type: Literal["heading"]
    text: str


class Kpi(Strict):
    """One tile: a number (by key) and what it is."""

    number: Key
    label: str


class KpisBlock(Placed):
    """Up to four tiles of key figures, set beside the text."""

    type: Literal["kpis"]
    items: list[Kpi] = Field(min_length=1, max_length=4)


class QuoteBlock(Placed):
    """A pull quote and who said it."""

    type: Literal["quote"]
    text: str
    source: str
    lang: LanguageTag | None = None  # the quotation's language, when not the report's


class FactsBlock(Placed):
    """A sidebar of short facts."""

    type: Literal["facts"]
    title: str
    items: list[str] = Field(min_length=1, description="Markdown, one fact each.")


class FigureBlock(Placed):
    """A chart drawn by a figure module from numbers and/or a series."""

    type: Literal["figure"]
    id: Key | None = Field(None, description="Key for cross-references: {{ ref:id }}.")
    chart: Key = Field(description="Module name under figures/.")
    caption: str
    numbers: list[Key] = []
    labels: dict[Key, str] = Field({}, description="Short category labels for the numbers "
                                   "in the chart (default: each number's label).")
    series: Key | None = None
    source: str | None = None
    width: Literal["column", "full"] = "column"


class PhotoBlock(Photo, Placed):
    """A photo in the flow (an image file or a drawn placeholder)."""

    type: Literal["photo"]


class NormBlock(Placed):
    """A norm: a target number and what it counts."""

    type: Literal["norm"]
    number: Key
    label: str = Field(description="What the norm counts, e.g. 'afgeronde onderzoeken'.")
    year: Whole | None = None


StatusKey = Literal["achieved", "partly", "not-achieved", "unknown"]
STATUSES: tuple[str, ...] = get_args(StatusKey)
"""The statuses of a result, as language-neutral keys; the page prints each in the
report's language (``almanac.text.labels``), and the stylesheets know each as the
class ``status-<key>``."""
FORMER_STATUSES = {"gerealiseerd": "achieved", "deels gerealiseerd": "partly",
                   "niet gerealiseerd": "not-achieved", "onbekend": "unknown"}
"""Statuses as the first reports wrote them, in Dutch words: refused, with the key to
write instead."""


def _status_key(value: object) -> object:
    """A status as written, if it is one of :data:`STATUSES`; a former Dutch word or a
    near miss is refused with the key it most likely means (``difflib``)."""
    if not isinstance(value, str) or value in STATUSES:
        return value  # not text: the Literal says what it wants
    written = " ".join(value.lower().replace("_", " ").replace("-", " ").split())
    meant = FORMER_STATUSES.get(written)
    if meant is None:
        spelt = {**{key.replace("-", " "): key for key in STATUSES}, **FORMER_STATUSES}
        close = difflib.get_close_matches(written, list(spelt), n=1, cutoff=0.6)
        meant = spelt[close[0]] if close else None
    known = ", ".join(STATUSES)
    if meant is None:
        raise ValueError(f"is not a status; write one of {known}")
    raise ValueError(f"is not a status; did you mean '{meant}'? (a status is one of the "
                     f"keys {known}, printed in the report's language)")


Status = Annotated[StatusKey, BeforeValidator(_status_key)]


class Result(Strict):
    """One row of a results table: norm against realisation."""

    label: str = Field(description="The subject, e.g. 'Cybercrime'.")
    norm: Key = Field(description="The number holding the norm.")
    what: str | None = Field(None, description="What the norm counts, e.g. 'afgeronde "
                             "onderzoeken'.")
    realised: Key | None = Field(None, description="The number holding the realisation, if known.")
    status: Status = Field("unknown", description="achieved, partly, not-achieved or "
                           "unknown; printed in the report's language.")


class ResultsBlock(Placed):
    """A results table: norm against realisation, with a status marker per row."""

    type: Literal["results"]
    id: Key | None = Field(None, description="Key for cross-references: {{ ref:id }}.")
    caption: str
    year: Whole | None = None
    items: list[Result] = Field(min_length=1)
    note: str | None = Field(None, description="Markdown, printed under the table.")


class TableBlock(Placed):
    """A table of a series (CSV or workbook): one row per record, each column printed by
    its kind (:mod:`almanac.project.tables`), its header repeated on every page."""

    type: Literal["table"]
    id: Key | None = Field(None, description="Key for cross-references: {{ ref:id }}.")
    caption: str
    series: Key
    columns: dict[str, str] = Field({}, description="Series column → heading, in order; "
                                    "default: every column under its own name.")


class NoteBlock(Placed):
    """A note printed small."""

    type: Literal["note"]
    text: str = Field(description="Markdown; a note printed small, e.g. the NB under a table.")


Block = Annotated[
    ProseBlock | HeadingBlock | KpisBlock | QuoteBlock | FactsBlock | FigureBlock | PhotoBlock
    | NormBlock | ResultsBlock | TableBlock | NoteBlock,
    Field(discriminator="type"),
]
BLOCK_TYPES = ("prose", "heading", "kpis", "quote", "facts", "figure", "photo", "norm",
               "results", "table", "note")


class Section(Strict):
    """A part of a chapter: an optional title and its blocks."""

    title: str | None = Field(None, description="Section heading; none for an introduction.")
    blocks: list[Block] = Field(min_length=1, description="What the section holds, in "
                                "order; at least one block.")


class ChapterData(Strict):
    """``chapters/NN-slug/chapter.yaml``, or the same data as ``chapter.md``."""

    title: Line
    short_title: str | None = Field(None, description="For the running header, if shorter.")
    lead: str | None = Field(None, description="Markdown shown on the chapter opener.")
    opener: Photo | None = None
    numbers: dict[Key, Number] = {}
    series: dict[Key, SeriesRef] = {}
    sections: list[Section] = Field(min_length=1)


# --------------------------------------------------------------------------- loaded

class Chapter(BaseModel):
    """A chapter as the later stages see it: its data, folder and series rows."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    slug: str
    number: int
    folder: Path
    source: Path = Field(description="The chapter's file: its chapter.md or chapter.yaml.")
    data: ChapterData
    series: dict[str, InstanceOf[Series]] = Field({}, description="The chapter's series by key, "
                                      "typed (:class:`~almanac.project.tables.Series`).")
    block_lines: dict[tuple[int, int], int] = Field(
        {}, description="The line (from 1) in ``source`` of each block, by (section index, "
        "block index): where the preflight sends a finding about the block's pages.")

    @model_validator(mode="after")
    def _place_blocks(self) -> Chapter:
        for s, section in enumerate(self.data.sections):
            for b, block in enumerate(section.blocks):
                block._place = (self.slug, s, b)
        return self

    @property
    def anchor(self) -> str:
        """The chapter's HTML id: ``h-`` and its slug (the target of links to it)."""
        return "h-" + re.sub(r"[^a-z0-9]+", "-", self.slug.lower()).strip("-")


class Untranslated(Strict):
    """A text of one language's edition that is not translated and is shown in the
    main language instead: where it is missing (``path``, ``line``, ``where`` inside
    the file) and ``shown``, how the colophon names it (a chapter by its number and
    title, a text of report.yaml by its key)."""

    language: str
    path: Path
    line: int | None = None
    where: str | None = None
    shown: str


FieldValue = str | int | float | dt.date | None
"""A member table's cell, typed as a series' (:mod:`~almanac.project.tables`)."""


class Member(BaseModel):
    """One member of a family: its ``key``, the ``row`` it stands on in the member
    table (a CSV's line, a workbook's row), every field of that row by column name,
    typed as a series' cells (text, int, float, date or None for an empty cell), and
    each column's kind (:data:`~.tables.KINDS`, e.g. ``decimal(1)``) for formatting."""

    model_config = ConfigDict(frozen=True)

    key: str
    row: int
    fields: dict[str, FieldValue]
    kinds: dict[str, str] = {}
    language: str | None = Field(None, description="The member's language, from the "
                                 "family's language column; None: every language.")

    def column(self, name: str) -> Column:
        """The typed column ``name`` of the member table (for formatting a field)."""
        kind, decimals = parse_spec(self.kinds.get(name, "text"))
        return Column(name, kind, decimals)

    def visible(self) -> dict[str, Any]:
        """The member as templates and figure modules see it: its fields by column
        name, and ``key``."""
        return {**self.fields, "key": self.key} if "key" not in self.fields \
            else dict(self.fields)


class Report(BaseModel):
    """The whole loaded report: the only input of the later stages."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    root: Path
    manifest: Manifest
    brand: Brand
    brand_path: Path
    chapters: list[Chapter]
    untranslated: list[Untranslated] = Field(
        [], description="The texts of this language's edition shown in the main language "
        "(``missing_translations: main-language``), in the order of the report.")
    member: Member | None = Field(None, description="The family member this report was "
                                  "loaded for (:mod:`~almanac.project.family`); None for a "
                                  "report that is no family's.")
    family_title: str | None = Field(None, description="A family member's report: "
                                     "report.yaml's title as written, in this language, "
                                     "its {{ member.x }} taken out (names the family's "
                                     "output folder).")

    @property
    def languages(self) -> list[str]:
        """Every language of the report, the main one first: ``languages:`` of
        ``report.yaml``, or its one ``language:``."""
        return list(self.manifest.languages) or [self.manifest.language]

    @property
    def multilingual(self) -> bool:
        """Whether the report is made in more than one language (each its own PDF)."""
        return len(self.languages) > 1

    def number(self, key: str) -> Number:
        """The number defined under ``key`` in some chapter; KeyError if none."""
        for chapter in self.chapters:
            if key in chapter.data.numbers:
                return chapter.data.numbers[key]
        raise KeyError(key)
