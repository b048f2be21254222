"""A readable diff of two versions' text, character by character.

Chinese has no spaces between words, so word diffs see one word per sentence;
characters are the unit. Long unchanged runs are shortened to their ends.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

import lxml.html

CONTEXT = 20  # characters of unchanged text kept on each side of a change


def plain_text(html: str | None) -> str:
    if not html or not html.strip():
        return ""
    try:
        return lxml.html.fromstring(html).text_content()
    except (ValueError, lxml.etree.ParserError):
        return html


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
