"""A readable diff of two versions' text, character by character.

Chinese has no spaces between words, so word diffs see one word per sentence;
characters are the unit. Long unchanged runs are shortened to their ends.
"""

from __future__ import annotations

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


def char_diff(old: str, new: str) -> str:
    """`[-removed-]{+added+}` inline, unchanged stretches shortened with …"""
    out: list[str] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            same = old[a1:a2]
            out.append(same if len(same) <= 2 * CONTEXT else f"{same[:CONTEXT]}…{same[-CONTEXT:]}")
            continue
        if a2 > a1:
            out.append(f"[-{old[a1:a2]}-]")
        if b2 > b1:
            out.append(f"{{+{new[b1:b2]}+}}")
    return "".join(out)
