"""``lists/<name>.md``: the newest articles of one outlet, final format; and the monthly lists.

A vault may also keep ``lists/<name>/<yyyy-mm>.md`` (every article of a month,
in the same line format) with ``lists/<name>/README.md`` linking the months, so
that every article is reachable by links, not only the newest 300.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from newsvault.archive.ids import article_path
from newsvault.archive.markdown import escape_title
from newsvault.base.clock import CHINA_OFFSET_MS, china_month
from newsvault.base.text import encode_utf8, js_trim

LIST_SIZE = 300
# The lists of what changed at the source (lists/<name>.md, across outlets): newsvault's, not an outlet's.
EDITED = "已修改"
DELETED = "已删除"
_DAY_MS = 86_400_000
_JS_MAX_TIME = 8_640_000_000_000_000  # beyond this a JS Date is invalid
_GREGORIAN_CYCLE_DAYS = 146_097  # 400 years; the calendar repeats after it


@dataclass(frozen=True)
class ListEntry:
    abbr: str  # the outlet's folder under articles/
    id: int
    title: str  # the article's title (as stored or as read back from its file)
    ms: int | None  # None for files without a date line: no date prefix
    file: str | None = None  # the article's path when it is not articles/<abbr>/<id>.md
    # As its file's header: False for an imported article (the original's bytes),
    # True for newsvault's own, whose title is escaped to stay one line and one link.
    escaped: bool = False


def list_date(ms: int) -> str:
    """``M-D`` of the date in China (UTC+8), as ``getUTCMonth()+1``-``getUTCDate()``.

    Dates outside JavaScript's range render as ``NaN-NaN`` like the original did.
    Any other integer works: only month and day matter, so the day count is
    reduced modulo the 400-year Gregorian cycle to stay inside Python's dates.
    """
    shifted = ms + CHINA_OFFSET_MS
    if abs(shifted) > _JS_MAX_TIME:
        return "NaN-NaN"
    day = date(1970, 1, 1) + timedelta(days=(shifted // _DAY_MS) % _GREGORIAN_CYCLE_DAYS)
    return f"{day.month}-{day.day}"


def format_list(
    name: str, entries: Iterable[ListEntry], *, in_given_order: bool = False, limit: int | None = LIST_SIZE
) -> bytes:
    """Render ``lists/<name>.md`` from any number of entries.

    This function orders and caps: entries are sorted by id as integers (smallest,
    i.e. newest, first) and only the first 300 are listed, so callers can pass
    every article of the outlet and cannot get the order wrong. Lists across
    outlets (edited, deleted) and monthly lists are ordered by their caller:
    `in_given_order`; a monthly list has no cap (`limit=None`).
    """
    chosen = entries if in_given_order else sorted(entries, key=lambda e: e.id)
    return format_lines(name, (entry_line(entry) for entry in chosen), limit)


def format_lines(name: str, lines: Iterable[str], limit: int | None = LIST_SIZE) -> bytes:
    """A list's bytes from its entries' lines (as `entry_line` makes them, without a newline), the first `limit`."""
    body = "\n".join(f"{line}\n" for line in itertools.islice(lines, limit))
    return encode_utf8(f"{name}\n------\n\n{body}\n")


def list_lines(data: bytes) -> list[str]:
    """The entry lines of a list's bytes (as `format_lines` wrote them), in their order."""
    return [line for line in data.decode("utf-8", "replace").split("\n")[3:] if line]


def line_file(line: str) -> str:
    """The article file an entry line links to (``articles/…``)."""
    return line.rsplit("](/", 1)[-1].removesuffix(")")


def list_title(title: str) -> str:
    """The title as the original's list code found it in the article file.

    The file holds the trimmed title, and the reader rule ``\\[([\\s\\S]*?)\\]\\(``
    stops at the first ``](``; a stored title thus lists exactly like one read back.
    """
    return js_trim(title).split("](", 1)[0]


def entry_line(entry: ListEntry) -> str:
    prefix = "" if entry.ms is None else f"{list_date(entry.ms)} "
    title = escape_title(entry.title) if entry.escaped else list_title(entry.title)
    return f"{prefix}[{title}](/{entry.file or article_path(entry.abbr, entry.id)})"


UNDATED = "undated"  # the monthly list of imported files without a date line


def list_month(ms: int | None) -> str:
    """``yyyy-mm`` in China time (the month of ``list_date``); ``undated`` without a date or outside years 1-9999."""
    found = None if ms is None else china_month(ms)
    return UNDATED if found is None else f"{found[0]:04d}-{found[1]:02d}"


def format_month_list(name: str, month: str, entries: Iterable[ListEntry]) -> bytes:
    """``lists/<name>/<yyyy-mm>.md``: every article of the month, in the order given (newest first)."""
    return format_list(f"{name} {month}", entries, in_given_order=True, limit=None)


def format_month_index(name: str, months: Iterable[tuple[str, int]]) -> bytes:
    """``lists/<name>/README.md``: the outlet's months, newest first, with their article counts.

    Links are relative to the folder, so they work on any git host and in a checkout;
    a blank line between them, as in the other lists, makes each its own paragraph.
    """
    lines = "\n".join(f"[{month}]({month}.md) {count} 篇\n" for month, count in months)
    return encode_utf8(f"{name}\n------\n\n{lines}")
