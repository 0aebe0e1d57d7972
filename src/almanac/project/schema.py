"""JSON Schemas of the project's YAML files, for editors: ``report.yaml``, a
chapter's ``chapter.yaml`` and the brand file, made from the same models the
loader validates with (:mod:`.model`), so they cannot drift apart.

An editor with a YAML language server (e.g. VS Code's YAML extension) completes
keys, shows the descriptions and marks a typo or a wrong type while typing. The
loader stays the judge: it also checks what a schema cannot say (a chapter folder
that exists, a number's reference, a CLDR locale), and its messages name the line.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from . import model as m
from .languages import TAG, text_fields
from .model import Brand, ChapterData, Manifest
from .parts import CHAPTER_FILE, CHAPTERS, MANIFEST

DIALECT = "https://json-schema.org/draft/2020-12/schema"
"""The JSON Schema version pydantic writes (``$defs``, ``prefixItems``)."""

KINDS: dict[str, tuple[type[BaseModel], str]] = {
    "report": (Manifest, MANIFEST),
    "chapter": (ChapterData, f"{CHAPTERS}/NN-slug/{CHAPTER_FILE}"),
    "brand": (Brand, "styles/brand.yaml"),
}
"""Each kind of file: its model and where the file is (the brand file's place is
the default of ``brand:`` in report.yaml)."""

NUMBER_TEXT = r"^[ \t]*[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?[ \t]*$"
"""A number written as text, as :func:`.model.parse_number` reads it (its
``PLAIN_NUMBER``, with the spaces and tabs it strips), in ECMA-262 syntax."""


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the YAML file ``kind`` (a key of
    :data:`KINDS`: ``"report"``, ``"chapter"`` or ``"brand"``), as a dict ready for
    ``json.dumps``: ``$schema``, ``$id`` (``urn:almanac:schema:<kind>``), a title
    naming the file, and each model's and field's description (pydantic's
    ``model_json_schema()`` in validation mode).

    Two changes to pydantic's schema make it accept what the loader accepts, and
    refuse what it refuses: every number may also be written as text (``"6.3"``),
    as the loader reads it (:data:`NUMBER_TEXT`; its bounds then apply only when
    it is loaded); and a mapping whose keys have a pattern (a number's key) takes
    no other key (pydantic writes ``patternProperties`` alone, which lets any key
    through). A text field (:data:`~.languages.TEXT_FIELDS`) also takes its text by
    language, ``{nl: …, en: …}``, as a report in several languages gives it.
    KeyError for an unknown ``kind``.
    """
    model, where = KINDS[kind]
    schema = model.model_json_schema(mode="validation")
    schema = _as_loaded(schema)
    _by_language(schema, model)
    schema.pop("title", None)  # the model's name
    description = schema.pop("description", "")
    return {"$schema": DIALECT, "$id": f"urn:almanac:schema:{kind}",
            "title": f"Almanac {where}",
            "description": f"{description}\n\nChecked again, with line numbers, by "
            "'almanac check'.".strip(), **schema}


def _as_loaded(node: Any) -> Any:
    """``node`` with each number or integer schema (not an enumeration or constant)
    widened to also take a number written as text, and each mapping with key
    patterns closed to other keys."""
    if isinstance(node, list):
        return [_as_loaded(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _as_loaded(value) for key, value in node.items()}
    if node.get("type") == "object" and "patternProperties" in node \
            and "additionalProperties" not in node and "properties" not in node:
        node["additionalProperties"] = False
    if node.get("type") in ("number", "integer") and "enum" not in node \
            and "const" not in node:
        outer = {key: node.pop(key) for key in ("title", "description", "default")
                 if key in node}
        return {**outer, "anyOf": [node, {"type": "string", "pattern": NUMBER_TEXT}]}
    return node


def _by_language(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Widen every text field of ``schema`` (of ``model``; its ``$defs`` named by
    their models) to take its text by language too: a mapping from language tags to
    the text (:func:`~.languages.select`); a list's items and a mapping's values
    each may be given so as well."""
    for name, definition in [(model.__name__, schema), *schema.get("$defs", {}).items()]:
        found = getattr(m, name, None)
        if not (isinstance(found, type) and issubclass(found, BaseModel)):
            continue
        properties = definition.get("properties", {})
        for field in text_fields(found) & set(properties):
            properties[field] = _either(properties[field])


def _either(node: dict[str, Any]) -> dict[str, Any]:
    """A text's schema ``node`` widened to also take a mapping by language, its items
    or values too."""
    outer: dict[str, Any] = {key: node.pop(key) for key in ("title", "description", "default")
                             if key in node}
    for branch in node.get("anyOf", [node]):
        if branch.get("type") == "array" and isinstance(branch.get("items"), dict):
            branch["items"] = _in_languages(branch["items"])
        if isinstance(branch.get("additionalProperties"), dict):
            branch["additionalProperties"] = _in_languages(branch["additionalProperties"])
        for key, value in branch.get("patternProperties", {}).items():
            branch["patternProperties"][key] = _in_languages(value)
    return {**outer, **_in_languages(node)}


def _in_languages(node: dict[str, Any]) -> dict[str, Any]:
    """``node``, or a mapping from language tags to what ``node`` takes."""
    return {"anyOf": [node, {"type": "object", "propertyNames": {"pattern": TAG.pattern},
                             "minProperties": 1, "additionalProperties": node}]}
