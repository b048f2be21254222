"""The notification outbox: which edits, deletions and new articles a channel has to hear of, and how far each got.

Events are found by scanning the versions and statuses added since the marks
kept in `meta`; the messages are queued and the marks moved in one
transaction, so a run killed at any moment queues each event exactly once.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping, Select, and_, func, select, text, update
from sqlalchemy.orm import aliased

from .marks import IdMark, mark_from, past
from .schema import FILE, articles, insert_ignoring_duplicates, notifications, statuses, versions
from .sources import get_meta, set_meta

_MARKS = "notify_marks"
DELETED = ("gone", "censored")
_LOCK_FILE = "-notify.lock"  # beside an SQLite store: `vault.sqlite-notify.lock`


def marks(conn: Connection) -> tuple[IdMark, IdMark] | None:
    """The versions' and statuses' id marks of the last scan (store.marks); None before the first scan."""
    found = get_meta(conn, _MARKS)
    if found is None:
        return None
    value = json.loads(found)
    return mark_from(value["versions"]), mark_from(value["statuses"])


def set_marks(conn: Connection, versions_mark: IdMark, statuses_mark: IdMark) -> None:
    set_meta(conn, _MARKS, json.dumps({"versions": list(versions_mark), "statuses": list(statuses_mark)}))


def versions_since(conn: Connection, mark: IdMark) -> list[RowMapping]:
    """Versions committed since `mark`, with their article and the version before (`old_title`, `old_body`)."""
    before = aliased(versions)
    query = (
        select(
            versions.c.id.label("ref"),
            versions.c.n,
            versions.c.seen_ms,
            versions.c.title,
            versions.c.body,
            before.c.title.label("old_title"),
            before.c.body.label("old_body"),
            articles.c.id.label("article_id"),
            articles.c.link,
            articles.c.imported,
            *FILE[:-1],
        )
        .join(articles, articles.c.id == versions.c.article_id)
        .outerjoin(before, and_(before.c.article_id == versions.c.article_id, before.c.n == versions.c.n - 1))
        .where(past(versions.c.id, mark))
        .order_by(versions.c.id)
    )
    return list(conn.execute(query).mappings())


def deletions_since(conn: Connection, mark: IdMark) -> list[RowMapping]:
    """Status rows committed since `mark` saying an article is gone or censored, with the article."""
    query = (
        select(
            statuses.c.id.label("ref"),
            statuses.c.status,
            statuses.c.seen_ms,
            statuses.c.detail,
            articles.c.id.label("article_id"),
            articles.c.link,
            *FILE,
        )
        .join(articles, articles.c.id == statuses.c.article_id)
        .where(and_(past(statuses.c.id, mark), statuses.c.status.in_(DELETED)))
        .order_by(statuses.c.id)
    )
    return list(conn.execute(query).mappings())


def queue(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Add messages (channel, event, ref, article_id, text, queued_ms) not queued before; how many were new."""
    new = [
        row
        for row in rows
        if conn.execute(
            select(notifications.c.id).where(
                and_(
                    notifications.c.channel == row["channel"],
                    notifications.c.event == row["event"],
                    notifications.c.ref == row["ref"],
                )
            )
        ).first()
        is None
    ]
    # A scan by another process at the same moment (a `run` and a worker) may have queued them since:
    # the unique key keeps each message once, whoever inserts it first.
    insert_ignoring_duplicates(conn, notifications, [{**row, "state": "queued", "attempts": 0} for row in new])
    return len(new)


def _in_state(conn: Connection, channel: str, state: str, *columns: Any) -> list[RowMapping]:
    """The channel's rows in `state`, oldest first: their id and `columns`."""
    query = (
        select(notifications.c.id, *columns)
        .where(and_(notifications.c.channel == channel, notifications.c.state == state))
        .order_by(notifications.c.id)
    )
    return list(conn.execute(query).mappings())


def _set(conn: Connection, notification_id: int, **values: Any) -> None:
    """One row's state and what came with it."""
    conn.execute(update(notifications).where(notifications.c.id == notification_id).values(**values))


