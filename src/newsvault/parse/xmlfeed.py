"""RSS and Atom: feedparser-rs first, feedparser when the document is broken.

feedparser-rs is fast but stops at the first XML error; feedparser's loose
parser keeps going and recovers every item of a broken feed. Both get UTF-8
bytes (see encoding.py), feedparser as a file object: given a str that looks
like a URL, or bytes that name a local file, it would fetch or open it.
Sanitising and relative-URI resolution stay off: the archive stores bodies as
the feed gave them.
"""

from __future__ import annotations

import io
import re
from html.entities import name2codepoint
from typing import Any

import feedparser
import feedparser_rs
from lxml import etree

from . import sniff
from .model import Entry, Feed, FeedError

__all__ = ["read"]

_ITEM_START = re.compile(rb"<(?:\w+:)?(?:item|entry)[\s>/]", re.IGNORECASE)
_ITEM_END = re.compile(rb"</(?:\w+:)?(?:item|entry)\s*>", re.IGNORECASE)
_SAX_POSITION = re.compile(r"^<unknown>:(\d+):(\d+): ")
_RSS_ROOTS = {"rss", "rdf"}
_NAKED_MARKUP = re.compile(rb"<(?:[\w.-]+:)?(?:title|description|encoded)(?:\s[^<>]*)?>[^<]*<(?![/!])")
_HTML_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{1,31});")
_HTML_ONLY_ENTITIES = {
    name: code for name, code in name2codepoint.items() if name not in {"amp", "lt", "gt", "quot", "apos"}
}
# An unterminated CDATA section or comment runs to the end: a parser reads it so,
# and were it left unmatched, every later opener would scan to the end again
# (quadratic in the openers).
_UNPARSED = ((b"<![CDATA[", b"]]>"), (b"<!--", b"-->"))  # what XML does not parse: from opener to closer or end
# Attributes are taken greedily up to "/>": a lazy ``[^<>]*?`` followed by
# ``\s*`` rescans the rest of a long run of spaces at each step (quadratic).
_EMPTY_TEXT_ELEMENT = re.compile(
    rb"<((?:[\w.-]+:)?(?:title|link|description|author|category|comments|guid|pubDate|source|encoded"
    rb"|creator|date|subject|language|copyright|lastBuildDate|managingEditor|webMaster|generator"
    rb"|commentRss))(\s[^<>]*)?/>"
)
# feedparser-rs stops at 10,000 entries by default and calls the rest an error,
# which sent long feeds to feedparser: 15 s instead of 1 s for 100,000 entries.
# Past this higher limit the first entries are kept and the rest reported; a
# run stores at most [fetch] items_per_run new items of a feed anyway.
MAX_ENTRIES = 100_000
_LIMITS = feedparser_rs.ParserLimits(max_entries=MAX_ENTRIES)
# feedparser-rs calls a feed broken when it cannot read the feed's own date (its items' dates it passes on
# as written). Whether the document is sound was then judged by reading it all again with feedparser, every
# run: 3.5 ms for an 11 kB feed, ~0.3 s a MB. libxml2 judges well-formedness in a tenth of that.
_OWN_DATE_COMPLAINT = re.compile(r"Invalid \w+ format")
_STRICT = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def read(data: bytes, encoding: str, root: str | None) -> Feed:
    """Parse UTF-8 ``data`` whose first element is ``root``; FeedError when nothing usable is there."""
    is_rss = (root or "").rpartition(":")[2].lower() in _RSS_ROOTS
    # Both parsers may return the item that was being read when the bytes ran
    # out; archiving its cut-off body would make a bogus first version.
    truncated = root is not None and not sniff.closes_root(data, root)
    limit = len(_ITEM_END.findall(data)) if truncated else None

    fast_problem: str | None
    if is_rss and _has_naked_markup(data):
        # feedparser-rs 0.7.1 keeps only the first text node of unescaped HTML in
        # an RSS description ("text <p>para</p> tail" gives "text para").
        fast, fast_problem = None, "unescaped HTML inside an RSS text element"
    else:
        fast, fast_problem = _run_fast(_for_feedparser_rs(data, is_rss))
        if fast_problem and _OWN_DATE_COMPLAINT.fullmatch(fast_problem) and _well_formed(data):
            fast_problem = None
    if fast is not None and _blanked_links(fast):
        fast, fast_problem = None, "feedparser-rs emptied links to private addresses"
    if fast is not None and not fast_problem and (fast.entries or not _ITEM_START.search(data)):
        parser, chosen, problem = "feedparser-rs", fast, None
    elif fast is not None and len(fast.entries) >= MAX_ENTRIES:
        parser, chosen, problem = "feedparser-rs", fast, f"more than {MAX_ENTRIES} items; the first {MAX_ENTRIES} read"
    else:
        try:
            slow = feedparser.parse(io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False)
        except Exception as error:  # its own bugs on broken input: a KeyError in its media:thumbnail handler, say
            if fast is None:
                raise FeedError(f"XML is not well-formed and no item could be recovered ({fast_problem})") from None
            slow, slow_problem = None, f"feedparser failed: {type(error).__name__}: {error}"
        # On a tie feedparser-rs wins: it keeps the CRs of the bytes (the archive
        # keeps lone CRs) where feedparser applies XML's line-end normalisation.
        if slow is None or (fast is not None and len(fast.entries[:limit]) >= len(slow.entries[:limit])):
            parser, chosen = "feedparser-rs", fast
        else:
            parser, chosen = "feedparser", slow
        # feedparser tries a strict XML parser first, so it judges well-formedness:
        # a feedparser-rs complaint about, say, a date format is not a broken document.
        if slow is None:
            problem = fast_problem or slow_problem
        else:
            problem = _describe(slow.get("bozo_exception")) if slow.get("bozo") else None

    entries = [_entry(raw, parser) for raw in chosen.entries[:limit]]
    version = chosen.get("version") or ""
    if truncated:
        if not entries:
            raise FeedError("XML is truncated and no item could be recovered")
        problem = f"XML is truncated; {len(entries)} complete items recovered"
    elif not entries and problem and _ITEM_START.search(data):
        raise FeedError(f"XML is not well-formed and no item could be recovered ({problem})")
    elif not entries and not version:
        found = f"the document is <{root}>" if root else "no XML element found"
        raise FeedError(f"not a feed: {found}, not RSS, RDF or Atom")
    return Feed(
        entries=entries,
        version=version,
        encoding=encoding,
        title=chosen.feed.get("title"),
        parser=parser,
        problem=problem,
    )


