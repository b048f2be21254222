"""CDT's category rule: which feed items are articles worth keeping.

China Digital Times tags its own Chinese-language pieces with categories that
carry ©, ®, CJK punctuation such as 【】 or an emoji; plain-text categories mark
reposts and link lists. The original archive kept exactly the former.
"""

from __future__ import annotations

from collections.abc import Iterable


def _marked(category: str) -> bool:
    return any(ch in "©®" or 0x2000 <= ord(ch) <= 0x3300 or 0x1F000 <= ord(ch) <= 0x1FBFF for ch in category)


def keep_by_categories(rule: str | None, categories: Iterable[str]) -> bool:
    """True when an item passes the source's category rule (no rule keeps everything)."""
    if rule is None:
        return True
    if rule == "emoji":
        return any(_marked(c) for c in categories)
    raise ValueError(f"unknown category rule {rule!r}")
