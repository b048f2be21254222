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
# in `meta` under this key as "<id> <updated_ms>". When that update was stamped ahead of the clock
# that took the mark (a worker's wrong clock), a third field keeps that clock's time, "<taken_ms>":
# the next update reads updates from the earlier of the two, or the stamp ahead would pin it there.
# Without one the mark is the store's alone, so a copy of the store indexed again keeps it equal.
UPTO_KEY = "search_indexed_upto"
Upto = tuple[int, ...]  # (newest id, latest update[, the clock's time when the update was ahead of it])


def sort_date(date_ms: int | None) -> int:
    """Where an article sorts in the index: its date; an undated one below every date, out of reach of `since`."""
    return UNDATED_MS if date_ms is None else date_ms


def key_of(ms: int) -> int:
    """The smallest key of a document dated at or after `ms`."""
    return ms * KEY_SLOTS


def upto_of(stamp: tuple[int, int], now: int) -> Upto:
    """The mark of the articles' stamp (newest id, latest update) taken at `now`."""
    return stamp if stamp[1] <= now else (*stamp, now)


def upto_text(upto: Upto) -> str:
    """The mark as `meta` keeps it."""
    return " ".join(map(str, upto))


def upto_value(value: str) -> Upto:
    return tuple(map(int, value.split()))
