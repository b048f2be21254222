"""From a URL asked for and a feed found to a `[sources.<abbr>]` table, or a refusal saying why not.

Duplicates are refused by what makes two outlets one: the same feed (any of
an outlet's feeds, fallbacks included, compared as `naming.feed_key` does), the
same folder or the same list name (compared as config compares them). A name or
folder nobody gave is derived, and a derived folder never takes a built-in
outlet's name (the new source would inherit that outlet's settings) nor a
folder the archive already holds (its articles would be mixed with another's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from newsvault.base.problems import Kind, Problem
from newsvault.config import ConfigError, Source, catalogue
from newsvault.config.edit import VaultEditor

from .discover import Found, Refused
from .naming import derive_abbr, derive_name, feed_key, fold, normalised

_DEFAULTS = Source(abbr="", name="", feed="")
CONTENT_SHARE = 0.5  # items carrying full content (content:encoded, Atom content) for body = "content:encoded"


@dataclass(frozen=True)
class Wanted:
    url: str
    name: str | None = None  # given by the user: used as it is
    abbr: str | None = None
    title: str | None = None  # a list's label for it (an OPML outline's text): made usable, as a feed's title is
    category: str | None = None
    enabled: bool = True
    settings: Mapping[str, str] = field(default_factory=dict)  # body, link as a list states them


@dataclass(frozen=True)
class Added:
    abbr: str
    name: str
    feed: str
    page: str | None  # the page the feed was found from
    items: int | None  # items in the feed when it was checked; None when it was not
    problem: str | None  # what the parser had to recover from
    builtin: bool  # a built-in outlet's abbr: settings not written are the catalogue's


def _refused(kind: Kind, detail: str, url: str) -> Refused:
    return Refused(Problem(kind, detail, url))


class Subscriptions:
    """The sources of one vault.toml, added to one by one; `editor.save()` writes them."""

    def __init__(self, editor: VaultEditor) -> None:
        self.editor = editor
        self._builtin = catalogue()

    def _feeds(self) -> dict[str, str]:
        """Each configured feed URL's key -> the abbr of its outlet."""
        return {
            feed_key(feed.feed): source.abbr
            for source in self.editor.config.sources.values()
            for feed in source.feeds()
        }

    def _same_feed(self, wanted: Wanted, *urls: str) -> None:
        feeds = self._feeds()
        for url in urls:
            if (abbr := feeds.get(feed_key(url))) is not None:
                said = "" if url == wanted.url else f" (found at {url})"
                raise _refused(Kind.DUPLICATE, f"already in vault.toml as [sources.{abbr}]{said}", wanted.url)

    def _same_abbr(self, wanted: Wanted, abbr: str) -> None:
        for other in self.editor.config.sources:
            if fold(other) == fold(abbr):
                raise _refused(Kind.DUPLICATE, f"vault.toml has [sources.{other}] already", wanted.url)

    def _same_name(self, wanted: Wanted, name: str) -> None:
        for source in self.editor.config.sources.values():
            if fold(source.name) == fold(name):
                said = f"the name {name!r} is [sources.{source.abbr}]'s already (choose another)"
                raise _refused(Kind.DUPLICATE, said, wanted.url)

    def known(self, wanted: Wanted) -> None:
        """Refuse what is a duplicate before anything is fetched: the URL as given, a given abbr or name."""
        self._same_feed(wanted, wanted.url)
        if wanted.abbr:
            self._same_abbr(wanted, wanted.abbr)
        if wanted.name:
            self._same_name(wanted, wanted.name)

    def _taken(self, abbr: str) -> bool:
        folded = fold(abbr)
        return (
            any(fold(other) == folded for other in self.editor.config.sources)
            or any(fold(b) == folded for b in self._builtin)
            or (self.editor.config.archive / "articles" / abbr).exists()
        )

    def add(self, wanted: Wanted, found: Found | None) -> Added:
        """Add `wanted` as `found` (None: unchecked) to the vault.toml being edited; raises Refused."""
        self.known(wanted)
        feed_url = normalised(found.url if found else wanted.url)
        if not feed_url.startswith(("http://", "https://")):  # unchecked: nothing fetched it to say so
            raise _refused(Kind.NOT_USABLE, "not an http(s) URL", wanted.url)
        if found:
            self._same_feed(wanted, found.url, found.final_url)
        title = found.feed.title if found else None
        name = wanted.name or derive_name(wanted.title or title, feed_url)
        self._same_name(wanted, name)
        abbr = wanted.abbr or derive_abbr(wanted.url, self._taken)
        base = self._builtin.get(abbr)
        keys: dict[str, str | bool] = {"name": name, "feed": feed_url}
        if wanted.settings:  # written where they differ from what the outlet gets without them
            keys |= {k: v for k, v in wanted.settings.items() if v != getattr(base or _DEFAULTS, k)}
        elif found and base is None and found.feed.entries:
            with_content = sum(1 for e in found.feed.entries if e.content)
            if with_content >= CONTENT_SHARE * len(found.feed.entries):
                keys["body"] = "content:encoded"
        if wanted.category:
            keys["category"] = wanted.category
        if not wanted.enabled:
            keys["enabled"] = False
        try:
            self.editor.add(abbr, keys)
        except ConfigError as exc:
            raise _refused(Kind.NOT_USABLE, str(exc), wanted.url) from None
        return Added(
            abbr=abbr,
            name=name,
            feed=feed_url,
            page=found.page if found else None,
            items=len(found.feed.entries) if found else None,
            problem=found.feed.problem if found else None,
            builtin=base is not None,
        )
