"""The search tables: `search_docs` (the indexed text of each article) and, on PostgreSQL, its full-text index.

PostgreSQL keeps the tokens as tsvector columns of `search_docs` with GIN
indexes, shared by workers on many machines. SQLite's full-text index is not
in the store: it is a Tantivy folder beside it, the search package's
(`newsvault.search.apart`, since migration 0011); `search_docs` records what it holds.
A document's key is its date in ms times KEY_SLOTS plus a
tie-breaker, so walking the keys downwards is walking the dates (`search_keys`).

Tokenising is the search package's: what is stored here comes as `tokens`,
a function from a document (key, source, title, text) to its tokenised
columns {key, title, body}, called only where the database needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, delete, func, or_, select, text

from .bulk import insert_tuples
from .fast import hits_sql
from .marks import ID_SLACK, TIME_SLACK_MS
from .schema import after, articles, meta, search_docs
from .search_keys import KEY_SLOTS, UNDATED_MS, UPTO_KEY, Upto, upto_text, upto_value

# The columns a document fills (the tsvector ones are made on PostgreSQL from `tokens`).
_DOC_COLUMNS = ("key", "article_id", "source", "date_ms", "stamp", "has_body", "sha256", "title", "plain_length")
_doc_row = itemgetter(*_DOC_COLUMNS)

Tokens = Callable[[Mapping[str, Any] | RowMapping], Mapping[str, Any]]

# Only articles past the mark (`indexed_upto`) can be stale, so a run that changed nothing reads none;
# past it by a margin (store.marks): the index compares each of those articles with its document, so
# the last ID_SLACK ids are looked at again rather than the mark keeping its holes, and the updates of
# TIME_SLACK_MS before its latest one, or before the clock that took it where that update was ahead.


def indexed_upto(conn: Connection) -> Upto | None:
    """The store's (largest article id, latest update[, clock]) when the index last held every article, if known."""
    found = conn.execute(select(meta.c.value).where(meta.c.key == UPTO_KEY)).scalar()
    return None if found is None else upto_value(found)


def set_indexed_upto(conn: Connection, upto: Upto) -> None:
    """The index holds every article as of `upto` (taken, with `articles.stamp`, before indexing began)."""
    conn.execute(delete(meta).where(meta.c.key == UPTO_KEY))
    conn.execute(meta.insert().values(key=UPTO_KEY, value=upto_text(upto)))


def stale(conn: Connection, limit: int, upto: Upto | None = None, past: int | None = None) -> list[int]:
    """Ids of articles the index does not hold as they are now (content stamp, date or body presence).

    With `upto` (`indexed_upto`), only the articles added or updated since are
    looked at, by the primary key and the index on `updated_ms`. With `past`,
    only ids above it: the batches of one update go up the ids, and asked from
    the first id each time, batch k of a first build read k batches of indexed
    articles before finding one that is not (quadratic: 40 batches at 200,000).
    """
    candidates = articles
    if upto is not None:
        since = (
            select(articles.c.id)
            .where(after(articles.c.id, upto[0] - ID_SLACK))
            .union(select(articles.c.id).where(articles.c.updated_ms > min(upto[1:]) - TIME_SLACK_MS))
            .subquery()
        )
        candidates = since.join(articles, articles.c.id == since.c.id)  # type: ignore[assignment]
    query = (
        select(articles.c.id)
        .select_from(candidates)
        .outerjoin(search_docs, search_docs.c.article_id == articles.c.id)
        .where(
            or_(
                search_docs.c.key.is_(None),
                search_docs.c.stamp.is_distinct_from(articles.c.updated_ms),
                search_docs.c.date_ms != func.coalesce(articles.c.date_ms, UNDATED_MS),
                search_docs.c.has_body != articles.c.body.is_not(None),
            )
        )
        .order_by(articles.c.id)
        .limit(limit)
    )
    if past is not None:
        query = query.where(after(articles.c.id, past))
    return list(conn.execute(query).scalars())


def docs_of(conn: Connection, article_ids: Sequence[int]) -> list[RowMapping]:
    return list(conn.execute(select(search_docs).where(search_docs.c.article_id.in_(article_ids))).mappings())


