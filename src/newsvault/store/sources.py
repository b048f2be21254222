"""Sources as the store remembers them: caching headers and health."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, RowMapping, delete, select, update

from .schema import meta, sources


def ensure(conn: Connection, abbr: str, name: str, feed_url: str | None) -> RowMapping:
    row = conn.execute(select(sources).where(sources.c.abbr == abbr)).mappings().first()
    if row is None:
        conn.execute(sources.insert().values(abbr=abbr, name=name, feed_url=feed_url))
    elif row["name"] != name or (feed_url and row["feed_url"] != feed_url):
        values: dict[str, Any] = {"name": name}
        if feed_url and row["feed_url"] != feed_url:
            # A new feed URL has its own caching headers.
            values.update(feed_url=feed_url, etag=None, last_modified=None)
        conn.execute(update(sources).where(sources.c.abbr == abbr).values(**values))
    return conn.execute(select(sources).where(sources.c.abbr == abbr)).mappings().one()


def record_success(conn: Connection, abbr: str, now_ms: int, etag: str | None, last_modified: str | None) -> None:
    conn.execute(
        update(sources)
        .where(sources.c.abbr == abbr)
        .values(etag=etag, last_modified=last_modified, last_success_ms=now_ms, failures=0)
    )


def record_failure(conn: Connection, abbr: str, now_ms: int, error: str) -> None:
    conn.execute(
        update(sources)
        .where(sources.c.abbr == abbr)
        .values(last_error=error, last_error_ms=now_ms, failures=sources.c.failures + 1)
    )


def all_sources(conn: Connection) -> list[RowMapping]:
    return list(conn.execute(select(sources).order_by(sources.c.abbr)).mappings())


def get_meta(conn: Connection, key: str) -> str | None:
    return conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()


def drop_meta(conn: Connection, key: str) -> None:
    conn.execute(delete(meta).where(meta.c.key == key))


def set_meta(conn: Connection, key: str, value: str) -> None:
    if get_meta(conn, key) is None:
        conn.execute(meta.insert().values(key=key, value=value))
    else:
        conn.execute(update(meta).where(meta.c.key == key).values(value=value))


def state(conn: Connection, abbr: str) -> RowMapping:
    """The source's row: caching headers, failures in a row, the active feed and its quiet runs."""
    return conn.execute(select(sources).where(sources.c.abbr == abbr)).mappings().one()


def set_feed_state(conn: Connection, abbr: str, *, idle_runs: int, active_feed: int | None = None) -> None:
    """Runs without a new item; with `active_feed`, the feed to read from the next run, starting afresh."""
    values: dict[str, int] = {"idle_runs": idle_runs}
    if active_feed is not None:
        values.update(active_feed=active_feed, failures=0)
    conn.execute(update(sources).where(sources.c.abbr == abbr).values(**values))


def lock_meta(conn: Connection, key: str, default: str) -> str:
    """The value under `key` (`default` put there first when absent), locked until the transaction ends.

    PostgreSQL only: workers on several machines take the row lock in turn,
    so the one that holds it decides for all of them.
    """
    from sqlalchemy.dialects.postgresql import insert

    conn.execute(insert(meta).values(key=key, value=default).on_conflict_do_nothing())
    value: str = conn.execute(select(meta.c.value).where(meta.c.key == key).with_for_update()).scalar_one()
    return value
