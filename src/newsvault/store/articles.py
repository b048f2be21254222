"""Articles: finding, adding and updating them, always inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, bindparam, func, or_, select, text, update

from newsvault.base.clock import CHINA, CHINA_OFFSET_MS, in_china

from . import marks, versions
from .bulk import insert_tuples
from .fast import STAMP_SQL
from .schema import LIST_LINE, NEWEST, WAITING_PAGE, articles

CDT_FALLBACK_BASE = 0x100000  # ids for CDT posts without ?p=: outside 0xFFFFF XOR space
DAY = 86_400_000

# The date an article is listed by: its own, else when it was first seen (undated imports).
LISTED_MS = func.coalesce(articles.c.date_ms, articles.c.first_seen_ms)
# Shown (it has a file and a page): not waiting for its page.
SHOWN = or_(articles.c.body.is_not(None), articles.c.raw.is_not(None))
_PAGE_COLUMNS = (
    articles.c.id,
    articles.c.source,
    articles.c.archive_id,
    articles.c.path,
    articles.c.title,
    articles.c.link,
    articles.c.date_ms,
    articles.c.first_seen_ms,
    articles.c.updated_ms,
    articles.c.body,
    articles.c.raw,
    LISTED_MS.label("listed_ms"),
)


# Built once: making the statement and its IN clause again for every feed cost more than SQLite's answer.
# By the key alone, the outlet checked on the rows found: asked for both, SQLite without statistics (a new
# store, until its first run's end) took the outlet's index and read every article of it for each feed.
_BY_KEY = {
    column.name: select(articles).where(column.in_(bindparam("keys", expanding=True))).order_by(articles.c.id)
    for column in (articles.c.guid, articles.c.link)
}
_IDS_OF_NEW = select(articles.c.archive_id, articles.c.id).where(
    articles.c.source == bindparam("source"),
    articles.c.path.is_(None),
    articles.c.archive_id.in_(bindparam("archive_ids", expanding=True)),
)


def _keyed(conn: Connection, source: str, column: Any, keys: Sequence[str]) -> dict[str, RowMapping]:
    """Stored articles of `source` whose `column` (guid or link) is one of `keys`, by that key.

    A query per feed rather than one per item: matching is most of what a run
    does with the store. Guids and links are looked up apart, each through its
    own index: one ``guid IN (…) OR link IN (…)`` made SQLite read every
    article of the source (bodies and all), a cost growing with the archive.
    When several articles share a key, the first stored (smallest id) is the one.
    """
    found: dict[str, RowMapping] = {}
    wanted = list(set(keys))
    for start in range(0, len(wanted), 400):  # stay under SQLite's variable limit
        for row in conn.execute(_BY_KEY[column.name], {"keys": wanted[start : start + 400]}).mappings():
            if row["source"] == source:
                found.setdefault(row[column.name], row)
    return found


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
    """Insert new articles (no `path`: at the standard path of their source and id); their ids in the order given.

    One executemany and one lookup by (source, archive_id), unique for articles
    without a path: RETURNING in parameter order made SQLAlchemy insert SQLite
    rows one statement at a time (no sentinel column), most of a feed's store time.
    """
    if not rows:
        return []
    assert all(row.get("path") is None for row in rows), "insert_many is for articles at their standard path"
    columns = tuple(rows[0])
    insert_tuples(conn, articles, columns, [tuple(row[c] for c in columns) for row in rows])
    ids: dict[tuple[str, int], int] = {}
    for source in {row["source"] for row in rows}:
        wanted = [row["archive_id"] for row in rows if row["source"] == source]
        for start in range(0, len(wanted), 400):  # stay under SQLite's variable limit
            found = conn.execute(_IDS_OF_NEW, {"source": source, "archive_ids": wanted[start : start + 400]})
            ids.update(((source, archive_id), article_id) for archive_id, article_id in found)
    return [ids[(row["source"], row["archive_id"])] for row in rows]


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
                    WAITING_PAGE,  # the partial index's own condition, so that it is used
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


def for_month_lists(conn: Connection, source: str, month: str | None = None) -> Iterator[RowMapping]:
    """Every published article of a source (or of one China `yyyy-mm` by its date), newest date first.

    What its monthly lists link. Articles still waiting for their page have no
    file yet and are left out.
    """
    query = select(*LIST_LINE).where(articles.c.source == source, SHOWN)
    if month is not None:
        start, end = _month_bounds(month)
        query = query.where(articles.c.date_ms >= start, articles.c.date_ms < end)
    yield from conn.execute(
        query.order_by(articles.c.date_ms.desc(), articles.c.archive_id, articles.c.path)
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
    by_guid = _keyed(conn, source, articles.c.guid, [guid for guid, _ in keys if guid])
    # Links only for the items their guid did not find: an unchanged feed's rows are read once.
    by_link = _keyed(conn, source, articles.c.link, [link for guid, link in keys if not (guid and guid in by_guid)])
    return [(by_guid.get(guid) if guid else None) or by_link.get(link) for guid, link in keys]


def get(conn: Connection, article_id: int) -> RowMapping:
    return conn.execute(select(articles).where(articles.c.id == article_id)).mappings().one()


def by_ids(conn: Connection, ids: Sequence[int]) -> list[RowMapping]:
    """These articles, whole (ids: at most a few thousand)."""
    return list(conn.execute(select(articles).where(articles.c.id.in_(ids))).mappings())


def by_archive_id(conn: Connection, source: str, archive_id: int) -> RowMapping | None:
    """The article at articles/<source>/<archive_id>; the standard path first.

    An imported 2020 folder may reuse the id (see schema.py).
    """
    return (
        conn.execute(
            select(articles)
            .where(and_(articles.c.source == source, articles.c.archive_id == archive_id))
            .order_by(articles.c.path.is_not(None))
            .limit(1)
        )
        .mappings()
        .first()
    )


def latest_titles(
    conn: Connection, source: str | None, limit: int, offset: int, *, shown_only: bool = False
) -> list[RowMapping]:
    """Titles of the newest articles by their own date (undated last), of one source or all: a page of them.

    `shown_only` leaves out those still waiting for their page (the site has no page for them).
    """
    query = select(articles.c.source, articles.c.archive_id, articles.c.path, articles.c.title, articles.c.date_ms)
    if source:
        query = query.where(articles.c.source == source)
    if shown_only:
        query = query.where(SHOWN)
    return list(conn.execute(query.order_by(*NEWEST).limit(limit).offset(offset)).mappings())


def sources_of(conn: Connection, ids: set[int]) -> dict[str, set[int]]:
    """Source → those of these article ids that belong to it."""
    found: dict[str, set[int]] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), 400):  # stay under SQLite's variable limit
        for aid, source in conn.execute(
            select(articles.c.id, articles.c.source).where(articles.c.id.in_(wanted[start : start + 400]))
        ):
            found.setdefault(source, set()).add(aid)
    return found


def shown_listed_dates(conn: Connection, source: str) -> Iterator[int]:
    """The listed date of each of the source's shown articles, streamed: one pass over a light column."""
    result = conn.execution_options(stream_results=True, yield_per=5000).execute(
        select(LISTED_MS).where(and_(articles.c.source == source, SHOWN))
    )
    for (ms,) in result:
        yield ms


