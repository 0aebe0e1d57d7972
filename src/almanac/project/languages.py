"""A report in several languages: one project, an edition per language.

``report.yaml`` lists the languages (``languages: [nl, en]``, the main one first).
Numbers, series, figures, photos and the brand are shared; only texts differ. A
text of any language is given in one of two ways:

- in YAML, a text field (:data:`TEXT_FIELDS`) may be a mapping by language,
  ``title: {nl: …, en: …}``; it must serve every language of
  the report. A text written plainly is the same in every language (a name, a
  source such as "CBS"). Each edition's data is selected from the raw data before
  it is validated (:func:`select`), with its line numbers kept, so the model sees
  plain text;
- beside a chapter's file, a translation with the language in its name:
  ``chapter.en.md`` beside ``chapter.md`` (``chapter.en.yaml`` beside
  ``chapter.yaml``). It gives the same sections and blocks, in the same order and of
  the same types; whatever else it restates (a chart, a number, a series, an option)
  must agree with the main file, and what it leaves out is taken from it; only its
  texts differ (:func:`merge`).

A text is found for a language as RFC 4647 §3.4 "Lookup" finds one (:func:`lookup`),
as the message catalogues do: ``en-GB`` takes an ``en-GB:`` key or a
``chapter.en-GB.md`` first, then ``en:`` or ``chapter.en.md``. So ``en`` serves
``en-GB`` and ``en-US`` alike, and a report in both writes ``en:`` for what they
share and ``en-GB:`` / ``en-US:`` where they differ; the main language's own text
serves a language it is the lookup of (``en`` the main one, ``en-GB`` another).
A key or a file that serves none of the report's languages is an error.

A chapter with neither, or a text missing in a language, is an error naming the
file, the line and the language; with ``missing_translations: main-language`` it is
shown in the main language instead, and that edition's colophon says so
(:class:`~almanac.project.model.Untranslated`).
"""

from __future__ import annotations

import functools
import re
import types
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel

from ..errors import Problem
from . import model as m
from .parts import CHAPTER_MARKDOWN
from .yamlfile import Lines, where

TEXT_FIELDS: dict[type[BaseModel], frozenset[str]] = {
    m.Manifest: frozenset({"title", "subtitle", "organisation", "subject", "keywords",
                           "identifier"}),
    m.Change: frozenset({"text"}),
    m.Photo: frozenset({"description", "caption", "overlay_text"}),
    m.ChapterData: frozenset({"title", "short_title", "lead"}),
    m.Section: frozenset({"title"}),
    m.Number: frozenset({"label"}),
    m.SeriesRef: frozenset({"note"}),
    m.ProseBlock: frozenset({"text", "footnotes"}),
    m.HeadingBlock: frozenset({"text"}),
    m.Kpi: frozenset({"label"}),
    m.QuoteBlock: frozenset({"text", "source"}),
    m.FactsBlock: frozenset({"title", "items"}),
    m.FigureBlock: frozenset({"caption", "labels", "source"}),
    m.NormBlock: frozenset({"label"}),
    m.Result: frozenset({"label", "what"}),
    m.ResultsBlock: frozenset({"caption", "note"}),
    m.TableBlock: frozenset({"caption", "columns"}),
    m.NoteBlock: frozenset({"text"}),
}
"""The fields of each model that hold words for readers, which differ by language
(a model inherits its bases': a photo block has a photo's). Every other field —
keys, numbers, files, charts, options — is the same in every language."""

TAG = re.compile(m.LANGUAGE_TAG)
"""A language tag as ``report.yaml`` writes one (``nl``, ``en-GB``, ``sr-Latn``;
:data:`~almanac.project.model.LANGUAGE_TAG`)."""
TRANSLATION = re.compile(r"^chapter\.(?P<tag>[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,4}){0,2})"
                         r"\.(?P<form>md|yaml)$")
"""A chapter's translation file: ``chapter.<tag>.md`` or ``chapter.<tag>.yaml`` (a
tag in another case or with ``_`` too, so that it is named rather than ignored)."""
FALLBACK_HINT = "or set missing_translations: main-language in report.yaml to show the " \
    "main language's text (the colophon then says so)"


