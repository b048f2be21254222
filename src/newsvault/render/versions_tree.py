"""Earlier versions and the edited / deleted lists in the published tree.

An article's own file (`articles/<abbr>/<id>.md`, or in its month folder)
always holds the current version, so old links keep working; each earlier
version is `versions/<abbr>/[<yyyy>/<mm>/]<id>/<n>.md` in the same five-line
format, and two lists name what changed or vanished at the source.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Engine, RowMapping

from newsvault.archive.article import format_article
from newsvault.archive.ids import article_path
from newsvault.archive.lists import ListEntry, format_list
from newsvault.base.files import write_atomic
from newsvault.store import sources as store_sources
from newsvault.store import statuses, versions

EDITED = "已修改"
DELETED = "已删除"
_DONE_KEY = "versions_rendered_upto"  # the largest version id already written


def version_path(abbr: str, archive_id: int, n: int, shard: str | None = None) -> str:
    """``versions/<abbr>/<id>/<n>.md``; in the article's month folder when it has one (big trees)."""
    return f"versions/{abbr}/{shard}/{archive_id}/{n}.md" if shard else f"versions/{abbr}/{archive_id}/{n}.md"


class VersionFile(NamedTuple):
    path: str
    data: bytes
    id: int  # the version's row id
    title: str  # what the file's header must read back to (`verify`)
    link: str


def version_files(engine: Engine, abbr: str, after_id: int | None = None) -> Iterator[VersionFile]:
    """Every earlier version of the outlet's articles, as its file."""
    with engine.connect() as conn:
        rows = versions.earlier(conn, abbr, after_id)
    for v in rows:
        if v["body"] is None or v["date_ms"] is None:
            continue
        yield VersionFile(
            version_path(abbr, v["archive_id"], v["n"], v["shard"]),
            format_article(v["date_ms"], v["title"], v["link"], v["body"], escaped=True),
            v["id"],
            v["title"],
            v["link"],
        )


def _file(row: RowMapping) -> str:
    return article_path(row["source"], row["archive_id"], row["path"], row["shard"])


def _change_list(name: str, rows: list[RowMapping], when: str) -> bytes:
    """A list across outlets, in the store's order (newest change first), dated by the change."""
    entries = (
        ListEntry(abbr=r["source"], id=r["archive_id"], title=r["title"], ms=r[when], file=_file(r), escaped=True)
        for r in rows
    )
    return format_list(name, entries, in_given_order=True)


def _has_changes(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(versions.edited(conn, 1) or statuses.deleted(conn))


def change_lists(engine: Engine, target: Path) -> dict[str, bytes]:
    """The edited and deleted lists, path → bytes: once anything changed, or where the tree has them already.

    A tree whose articles never changed has no such lists (the original had none).
    """
    with engine.connect() as conn:
        edited = versions.edited(conn)
        deleted = statuses.deleted(conn)
    lists = {
        f"lists/{EDITED}.md": _change_list(EDITED, edited, "at"),
        f"lists/{DELETED}.md": _change_list(DELETED, deleted, "last_ms"),
    }
    if edited or deleted:
        return lists
    return {path: data for path, data in lists.items() if (target / path).exists()}


def render_versions(engine: Engine, target: Path, abbrs: list[str], full: bool) -> tuple[int, int]:
    """Write what changed (everything with `full`); (files checked, files written)."""
    with engine.connect() as conn:
        done = store_sources.get_meta(conn, _DONE_KEY)
    after = None if full or done is None else int(done)
    checked = written = 0
    top = after or 0
    for abbr in abbrs:
        for file in version_files(engine, abbr, after):
            checked += 1
            written += write_atomic(target / file.path, file.data)
            top = max(top, file.id)
    if full or _has_changes(engine):
        for path, data in change_lists(engine, target).items():
            checked += 1
            written += write_atomic(target / path, data)
    if top != (after or 0):
        with engine.begin() as conn:
            store_sources.set_meta(conn, _DONE_KEY, str(top))
    return checked, written
