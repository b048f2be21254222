"""What each article's source says about it over time, and when to look again.

The re-check ladder follows NewsDiffs: often while an article is young (when
edits and deletions happen), rarely later, never after a year.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sqlalchemy import Connection, RowMapping, and_, or_, select, update

from .articles import SHOWN
from .bulk import insert_tuples
from .captures import headers_json
from .marks import IdMark, between, id_mark
from .schema import FILE, articles, captures, checks, pages_by_id, statuses

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
    first = next_check(now_ms, now_ms)
    insert_tuples(
        conn, checks, ("article_id", "next_ms", "count", "status"), [(i, first, 0, "live") for i in article_ids]
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


def record(
    conn: Connection,
    article_id: int,
    status: str,
    now_ms: int,
    detail: str | None = None,
    *,
    served: tuple[int, str, int, Mapping[str, str], Mapping[str, str]] | None = None,
) -> bool:
    """Note the article's status; a row is added only when it differs from the last one. True if it did.

    `served`: (capture id, final URL, HTTP status, response headers, request headers) of the page
    the check fetched, a deletion notice: the capture may hold bytes first
    served for another article or at another time, and only this row can say
    that this article's URL served them now (a WARC revisit record).
    """
    last = conn.execute(
        select(statuses.c.status).where(statuses.c.article_id == article_id).order_by(statuses.c.id.desc()).limit(1)
    ).scalar()
    # "changed" is an event, after which the article is live again: no row for that.
    if last == status or (last in (None, "changed") and status == "live"):
        return False
    values: dict[str, object] = {"article_id": article_id, "seen_ms": now_ms, "status": status, "detail": detail}
    if served is not None:
        capture_id, url, http_status, headers, request_headers = served
        values |= {
            "capture_id": capture_id,
            "url": url,
            "http_status": http_status,
            "headers": headers_json(headers),
            "request_headers": headers_json(request_headers),
        }
    conn.execute(statuses.insert().values(**values))
    if status == "changed":  # live again, as the log counts it: so is its check (its page, the deleted lists)
        conn.execute(
            update(checks).where(checks.c.article_id == article_id, checks.c.status.in_(GONE)).values(status="live")
        )
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


def revisits(
    conn: Connection,
    *,
    since: IdMark = (0, []),
    upto: IdMark | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
    outlet: str | None = None,
    batch: int = 64,
) -> Iterator[RowMapping]:
    """Statuses committed between the marks `since` and `upto` seen in [since_ms, until_ms) that served a capture
    under another URL or at another time.

    Each is a WARC revisit (publish.warc): the capture holds the bytes, under
    the URL and time they were first fetched; the status is this article's
    fetch of the same bytes. Each row: id (the status's), sha256 and size (the
    capture's), fetched_ms (when the status was seen), url, status, headers and
    request_headers (as served and asked), outlet (the article's), and refers_url, refers_ms and
    refers_status (the capture's). Statuses of one fetch of one URL (articles
    redirected to one notice in the same re-check) give one row, the first.
    Rows written before migration 0015 have no capture and give none.
    """
    earlier = statuses.alias("earlier")
    same_fetch = (
        select(earlier.c.id)
        .where(
            earlier.c.capture_id == statuses.c.capture_id,
            earlier.c.url == statuses.c.url,
            earlier.c.seen_ms == statuses.c.seen_ms,
            earlier.c.id < statuses.c.id,
        )
        .exists()
    )
    query = (
        select(
            statuses.c.id,
            captures.c.sha256,
            captures.c.size,
            statuses.c.seen_ms.label("fetched_ms"),
            statuses.c.url,
            statuses.c.http_status.label("status"),
            statuses.c.headers,
            statuses.c.request_headers,
            articles.c.source.label("outlet"),
            captures.c.url.label("refers_url"),
            captures.c.fetched_ms.label("refers_ms"),
            captures.c.status.label("refers_status"),
        )
        .join(captures, captures.c.id == statuses.c.capture_id)
        .join(articles, articles.c.id == statuses.c.article_id)
        .where(or_(statuses.c.url != captures.c.url, statuses.c.seen_ms != captures.c.fetched_ms), ~same_fetch)
    )
    if since_ms is not None:
        query = query.where(statuses.c.seen_ms >= since_ms)
    if until_ms is not None:
        query = query.where(statuses.c.seen_ms < until_ms)
    if outlet is not None:
        query = query.where(articles.c.source == outlet)
    wanted, start = between(statuses.c.id, since, upto)
    yield from pages_by_id(conn, query.where(wanted), statuses.c.id, start, batch)


def mark(conn: Connection) -> IdMark:
    """The statuses' id mark now (store.marks): what an export up to it holds, and where the next starts."""
    return id_mark(conn, statuses.c.id)


def served_at(conn: Connection, capture_id: int, url: str) -> list[int]:
    """When statuses recorded the capture's bytes served at `url` (what a published revisit must match)."""
    query = select(statuses.c.seen_ms).where(statuses.c.capture_id == capture_id, statuses.c.url == url)
    return list(conn.execute(query).scalars())