def lookup(tag: str) -> list[str]:
    """The tags whose text serves the language ``tag``, most specific first:
    ``en-GB`` → ``["en-GB", "en"]``, ``sr-Latn-RS`` → ``["sr-Latn-RS", "sr-Latn",
    "sr"]`` (RFC 4647 §3.4, "Lookup": subtags removed from the end; the message
    catalogues find theirs so, :func:`almanac.text.messages.candidates`)."""
    parts = tag.split("-")
    return ["-".join(parts[:size]) for size in range(len(parts), 0, -1)]


@dataclass(frozen=True)
class Languages:
    """The languages of a report (``tags``, the main one first) and whether a missing
    text falls back to the main language (``fallback``)."""

    tags: tuple[str, ...]
    fallback: bool = False

    @property
    def main(self) -> str:
        """The main language: the first of ``languages:``."""
        return self.tags[0]

    def listed(self) -> str:
        """The languages as a message names them: ``nl, en``."""
        return ", ".join(self.tags)

    def served(self, key: str) -> tuple[str, ...]:
        """The report's languages a text given for ``key`` serves (:func:`lookup`):
        ``en`` serves ``en-GB`` and ``en-US``; ``en-GB`` serves only ``en-GB``."""
        return tuple(tag for tag in self.tags if key in lookup(tag))

    def choose(self, keys: Any, language: str) -> str | None:
        """The first of ``language``'s :func:`lookup` tags that ``keys`` (a mapping's
        keys) has, or None: the key whose text ``language`` is shown."""
        return next((tag for tag in lookup(language) if tag in keys), None)

    def shares_main(self, language: str) -> bool:
        """Whether the main language's own text serves ``language`` (``en`` the main
        language, ``en-GB`` another): then a chapter needs no translation into it."""
        return self.main in lookup(language)[1:]

    def unserved_hint(self, key: str, otherwise: str) -> str:
        """The fix for a key or a file in ``key``, which serves none of the languages
        (``otherwise``: the last way out, e.g. ``remove it here``)."""
        shorter = next(((lookup(tag)[-1], tag) for tag in self.tags if "-" in tag), None)
        also = f" (or a shorter tag that serves one: {shorter[0]} serves {shorter[1]})" \
            if shorter else ""
        return (f"use one of the report's languages, {self.listed()}{also}; add {key} to "
                f"languages: in report.yaml; or {otherwise}")


def declared(data: Any) -> Languages | None:
    """The languages ``report.yaml``'s raw ``data`` declares (``languages:``, a list
    of tags) and its ``missing_translations:``; None when it declares no list (one
    ``language:``, or a ``languages:`` the model refuses and names)."""
    if not isinstance(data, dict):
        return None
    tags = data.get("languages")
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) for t in tags):
        return None
    return Languages(tuple(dict.fromkeys(tags)),
                     data.get("missing_translations") == "main-language")


def text_fields(model: type[BaseModel]) -> frozenset[str]:
    """The text fields of ``model`` (:data:`TEXT_FIELDS`, its bases' included)."""
    found: frozenset[str] = frozenset()
    for base in model.__mro__:
        found |= TEXT_FIELDS.get(base, frozenset())
    return found


@functools.cache
def _fields(model: type[BaseModel]) -> dict[str, Any]:
    """The annotation of each field of ``model``, forward references resolved (the
    model module annotates ``cover: Photo | None`` before ``Photo`` is defined)."""
    hints = get_type_hints(model, include_extras=True)
    return {name: hints[name] for name in model.model_fields}


