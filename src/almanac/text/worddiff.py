"""Which words changed inside a paragraph, marked as a reader marks them.

A paragraph is cut into tokens (:func:`tokens`) whose concatenation gives the text
back: words, numbers, single punctuation marks, the whitespace between them, and a
token per character in scripts written without spaces (Han, kana, Thai, Lao, Khmer,
Myanmar, Tibetan). :func:`word_diff` aligns the two token lists with
:class:`difflib.SequenceMatcher` (longest matching blocks, Ratcliff/Obershelp) over
the tokens that are not whitespace, then merges an unchanged island of a character
or two between two changes into them, so "changed 14 to 15 cases" → "changed 16 to
17 cases" reads ``changed [-14 to 15-]{+16 to 17+} cases``, and a Chinese sentence
does not fall apart into single characters. :func:`marked` writes the runs with the
markers of ``git diff --word-diff=plain`` (``[-old-]{+new+}``) or any others, such
as a terminal's colours.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Op = Literal["equal", "delete", "insert", "replace"]

REWRITTEN = 0.5
"""Two versions of a paragraph less alike than this (difflib's ratio of their
tokens, :func:`alike`: about half their words changed) count as a rewrite: shown
removed and added whole rather than as a confetti of changes."""
ISLAND = 2
"""An unchanged stretch of at most this many characters (whitespace left out)
between two changes joins them into one change."""
MAX_TOKENS = 20_000
"""The longest paragraph (in tokens, whitespace left out) whose words are compared:
difflib's matching takes about a second for 10 000 against 10 000 tokens and grows
faster than their product's square root, so a longer paragraph that changed is shown
removed and added whole."""
CONTEXT = 8
"""Unchanged tokens shown on either side of a change; a longer unchanged stretch of a
paragraph is shortened to ``…``."""

_NO_SPACES = (
    (0x0E00, 0x0EFF),    # Thai, Lao
    (0x0F00, 0x0FFF),    # Tibetan
    (0x1000, 0x109F),    # Myanmar
    (0x1780, 0x17FF),    # Khmer
    (0x2E80, 0x2FDF),    # CJK radicals, Kangxi radicals
    (0x3005, 0x3007),    # 々 〆 〇
    (0x3040, 0x30FF),    # Hiragana, Katakana
    (0x3400, 0x4DBF),    # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),    # CJK Unified Ideographs
    (0xF900, 0xFAFF),    # CJK Compatibility Ideographs
    (0xFF66, 0xFF9F),    # halfwidth Katakana
    (0x20000, 0x3134F),  # CJK Unified Ideographs Extensions B–G
)
"""Scripts written without spaces between words (Unicode blocks): without a
dictionary their word boundaries are unknown, so each character is a token (with
the combining marks that follow it)."""
_JOINERS = "'’-‐"  # inside a word: don't, well-known
_DIGIT_JOINERS = ".,'’\u00a0\u202f\u2009"  # inside a number: 4,200.5  4 200  1’000


def _no_spaces(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _NO_SPACES)


def _mark(char: str) -> bool:
    return unicodedata.category(char).startswith("M")


def _word(char: str) -> bool:
    return (char.isalnum() or char == "_" or _mark(char)) and not _no_spaces(char)


def tokens(text: str) -> list[str]:
    """``text`` cut into tokens; ``"".join(tokens(text)) == text``.

    A token is a run of whitespace; a word (letters, digits, combining marks, ``_``,
    joined across an apostrophe or hyphen between letters: ``don't``,
    ``well-known``); a number with its separators (``4,200.5``, ``4 200`` with a
    no-break or thin space, ``1’000``); a single character of a script written without
    spaces (:data:`_NO_SPACES`) with its combining marks; or any other single character
    (punctuation, symbols). Words follow Unicode's letter and digit categories
    (``str.isalnum``), so any script written with spaces is cut at its spaces and
    punctuation.
    """
    result: list[str] = []
    i, n = 0, len(text)
    while i < n:
        start, char = i, text[i]
        i += 1
        if char.isspace():
            while i < n and text[i].isspace():
                i += 1
        elif _no_spaces(char):
            while i < n and _mark(text[i]):
                i += 1
        elif _word(char):
            while i < n:
                if _word(text[i]):
                    i += 1
                elif (i + 1 < n and _word(text[i + 1]) and
                      (text[i] in _JOINERS or text[i] in _DIGIT_JOINERS and
                       text[i - 1].isdigit() and text[i + 1].isdigit())):
                    i += 2
                else:
                    break
        result.append(text[start:i])
    return result


@dataclass(frozen=True)
class Run:
    """A stretch of a paragraph: ``equal`` (the same words; the whitespace between
    them may differ), ``delete`` (only in the old text), ``insert`` (only in the new)
    or ``replace``. The runs of a diff, joined, give each text back:
    ``"".join(r.old for r in runs) == old``."""

    op: Op
    old: str
    new: str


def _size(parts: list[str]) -> int:
    return sum(len(part) for part in parts if not part.isspace())


def _opcodes(old: list[str], new: list[str]) -> tuple[list[tuple[Op, int, int]], float]:
    """The stretches of ``old`` and ``new`` as (op, end in ``old``, end in ``new``),
    ends as token indices, and how alike the two are (difflib's ratio). The
    stretches are difflib's opcodes over the tokens that are not whitespace, an
    unchanged island of at most :data:`ISLAND` characters between two changes merged
    into them; a stretch starts where the one before ended, so it holds the
    whitespace before its first token."""
    a = [i for i, token in enumerate(old) if not token.isspace()]
    b = [j for j, token in enumerate(new) if not token.isspace()]
    matcher = difflib.SequenceMatcher(None, [old[i] for i in a], [new[j] for j in b],
                                      autojunk=False)
    codes = matcher.get_opcodes()
    merged: list[list] = []
    for k, (op, i1, i2, j1, j2) in enumerate(codes):
        island = (op == "equal" and 0 < k < len(codes) - 1 and
                  _size([old[a[i]] for i in range(i1, i2)]) <= ISLAND)
        if merged and merged[-1][0] != "equal" and (op != "equal" or island):
            merged[-1][2], merged[-1][4] = i2, j2
        else:
            merged.append([op, i1, i2, j1, j2])
    result: list[tuple[Op, int, int]] = []
    end_a = end_b = 0
    for op, i1, i2, j1, j2 in merged:
        end_a = a[i2 - 1] + 1 if i2 > i1 else end_a
        end_b = b[j2 - 1] + 1 if j2 > j1 else end_b
        kind: Op = ("equal" if op == "equal" else "insert" if i1 == i2 else
                    "delete" if j1 == j2 else "replace")
        result.append((kind, end_a, end_b))
    return result, matcher.ratio()


def words(text: str) -> list[str]:
    """The tokens of ``text`` that are not whitespace (:func:`tokens`)."""
    return [token for token in tokens(text) if not token.isspace()]


def alike(old: list[str], new: list[str], threshold: float = REWRITTEN) -> bool:
    """Whether two token lists (:func:`words`) are at least ``threshold`` alike
    (difflib's ratio: twice the tokens in common over the tokens of both), trying
    difflib's cheap upper bounds (``real_quick_ratio``,
    ``quick_ratio``) first; lists longer than :data:`MAX_TOKENS` never are."""
    if max(len(old), len(new)) > MAX_TOKENS:
        return False
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return (matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold
            and matcher.ratio() >= threshold)


def word_diff(old: str, new: str, whole: bool = True) -> list[Run]:
    """The runs that turn ``old`` into ``new`` (see :class:`Run`): unchanged words,
    and changes as a reader marks them (an island of at most :data:`ISLAND`
    characters between two changes joins them). With ``whole`` a paragraph
    rewritten past :data:`REWRITTEN` is one ``replace`` of the whole text.
    """
    if old == new:
        return [Run("equal", old, new)] if old else []
    a, b = tokens(old), tokens(new)
    if max(len(a), len(b)) > 2 * MAX_TOKENS:  # words and the spaces between them
        return [Run("replace", old, new)]
    runs: list[Run] = []
    i = j = 0  # where the text not yet in a run starts
    stretches, ratio = _opcodes(a, b)
    for op, end_a, end_b in stretches:
        runs.append(Run(op, "".join(a[i:end_a]), "".join(b[j:end_b])))
        i, j = end_a, end_b
    rest_a, rest_b = "".join(a[i:]), "".join(b[j:])  # whitespace after the last word
    runs.append(Run("equal" if rest_a == rest_b else "replace", rest_a, rest_b))
    runs = _joined(_spaced(runs))
    if whole and ratio < REWRITTEN:
        return [Run("replace", old, new)]
    return runs


def _spaced(runs: list[Run]) -> list[Run]:
    """The runs with the whitespace on either side of a change inside the change, so
    an unchanged run starts and ends with a word."""
    result = list(runs)
    for k, run in enumerate(result):
        if run.op == "equal":
            continue
        if k + 1 < len(result) and result[k + 1].op == "equal":
            after = result[k + 1]
            old_space = after.old[: len(after.old) - len(after.old.lstrip())]
            new_space = after.new[: len(after.new) - len(after.new.lstrip())]
            result[k + 1] = Run("equal", after.old[len(old_space):], after.new[len(new_space):])
            run = result[k] = Run(run.op, run.old + old_space, run.new + new_space)
        if k > 0 and result[k - 1].op == "equal":
            before = result[k - 1]
            old_space = before.old[len(before.old.rstrip()):]
            new_space = before.new[len(before.new.rstrip()):]
            result[k - 1] = Run("equal", before.old[: len(before.old) - len(old_space)],
                                before.new[: len(before.new) - len(new_space)])
            result[k] = Run(run.op, old_space + run.old, new_space + run.new)
    return result


def _joined(runs: list[Run]) -> list[Run]:
    """Adjacent runs of one kind as one run."""
    result: list[Run] = []
    for run in runs:
        if not (run.old or run.new):
            continue
        if result and (result[-1].op == run.op == "equal" or
                       result[-1].op != "equal" and run.op != "equal"):
            last = result.pop()
            op = "equal" if run.op == "equal" else _kind(last.old + run.old, last.new + run.new)
            run = Run(op, last.old + run.old, last.new + run.new)
        result.append(run)
    return result


def _kind(old: str, new: str) -> Op:
    return "insert" if not old.strip() else "delete" if not new.strip() else "replace"


@dataclass(frozen=True)
class Marks:
    """What stands around deleted and inserted text: ``git diff --word-diff=plain``'s
    ``[-…-]`` and ``{+…+}`` by default."""

    delete: tuple[str, str] = ("[-", "-]")
    insert: tuple[str, str] = ("{+", "+}")


PLAIN = Marks()


def _counts(token: str) -> bool:
    """Whether ``token`` counts as a word of context (punctuation and space do not)."""
    return any(char.isalnum() for char in token)


def _shortened(text: str, before: bool, after: bool, context: int) -> str:
    """An unchanged stretch with ``context`` words kept next to the change
    ``before`` it and the one ``after`` it (with the punctuation that clings to
    them), the rest ``…``."""
    parts = tokens(text)
    words = [k for k, part in enumerate(parts) if _counts(part)]
    if not (before or after) or len(words) <= context * (before + after) + 2:
        return text
    start = end = ""
    if before:
        k = words[context - 1] + 1
        while k < len(parts) and not parts[k].isspace() and not _counts(parts[k]):
            k += 1
        start = "".join(parts[:k])
    if after:
        k = words[-context]
        while k > 0 and not parts[k - 1].isspace() and not _counts(parts[k - 1]):
            k -= 1
        end = "".join(parts[k:])
    if before and after:
        return f"{start} … {end}"
    return f"{start} …" if before else f"… {end}"


def marked(runs: list[Run], marks: Marks = PLAIN, escape: Callable[[str], str] = str,
           context: int | None = CONTEXT) -> str:
    """The new text with its changes marked: deleted text between ``marks.delete``,
    inserted text between ``marks.insert``, a replacement as the one then the other;
    whitespace at the edge of a change stands outside its marks. ``escape`` is applied
    to the text (not the marks); with ``context``, an unchanged stretch keeps that many
    tokens beside each change and the rest is ``…``."""
    out: list[str] = []
    for k, run in enumerate(runs):
        if run.op == "equal":
            text = run.new
            if context is not None:
                text = _shortened(text, k > 0, k < len(runs) - 1, context)
            out.append(escape(text))
            continue
        shown = run.new if run.new.strip() else run.old
        lead = shown[: len(shown) - len(shown.lstrip())]
        trail = shown[len(shown.rstrip()):]
        out.append(escape(lead))
        if run.old.strip():
            out.append(marks.delete[0] + escape(run.old.strip()) + marks.delete[1])
        if run.new.strip():
            out.append(marks.insert[0] + escape(run.new.strip()) + marks.insert[1])
        out.append(escape(trail))
    return "".join(out)
