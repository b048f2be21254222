"""Keeping the search index in step with the articles.

`update_index` is cheap when nothing changed: one query compares each
article's `updated_ms`, date and body presence with what was indexed, and only
the differing ones are read, converted to plain text and tokenised again.

With PARALLEL or more articles to index (an import, a rebuild), worker
processes turn bodies into plain text and spaced text (`prepare`) while this
process reads the store, writes `search_docs` and feeds Tantivy; below that,
starting the processes (spawned: a second or so each) would cost more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from multiprocessing.pool import Pool
from typing import Any

from sqlalchemy import Engine, RowMapping

from newsvault.base.clock import now_ms
from newsvault.base.plaintext import plain_text
from newsvault.store import articles as store_articles
from newsvault.store import search_index
from newsvault.store.search_keys import sort_date, upto_of
from newsvault.store.versions import content_sha

from . import apart as apart_index
from .tokens import index_text

# Articles per transaction and per Tantivy commit on SQLite. The calling process holds two batches (this one and
# the one read ahead) and Tantivy one: at 200,000, 20,000 a batch peaked at 1.1-1.2 GB, 10,000 at 0.64-0.71 GB
# for the same CPU within the machine's noise; 5,000 cost more CPU and mapped more segments (docs/SEARCH.md).
BATCH = 10_000
PARALLEL = 5000  # articles to index from which worker processes prepare them
_CHUNK = 250  # articles per message to a worker

Prepared = tuple[str, int, str, str]  # what `prepare` makes of an article


def _date(article: RowMapping) -> int:
    return sort_date(article["date_ms"])


def _fts_values(doc: Mapping[str, Any] | RowMapping) -> dict[str, Any]:
    return {
        "key": doc["key"],
        "title": index_text(doc["title"]),
        "body": index_text(doc["text"]),
    }


def prepare(items: Sequence[tuple[str, str | None, bool]]) -> list[Prepared]:
    """(title, body, spaced?) → (content_sha, plain text's length, title, text): the CPU-bound part, in workers.

    Spaced by `marked` for Tantivy; plain for PostgreSQL, whose `to_tsvector` takes it (`_fts_values`).
    """
    out = []
    for title, body, spaced in items:
        plain = plain_text(body)
        sha = content_sha(title, body)  # here too: the calling process has Tantivy's documents to make
        out.append(
            (sha, len(plain), apart_index.marked(title), apart_index.marked(plain))
            if spaced
            else (sha, len(plain), title, plain)
        )
    return out


def _prepared(rows: Sequence[RowMapping], spaced: bool, pool: Pool | None) -> Iterator[Prepared]:
    """`prepare` of each row, in order; from the workers as they finish, so Tantivy indexes meanwhile.

    Not a generator: the rows are handed to the workers now, not when the first result is asked for
    (the next batch is prepared while this one is committed).
    """
    items = [(row["title"], row["body"], spaced) for row in rows]
    if pool is None:
        return iter(prepare(items))
    chunks = pool.imap(prepare, [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)])
    return (done for chunk in chunks for done in chunk)


def _doc(key: int, row: RowMapping, sha: str, length: int, text: str) -> dict[str, Any]:
    """The search_docs row of an article (`sha`: `content_sha` of its title and body), and its `text` as prepared."""
    return {
        "key": key,
        "article_id": row["id"],
        "source": row["source"],
        "date_ms": _date(row),
        "stamp": row["updated_ms"],
        "has_body": row["body"] is not None,
        "sha256": sha,
        "title": row["title"],
        "plain_length": length,
        "text": text,
    }


@contextmanager
def _workers() -> Iterator[Pool | None]:
    """A pool of one process per core (None with one core)."""
    cores = os.cpu_count() or 1
    if cores < 2:
        yield None
        return
    pool = multiprocessing.get_context("spawn").Pool(cores)
    try:
        yield pool
    finally:
        pool.terminate()
        pool.join()


Handed = tuple[list[RowMapping], Iterator[Prepared]]  # rows given to `prepare`, its results in order


def update_index(
    engine: Engine, batch: int = BATCH, note: Callable[[str], None] | None = None, parallel: int = PARALLEL
) -> int:
    """Index new and changed articles; the number (re)indexed.

    Only articles added or updated since the index last held them all are
    looked at (`search_index.indexed_upto`), so a run that changed nothing reads
    no article. On SQLite the index is a folder beside the store (`apart`): each
    batch is committed there before the store's transaction that records it commits.
    `note` hears why an existing folder was made again (an older format), once.
    From `parallel` articles in a batch, worker processes prepare them, and each
    batch reads the next one and hands it to them before committing, so they are
    not idle while the store and Tantivy commit (a sixth of the time at 20,000 a batch).
    """
    side = apart_index.for_engine(engine)
    if side is not None and side.created:
        with engine.begin() as conn:  # a new (or remade) folder: everything is indexed again
            search_index.clear(conn)
        side.created = False
        if side.why is not None and note is not None:
            note(side.why)
        side.why = None
    with engine.connect() as conn:
        upto = search_index.indexed_upto(conn)
        now = upto_of(store_articles.stamp(conn), now_ms())  # the mark once this update is complete
    spaced = side is not None
    writer = None
    done = 0
    with ExitStack() as stack:
        pool: Pool | None = None
        past: int | None = None
        # The next batch (its ids, its rows, what was handed to the workers), read during this one.
        ahead: tuple[list[int], dict[int, RowMapping], Handed] | None = None
        try:
            while True:
                with engine.begin() as conn:
                    handed: Handed | None = None
                    if ahead is not None:
                        stale, rows, handed = ahead
                        ahead = None
                    else:
                        stale = search_index.stale(conn, batch, upto, past)  # ids below: done in this update
                        if not stale:
                            if upto != now:
                                search_index.set_indexed_upto(conn, now)
                            search_index.after_update(conn, done)
                            return done
                        if pool is None and len(stale) >= parallel:
                            pool = stack.enter_context(_workers())
                        rows = {r["id"]: r for r in store_articles.by_ids(conn, stale)}
                    past = stale[-1]
                    old = {d["article_id"]: d for d in search_index.docs_of(conn, stale)}
                    # A new updated_ms with the same content and date only moves the stamp.
                    same = [
                        d
                        for a, d in old.items()
                        if d["sha256"] == content_sha(rows[a]["title"], rows[a]["body"])
                        and d["date_ms"] == _date(rows[a])
                    ]
                    for d in same:
                        article = rows[d["article_id"]]
                        search_index.restamp(conn, d["key"], article["updated_ms"], article["body"] is not None)
                    kept = {d["article_id"] for d in same}
                    gone = [d for a, d in old.items() if a not in kept]
                    search_index.forget(conn, gone)
                    fresh = [r for a, r in rows.items() if a not in kept]
                    keys = search_index.free_keys(conn, [(_date(r), r["id"]) for r in fresh]) if fresh else []
                    if side is not None and (gone or fresh):
                        writer = writer or side.writer()
                        side.delete(writer, [d["article_id"] for d in gone] + [r["id"] for r in fresh])
                    if handed is None:
                        handed = (fresh, _prepared(fresh, spaced, pool))
                    if pool is not None:  # after this batch in the workers' queue: they go on to it meanwhile
                        following = search_index.stale(conn, batch, upto, past)
                        if following:
                            ahead_rows = {r["id"]: r for r in store_articles.by_ids(conn, following)}
                            listed = list(ahead_rows.values())
                            ahead = (following, ahead_rows, (listed, _prepared(listed, spaced, pool)))
                    key_of = dict(zip((r["id"] for r in fresh), keys, strict=True))
                    docs = []
                    for row, (sha, length, title, body) in zip(*handed, strict=True):
                        if row["id"] in kept:  # read ahead before it was known to be unchanged
                            continue
                        docs.append(_doc(key_of[row["id"]], row, sha, length, body))
                        if writer is not None:
                            side.add(writer, docs[-1], title, body)  # type: ignore[union-attr]
                    if writer is not None and (gone or fresh):
                        writer.commit()  # before the store records it: a replay deletes by article id first
                    if docs:
                        docs.sort(key=lambda d: d["key"])
                        search_index.add(conn, docs, _fts_values)
                        done += len(docs)
        finally:
            if writer is not None:
                writer.wait_merging_threads()


def rebuild_index(engine: Engine) -> int:
    """Empty the index and index every article again (after a tokenizer change, or to repair)."""
    with engine.begin() as conn:
        search_index.clear(conn)
    side = apart_index.for_engine(engine)
    if side is not None:  # after the store: killed between, the next update replaces every document
        side.clear()
    return update_index(engine)