def restamp(conn: Connection, key: int, stamp: int | None, has_body: bool) -> None:
    """A document whose article changed neither content nor date: only its stamp moves."""
    conn.execute(search_docs.update().where(search_docs.c.key == key).values(stamp=stamp, has_body=has_body))


def free_keys(conn: Connection, dated: Sequence[tuple[int, int]]) -> list[int]:
    """A free key for each (date_ms, article id): its date, then a tie-breaker from its id."""
    wanted = [date_ms * KEY_SLOTS + article_id % KEY_SLOTS for date_ms, article_id in dated]
    taken = {k for (k,) in conn.execute(select(search_docs.c.key).where(search_docs.c.key.in_(wanted)))}
    asked = set(wanted)  # keys outside it are looked up one by one, only when a collision moves past them
    keys = []
    for key in wanted:
        while key in taken or (
            key not in asked and conn.execute(select(search_docs.c.key).where(search_docs.c.key == key)).first()
        ):
            key += 1
        taken.add(key)
        keys.append(key)
    return keys


def forget(conn: Connection, docs: Sequence[RowMapping]) -> None:
    """Drop these documents from the index."""
    if not docs:
        return
    conn.execute(search_docs.delete().where(search_docs.c.key.in_([d["key"] for d in docs])))


def add(conn: Connection, docs: Sequence[Mapping[str, Any]], tokens: Tokens) -> None:
    """Index these documents (search_docs rows, in ascending key order)."""
    insert_tuples(conn, search_docs, _DOC_COLUMNS, [_doc_row(d) for d in docs])
    if conn.dialect.name != "sqlite":  # SQLite's index is the search package's folder beside the store
        values = [dict(tokens(d)) for d in docs]
        conn.execute(
            text(
                "UPDATE search_docs SET tsv = to_tsvector('simple', :title || ' ' || :body), "
                "title_tsv = to_tsvector('simple', :title) WHERE key = :key"
            ),
            values,
        )


def clear(conn: Connection) -> None:
    """Empty the index's documents (SQLite's folder is emptied by the search package)."""
    conn.execute(search_docs.delete())
    conn.execute(delete(meta).where(meta.c.key == UPTO_KEY))


# PostgreSQL's own rule for analysing a table again (autovacuum's default threshold and scale factor).
_ANALYZE_BASE, _ANALYZE_SHARE = 50, 0.1


# The GIN indexes of the tokens (migration 0006).
_GIN_INDEXES = ("ix_search_docs_tsv", "ix_search_docs_title_tsv")


def after_update(conn: Connection, added: int) -> None:
    """On PostgreSQL, once `added` documents are in: the GIN indexes' pending entries merged, and statistics
    for the planner when the documents are many beside those last counted.

    A GIN index takes new entries into a pending list (up to 4 MB) that every
    search reads through until autovacuum merges it: at 200,000 articles a
    lookup of a token in no document read 510 pages, 3.5 ms, instead of 4 pages.
    The searches walk the key index down and stop at the page, but only while
    the planner knows how many documents a phrase matches: a server with
    autovacuum off (as on this project's machines), or one that had not yet got
    to the table, planned a search over 200,000 documents from the statistics
    of the empty table migrations left, every hit's row read and sorted, 0.3–0.4
    s a query instead of 0.1 ms. Both are the writer's, so they hold whatever the
    server's settings. `reltuples` is what the last ANALYZE counted (below zero:
    never). Nothing on SQLite, where Tantivy searches.
    """
    if conn.dialect.name != "postgresql" or not added:
        return
    for index in _GIN_INDEXES:
        conn.execute(text("SELECT gin_clean_pending_list(CAST(:index AS regclass))"), {"index": index})
    counted = conn.execute(
        text("SELECT reltuples FROM pg_class WHERE oid = CAST(:table AS regclass)"), {"table": search_docs.name}
    ).scalar()
    if added > _ANALYZE_BASE + _ANALYZE_SHARE * max(counted or 0, 0):
        conn.execute(text(f"ANALYZE {search_docs.name}"))


# The newest documents a limited search reads one by one before it asks the GIN index (`matching_keys`).
WINDOW = 2_000
# A phrase in at least this share of the window's documents is common: the planner chooses how to read its other hits.
COMMON = 0.05


