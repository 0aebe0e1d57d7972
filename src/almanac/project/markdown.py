"""Chapters written in Markdown: ``chapter.md``, read into the data a ``chapter.yaml``
holds, with the line of every value, so that one validation
(:func:`~almanac.project.yamlfile.validate`) names the file and line either way.

The file opens with YAML front matter between ``---`` lines: ``title``,
``short_title``, ``lead``, ``opener``, ``numbers`` and ``series`` as in
``chapter.yaml`` (not ``sections``: the body holds them); without a ``title`` there,
a ``# Title`` line gives it. In the body ``## Title`` starts a section (what comes
before the first is a section without a title), ``### Text`` is a heading block, and
consecutive ordinary Markdown (paragraphs, lists, tables, quotations) is one prose
block whose text is the file's own lines. A footnote ``[^key]: text`` (continuation
lines indented) goes to each prose block that refers to ``[^key]``.

Every other block is a directive in a colon fence, as MyST writes them (markdown-it-py
with mdit-py-plugins' ``colon_fence``; a fence of more colons closes only with as
many). After the name comes the argument; then the options, one ``:key: value`` a
line (a value in ``[ ]``, ``{ }`` or quotes is YAML flow; any other is text, or a
number or true/false as YAML reads it) or a YAML mapping between ``---`` lines; then
the body::

    :::{figure} verzuim
    :numbers: [verzuim, verzuim_daling]
    Het 12-maandsverzuim ultimo 2021
    :::

=========  ========  ==========================================================
directive  argument  body (every other field of the block is an option)
=========  ========  ==========================================================
figure     chart     caption (its lines joined into one, as for every "line")
table      series    caption
photo      motif     description
quote      –         text; ``source`` is an option
facts      title     a Markdown list: items, one per fact
norm       number    label
note       –         text (Markdown)
prose      –         text (Markdown); for options such as ``columns: 2``
heading    text      – (``### Text`` is the same)
kpis       –         YAML: the block's fields (``items: …``)
results    –         YAML: the block's fields (``caption``, ``items: …``)
=========  ========  ==========================================================
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.colon_fence import colon_fence_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from ..errors import Problem, ReportError
from .files import Roots
from .model import references
from .yamlfile import _LOADER, Lines, parse_yaml, read_text, where


class Directive(NamedTuple):
    """The field a directive's argument fills, the field its body fills and the
    body's form: ``line`` (joined into one line), ``markdown`` (as written),
    ``list`` (one item per list item), ``yaml`` (the block's fields) or ``none``."""

    argument: str | None
    body: str | None
    form: str


DIRECTIVES = {
    "figure": Directive("chart", "caption", "line"),
    "table": Directive("series", "caption", "line"),
    "photo": Directive("motif", "description", "line"),
    "quote": Directive(None, "text", "line"),
    "facts": Directive("title", "items", "list"),
    "norm": Directive("number", "label", "line"),
    "note": Directive(None, "text", "markdown"),
    "prose": Directive(None, "text", "markdown"),
    "heading": Directive("text", None, "none"),
    "kpis": Directive(None, None, "yaml"),
    "results": Directive(None, None, "yaml"),
}
"""Every block type (:data:`~almanac.project.model.BLOCK_TYPES`) as a directive: the
table of the module's docstring."""
OPTIONAL_ARGUMENT = {"photo"}  # a photo's motif has a default
NAME = re.compile(r"^\{([^{}]*)\}\s*(.*)$")
OPTION = re.compile(r"^:([A-Za-z_][\w-]*):(?:\s+(.*?))?\s*$")
BULLET = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s?")


def directive_line(name: str, argument: str) -> str:
    """A regular expression for the line that opens the directive ``name`` with the
    argument ``argument`` (for :func:`~almanac.project.checks.line_of`)."""
    return rf"^\s*:{{3,}}\s*\{{{name}\}}\s*{re.escape(argument)}\s*$"


_PARSER = MarkdownIt("commonmark").enable("table").use(front_matter_plugin) \
    .use(colon_fence_plugin).use(footnote_plugin)
_PARSER.disable(["inline", "footnote_tail"])  # only the blocks and their lines are read


def read_markdown_chapter(path: Path, roots: Path | Roots) -> tuple[dict, Lines]:
    """The chapter file ``path`` (``chapter.md``: a regular UTF-8 file inside ``roots``
    of at most MAX_YAML_BYTES) as the data a ``chapter.yaml`` gives — title,
    short_title, lead, opener, numbers, series, ``sections: [{title, blocks}]`` — and
    a :class:`~almanac.project.yamlfile.Lines` mapping each location in it (e.g.
    ``("sections", 2, "blocks", 4, "caption")``) to its line (from 1) in ``path``.

    The data is not validated here (:func:`~almanac.project.yamlfile.validate` does
    it). ReportError, each problem with its line, for what gives no data: a file
    that is refused or not UTF-8, invalid YAML, ``sections`` in the front matter, an
    unknown or unclosed directive, a heading below ``###``, a second or no title, a
    footnote defined twice or never referred to."""
    return _Reader(path, read_text(path, roots).removeprefix("\ufeff")).read()


class _Reader:
    def __init__(self, path: Path, text: str):
        self.path, self.text = path, text
        self.source = re.split(r"\r\n?|\n", text)  # lines as markdown-it counts them
        self.data: dict[str, Any] = {}
        self.lines: dict[tuple, int] = {(): 1}
        self.problems: list[Problem] = []
        self.sections: list[dict] = []
        self.notes: dict[str, tuple[str, int]] = {}  # footnote key → (text, line)
        self.noted: set[int] = set()  # lines of the file that hold footnotes
        self.prose: list[tuple[dict, tuple]] = []  # prose blocks and their locations

    def problem(self, message: str, line: int | None, hint: str, loc: tuple = ()) -> None:
        self.problems.append(Problem(message, self.path, line, hint, where(loc) or None))

    def read(self) -> tuple[dict, Lines]:
        tokens = _PARSER.parse(self.text)
        if self.source[0].rstrip() == "---" and tokens[:1] \
                and tokens[0].type != "front_matter":
            raise ReportError(Problem("the front matter is not closed", self.path, 1,
                                      "end it with a line of --- before the chapter's text"))
        cursor = 0  # the first line (from 0) not yet in a block
        for index, token in enumerate(tokens):
            if token.map is None or token.nesting < 0:
                continue
            start, end = token.map
            if token.level > 0:
                if token.type == "colon_fence":
                    self.problem("a directive inside a list, quotation or footnote",
                                 start + 1, "start the directive at the beginning of a line")
            elif token.type == "footnote_reference_open":
                self.footnote(token.meta["label"], self.source[start:end], start + 1)
                self.noted.update(range(start, end))
            elif token.type == "front_matter":
                self.front_matter(end)
                cursor = end
            elif token.type in ("heading_open", "colon_fence"):
                self.flush(cursor, start)
                cursor = end
                if token.type == "colon_fence":
                    self.directive(token)
                else:
                    self.heading(int(token.tag[1:]), tokens[index + 1].content.strip(),
                                 start + 1)
        self.flush(cursor, len(self.source))
        self.finish()
        if self.problems:
            raise ReportError(self.problems)
        lines = Lines(None)
        lines.lines = self.lines
        return self.data, lines

    def front_matter(self, end: int) -> None:
        data = self.yaml(self.source[1:end - 1], 1, self.lines)
        if data is not None and not isinstance(data, dict):
            self.problem("the front matter holds no keys with values", 2,
                         "write the chapter's title, numbers and series as key: value")
            return
        for key, value in (data or {}).items():
            if key == "sections":
                self.problem("the front matter holds sections", self.lines[(key,)],
                             "write the sections in the body: '## Title' starts one, its "
                             "blocks follow as Markdown and ::: directives", (key,))
            self.data[key] = value

    def heading(self, level: int, text: str, line: int) -> None:
        if level == 1 and "title" in self.data:
            self.problem("the chapter has a title already", line, "give the title once: "
                         "as '# Title' or as title: in the front matter", ("title",))
        elif level == 1 and self.sections:
            self.problem("a title (#) after the chapter's text", line,
                         "use ## for a section, ### for a heading within one")
        elif level == 1:
            self.data["title"], self.lines[("title",)] = text, line
        elif level == 2:
            s = len(self.sections)
            self.sections.append({"title": text, "blocks": []})
            for loc in (("sections", s), ("sections", s, "title"), ("sections", s, "blocks")):
                self.lines[loc] = line
            if not text:
                self.problem("a section heading without a title", line,
                             "write the section's title after ##", ("sections", s))
        elif level == 3:
            self.add({"type": "heading", "text": text}, line, {("text",): line})
        else:
            self.problem(f"a heading of level {level} ({'#' * level}) is not typeset", line,
                         "use ## for a section and ### for a heading within one")

    def add(self, block: dict, line: int, lines: dict[tuple, int]) -> None:
        """Append ``block`` to the current section (one without a title when there is
        none yet), with the lines of its fields."""
        if not self.sections:
            self.sections.append({"blocks": []})
            self.lines[("sections", 0)] = self.lines[("sections", 0, "blocks")] = line
        blocks = self.sections[-1]["blocks"]
        loc = ("sections", len(self.sections) - 1, "blocks", len(blocks))
        blocks.append(block)
        self.lines.update({loc: line, loc + ("type",): line})
        self.lines.update({loc + key: value for key, value in lines.items()})
        if block["type"] == "prose":
            self.prose.append((block, loc))

    def flush(self, start: int, end: int) -> None:
        """The file's lines ``start`` to ``end`` (from 0, end excluded) but footnotes,
        as one prose block unless they are blank."""
        kept = [n for n in range(start, min(end, len(self.source))) if n not in self.noted]
        while kept and not self.source[kept[0]].strip():
            kept.pop(0)
        while kept and not self.source[kept[-1]].strip():
            kept.pop()
        if kept:
            text = "\n".join(self.source[n] for n in kept) + "\n"
            self.add({"type": "prose", "text": text}, kept[0] + 1, {("text",): kept[0] + 1})

    def footnote(self, key: str, lines: list[str], line: int) -> None:
        """The footnote ``[^key]:`` written on ``lines``, the first of them ``line``."""
        if key in self.notes:
            self.problem(f"footnote [^{key}] is defined twice", line,
                         f"keep one of them (the first is on line {self.notes[key][1]})")
        text = [lines[0].split("]:", 1)[1]] + lines[1:]
        self.notes[key] = ("\n".join(part.strip() for part in text).strip(), line)

    def finish(self) -> None:
        """The sections into the data, each footnote into the prose that refers to it."""
        if "title" not in self.data:
            self.problem("the chapter has no title", 1, "start the text with '# Title', or "
                         "give title: in the front matter", ("title",))
        self.data["sections"] = self.sections
        self.lines.setdefault(("sections",), self.lines.get(("sections", 0), 1))
        referred = {key for section in self.sections for block in section["blocks"]
                    for value in block.values()
                    for text in (value if isinstance(value, list) else [value])
                    if isinstance(text, str)
                    for kind, key in references(text) if kind == "footnote"}
        for block, loc in self.prose:
            for kind, key in references(block["text"]):
                if kind == "footnote" and key in self.notes:
                    block.setdefault("footnotes", {}).setdefault(key, self.notes[key][0])
                    self.lines.setdefault(loc + ("footnotes", key), self.notes[key][1])
        for key, (_, line) in self.notes.items():
            if key not in referred:
                self.problem(f"footnote [^{key}] is not referred to", line,
                             f"refer to it as [^{key}] in a paragraph (a key is lower-case "
                             "letters, digits and _), or remove it")

    def directive(self, token: Token) -> None:
        assert token.map is not None
        start, end = token.map
        line = start + 1
        named = NAME.match(token.info.strip())
        if named is None:
            self.problem(f"a {token.markup} fence without a directive name", line,
                         "name the block in braces, e.g. :::{note}; known: "
                         + ", ".join(DIRECTIVES))
            return
        name, argument = named.group(1).strip(), named.group(2).strip()
        spec = DIRECTIVES.get(name)
        if spec is None:
            close = difflib.get_close_matches(name, list(DIRECTIVES), n=1)
            self.problem(f"unknown directive {{{name}}}", line, (
                f"did you mean {{{close[0]}}}? " if close else "") + "known: "
                + ", ".join(DIRECTIVES))
            return
        closing = self.source[end - 1].strip() if end - 1 > start else ""
        if not closing.startswith(token.markup) or closing.strip(":"):
            self.problem(f"the {{{name}}} directive is not closed", line,
                         f"end it with a line of {token.markup}")
            return
        block: dict[str, Any] = {"type": name}
        lines: dict[tuple, int] = {}
        if spec.argument is not None and argument:
            block[spec.argument], lines[(spec.argument,)] = argument, line
        elif argument:
            self.problem(f"the {{{name}}} directive takes no argument", line,
                         f"write {argument!r} in its body or as an option")
        elif spec.argument is not None and name not in OPTIONAL_ARGUMENT:
            self.problem(f"the {{{name}}} directive names no {spec.argument}", line,
                         f"write it after the name: :::{{{name}}} {spec.argument}")
        body = token.content.split("\n")[:-1]
        first = line + 1  # the line of body[0]
        if body and body[0].strip() == "---":  # options as a YAML mapping
            last = next((i for i, text in enumerate(body[1:], 1) if text.strip() == "---"),
                        None)
            if last is None:
                self.problem("the options are not closed", first, "end them with ---")
                return
            self.fields(name, block, lines, body[1:last], first)
            body, first = body[last + 1:], first + last + 1
        while body and (option := OPTION.match(body[0])):
            self.field(name, block, lines, option.group(1),
                       self.value(option.group(2) or "", first), first)
            body, first = body[1:], first + 1
        while body and not body[0].strip():
            body, first = body[1:], first + 1
        while body and not body[-1].strip():
            body.pop()
        if body or spec.form in ("yaml", "none"):
            self.body(name, spec, body, first, block, lines)
        elif name == "photo" and block.get("decorative") is True:
            pass  # a decorative image has no description: the model checks the rest
        elif name == "photo":
            self.problem("the {photo} directive has no description", line,
                         "write what the photo shows on the lines between :::{photo} and "
                         ":::, which screen readers read out (or :decorative: true for an "
                         "image that shows nothing a reader needs)")
        else:
            self.problem(f"the {{{name}}} directive has no {spec.body}", line,
                         f"write the {spec.body} on the lines between :::{{{name}}} and :::")
        self.add(block, line, lines)

    def body(self, name: str, spec: Directive, body: list[str], first: int, block: dict,
             lines: dict[tuple, int]) -> None:
        if spec.form == "yaml":
            self.fields(name, block, lines, body, first - 1)
        elif spec.form == "none" or spec.body is None:
            if body:
                self.problem(f"the {{{name}}} directive has no body", first,
                             f"write the {spec.argument} after the name: :::{{{name}}} …")
        elif spec.form == "line":
            text = " ".join(part.strip() for part in body if part.strip())
            self.field(name, block, lines, spec.body, text, first)
        else:
            dropped: set[int] = set()  # the lines of footnotes
            tops, entries = [], []  # the body's blocks; the items of a list
            for token in _PARSER.parse("\n".join(body)):
                if token.map is None or token.nesting < 0:
                    continue
                if token.level == 0 and token.type == "footnote_reference_open":
                    self.footnote(token.meta["label"], body[slice(*token.map)],
                                  first + token.map[0])
                    dropped.update(range(*token.map))
                elif token.level == 0:
                    tops.append(token)
                elif token.level == 1 and token.type == "list_item_open":
                    entries.append(token.map)
            if spec.form == "markdown":
                text = "\n".join(part for n, part in enumerate(body) if n not in dropped)
                self.field(name, block, lines, spec.body, text.rstrip() + "\n", first)
            elif len(tops) == 1 and tops[0].type in ("bullet_list_open", "ordered_list_open"):
                items = []
                for i, (start, end) in enumerate(entries):
                    lines[(spec.body, i)] = first + start
                    parts = [BULLET.sub("", body[start], count=1)] + body[start + 1:end]
                    items.append("\n".join(part.strip() for part in parts).strip())
                self.field(name, block, lines, spec.body, items, first)
            else:
                self.problem(f"the body of a {{{name}}} directive is not one list", first,
                             "write each item on a line of its own, starting with '- '")

    def fields(self, name: str, block: dict, lines: dict[tuple, int], source: list[str],
               offset: int) -> None:
        """The fields of a YAML mapping (``source``, its first line ``offset + 1``)."""
        data = self.yaml(source, offset, lines) if source else None
        if data is not None and not isinstance(data, dict):
            self.problem(f"the {{{name}}} directive's YAML holds no keys with values",
                         offset + 1, "write one field per line as key: value, e.g. items: "
                         "with one '- …' per item below it")
        for key, value in (data.items() if isinstance(data, dict) else ()):
            self.field(name, block, lines, key, value, lines.get((key,), offset + 1))

    def field(self, name: str, block: dict, lines: dict[tuple, int], key: str, value: Any,
              line: int) -> None:
        if key == "type":
            self.problem("type is given", line, "remove it: the directive's name is the type")
        elif key in block:
            self.problem(f"{key} is given twice", line, f"give it once (the {{{name}}} "
                         "directive takes it from its argument or body)")
        else:
            block[key] = value
            lines.setdefault((key,), line)
            lines.setdefault((key, "<key>"), line)

    def value(self, raw: str, line: int) -> Any:
        """An option's value: YAML flow in brackets, braces or quotes; else a number or
        true/false as YAML reads it, or the text as written (so that a colon or a #
        in a caption or a source stays text)."""
        if raw[:1] in ("[", "{", '"', "'"):
            try:
                return parse_yaml(raw, self.path, line - 1)
            except ReportError as exc:  # one line: the option's
                self.problems += [replace(problem, line=line) for problem in exc.problems]
                return raw
        try:
            value = yaml.load(raw, Loader=_LOADER)
        except yaml.YAMLError:
            return raw
        return value if isinstance(value, (bool, int, float)) else raw

    def yaml(self, source: list[str], offset: int, lines: dict[tuple, int]) -> Any:
        """The YAML on ``source`` (its first line is the file's ``offset + 1``), with
        the line of each value put into ``lines``."""
        text = "\n".join(source)
        try:
            data = parse_yaml(text, self.path, offset)
        except ReportError as exc:
            self.problems += exc.problems
            return None
        found = Lines(yaml.compose(text, Loader=_LOADER)).lines
        lines.update({loc: number + offset for loc, number in found.items() if loc})
        return data
