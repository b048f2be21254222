"""Article identity: from feed entries to items, and new versus edited versus unchanged."""

from .classify import Decision, classify
from .item import Item, ItemError, item_from_entry

__all__ = ["Decision", "Item", "ItemError", "classify", "item_from_entry"]
