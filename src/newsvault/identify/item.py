"""From a parsed feed entry to the fields the archive keeps, per the source's rules.

Everything an item can get wrong is decided here, once: an item that cannot be
identified is refused with a reason; one that merely lacks a body or a usable
date is kept with what it has and the gap is reported, because losing an
article is worse than archiving an imperfect one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from newsvault.base import js_trim, whatwg_href
from newsvault.base.problems import Kind, Problem
from newsvault.base.text import without_nul
from newsvault.config import Source
from newsvault.parse import Entry, normalise_date

# Dates the archive can hold: from 1970 (its header is <!--ms-->) to the end of 9999-12-29 UTC, which every
# time zone's clock still shows within the year 9999 (Python's last).
LATEST_MS = 253_402_128_000_000  # 9999-12-30T00:00:00Z


class ItemError(Exception):
    """This item cannot be archived (no usable link to identify it by)."""


@dataclass
class Item:
    guid: str | None
    link: str  # WHATWG href: the identity and the link written into the file
    title: str
    date_ms: int
    date_missing: bool
    body: str | None  # None when the body comes from the article page
    problems: list[Problem] = field(default_factory=list)  # gaps the item was kept with

    def label(self) -> str:
        return self.title[:40] or self.link


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return without_nul(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def item_from_entry(entry: Entry, source: Source, now_ms: int) -> Item:
    problems: list[Problem] = []
    raw_link = entry.guid if source.link == "guid" else entry.link
    if not raw_link or not js_trim(raw_link):
        raise ItemError(f"no {source.link} to identify the item by")
    try:
        link = whatwg_href(js_trim(raw_link))
    except ValueError:
        raise ItemError(f"{source.link} is not an absolute URL: {raw_link[:200]!r}") from None
    if not link.startswith(("http://", "https://")):  # the archive links it: never javascript:, data: or the like
        raise ItemError(f"{source.link} is not an http(s) URL: {raw_link[:200]!r}")

    title = _text(entry.title)
    if title is None:
        detail = "no title" if entry.title is None else f"title is not text ({type(entry.title).__name__})"
        problems.append(Problem(Kind.NO_TITLE, detail))
        title = ""
    title = js_trim(title)

    date_ms = normalise_date(entry.date_raw, source.timezone)
    if date_ms is not None and not 0 <= date_ms < LATEST_MS:
        # No news item is from before 1970, and the archive's header (<!--ms-->) cannot hold one: CMSs write
        # 0001-01-01 for "no date". Nor from the year 9999, which China time overflows. Stored, one such date
        # made every render fail.
        problems.append(Problem(Kind.NO_DATE, f"date out of range {entry.date_raw!r}"))
        date_ms = None
    elif date_ms is None:
        problems.append(
            Problem(Kind.NO_DATE, "no date" if not entry.date_raw else f"unreadable date {entry.date_raw!r}")
        )
    date_missing = date_ms is None
    if date_ms is None:
        date_ms = now_ms

    body: str | None
    if source.body == "page":
        body = None
    else:
        wanted, other = (
            (entry.content, entry.summary) if source.body == "content:encoded" else (entry.summary, entry.content)
        )
        body = _text(wanted)
        if not body:
            body = _text(other) or ""
            problems.append(
                Problem(Kind.NO_BODY, f"no {source.body} body" + ("" if body else ", archived without one"))
            )
    guid = _text(entry.guid)
    return Item(
        guid=guid or None,
        link=link,
        title=title,
        date_ms=date_ms,
        date_missing=date_missing,
        body=body,
        problems=problems,
    )
