"""Stage 1 — load: read ``report.yaml``, the brand file and every chapter into
the typed model, collecting *every* problem (file, line, fix) before failing.
"""

from __future__ import annotations

import csv
import difflib
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from .errors import Problem, ReportError
from .model import (BLOCK_TYPES, HEX_PATTERN, KEY_PATTERN, Brand, Chapter, ChapterData,
                    Manifest, Photo, Report)
from .prose import references

MANIFEST = "report.yaml"
CHAPTER_FILE = "chapter.yaml"
MAX_YAML_BYTES = 4 * 2**20  # a chapter is text: a few hundred KB at most
MAX_CSV_BYTES = 16 * 2**20
MAX_CSV_ROWS = 10_000  # a chart or a table of more rows takes minutes and gigabytes
MAX_IMAGE_MEGAPIXELS = 50  # 50 MP is a 30 × 20 cm photo at 600 dpi
FONT_SIGNATURES = (b"\x00\x01\x00\x00", b"OTTO", b"true", b"ttcf", b"wOFF", b"wOF2")


# --------------------------------------------------------------------------- YAML with lines

class _Lines:
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


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
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


_LOADER = _Loader


class _LazyLines(_Lines):
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


def read_yaml(path: Path) -> tuple[Any, _Lines]:
    """Parse a YAML file; a syntax error becomes a ReportError with its line."""
    try:
        if path.stat().st_size > MAX_YAML_BYTES:
            raise ReportError(Problem(
                f"file is {path.stat().st_size / 2**20:.0f} MiB; the limit is "
                f"{MAX_YAML_BYTES // 2**20} MiB", path, hint="split it, or move tables to CSV"))
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(Problem("file not found", path, hint="create it or fix the name"))
    except UnicodeDecodeError as exc:
        raise ReportError(Problem(f"not UTF-8 text ({exc.reason})", path,
                                  _line_at(exc.object, exc.start),
                                  hint="save the file as UTF-8"))
    except OSError as exc:
        raise ReportError(Problem(f"cannot be read: {exc.strerror}", path,
                                  hint="make it a readable file"))
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"invalid YAML: {exc.problem or exc.context}"
        if exc.problem and exc.context and exc.context_mark and mark \
                and exc.context_mark.line != mark.line:
            message += f" ({exc.context.removesuffix(':')}, line {exc.context_mark.line + 1})"
        hint = "check indentation, colons and quotes on this line"
        if "is not a valid value" in str(exc.problem):
            hint = "write a valid value (a date as YYYY-MM-DD), or quote it to make it text"
        elif "is given twice" in str(exc.problem):
            hint = "keep one of them"
        raise ReportError(Problem(message, path, mark.line + 1 if mark else None, hint))
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        raise ReportError(Problem(
            f"invalid YAML: character U+{exc.character:04X} is not allowed", path,
            text[:exc.position].count("\n") + 1,
            hint="remove the control character (or write it as an escape in double quotes)"))
    except yaml.YAMLError as exc:
        raise ReportError(Problem(f"invalid YAML: {exc}", path))
    except RecursionError:
        raise ReportError(Problem("invalid YAML: nested too deeply", path,
                                  hint="flatten the lists and mappings"))
    return data, _LazyLines(text)


def _line_at(data: bytes | str, offset: int) -> int:
    """The line number of ``offset`` in ``data``."""
    return data[:offset].count(b"\n" if isinstance(data, bytes) else "\n") + 1


def _where(loc: tuple) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part == "[key]":
            continue
        else:
            text += ("." if text else "") + str(part)
    return text


def _hint(error: dict, model: type[BaseModel], loc: tuple) -> str | None:
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
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _tagged(current: Any, tag: str) -> Any:
    from . import model as m

    for cls in vars(m).values():
        if isinstance(cls, type) and issubclass(cls, BaseModel) and "type" in cls.model_fields:
            annotation = cls.model_fields["type"].annotation
            if tag in getattr(annotation, "__args__", ()):
                return cls
    return current


