"""The configuration the rest of newsvault reads: plain frozen data, and the schema of vault.toml.

Each field's type, default and `spec(...)` are all that reading vault.toml
knows of a key (see schema.py); a new key is one line here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .schema import FINITE, NOT_NEGATIVE, POSITIVE, at_least, must, rule, spec

Body = Literal["description", "content:encoded", "page", "auto"]
Link = Literal["link", "guid"]
ImageMode = Literal["keep", "proxy", "mirror"]
IMAGE_MODES: tuple[str, ...] = get_args(ImageMode)
DEFAULT_PROXY = "https://images.weserv.nl?url={url_without_scheme}"  # the original archive's proxy

SECONDS = "a number of seconds"
BYTES = "a whole number of bytes"


def _zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _http(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def _git_url(url: str) -> bool:
    """Not empty, and not read by git as an option."""
    return bool(url.strip()) and not url.strip().startswith("-")


# A branch name git accepts and that cannot be read as an option or a refspec.
_BRANCH = re.compile(r"(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]+(?<![./])")
_AUTHOR = re.compile(r"[^<>]*\S[^<>]* <[^<>\s]+>")
_TEMPLATE = "a URL template with {url} or {url_without_scheme}"
_HTTP_TEMPLATE = "an http(s) URL template with {url} or {url_without_scheme}"


@dataclass(frozen=True)
class Fallback:
    """Another feed of the same outlet, polled when the current one has died."""

    feed: str
    body: Body = "auto"  # fallbacks are mostly the outlets' own feeds, which carry teasers
    link: Link = "link"
    selector: str | None = None


@dataclass(frozen=True)
class Source:
    abbr: str  # the archive folder: articles/<abbr>/
    name: str  # the list name: lists/<name>.md
    feed: str
    body: Body = "description"
    link: Link = "link"
    enabled: bool = True
    selector: str | None = None  # CSS selector of the article body when body = "page"
    categories: Literal["emoji"] | None = None  # "emoji": CDT's category rule
    category: str | None = field(  # a feed reader's folder: export-opml nests the outlet in it, import-opml keeps it
        default=None, metadata=must(lambda v: bool(v.strip()), "a folder name (not empty)")
    )
    timezone: str = field(  # for dates written without a zone
        default="Asia/Shanghai", metadata=must(_zone, "an IANA time zone name such as 'Asia/Shanghai'")
    )
    # body = "auto": feed bodies with less text than this come from the page
    min_length: int = field(default=300, metadata=at_least(0))
    fallbacks: tuple[Fallback, ...] = field(  # tried in order when the current feed dies
        default=(), metadata=spec('a list of tables such as [{ feed = "https://…" }]')
    )
    fallback_after: int = field(default=3, metadata=at_least(1))  # failed runs in a row before switching feeds
    # runs in a row without a new item before switching (or warning)
    idle_after: int = field(default=72, metadata=at_least(1))
    images: ImageMode | None = None  # image mode for this source; None: the vault's [images] mode
    recheck: bool = True  # re-check recent articles' pages for edits and deletions
    deleted_patterns: tuple[str, ...] = ()  # page text meaning "deleted/censored", beside the built-in set

    def feeds(self) -> list[Source]:
        """The primary feed and each fallback, as sources of the same outlet (same abbr and name)."""
        return [self] + [
            replace(self, feed=f.feed, body=f.body, link=f.link, selector=f.selector, fallbacks=())
            for f in self.fallbacks
        ]


@dataclass(frozen=True)
class ImageSettings:
    mode: ImageMode = "proxy"  # how displayed images load
    proxy: str = field(  # {url} or {url_without_scheme} is replaced
        default=DEFAULT_PROXY,
        metadata=spec(
            _TEMPLATE,
            rule(lambda t: _http(t) and ("{url}" in t or "{url_without_scheme}" in t), _HTTP_TEMPLATE),
        ),
    )
    max_bytes: int = field(default=10 * 1024 * 1024, metadata=spec(BYTES, POSITIVE))  # largest image mirrored
    attempts: int = field(default=5, metadata=spec(None, POSITIVE))  # runs trying a failing image before giving up
    per_run: int = field(default=500, metadata=spec(None, POSITIVE))  # images mirrored per run


@dataclass(frozen=True)
class FetchSettings:
    per_host: int = field(default=4, metadata=spec(None, POSITIVE))
    connections: int = field(default=64, metadata=spec(None, POSITIVE))  # concurrent requests in all
    timeout: float = field(default=30.0, metadata=spec(SECONDS, POSITIVE))
    max_bytes: int = field(default=20 * 1024 * 1024, metadata=spec(BYTES, POSITIVE))
    retries: int = 2
    allow_private: bool = False
    proxy: str | None = field(default=None, metadata=spec("a proxy URL"))
    pages_per_run: int = 50  # article pages fetched per source and run
    # new items stored per feed fetch, oldest first; the rest on the next runs
    items_per_run: int = field(default=1000, metadata=spec(None, POSITIVE))
    # seconds a worker may spend parsing one feed or extracting one page
    parse_budget: float = field(default=60.0, metadata=spec(SECONDS, FINITE, POSITIVE))


@dataclass(frozen=True)
class PublishRemote:
    # may name environment variables, ${VAR}, expanded only when pushing
    url: str = field(metadata=spec(None, rule(_git_url, "a git URL or path"), clean=str.strip))
    branch: str = field(default="main", metadata=spec(None, rule(_BRANCH.fullmatch, "a branch name such as 'main'")))
    name: str | None = None  # shown in reports instead of the (redacted) URL


@dataclass(frozen=True)
class PublishSettings:
    remotes: tuple[PublishRemote, ...] = field(
        default=(),
        metadata=spec("[[publish.remote]] tables", key="remote", item="[[publish.remote]] number {n}"),
    )
    retries: int = field(default=3, metadata=spec(None, NOT_NEGATIVE))  # extra push attempts per remote
    # seconds before the first retry, doubled for each further one
    backoff: float = field(default=2.0, metadata=spec(SECONDS, NOT_NEGATIVE))
    # seconds for one git network command (a hung push is killed)
    timeout: float = field(default=300.0, metadata=spec(SECONDS, POSITIVE))
    # for publish commits; None: git's own identity
    author: str | None = field(default=None, metadata=must(_AUTHOR.fullmatch, "'Name <email>'"))
    # where the published tree is read, e.g. "https://github.com/me/news/blob/main/": an article's
    # file path is appended to it for the archived link in notifications and the feeds of changes
    archive_url: str | None = field(default=None, metadata=must(_http, "an http(s) URL"))
    # WARC files of the captures (docs/EVIDENCE.md), written on each publish and pushed to these, never forced
    evidence: tuple[PublishRemote, ...] = field(
        default=(),
        metadata=spec("[[publish.evidence]] tables", item="[[publish.evidence]] number {n}"),
    )
    # the git work tree of the evidence, relative to the vault; never inside the archive tree
    evidence_path: str = field(default="evidence", metadata=spec("a path"))
    # the static site ([site] path, feeds of changes included) committed and pushed to these, never forced
    # (e.g. the gh-pages branch of the archive's own repository; docs/PUBLISH.md)
    site: tuple[PublishRemote, ...] = field(
        default=(),
        metadata=spec("[[publish.site]] tables", item="[[publish.site]] number {n}"),
    )


@dataclass(frozen=True)
class TreeSettings:
    """How the Markdown tree is laid out: the original's flat folders unless a vault asks otherwise."""

    shard_by_month: bool = False  # new articles go to articles/<abbr>/<yyyy>/<mm>/<id>.md
    monthly_lists: bool = False  # lists/<name>/<yyyy-mm>.md link every article, not only the newest 300