def waiting(conn: Connection, channel: str) -> list[RowMapping]:
    """The channel's queued messages, oldest first."""
    return _in_state(conn, channel, "queued", notifications.c.text, notifications.c.attempts)


def settle_interrupted(conn: Connection, channel: str) -> list[int]:
    """Messages a killed run left "sending" become "uncertain" (maybe posted, never sent again); their ids."""
    ids = [row["id"] for row in _in_state(conn, channel, "sending")]
    if ids:
        conn.execute(update(notifications).where(notifications.c.id.in_(ids)).values(state="uncertain"))
    return ids


def last_attempt_ms(conn: Connection, channel: str) -> int | None:
    """When the channel was last sent a request: the rate limit holds across runs too."""
    found: int | None = conn.execute(
        select(func.max(notifications.c.attempted_ms)).where(notifications.c.channel == channel)
    ).scalar()
    return found


def sending(conn: Connection, notification_id: int, now_ms: int) -> None:
    _set(conn, notification_id, state="sending", attempts=notifications.c.attempts + 1, attempted_ms=now_ms)


def posted(conn: Connection, notification_id: int, message_id: int, now_ms: int) -> None:
    _set(conn, notification_id, state="posted", message_id=message_id, posted_ms=now_ms, error=None)


def requeue(conn: Connection, notification_id: int, error: str) -> None:
    """The API said no, or did not answer: the message waits for the next attempt."""
    _set(conn, notification_id, state="queued", error=error)


def counts(conn: Connection, channel: str) -> dict[str, int]:
    """How many of the channel's messages are in each state."""
    query = (
        select(notifications.c.state, func.count())
        .where(notifications.c.channel == channel)
        .group_by(notifications.c.state)
    )
    return {state: n for state, n in conn.execute(query)}


def channels(conn: Connection) -> list[str]:
    """Every channel the outbox holds messages for, by name (`status` shows each)."""
    query = select(notifications.c.channel).distinct().order_by(notifications.c.channel)
    return list(conn.execute(query).scalars())


def last_error(conn: Connection, channel: str) -> RowMapping | None:
    """The newest failed attempt whose message still waits: its `error` (one line) and `attempted_ms`."""
    query = (
        select(notifications.c.error, notifications.c.attempted_ms)
        .where(
            and_(
                notifications.c.channel == channel,
                notifications.c.error.is_not(None),
                notifications.c.state != "dropped",  # given up by hand: its error is nobody's concern now
            )
        )
        .order_by(notifications.c.attempted_ms.desc(), notifications.c.id.desc())
        .limit(1)
    )
    return conn.execute(query).mappings().first()


def submitted(conn: Connection, notification_id: int, job_id: str) -> None:
    """A witness took the URL: the job is asked about until it ends, in this run or a later one."""
    _set(conn, notification_id, state="submitted", job_id=job_id, error=None)


def jobs(conn: Connection, channel: str) -> list[RowMapping]:
    """The witness's submitted jobs still running, oldest first."""
    return _in_state(conn, channel, "submitted", notifications.c.job_id, notifications.c.attempts)


def captured(conn: Connection, notification_id: int, snapshot_url: str, taken_ms: int, now_ms: int) -> None:
    """SPN2 took the snapshot at `taken_ms` (its clock); `attempted_ms` is now, when the status request found it.

    That local time is what the static site's marks compare (store.changes):
    SPN2's times do not arrive in the order they are learnt.
    """
    _set(
        conn,
        notification_id,
        state="posted",
        snapshot_url=snapshot_url,
        posted_ms=taken_ms,
        attempted_ms=now_ms,
        error=None,
    )


def failed(conn: Connection, notification_id: int, error: str) -> None:
    """Given up on: never sent again, the reason kept."""
    _set(conn, notification_id, state="failed", error=error)


def _snapshots(*where: Any) -> Select[Any]:
    """Third-party captures (`article_id`, `event`, `ref`, `snapshot_url`, `posted_ms`), oldest first.

    The one query behind `history`, the reader's article page and the static site.
    """
    return (
        select(
            notifications.c.article_id,
            notifications.c.event,
            notifications.c.ref,
            notifications.c.snapshot_url,
            notifications.c.posted_ms,
        )
        .where(and_(notifications.c.snapshot_url.is_not(None), *where))
        .order_by(notifications.c.posted_ms, notifications.c.id)
    )