def validate(model: type[BaseModel], data: Any, path: Path, lines: _Lines) -> tuple[Any, list[Problem]]:
    """Validate ``data`` against ``model``; return the instance or all problems."""
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
            message = error["msg"]
            if error["type"] not in ("missing", "extra_forbidden") and "input" in error:
                value = error["input"]
                if not isinstance(value, (dict, list)):
                    message += f", got {value!r}"
            hint = _hint(error, model, tagged)
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            if error["type"] == "value_error":  # our validators: "what is wrong; what to do"
                message = message.removeprefix("Value error, ")
                if "; " in message:
                    message, hint = message.rsplit("; ", 1)
            problems.append(Problem(message, path, lines.line(loc), hint, _where(loc) or None))
        return None, problems


# --------------------------------------------------------------------------- report

def load_report(root: Path | str) -> Report:
    """Read the project at ``root`` into a :class:`Report`, or raise ReportError."""
    root = Path(root).resolve()
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        raise ReportError(Problem(f"no {MANIFEST} in {root}", manifest_path,
                                  hint="run the command in a report folder or pass its path"))
    problems: list[Problem] = []

    data, lines = read_yaml(manifest_path)
    manifest, found = validate(Manifest, data, manifest_path, lines)
    problems += found
    if manifest is None:
        raise ReportError(problems)

    brand_path = (root / manifest.brand).resolve()
    brand = None
    try:
        if not brand_path.is_relative_to(root):
            raise ReportError(Problem(f"brand file {manifest.brand} is outside the project "
                                      "folder", manifest_path, lines.line(("brand",)),
                                      "keep it inside the project, e.g. styles/brand.yaml",
                                      "brand"))
        brand_data, brand_lines = read_yaml(brand_path)
        brand, found = validate(Brand, brand_data, brand_path, brand_lines)
        problems += found
        if brand is not None:
            problems += _check_fonts(brand, brand_path, root)
    except ReportError as exc:
        problems += exc.problems

    chapters: list[Chapter] = []
    complete = True
    listed: set[str] = set()
    for index, slug in enumerate(manifest.chapters):
        try:
            if slug in listed:
                raise ReportError(Problem(f"chapter {slug} is listed twice", manifest_path,
                                          lines.line(("chapters", index)),
                                          "list each chapter folder once", f"chapters[{index}]"))
            listed.add(slug)
            chapters.append(_load_chapter(root, slug, index + 1, manifest_path, lines, index))
        except ReportError as exc:
            problems += exc.problems
            complete = False
    problems += _check_unlisted(root, manifest.chapters, manifest_path, lines)

    if complete:  # references across chapters are only checked once every chapter loads
        problems += _check_numbers(chapters)
    problems += _check_images(chapters, root)
    if manifest.cover is not None:
        problems += _check_photo(manifest.cover, root, root, manifest_path, "cover")
    problems += _check_figures(root, chapters)
    if problems:
        raise ReportError(problems)
    return Report(root=root, manifest=manifest, brand=brand, brand_path=brand_path,
                  chapters=chapters)


