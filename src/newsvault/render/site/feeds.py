"""Feeds out: Atom 1.0, RSS 2.0 and JSON Feed 1.1 of the newest articles, full sanitised content.

Every timestamp comes from the store, never from the clock, so a feed whose
articles did not change is the same bytes and is not rewritten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

from lxml import etree

from newsvault.base.clock import in_china
from newsvault.base.text import xml_chars

ATOM_NS = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass(frozen=True)
class FeedEntry:
    id: str  # a URI, stable for the article
    title: str
    link: str  # the original article
    author: str  # the outlet's name
    published_ms: int
    updated_ms: int
    content_html: str  # sanitised
    summary: str | None = None  # plain text: what a feed of changes says changed
    related: str | None = None  # another absolute URL of the entry (the archive's file of a change)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedInfo:
    id: str
    title: str
    home: str  # an absolute URL for the feed's web page
    self_url: str | None  # where the feed itself is served (with [site] base_url)


def _rfc3339(ms: int) -> str:
    return in_china(ms).isoformat(timespec="seconds")


def _updated(entries: list[FeedEntry]) -> int:
    return max((e.updated_ms for e in entries), default=0)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = xml_chars(text)
    return element


def atom(info: FeedInfo, entries: list[FeedEntry]) -> bytes:
    a = f"{{{ATOM_NS}}}"
    feed = etree.Element(a + "feed", nsmap={None: ATOM_NS})
    feed.set(XML_LANG, "zh")
    _sub(feed, a + "id", info.id)
    _sub(feed, a + "title", info.title)
    _sub(feed, a + "updated", _rfc3339(_updated(entries)))
    _sub(feed, a + "link", rel="alternate", type="text/html", href=info.home)
    if info.self_url:
        _sub(feed, a + "link", rel="self", type=MEDIA_TYPES["atom"], href=info.self_url)
    _sub(_sub(feed, a + "author"), a + "name", "newsvault")
    _sub(feed, a + "generator", "newsvault")
    for e in entries:
        entry = _sub(feed, a + "entry")
        _sub(entry, a + "id", e.id)
        _sub(entry, a + "title", e.title)
        _sub(entry, a + "updated", _rfc3339(e.updated_ms))
        _sub(entry, a + "published", _rfc3339(e.published_ms))
        _sub(entry, a + "link", rel="alternate", type="text/html", href=e.link)
        if e.related:
            _sub(entry, a + "link", rel="related", href=e.related)
        _sub(_sub(entry, a + "author"), a + "name", e.author)
        for tag in e.tags:
            _sub(entry, a + "category", term=tag)
        if e.summary is not None:
            _sub(entry, a + "summary", e.summary, type="text")
        _sub(entry, a + "content", e.content_html, type="html")
    data: bytes = etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)
    return data


def rss(info: FeedInfo, entries: list[FeedEntry]) -> bytes:
    root = etree.Element("rss", nsmap={"atom": ATOM_NS}, version="2.0")
    channel = _sub(root, "channel")
    _sub(channel, "title", info.title)
    _sub(channel, "link", info.home)
    _sub(channel, "description", f"{info.title}（newsvault 存档）")
    _sub(channel, "language", "zh")
    _sub(channel, "generator", "newsvault")
    if entries:
        _sub(channel, "lastBuildDate", format_datetime(datetime.fromtimestamp(_updated(entries) / 1000, UTC)))
    if info.self_url:
        _sub(channel, f"{{{ATOM_NS}}}link", rel="self", type=MEDIA_TYPES["rss"], href=info.self_url)
    for e in entries:
        item = _sub(channel, "item")
        _sub(item, "title", e.title)
        _sub(item, "link", e.link)
        _sub(item, "guid", e.id, isPermaLink="false")
        _sub(item, "pubDate", format_datetime(datetime.fromtimestamp(e.published_ms / 1000, UTC)))
        _sub(item, "category", e.author)
        for tag in e.tags:
            _sub(item, "category", tag)
        _sub(item, "description", e.content_html)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
    return data


def json_feed(info: FeedInfo, entries: list[FeedEntry]) -> bytes:
    feed: dict[str, object] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": xml_chars(info.title),
        "home_page_url": info.home,
    }
    if info.self_url:
        feed["feed_url"] = info.self_url
    feed["language"] = "zh"
    feed["items"] = [_json_item(e) for e in entries]
    return (json.dumps(feed, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def _json_item(e: FeedEntry) -> dict[str, object]:
    item: dict[str, object] = {
        "id": e.id,
        "url": e.link,
        "title": xml_chars(e.title),
        "content_html": xml_chars(e.content_html),
        "date_published": _rfc3339(e.published_ms),
        "date_modified": _rfc3339(e.updated_ms),
        "authors": [{"name": xml_chars(e.author)}],
    }
    if e.related:
        item["external_url"] = e.related
    if e.summary is not None:
        item["summary"] = xml_chars(e.summary)
    if e.tags:
        item["tags"] = list(e.tags)
    return item


FORMATS = {"atom": atom, "rss": rss, "json": json_feed}
MEDIA_TYPES = {"atom": "application/atom+xml", "rss": "application/rss+xml", "json": "application/feed+json"}
_NAMES = {"atom": "Atom", "rss": "RSS", "json": "JSON Feed"}


def feed_links(base: str) -> list[tuple[str, str, str]]:
    """(name, media type, path) of the feed `base` in each format, for the pages that offer it."""
    return [(_NAMES[ext], MEDIA_TYPES[ext], f"{base}.{ext}") for ext in FORMATS]
