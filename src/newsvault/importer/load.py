"""Importing a tree into the store: streamed, in batches, resumable.

Each batch is one transaction that first asks the store which of its files are
already there and inserts only the others. An import killed at any point has
committed whole batches only, and running it again skips what they hold, so an
interrupted import and an uninterrupted one end with the same store; importing
the same tree twice changes nothing.

Reading and parsing (most of the work) runs in worker processes, the store is
written by this one; only a few chunks are in flight at a time, so memory does
not grow with the tree.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine

from newsvault.base.clock import now_ms
from newsvault.base.failpoints import failpoint
from newsvault.config import Config, catalogue
from newsvault.search import update_index
from newsvault.store import analyze
from newsvault.store import changes as store_changes
from newsvault.store import imports as store_imports
from newsvault.store import sources as store_sources

from .outlets import Outlet, Outlets, from_config
from .read import ArticleRecord, Failed, Job, Kept, read_jobs
from .walk import walk

BATCH_FILES = 2000
_BATCH_BYTES = 64 * 1024 * 1024  # 90 KB bodies exist; a batch must not grow without bound
_CHUNK = 200  # files per task sent to a worker
_MAX_WARNINGS = 10_000  # beyond this only the counts grow, so memory stays flat on any tree

Progress = Callable[[int], None]  # called with the number of files just stored or skipped
Read = ArticleRecord | Kept | Failed


@dataclass
class ImportReport:
    new: Counter[str] = field(default_factory=Counter)  # articles stored, per outlet
    present: Counter[str] = field(default_factory=Counter)  # articles the store had already
    legacy: int = 0  # files of the 2020 layout among the new
    kept: Counter[str] = field(default_factory=Counter)  # readme / list / other files stored
    kept_present: int = 0
    ignored: list[str] = field(default_factory=list)  # entries next to the archive, not part of it
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (path, what) for the first ones
    warning_counts: Counter[str] = field(default_factory=Counter)
    failed: list[tuple[str, str]] = field(default_factory=list)  # files that could not be read
    names: dict[str, str] = field(default_factory=dict)  # abbr -> outlet name

    @property
    def files(self) -> int:
        return sum(self.new.values()) + sum(self.present.values()) + sum(self.kept.values()) + self.kept_present

    def warn(self, path: str, what: str) -> None:
        self.warning_counts[what] += 1
        if len(self.warnings) < _MAX_WARNINGS:
            self.warnings.append((path, what))


@dataclass
class _Batch:
    articles: dict[str, list[ArticleRecord]] = field(default_factory=lambda: defaultdict(list))
    kept: list[Kept] = field(default_factory=list)
    files: int = 0
    size: int = 0


def import_tree(
    engine: Engine,
    config: Config,
    root: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    batch_files: int = BATCH_FILES,
    workers: int | None = None,
) -> ImportReport:
    """Store every file of the archive tree at ``root``; see the module docstring.

    ``workers`` processes read and parse (default: one per CPU); 1 does it all here.
    """
    report = ImportReport()
    with engine.connect() as conn:
        stored = [Outlet(r["abbr"], r["name"], r["feed_url"]) for r in store_sources.all_sources(conn)]
    outlets = Outlets(from_config(config.sources.values()), stored, from_config(catalogue().values()))
    known = {o.abbr for o in stored}
    batch = _Batch()
    chunks = _chunks(os.fspath(root), outlets, report)
    for results in _read(chunks, workers or os.cpu_count() or 1, depth=2 * batch_files // _CHUNK + 2):
        for result in results:
            _add(result, batch, report)
        if batch.files >= batch_files or batch.size >= _BATCH_BYTES:
            _flush(engine, batch, known, outlets, report, progress)
            batch = _Batch()
    _flush(engine, batch, known, outlets, report, progress)
    analyze(engine)  # the tables grew from nothing: statistics for the planner
    if config.search.update:
        update_index(engine)
    return report


def _chunks(root: str, outlets: Outlets, report: ImportReport) -> Iterator[list[Job]]:
    """The tree as chunks of jobs, each file already assigned to its outlet."""
    chunk: list[Job] = []
    for item in walk(root):
        if item.kind == "ignored":
            report.ignored.append(item.rel)
            continue
        if item.kind == "link":
            report.failed.append((item.rel, "symbolic link, not followed"))
            continue
        try:
            item.rel.encode("utf-8")
        except UnicodeEncodeError:
            # The original, in Node, only ever wrote UTF-8 names; text columns cannot hold others.
            report.failed.append((item.rel, "file name is not UTF-8"))
            continue
        abbr = None
        if item.kind == "article":
            assert item.folder is not None
            abbr = outlets.for_folder(item.folder).abbr
        elif item.kind == "list":
            assert item.folder is not None
            abbr = outlets.for_list(item.folder).abbr
        chunk.append(Job(item.rel, item.path, item.kind, abbr))
        if len(chunk) >= _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _read(chunks: Iterable[list[Job]], workers: int, depth: int) -> Iterator[list[Read]]:
    """Results of the chunks, in order; with workers, at most ``depth`` chunks in flight.

    Enough to keep the workers busy while a batch is written (about two batches),
    few enough that memory does not depend on the size of the tree.
    """
    if workers <= 1:
        yield from map(read_jobs, chunks)
        return
    # spawn: the parent may have threads (the progress bar) that fork would copy mid-lock.
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        pending: deque[Any] = deque()
        for chunk in chunks:
            pending.append(pool.apply_async(read_jobs, (chunk,)))
            if len(pending) >= depth:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _add(result: Read, batch: _Batch, report: ImportReport) -> None:
    if isinstance(result, Failed):
        report.failed.append((result.rel, result.error))
        return
    batch.files += 1
    if isinstance(result, Kept):
        batch.size += len(result.raw)
        batch.kept.append(result)
        if result.warning:
            report.warn(result.rel, result.warning)
        return
    batch.size += len(result.body) + len(result.raw or b"")
    batch.articles[result.abbr].append(result)
    for what in result.warnings:
        report.warn(result.rel, what)


def _flush(
    engine: Engine, batch: _Batch, known: set[str], outlets: Outlets, report: ImportReport, progress: Progress | None
) -> None:
    if batch.files:
        now = now_ms()
        with engine.begin() as conn:
            for abbr in {*batch.articles, *(k.abbr for k in batch.kept if k.abbr)}:
                outlet = outlets.by_abbr(abbr)
                report.names[abbr] = outlet.name
                if abbr not in known:
                    store_sources.ensure(conn, abbr, outlet.name, outlet.feed)
                    known.add(abbr)
            _store_kept(conn, batch.kept, report)
            for abbr, records in batch.articles.items():
                _store_articles(conn, abbr, records, now, report)
        failpoint("import.batch")  # some batches committed, the rest of the tree not read yet
    if progress:
        progress(batch.files)


def _store_kept(conn: Connection, files: list[Kept], report: ImportReport) -> None:
    present = store_imports.stored_kept(conn, (k.rel for k in files))
    if any(k.kind == "changes" for k in files) and store_changes.noticed_any(conn):
        # A store that noticed changes makes these lists itself: kept, an article back since would be listed again.
        present |= {k.rel for k in files if k.kind == "changes"}
    fresh = [k for k in files if k.rel not in present]
    store_imports.insert_kept(conn, [{"path": k.rel, "kind": k.kind, "source": k.abbr, "raw": k.raw} for k in fresh])
    report.kept_present += len(files) - len(fresh)
    report.kept.update(k.kind for k in fresh)
    if any(k.kind == "readme" for k in fresh):
        # The original's README was edited by hand: from now on it is the user's.
        store_sources.set_meta(conn, "readme", "user")


def _store_articles(conn: Connection, abbr: str, records: list[ArticleRecord], now: int, report: ImportReport) -> None:
    present = store_imports.stored_files(conn, abbr, (r.archive_id for r in records))
    fresh = [r for r in records if (r.archive_id, r.path) not in present]
    store_imports.insert_articles(
        conn,
        [
            (abbr, r.archive_id, r.link, r.title, r.date_ms, r.body, now, now, r.path, r.raw, True, r.shard)
            for r in fresh
        ],
    )
    report.new[abbr] += len(fresh)
    report.present[abbr] += len(records) - len(fresh)
    report.legacy += sum(r.legacy for r in fresh)
