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
from .model import BLOCK_TYPES, Brand, Chapter, ChapterData, Manifest, Report
from .prose import references

MANIFEST = "report.yaml"
CHAPTER_FILE = "chapter.yaml"


# --------------------------------------------------------------------------- YAML with lines

class _Lines:
    """Maps a location inside a YAML document (``("kpis", 2, "value")``) to its line."""

    def __init__(self, node: yaml.Node | None):
        self.lines: dict[tuple, int] = {}
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: yaml.Node, path: tuple) -> None:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = path + (key.value,)
                self._walk(value, child)
                self.lines[child + ("<key>",)] = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self._walk(item, path + (index,))

    def line(self, loc: tuple) -> int | None:
        loc = tuple(loc)
        if loc + ("<key>",) in self.lines:
            return self.lines[loc + ("<key>",)]
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get(())


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReportError(Problem("file not found", path, hint="create it or fix the name"))
    except UnicodeDecodeError as exc:
        raise ReportError(Problem(f"not UTF-8 text ({exc.reason})", path,
                                  hint="save the file as UTF-8"))
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"invalid YAML: {exc.problem or exc.context}"
        raise ReportError(Problem(message, path, mark.line + 1 if mark else None,
                                  hint="check indentation, colons and quotes on this line"))
    except yaml.YAMLError as exc:
        raise ReportError(Problem(f"invalid YAML: {exc}", path))
    return data, _LazyLines(text)


def _where(loc: tuple) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
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
    if kind in ("float_parsing", "int_parsing", "float_type", "int_type"):
        return "write a plain number, e.g. 6.3 (a dot for decimals, no % or € sign)"
    if kind == "literal_error":
        return "use one of: " + error.get("ctx", {}).get("expected", "")
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
    if data is None:
        data = {}
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
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            problems.append(Problem(message, path, lines.line(loc), _hint(error, model, tagged),
                                    _where(loc) or None))
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
        brand_data, brand_lines = read_yaml(brand_path)
        brand, found = validate(Brand, brand_data, brand_path, brand_lines)
        problems += found
        if brand is not None:
            problems += _check_fonts(brand, brand_path)
    except ReportError as exc:
        problems += exc.problems

    chapters: list[Chapter] = []
    complete = True
    for index, slug in enumerate(manifest.chapters):
        try:
            chapters.append(_load_chapter(root, slug, index + 1, manifest_path, lines, index))
        except ReportError as exc:
            problems += exc.problems
            complete = False

    if complete:  # references across chapters are only checked once every chapter loads
        problems += _check_numbers(chapters)
    problems += _check_images(chapters)
    problems += _check_figures(root, chapters)
    if problems:
        raise ReportError(problems)
    return Report(root=root, manifest=manifest, brand=brand, brand_path=brand_path,
                  chapters=chapters)


def _load_chapter(root: Path, slug: str, number: int, manifest_path: Path, lines: _Lines,
                  index: int) -> Chapter:
    folder = root / "chapters" / slug
    if not folder.is_dir():
        existing = sorted(p.name for p in (root / "chapters").glob("*") if p.is_dir())
        close = difflib.get_close_matches(slug, existing, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"create chapters/{slug}/{CHAPTER_FILE}"
        raise ReportError(Problem(f"chapter folder chapters/{slug}/ does not exist",
                                  manifest_path, lines.line(("chapters", index)), hint,
                                  f"chapters[{index}]"))
    return read_chapter(folder, slug, number)


def read_chapter(folder: Path, slug: str, number: int) -> Chapter:
    """One chapter folder (its chapter.yaml and series) into a :class:`Chapter`."""
    path = folder / CHAPTER_FILE
    data, chapter_lines = read_yaml(path)
    chapter_data, problems = validate(ChapterData, data, path, chapter_lines)
    if chapter_data is None:
        raise ReportError(problems)
    series = {}
    for key, ref in chapter_data.series.items():
        try:
            series[key] = _read_csv(folder / ref.file, path, chapter_lines.line(("series", key)))
        except ReportError as exc:
            problems += exc.problems
    if problems:
        raise ReportError(problems)
    return Chapter(slug=slug, number=number, folder=folder, data=chapter_data, series=series)


def _read_csv(path: Path, owner: Path, line: int | None) -> list[dict[str, str | float]]:
    if not path.is_file():
        raise ReportError(Problem(f"series file {path.name} not found", owner, line,
                                  f"create {path.relative_to(owner.parent.parent.parent)}"
                                  if path.is_relative_to(owner.parent.parent.parent) else None))
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise ReportError(Problem("empty CSV: no header row", path,
                                      hint="start with a header such as 'jaar,aantal'"))
        for row in reader:
            record: dict[str, str | float] = {}
            for column, value in row.items():
                if column is None or value is None:
                    raise ReportError(Problem("row has a different number of cells than "
                                              "the header", path, reader.line_num,
                                              "give every row one value per column"))
                value = value.strip()
                try:
                    record[column] = float(value)
                except ValueError:
                    record[column] = value
            rows.append(record)
    return rows


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


def _check_fonts(brand: Brand, brand_path: Path) -> list[Problem]:
    problems = []
    if not (brand_path.parent / brand.print.output_profile).is_file():
        problems.append(Problem(f"colour profile {brand.print.output_profile} not found",
                                brand_path, _line_of(brand_path, "output_profile"),
                                "put the CMYK ICC profile under styles/ or fix the path",
                                "print.output_profile"))
    for role in ("body", "heading"):
        for face in getattr(brand.fonts, role).faces:
            if not (brand_path.parent / face.file).is_file():
                problems.append(Problem(f"font file {face.file} not found", brand_path,
                                        _line_of(brand_path, re.escape(face.file)),
                                        "put the font under styles/fonts/ or fix the path",
                                        f"fonts.{role}"))
    return problems


def _check_images(chapters: list[Chapter]) -> list[Problem]:
    """Every photo that names an image file points at a file inside the project."""
    problems = []
    for chapter in chapters:
        path = chapter.folder / CHAPTER_FILE
        photos = [("opener", chapter.data.opener)] + [
            (where, block) for where, block in _blocks(chapter)
            if getattr(block, "type", None) == "photo"]
        for where, photo in photos:
            if photo is None or photo.image is None:
                continue
            image = (chapter.folder / photo.image).resolve()
            if not image.is_file():
                problems.append(Problem(f"image {photo.image} not found", path,
                                        _line_of(path, re.escape(photo.image)),
                                        f"put the file in chapters/{chapter.slug}/ or remove "
                                        "'image:' to draw a placeholder", where))
    return problems


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
    chapter = read_chapter(folder, "specimen", 1)
    problems = _check_numbers([chapter]) + _check_images([chapter]) + \
        _check_figures(report.root, [chapter])
    if problems:
        raise ReportError(problems)
    manifest = report.manifest.model_copy(update={
        "title": f"Specimen – {report.manifest.title}", "chapters": ["specimen"]})
    return report.model_copy(update={"manifest": manifest, "chapters": [chapter]})
