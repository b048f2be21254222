"""What each article's source says about it over time, and when to look again.

The re-check ladder follows NewsDiffs: often while an article is young (when
edits and deletions happen), rarely later, never after a year.
"""

from __future__ import annotations

from sqlalchemy import Connection, RowMapping, and_, select, update

from .articles import SHOWN
from .schema import FILE, articles, checks, statuses

GONE = ("gone", "censored")  # the statuses that mean the source no longer shows the article
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR

# (article younger than, check every)
LADDER: tuple[tuple[int, int], ...] = (
    (3 * HOUR, 15 * MINUTE),
    (DAY, HOUR),
    (7 * DAY, 3 * HOUR),
    (30 * DAY, DAY),
    (365 * DAY, 30 * DAY),
)


def next_check(first_seen_ms: int, now_ms: int, ladder: tuple[tuple[int, int], ...] = LADDER) -> int | None:
    age = now_ms - first_seen_ms
    for younger_than, every in ladder:
        if age < younger_than:
            return now_ms + every
    return None


def schedule_new(conn: Connection, article_ids: list[int], now_ms: int) -> None:
    if article_ids:
        conn.execute(
            checks.insert(),
            [
                {"article_id": i, "next_ms": next_check(now_ms, now_ms), "count": 0, "status": "live"}
                for i in article_ids
            ],
        )


def due(conn: Connection, source: str, now_ms: int, limit: int) -> list[RowMapping]:
    return list(
        conn.execute(
            select(articles, checks.c.status.label("check_status"), checks.c.count.label("check_count"))
            .join(checks, checks.c.article_id == articles.c.id)
            .where(and_(articles.c.source == source, checks.c.next_ms.is_not(None), checks.c.next_ms <= now_ms))
            .order_by(checks.c.next_ms)
            .limit(limit)
        ).mappings()
    )


def record(conn: Connection, article_id: int, status: str, now_ms: int, detail: str | None = None) -> bool:
    """Note the article's status; a row is added only when it differs from the last one. True if it did."""
    last = conn.execute(
        select(statuses.c.status).where(statuses.c.article_id == article_id).order_by(statuses.c.id.desc()).limit(1)
    ).scalar()
    # "changed" is an event, after which the article is live again: no row for that.
    if last == status or (last in (None, "changed") and status == "live"):
        return False
    conn.execute(statuses.insert().values(article_id=article_id, seen_ms=now_ms, status=status, detail=detail))
    return True


def checked(conn: Connection, article_id: int, first_seen_ms: int, now_ms: int, status: str) -> None:
    conn.execute(
        update(checks)
        .where(checks.c.article_id == article_id)
        .values(last_ms=now_ms, next_ms=next_check(first_seen_ms, now_ms), count=checks.c.count + 1, status=status)
    )


def history(conn: Connection, article_id: int) -> list[RowMapping]:
    return list(
        conn.execute(select(statuses).where(statuses.c.article_id == article_id).order_by(statuses.c.id)).mappings()
    )


def deleted(conn: Connection, *, shown_only: bool = False) -> list[RowMapping]:
    """Articles whose latest check found them gone or censored, most recently checked first.

    `shown_only` leaves out those still waiting for their page (the site has no page for them).
    """
    query = (
        select(*FILE, checks.c.status, checks.c.last_ms)
        .join(checks, checks.c.article_id == articles.c.id)
        .where(checks.c.status.in_(GONE))
    )
    if shown_only:
        query = query.where(SHOWN)
    return list(conn.execute(query.order_by(checks.c.last_ms.desc(), articles.c.archive_id)).mappings())


def deletion_events(conn: Connection, source: str | None, limit: int) -> list[RowMapping]:
    """The newest `limit` times a shown article was found gone or censored, newest first.

    Each row: the article's file columns, link and body (the last archived text), and
    the status row's `id`, `seen_ms`, `status` and `detail`. Statuses are recorded only
    when they change, so walking them newest first stops after a few rows past the last `limit`.
    """
    newest = (
        select(statuses.c.id)
        .join(articles, articles.c.id == statuses.c.article_id)
        .where(statuses.c.status.in_(GONE), SHOWN)
    )
    if source is not None:
        newest = newest.where(articles.c.source == source)
    chosen = newest.order_by(statuses.c.id.desc()).limit(limit).scalar_subquery()
    query = (
        select(
            *FILE,
            articles.c.link,
            articles.c.body,
            statuses.c.id,
            statuses.c.seen_ms,
            statuses.c.status,
            statuses.c.detail,
        )
        .join(articles, articles.c.id == statuses.c.article_id)
        .where(statuses.c.id.in_(chosen))
        .order_by(statuses.c.id.desc())
    )
    return list(conn.execute(query).mappings())


def deletions(conn: Connection, source: str | None = None) -> dict[int, tuple[str, int | None]]:
    """Article id → (gone | censored, when last checked), for articles deleted at their source."""
    query = select(checks.c.article_id, checks.c.status, checks.c.last_ms).where(checks.c.status.in_(GONE))
    if source is not None:
        query = query.join(articles, articles.c.id == checks.c.article_id).where(articles.c.source == source)
    return {aid: (status, ms) for aid, status, ms in conn.execute(query)}
