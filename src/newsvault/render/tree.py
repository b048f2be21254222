"""Writing the archive tree from the store: articles, lists (newest 300, and by month if asked) and README.

Incremental by default (only articles whose content changed since they were
last written); `full=True` checks every file against the store and repairs what
differs, which is how `newsvault render` rebuilds a tree from the store alone.

An imported tree also brings files that are not articles (kept in the store
byte for byte): its README, which stays the user's, its lists, which stay as
they were until an article arrives that the tree did not have, and strays such
as ``.gitkeep``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, RowMapping

from newsvault.archive.article import format_article
from newsvault.archive.ids import article_path
from newsvault.archive.lists import UNDATED, ListEntry, format_list, format_month_index, format_month_list, list_month
from newsvault.archive.readme import format_readme
from newsvault.base.failpoints import failpoint
from newsvault.base.files import sweep_temporaries, write_atomic
from newsvault.config import Config
from newsvault.store import articles as store_articles
from newsvault.store import imports as store_imports
from newsvault.store import make_durable
from newsvault.store import sources as store_sources

from .site import render_site
from .versions_tree import render_versions

LIST_LENGTH = 300
_SHA_BATCH = 1000  # rendered_sha updates per transaction: a first render may cover 180,000 files


@dataclass
class RenderStats:
    written: int = 0  # files whose bytes changed
    checked: int = 0  # files looked at


def article_bytes(row: RowMapping) -> bytes:
    """The file of one stored article: its kept original bytes, else the final format."""
    if row["raw"] is not None:
        raw: bytes = row["raw"]
        return raw
    return format_article(row["date_ms"], row["title"], row["link"], row["body"], escaped=escaped(row))


def escaped(row: RowMapping) -> bool:
    """Whether the article is written with its title escaped: all but imported files as they were imported.

    An imported file whose fields are stored (not its bytes) is written as the
    original wrote it, so it comes back byte for byte; once a feed has changed
    it (`updated_ms`), its title is the feed's and is escaped like any new one.
    """
    return not (bool(row["imported"]) and row["updated_ms"] is None)


def _render_articles(engine: Engine, abbr: str, target: Path, full: bool, stats: RenderStats) -> None:
    done: list[tuple[int, str]] = []
    with engine.connect() as conn:
        for row in store_articles.for_render(conn, abbr, only_dirty=not full):
            if row["body"] is None and row["raw"] is None:
                continue  # waiting for its page
            data = article_bytes(row)
            stats.checked += 1
            if write_atomic(target / article_path(abbr, row["archive_id"], row["path"], row["shard"]), data):
                stats.written += 1
                failpoint("render.article_written")  # the file is new, its mark in the store is not
            sha = hashlib.sha256(data).hexdigest()
            if row["rendered_sha"] != sha:
                done.append((row["id"], sha))
                if len(done) >= _SHA_BATCH:
                    _mark_rendered(engine, done)
                    done = []
    _mark_rendered(engine, done)


def _mark_rendered(engine: Engine, done: list[tuple[int, str]]) -> None:
    if done:
        with engine.begin() as conn:
            store_imports.set_rendered(conn, done)


def _list_entry(abbr: str, row: RowMapping) -> ListEntry:
    """A list line for a stored article, linking the file where it lives."""
    return ListEntry(
        abbr=abbr,
        id=row["archive_id"],
        title=row["title"],
        ms=row["date_ms"],
        file=article_path(abbr, row["archive_id"], row["path"], row["shard"]),
        escaped=escaped(row),
    )


def _render_list(engine: Engine, abbr: str, name: str, target: Path, stats: RenderStats) -> None:
    with engine.connect() as conn:
        rows = store_imports.newest_in_folder(conn, abbr, LIST_LENGTH)
    entries = [_list_entry(abbr, r) for r in rows if r["body"] is not None or r["raw"] is not None]
    stats.checked += 1
    if write_atomic(target / "lists" / f"{name}.md", format_list(name, entries)):
        stats.written += 1


def _render_months(engine: Engine, abbr: str, name: str, target: Path, stats: RenderStats) -> None:
    """``lists/<name>/<yyyy-mm>.md`` for every month of the outlet, their index, and no stale month."""
    months: dict[str, list[ListEntry]] = {}
    with engine.connect() as conn:
        for r in store_articles.for_month_lists(conn, abbr):
            months.setdefault(list_month(r["date_ms"]), []).append(_list_entry(abbr, r))
    folder = target / "lists" / name
    order = sorted(months, key=lambda m: (m != UNDATED, m), reverse=True)  # newest month first, undated last
    files = {f"{m}.md": format_month_list(name, m, months[m]) for m in order}
    files["README.md"] = format_month_index(name, [(m, len(months[m])) for m in order])
    for file_name, data in files.items():
        stats.checked += 1
        stats.written += write_atomic(folder / file_name, data)
    for stale in folder.glob("*.md"):  # a month whose articles all moved to another (their dates were edited)
        if stale.name not in files:
            stale.unlink()
            stats.written += 1


def _kept_lists_in_use(engine: Engine, abbr: str, paths: list[str]) -> bool:
    """Whether an outlet's imported lists still stand; once new articles arrived they go.

    A list that goes is deleted from the store, so the outlet's list is generated
    (final format) from then on, whatever happens to later articles.
    """
    with engine.connect() as conn:
        if not store_imports.has_new_articles(conn, abbr):
            return True
    with engine.begin() as conn:
        store_imports.drop_kept(conn, paths)
    return False


def _render_kept(engine: Engine, path: str, target: Path, full: bool, stats: RenderStats) -> None:
    if not full and (target / path).exists():
        return
    with engine.connect() as conn:
        data = store_imports.kept_bytes(conn, path)
    stats.checked += 1
    if data is not None and write_atomic(target / path, data):
        stats.written += 1


def render_tree(engine: Engine, config: Config, *, full: bool = False) -> RenderStats:
    target = config.archive
    stats = RenderStats()
    make_durable(engine)  # no file may name an article a power cut could take from the store
    sweep_temporaries(target)
    with engine.connect() as conn:
        known = {row["abbr"]: row["name"] for row in store_sources.all_sources(conn)}
        readme_owner = store_sources.get_meta(conn, "readme")
        kept = store_imports.kept_index(conn)
    if config.tree.monthly_lists:  # an imported tree's own monthly lists give way to the store's
        generated = tuple(f"lists/{name}/" for name in known.values())
        superseded = {row["path"] for row in kept if row["path"].startswith(generated)}
        if superseded:
            with engine.begin() as conn:
                store_imports.drop_kept(conn, superseded)
            kept = [row for row in kept if row["path"] not in superseded]
    kept_lists: dict[str, list[str]] = {}
    for row in kept:
        if row["kind"] == "list" and row["source"] is not None:
            kept_lists.setdefault(row["source"], []).append(row["path"])
    dropped: set[str] = set()
    # Lists are made from the store on every render, not only when an article was
    # written now: a render killed between marking articles written and writing
    # their lists would otherwise leave the lists stale until the next article.
    # Unchanged lists cost a query and a compare, never a write.
    for abbr, name in known.items():
        _render_articles(engine, abbr, target, full, stats)
        if config.tree.monthly_lists:
            _render_months(engine, abbr, name, target, stats)
        imported_lists = kept_lists.get(abbr)
        if imported_lists and _kept_lists_in_use(engine, abbr, imported_lists):
            continue  # written below with the other kept files
        dropped.update(imported_lists or ())
        failpoint("render.lists")  # between one outlet's articles (and monthly lists) and its newest-300 list
        _render_list(engine, abbr, name, target, stats)
    for row in kept:
        if row["path"] in dropped or (row["kind"] == "readme" and readme_owner != "user"):
            continue
        _render_kept(engine, row["path"], target, full, stats)
    checked, written = render_versions(engine, target, list(known), full)
    stats.checked += checked
    stats.written += written
    if config.site.enabled:  # outside the archive: its pages are not counted as the tree's files
        render_site(engine, config, full=full)
    if readme_owner != "user":
        stats.checked += 1
        names = [s.name for s in config.enabled()]
        if write_atomic(target / "README.md", format_readme(names, monthly=config.tree.monthly_lists)):
            stats.written += 1
    return stats
