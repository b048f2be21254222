"""``lists/<name>.md``: the newest articles of one outlet, final format."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from newsvault.render.text import encode_utf8, js_trim

LIST_SIZE = 300
_DAY_MS = 86_400_000
_CHINA_OFFSET_MS = 8 * 3_600_000
_JS_MAX_TIME = 8_640_000_000_000_000  # beyond this a JS Date is invalid
_GREGORIAN_CYCLE_DAYS = 146_097  # 400 years; the calendar repeats after it


@dataclass(frozen=True)
class ListEntry:
    abbr: str  # the outlet's folder under articles/
    id: int
    title: str  # the article's title (as stored or as read back from its file)
    ms: int | None  # None for files without a date line: no date prefix


def list_date(ms: int) -> str:
    """``M-D`` of the date in China (UTC+8), as ``getUTCMonth()+1``-``getUTCDate()``.

    Dates outside JavaScript's range render as ``NaN-NaN`` like the original did.
    Any other integer works: only month and day matter, so the day count is
    reduced modulo the 400-year Gregorian cycle to stay inside Python's dates.
    """
    shifted = ms + _CHINA_OFFSET_MS
    if abs(shifted) > _JS_MAX_TIME:
        return "NaN-NaN"
    day = date(1970, 1, 1) + timedelta(days=(shifted // _DAY_MS) % _GREGORIAN_CYCLE_DAYS)
    return f"{day.month}-{day.day}"


def format_list(name: str, entries: Iterable[ListEntry], *, in_given_order: bool = False) -> bytes:
    """Render ``lists/<name>.md`` from any number of entries.

    This function orders and caps: entries are sorted by id as integers (smallest,
    i.e. newest, first) and only the first 300 are listed, so callers can pass
    every article of the outlet and cannot get the order wrong. Lists across
    outlets (edited, deleted) are ordered by their caller: `in_given_order`.
    """
    chosen = entries if in_given_order else sorted(entries, key=lambda e: e.id)
    newest = itertools.islice(chosen, LIST_SIZE)
    lines = "\n".join(_entry_line(entry) for entry in newest)
    return encode_utf8(f"{name}\n------\n\n{lines}\n")


def list_title(title: str) -> str:
    """The title as the original's list code found it in the article file.

    The file holds the trimmed title, and the reader rule ``\\[([\\s\\S]*?)\\]\\(``
    stops at the first ``](``; a stored title thus lists exactly like one read back.
    """
    return js_trim(title).split("](", 1)[0]


def _entry_line(entry: ListEntry) -> str:
    prefix = "" if entry.ms is None else f"{list_date(entry.ms)} "
    return f"{prefix}[{list_title(entry.title)}](/articles/{entry.abbr}/{entry.id}.md)\n"
