"""Versions: every distinct (title, body) an article has had, with when it was first seen."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select, update
from sqlalchemy.orm import aliased

from .bulk import insert_tuples
from .imports import published_versions
from .marks import IdMark, past
from .schema import FILE, articles, versions
from .sources import get_meta, set_meta

# In `meta`, a new token with every correction in place: a corrected body moves no id, yet the feeds of
# changes show it (an edit's diff, a deletion's last text), so they are made again when the token moves.
CORRECTED_KEY = "versions_corrected"


def content_sha(title: str, body: str | None) -> str:
    # A NUL cannot occur in either field, so the pair is unambiguous. Hashed in
    # parts: the same bytes as encoding "title\0body", without copying the body into a new string.
    digest = hashlib.sha256(title.encode("utf-8", "surrogatepass"))
    digest.update(b"\0")
    digest.update((body or "").encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def latest(conn: Connection, article_id: int) -> RowMapping | None:
    return (
        conn.execute(select(versions).where(versions.c.article_id == article_id).order_by(versions.c.n.desc()).limit(1))
        .mappings()
        .first()
    )


def add(
    conn: Connection,
    article_id: int,
    seen_ms: int,
    title: str,
    date_ms: int | None,
    body: str | None,
    capture_id: int | None = None,
) -> int | None:
    """Record this content as the article's next version; None when it is the current one already."""
    sha = content_sha(title, body)
    current = latest(conn, article_id)
    if current is not None and current["sha256"] == sha:
        return None
    n = published_versions(conn, article_id) + 1 if current is None else current["n"] + 1
    conn.execute(
        versions.insert().values(
            article_id=article_id,
            n=n,
            seen_ms=seen_ms,
            title=title,
            date_ms=date_ms,
            body=body,
            sha256=sha,
            capture_id=capture_id,
        )
    )
    return n


def first_full_text(
    conn: Connection, article_id: int, seen_ms: int, title: str, date_ms: int | None, body: str, capture_id: int | None
) -> None:
    """The body of an article's page has arrived for the first time.

    When the only version so far is the feed's teaser (body = "auto"), the page
    text takes its place as version 1: getting the full text is not an edit at
    the source, and the teaser stays provable in the feed's capture.
    """
    current = latest(conn, article_id)
    if current is None or current["n"] != 1:
        add(conn, article_id, seen_ms, title, date_ms, body, capture_id)
        return
    conn.execute(
        update(versions)
        .where(versions.c.id == current["id"])
        .values(title=title, date_ms=date_ms, body=body, sha256=content_sha(title, body), capture_id=capture_id)
    )


_FIRST = ("article_id", "seen_ms", "title", "date_ms", "body", "capture_id")


def add_first(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Version 1 of many new articles at once (rows: the _FIRST columns)."""
    if rows:
        insert_tuples(
            conn,
            versions,
            (*_FIRST, "n", "sha256"),
            [(*(r[c] for c in _FIRST), 1, content_sha(r["title"], r["body"])) for r in rows],
        )


def history(conn: Connection, article_id: int) -> list[RowMapping]:
    return list(
        conn.execute(select(versions).where(versions.c.article_id == article_id).order_by(versions.c.n)).mappings()
    )


# The articles with a second version: a range of the index ix_versions_edited (migration 0010),
# never a grouping of every version of the store.
_EDITED = select(versions.c.article_id).where(versions.c.n > 1)


def edited(conn: Connection, limit: int | None = None) -> list[RowMapping]:
    """Articles with more than one version (`n` of them, the last seen `at`), most recently edited first."""
    last = (
        select(versions.c.article_id, func.count().label("n"), func.max(versions.c.seen_ms).label("at"))
        .where(versions.c.article_id.in_(_EDITED))
        .group_by(versions.c.article_id)
        .having(func.count() > 1)
        .subquery()
    )
    query = (
        select(*FILE, last.c.n, last.c.at)
        .join(last, last.c.article_id == articles.c.id)
        .order_by(last.c.at.desc(), articles.c.archive_id)
    )
    if limit:
        query = query.limit(limit)
    return list(conn.execute(query).mappings())


def edits(conn: Connection, source: str | None, limit: int) -> list[RowMapping]:
    """The newest `limit` edits (versions after the first), newest first, each with the version before it.

    One row per edit: the article's file columns and link, the version's `n`, `seen_ms`,
    `title` and `body`, and the earlier one's as `old_title` and `old_body`. The newest
    are chosen from the edited versions' index alone; bodies are read for those only.
    """
    newest = select(versions.c.id).where(versions.c.n > 1)
    if source is not None:
        newest = newest.join(articles, articles.c.id == versions.c.article_id).where(articles.c.source == source)
    chosen = newest.order_by(versions.c.seen_ms.desc(), versions.c.id.desc()).limit(limit).scalar_subquery()
    before = aliased(versions)
    query = (
        select(
            *FILE,
            articles.c.link,
            versions.c.id,
            versions.c.n,
            versions.c.seen_ms,
            versions.c.title.label("new_title"),
            versions.c.body,
            before.c.title.label("old_title"),
            before.c.body.label("old_body"),
        )
        .join(articles, articles.c.id == versions.c.article_id)
        .join(before, (before.c.article_id == versions.c.article_id) & (before.c.n == versions.c.n - 1))
        .where(versions.c.id.in_(chosen))
        .order_by(versions.c.seen_ms.desc(), versions.c.id.desc())
    )
    return list(conn.execute(query).mappings())


def counts(conn: Connection, source: str) -> dict[int, int]:
    """Article id → number of versions, for the source's articles that have more than one."""
    return dict(
        conn.execute(
            select(versions.c.article_id, func.count())
            .join(articles, articles.c.id == versions.c.article_id)
            .where(articles.c.source == source, versions.c.article_id.in_(_EDITED))
            .group_by(versions.c.article_id)
            .having(func.count() > 1)
        ).all()
    )


def earlier(conn: Connection, source: str, only_dirty_since: IdMark | None = None) -> list[RowMapping]:
    """Every version of the source's articles that is not the current one (for versions/<abbr>/<id>/<n>.md).

    Only the articles with a second version are grouped (with `only_dirty_since`, only
    those with a version added since): the others have no earlier version. Each
    such article comes with all its earlier versions, however old: the one a new
    version pushed out of `articles/` was made before the mark.
    """
    which = _EDITED if only_dirty_since is None else _EDITED.where(past(versions.c.id, only_dirty_since))
    last = (
        select(versions.c.article_id, func.max(versions.c.n).label("top"))
        .where(versions.c.article_id.in_(which))
        .group_by(versions.c.article_id)
        .subquery()
    )
    query = (
        select(versions, articles.c.archive_id, articles.c.shard, articles.c.link)
        .join(articles, articles.c.id == versions.c.article_id)
        .join(last, last.c.article_id == versions.c.article_id)
        .where(articles.c.source == source, versions.c.n < last.c.top)
    )
    return list(conn.execute(query.order_by(articles.c.archive_id, versions.c.n)).mappings())


def correct(conn: Connection, version_id: int, title: str, body: str) -> None:
    """Replace a version's body in place: the same bytes read again with a better rule are not a new version.

    A token, not a count: two corrections committed at once on PostgreSQL each leave one that differs from
    whatever a render read before either.
    """
    conn.execute(update(versions).where(versions.c.id == version_id).values(body=body, sha256=content_sha(title, body)))
    set_meta(conn, CORRECTED_KEY, uuid.uuid4().hex)


def corrected(conn: Connection) -> str | None:
    """The token of the last correction in place (None: never corrected)."""
    return get_meta(conn, CORRECTED_KEY)