def matching_keys(
    conn: Connection,
    expression: str,
    *,
    title_only: bool,
    source: str | None,
    since_ms: int | None,
    limit: int | None,
) -> list[int]:
    """Keys of the documents matching the tsquery text `expression`, newest first (PostgreSQL).

    With a limit, the newest WINDOW documents are read first, one by one. A
    phrase rare among them then takes its other hits from the GIN index, all of
    them before the newest are kept. Left to choose, the planner took a phrase
    with a token in no document (estimated at 0.5%) beside one in every document
    for a common phrase, walked all 200,000 keys for a page and found nothing:
    0.2–0.4 s, while the reader's other pages waited. With the window, a common
    phrase fills its page there, and a rare one costs the window's walk and its
    few hits from the index.
    """
    filters, match, params = _matching(expression, title_only, source, since_ms)
    if limit is None:
        return _keys(conn, " AND ".join([*filters, match]), params, None)
    column = "title_tsv" if title_only else "tsv"
    newest = f"SELECT d.key, d.{column} FROM search_docs d {_where(filters)} ORDER BY d.key DESC LIMIT {WINDOW}"
    found = [
        r[0]
        for r in conn.execute(
            text(f"SELECT d.key FROM ({newest}) d WHERE {match} ORDER BY d.key DESC LIMIT {int(limit)}"), params
        )
    ]
    if len(found) == limit:
        return found
    older, below = [*filters, match], {}
    if found:
        older.append("d.key < :below")
        below["below"] = found[-1]
    # Common in the window: the planner's statistics choose between walking the keys on and the index. Rare: all
    # the other hits from the index, then the newest of them, so that no estimate can make it walk every key.
    common = len(found) >= COMMON * WINDOW
    return found + _keys(conn, " AND ".join(older), params | below, limit - len(found), gathered=not common)


def _where(conditions: Sequence[str]) -> str:
    return f"WHERE {' AND '.join(conditions)}" if conditions else ""


def _keys(
    conn: Connection, where: str, params: Mapping[str, object], limit: int | None, *, gathered: bool = False
) -> list[int]:
    """Keys of the documents matching `where`, newest first, up to `limit`; `gathered`: all of them found first."""
    hits = f"SELECT d.key FROM search_docs d WHERE {where}"
    sql = f"WITH hits AS MATERIALIZED ({hits}) SELECT key FROM hits" if gathered else hits
    sql += " ORDER BY key DESC" + ("" if limit is None else f" LIMIT {int(limit)}")
    return [r[0] for r in conn.execute(text(sql), params)]


def _matching(
    expression: str, title_only: bool, source: str | None, since_ms: int | None
) -> tuple[list[str], str, dict[str, object]]:
    """The conditions on the documents' source and date, the match of the tsquery text `expression`, and their
    parameters."""
    filters: list[str] = []
    params: dict[str, object] = {"tsq": expression}
    if since_ms is not None:
        filters.append("d.key >= :since")
        params["since"] = since_ms * KEY_SLOTS
    if source is not None:
        filters.append("d.source = :source")
        params["source"] = source
    return filters, f"d.{'title_tsv' if title_only else 'tsv'} @@ to_tsquery('simple', :tsq)", params


def hits(conn: Connection, keys: Sequence[int]) -> dict[int, RowMapping]:
    """Key → the document with its article's archive id, link, date (None when it has none, as everywhere) and body."""
    if not keys:
        return {}
    return {r["key"]: r for r in conn.execute(text(hits_sql(keys))).mappings()}


def text_lengths(conn: Connection, source: str, since_ms: int, until_ms: int) -> list[tuple[int, int]]:
    """(first seen, indexed text length) of each of the source's articles with a body first seen in
    [since_ms, until_ms)."""
    return [
        (seen, length)
        for seen, length in conn.execute(
            select(articles.c.first_seen_ms, search_docs.c.plain_length)
            .select_from(search_docs)
            .join(articles, articles.c.id == search_docs.c.article_id)
            .where(
                and_(
                    articles.c.source == source,
                    articles.c.first_seen_ms >= since_ms,
                    articles.c.first_seen_ms < until_ms,
                    search_docs.c.has_body,
                )
            )
        )
    ]