def listed_dates_of(conn: Connection, ids: Iterable[int]) -> list[int]:
    """The listed date of each of these articles that is shown (ids: those changed in a run)."""
    wanted = sorted(ids)
    found: list[int] = []
    for start in range(0, len(wanted), 400):  # stay under SQLite's variable limit
        found += conn.execute(
            select(LISTED_MS).where(and_(articles.c.id.in_(wanted[start : start + 400]), SHOWN))
        ).scalars()
    return found


def _month_bounds(month: str) -> tuple[int, int]:
    year, number = (int(p) for p in month.split("-"))
    start = datetime(year, number, 1, tzinfo=CHINA)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=CHINA)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def shown_in_month(conn: Connection, source: str, month: str) -> list[RowMapping]:
    """The shown articles listed in a China `yyyy-mm`, newest first, without their bodies."""
    start, end = _month_bounds(month)
    return list(
        conn.execute(
            select(
                articles.c.id, articles.c.archive_id, articles.c.path, articles.c.title, LISTED_MS.label("listed_ms")
            )
            .where(and_(articles.c.source == source, SHOWN, LISTED_MS >= start, LISTED_MS < end))
            .order_by(LISTED_MS.desc(), articles.c.archive_id)
        ).mappings()
    )


def shown_with_bodies(conn: Connection, source: str, only: Iterable[int] | None = None) -> Iterator[RowMapping]:
    """The source's shown articles with their bodies, streamed (or just those in `only`)."""
    query = select(*_PAGE_COLUMNS).where(and_(articles.c.source == source, SHOWN))
    if only is not None:
        wanted = sorted(only)
        for start in range(0, len(wanted), 400):
            yield from conn.execute(query.where(articles.c.id.in_(wanted[start : start + 400]))).mappings()
        return
    yield from (
        conn.execution_options(stream_results=True, yield_per=500)
        .execute(query.order_by(articles.c.archive_id))
        .mappings()
    )


