"""Every table, in one place. Alembic migrations create them; this module is how the code names them.

The store is the single source of truth: the Markdown tree, lists and README are
derived from these rows and can be rebuilt byte for byte. The families: sources
and articles (with imported trees' kept files and the fetch log); versions,
captures and statuses (what was seen, when, and the bytes that prove it); the
image mirror; the search index.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    RowMapping,
    Select,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    func,
    literal,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite

metadata = MetaData()

sources = Table(
    "sources",
    metadata,
    Column("abbr", String(200), primary_key=True),
    Column("name", Text, nullable=False),
    Column("feed_url", Text),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("last_success_ms", BigInteger),
    Column("last_error", Text),
    Column("last_error_ms", BigInteger),
    Column("failures", Integer, nullable=False, server_default="0"),  # consecutive failed runs
    Column("active_feed", Integer, nullable=False, server_default="0"),  # 0: the feed, n: fallback n (0004)
    Column("idle_runs", Integer, nullable=False, server_default="0"),  # runs in a row without a new item
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), ForeignKey("sources.abbr"), nullable=False),
    Column("archive_id", BigInteger, nullable=False),  # the file name: articles/<abbr>/<archive_id>.md
    Column("guid", Text),
    Column("link", Text, nullable=False),  # WHATWG href, as written into the file
    Column("title", Text, nullable=False),
    Column("date_ms", BigInteger),  # None only for imported files without a date line
    Column("date_missing", Boolean, nullable=False, server_default="0"),  # the feed gave no usable date
    Column("body", Text),  # None while a page-bodied article waits for its page
    Column("first_seen_ms", BigInteger, nullable=False),
    Column("last_seen_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger),  # last time title, date or body changed
    Column("page_state", String(20)),  # None | "pending" | "done" | "failed"
    Column("page_attempts", Integer, nullable=False, server_default="0"),
    Column("page_error", Text),
    # Imported files: their path when it is not articles/<abbr>/<archive_id>.md (the 2020
    # layout), and their exact bytes when the final format cannot reproduce them.
    Column("path", Text),
    Column("raw", LargeBinary),
    # "yyyy/mm" for a new article of a sharded tree (articles/<abbr>/<yyyy>/<mm>/<id>.md), decided
    # once when first stored so that no published file ever moves (migration 0007).
    Column("shard", String(7)),
    Column("rendered_sha", String(64)),  # sha256 of the file last written; None = render it
    Column("imported", Boolean, nullable=False, server_default="0"),  # read from an existing tree
)
# One file per article: ids are unique per outlet at the standard path, explicit paths
# are unique. An imported tree may reuse an id in its 2020 folder (migration 0002).
Index(
    "uq_articles_source_archive_id",
    articles.c.source,
    articles.c.archive_id,
    unique=True,
    sqlite_where=articles.c.path.is_(None),
    postgresql_where=articles.c.path.is_(None),
)
Index(
    "uq_articles_path",
    articles.c.path,
    unique=True,
    sqlite_where=articles.c.path.isnot(None),
    postgresql_where=articles.c.path.isnot(None),
)
Index("ix_articles_source_archive_id", articles.c.source, articles.c.archive_id)
# Only the articles that have a guid (0010): imported ones have none, and an index of NULLs told
# SQLite that a guid matched a whole outlet, so it read every article of it instead. Hashed on
# PostgreSQL (0018): a btree entry holds at most 2,704 bytes, and one longer link or guid failed its
# feed there; a hash index spans one column, so the outlet is checked on the row a key finds.
Index(
    "ix_articles_guid",
    articles.c.guid,
    sqlite_where=articles.c.guid.is_not(None),
    postgresql_where=articles.c.guid.is_not(None),
    postgresql_using="hash",
)
Index("ix_articles_link", articles.c.link, postgresql_using="hash")
# The lookups of an hourly run, each by an index (migration 0010): what a render must write
# (per outlet, only the unrendered), what changed since a mark, dates per outlet, the listed
# date (its own, else when first seen) per outlet, and the articles not from an imported tree.
Index(
    "ix_articles_unrendered",
    articles.c.source,
    articles.c.archive_id,
    sqlite_where=articles.c.rendered_sha.is_(None),
    postgresql_where=articles.c.rendered_sha.is_(None),
)
Index("ix_articles_updated", articles.c.updated_ms)
Index("ix_articles_date", articles.c.date_ms)  # the newest across outlets: the reader's and the site's home page
Index("ix_articles_source_date", articles.c.source, articles.c.date_ms)
Index("ix_articles_source_listed", articles.c.source, func.coalesce(articles.c.date_ms, articles.c.first_seen_ms))
Index("ix_articles_source_seen", articles.c.source, articles.c.first_seen_ms)  # the health report's windows (0020)
# The newest first as listed, undated last (0021): PostgreSQL only, whose index of date_ms read backwards puts
# NULL first and leaves ties unordered; SQLite's gives this order (NULL sorts first, the rowid breaks ties).
NEWEST = (articles.c.date_ms.desc().nulls_last(), articles.c.id.desc())
Index("ix_articles_newest", *NEWEST).ddl_if(dialect="postgresql")
Index("ix_articles_source_newest", articles.c.source, *NEWEST).ddl_if(dialect="postgresql")
# Articles whose body must still come from their page (pending_pages): written out, not bound, and as
# text (a Boolean column expression is compared with 1 on SQLite), so that SQLite sees a query's
# condition is the index's; otherwise it walked every article of the outlet (0.14 s at 200,000).
WAITING_PAGE = text("articles.page_state IN ('pending', 'failed')")
Index(
    "ix_articles_waiting_page",
    articles.c.source,
    articles.c.archive_id,
    sqlite_where=text("page_state IN ('pending', 'failed')"),
    postgresql_where=text("page_state IN ('pending', 'failed')"),
)
Index(
    "ix_articles_source_new",
    articles.c.source,
    sqlite_where=articles.c.imported.is_(False),
    postgresql_where=articles.c.imported.is_(False),
)


def after(column: ColumnElement[int], mark: int) -> ColumnElement[bool]:
    """`column > mark` for an id past a high-water mark, read by its index.

    Bounded on both sides: SQLite guesses a quarter of the rows for a one-sided
    range, and would rather scan a narrow index of every row than read them
    (1/64 for a bounded one: it then seeks).
    """
    return and_(column > mark, column < literal(_ID_CEILING, BigInteger))  # as int8: PostgreSQL's ids are int4


_ID_CEILING = 2**62


def pages_by_id(
    conn: Connection, query: Select[Any], column: ColumnElement[int], after_id: int, batch: int
) -> Iterator[RowMapping]:
    """`query`'s rows past `after_id` in order of `column` (an id), read `batch` at a time.

    In pages rather than one result, so an export of a year's captures holds a few MB at a time.
    """
    last = after_id
    while True:
        page = list(conn.execute(query.where(after(column, last)).order_by(column).limit(batch)).mappings())
        yield from page
        if len(page) < batch:
            return
        last = page[-1][column]


# Where an article's file is (archive.ids.article_path) and what names it in a list.
FILE = (articles.c.source, articles.c.archive_id, articles.c.path, articles.c.shard, articles.c.title)
# A line of an outlet's list: the file, its date, and whether the title is escaped
# (imported with updated_ms: render.tree.escaped).
LIST_LINE = (*FILE, articles.c.date_ms, articles.c.imported, articles.c.updated_ms)

meta = Table(
    "meta",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text),
)

# Files of an imported tree that are not articles: the README, lists (until new
# articles make the outlet's list change) and strays such as .gitkeep, kept byte for byte.
kept_files = Table(
    "kept_files",
    metadata,
    Column("path", Text, primary_key=True),  # relative to the archive root, "/"-separated
    Column("kind", String(20), nullable=False),  # readme | list | other | version | changes (importer/walk.py)
    Column("source", String(200)),  # the outlet of a list
    Column("raw", LargeBinary, nullable=False),
)

fetch_log = Table(
    "fetch_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(200), nullable=False, index=True),
    Column("started_ms", BigInteger, nullable=False),
    Column("finished_ms", BigInteger, nullable=False),
    Column("url", Text),
    Column("http_status", Integer),
    Column("new", Integer, nullable=False, server_default="0"),
    Column("updated", Integer, nullable=False, server_default="0"),
    Column("unchanged", Integer, nullable=False, server_default="0"),
    Column("error", Text),  # the source-level failure, None when the feed was read
    Column("problems", Text),  # what was not archived (items refused, pages failed), one per line
    Column("notes", Text),  # archived, but worth knowing (no date, feed switched…), one per line
)

# Versions, raw captures and the status of articles at their source (issue 5).

captures = Table(
    "captures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False, unique=True),  # of the uncompressed body
    Column("fetched_ms", BigInteger, nullable=False),  # first time these exact bytes were fetched
    Column("url", Text, nullable=False),
    Column("status", Integer),
    Column("headers", Text),  # JSON object of the response headers
    Column("size", BigInteger, nullable=False),
    Column("body", LargeBinary, nullable=False),  # zlib-compressed
    Column("request_headers", Text),  # JSON object of the request's headers; NULL before migration 0016
)

versions = Table(
    "versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, ForeignKey("articles.id"), nullable=False),
    Column("n", Integer, nullable=False),  # 1 for the first version
    Column("seen_ms", BigInteger, nullable=False),  # when this content was first seen
    Column("title", Text, nullable=False),
    Column("date_ms", BigInteger),
    Column("body", Text),
    Column("sha256", String(64), nullable=False),  # of title and body: what makes a version distinct
    Column("capture_id", Integer, ForeignKey("captures.id")),  # the bytes it was read from
    UniqueConstraint("article_id", "n", name="uq_versions_article_n"),
)
# No index of article_id alone (dropped in 0020): uq_versions_article_n begins with it.
Index("ix_versions_capture", versions.c.capture_id)  # captures.drop_unused after every feed (0010)
# The edited articles (a version 2 or later) by a range of `n`, without grouping every version (0010).
Index("ix_versions_edited", versions.c.n, versions.c.article_id)

statuses = Table(
    "statuses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, ForeignKey("articles.id"), nullable=False),
    Column("seen_ms", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),  # live | changed | gone | censored | unreachable
    Column("detail", Text),
    # A gone/censored re-check that fetched a notice (0015): the capture of its bytes, stored once perhaps
    # for another article, and how this fetch served them: the final URL, the HTTP status and headers (JSON).
    Column("capture_id", Integer, ForeignKey("captures.id", name="fk_statuses_capture")),
    Column("url", Text),
    Column("http_status", Integer),
    Column("headers", Text),
    Column("request_headers", Text),  # and the headers its request went with (0016)
)
Index("ix_statuses_article", statuses.c.article_id)
Index("ix_statuses_capture", statuses.c.capture_id)  # captures.drop_unused keeps what a status refers to (0015)

checks = Table(
    "checks",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id"), primary_key=True),
    Column("next_ms", BigInteger),  # None: never again
    Column("last_ms", BigInteger),
    Column("count", Integer, nullable=False, server_default="0"),
    Column("status", String(20), nullable=False, server_default="live"),  # latest known status
)
Index("ix_checks_next", checks.c.next_ms)
Index("ix_checks_status", checks.c.status)  # the few gone or censored among every article (0010)

# The notification outbox (0012): one row per edit, deletion or new article to post to a channel,
# queued in the transaction that moves the scan's marks (meta "notify_marks"), so each is queued
# once; "sending" is committed before the API call and "posted" after it, so none is posted twice.
notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(200), nullable=False),  # "telegram:<channel id>"
    Column("event", String(20), nullable=False),  # edited | deleted | new
    Column("ref", Integer, nullable=False),  # the version (edited, new) or status row (deleted) it tells of
    Column("article_id", Integer, ForeignKey("articles.id"), nullable=False),
    Column("text", Text, nullable=False),  # the message, made when queued: what changed then
    Column("state", String(20), nullable=False),  # queued | sending | posted | uncertain | dropped | submitted | failed
    Column("queued_ms", BigInteger, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    # the last request's start: the rate limit goes on across runs; for a witness's capture, when it was
    # learnt (the site's mark of captures, store.changes)
    Column("attempted_ms", BigInteger),
    Column("posted_ms", BigInteger),
    Column("message_id", BigInteger),  # the channel's id of the posted message
    Column("error", Text),  # why the last attempt failed, one line (never the token)
    # witnesses ("wayback"): text is the URL submitted; the SPN2 job while it runs, then the snapshot taken
    Column("job_id", String(200)),
    Column("snapshot_url", Text),
    UniqueConstraint("channel", "event", "ref", name="uq_notifications_event"),
)
Index("ix_notifications_state", notifications.c.channel, notifications.c.state, notifications.c.id)
Index("ix_notifications_article", notifications.c.article_id)  # an article's captures (0014)
Index(  # the newest capture recorded, and those since: the site's mark (0014)
    "ix_notifications_captured",
    notifications.c.attempted_ms,
    sqlite_where=notifications.c.snapshot_url.is_not(None),
    postgresql_where=notifications.c.snapshot_url.is_not(None),
)

# The image mirror: one row per image URL, linked to the articles showing it. A side job:
# it runs after articles are stored, may fail and be retried for days, and never changes an
# article. The file is named by the sha256 of its bytes, so two URLs serving one picture share it.

images = Table(
    "images",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url_sha", String(64), nullable=False, unique=True),  # sha256 of url: URLs can be long
    Column("url", Text, nullable=False),  # absolute, as clean.image_urls gives it
    Column("status", String(20), nullable=False),  # "pending" | "done" | "failed" | "refused"
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("error", Text),  # the last failure, one line for the user
    Column("sha256", String(64)),  # of the stored bytes: assets/<sha256[:2]>/<sha256>.<ext>
    Column("ext", String(10)),  # from the bytes' magic number, never from the URL or headers
    Column("bytes", Integer),
    Column("first_seen_ms", BigInteger, nullable=False),
    Column("tried_ms", BigInteger),  # last attempt; the longest waiting are tried first
)
Index("ix_images_status_tried", images.c.status, images.c.tried_ms)
Index("ix_images_sha256", images.c.sha256)

article_images = Table(
    "article_images",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id"), primary_key=True),
    Column("image_id", Integer, ForeignKey("images.id"), primary_key=True, index=True),
)

# Which articles have had their images listed, and when: a body that changed
# since (articles.updated_ms is later) is listed again.
image_scans = Table(
    "image_scans",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id"), primary_key=True),
    Column("scanned_ms", BigInteger, nullable=False),
)

# The search index, as migrations 0006 and 0008 make it: derived data beside a virtual table
# SQLAlchemy cannot describe, so on a MetaData of its own that nothing else joins.
search_metadata = MetaData()

search_docs = Table(
    "search_docs",
    search_metadata,
    Column("key", BigInteger, primary_key=True, autoincrement=False),  # date_ms * KEY_SLOTS + tie-breaker (search_keys)
    Column("article_id", Integer, nullable=False, unique=True),
    Column("source", String(200), nullable=False),
    Column("date_ms", BigInteger, nullable=False),  # the article's date, UNDATED_MS when it has none
    Column("stamp", BigInteger),  # the article's updated_ms when indexed
    Column("has_body", Boolean, nullable=False),
    Column("sha256", String(64), nullable=False),  # of title and body as indexed
    Column("title", Text, nullable=False),
    Column("plain_length", Integer, nullable=False),  # characters of the body's plain text, for `health`
)

FTS = "search_fts"  # SQLite's FTS5 tables of migrations 0006 and 0008 (dropped by 0011) were named search_fts…


def ignoring_duplicates(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `table` that skips a row whose unique key exists (waiting, on PostgreSQL, for the
    transaction that is inserting the same key to end), rather than failing the transaction."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def insert_ignoring_duplicates(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert, skipping rows whose unique key exists: two processes may queue the same thing at once."""
    if rows:
        conn.execute(ignoring_duplicates(conn, table), list(rows))
