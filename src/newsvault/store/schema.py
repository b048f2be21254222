"""The tables. Alembic migrations create them; this module is how the code names them.

The store is the single source of truth: the Markdown tree, lists and README are
derived from these rows and can be rebuilt byte for byte.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

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
Index("ix_articles_source_guid", articles.c.source, articles.c.guid)
Index("ix_articles_source_link", articles.c.source, articles.c.link)
Index("ix_articles_rendered", articles.c.rendered_sha)

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
    Column("kind", String(20), nullable=False),  # "readme" | "list" | "other"
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
    Column("problems", Text),  # item-level problems, one per line
)