def _well_formed(data: bytes) -> bool:
    try:
        etree.fromstring(data, _STRICT)
    except etree.XMLSyntaxError:
        return False
    return True


def _run_fast(data: bytes) -> tuple[Any | None, str | None]:
    try:
        result = feedparser_rs.parse_with_limits(data, limits=_LIMITS, sanitize_html=False, resolve_relative_uris=False)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # a Rust panic arrives as a BaseException; one feed must not stop the run
        return None, f"feedparser-rs failed: {error}"
    return result, (_describe(result.get("bozo_exception")) if result.bozo else None)


def _for_feedparser_rs(data: bytes, is_rss: bool) -> bytes:
    """Work around two feedparser-rs 0.7.1 gaps, outside CDATA and comments, without changing the XML.

    * It reads an empty RSS text element as an open one and files the next
      element's text under it: tech.qq.com's ``<category/><pubDate>…`` gave a
      category named after the date, and no date. ``<x/>`` becomes ``<x></x>``.
    * It leaves HTML entities that XML does not define (``&nbsp;``, ``&ldquo;``)
      as literal text. They become numeric references, which is what they mean.
    """
    # Most feeds need neither fix: a scan in C is far cheaper than splitting the document.
    if not _HTML_ENTITY.search(data) and not (is_rss and _EMPTY_TEXT_ELEMENT.search(data)):
        return data
    pieces = split_unparsed(data)
    for index in range(0, len(pieces), 2):
        piece = _HTML_ENTITY.sub(_numeric_reference, pieces[index])
        pieces[index] = _EMPTY_TEXT_ELEMENT.sub(_open_and_close, piece) if is_rss else piece
    return b"".join(pieces)