@dataclass(frozen=True)
class SiteSettings:
    enabled: bool = True  # `render` also writes the static site
    path: str = field(default="site", metadata=spec("a path"))  # relative to the vault; never inside the archive
    # where the site is served: absolute links in feeds out
    base_url: str | None = field(default=None, metadata=must(_http, "an http(s) URL"))
    feed_items: int = field(default=50, metadata=at_least(1))  # newest articles per feed


@dataclass(frozen=True)
class SearchSettings:
    # `run` and `import` bring the search index up to date. Off where nobody searches (a CI
    # runner): the index is derived data, and `search`, `serve` and `reindex` build it when asked.
    update: bool = True


NOTIFY_EVENTS = ("edited", "deleted", "new")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class TelegramSettings:
    """[notify.telegram]: edits and deletions posted to a channel; the token is never in vault.toml."""

    enabled: bool = False
    # the channel: "@name" or its numeric id such as "-1001234567890"; required when enabled
    channel: str | None = field(default=None, metadata=must(lambda c: bool(c.strip()), "a channel id or @name"))
    # the environment variable holding the bot token (read when posting, never written anywhere)
    token_env: str = field(
        default="NEWSVAULT_TELEGRAM_TOKEN", metadata=must(_ENV_NAME.fullmatch, "an environment variable name")
    )
    events: tuple[str, ...] = field(
        default=("edited", "deleted"),
        metadata=spec(
            "a list of " + ", ".join(repr(e) for e in NOTIFY_EVENTS),
            rule(lambda es: all(e in NOTIFY_EVENTS for e in es), "only " + ", ".join(map(repr, NOTIFY_EVENTS))),
        ),
    )
    outlets: tuple[str, ...] = ()  # abbrs of the outlets to post about; empty: every outlet
    api_url: str = field(default="https://api.telegram.org", metadata=must(_http, "an http(s) URL"))
    # messages a minute to the channel: the Bot API's limit is about 20
    per_minute: int = field(default=20, metadata=spec(None, POSITIVE))
    timeout: float = field(default=30.0, metadata=spec(SECONDS, FINITE, POSITIVE))  # for one API request