def newest_shown(conn: Connection, source: str | None, limit: int) -> list[RowMapping]:
    """The newest shown articles (of one source, or of all) with bodies: what a feed carries."""
    query = select(*_PAGE_COLUMNS).where(SHOWN)
    if source is not None:
        query = query.where(articles.c.source == source)
    return list(conn.execute(query.order_by(LISTED_MS.desc(), articles.c.id.desc()).limit(limit)).mappings())


def shown_since(conn: Connection, since_ms: int, sources: tuple[str, ...]) -> Iterator[RowMapping]:
    """Shown articles listed at or after `since_ms` (of these sources, or all), oldest first, with bodies."""
    query = select(*_PAGE_COLUMNS).where(and_(SHOWN, LISTED_MS >= since_ms))
    if sources:
        query = query.where(articles.c.source.in_(sources))
    yield from (
        conn.execution_options(stream_results=True, yield_per=500)
        .execute(query.order_by(LISTED_MS, articles.c.source, articles.c.archive_id))
        .mappings()
    )


def listed_per_china_day(conn: Connection, source: str, days: int) -> list[tuple[str, int]]:
    """Articles per China day (by listed date) for the `days` days up to the source's newest article.

    Counted in the database over the index of listed dates: a dense outlet has
    thousands of articles in a fortnight.
    """
    newest_ms = conn.execute(select(func.max(LISTED_MS)).where(articles.c.source == source)).scalar()
    if newest_ms is None:
        return []
    last = in_china(newest_ms).replace(hour=0, minute=0, second=0, microsecond=0)
    first = last - timedelta(days=days - 1)
    start = int(first.timestamp() * 1000)
    day = ((LISTED_MS - start) // DAY).label("day")  # whole days since `first`
    counts: dict[int, int] = dict(
        conn.execute(
            select(day, func.count()).where(and_(articles.c.source == source, LISTED_MS >= start)).group_by(day)
        ).all()
    )
    return [((first + timedelta(days=i)).strftime("%Y-%m-%d"), counts.get(i, 0)) for i in range(days)]


def count(conn: Connection, source: str) -> int:
    """All the source's articles, shown or not."""
    total: int = conn.execute(select(func.count()).where(articles.c.source == source)).scalar_one()
    return total


def dated_per_china_day(conn: Connection, source: str, start_ms: int, end_ms: int) -> dict[int, int]:
    """China day number ((ms + 8 h) // DAY) → the source's articles dated that day, `start_ms` to `end_ms` inclusive."""
    day = ((articles.c.date_ms + CHINA_OFFSET_MS) / DAY).label("day")
    return dict(
        conn.execute(
            select(func.floor(day), func.count())
            .where(and_(articles.c.source == source, articles.c.date_ms >= start_ms, articles.c.date_ms <= end_ms))
            .group_by(func.floor(day))
        ).all()
    )


def newest_dates(conn: Connection, source: str, until_ms: int, limit: int) -> list[int]:
    """The source's latest article dates not after `until_ms`, newest first."""
    return list(
        conn.execute(
            select(articles.c.date_ms)
            .where(
                and_(
                    articles.c.source == source,
                    articles.c.date_ms.is_not(None),
                    articles.c.date_ms <= until_ms,
                )
            )
            .order_by(articles.c.date_ms.desc())
            .limit(limit)
        ).scalars()
    )


def dated_after_seen(conn: Connection, source: str, seen_since_ms: int, slack_ms: int) -> list[int]:
    """Archive ids of the source's articles first seen since `seen_since_ms` whose date is over `slack_ms` later.

    Sorted here, not by the query: ordered by archive id, SQLite walked every
    article of the outlet by that index rather than the few first seen lately.
    """
    return sorted(
        conn.execute(
            select(articles.c.archive_id).where(
                and_(
                    articles.c.source == source,
                    articles.c.first_seen_ms >= seen_since_ms,
                    articles.c.date_ms > articles.c.first_seen_ms + slack_ms,
                )
            )
        ).scalars()
    )


def failing_pages(conn: Connection, source: str, min_attempts: int) -> tuple[int, str | None]:
    """How many of the source's pages failed at least `min_attempts` times, and one of their errors."""
    failing = conn.execute(
        select(func.count(), func.max(articles.c.page_error)).where(
            articles.c.source == source,
            WAITING_PAGE,
            articles.c.page_state == "failed",
            articles.c.page_attempts >= min_attempts,
        )
    ).one()
    return failing[0], failing[1]


def stamp(conn: Connection) -> tuple[int, int]:
    """(newest article id, latest update): changes whenever an article is added or its content or date changes."""
    row = conn.execute(text(STAMP_SQL)).one()
    return row.newest, row.updated


def id_stamp(conn: Connection) -> marks.IdStamp:
    """The articles' id stamp (store.marks): moves too when a worker commits an article under the newest id."""
    return marks.id_stamp(conn, articles.c.id)


def per_source(conn: Connection) -> dict[str, tuple[int, int | None]]:
    """Each source's number of articles and its newest article's date: a GROUP BY over every article."""
    rows = conn.execute(
        select(articles.c.source, func.count(), func.max(articles.c.date_ms)).group_by(articles.c.source)
    ).all()
    return {source: (n, newest) for source, n, newest in rows}


def rendered_between(conn: Connection, start_ms: int, end_ms: int) -> Iterator[RowMapping]:
    """Articles whose current content came in [start, end) and whose file is written: the day's article files.

    Each row: source, archive_id, path, shard, rendered_sha (the sha256 of the
    file's bytes as the render wrote them), in a stable order.
    """
    when = func.coalesce(articles.c.updated_ms, articles.c.first_seen_ms)
    yield from conn.execute(
        select(articles.c.source, articles.c.archive_id, articles.c.path, articles.c.shard, articles.c.rendered_sha)
        .where(when >= start_ms, when < end_ms, articles.c.rendered_sha.is_not(None))
        .order_by(articles.c.source, articles.c.archive_id)
    ).mappings()


def first_seen(conn: Connection) -> int | None:
    """When the store first saw any article: the first day a manifest can cover."""
    found = conn.execute(select(func.min(articles.c.first_seen_ms))).scalar_one()
    return None if found is None else int(found)