def split_unparsed(data: bytes) -> list[bytes]:
    """`data` cut around its CDATA sections and comments: [text, unparsed, text, …, text].

    What ``re.split`` with a ``<!\\[CDATA\\[.*?(?:\\]\\]>|\\Z)`` group gives, from
    `bytes.find`, which scans in C: the lazy regex stepped through every byte of
    every CDATA body in the regex engine (40 ms of the 330 ms the pipeline
    benchmark spends on its 24 feeds). Each opener's next position is kept
    until the cut passes it, so many sections of one kind and none of the
    other stay linear.
    """
    pieces: list[bytes] = []
    start = 0
    following = [data.find(opener) for opener, _ in _UNPARSED]
    while True:
        found = [(at, kind) for kind, at in enumerate(following) if at >= 0]
        if not found:
            break
        at, kind = min(found)
        opener, closer = _UNPARSED[kind]
        close = data.find(closer, at + len(opener))
        end = len(data) if close < 0 else close + len(closer)
        pieces += [data[start:at], data[at:end]]
        start = end
        following = [
            next_at if next_at >= end or next_at < 0 else data.find(o, end)
            for next_at, (o, _) in zip(following, _UNPARSED, strict=True)
        ]
    pieces.append(data[start:])
    return pieces


def _blanked_links(result: Any) -> bool:
    """feedparser-rs 0.7.1 empties links to loopback and private addresses (its SSRF guard).

    An archive must keep the link as written (an intranet mirror, a test server
    on 127.0.0.1), so such documents are read by feedparser instead.
    """
    return any(link.href == "" for entry in result.entries for link in entry.get("links") or [])


def _has_naked_markup(data: bytes) -> bool:
    # Pieces are substrings of the document: no match in it means none in them,
    # and a scan in C spares splitting the document in the common case (CDATA bodies).
    return _NAKED_MARKUP.search(data) is not None and any(
        _NAKED_MARKUP.search(piece) for piece in split_unparsed(data)[::2]
    )


def _open_and_close(match: re.Match[bytes]) -> bytes:
    """``<x a="1" />`` as ``<x a="1"></x>`` (the greedy match holds the white space before "/>")."""
    name, attributes = match.group(1), match.group(2) or b""
    return b"<%s%s></%s>" % (name, attributes.rstrip(), name)


def _numeric_reference(match: re.Match[bytes]) -> bytes:
    codepoint = _HTML_ONLY_ENTITIES.get(match.group(1).decode("ascii"))
    return b"&#%d;" % codepoint if codepoint else match.group(0)


def _entry(raw: Any, parser: str) -> Entry:
    guid = raw.get("id") or None
    link = raw.get("link") or None
    if link is not None and link == guid and _link_copied_from_guid(raw, parser):
        link = None
    contents = raw.get("content") or []
    return Entry(
        guid=guid,
        link=link,
        title=raw.get("title"),
        date_raw=raw.get("published") or raw.get("updated") or None,
        summary=raw.get("summary"),
        content=contents[0].get("value") if contents else None,
        # dict.fromkeys: feedparser repeats a term given as both dc:subject and category.
        categories=tuple(dict.fromkeys(tag.get("term") for tag in raw.get("tags") or [] if tag.get("term"))),
    )


def _link_copied_from_guid(raw: Any, parser: str) -> bool:
    """Both parsers fill ``link`` from the guid/id when an item has no link; the contract wants None."""
    if parser == "feedparser-rs":
        return raw.get("guidislink") is True
    return not any(link.get("href") == raw.get("link") for link in raw.get("links") or [])


def _describe(error: object) -> str:
    """The parser's complaint, with feedparser's ``<unknown>:L:C:`` turned into words."""
    text = str(error)
    position = _SAX_POSITION.match(text)
    if position:
        line, column = position.groups()
        return f"line {line}, column {column}: {text[position.end() :]}"
    return text
