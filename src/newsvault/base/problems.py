"""What went wrong, or is worth knowing, as a value: turned into text only where a person reads it.

Stages report problems as `Problem`s (a kind, what it is about, the detail)
so that callers decide by kind, never by matching a message's words, and the
edges (the run's summary, `status`, the fetch log, worker logs) each turn them
into text the same way, with `str()`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Kind(StrEnum):
    # An item kept with a gap, or refused.
    NO_TITLE = "no-title"
    NO_DATE = "no-date"
    NO_BODY = "no-body"  # the source's body field was empty (the other, or none, was archived)
    ITEM_REFUSED = "item-refused"
    # A source's feed could not be read (all of it, or the rest of a malformed one).
    FETCH = "fetch"
    MALFORMED_FEED = "malformed-feed"
    TOO_COSTLY = "too-costly"  # parsing or extraction ran past its budget
    # An article page, a re-check, or a step of the poll after the feed.
    PAGE = "page"
    RECHECK = "recheck"
    # Not failures: worth knowing.
    FEED_SWITCHED = "feed-switched"
    FEED_QUIET = "feed-quiet"
    DEFERRED = "deferred"  # more new items than one run stores
    STATUS = "status"  # a re-check found an article changed, gone or censored
    # Notifications (docs/NOTIFY.md): the channel refused them (a wrong token or channel: fix and they go
    # out), or could not take them now (an outage, the rate limit: they wait for the next run).
    NOTIFY = "notify"
    NOTIFY_DEFERRED = "notify-deferred"
    # The operator's `notify --resend/--drop` (docs/NOTIFY.md): an id that is no message of the channel, a
    # message in a state the action does not apply to, or another process posting to the channel meanwhile.
    NO_MESSAGE = "no-message"
    WRONG_STATE = "wrong-state"
    NOTIFY_BUSY = "notify-busy"
    # Read back from the fetch log, where only the words were kept (a round polled by other workers).
    LOGGED = "logged"
    # A source refused by `add` or `import-opml`, nothing written for it.
    NO_FEED = "no-feed"  # a page linking no feed that fetches and parses, at none of the usual paths either
    DUPLICATE = "duplicate"  # the vault has this feed, abbr or name already
    NOT_USABLE = "not-usable"  # a name or abbr vault.toml refuses (a path separator, a reserved name, …)
    # Nothing any stage turned into a reason: a full disk or a bug.
    DISK_FULL = "disk-full"
    INTERNAL = "internal"


# Archived all the same, or nothing lost: worth knowing, never a failed run. A feed
# of nine outlets always has an undated item somewhere; an hourly job that turned
# red for it every hour would teach its owner to ignore red.
NOTES = frozenset(
    {
        Kind.NO_TITLE,
        Kind.NO_DATE,
        Kind.NO_BODY,
        Kind.FEED_SWITCHED,
        Kind.FEED_QUIET,
        Kind.DEFERRED,
        Kind.STATUS,
        Kind.NOTIFY_DEFERRED,
    }
)


@dataclass(frozen=True)
class Problem:
    kind: Kind
    detail: str
    about: str | None = None  # what it concerns: "item 3 (title)", "page <url>", "fetch log"

    @property
    def failure(self) -> bool:
        """Something was not archived, or a source could not be read: the run exits 1 for it."""
        return self.kind not in NOTES

    def __str__(self) -> str:
        return f"{self.about}: {self.detail}" if self.about else self.detail

    def concerning(self, about: str) -> Problem:
        """The same problem said of `about` (an item's number and title, a page), which the caller knows."""
        return replace(self, about=f"{about}: {self.about}" if self.about else about)
