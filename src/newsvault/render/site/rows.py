"""What the site reads from the store: streamed per outlet and month, never all at once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from sqlalchemy import Connection, RowMapping, and_, func, or_, select

from newsvault.base.clock import CHINA, in_china
from newsvault.store.schema import article_images, articles, checks, images, sources, statuses, versions

from .paths import month_of

# The date an article is listed by: its own, else when it was first seen (undated imports).
LISTED_MS = func.coalesce(articles.c.date_ms, articles.c.first_seen_ms)
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
_SHOWN = or_(articles.c.body.is_not(None), articles.c.raw.is_not(None))  # not waiting for its page


def marks(conn: Connection) -> dict[str, int]:
    """High-water marks of everything that changes a page; compared run to run to find what did."""
    return {
        "article": conn.execute(select(func.max(articles.c.id))).scalar() or 0,
        "updated": conn.execute(select(func.max(articles.c.updated_ms))).scalar() or 0,
        "version": conn.execute(select(func.max(versions.c.id))).scalar() or 0,
        "capture": conn.execute(select(func.max(versions.c.capture_id))).scalar() or 0,
        "status": conn.execute(select(func.max(statuses.c.id))).scalar() or 0,
        "image": conn.execute(select(func.max(images.c.tried_ms)).where(images.c.status == "done")).scalar() or 0,
    }


def changed_since(conn: Connection, before: dict[str, int]) -> set[int]:
    """Ids of the articles whose page may differ from the one written when `before` was taken.

    A page that arrives for an "auto" article replaces version 1 in place; its
    new capture is what shows it.
    """
    query = (
        select(articles.c.id)
        .where(
            or_(
                articles.c.id > before["article"],
                articles.c.updated_ms > before["updated"],
            )
        )
        .union(
            select(versions.c.article_id).where(
                or_(versions.c.id > before["version"], versions.c.capture_id > before["capture"])
            ),
            select(statuses.c.article_id).where(statuses.c.id > before["status"]),
            select(article_images.c.article_id)
            .join(images, images.c.id == article_images.c.image_id)
            .where(and_(images.c.status == "done", images.c.tried_ms > before["image"])),
        )
    )
    return set(conn.execute(query).scalars())


def outlets_of(conn: Connection, ids: set[int]) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), 400):  # stay under SQLite's variable limit
        for aid, source in conn.execute(
            select(articles.c.id, articles.c.source).where(articles.c.id.in_(wanted[start : start + 400]))
        ):
            found.setdefault(source, set()).add(aid)
    return found


def all_sources(conn: Connection) -> list[RowMapping]:
    return list(conn.execute(select(sources).order_by(sources.c.abbr)).mappings())


def month_counts(conn: Connection, abbr: str) -> Counter[str]:
    """Articles shown per `yyyy-mm`, from one streamed pass over a light column."""
    counts: Counter[str] = Counter()
    result = conn.execution_options(stream_results=True, yield_per=5000).execute(
        select(LISTED_MS).where(and_(articles.c.source == abbr, _SHOWN))
    )
    for (ms,) in result:
        counts[month_of(ms)] += 1
    return counts


def _month_bounds(month: str) -> tuple[int, int]:
    year, number = (int(p) for p in month.split("-"))
    start = datetime(year, number, 1, tzinfo=CHINA)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=CHINA)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def month_entries(conn: Connection, abbr: str, month: str) -> list[RowMapping]:
    """The month's articles, newest first, without their bodies."""
    start, end = _month_bounds(month)
    return list(
        conn.execute(
            select(
                articles.c.id, articles.c.archive_id, articles.c.path, articles.c.title, LISTED_MS.label("listed_ms")
            )
            .where(and_(articles.c.source == abbr, _SHOWN, LISTED_MS >= start, LISTED_MS < end))
            .order_by(LISTED_MS.desc(), articles.c.archive_id)
        ).mappings()
    )


def for_pages(conn: Connection, abbr: str, only: Iterable[int] | None = None) -> Iterator[RowMapping]:
    """The outlet's shown articles with their bodies, streamed (or just those in `only`)."""
    query = select(*_PAGE_COLUMNS).where(and_(articles.c.source == abbr, _SHOWN))
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


