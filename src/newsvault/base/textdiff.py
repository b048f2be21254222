"""A readable diff of two versions' text, character by character.

Chinese has no spaces between words, so word diffs see one word per sentence;
characters are the unit. Long unchanged runs are shortened to their ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from difflib import SequenceMatcher
from typing import NamedTuple

CONTEXT = 20  # characters of unchanged text kept on each side of a change

_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")


def _runs(old: str, new: str, out: list[str]) -> None:
    for op, a1, a2, b1, b2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            _same(old[a1:a2], out)
            continue
        if a2 > a1:
            out.append(f"[-{old[a1:a2]}-]")
        if b2 > b1:
            out.append(f"{{+{new[b1:b2]}+}}")


def _same(text: str, out: list[str]) -> None:
    out.append(text if len(text) <= 2 * CONTEXT else f"{text[:CONTEXT]}…{text[-CONTEXT:]}")


def char_diff(old: str, new: str) -> str:
    """`[-removed-]{+added+}` inline, unchanged stretches shortened with …

    Sentences are matched first and characters only inside changed sentences:
    a character-level match over a whole 50 KB article is quadratic.
    """
    old_parts, new_parts = _SENTENCE_END.split(old), _SENTENCE_END.split(new)
    out: list[str] = []
    for op, a1, a2, b1, b2 in SequenceMatcher(None, old_parts, new_parts, autojunk=False).get_opcodes():
        if op == "equal":
            _same("".join(old_parts[a1:a2]), out)
        else:
            _runs("".join(old_parts[a1:a2]), "".join(new_parts[b1:b2]), out)
    return "".join(out)


class Mark(NamedTuple):
    """One ``[-removed-]`` or ``{+added+}`` of char_diff's output: diff[start:end], and the text inside."""

    start: int
    end: int
    removed: bool
    text: str


_CLOSERS = {"[-": "-]", "{+": "+}"}


def marks(diff: str) -> Iterator[Mark]:
    """The marks of char_diff's output, in order.

    The spans the regex ``\\[-(.*?)-\\]|\\{\\+(.*?)\\+\\}`` finds, in linear time: the
    regex scans to the end again from every opener that no closer follows, and
    changed text full of "[-" made that quadratic. Here such an opener retires
    its kind, since no later opener of that kind can be closed either.
    """
    upcoming = {opener: diff.find(opener) for opener in _CLOSERS}
    while True:
        found = [(position, opener) for opener, position in upcoming.items() if position >= 0]
        if not found:
            return
        start, opener = min(found)
        close = diff.find(_CLOSERS[opener], start + 2)
        if close < 0:
            upcoming[opener] = -1
            continue
        yield Mark(start, close + 2, opener == "[-", diff[start + 2 : close])
        for kind, position in upcoming.items():
            if 0 <= position < close + 2:
                upcoming[kind] = diff.find(kind, close + 2)
