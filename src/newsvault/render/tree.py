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
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, RowMapping

from newsvault.archive.article import format_article, parse_article
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
from .versions_tree import render_change_feeds, render_versions

LIST_LENGTH = 300
WRITING_KEY = "tree_writing"  # in `meta` while a render writes the tree: still there, it was interrupted
MONTHS_KEY = "tree_months"  # each monthly-list folder's months and their counts, as last written
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


def _render_articles(engine: Engine, abbr: str, target: Path, full: bool, stats: RenderStats) -> set[str]:
    """Write the outlet's changed articles (all with `full`); the months of their lists, before and after."""
    done: list[tuple[int, int | None, str]] = []
    months: set[str] = set()
    with engine.connect() as conn:
        for row in store_articles.for_render(conn, abbr, only_dirty=not full):
            if row["body"] is None and row["raw"] is None:
                continue  # waiting for its page
            data = article_bytes(row)
            stats.checked += 1
            path = target / article_path(abbr, row["archive_id"], row["path"], row["shard"])
            if not full:
                months.add(list_month(row["date_ms"]))
                months.add(_listed_month(path))  # where its date was: an edited date moves it
            if write_atomic(path, data):
                stats.written += 1
                failpoint("render.article_written")  # the file is new, its mark in the store is not
            sha = hashlib.sha256(data).hexdigest()
            if row["rendered_sha"] != sha:
                done.append((row["id"], row["updated_ms"], sha))
                if len(done) >= _SHA_BATCH:
                    _mark_rendered(engine, done)
                    done = []
    _mark_rendered(engine, done)
    months.discard(_NOT_LISTED)
    return months


_NOT_LISTED = ""  # an article without a file yet is in no monthly list


def _listed_month(path: Path) -> str:
    """The month whose list holds the article now in `path` (by the date its file has), if it has one."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return _NOT_LISTED
    try:
        return list_month(parse_article(data).ms)
    except Exception:  # a file not in the format (imported bytes): any month may hold it
        return UNDATED


def _mark_rendered(engine: Engine, done: list[tuple[int, int | None, str]]) -> None:
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


def list_file(engine: Engine, abbr: str, name: str) -> tuple[str, bytes]:
    """The outlet's list of its newest LIST_LENGTH articles: (path, bytes), for render and verify."""
    with engine.connect() as conn:
        rows = store_imports.newest_in_folder(conn, abbr, LIST_LENGTH)
    entries = [_list_entry(abbr, r) for r in rows if r["body"] is not None or r["raw"] is not None]
    return f"lists/{name}.md", format_list(name, entries)


def _months(engine: Engine, abbr: str) -> dict[str, list[ListEntry]]:
    """The outlet's list entries by month (China time), every month."""
    months: dict[str, list[ListEntry]] = {}
    with engine.connect() as conn:
        for r in store_articles.for_month_lists(conn, abbr):
            months.setdefault(list_month(r["date_ms"]), []).append(_list_entry(abbr, r))
    return months


def month_files(engine: Engine, abbr: str, name: str) -> dict[str, bytes]:
    """``lists/<name>/<yyyy-mm>.md`` for every month of the outlet and their index: path → bytes (for verify)."""
    months = _months(engine, abbr)
    files = {f"lists/{name}/{m}.md": format_month_list(name, m, entries) for m, entries in months.items()}
    files[f"lists/{name}/README.md"] = _month_index(name, {m: len(entries) for m, entries in months.items()})
    return files


def readme_file(config: Config) -> tuple[str, bytes]:
    """The tree's README as newsvault writes it (unless the user's own is kept)."""
    names = [s.name for s in config.enabled()]
    return "README.md", format_readme(names, monthly=config.tree.monthly_lists)


def _write(target: Path, path: str, data: bytes, stats: RenderStats) -> None:
    stats.checked += 1
    if write_atomic(target / path, data):
        stats.written += 1


def _render_months(
    engine: Engine,
    abbr: str,
    name: str,
    target: Path,
    stats: RenderStats,
    counts: dict[str, int] | None,
    touched: set[str],
) -> dict[str, int]:
    """``lists/<name>/<yyyy-mm>.md`` for every month of the outlet, their index, and no stale month.

    With the months' counts of the last complete render, only the `touched`
    months are made again (those of the articles written now, before and
    after); without them, or when an undated article moved, every month is.
    Returns every month's count.
    """
    folder = target / "lists" / name
    if counts is None or UNDATED in touched:
        return _render_all_months(engine, abbr, name, folder, stats)
    counts = dict(counts)
    with engine.connect() as conn:
        for month in sorted(touched):
            entries = [_list_entry(abbr, r) for r in store_articles.for_month_lists(conn, abbr, month)]
            if entries:
                counts[month] = len(entries)
                stats.checked += 1
                stats.written += write_atomic(folder / f"{month}.md", format_month_list(name, month, entries))
            elif counts.pop(month, None) is not None:  # its articles all moved to another month
                (folder / f"{month}.md").unlink(missing_ok=True)
                stats.written += 1
    _render_month_index(name, folder, counts, stats)
    return counts


