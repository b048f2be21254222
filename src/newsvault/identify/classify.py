"""New, edited or unchanged: the decision that keeps the archive free of duplicates.

An article is its guid or its link within its outlet, never its title or date:
the original archive keyed on the date and archived the same story again every
time an outlet re-dated it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from .item import Item


class Decision(Enum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def classify(item: Item, known: Mapping[Any, Any] | None) -> Decision:
    """Compare an item with the stored article it was matched to (None: never seen)."""
    if known is None:
        return Decision.NEW
    if item.title != known["title"]:
        return Decision.UPDATED
    # A feed that stops giving a date does not re-date the article.
    if not item.date_missing and item.date_ms != known["date_ms"]:
        return Decision.UPDATED
    # An empty body never replaces a stored one: a feed that drops bodies must not erase them.
    if item.body and item.body != known["body"]:
        return Decision.UPDATED
    return Decision.UNCHANGED