def newest(conn: Connection, abbr: str | None, limit: int) -> list[RowMapping]:
    """The newest shown articles (of one outlet, or of all) with bodies: what a feed carries."""
    query = select(*_PAGE_COLUMNS).where(_SHOWN)
    if abbr is not None:
        query = query.where(articles.c.source == abbr)
    return list(conn.execute(query.order_by(LISTED_MS.desc(), articles.c.id.desc()).limit(limit)).mappings())


def since(conn: Connection, since_ms: int, abbrs: tuple[str, ...]) -> Iterator[RowMapping]:
    """Shown articles listed at or after `since_ms` (of these outlets, or all), oldest first: a bundle."""
    query = select(*_PAGE_COLUMNS).where(and_(_SHOWN, LISTED_MS >= since_ms))
    if abbrs:
        query = query.where(articles.c.source.in_(abbrs))
    yield from (
        conn.execution_options(stream_results=True, yield_per=500)
        .execute(query.order_by(LISTED_MS, articles.c.source, articles.c.archive_id))
        .mappings()
    )


def version_counts(conn: Connection, abbr: str) -> dict[int, int]:
    """Article id → number of versions, for the outlet's articles that have more than one."""
    return dict(
        conn.execute(
            select(versions.c.article_id, func.count())
            .join(articles, articles.c.id == versions.c.article_id)
            .where(articles.c.source == abbr)
            .group_by(versions.c.article_id)
            .having(func.count() > 1)
        ).all()
    )


def deletions(conn: Connection, abbr: str | None = None) -> dict[int, tuple[str, int | None]]:
    """Article id → (gone | censored, when last checked), for articles deleted at their source."""
    query = select(checks.c.article_id, checks.c.status, checks.c.last_ms).where(
        checks.c.status.in_(("gone", "censored"))
    )
    if abbr is not None:
        query = query.join(articles, articles.c.id == checks.c.article_id).where(articles.c.source == abbr)
    return {aid: (status, ms) for aid, status, ms in conn.execute(query)}


def article_versions(conn: Connection, article_id: int) -> list[RowMapping]:
    return list(
        conn.execute(select(versions).where(versions.c.article_id == article_id).order_by(versions.c.n)).mappings()
    )


def edited(conn: Connection) -> list[RowMapping]:
    """Articles with more than one version, most recently edited first."""
    last = (
        select(versions.c.article_id, func.count().label("n"), func.max(versions.c.seen_ms).label("at"))
        .group_by(versions.c.article_id)
        .having(func.count() > 1)
        .subquery()
    )
    return list(
        conn.execute(
            select(articles.c.source, articles.c.archive_id, articles.c.path, articles.c.title, last.c.n, last.c.at)
            .join(last, last.c.article_id == articles.c.id)
            .order_by(last.c.at.desc(), articles.c.archive_id)
        ).mappings()
    )


def deleted(conn: Connection) -> list[RowMapping]:
    """Articles whose latest status is gone or censored, most recently checked first."""
    return list(
        conn.execute(
            select(
                articles.c.source,
                articles.c.archive_id,
                articles.c.path,
                articles.c.title,
                checks.c.status,
                checks.c.last_ms,
            )
            .join(checks, checks.c.article_id == articles.c.id)
            .where(and_(checks.c.status.in_(("gone", "censored")), _SHOWN))
            .order_by(checks.c.last_ms.desc(), articles.c.archive_id)
        ).mappings()
    )


def per_day(conn: Connection, abbr: str, days: int) -> list[tuple[str, int]]:
    """Articles per China day for the `days` days up to the outlet's newest article."""
    newest_ms = conn.execute(select(func.max(LISTED_MS)).where(articles.c.source == abbr)).scalar()
    if newest_ms is None:
        return []
    last = in_china(newest_ms).replace(hour=0, minute=0, second=0, microsecond=0)
    first = last - timedelta(days=days - 1)
    counts: Counter[str] = Counter()
    for (ms,) in conn.execute(
        select(LISTED_MS).where(and_(articles.c.source == abbr, LISTED_MS >= int(first.timestamp() * 1000)))
    ):
        counts[in_china(ms).strftime("%Y-%m-%d")] += 1
    return [
        ((first + timedelta(days=i)).strftime("%Y-%m-%d"), counts[(first + timedelta(days=i)).strftime("%Y-%m-%d")])
        for i in range(days)
    ]


def counts_by_source(conn: Connection) -> dict[str, int]:
    return dict(conn.execute(select(articles.c.source, func.count()).where(_SHOWN).group_by(articles.c.source)).all())