def _load_chapter(root: Path, slug: str, number: int, manifest_path: Path, lines: _Lines,
                  index: int) -> Chapter:
    folder = root / "chapters" / slug
    if not slug.strip() or slug.startswith(".") or any(c in slug for c in "/\\\0"):
        raise ReportError(Problem(f"chapter '{slug}' is not a folder name", manifest_path,
                                  lines.line(("chapters", index)),
                                  "name a folder directly under chapters/, e.g. 03-inzet",
                                  f"chapters[{index}]"))
    if folder.is_dir() and not folder.resolve().is_relative_to(root / "chapters"):
        raise ReportError(Problem(f"chapters/{slug} links to a folder outside the project",
                                  manifest_path, lines.line(("chapters", index)),
                                  "copy the chapter into chapters/ instead of linking it",
                                  f"chapters[{index}]"))
    if not folder.is_dir():
        existing = sorted(p.name for p in (root / "chapters").glob("*") if p.is_dir())
        close = difflib.get_close_matches(slug, existing, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"create chapters/{slug}/{CHAPTER_FILE}"
        raise ReportError(Problem(f"chapter folder chapters/{slug}/ does not exist",
                                  manifest_path, lines.line(("chapters", index)), hint,
                                  f"chapters[{index}]"))
    return read_chapter(folder, slug, number)


def _check_unlisted(root: Path, listed: list[str], manifest_path: Path,
                    lines: _Lines) -> list[Problem]:
    """A chapter folder that report.yaml does not list is an error: it would be
    silently left out of the PDF. (A misspelt entry already suggests it.)"""
    present = sorted(p.name for p in (root / "chapters").glob("*")
                     if p.is_dir() and (p / CHAPTER_FILE).is_file()
                     and not p.name.startswith((".", "_")))
    missing = [slug for slug in listed if slug not in present]
    suggested = {close for slug in missing
                 for close in difflib.get_close_matches(slug, present, n=1)}
    return [Problem(f"chapter folder chapters/{name}/ is not listed in {MANIFEST}",
                    manifest_path, lines.line(("chapters",)),
                    f"add it to chapters: in {MANIFEST} or remove it", "chapters")
            for name in present if name not in listed and name not in suggested]


def read_chapter(folder: Path, slug: str, number: int, root: Path | None = None) -> Chapter:
    """One chapter folder (its chapter.yaml and series) into a :class:`Chapter`.
    Files outside ``root`` (default: two folders up) are never read."""
    root = (root or folder.parent.parent).resolve()
    path = folder / CHAPTER_FILE
    data, chapter_lines = read_yaml(path)
    chapter_data, problems = validate(ChapterData, data, path, chapter_lines)
    if chapter_data is None:
        raise ReportError(problems)
    series = {}
    for key, ref in chapter_data.series.items():
        try:
            series[key] = _read_csv(folder / ref.file, path, chapter_lines.line(("series", key)),
                                    root)
        except ReportError as exc:
            problems += exc.problems
    problems += _check_series_use(chapter_data, series, path, folder)
    if problems:
        raise ReportError(problems)
    return Chapter(slug=slug, number=number, folder=folder, data=chapter_data, series=series)


# A number as people write it but Python does not read: 6,3 · 1.234 · 12% · € 100.
NUMBER_LIKE = re.compile(r"^[-+]?[€$]?\s*\d[\d.,]*\s*%?$")


def _read_csv(path: Path, owner: Path, line: int | None,
              root: Path) -> list[dict[str, str | float]]:
    try:
        shown = path.resolve().relative_to(root).as_posix()
    except ValueError:
        raise ReportError(Problem(f"series file {path.name} is outside the project folder",
                                  owner, line, "keep the CSV in the chapter's folder"))
    if not path.is_file():
        raise ReportError(Problem(f"series file {path.name} not found", owner, line,
                                  f"create {shown}"))
    if path.stat().st_size > MAX_CSV_BYTES:
        raise ReportError(Problem(f"series file {shown} is {path.stat().st_size / 2**20:.0f} "
                                  f"MiB; the limit is {MAX_CSV_BYTES // 2**20} MiB", owner,
                                  line, "aggregate the series before it goes in the report"))
    rows = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames:
                raise ReportError(Problem("empty CSV: no header row", path,
                                          hint="start with a header such as 'jaar,aantal'"))
            names = [name.strip() for name in reader.fieldnames]
            for name in names:
                if not name or names.count(name) > 1:
                    raise ReportError(Problem(
                        f"header has {'an empty' if not name else f'the column {name!r} twice'}"
                        f"{'' if name else ' column name'}", path, 1,
                        "give every column its own name"))
            reader.fieldnames = names
            for row in reader:
                if len(rows) == MAX_CSV_ROWS:
                    raise ReportError(Problem(
                        f"series file {shown} has more than {MAX_CSV_ROWS:,} rows; the limit "
                        f"is {MAX_CSV_ROWS:,}", owner, line,
                        "aggregate the series (per month or year) before it goes in the report"))
                rows.append(_record(row, path, reader.line_num))
    except UnicodeDecodeError as exc:
        data = path.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exact:  # the stream's error has no file offset
            exc = exact
        raise ReportError(Problem(f"not UTF-8 text ({exc.reason})", path,
                                  _line_at(data, exc.start),
                                  "save the CSV as UTF-8 (in Excel: CSV UTF-8)"))
    except csv.Error as exc:
        raise ReportError(Problem(f"not a valid CSV file: {exc}", path,
                                  reader.line_num or None, "save it as plain CSV text"))
    except OSError as exc:
        raise ReportError(Problem(f"cannot be read: {exc.strerror}", path,
                                  hint="make it a readable file"))
    if not rows:
        raise ReportError(Problem("CSV has a header but no rows", path, 1,
                                  "add the data rows under the header"))
    return rows


def _record(row: dict, path: Path, line: int) -> dict[str, str | float]:
    """One CSV row: numbers as floats, other cells as stripped text."""
    record: dict[str, str | float] = {}
    for column, value in row.items():
        if column is None or value is None:
            raise ReportError(Problem("row has a different number of cells than "
                                      "the header", path, line,
                                      "give every row one value per column"))
        value = value.strip()
        try:
            number = float(value)
        except ValueError:
            if NUMBER_LIKE.match(value):
                raise ReportError(Problem(
                    f"column {column!r}: {value!r} is not a number as written", path, line,
                    "write a plain number, e.g. 6.3 (a dot for decimals, no thousands "
                    "separator, no % or € sign)"))
            record[column] = value
            continue
        if number != number or number in (float("inf"), float("-inf")):
            raise ReportError(Problem(f"column {column!r}: {value!r} is not a finite number",
                                      path, line, "write a number, or leave the cell empty"))
        record[column] = number
    return record


def _check_series_use(data: ChapterData, series: dict[str, list[dict]], path: Path,
                      folder: Path) -> list[Problem]:
    """A table's columns exist in its series; a chart's series has no column that
    mixes numbers and text (a word where a chart expects a number)."""
    problems = []
    charted = set()
    for s, section in enumerate(data.sections):
        for b, block in enumerate(section.blocks):
            rows = series.get(getattr(block, "series", None) or "")
            if not rows:
                continue
            where = f"sections[{s}].blocks[{b}]"
            if block.type == "figure":
                charted.add(block.series)
            for column in getattr(block, "columns", None) or {}:
                if column not in rows[0]:
                    close = difflib.get_close_matches(column, list(rows[0]), n=1)
                    problems.append(Problem(
                        f"column {column!r} is not in {data.series[block.series].file}",
                        path, _line_of(path, re.escape(column) + r"\s*:"),
                        f"did you mean {close[0]!r}?" if close else
                        "its columns are: " + ", ".join(rows[0]), where + ".columns"))
    for key in sorted(charted):
        rows = series[key]
        for column in rows[0]:
            kinds = {type(row[column]) for row in rows if row[column] != ""}
            if kinds == {float, str}:
                index, text = next((i, row[column]) for i, row in enumerate(rows)
                                   if isinstance(row[column], str) and row[column])
                problems.append(Problem(
                    f"column {column!r} mixes numbers and text ({text!r}); a chart reads it",
                    folder / data.series[key].file, index + 2,
                    "write a number, or leave the cell empty for a missing value"))
    return problems


def _check_numbers(chapters: list[Chapter]) -> list[Problem]:
    """Every number is defined once; every reference (number, figure, table,
    footnote, series) points at something that exists."""
    problems: list[Problem] = []
    defined: dict[str, Chapter] = {}
    for chapter in chapters:
        for key in chapter.data.numbers:
            if key in defined:
                path = chapter.folder / CHAPTER_FILE
                problems.append(Problem(
                    f"number '{key}' is also defined in chapters/{defined[key].slug}",
                    path, _line_of(path, rf"^\s+{key}:"),
                    "define each number once; other chapters can use it as {{ key }}"))
            defined.setdefault(key, chapter)
    targets = {"figuur": {}, "tabel": {}}
    for chapter in chapters:
        for where, block in _blocks(chapter):
            kind = "figuur" if block.type == "figure" else "tabel" \
                if block.type in ("results", "table") else None
            key = getattr(block, "id", None)
            if kind and key:
                if key in targets[kind]:
                    path = chapter.folder / CHAPTER_FILE
                    problems.append(Problem(f"{kind} id '{key}' is used twice", path,
                                            _line_of(path, rf"id:\s*{key}\b"),
                                            "give every figure and table its own id", where))
                targets[kind][key] = chapter
    known = {"number": defined, **targets}
    for chapter in chapters:
        path = chapter.folder / CHAPTER_FILE
        for kind, key, where, block in _references(chapter):
            if kind == "footnote":
                if key not in getattr(block, "footnotes", {}):
                    problems.append(Problem(
                        f"footnote [^{key}] has no text", path,
                        _line_of(path, re.escape(f"[^{key}]")),
                        f"add it under this block's footnotes: as {key}: ...", where))
                continue
            if key not in known[kind]:
                close = difflib.get_close_matches(key, known[kind], n=1)
                what = "number" if kind == "number" else kind
                problems.append(Problem(
                    f"unknown {what} '{key}'", path, _line_of(path, _mention(key)),
                    f"did you mean '{close[0]}'?" if close else
                    "define it under numbers: with a value and a unit" if kind == "number"
                    else f"give the {kind} block id: {key}", where))
        for where, block in _blocks(chapter):
            series = getattr(block, "series", None)
            if block.type in ("figure", "table") and series is not None \
                    and series not in chapter.data.series:
                problems.append(Problem(f"unknown series '{series}'", path,
                                        _line_of(path, rf"series:\s*{series}\b"),
                                        "declare it under series: with its CSV file", where))
    return problems


def _blocks(chapter: Chapter):
    for s, section in enumerate(chapter.data.sections):
        for b, block in enumerate(section.blocks):
            yield f"sections[{s}].blocks[{b}]", block


def _references(chapter: Chapter):
    """(kind, key, where, block) for every reference a chapter makes."""
    if chapter.data.lead:
        for kind, key in references(chapter.data.lead):
            yield kind, key, "lead", None
    for where, block in _blocks(chapter):
        texts = [block.text] if isinstance(getattr(block, "text", None), str) else []
        texts += [t for t in (getattr(block, "footnotes", None) or {}).values()]
        if getattr(block, "note", None):
            texts.append(block.note)
        for item in getattr(block, "items", None) or []:
            if isinstance(item, str):
                texts.append(item)
            elif block.type == "kpis":
                yield "number", item.number, where, block
            else:  # a result: its norm and realisation
                yield "number", item.norm, where, block
                if item.realised:
                    yield "number", item.realised, where, block
        if block.type == "norm":
            yield "number", block.number, where, block
        for key in getattr(block, "numbers", None) or []:
            yield "number", key, where, block
        for text in texts:
            for kind, key in references(text):
                yield kind, key, where, block


def _mention(key: str) -> str:
    """A pattern for the places a key is used: ``{{ key }}``, ``{{ figuur:key }}``,
    ``number: key``, ``norm: key`` or in a ``numbers: [...]`` list."""
    return (rf"\{{\{{\s*(\w+:)?{key}\s*\}}\}}|(number|norm|realised):\s*{key}\b"
            rf"|numbers:.*\b{key}\b")


def _line_of(path: Path, pattern: str) -> int | None:
    """The first line of ``path`` that matches the regular expression ``pattern``."""
    regex = re.compile(pattern)
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if regex.search(line):
                return number
    except OSError:
        pass
    return None


def _check_fonts(brand: Brand, brand_path: Path, root: Path | None = None) -> list[Problem]:
    """The colour profile and every font file exist inside the project, and each
    font file is a font (TrueType, OpenType or WOFF)."""
    root = (root or brand_path.parent.parent).resolve()
    problems = []
    profile = (brand_path.parent / brand.print.output_profile).resolve()
    if not profile.is_relative_to(root):
        problems.append(Problem(f"colour profile {brand.print.output_profile} is outside the "
                                "project folder", brand_path,
                                _line_of(brand_path, "output_profile"),
                                "copy the profile into styles/color/", "print.output_profile"))
    elif not profile.is_file():
        problems.append(Problem(f"colour profile {brand.print.output_profile} not found",
                                brand_path, _line_of(brand_path, "output_profile"),
                                "put the CMYK ICC profile under styles/ or fix the path",
                                "print.output_profile"))
    for role in ("body", "heading"):
        for face in getattr(brand.fonts, role).faces:
            font = (brand_path.parent / face.file).resolve()
            why = None
            if not font.is_relative_to(root):
                why = "is outside the project folder", "copy the font into styles/fonts/"
            elif not font.is_file():
                why = "not found", "put the font under styles/fonts/ or fix the path"
            else:
                try:
                    with font.open("rb") as stream:
                        if stream.read(4) not in FONT_SIGNATURES:
                            why = ("is not a font (TrueType, OpenType or WOFF)",
                                   "replace it with the font file itself")
                except OSError as exc:
                    why = f"cannot be read: {exc.strerror}", "make it a readable file"
            if why:
                problems.append(Problem(f"font file {face.file} {why[0]}", brand_path,
                                        _line_of(brand_path, re.escape(face.file)),
                                        why[1], f"fonts.{role}"))
    return problems


def _check_images(chapters: list[Chapter], root: Path | None = None) -> list[Problem]:
    """Every photo that names an image file points at a readable image inside the
    project, of at most MAX_IMAGE_MEGAPIXELS."""
    problems = []
    for chapter in chapters:
        path = chapter.folder / CHAPTER_FILE
        photos = [("opener", chapter.data.opener)] + [
            (where, block) for where, block in _blocks(chapter)
            if getattr(block, "type", None) == "photo"]
        for where, photo in photos:
            if photo is not None:
                problems += _check_photo(photo, chapter.folder,
                                         root or chapter.folder.parent.parent, path, where,
                                         f"put the file in chapters/{chapter.slug}/ or remove "
                                         "'image:' to draw a placeholder")
    return problems


def _check_photo(photo: Photo, folder: Path, root: Path, path: Path, where: str,
                 hint: str = "put the file in the project or remove 'image:' to draw a "
                 "placeholder") -> list[Problem]:
    if photo.image is None:
        return []
    image = (folder / photo.image).resolve()
    line = _line_of(path, re.escape(photo.image))
    if not image.is_relative_to(root.resolve()):
        return [Problem(f"image {photo.image} is outside the project folder", path, line,
                        "copy the image into the project", where)]
    if not image.is_file():
        return [Problem(f"image {photo.image} not found", path, line, hint, where)]
    why = check_image(image)
    return [Problem(f"image {photo.image} {why[0]}", path, line, why[1], where)] if why else []


def check_image(path: Path) -> tuple[str, str] | None:
    """What is wrong with an image file for the report — (problem, fix) — or None.
    Reads only the file's header: its format and size in pixels."""
    if path.suffix.lower() == ".svg":
        return None  # vector: no pixels to count
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
    except Image.DecompressionBombError as exc:  # far over the limit: Pillow refuses
        pixels = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(pixels.group(1)) / 1e6:.0f}" if pixels else "hundreds of"
        return (f"is {size} megapixels; the limit is {MAX_IMAGE_MEGAPIXELS}",
                "scale it down (300 dpi at its printed size is plenty)")
    except UnidentifiedImageError:
        return "is not an image that can be read (PNG, JPEG, GIF or WebP)", \
            "save it again as PNG or JPEG"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}", "make it a readable image file"
    except Exception as exc:  # a damaged header makes Pillow raise other errors
        return f"is damaged ({type(exc).__name__})", "save it again as PNG or JPEG"
    megapixels = width * height / 1e6
    if megapixels > MAX_IMAGE_MEGAPIXELS:
        return (f"is {megapixels:.0f} megapixels ({width} × {height}); the limit is "
                f"{MAX_IMAGE_MEGAPIXELS}", "scale it down (300 dpi at its printed size is "
                "plenty)")
    return None


