"""Raw captures: the bytes a source served, compressed and deduplicated by their hash.

A capture is what lets any version be re-extracted later and shown to be what
the source served; storing the same bytes twice would prove nothing more.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Iterator, Mapping, Sequence

from sqlalchemy import ColumnElement, Connection, RowMapping, and_, delete, func, select

from .marks import IdMark, between, id_mark
from .schema import articles, captures, ignoring_duplicates, pages_by_id, sources, statuses, versions


def store(
    conn: Connection,
    url: str,
    status: int | None,
    headers: Mapping[str, str],
    body: bytes,
    fetched_ms: int,
    request_headers: Mapping[str, str] | None = None,
) -> int:
    """The id of the capture holding these bytes, adding it when they are new.

    A capture describes the first fetch of its bytes: its URL, time, response
    and `request_headers` (what the request went with; None: not known).
    """
    sha = hashlib.sha256(body).hexdigest()
    found: int | None = conn.execute(select(captures.c.id).where(captures.c.sha256 == sha)).scalar()
    if found is not None:
        return found
    # Another worker may be storing the same bytes (one page in two outlets' feeds): its row is waited
    # for and taken, where a plain INSERT failed this feed's whole transaction on the unique hash.
    added: int | None = conn.execute(
        ignoring_duplicates(conn, captures)
        .values(
            sha256=sha,
            fetched_ms=fetched_ms,
            url=url,
            status=status,
            size=len(body),
            headers=headers_json(headers),
            body=zlib.compress(body, 6),
            request_headers=headers_json(request_headers),
        )
        .returning(captures.c.id)
    ).scalar()
    if added is None:
        added = conn.execute(select(captures.c.id).where(captures.c.sha256 == sha)).scalar_one()
    return added


def headers_json(headers: Mapping[str, str] | None) -> str | None:
    """Headers as the store keeps them: a JSON object in their order, or NULL when not known."""
    return None if headers is None else json.dumps(dict(headers), ensure_ascii=False)


def drop_unused(conn: Connection, capture_id: int, fetched_ms: int) -> bool:
    """Forget a capture stored at `fetched_ms` that no version came from; True if it went.

    A feed is captured before its items are judged; when none of them made a
    version (nothing new, nothing edited: most polls of a feed whose build date
    changes hourly) its bytes prove nothing and would cost ~50 KB an hour per
    outlet. Only a capture stored at that very time goes: an older one with
    the same bytes is kept, whatever refers to it, and so is one a status
    refers to (a deletion notice whose bytes a feed served too).
    """
    used = select(versions.c.id).where(versions.c.capture_id == capture_id).exists()
    noticed = select(statuses.c.id).where(statuses.c.capture_id == capture_id).exists()
    gone = conn.execute(
        delete(captures).where(captures.c.id == capture_id, captures.c.fetched_ms == fetched_ms, ~used, ~noticed)
    )
    return gone.rowcount > 0


def read(conn: Connection, capture_id: int) -> bytes:
    row = conn.execute(select(captures.c.body).where(captures.c.id == capture_id)).one()
    return zlib.decompress(row.body)


def mismatches(conn: Connection) -> Iterator[tuple[int, str]]:
    """(id, what is wrong) of every capture whose bytes no longer match their hash (or do not decompress)."""
    for row in conn.execute(select(captures.c.id, captures.c.sha256, captures.c.size, captures.c.body)):
        try:
            body = zlib.decompress(row.body)
        except zlib.error as exc:
            yield row.id, f"does not decompress ({exc})"
            continue
        if len(body) != row.size or hashlib.sha256(body).hexdigest() != row.sha256:
            yield row.id, f"bytes do not match sha256 {row.sha256}"


def page_captures(conn: Connection, source: str, feed_urls: Sequence[str]) -> list[tuple[int, int]]:
    """(article id, its latest capture that is not one of `feed_urls`) for the source's articles: their pages."""
    rows = conn.execute(
        select(versions.c.article_id, versions.c.capture_id)
        .join(articles, articles.c.id == versions.c.article_id)
        .join(captures, captures.c.id == versions.c.capture_id)
        .where(and_(articles.c.source == source, captures.c.url.not_in(feed_urls)))
        .order_by(versions.c.article_id, versions.c.n)
    ).all()
    latest: dict[int, int] = {}
    for article_id, capture_id in rows:
        latest[article_id] = capture_id
    return sorted(latest.items())


