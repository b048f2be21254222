"""Keeping the search index in step with the articles.

`update_index` is cheap when nothing changed: one query compares each
article's `updated_ms`, date and body presence with what was indexed, and only
the differing ones are read, converted to plain text and tokenised again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, func, or_, select, text

from newsvault.extract.text import plain_text
from newsvault.store.schema import FTS, KEY_SLOTS, articles, search_docs
from newsvault.store.versions import content_sha

from .tokens import index_text

BATCH = 1000  # articles per transaction


def _date(article: RowMapping) -> int:
    date: int = article["date_ms"] if article["date_ms"] is not None else article["first_seen_ms"]
    return date


def _fts_values(doc: dict[str, Any] | RowMapping) -> dict[str, Any]:
    return {
        "key": doc["key"],
        "source": index_text(doc["source"]),
        "title": index_text(doc["title"]),
        "body": index_text(doc["text"]),
    }


def _forget(conn: Connection, docs: Sequence[RowMapping]) -> None:
    if not docs:
        return
    if conn.dialect.name == "sqlite":
        # A contentless table deletes by being given the tokens it indexed; they are
        # recomputed from the kept text (so changing the tokenizer needs `reindex`).
        conn.execute(
            text(
                f"INSERT INTO {FTS}({FTS}, rowid, source, title, body) VALUES ('delete', :key, :source, :title, :body)"
            ),
            [_fts_values(d) for d in docs],
        )
    conn.execute(search_docs.delete().where(search_docs.c.key.in_([d["key"] for d in docs])))


def _keys(conn: Connection, rows: Sequence[RowMapping]) -> list[int]:
    """A free key for each article: its date in ms, then a tie-breaker from its id."""
    wanted = [_date(r) * KEY_SLOTS + r["id"] % KEY_SLOTS for r in rows]
    taken = {k for (k,) in conn.execute(select(search_docs.c.key).where(search_docs.c.key.in_(wanted)))}
    keys = []
    for key in wanted:
        while key in taken or conn.execute(select(search_docs.c.key).where(search_docs.c.key == key)).first():
            key += 1
        taken.add(key)
        keys.append(key)
    return keys


def _add(conn: Connection, rows: Sequence[RowMapping]) -> int:
    if not rows:
        return 0
    docs = sorted(
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
            for key, row in zip(_keys(conn, rows), rows, strict=False)
        ),
        key=lambda d: d["key"],
    )
    conn.execute(search_docs.insert(), docs)
    # Ascending rowids: FTS5 flushes its pending terms whenever a rowid goes down.
    values = [_fts_values(d) for d in docs]
    if conn.dialect.name == "sqlite":
        conn.execute(
            text(f"INSERT INTO {FTS}(rowid, source, title, body) VALUES (:key, :source, :title, :body)"), values
        )
    else:
        conn.execute(
            text(
                "UPDATE search_docs SET tsv = to_tsvector('simple', :title || ' ' || :body), "
                "title_tsv = to_tsvector('simple', :title) WHERE key = :key"
            ),
            values,
        )
    return len(docs)


def _stale(conn: Connection, limit: int) -> list[int]:
    """Ids of articles the index does not hold as they are now."""
    query = (
        select(articles.c.id)
        .outerjoin(search_docs, search_docs.c.article_id == articles.c.id)
        .where(
            or_(
                search_docs.c.key.is_(None),
                search_docs.c.stamp.is_distinct_from(articles.c.updated_ms),
                search_docs.c.date_ms != func.coalesce(articles.c.date_ms, articles.c.first_seen_ms),
                search_docs.c.has_body != articles.c.body.is_not(None),
            )
        )
        .order_by(articles.c.id)
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


def update_index(engine: Engine, batch: int = BATCH) -> int:
    """Index new and changed articles; the number (re)indexed."""
    done = 0
    while True:
        with engine.begin() as conn:
            stale = _stale(conn, batch)
            if not stale:
                return done
            rows = {r["id"]: r for r in conn.execute(select(articles).where(articles.c.id.in_(stale))).mappings()}
            old = {
                d["article_id"]: d
                for d in conn.execute(select(search_docs).where(search_docs.c.article_id.in_(stale))).mappings()
            }
            # A new updated_ms with the same content and date only moves the stamp.
            same = [
                d
                for a, d in old.items()
                if d["sha256"] == content_sha(rows[a]["title"], rows[a]["body"]) and d["date_ms"] == _date(rows[a])
            ]
            for d in same:
                article = rows[d["article_id"]]
                conn.execute(
                    search_docs.update()
                    .where(search_docs.c.key == d["key"])
                    .values(stamp=article["updated_ms"], has_body=article["body"] is not None)
                )
            kept = {d["article_id"] for d in same}
            _forget(conn, [d for a, d in old.items() if a not in kept])
            done += _add(conn, [r for a, r in rows.items() if a not in kept])


def rebuild_index(engine: Engine) -> int:
    """Empty the index and index every article again (after a tokenizer change, or to repair)."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text(f"INSERT INTO {FTS}({FTS}) VALUES ('delete-all')"))
        conn.execute(search_docs.delete())
    done = update_index(engine)
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.execute(text(f"INSERT INTO {FTS}({FTS}) VALUES ('optimize')"))
    return done