def _check_figures(root: Path, chapters: list[Chapter]) -> list[Problem]:
    """Every figure block names a module under figures/."""
    problems = []
    for chapter in chapters:
        path = chapter.folder / CHAPTER_FILE
        for where, block in _blocks(chapter):
            if getattr(block, "type", None) != "figure":
                continue
            if not (root / "figures" / f"{block.chart}.py").is_file():
                problems.append(Problem(
                    f"figure module figures/{block.chart}.py does not exist", path,
                    _line_of(path, rf"chart:\s*{block.chart}\b"),
                    f"create figures/{block.chart}.py with a build(data, theme) function, "
                    "or fix the chart name", where))
    return problems


SPECIMEN = Path("layout") / "specimen"


def load_specimen(report: Report) -> Report:
    """The report's brand and layout with the specimen chapter (``layout/specimen/``),
    which uses every component, in place of the report's own chapters."""
    folder = report.root / SPECIMEN
    if not (folder / CHAPTER_FILE).is_file():
        raise ReportError(Problem("no specimen chapter", folder / CHAPTER_FILE,
                                  hint="create layout/specimen/chapter.yaml"))
    chapter = read_chapter(folder, "specimen", 1, report.root)
    problems = _check_numbers([chapter]) + _check_images([chapter], report.root) + \
        _check_figures(report.root, [chapter])
    if problems:
        raise ReportError(problems)
    manifest = report.manifest.model_copy(update={
        "title": f"Specimen – {report.manifest.title}", "chapters": ["specimen"]})
    return report.model_copy(update={"manifest": manifest, "chapters": [chapter]})
