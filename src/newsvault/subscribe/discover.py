"""Finding a site's feed the way feed readers do, and checking it the way a run reads it.

A URL people paste is as often the site's home page as its feed. Its own
`<link rel="alternate">` to a feed type is what the site says; when it says
nothing, the paths that blog engines and static site generators use are tried.
Each candidate is fetched and parsed by the same fetch and parse stages a run
uses, so a source that is added is one that a run can read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import ada_url

from newsvault.base.problems import Kind, Problem
from newsvault.base.text import quoted
from newsvault.config import FetchSettings
from newsvault.extract import ExtractError
from newsvault.extract.auto import parse_page
from newsvault.fetch import Fetcher, FetchError, Request, Response
from newsvault.parse import Feed, FeedError, parse
from newsvault.parse.sniff import is_html_root, root_element

from .naming import host

# <link rel="alternate" type=…> values that announce a feed (JSON Feed's own type and the generic JSON one).
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
        "application/xml",
        "text/xml",
    }
)
# WordPress, Blogger and most CMSs; Hugo (index.xml); Jekyll and Hexo (atom.xml, feed.xml); and the rest.
COMMON_PATHS = ("feed", "rss", "atom.xml", "index.xml", "feed.xml", "rss.xml")
LINKS_TRIED = 5  # of a page's feed links: a page listing more links its comment and tag feeds


@dataclass(frozen=True)
class Found:
    url: str  # the feed URL to configure: as given, or as the page linked it
    final_url: str  # where the fetch ended after redirects
    feed: Feed
    page: str | None  # the page the feed was found from, when the URL given was not a feed


class Refused(Exception):
    """A source not added, and why, as a problem of a kind (fetch, malformed-feed, no-feed, duplicate)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _request(url: str, settings: FetchSettings, *, retries: int, trusted: bool) -> Request:
    return Request(url, deadline=settings.timeout, max_bytes=settings.max_bytes, retries=retries, trusted=trusted)


def _is_html(response: Response, data: bytes) -> bool:
    kind = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
    return kind in ("text/html", "application/xhtml+xml") or is_html_root(data, root_element(data))


def _tokens(value: str | None) -> set[str]:
    return set((value or "").lower().split())


def _linked(response: Response) -> list[str]:
    """The page's feed links, resolved against its `<base href>` or its URL, in the page's order."""
    try:
        root = parse_page(response.body, dict(response.headers))
    except ExtractError:
        return []
    base = response.url
    for element in root.iter("base"):
        if href := (element.get("href") or "").strip():
            base = _join(base, href) or base
            break
    found: list[str] = []
    for link in root.iter("link"):
        kind = (link.get("type") or "").split(";", 1)[0].strip().lower()
        if "alternate" in _tokens(link.get("rel")) and kind in FEED_TYPES:
            url = _join(base, (link.get("href") or "").strip())
            if url and url not in found:
                found.append(url)
    return found


def _join(base: str, href: str) -> str | None:
    """`href` made absolute as a browser would; None when that is not an http(s) URL."""
    if not href:
        return None
    try:
        url = ada_url.join_url(base, href)
    except ValueError:
        return None
    return url if url.startswith(("http://", "https://")) else None


def _usual(page: str) -> Iterator[str]:
    """The common feed paths below the page's folder, then at the site's root."""
    for path in COMMON_PATHS:
        if (url := _join(page, path)) is not None:
            yield url
    for path in COMMON_PATHS:
        if (url := _join(page, "/" + path)) is not None:
            yield url


async def _fetch_feed(fetcher: Fetcher, request: Request) -> tuple[Response, Feed]:
    response = await fetcher.fetch(request)
    return response, parse(response.body, dict(response.headers))


async def find_feed(fetcher: Fetcher, url: str, settings: FetchSettings) -> Found:
    """The feed at `url`, or the one its page leads to; raises Refused saying why there is none.

    The URL given is the user's and is fetched as a feed URL is (trusted, with
    the vault's retries); links found on the page are probed once each, and
    ones on another host are guarded like any URL taken from content.
    """
    try:
        response = await fetcher.fetch(_request(url, settings, retries=settings.retries, trusted=True))
    except FetchError as exc:
        raise Refused(Problem(Kind.FETCH, f"cannot fetch it: {exc.reason}", url)) from None
    try:
        return Found(url, response.url, parse(response.body, dict(response.headers)), None)
    except FeedError as exc:
        if not _is_html(response, response.body):
            raise Refused(Problem(Kind.MALFORMED_FEED, f"not a feed that parses: {quoted(str(exc))}", url)) from None
    linked = _linked(response)[:LINKS_TRIED]
    first_failure: str | None = None
    home = host(url)
    seen = {url, response.url}
    for candidate in [*linked, *_usual(response.url)]:
        if candidate in seen:
            continue
        seen.add(candidate)
        request = _request(candidate, settings, retries=0, trusted=host(candidate) == home)
        try:
            fetched, feed = await _fetch_feed(fetcher, request)
        except (FetchError, FeedError) as exc:
            if candidate in linked and first_failure is None:
                reason = exc.reason if isinstance(exc, FetchError) else quoted(str(exc))
                first_failure = f"it links {quoted(candidate)}, which failed: {reason}"
            continue
        return Found(candidate, fetched.url, feed, response.url)
    paths = ", ".join(f"/{p}" for p in COMMON_PATHS)
    said = first_failure or 'it links no feed (<link rel="alternate">)'
    raise Refused(Problem(Kind.NO_FEED, f"an HTML page without a feed: {said}, and none of {paths} is one", url))


async def find_feeds(
    settings: FetchSettings, urls: list[str], done: Callable[[], None] | None = None
) -> list[Found | Refused]:
    """`find_feed` for each URL together, through one fetcher (its per-host limit keeps it polite)."""

    async def one(fetcher: Fetcher, url: str) -> Found | Refused:
        try:
            return await find_feed(fetcher, url, settings)
        except Refused as refused:
            return refused
        finally:
            if done is not None:
                done()

    async with Fetcher.from_settings(settings) as fetcher:
        return list(await asyncio.gather(*(one(fetcher, url) for url in urls)))
