"""What changed in the store since a moment: high-water marks of everything that changes a page.

Compared run to run (the site keeps the marks of its last render) to find the
articles whose page may differ.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, func, or_, select

from .schema import after, article_images, articles, checks, images, notifications, statuses, versions
from .statuses import GONE, deletion_events
from .versions import edited


def marks(conn: Connection) -> dict[str, int]:
    """High-water marks of articles, their updates, versions, captures, statuses, mirrored images and witnesses.

    `witness` is when the newest third-party capture was learnt (store.outbox.captured): a job submitted in
    one run is often captured in a later one, and the article's pages must then show it. `checked` is the
    newest re-check of an article found deleted: its page says when it was last checked, and a re-check
    that finds it still gone records no status.
    """
    return {
        "article": conn.execute(select(func.max(articles.c.id))).scalar() or 0,
        "updated": conn.execute(select(func.max(articles.c.updated_ms))).scalar() or 0,
        "version": conn.execute(select(func.max(versions.c.id))).scalar() or 0,
        "capture": conn.execute(select(func.max(versions.c.capture_id))).scalar() or 0,
        "status": conn.execute(select(func.max(statuses.c.id))).scalar() or 0,
        "image": conn.execute(select(func.max(images.c.tried_ms)).where(images.c.status == "done")).scalar() or 0,
        "witness": conn.execute(
            select(func.max(notifications.c.attempted_ms)).where(notifications.c.snapshot_url.is_not(None))
        ).scalar()
        or 0,
        "checked": conn.execute(select(func.max(checks.c.last_ms)).where(checks.c.status.in_(GONE))).scalar() or 0,
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
                after(articles.c.id, before["article"]),
                articles.c.updated_ms > before["updated"],
            )
        )
        .union(
            select(versions.c.article_id).where(
                or_(after(versions.c.id, before["version"]), after(versions.c.capture_id, before["capture"]))
            ),
            select(statuses.c.article_id).where(after(statuses.c.id, before["status"])),
            select(article_images.c.article_id)
            .join(images, images.c.id == article_images.c.image_id)
            .where(and_(images.c.status == "done", images.c.tried_ms > before["image"])),
            # marks saved before witnesses had none: every witnessed article's pages once
            select(notifications.c.article_id).where(
                and_(notifications.c.snapshot_url.is_not(None), notifications.c.attempted_ms > before.get("witness", 0))
            ),
            # and before re-checks had one: every deleted article's pages once
            select(checks.c.article_id).where(
                and_(checks.c.status.in_(GONE), checks.c.last_ms > before.get("checked", 0))
            ),
        )
    )
    return set(conn.execute(query).scalars())


def change_stamp(conn: Connection) -> tuple[int, int]:
    """(newest version id, newest status id): moves with every edit and every deletion noticed."""
    return (
        conn.execute(select(func.max(versions.c.id))).scalar() or 0,
        conn.execute(select(func.max(statuses.c.id))).scalar() or 0,
    )


def sources_with_changes(conn: Connection, before: dict[str, int]) -> set[str]:
    """The outlets with an edit or a deletion noticed since `before` was taken: their feeds of changes differ."""
    query = (
        select(articles.c.source)
        .join(versions, versions.c.article_id == articles.c.id)
        .where(versions.c.n > 1, after(versions.c.id, before["version"]))
        .union(
            select(articles.c.source)
            .join(statuses, statuses.c.article_id == articles.c.id)
            .where(statuses.c.status.in_(GONE), after(statuses.c.id, before["status"]))
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
