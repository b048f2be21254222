"""What the reader's pages show, read from the store. Nothing here writes."""

from __future__ import annotations

from sqlalchemy import Connection, RowMapping, and_, func, select

from newsvault.store.schema import articles, sources


def outlets(conn: Connection) -> list[RowMapping]:
    counts = (
        select(articles.c.source, func.count().label("n"), func.max(articles.c.date_ms).label("newest"))
        .group_by(articles.c.source)
        .subquery()
    )
    return list(
        conn.execute(
            select(
                sources.c.abbr,
                sources.c.name,
                sources.c.last_success_ms,
                sources.c.failures,
                func.coalesce(counts.c.n, 0).label("n"),
                counts.c.newest,
            )
            .outerjoin(counts, counts.c.source == sources.c.abbr)
            .order_by(sources.c.abbr)
        ).mappings()
    )


def newest(conn: Connection, abbr: str | None, limit: int, offset: int) -> list[RowMapping]:
    query = select(articles.c.source, articles.c.archive_id, articles.c.title, articles.c.date_ms)
    if abbr:
        query = query.where(articles.c.source == abbr)
    return list(
        conn.execute(
            query.order_by(articles.c.date_ms.desc().nulls_last(), articles.c.id.desc()).limit(limit).offset(offset)
        ).mappings()
    )


def article(conn: Connection, abbr: str, archive_id: int) -> RowMapping | None:
    # The standard path first; an imported 2020 folder may reuse the id (see schema.py).
    return (
        conn.execute(
            select(articles)
            .where(and_(articles.c.source == abbr, articles.c.archive_id == archive_id))
            .order_by(articles.c.path.is_not(None))
            .limit(1)
        )
        .mappings()
        .first()
    )