def _resolve(annotation: Any, value: Any) -> Any:
    """What a raw ``value`` of a field annotated ``annotation`` is validated as: a
    model class (a block by its ``type``), ``list[...]`` or ``dict[...]``, or None
    for a plain value."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _resolve(get_args(annotation)[0], value)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        models = [a for a in options if isinstance(a, type) and issubclass(a, BaseModel)]
        if isinstance(value, dict) and models:
            if len(models) == 1:
                return models[0]
            return next((a for a in models if value.get("type") in
                         get_args(a.model_fields["type"].annotation)), None)
        containers = [a for a in options if get_origin(a) in (list, dict)]
        return _resolve(containers[0], value) if containers else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return annotation if origin in (list, dict) else None


def _items(target: Any) -> Any:
    """The annotation of the items of a ``list[...]`` or the values of a ``dict[...]``."""
    return get_args(target)[-1]


# --------------------------------------------------------------------------- YAML mappings

@dataclass
class Selection:
    """What :func:`select` found: the problems (a mapping without this language, or
    with a language the report does not have), the locations shown in the main
    language instead (``untranslated``), and whether any text was given by language
    (``mapped``)."""

    problems: list[Problem] = field(default_factory=list)
    untranslated: list[tuple] = field(default_factory=list)
    mapped: bool = False


def select(model: type[BaseModel], data: Any, language: str, languages: Languages,
           path: Path, lines: Lines) -> tuple[Any, Selection]:
    """``data`` (raw YAML of ``model``, e.g. a chapter's) with every text given by
    language replaced by its ``language`` text: a text field's value that is a
    mapping whose keys are language tags, at least one of them serving a language of
    the report (:meth:`Languages.served`), e.g. ``{nl: …, en: …}`` (a list's items
    and a mapping's values, such as a figure's ``labels``, may each be given so).
    ``language`` takes the text of its most specific key (``en-GB:``, else ``en:``;
    :func:`lookup`). A mapping with no key for ``language`` is a problem at the
    field's line in ``path`` — or, with ``languages.fallback``, the main language's
    text, its location recorded in :attr:`Selection.untranslated`; a key serving none
    of the report's languages is a problem at its own line. The data is not
    validated here."""
    found = Selection()

    def problem(message: str, loc: tuple, hint: str) -> None:
        found.problems.append(Problem(message, path, lines.line(loc), hint,
                                      where(loc) or None))

    def per_language(value: Any) -> bool:
        return isinstance(value, dict) and bool(value) \
            and all(isinstance(key, str) and TAG.match(key) for key in value) \
            and any(languages.served(key) for key in value)

    def pick(value: dict, loc: tuple) -> Any:
        found.mapped = True
        for key in value:
            if not languages.served(key):
                problem(f"{key} is not one of the report's languages ({languages.listed()})",
                        loc + (key,), languages.unserved_hint(key, "remove it here"))
        chosen = languages.choose(value, language)
        if chosen is not None:
            return value[chosen]
        main = languages.choose(value, languages.main)
        if languages.fallback and main is not None:
            found.untranslated.append(loc)
            return value[main]
        fix = f"add {' or '.join(tag + ':' for tag in lookup(language))} and its text to " \
            "the mapping"
        problem(f"the text has no {language} translation", loc,
                f"{fix}, {FALLBACK_HINT}" if language != languages.main else fix)
        return next(iter(value.values()))

    def text(value: Any, loc: tuple) -> Any:
        if per_language(value):
            return pick(value, loc)
        if isinstance(value, list):
            return [pick(item, loc + (i,)) if per_language(item) else item
                    for i, item in enumerate(value)]
        if isinstance(value, dict):
            return {key: pick(item, loc + (key,)) if per_language(item) else item
                    for key, item in value.items()}
        return value

    def inner(annotation: Any, value: Any, loc: tuple) -> Any:
        target = _resolve(annotation, value)
        if isinstance(target, type):
            return walk(target, value, loc)
        if get_origin(target) is list and isinstance(value, list):
            return [inner(_items(target), item, loc + (i,)) for i, item in enumerate(value)]
        if get_origin(target) is dict and isinstance(value, dict):
            return {key: inner(_items(target), item, loc + (key,))
                    for key, item in value.items()}
        return value

    def walk(model: type[BaseModel], value: Any, loc: tuple) -> Any:
        if not isinstance(value, dict):
            return value
        texts = text_fields(model)
        result = {}
        for key, item in value.items():
            spec = _fields(model).get(key) if isinstance(key, str) else None
            result[key] = item if spec is None else text(item, loc + (key,)) \
                if key in texts else inner(spec, item, loc + (key,))
        return result

    return walk(model, data, ()), found


# --------------------------------------------------------------------------- translation files

def translation_file(folder: Path, main: Path, language: str,
                     languages: Languages | None = None) -> Path | None:
    """The translation of the chapter file ``main`` into ``language`` in ``folder``:
    the first of ``chapter.<tag>`` + ``main``'s suffix for the tags of ``language``'s
    :func:`lookup` (``chapter.en-GB.md``, else ``chapter.en.md``), stopping at the
    main language of ``languages``, whose text is ``main`` itself; None when there
    is none."""
    for tag in lookup(language):
        if languages is not None and tag == languages.main:
            return None
        path = folder / f"chapter.{tag}{main.suffix}"
        if path.exists() or path.is_symlink():
            return path
    return None


def stray_translations(folder: Path, main: Path, languages: Languages) -> list[Problem]:
    """The files of a chapter folder named as translations (``chapter.<tag>.md``)
    that no edition reads (:func:`translation_file`): of a tag that serves none of
    the report's languages (:meth:`Languages.served`), or only the main language
    (whose text is the chapter's own file), in the other form than the chapter's
    (``chapter.en.yaml`` beside ``chapter.md``), or one that a more specific file
    serves in its stead (``chapter.en.md`` beside ``chapter.en-GB.md`` in a report
    in ``en-GB`` but no other English)."""
    read = [(translation_file(folder, main, tag, languages), tag)
            for tag in languages.tags[1:]]
    problems = []
    for path in sorted(folder.glob("chapter.*.*")):
        named = TRANSLATION.match(path.name)
        if named is None or path in (file for file, _ in read):
            continue
        tag, suffix = named.group("tag"), "." + named.group("form")
        served = languages.served(tag)
        if tag == languages.main or served == (languages.main,):
            problems.append(Problem(
                f"{path.name} is a translation into the main language {languages.main}",
                path, hint=f"the main language's text is {main.name}: merge the two and "
                f"remove {path.name}"))
        elif not served:
            problems.append(Problem(
                f"{path.name} is a translation into {tag}, which is not one of the report's "
                f"languages ({languages.listed()})", path,
                hint=languages.unserved_hint(tag, "rename or remove the file")))
        elif suffix != main.suffix:
            problems.append(Problem(
                f"{path.name} is not in the form of its chapter, {main.name}", path,
                hint=f"write the translation as chapter.{tag}{main.suffix}, the same "
                "sections and blocks as the chapter in its own language"))
        else:
            instead = {language: (other or main).name for other, language in read
                       if language in served}
            problems.append(Problem(
                f"{path.name} is read by no edition: " + ", ".join(
                    f"{name} serves {language}" for language, name in instead.items()),
                path, hint=f"merge {path.name} into {next(iter(instead.values()))} and "
                "remove it: a language's text is one file, the most specific one for it"))
    return problems


MATCH_HINT = ("a translation has the sections and blocks of the main file, in the same order "
              "and of the same types, and repeats its charts, numbers, series and options "
              "unchanged (or leaves them out); only its texts differ")


@dataclass
class Merged:
    """What :func:`merge` made: the edition's raw ``data`` and its ``lines`` (each
    location's line in the file it came from), the locations whose text is the
    translation's (``translated``), the problems and the locations shown in the
    main language instead (``untranslated``)."""

    data: Any
    lines: Lines
    translated: set[tuple]
    problems: list[Problem]
    untranslated: list[tuple]

    def source_of(self, problem: Problem, main: Path, translation: Path) -> Problem:
        """``problem`` (of the merged data, found as if all of it were in
        ``translation``) naming the file its location came from."""
        if problem.where is None:
            return problem
        own = {where(loc) for loc in self.translated}
        text = problem.where
        if text in own or any(text.startswith((mine + ".", mine + "[")) for mine in own):
            return replace(problem, path=translation)
        return replace(problem, path=main)


def merge(main: Any, main_lines: Lines, main_path: Path, translation: Any,
          lines: Lines, path: Path, language: str, languages: Languages) -> Merged:
    """A chapter's data in ``language`` from the main file's raw data (``main``, of
    ``main_path``) and its translation's (``translation``, of ``path``): the main
    file's, with every text the translation's. Their structure must agree (see the
    module's docstring); each difference is a problem naming both files and lines.
    A text of the main file that the translation lacks is a problem too — or, with
    ``languages.fallback``, kept in the main language and recorded."""
    translated: set[tuple] = set()
    problems: list[Problem] = []
    untranslated: list[tuple] = []
    name = main_path.name

    def mismatch(loc: tuple, here: str, there: str) -> None:
        problems.append(Problem(f"{here} here, where {name} has {there} (line "
                                f"{main_lines.line(loc)})", path, lines.line(loc), MATCH_HINT,
                                where(loc) or None))

    def missing(loc: tuple) -> None:
        if languages.fallback:
            untranslated.append(loc)
            return
        problems.append(Problem(
            f"the {language} translation has no {loc[-1]} here", path, lines.line(loc),
            f"translate it from {name} (line {main_lines.line(loc)}), {FALLBACK_HINT}",
            where(loc) or None))

    def shown(value: Any) -> str:
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "…"

    def inner(annotation: Any, old: Any, new: Any, loc: tuple) -> Any:
        target = _resolve(annotation, old)
        if isinstance(target, type):
            if not isinstance(new, dict) or not isinstance(old, dict):
                if new != old:
                    mismatch(loc, shown(new), shown(old))
                return old
            if old.get("type") != new.get("type"):
                mismatch(loc, f"a {new.get('type')} block", f"a {old.get('type')} block")
                return old
            return walk(target, old, new, loc)
        if get_origin(target) is list and isinstance(old, list) and isinstance(new, list):
            if len(old) != len(new):
                mismatch(loc, f"{len(new)} {loc[-1] if loc else 'items'}", str(len(old)))
                return old
            return [inner(_items(target), a, b, loc + (i,))
                    for i, (a, b) in enumerate(zip(old, new))]
        if get_origin(target) is dict and isinstance(old, dict) and isinstance(new, dict):
            for key in new:
                if key not in old:
                    mismatch(loc + (key,), str(key), f"no {key}")
            return {key: inner(_items(target), value, new[key], loc + (key,))
                     if key in new else value for key, value in old.items()}
        if new != old:
            mismatch(loc, f"{loc[-1]} {shown(new)}" if loc and isinstance(loc[-1], str)
                     else shown(new), shown(old))
        return old

    def walk(model: type[BaseModel], old: dict, new: dict, loc: tuple) -> dict:
        texts = text_fields(model)
        result = {}
        for key in [*old, *(key for key in new if key not in old)]:
            spec = _fields(model).get(key) if isinstance(key, str) else None
            here = loc + (key,)
            if spec is None or key in texts:  # a text, or a key the model will refuse
                if key in new:
                    result[key] = new[key]
                    translated.add(here)
                else:
                    if spec is not None:
                        missing(here)
                    result[key] = old[key]
            elif key in old and key in new:
                result[key] = inner(spec, old[key], new[key], here)
            elif key in old:
                result[key] = old[key]  # not restated: the main file's
            else:
                mismatch(here, str(key), f"no {key}")
        return result

    if not isinstance(translation, dict) or not isinstance(main, dict):
        data = translation  # not keys with values: validation says so, naming the file
        translated.add(())
    else:
        data = walk(m.ChapterData, main, translation, ())
    combined = Lines(None)
    own = lines.lines
    combined.lines = {**main_lines.lines, **{
        loc: line for loc, line in own.items()
        if any(loc[:size] in translated for size in range(len(loc) + 1))}}
    return Merged(data, combined, translated, problems, untranslated)


def is_markdown(path: Path) -> bool:
    """Whether a chapter file is written in Markdown (its text cannot be given by
    language in the file itself: a translation is a file of its own)."""
    return path.suffix == Path(CHAPTER_MARKDOWN).suffix
