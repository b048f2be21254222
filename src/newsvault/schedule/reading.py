"""What a budgeted worker process runs: a feed's bytes read into items, a page's body taken by its outlet's rule.

Kept apart from the modules that fetch and store (no SQLAlchemy, no aiohttp, no
site templates), because a worker imports the module of each function it is
sent: with these in `polling` and `pages`, every worker started by importing
the whole run (1 s a start, the first one paid by every `run`); now it imports
the parsers and the extractors only (`tests/test_hostile_parse.py` checks).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from newsvault.base.problems import Kind, Problem
from newsvault.base.text import quoted
from newsvault.config import Source
from newsvault.extract import extract_for, keep_by_categories
from newsvault.identify import Item, ItemError, item_from_entry
from newsvault.parse import Entry, parse


@dataclass
class FeedRead:
    """A fetched feed as the worker read it: its items, their problems, and the document's own problem."""

    items: list[Item]
    problems: list[Problem]
    entries: int  # entries in the document, before the category rule and refused items
    problem: str | None


def _items(entries: list[Entry], source: Source, now: int, problems: list[Problem]) -> list[Item]:
    items: list[Item] = []
    for number, entry in enumerate(entries, 1):
        if not keep_by_categories(source.categories, entry.categories):
            continue
        try:
            item = item_from_entry(entry, _feed_body_rule(source, entry), now)
        except ItemError as exc:
            problems.append(Problem(Kind.ITEM_REFUSED, f"skipped: {exc}", f"item {number}"))
            continue
        if source.body == "auto":  # a missing feed body is what the page is for
            item.problems = [p for p in item.problems if p.kind is not Kind.NO_BODY]
        problems.extend(p.concerning(f"item {number} ({quoted(item.label())})") for p in item.problems)
        items.append(item)
    return items


def read_feed(body: bytes, headers: dict[str, str], source: Source, now: int) -> FeedRead:
    """Parse a fetched feed and make its items: all of a poll that reads the feed's bytes, run under the budget."""
    feed = parse(body, headers)
    problems: list[Problem] = []
    items = _items(feed.entries, source, now, problems)
    return FeedRead(items, problems, len(feed.entries), feed.problem)


def _feed_body_rule(source: Source, entry: Entry) -> Source:
    """body = "auto" starts from the fuller of the feed's two bodies: content:encoded when there is one."""
    if source.body != "auto":
        return source
    return replace(source, body="content:encoded" if entry.content else "description")


def page_html(source: Source, page: bytes, headers: dict[str, str], url: str) -> str:
    """What `source`'s rule takes from one of its article pages; run under the budget."""
    return extract_for(source, page, headers, url).html
