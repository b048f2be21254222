"""What changed in the store since a moment: high-water marks of everything that changes a page.

Compared run to run (the site keeps the marks of its last render) to find the
articles whose page may differ.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from .marks import IdMark, IdStamp, id_mark, id_stamp, past, time_mark
from .schema import after, article_images, articles, checks, images, notifications, statuses, versions
from .statuses import GONE, deletion_events
from .versions import corrected, edited


def marks(conn: Connection, now: int) -> dict[str, Any]:
    """High-water marks of articles, their updates, versions, captures, statuses, mirrored images and witnesses.

    `witness` is when the newest third-party capture was learnt (store.outbox.captured): a job submitted in
    one run is often captured in a later one, and the article's pages must then show it. `checked` is the
    newest re-check of an article found deleted: its page says when it was last checked, and a re-check
    that finds it still gone records no status. `holes` are the id marks'; times are marked no later than
    `now` less the slack a late commit may need (store.marks).
    """
    article, version, status = (id_mark(conn, c) for c in (articles.c.id, versions.c.id, statuses.c.id))

    def newest(column: ColumnElement[int], *where: ColumnElement[bool]) -> int:
        return time_mark(conn.execute(select(func.max(column)).where(*where)).scalar(), now)

    return {
        "article": article[0],
        "updated": newest(articles.c.updated_ms),
        "version": version[0],
        "capture": conn.execute(select(func.max(versions.c.capture_id))).scalar() or 0,
        "status": status[0],
        "image": newest(images.c.tried_ms, images.c.status == "done"),
        "witness": newest(notifications.c.attempted_ms, notifications.c.snapshot_url.is_not(None)),
        "checked": newest(checks.c.last_ms, checks.c.status.in_(GONE)),
        "corrected": corrected(conn),
        "holes": {"article": article[1], "version": version[1], "status": status[1]},
    }


def _id(before: dict[str, Any], key: str) -> IdMark:
    """An id mark of `marks`; those saved before marks kept holes have none."""
    return before[key], before.get("holes", {}).get(key, [])


def ids_moved(before: dict[str, Any], now: dict[str, Any], *keys: str) -> bool:
    """Whether a row was committed under one of these id marks between two `marks`: past the top or in a hole."""
    return any(_id(before, key) != _id(now, key) for key in keys)


def rechecked_since(conn: Connection, before: dict[str, Any]) -> bool:
    """Whether an article found deleted was checked again since `before` was taken."""
    since = before.get("checked", 0)
    return (
        conn.execute(select(checks.c.article_id).where(checks.c.status.in_(GONE), checks.c.last_ms > since)).first()
        is not None
    )


def changed_since(conn: Connection, before: dict[str, Any]) -> set[int]:
    """Ids of the articles whose page may differ from the one written when `before` was taken.

    Id marks look in their holes, and times were marked early enough for late
    commits (store.marks). A page that arrives for an "auto" article replaces
    version 1 in place; its new capture is what shows it.
    """
    query = (
        select(articles.c.id)
        .where(
            or_(
                past(articles.c.id, _id(before, "article")),
                articles.c.updated_ms > before["updated"],
            )
        )
        .union(
            select(versions.c.article_id).where(
                or_(past(versions.c.id, _id(before, "version")), after(versions.c.capture_id, before["capture"]))
            ),
            select(statuses.c.article_id).where(past(statuses.c.id, _id(before, "status"))),
            select(article_images.c.article_id)
            .join(images, images.c.id == article_images.c.image_id)
            .where(and_(images.c.status == "done", images.c.tried_ms > before["image"])),
            # marks saved before witnesses had none: every witnessed article's pages once
            select(notifications.c.article_id).where(
                and_(
                    notifications.c.snapshot_url.is_not(None),
                    notifications.c.attempted_ms > before.get("witness", 0),
                )
            ),
            # and before re-checks had one: every deleted article's pages once
            select(checks.c.article_id).where(
                and_(checks.c.status.in_(GONE), checks.c.last_ms > before.get("checked", 0))
            ),
        )
    )
    return set(conn.execute(query).scalars())


def corrected_since(before: dict[str, Any], now: dict[str, Any]) -> bool:
    """Whether a version was corrected in place between two `marks` (those saved before the key read as none)."""
    return before.get("corrected") != now.get("corrected")


def change_stamp(conn: Connection) -> tuple[IdMark, IdMark]:
    """(versions' id mark, statuses' id mark): what was edited and found deleted up to now, however late its
    transaction commits (store.marks)."""
    return id_mark(conn, versions.c.id), id_mark(conn, statuses.c.id)


def moved_stamp(conn: Connection) -> tuple[IdStamp, IdStamp, str | None]:
    """What moves with every edit and every deletion noticed, however late its transaction commits, and with every
    body corrected in place, for those who ask only whether anything changed, not what (the reader's and the
    tree's feeds of changes): each table's id stamp (store.marks), one row read where a mark reads a thousand."""
    return id_stamp(conn, versions.c.id), id_stamp(conn, statuses.c.id), corrected(conn)


def sources_with_changes(conn: Connection, before: dict[str, Any]) -> set[str]:
    """The outlets with an edit or a deletion noticed since `before` was taken: their feeds of changes differ."""
    query = (
        select(articles.c.source)
        .join(versions, versions.c.article_id == articles.c.id)
        .where(versions.c.n > 1, past(versions.c.id, _id(before, "version")))
        .union(
            select(articles.c.source)
            .join(statuses, statuses.c.article_id == articles.c.id)
            .where(statuses.c.status.in_(GONE), past(statuses.c.id, _id(before, "status")))
        )
    )
    return set(conn.execute(query).scalars())


def noticed_any(conn: Connection) -> bool:
    """Has this store noticed an edit or a deletion, ever?

    Until it has, the tree's record of changes is not its own to write: either
    none happened (the original tree had none), or the store was rebuilt from
    the tree (a lost cache: `import` cannot read versions and statuses back).
    """
    return bool(edited(conn, 1) or deletion_events(conn, None, 1))