def snapshots(conn: Connection, article_id: int) -> list[RowMapping]:
    """The third-party captures of an article, oldest first."""
    return list(conn.execute(_snapshots(notifications.c.article_id == article_id)).mappings())


def snapshots_of(conn: Connection, source: str, only: Iterable[int] | None = None) -> dict[int, list[RowMapping]]:
    """The third-party captures of an outlet's articles that have any (or of those in `only`), by article id.

    The site renders many pages at once (`articles.shown_with_bodies`, same
    arguments): one read of the outbox for them, not one per page.
    """
    if only is None:
        chunks: list[Select[Any] | list[int]] = [select(articles.c.id).where(articles.c.source == source)]
    else:
        wanted = sorted(only)
        chunks = [wanted[start : start + 400] for start in range(0, len(wanted), 400)]
    found: dict[int, list[RowMapping]] = {}
    for ids in chunks:
        for row in conn.execute(_snapshots(notifications.c.article_id.in_(ids))).mappings():
            found.setdefault(row["article_id"], []).append(row)
    return found


@contextmanager
def posting(engine: Engine, channel: str) -> Iterator[bool]:
    """Hold the right to post to `channel` (yields True), or learn that another process has it (False).

    One poster at a time across processes (`run`, a worker's `notify` or
    `witness` job, the `notify` command): a second would take the first's message in flight for
    one a killed run left (`settle_interrupted`) and send messages the first
    already read as queued. Never waits: whoever does not get it leaves the
    queue to the one posting. PostgreSQL: a session advisory lock on a
    connection held meanwhile; SQLite: an flock on a file beside the store
    (one for every channel: Telegram and the Wayback Machine are posted to in
    turn, never nested).
    Both go with the process that holds them, so a killed poster never keeps
    the others out.
    """
    if engine.dialect.name == "postgresql":
        with _advisory(engine, f"newsvault.notify:{channel}") as got:
            yield got
        return
    database = engine.url.database
    if not database or database == ":memory:":  # no other process can open this store
        yield True
        return
    fd = os.open(database + _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # the lock goes with the file's last descriptor


@contextmanager
def _advisory(engine: Engine, key: str) -> Iterator[bool]:
    """A session-level advisory lock on `key`, on a connection kept until the block ends."""
    conn = engine.connect()
    try:
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(hashtext(:key))"), {"key": key}).scalar())
        conn.commit()  # the lock outlives the transaction; the connection is not left idle in one
        yield got
        if got:
            conn.execute(text("SELECT pg_advisory_unlock(hashtext(:key))"), {"key": key})
            conn.commit()
    except BaseException:
        conn.invalidate()  # closed, not pooled: the lock cannot stay held on a connection in the pool
        raise
    finally:
        conn.close()


def states(conn: Connection, channel: str, ids: Sequence[int]) -> dict[int, str]:
    """The state of each of these ids that is a message of `channel` (the others are missing)."""
    query = select(notifications.c.id, notifications.c.state).where(
        and_(notifications.c.channel == channel, notifications.c.id.in_(sorted(set(ids))))
    )
    return {row.id: row.state for row in conn.execute(query)}


def uncertain(conn: Connection, channel: str) -> list[RowMapping]:
    """The channel's uncertain messages, oldest first: id, text and when the interrupted send started."""
    return _in_state(conn, channel, "uncertain", notifications.c.text, notifications.c.attempted_ms)


def resend(conn: Connection, ids: Sequence[int]) -> None:
    """Uncertain messages the operator found missing from the channel: queued again, sent by the next poster."""
    conn.execute(
        update(notifications)
        .where(and_(notifications.c.id.in_(list(ids)), notifications.c.state == "uncertain"))
        .values(state="queued")
    )


def drop(conn: Connection, ids: Sequence[int]) -> None:
    """Messages the operator gave up on (found in the channel, or never to be sent): never sent again."""
    conn.execute(
        update(notifications)
        .where(and_(notifications.c.id.in_(list(ids)), notifications.c.state.in_(("uncertain", "queued"))))
        .values(state="dropped")
    )
