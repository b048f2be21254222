"""What a new source is called when nobody said: its feed's title, and a folder name from its host.

And when two URLs are the same feed: WHATWG-normalised (case, default ports,
dot segments, percent-encoding), the fragment dropped, http and https and a
trailing slash taken as the same address, which is how the same feed gets
pasted twice.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable

import ada_url

from newsvault.base.hrefs import whatwg_href

NAME_CHARS = 80  # a derived name: a feed's title can be a sentence
NAME_BYTES = 200  # in UTF-8, well inside a file name's 255 with ".md" (80 emoji are 320)
ABBR_CHARS = 40
_SKIPPED_LABELS = {"www", "m", "feed", "feeds", "rss", "atom"}  # the host's subdomains that name no outlet
_SECOND_LEVEL = {"co", "com", "org", "net", "gov", "edu", "ac"}  # under a country code: bbc.co.uk, rfa.org.tw
_NOT_IN_ABBR = re.compile(r"[^\w-]+")
_NOT_IN_NAME = re.compile(r"[/\\]+")


def fold(value: str) -> str:
    """As macOS and Windows compare file names (config's rule for abbrs and names)."""
    return unicodedata.normalize("NFC", value).casefold()


def normalised(url: str) -> str:
    """`url` as a browser writes it (what vault.toml gets); as given when it is not an absolute URL."""
    try:
        return whatwg_href(url.strip())
    except ValueError:
        return url.strip()


def feed_key(url: str) -> str:
    """`url` as compared for duplicates; the URL itself when it is not one a parser accepts."""
    href = normalised(url).split("#", 1)[0]
    href = re.sub(r"^https?://", "//", href)
    return href[:-1] if href.endswith("/") else href


def _printable(text: str) -> str:
    return "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text)


def derive_name(title: str | None, url: str) -> str:
    """The feed's title on one line, without path separators, cut to NAME_CHARS; else the URL's host."""
    name = " ".join(_NOT_IN_NAME.sub("-", _printable(title or "")).split()).lstrip(".").strip()
    if len(name) > NAME_CHARS or len(name.encode()) > NAME_BYTES:
        while len(name) >= NAME_CHARS or len(name.encode()) > NAME_BYTES - len("…".encode()):
            name = name[:-1]
        name = name.rstrip() + "…"
    return name or host(url) or "feed"


def host(url: str) -> str:
    """The URL's host as the WHATWG parser reads it (IPv6 without brackets); "" for no URL."""
    try:
        return str(ada_url.URL(url).hostname).strip("[]")
    except ValueError:
        return ""


def _outlet_label(name: str) -> str:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        pass
    else:
        return name.replace(".", "-").replace(":", "-")
    labels = [label for label in name.split(".") if label]
    try:
        labels = [label.encode("ascii").decode("idna") for label in labels]
    except UnicodeError:  # not a valid IDNA label: kept as it is spelt
        pass
    if len(labels) > 1:
        country = len(labels[-1]) == 2
        labels = labels[:-1]  # the top-level domain
        if country and len(labels) > 1 and labels[-1] in _SECOND_LEVEL:
            labels = labels[:-1]
    named = [label for label in labels if label not in _SKIPPED_LABELS]
    return (named or labels or ["feed"])[-1]


def derive_abbr(url: str, taken: Callable[[str], bool]) -> str:
    """A folder name from the URL's host ("https://cn.nytimes.com/rss/" gives "nytimes"), numbered if `taken`."""
    base = _NOT_IN_ABBR.sub("-", _outlet_label(host(url)).lower()).strip("-_")[:ABBR_CHARS] or "feed"
    abbr, n = base, 1
    while taken(abbr):
        n += 1
        abbr = f"{base}-{n}"
    return abbr
