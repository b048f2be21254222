"""Where each page of the site lives, and links between pages that work from file://.

Every link is relative to the page that carries it, so the site can be opened
from a folder, a USB stick or any web server path without a base URL.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import quote

from newsvault.base.clock import china_minute, in_china
from newsvault.config import Config

INDEX = "index.html"
EDITED = "edited.html"
DELETED = "deleted.html"
HEALTH = "health.html"
CSS = "site.css"
CHANGE_FEEDS = "feeds/changes/"  # the feeds of changes' folder


def site_root(config: Config) -> Path:
    return (config.vault / config.site.path).resolve()


def month_of(ms: int) -> str:
    """`yyyy-mm` in China time: the month page an article is listed on."""
    return in_china(ms).strftime("%Y-%m")


def when(ms: int | None) -> str:
    return china_minute(ms) if ms is not None else ""


def outlet_page(abbr: str) -> str:
    return f"{abbr}/{INDEX}"


def month_page(abbr: str, month: str) -> str:
    return f"{abbr}/{month}.html"


def article_page(abbr: str, archive_id: int, path: str | None) -> str:
    """`<abbr>/<id>.html`; a file of the 2020 layout (whose id may repeat) gets a name from its path."""
    if path is None:
        return f"{abbr}/{archive_id}.html"
    return f"{abbr}/x/{archive_id}-{hashlib.sha256(path.encode('utf-8', 'surrogatepass')).hexdigest()[:10]}.html"


def article_urn(abbr: str, archive_id: int, path: str | None) -> str:
    """The id feeds give an article: its page's name, stable for as long as the article is kept."""
    return f"urn:newsvault:{article_page(abbr, archive_id, path).removesuffix('.html')}"


def change_feed(kind: str, abbr: str | None, ext: str) -> str:
    """`feeds/changes/<kind>.<ext>` for all outlets, `feeds/changes/<abbr>/<kind>.<ext>` for one.

    A folder of their own: no outlet's name (not even "all" or "edited") can collide with them.
    """
    return f"{change_feeds(kind, abbr)}.{ext}"


def change_feeds(kind: str, abbr: str | None) -> str:
    """The feed of changes `kind` without its format's extension."""
    return f"{CHANGE_FEEDS}{abbr}/{kind}" if abbr else f"{CHANGE_FEEDS}{kind}"


def history_page(article: str) -> str:
    """The versions page of the article whose page is `article`."""
    return article.removesuffix(".html") + ".versions.html"


def href(from_page: str, to_page: str) -> str:
    """A relative, percent-encoded link from one site page to another (both site-relative).

    From the folders the two share: what ``posixpath.relpath`` gives for such
    paths, without its two ``abspath`` calls (each a ``getcwd``), which were a
    sixth of a full render's time at 40,000 links. Most links go down from the
    page's folder (a page of the root, or an outlet's page to its months and
    articles): those are the rest of the target's path, with no splitting.
    """
    folder = from_page.rpartition("/")[0]
    if not folder:
        return _quoted(to_page.rstrip("/") or ".")
    if to_page.startswith(folder) and to_page[len(folder) : len(folder) + 1] == "/":
        return _quoted(to_page[len(folder) + 1 :].rstrip("/") or ".")
    here, there = folder.split("/"), to_page.rstrip("/").split("/")
    shared = 0
    for mine, theirs in zip(here, there, strict=False):
        if mine != theirs:
            break
        shared += 1
    return _quoted("/".join([".."] * (len(here) - shared) + there[shared:]) or ".")


_UNQUOTED = re.compile(r"[A-Za-z0-9/._~#-]*")  # what quote(..., safe="/.-_~#") leaves as it is


def _quoted(link: str) -> str:
    """`link` percent-encoded; the common all-ASCII name as it is, without quote's work."""
    return link if _UNQUOTED.fullmatch(link) else quote(link, safe="/.-_~#")
