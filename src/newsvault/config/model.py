"""The configuration the rest of newsvault reads: plain frozen data."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path


@dataclass(frozen=True)
class Fallback:
    """Another feed of the same outlet, polled when the current one has died."""

    feed: str
    body: str = "auto"  # fallbacks are mostly the outlets' own feeds, which carry teasers
    link: str = "link"
    selector: str | None = None


@dataclass(frozen=True)
class Source:
    abbr: str  # the archive folder: articles/<abbr>/
    name: str  # the list name: lists/<name>.md
    feed: str
    body: str = "description"  # "description" | "content:encoded" | "page" | "auto"
    link: str = "link"  # "link" | "guid"
    enabled: bool = True
    selector: str | None = None  # CSS selector of the article body when body = "page"
    categories: str | None = None  # "emoji": CDT's category rule
    timezone: str = "Asia/Shanghai"  # for dates written without a zone
    min_length: int = 300  # body = "auto": feed bodies with less text than this come from the page
    fallbacks: tuple[Fallback, ...] = ()  # tried in order when the current feed dies
    fallback_after: int = 3  # failed runs in a row before switching feeds
    idle_after: int = 72  # runs in a row without a new item before switching (or warning)
    images: str | None = None  # image mode for this source; None: the vault's [images] mode
    recheck: bool = True  # re-check recent articles' pages for edits and deletions
    deleted_patterns: tuple[str, ...] = ()  # page text meaning "deleted/censored", beside the built-in set

    def feeds(self) -> list[Source]:
        """The primary feed and each fallback, as sources of the same outlet (same abbr and name)."""
        return [self] + [
            replace(self, feed=f.feed, body=f.body, link=f.link, selector=f.selector, fallbacks=())
            for f in self.fallbacks
        ]


IMAGE_MODES = ("keep", "proxy", "mirror")
DEFAULT_PROXY = "https://images.weserv.nl?url={url_without_scheme}"  # the original archive's proxy


@dataclass(frozen=True)
class ImageSettings:
    mode: str = "proxy"  # how displayed images load: "keep" | "proxy" | "mirror"
    proxy: str = DEFAULT_PROXY  # {url} or {url_without_scheme} is replaced
    max_bytes: int = 10 * 1024 * 1024  # largest image mirrored
    attempts: int = 5  # runs that try a failing image before it is given up
    per_run: int = 500  # images mirrored per run


@dataclass(frozen=True)
class FetchSettings:
    per_host: int = 4
    timeout: float = 30.0
    max_bytes: int = 20 * 1024 * 1024
    retries: int = 2
    allow_private: bool = False
    proxy: str | None = None
    pages_per_run: int = 50  # article pages fetched per source and run
    items_per_run: int = 1000  # new items stored per feed fetch, oldest first; the rest on the next runs
    parse_budget: float = 60.0  # seconds a worker may spend parsing one feed or extracting one page


@dataclass(frozen=True)
class PublishRemote:
    url: str  # may name environment variables, ${VAR}, expanded only when pushing
    branch: str = "main"
    name: str | None = None  # shown in reports instead of the (redacted) URL


@dataclass(frozen=True)
class PublishSettings:
    remotes: tuple[PublishRemote, ...] = ()
    retries: int = 3  # extra push attempts per remote
    backoff: float = 2.0  # seconds before the first retry, doubled for each further one
    timeout: float = 300.0  # seconds for one git network command (a hung push is killed)
    author: str | None = None  # "Name <email>" for publish commits; else git's own identity


@dataclass(frozen=True)
class TreeSettings:
    """How the Markdown tree is laid out: the original's flat folders unless a vault asks otherwise."""

    shard_by_month: bool = False  # new articles go to articles/<abbr>/<yyyy>/<mm>/<id>.md
    monthly_lists: bool = False  # lists/<name>/<yyyy-mm>.md link every article, not only the newest 300


@dataclass(frozen=True)
class SiteSettings:
    enabled: bool = True  # `render` also writes the static site
    path: str = "site"  # relative to the vault; never inside the archive's own folders
    base_url: str | None = None  # where the site is served: absolute links in feeds out
    feed_items: int = 50  # newest articles per feed


@dataclass(frozen=True)
class Config:
    vault: Path  # the folder holding vault.toml
    archive: Path  # where the Markdown tree is written
    store_url: str
    sources: dict[str, Source] = field(default_factory=dict)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    publish: PublishSettings = field(default_factory=PublishSettings)
    images: ImageSettings = field(default_factory=ImageSettings)
    site: SiteSettings = field(default_factory=SiteSettings)
    tree: TreeSettings = field(default_factory=TreeSettings)

    def enabled(self, only: tuple[str, ...] | list[str] = ()) -> list[Source]:
        return [s for s in self.sources.values() if s.enabled and (not only or s.abbr in only)]
