"""Sources managed as a feed reader manages them: add a site by its URL, OPML out and in.

`find_feed` finds and checks a feed (fetched and parsed once, as a run would);
`Subscriptions` turns what was asked and found into `[sources.<abbr>]` tables
of vault.toml, refusing duplicates; `format_opml` and `read_opml` are OPML 2.0.
"""

from .discover import COMMON_PATHS, Found, Refused, find_feed, find_feeds
from .opml import OpmlError, OpmlFeed, format_opml, read_opml
from .plan import Added, Subscriptions, Wanted

__all__ = [
    "COMMON_PATHS",
    "Added",
    "Found",
    "OpmlError",
    "OpmlFeed",
    "Refused",
    "Subscriptions",
    "Wanted",
    "find_feed",
    "find_feeds",
    "format_opml",
    "read_opml",
]