def origin(conn: Connection, capture_id: int) -> tuple[str, dict[str, str]]:
    """The URL a capture was fetched from and the response's headers."""
    row = conn.execute(select(captures.c.url, captures.c.headers).where(captures.c.id == capture_id)).one()
    headers: dict[str, str] = json.loads(row.headers or "{}")
    return row.url, headers


def _outlet() -> ColumnElement[str | None]:
    """The outlet a capture belongs to: of the articles read from it, else whose page it is, else whose feed.

    Captures carry no outlet: a feed or page capture is known by the versions
    that came from it; a deletion notice by the article link it was fetched
    from, else by the first status that recorded it (a notice reached by a
    redirect); the rest by a source's feed URL. None: none of these (the
    capture of a feed no longer configured, say).
    """
    by_version = (
        select(articles.c.source)
        .join(versions, versions.c.article_id == articles.c.id)
        .where(versions.c.capture_id == captures.c.id)
        .limit(1)
        .scalar_subquery()
    )
    by_link = select(articles.c.source).where(articles.c.link == captures.c.url).limit(1).scalar_subquery()
    by_status = (
        select(articles.c.source)
        .join(statuses, statuses.c.article_id == articles.c.id)
        .where(statuses.c.capture_id == captures.c.id)
        .order_by(statuses.c.id)
        .limit(1)
        .scalar_subquery()
    )
    by_feed = select(sources.c.abbr).where(sources.c.feed_url == captures.c.url).limit(1).scalar_subquery()
    return func.coalesce(by_version, by_link, by_status, by_feed)


def for_export(
    conn: Connection,
    *,
    since: IdMark = (0, []),
    upto: IdMark | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
    outlet: str | None = None,
    batch: int = 64,
) -> Iterator[RowMapping]:
    """Captures committed between the marks `since` and `upto` (store.marks.between) fetched in [since_ms, until_ms),
    oldest id first, `batch` bodies in memory at a time.

    Each row: id, sha256, fetched_ms, url, status, headers (JSON), size,
    body (zlib-compressed, as stored), request_headers (JSON or NULL) and outlet. Read in pages by id rather
    than one result, so a year of captures streams through a few MB.
    """
    source = _outlet().label("outlet")
    query = select(
        captures.c.id,
        captures.c.sha256,
        captures.c.fetched_ms,
        captures.c.url,
        captures.c.status,
        captures.c.headers,
        captures.c.size,
        captures.c.body,
        captures.c.request_headers,
        source,
    )
    if since_ms is not None:
        query = query.where(captures.c.fetched_ms >= since_ms)
    if until_ms is not None:
        query = query.where(captures.c.fetched_ms < until_ms)
    if outlet is not None:
        query = query.where(_outlet() == outlet)
    wanted, start = between(captures.c.id, since, upto)
    yield from pages_by_id(conn, query.where(wanted), captures.c.id, start, batch)


def mark(conn: Connection) -> IdMark:
    """The captures' id mark now (store.marks): what an export up to it holds, and where the next starts."""
    return id_mark(conn, captures.c.id)


def by_sha(conn: Connection, sha256: str) -> RowMapping | None:
    """The capture of these bytes (id, url, fetched_ms, size, status), if the store has it."""
    return (
        conn.execute(
            select(captures.c.id, captures.c.url, captures.c.fetched_ms, captures.c.size, captures.c.status).where(
                captures.c.sha256 == sha256
            )
        )
        .mappings()
        .one_or_none()
    )


def hashes_between(conn: Connection, start_ms: int, end_ms: int) -> list[tuple[str, str]]:
    """(sha256, url) of every capture first fetched in [start, end), by hash: a day's captures, bodies unread."""
    rows = conn.execute(
        select(captures.c.sha256, captures.c.url)
        .where(captures.c.fetched_ms >= start_ms, captures.c.fetched_ms < end_ms)
        .order_by(captures.c.sha256)
    )
    return [(sha, url) for sha, url in rows]