def _render_all_months(engine: Engine, abbr: str, name: str, folder: Path, stats: RenderStats) -> dict[str, int]:
    months = _months(engine, abbr)
    for month, entries in months.items():
        stats.checked += 1
        stats.written += write_atomic(folder / f"{month}.md", format_month_list(name, month, entries))
    counts = {month: len(entries) for month, entries in months.items()}
    _render_month_index(name, folder, counts, stats)
    for stale in folder.glob("*.md"):  # a month whose articles all moved to another (their dates were edited)
        if stale.name != "README.md" and stale.name.removesuffix(".md") not in counts:
            stale.unlink()
            stats.written += 1
    return counts


def _month_index(name: str, counts: dict[str, int]) -> bytes:
    order = sorted(counts, key=lambda m: (m != UNDATED, m), reverse=True)  # newest month first, undated last
    return format_month_index(name, [(m, counts[m]) for m in order])


def _render_month_index(name: str, folder: Path, counts: dict[str, int], stats: RenderStats) -> None:
    stats.checked += 1
    stats.written += write_atomic(folder / "README.md", _month_index(name, counts))


def kept_lists_stand(engine: Engine, abbr: str) -> bool:
    """Whether an outlet's imported lists are still its lists: no article came that the imported tree lacked."""
    with engine.connect() as conn:
        return not store_imports.has_new_articles(conn, abbr)


def _kept_lists_in_use(engine: Engine, abbr: str, paths: list[str]) -> bool:
    """Whether an outlet's imported lists still stand; once new articles arrived they go.

    A list that goes is deleted from the store, so the outlet's list is generated
    (final format) from then on, whatever happens to later articles.
    """
    if kept_lists_stand(engine, abbr):
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
    with engine.begin() as conn:
        # A render that was interrupted (killed, disk full) may have left temporary files and
        # lists older than their articles: sweep the tree and make every list again. Otherwise
        # no walk of the whole tree, and only the months of the articles written now.
        interrupted = store_sources.get_meta(conn, WRITING_KEY) is not None
        store_sources.set_meta(conn, WRITING_KEY, "1")
        saved = None if full or interrupted else store_sources.get_meta(conn, MONTHS_KEY)
        known = {row["abbr"]: row["name"] for row in store_sources.all_sources(conn)}
        readme_owner = store_sources.get_meta(conn, "readme")
        kept = store_imports.kept_index(conn)
    if full or interrupted:
        sweep_temporaries(target)
    saved_counts: dict[str, dict[str, int]] = json.loads(saved) if saved else {}
    counts: dict[str, dict[str, int]] = {}
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
        touched = _render_articles(engine, abbr, target, full, stats)
        if config.tree.monthly_lists:
            counts[name] = _render_months(engine, abbr, name, target, stats, saved_counts.get(name), touched)
        imported_lists = kept_lists.get(abbr)
        if imported_lists and _kept_lists_in_use(engine, abbr, imported_lists):
            continue  # written below with the other kept files
        dropped.update(imported_lists or ())
        failpoint("render.lists")  # between one outlet's articles (and monthly lists) and its newest-300 list
        _write(target, *list_file(engine, abbr, name), stats)
    for row in kept:
        if row["path"] in dropped or (row["kind"] == "readme" and readme_owner != "user") or row["kind"] == "changes":
            continue  # the change lists: render_versions writes them, from the imported ones
        _render_kept(engine, row["path"], target, full, stats)
    checked, written = render_versions(engine, target, list(known), full)
    stats.checked += checked
    stats.written += written + render_change_feeds(engine, config, known, target, full)
    if config.site.enabled:  # outside the archive: its pages are not counted as the tree's files
        render_site(engine, config, full=full)
    if readme_owner != "user":
        _write(target, *readme_file(config), stats)
    with engine.begin() as conn:
        if config.tree.monthly_lists:
            store_sources.set_meta(conn, MONTHS_KEY, json.dumps(counts, ensure_ascii=False, sort_keys=True))
        else:
            store_sources.drop_meta(conn, MONTHS_KEY)
        store_sources.drop_meta(conn, WRITING_KEY)
    return stats
