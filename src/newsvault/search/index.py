"""Keeping the search index in step with the articles.

`update_index` is cheap when nothing changed: one query compares each
article's `updated_ms`, date and body presence with what was indexed, and only
the differing ones are read, converted to plain text and tokenised again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, RowMapping

from newsvault.extract.text import plain_text
from newsvault.store import articles as store_articles
from newsvault.store import search_index
from newsvault.store.versions import content_sha

from . import apart as apart_index
from .tokens import chars_text, index_text

BATCH = 5000  # articles per transaction (and per Tantivy commit on SQLite)


def _date(article: RowMapping) -> int:
    return search_index.sort_date(article["date_ms"])


def _fts_values(doc: Mapping[str, Any] | RowMapping) -> dict[str, Any]:
    return {
        "key": doc["key"],
        "title": index_text(doc["title"]),
        "body": index_text(doc["text"]),
        "title_chars": chars_text(doc["title"]),
        "body_chars": chars_text(doc["text"]),
    }


def _docs(keys: Sequence[int], rows: Sequence[RowMapping]) -> list[dict[str, Any]]:
    """The search_docs rows of these articles, in ascending key order."""
    return sorted(
        (
            {
                "key": key,
                "article_id": row["id"],
                "source": row["source"],
                "date_ms": _date(row),
                "stamp": row["updated_ms"],
                "has_body": row["body"] is not None,
                "sha256": content_sha(row["title"], row["body"]),
                "title": row["title"],
                "text": plain_text(row["body"] or ""),
            }
            for key, row in zip(keys, rows, strict=False)
        ),
        key=lambda d: d["key"],
    )


def update_index(engine: Engine, batch: int = BATCH) -> int:
    """Index new and changed articles; the number (re)indexed.

    Only articles added or updated since the index last held them all are
    looked at (`search_index.indexed_upto`), so a run that changed nothing reads
    no article. On SQLite the index is a folder beside the store (`apart`): each
    batch is committed there before the store's transaction that records it commits.
    """
    side = apart_index.for_engine(engine)
    if side is not None and side.created:
        with engine.begin() as conn:  # a new (or remade) folder: everything is indexed again
            search_index.clear(conn)
        side.created = False
    with engine.connect() as conn:
        upto = search_index.indexed_upto(conn)
        now = store_articles.stamp(conn)  # the mark once this update is complete
    writer = None
    done = 0
    try:
        while True:
            with engine.begin() as conn:
                stale = search_index.stale(conn, batch, upto)
                if not stale:
                    if upto != now:
                        search_index.set_indexed_upto(conn, now)
                    return done
                rows = {r["id"]: r for r in store_articles.by_ids(conn, stale)}
                old = {d["article_id"]: d for d in search_index.docs_of(conn, stale)}
                # A new updated_ms with the same content and date only moves the stamp.
                same = [
                    d
                    for a, d in old.items()
                    if d["sha256"] == content_sha(rows[a]["title"], rows[a]["body"]) and d["date_ms"] == _date(rows[a])
                ]
                for d in same:
                    article = rows[d["article_id"]]
                    search_index.restamp(conn, d["key"], article["updated_ms"], article["body"] is not None)
                kept = {d["article_id"] for d in same}
                gone = [d for a, d in old.items() if a not in kept]
                search_index.forget(conn, gone, _fts_values)
                fresh = [r for a, r in rows.items() if a not in kept]
                docs = _docs(search_index.free_keys(conn, [(_date(r), r["id"]) for r in fresh]), fresh) if fresh else []
                if side is not None and (gone or docs):
                    writer = writer or side.writer()
                    side.replace(writer, [d["article_id"] for d in gone] + [d["article_id"] for d in docs], docs)
                    writer.commit()  # before the store records it: a replay deletes by article id first
                if docs:
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
    done = update_index(engine)
    with engine.begin() as conn:
        search_index.optimize(conn)
    return done
