"""The fetch log: every poll of every source, with what it found and what went wrong."""

from __future__ import annotations

from sqlalchemy import Connection, RowMapping, func, select

from .schema import fetch_log


def record(
    conn: Connection,
    *,
    source: str,
    started_ms: int,
    finished_ms: int,
    url: str | None,
    http_status: int | None,
    new: int,
    updated: int,
    unchanged: int,
    error: str | None,
    problems: list[str],
    notes: list[str],
) -> None:
    conn.execute(
        fetch_log.insert().values(
            source=source,
            started_ms=started_ms,
            finished_ms=finished_ms,
            url=url,
            http_status=http_status,
            new=new,
            updated=updated,
            unchanged=unchanged,
            error=error,
            problems="\n".join(problems) or None,
            notes="\n".join(notes) or None,
        )
    )


def newest(conn: Connection) -> int | None:
    """The id of the latest poll logged: changes whenever any source is polled."""
    found: int | None = conn.execute(select(func.max(fetch_log.c.id))).scalar()
    return found


def last_started(conn: Connection, source: str) -> int | None:
    """When the source's last poll that reached its end (its log written) began."""
    started: int | None = conn.execute(
        select(func.max(fetch_log.c.started_ms)).where(fetch_log.c.source == source)
    ).scalar()
    return started


def last_poll(conn: Connection, source: str) -> RowMapping | None:
    """The source's latest poll that reached its end: what it found, its failure, problems and notes."""
    return (
        conn.execute(
            select(fetch_log).where(fetch_log.c.source == source).order_by(fetch_log.c.started_ms.desc()).limit(1)
        )
        .mappings()
        .first()
    )


def polls_since(conn: Connection, since_ms: int) -> list[RowMapping]:
    """Every poll that began at `since_ms` or later, oldest first: a workers' round as the store saw it."""
    return list(
        conn.execute(select(fetch_log).where(fetch_log.c.started_ms >= since_ms).order_by(fetch_log.c.started_ms))
        .mappings()
        .all()
    )