@dataclass(frozen=True)
class NotifySettings:
    telegram: TelegramSettings = field(default_factory=TelegramSettings)


@dataclass(frozen=True)
class TimestampSettings:
    """[timestamps]: each past China day's manifest of hashes stamped by RFC 3161 authorities (docs/EVIDENCE.md)."""

    enabled: bool = False
    # the RFC 3161 authorities asked in turn until one answers; required when enabled
    tsa_urls: tuple[str, ...] = ()
    # the CA certificate (PEM) the tokens must chain to, for `verify-proof`; relative to the vault
    tsa_cert: str | None = field(default=None, metadata=spec("a path"))
    timeout: float = field(default=30.0, metadata=spec(SECONDS, FINITE, POSITIVE))  # for one TSA request


@dataclass(frozen=True)
class WaybackSettings:
    """[witness.wayback]: each event's URL sent to the Wayback Machine (Save Page Now 2); keys never in vault.toml."""

    enabled: bool = False
    api_url: str = field(default="https://web.archive.org", metadata=must(_http, "an http(s) URL"))
    # the environment variables holding the archive.org S3 keys (read when submitting, never written anywhere)
    access_key_env: str = field(
        default="NEWSVAULT_IA_ACCESS", metadata=must(_ENV_NAME.fullmatch, "an environment variable name")
    )
    secret_key_env: str = field(
        default="NEWSVAULT_IA_SECRET", metadata=must(_ENV_NAME.fullmatch, "an environment variable name")
    )
    events: tuple[str, ...] = field(
        default=NOTIFY_EVENTS,
        metadata=spec(
            "a list of " + ", ".join(repr(e) for e in NOTIFY_EVENTS),
            rule(lambda es: all(e in NOTIFY_EVENTS for e in es), "only " + ", ".join(map(repr, NOTIFY_EVENTS))),
        ),
    )
    outlets: tuple[str, ...] = ()  # abbrs of the outlets witnessed; empty: every outlet
    per_minute: int = field(default=6, metadata=spec(None, POSITIVE))  # submissions a minute at most
    max_per_run: int = field(default=50, metadata=spec(None, POSITIVE))  # submissions in one run at most
    timeout: float = field(default=30.0, metadata=spec(SECONDS, FINITE, POSITIVE))  # for one API request


@dataclass(frozen=True)
class WitnessSettings:
    wayback: WaybackSettings = field(default_factory=WaybackSettings)


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
    search: SearchSettings = field(default_factory=SearchSettings)
    tree: TreeSettings = field(default_factory=TreeSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    timestamps: TimestampSettings = field(default_factory=TimestampSettings)
    witness: WitnessSettings = field(default_factory=WitnessSettings)

    def enabled(self, only: tuple[str, ...] | list[str] = ()) -> list[Source]:
        return [s for s in self.sources.values() if s.enabled and (not only or s.abbr in only)]
