"""Imported trees in the store: articles read from files, and the files that are not articles.

An import is written in batches, each in the caller's transaction, and asks
before each batch which of its files the store already has: that is what makes
an interrupted import resumable and a repeated one a no-op.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, bindparam, delete, exists, select, update

from newsvault.archive.ids import version_folder

from .bulk import insert_tuples
from .schema import LIST_LINE, articles, kept_files

_VERSION_NAME = re.compile(r"[1-9][0-9]{0,8}\.md")  # <n>.md, as render writes it


def stored_files(conn: Connection, source: str, archive_ids: Iterable[int]) -> set[tuple[int, str | None]]:
    """Which (archive_id, path) pairs of `source` are stored, among these ids."""
    ids = sorted(set(archive_ids))
    if not ids:
        return set()
    rows = conn.execute(
        select(articles.c.archive_id, articles.c.path).where(
            and_(articles.c.source == source, articles.c.archive_id.in_(ids))
        )
    )
    return {(row.archive_id, row.path) for row in rows}


def stored_kept(conn: Connection, paths: Iterable[str]) -> set[str]:
    wanted = sorted(set(paths))
    if not wanted:
        return set()
    return set(conn.execute(select(kept_files.c.path).where(kept_files.c.path.in_(wanted))).scalars())


# The columns an import fills, in the order of the tuples `insert_articles` takes.
IMPORT_COLUMNS = (
    "source",
    "archive_id",
    "link",
    "title",
    "date_ms",
    "body",
    "first_seen_ms",
    "last_seen_ms",
    "path",
    "raw",
    "imported",
    "shard",
)


def insert_articles(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Many articles (tuples in IMPORT_COLUMNS order) in one driver-level executemany."""
    insert_tuples(conn, articles, IMPORT_COLUMNS, rows)


def insert_kept(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        conn.execute(kept_files.insert(), list(rows))


def kept_index(conn: Connection) -> list[RowMapping]:
    """Path, kind and source of every kept file (not its bytes, which may be large)."""
    return list(
        conn.execute(
            select(kept_files.c.path, kept_files.c.kind, kept_files.c.source).order_by(kept_files.c.path)
        ).mappings()
    )


def published_versions(conn: Connection, article_id: int) -> int:
    """How many earlier versions of the article an imported tree brought (the largest `n` of its files; 0 if none).

    A store rebuilt from its published tree (an Actions cache lost) has the
    articles' current text but not their history; the tree's `versions/` files
    are kept as they are, and the article's versions from now on are numbered
    after them, so that no published version's file is ever written over.
    """
    article = conn.execute(
        select(articles.c.source, articles.c.archive_id, articles.c.shard, articles.c.imported).where(
            articles.c.id == article_id
        )
    ).one()
    if not article.imported:  # an article this store found itself: no tree published a version of it before
        return 0
    folder = version_folder(article.source, article.archive_id, article.shard)
    paths = conn.execute(
        select(kept_files.c.path).where(
            kept_files.c.kind == "version", kept_files.c.path.startswith(folder, autoescape=True)
        )
    ).scalars()
    return max(
        (int(name[:-3]) for name in (p[len(folder) :] for p in paths) if _VERSION_NAME.fullmatch(name)), default=0
    )


def kept_bytes(conn: Connection, path: str) -> bytes | None:
    return conn.execute(select(kept_files.c.raw).where(kept_files.c.path == path)).scalar()


def drop_kept(conn: Connection, paths: Iterable[str]) -> None:
    wanted = list(paths)
    if wanted:
        conn.execute(delete(kept_files).where(kept_files.c.path.in_(wanted)))


def has_new_articles(conn: Connection, source: str) -> bool:
    """Has `source` an article that did not come from the imported tree?

    Then its imported list no longer shows the outlet's newest articles and is
    regenerated. Edits to imported articles do not count: a feed that shows an
    old article again mostly differs from the file only in its body's line
    breaks, and that must not replace a 2020 list by an empty final-format one.
    """
    return bool(
        conn.execute(
            select(
                exists().where(
                    and_(
                        articles.c.source == source,
                        articles.c.imported.is_(False),
                    )
                )
            )
        ).scalar()
    )


def newest_in_folder(conn: Connection, source: str, limit: int) -> list[RowMapping]:
    """The newest articles at ``articles/<abbr>/<id>.md``: what a final-format list shows.

    Files elsewhere (the 2020 folder of the outlet) were never in the final lists,
    whose entries were the first files of ``articles/<abbr>/``.
    """
    return list(
        conn.execute(
            select(*LIST_LINE, articles.c.body, articles.c.raw)
            .where(and_(articles.c.source == source, articles.c.path.is_(None)))
            .order_by(articles.c.archive_id)
            .limit(limit)
        ).mappings()
    )


def listing(conn: Connection, source: str | None = None) -> Iterator[RowMapping]:
    """Every stored article (of one source), by outlet, newest first: streamed, not loaded."""
    query = select(
        articles.c.source,
        articles.c.archive_id,
        articles.c.path,
        articles.c.shard,
        articles.c.title,
        articles.c.link,
        articles.c.date_ms,
        articles.c.raw,
    )
    if source is not None:
        query = query.where(articles.c.source == source)
    result = conn.execution_options(stream_results=True, yield_per=1000).execute(
        query.order_by(articles.c.source, articles.c.archive_id, articles.c.path)
    )
    yield from result.mappings()


def set_rendered(conn: Connection, shas: Sequence[tuple[int, int | None, str]]) -> None:
    """Record many (article id, its `updated_ms` as read, sha256 of its file) at once: one statement.

    An article updated since the render read it (a worker committing while
    the tree is written) keeps `rendered_sha` NULL, so the next render writes
    it again; marked, it would keep the file of the text before the update.
    """
    if shas:
        conn.execute(
            update(articles)
            .where(
                articles.c.id == bindparam("article_id"),
                articles.c.updated_ms.is_not_distinct_from(bindparam("read_updated_ms")),
            )
            .values(rendered_sha=bindparam("sha")),
            [{"article_id": article_id, "read_updated_ms": updated, "sha": sha} for article_id, updated, sha in shas],
        )
