"""Articles: finding, adding and updating them, always inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, func, or_, select, update

from . import versions
from .schema import articles

CDT_FALLBACK_BASE = 0x100000  # ids for CDT posts without ?p=: outside 0xFFFFF XOR space


def _find_many(
    conn: Connection, source: str, guids: Sequence[str], links: Sequence[str]
) -> tuple[dict[str, RowMapping], dict[str, RowMapping]]:
    """Stored articles of `source` with any of these guids or links, keyed both ways.

    One query per feed rather than one per item: matching is most of what a
    run does with the store.
    """
    by_guid: dict[str, RowMapping] = {}
    by_link: dict[str, RowMapping] = {}
    wanted_guids, wanted_links = list(set(guids)), list(set(links))
    for start in range(0, max(len(wanted_guids), len(wanted_links)), 400):  # stay under SQLite's variable limit
        g, lk = wanted_guids[start : start + 400], wanted_links[start : start + 400]
        rows = conn.execute(
            select(articles)
            .where(and_(articles.c.source == source, or_(articles.c.guid.in_(g), articles.c.link.in_(lk))))
            .order_by(articles.c.id)
        ).mappings()
        for row in rows:
            if row["guid"]:
                by_guid.setdefault(row["guid"], row)
            by_link.setdefault(row["link"], row)
    return by_guid, by_link


def smallest_id(conn: Connection, source: str, below: int | None = None) -> int | None:
    query = select(func.min(articles.c.archive_id)).where(articles.c.source == source)
    if below is not None:
        query = query.where(articles.c.archive_id < below)
    return conn.execute(query).scalar()


def largest_id(conn: Connection, source: str) -> int | None:
    return conn.execute(select(func.max(articles.c.archive_id)).where(articles.c.source == source)).scalar()


def id_taken(conn: Connection, source: str, archive_id: int) -> bool:
    return (
        conn.execute(
            select(articles.c.id).where(and_(articles.c.source == source, articles.c.archive_id == archive_id))
        ).first()
        is not None
    )


def insert_many(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert articles; their ids in the order given."""
    if not rows:
        return []
    result = conn.execute(articles.insert().returning(articles.c.id, sort_by_parameter_order=True), list(rows))
    return [r.id for r in result]


def update_content(
    conn: Connection, row: RowMapping, now_ms: int, capture_id: int | None = None, **values: Any
) -> bool:
    """Change an article's current content; a distinct (title, body) becomes a new version.

    Returns True when a version was added. An article stored before versions
    existed (or imported) first gets its stored content as version 1, so no
    content it ever had is lost.
    """
    if versions.latest(conn, row["id"]) is None and (row["body"] is not None or row["raw"] is not None):
        versions.add(conn, row["id"], row["first_seen_ms"], row["title"], row["date_ms"], row["body"])
    conn.execute(
        update(articles)
        .where(articles.c.id == row["id"])
        .values(updated_ms=now_ms, last_seen_ms=now_ms, rendered_sha=None, **values)
    )
    title = values.get("title", row["title"])
    body = values.get("body", row["body"])
    if body is None:
        return False
    return (
        versions.add(conn, row["id"], now_ms, title, values.get("date_ms", row["date_ms"]), body, capture_id)
        is not None
    )


def set_fields(conn: Connection, article_id: int, **values: Any) -> None:
    conn.execute(update(articles).where(articles.c.id == article_id).values(**values))


def touch(conn: Connection, ids: Sequence[int], now_ms: int) -> None:
    if ids:
        conn.execute(update(articles).where(articles.c.id.in_(ids)).values(last_seen_ms=now_ms))


def pending_pages(conn: Connection, source: str, limit: int, max_attempts: int) -> list[RowMapping]:
    """Articles whose body must still come from their page, oldest first."""
    return list(
        conn.execute(
            select(articles)
            .where(
                and_(
                    articles.c.source == source,
                    or_(
                        articles.c.page_state == "pending",
                        and_(articles.c.page_state == "failed", articles.c.page_attempts < max_attempts),
                    ),
                )
            )
            .order_by(articles.c.archive_id.desc())
            .limit(limit)
        ).mappings()
    )


def for_render(conn: Connection, source: str, only_dirty: bool = False) -> Iterator[RowMapping]:
    """A source's articles in archive order (numeric id: newest first)."""
    query = select(articles).where(articles.c.source == source)
    if only_dirty:
        query = query.where(articles.c.rendered_sha.is_(None))
    yield from conn.execute(query.order_by(articles.c.archive_id)).mappings()


def for_month_lists(conn: Connection, source: str) -> Iterator[RowMapping]:
    """Every published article of a source, newest date first: what its monthly lists link.

    Articles still waiting for their page have no file yet and are left out.
    """
    published = or_(articles.c.body.is_not(None), articles.c.raw.is_not(None))
    yield from conn.execute(
        select(
            articles.c.archive_id,
            articles.c.path,
            articles.c.shard,
            articles.c.title,
            articles.c.date_ms,
            articles.c.imported,  # with updated_ms: is the title escaped (render.tree.escaped)
            articles.c.updated_ms,
        )
        .where(articles.c.source == source, published)
        .order_by(articles.c.date_ms.desc(), articles.c.archive_id, articles.c.path)
    ).mappings()


def newest(conn: Connection, source: str, limit: int) -> list[RowMapping]:
    return list(
        conn.execute(
            select(
                articles.c.archive_id,
                articles.c.title,
                articles.c.date_ms,
                articles.c.body,
                articles.c.path,
                articles.c.raw,
            )
            .where(articles.c.source == source)
            .order_by(articles.c.archive_id)
            .limit(limit)
        ).mappings()
    )


def match(conn: Connection, source: str, keys: Sequence[tuple[str | None, str]]) -> list[RowMapping | None]:
    """The stored article of each (guid, link), or None: the one rule of what makes an item one we have.

    A guid, when the item has one, names the article; otherwise (and when no
    stored article has that guid) the link does. Links change less often than
    guids are missing, and an article re-published under a new link with its
    guid is still the same article.
    """
    by_guid, by_link = _find_many(conn, source, [guid for guid, _ in keys if guid], [link for _, link in keys])
    return [(by_guid.get(guid) if guid else None) or by_link.get(link) for guid, link in keys]


def get(conn: Connection, article_id: int) -> RowMapping:
    return conn.execute(select(articles).where(articles.c.id == article_id)).mappings().one()
