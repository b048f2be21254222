"""Versions, raw captures and the status of articles at their source (issue 5).

Kept beside schema.py as their own table family: what was seen, when, and the
bytes that prove it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from .schema import metadata

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
Index("ix_versions_article", versions.c.article_id)

statuses = Table(
    "statuses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, ForeignKey("articles.id"), nullable=False),
    Column("seen_ms", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),  # live | changed | gone | censored | unreachable
    Column("detail", Text),
)
Index("ix_statuses_article", statuses.c.article_id)

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
