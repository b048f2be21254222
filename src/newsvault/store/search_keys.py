"""The search index's keys and its high-water mark as plain values, without SQLAlchemy.

Both ways of reading the index use them: `search_index` (SQLAlchemy, every
command) and `fast` (the standard library's sqlite3, `newsvault search`).
A document's key is its date in ms times KEY_SLOTS plus a tie-breaker, so
walking the keys downwards is walking the dates.
"""

from __future__ import annotations

KEY_SLOTS = 10_000  # articles that can share one millisecond before keys spill into the next
# An undated article's place in the index: below every date (year -26,000), so it
# comes last and no `since` takes it, and its key still fits 64 bits.
UNDATED_MS = -900_000_000_000_000

# The articles of the store when the index last held all of them: (largest id, latest updated_ms),
# in `meta` under this key as "<id> <updated_ms>".
UPTO_KEY = "search_indexed_upto"


def sort_date(date_ms: int | None) -> int:
    """Where an article sorts in the index: its date; an undated one below every date, out of reach of `since`."""
    return UNDATED_MS if date_ms is None else date_ms


def key_of(ms: int) -> int:
    """The smallest key of a document dated at or after `ms`."""
    return ms * KEY_SLOTS


def upto_text(upto: tuple[int, int]) -> str:
    """The mark as `meta` keeps it."""
    return f"{upto[0]} {upto[1]}"


def upto_value(value: str) -> tuple[int, int]:
    newest, updated = value.split()
    return int(newest), int(updated)
