"""Diffs between versions as HTML: textdiff's inline markers turned into <del> and <ins>."""

from __future__ import annotations

import itertools
from html import escape
from typing import TypedDict

from markupsafe import Markup
from sqlalchemy import RowMapping

from newsvault.base.plaintext import plain_text
from newsvault.base.textdiff import char_diff, marks

Part = tuple[str, bool | None]  # a stretch of text: removed (True), added (False) or unchanged (None)


def diff_parts(old: str, new: str, limit: int | None = None) -> list[Part]:
    """textdiff's character diff as stretches; with `limit`, cut after that many characters (then "…")."""
    text = char_diff(old, new)
    parts: list[Part] = []
    at = 0
    for mark in marks(text):
        parts += [(text[at : mark.start], None), (mark.text, mark.removed)]
        at = mark.end
    parts.append((text[at:], None))
    if limit is None:
        return parts
    bounded: list[Part] = []
    for part, removed in parts:
        if len(part) > limit:
            bounded.append((part[:limit] + "…", removed))
            break
        bounded.append((part, removed))
        limit -= len(part)
    return bounded


def diff_html(old: str, new: str, limit: int | None = None) -> Markup:
    """Every character escaped; removed text in <del>, added text in <ins>."""
    return Markup(
        "".join(
            escape(part) if removed is None else f"<{_TAG[removed]}>{escape(part)}</{_TAG[removed]}>"
            for part, removed in diff_parts(old, new, limit)
        )
    )


def diff_text(old: str, new: str, limit: int | None = None) -> str:
    """The same as plain text, in textdiff's own `[-removed-]` / `{+added+}` markers."""
    return "".join(
        part if removed is None else f"[-{part}-]" if removed else f"{{+{part}+}}"
        for part, removed in diff_parts(old, new, limit)
    )


_TAG = {True: "del", False: "ins"}


class VersionDiff(TypedDict):
    """What the history page shows for one version: None for a title that did not change."""

    n: int
    title: Markup | None
    body: Markup


def version_diffs(kept: list[RowMapping]) -> list[VersionDiff]:
    """For each version after the first: its title and body compared with the one before."""
    return [
        {
            "n": after["n"],
            "title": diff_html(before["title"], after["title"]) if before["title"] != after["title"] else None,
            "body": diff_html(plain_text(before["body"]), plain_text(after["body"])),
        }
        for before, after in itertools.pairwise(kept)
    ]
