"""What the parse stage hands to the rest of the pipeline.

Fields stay as the feed gave them (bodies verbatim, links unresolved, dates as
raw strings): later stages decide what to do with them, and the archive format
needs the original bytes of the body.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    guid: str | None
    link: str | None
    title: object | None  # normally str; JSON Feeds can carry anything, the pipeline checks
    date_raw: str | None  # published, else updated, exactly as written in the feed
    summary: str | None  # RSS <description>, Atom <summary>, JSON Feed summary
    content: str | None  # RSS content:encoded, Atom <content>, JSON Feed content_html/content_text
    categories: tuple[str, ...] = ()


@dataclass
class Feed:
    entries: list[Entry]
    version: str  # e.g. "rss20", "atom10", "json11"
    encoding: str  # the encoding the bytes were read with
    title: str | None = None
    parser: str = "feedparser-rs"  # or "feedparser" when the fallback recovered it
    problem: str | None = None  # set when the document was ill-formed but items were recovered


class FeedError(Exception):
    """The bytes are not a feed at all (HTML page, empty, unrecoverable XML)."""
