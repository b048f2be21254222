"""Earlier versions and the edited / deleted lists in the published tree.

An article's own file (`articles/<abbr>/<id>.md`, or in its month folder)
always holds the current version, so old links keep working; each earlier
version is `versions/<abbr>/[<yyyy>/<mm>/]<id>/<n>.md` in the same five-line
format, and two lists name what changed or vanished at the source. The
feeds of changes the site has go in the tree too (`feeds/changes/`), so a
reader of the repository alone can follow the edits and deletions.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

from sqlalchemy import Engine, RowMapping

from newsvault.archive.article import format_article
from newsvault.archive.ids import article_path, version_path
from newsvault.archive.lists import (
    DELETED,
    EDITED,
    ListEntry,
    entry_line,
    format_lines,
    format_list,
    line_file,
    list_lines,
)
from newsvault.base.files import write_atomic
from newsvault.config import Config
from newsvault.store import changes as store_changes
from newsvault.store import imports as store_imports
from newsvault.store import sources as store_sources
from newsvault.store import statuses, versions
from newsvault.store.marks import IdMark, mark_from

from .site.changefeeds import KINDS, Links, change_feed_files, fallback_home
from .site.feeds import FORMATS, FeedEntry
from .site.paths import change_feed

# The versions' id mark (store.marks) when the tree's versions were last written: articles with a
# version past it have an earlier version to write. Renamed from "versions_rendered_upto", the largest id of a version
# file written, under which versions pushed out after it were never written: a tree kept under that
# mark is written whole once, which adds the files it lacks.
_DONE_KEY = "versions_written_upto"
_FEEDS_KEY = "tree_change_feeds"  # what the tree's feeds of changes were last made from
FEEDS_FORMAT = 1  # raise when the tree's feeds change shape: the next render makes them again


class VersionFile(NamedTuple):
    path: str
    data: bytes
    title: str  # what the file's header must read back to (`verify`)
    link: str


def version_files(engine: Engine, abbr: str, since: IdMark | None = None) -> Iterator[VersionFile]:
    """Every earlier version of the outlet's articles, as its file (of those with a version past `since`)."""
    with engine.connect() as conn:
        rows = versions.earlier(conn, abbr, since)
    for v in rows:
        if v["body"] is None or v["date_ms"] is None:
            continue
        yield VersionFile(
            version_path(abbr, v["archive_id"], v["n"], v["shard"]),
            format_article(v["date_ms"], v["title"], v["link"], v["body"], escaped=True),
            v["title"],
            v["link"],
        )


def _file(row: RowMapping) -> str:
    return article_path(row["source"], row["archive_id"], row["path"], row["shard"])


def _change_list(name: str, rows: list[RowMapping], when: str, published: bytes | None) -> bytes:
    """A list across outlets, in the store's order (newest change first), dated by the change.

    `published`: the list as an imported tree had it (a store rebuilt after a
    lost cache, which cannot read the changes back). Every change this store
    noticed came after them: its entries first, then the published entries of
    articles it does not list, so a change noticed before the rebuild stays
    listed until newer ones push it out, as it would have without the rebuild.
    """
    entries = [
        ListEntry(abbr=r["source"], id=r["archive_id"], title=r["title"], ms=r[when], file=_file(r), escaped=True)
        for r in rows
    ]
    if published is None:
        return format_list(name, entries, in_given_order=True)
    listed = {entry.file for entry in entries}
    earlier = (line for line in list_lines(published) if line_file(line) not in listed)
    return format_lines(name, itertools.chain(map(entry_line, entries), earlier))


def _knows_changes(engine: Engine) -> bool:
    """Until the store noticed a change, the change lists and feeds are not its to write.

    A tree whose articles never changed has none (the original had none); a
    store rebuilt from the tree keeps the published lists as they are
    (imported as kept files) and leaves the feeds as they are, rather than
    emptying them.
    """
    with engine.connect() as conn:
        return store_changes.noticed_any(conn)


CHANGE_LISTS = (f"lists/{EDITED}.md", f"lists/{DELETED}.md")


def change_lists(engine: Engine) -> dict[str, bytes]:
    """The edited and deleted lists, path → bytes: both once the store saw any change, before that those imported."""
    with engine.connect() as conn:
        published = {path: store_imports.kept_bytes(conn, path) for path in CHANGE_LISTS}
    if not _knows_changes(engine):
        return {path: data for path, data in published.items() if data is not None}
    with engine.connect() as conn:
        edited = versions.edited(conn)
        deleted = statuses.deleted(conn)
    edited_path, deleted_path = CHANGE_LISTS
    return {
        edited_path: _change_list(EDITED, edited, "at", published[edited_path]),
        deleted_path: _change_list(DELETED, deleted, "last_ms", published[deleted_path]),
    }


def render_versions(engine: Engine, target: Path, abbrs: list[str], full: bool) -> tuple[int, int]:
    """Write what changed (everything with `full`); (files checked, files written)."""
    with engine.connect() as conn:
        done = store_sources.get_meta(conn, _DONE_KEY)
        top = store_changes.change_stamp(conn)[0]  # before reading: a version added meanwhile is past it
    since = None if full or done is None else mark_from(json.loads(done))
    checked = written = 0
    for abbr in abbrs:
        for file in version_files(engine, abbr, since):
            checked += 1
            written += write_atomic(target / file.path, file.data)
    for path, data in change_lists(engine).items():
        checked += 1
        written += write_atomic(target / path, data)
    if top != since:
        with engine.begin() as conn:
            store_sources.set_meta(conn, _DONE_KEY, json.dumps(list(top)))
    return checked, written


def render_change_feeds(engine: Engine, config: Config, names: dict[str, str], target: Path, full: bool) -> int:
    """The feeds of changes in the tree, for every outlet and each one, as the site's; the files written.

    Written once anything changed, as the change lists are, and made again
    only when a version or a status was added since, the settings they show
    changed, or a file is missing: an hourly run that found no edit makes none.
    Entries link to the article's file at `[publish] archive_url` (and to the
    original); each feed's page is the change list there.
    """
    archive_url = config.publish.archive_url
    paths = [change_feed(kind, abbr, ext) for abbr in (None, *names) for kind in KINDS for ext in FORMATS]
    with engine.connect() as conn:
        stamp = store_changes.moved_stamp(conn)
        made = store_sources.get_meta(conn, _FEEDS_KEY)
    key = json.dumps([FEEDS_FORMAT, *stamp, archive_url, names], ensure_ascii=False, sort_keys=True)
    if not full and made == key and all((target / path).exists() for path in paths):
        return 0
    if not _knows_changes(engine):
        return 0
    links = Links(None, archive_url)
    written = 0
    with engine.connect() as conn:
        for abbr in (None, *names):

            def home(kind: str, entries: list[FeedEntry], abbr: str | None = abbr) -> str:
                listed = f"lists/{EDITED if kind == 'edited' else DELETED}.md"
                return (
                    archive_url.rstrip("/") + "/" + quote(listed)
                    if archive_url
                    else fallback_home(config, abbr, entries)
                )

            for path, data in change_feed_files(conn, abbr, names, links, home, None):
                written += write_atomic(target / path, data)
    with engine.begin() as conn:
        store_sources.set_meta(conn, _FEEDS_KEY, key)
    return written
