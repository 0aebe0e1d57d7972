"""YAML with line numbers, and validation that turns pydantic's errors into
problems a person can act on (file, line, the key, a fix).

The safe loader is used throughout (no tags that build objects); a key given
twice in one mapping is an error, where YAML itself would keep the last one.
The map from a location (``("numbers", "verzuim", "value")``) to its line is
built only when a problem needs it.
"""

from __future__ import annotations

import difflib
import re
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..errors import Problem, ReportError
from . import model as m
from .files import Refused, Roots, read_bytes
from .files import over_limit as over_limit  # where the readers of other files find it
from .model import BLOCK_TYPES, HEX_PATTERN, KEY_PATTERN, VERSION_PATTERN

MAX_YAML_BYTES = 4 * 2**20  # a chapter is text: a few hundred KB at most


class Lines:
    """Maps a location inside a YAML document (``("kpis", 2, "value")``) to its line."""

    def __init__(self, node: yaml.Node | None):
        self.lines: dict[tuple, int] = {}
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: tuple, seen: set[int] | None = None) -> None:
        seen = set() if seen is None else seen
        self.lines[path] = node.start_mark.line + 1
        if id(node) in seen:  # an alias: its node was mapped where the anchor is
            return
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = path + (key.value,)
                self._walk(value, child, seen)
                self.lines[child + ("<key>",)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._walk(item, path + (index,), seen)

    def line(self, loc: tuple) -> int | None:
        """The line (from 1) of ``loc``, or of its nearest parent that has one."""
        loc = tuple(loc)
        if loc and loc[-1] == "[key]":  # pydantic's location of a mapping key itself
            loc = loc[:-1]
        if loc + ("<key>",) in self.lines:
            return self.lines[loc + ("<key>",)]
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get(())


if typing.TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:  # the C loader where libyaml is there
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):
    """The safe loader, refusing a key that appears twice in one mapping (YAML
    itself would silently keep the last one)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Node] = {}
            for key_node, _ in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if key is None or key == "<<":
                    continue
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "first given", seen[key].start_mark,
                        f"the key '{key}' is given twice", key_node.start_mark)
                seen[key] = key_node
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:  # e.g. the date 2022-13-45
            raise yaml.constructor.ConstructorError(
                None, None, f"{str(node.value)[:60]!r} is not a valid value ({exc})",
                node.start_mark) from exc


# Numbers as JSON and YAML 1.2 write them: ASCII digits in base ten. YAML 1.1 (PyYAML's
# resolver) also reads 1_000, 0x1F, 017 (octal: 15) and 1:30 (base 60: 90) as numbers,
# a silent change of the value; here those stay text, which a number field refuses.
_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(_INT, re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"),
                              list("-+0123456789"))
_Loader.add_implicit_resolver(
    _FLOAT, re.compile(r"^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?"
                       r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"), list("-+0123456789."))
_LOADER = _Loader


class _LazyLines(Lines):
    """The line map, built only when a problem needs a line number."""

    def __init__(self, text: str):
        self._text = text
        self._lines: dict[tuple, int] | None = None

    @property
    def lines(self) -> dict[tuple, int]:
        if self._lines is None:
            self._lines = {}
            node = yaml.compose(self._text, Loader=_LOADER)
            if node is not None:
                self._walk(node, ())
        return self._lines

    @lines.setter
    def lines(self, value):
        self._lines = value


def read_yaml(path: Path, roots: Path | Roots) -> tuple[Any, Lines]:
    """Parse the YAML file ``path``, a regular file inside ``roots`` of at most
    MAX_YAML_BYTES (read by :func:`~almanac.project.files.read_bytes`); a refused
    file or a syntax error becomes a ReportError with the file and the line."""
    text = read_text(path, roots)
    return parse_yaml(text, path), _LazyLines(text)


def read_text(path: Path, roots: Path | Roots) -> str:
    """The UTF-8 text of ``path``, a regular file inside ``roots`` of at most
    MAX_YAML_BYTES (a chapter file of either form); a refused file or bytes that are
    not UTF-8 become a ReportError with the file (and the line of the bad byte)."""
    try:
        body = read_bytes(path, roots, MAX_YAML_BYTES, "split it, or move tables to CSV")
        return body.decode("utf-8")
    except Refused as exc:
        raise ReportError(Problem(f"file {exc.reason}", path, hint=exc.hint)) from None
    except UnicodeDecodeError as exc:
        raise ReportError(Problem(f"not UTF-8 text ({exc.reason})", path,
                                  line_at(exc.object, exc.start),
                                  hint="save the file as UTF-8"))


def parse_yaml(text: str, path: Path, offset: int = 0) -> Any:
    """The data of the YAML document ``text`` (the safe loader, a key given twice
    refused); a syntax error becomes a ReportError naming ``path`` and the line,
    counted as line ``offset + 1`` for the first line of ``text`` (a document that
    stands inside a larger file, e.g. a Markdown chapter's front matter)."""
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"invalid YAML: {exc.problem or exc.context}"
        if exc.problem and exc.context and exc.context_mark and mark \
                and exc.context_mark.line != mark.line:
            message += (f" ({exc.context.removesuffix(':')}, line "
                        f"{exc.context_mark.line + 1 + offset})")
        hint = "check indentation, colons and quotes on this line"
        if "is not a valid value" in str(exc.problem):
            hint = "write a valid value (a date as YYYY-MM-DD), or quote it to make it text"
        elif "is given twice" in str(exc.problem):
            hint = "keep one of them"
        raise ReportError(Problem(message, path, mark.line + 1 + offset if mark else None,
                                  hint))
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        raise ReportError(Problem(
            f"invalid YAML: character U+{exc.character:04X} is not allowed", path,
            text[:exc.position].count("\n") + 1 + offset,
            hint="remove the control character (or write it as an escape in double quotes)"))
    except yaml.YAMLError as exc:
        raise ReportError(Problem(f"invalid YAML: {exc}", path))
    except RecursionError:
        raise ReportError(Problem("invalid YAML: nested too deeply", path,
                                  hint="flatten the lists and mappings"))


def line_at(data: bytes | str, offset: int) -> int:
    """The line number of ``offset`` in ``data``."""
    if isinstance(data, bytes):
        return data[:offset].count(b"\n") + 1
    return data[:offset].count("\n") + 1


def where(loc: tuple) -> str:
    """A location as people read it: ``("sections", 2, "blocks", 4)`` becomes
    ``sections[2].blocks[4]``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part == "[key]":
            continue
        else:
            text += ("." if text else "") + str(part)
    return text


def _hint(error: ErrorDetails, model: type[BaseModel], loc: tuple) -> str | None:
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        if close:
            return f"did you mean '{close[0]}'?"
        return "remove it; allowed here: " + ", ".join(sorted(allowed)) if allowed else None
    if kind == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag", "")
        close = difflib.get_close_matches(str(tag), BLOCK_TYPES, n=1)
        if close:
            return f"did you mean type: {close[0]}?"
        return "use one of: " + ", ".join(BLOCK_TYPES)
    if kind == "missing":
        return f"add '{loc[-1]}'"
    if kind == "union_tag_not_found":
        return "give the block a type: one of " + ", ".join(BLOCK_TYPES)
    if kind in ("float_parsing", "int_parsing", "float_type", "int_type"):
        return "write a plain number, e.g. 6.3 (a dot for decimals, no % or € sign)"
    if kind == "literal_error":
        return "use one of: " + error.get("ctx", {}).get("expected", "")
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern")
        if pattern == KEY_PATTERN:
            return "a key is lower-case letters, digits and _, starting with a letter " \
                "(e.g. verzuim_2021)"
        if pattern == HEX_PATTERN:
            return "write a colour as # and six hex digits, e.g. #15396B"
        if pattern == VERSION_PATTERN:
            return 'write a version as numbers in the digits 0-9 with dots, e.g. "1.4" ' \
                'or "1.4.1"'
    if kind == "too_long":
        return f"keep at most {error.get('ctx', {}).get('max_length')}; split the rest " \
            "into another block"
    if kind == "too_short":
        return f"give at least {error.get('ctx', {}).get('min_length')}"
    if kind == "finite_number":
        return "write a finite number (not .inf or .nan)"
    if kind == "list_type":
        return "write a list: one '- item' per line below the key, or [a, b]"
    if kind in ("dict_type", "model_type"):
        return "write keys with values (key: value), indented below this key"
    if kind == "string_type":
        return "write text; put it in quotes when it starts with [ { * & ! or @"
    if kind.startswith(("date", "datetime")):
        return "write a date as YYYY-MM-DD, e.g. 2022-05-01"
    if kind == "bool_type":
        return "write true or false"
    return None


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The field names allowed at ``loc`` inside ``model`` (best effort, for hints)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        fields = getattr(current, "model_fields", {})
        if part in fields:
            current = _model_of(fields[part].annotation)
        else:
            tag_model = _tagged(current, part)
            current = tag_model
    return list(getattr(current, "model_fields", {}).keys())


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _tagged(current: Any, tag: str) -> Any:
    for cls in vars(m).values():
        if isinstance(cls, type) and issubclass(cls, BaseModel) and "type" in cls.model_fields:
            annotation = cls.model_fields["type"].annotation
            if tag in getattr(annotation, "__args__", ()):
                return cls
    return current


def validate(model: type[BaseModel], data: Any, path: Path,
             lines: Lines) -> tuple[Any, list[Problem]]:
    """Validate ``data`` (parsed YAML) against ``model``: the instance and no
    problems, or None and every problem, each with its line in ``path``."""
    required = [name for name, field in model.model_fields.items() if field.is_required()]
    if data is None:
        return None, [Problem("the file is empty", path, hint="it needs at least: "
                              + ", ".join(required))]
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"the value {str(data)[:40]!r}"
        return None, [Problem(f"the file holds {kind}, not keys with values", path,
                              lines.line(()), "write it as keys with values, one per line: "
                              + ", ".join(f"{name}: …" for name in required[:3]))]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            tagged = tuple(error["loc"])
            # pydantic names the block type in the location (blocks[2].photo.colour);
            # the file has no such level
            loc = tuple(part for i, part in enumerate(tagged)
                        if not (i and isinstance(tagged[i - 1], int) and part in BLOCK_TYPES))
            message, got = error["msg"], ""
            if error["type"] not in ("missing", "extra_forbidden") and "input" in error:
                value = error["input"]
                if not isinstance(value, (dict, list)):
                    got = f", got {str(value)[:60]!r}" if isinstance(value, str) \
                        else f", got {value!r}"[:70]
            hint = _hint(error, model, tagged)
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            if error["type"] == "value_error":  # our validators: "what is wrong; what to do"
                message = message.removeprefix("Value error, ")
                if "; " in message:
                    message, hint = message.rsplit("; ", 1)
            message += got
            problems.append(Problem(message, path, lines.line(loc), hint, where(loc) or None))
        return None, problems
