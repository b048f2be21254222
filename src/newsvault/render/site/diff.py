"""Diffs between versions as HTML: textdiff's inline markers turned into <del> and <ins>."""

from __future__ import annotations

import itertools
from html import escape
from typing import TypedDict

from markupsafe import Markup
from sqlalchemy import RowMapping

from newsvault.base.textdiff import char_diff, marks, plain_text


def diff_html(old: str, new: str) -> Markup:
    """Every character escaped; removed text in <del>, added text in <ins>."""
    out: list[str] = []
    text = char_diff(old, new)
    at = 0
    for mark in marks(text):
        out.append(escape(text[at : mark.start]))
        out.append(f"<del>{escape(mark.text)}</del>" if mark.removed else f"<ins>{escape(mark.text)}</ins>")
        at = mark.end
    out.append(escape(text[at:]))
    return Markup("".join(out))


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
