"""The search index's tables, as migration 0006 creates them.

Kept out of the store's `metadata`: the index is derived data with a virtual
table SQLAlchemy cannot describe, and nothing else joins it.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Integer, MetaData, String, Table, Text

metadata = MetaData()

search_docs = Table(
    "search_docs",
    metadata,
    Column("key", BigInteger, primary_key=True, autoincrement=False),  # date_ms * KEY_SLOTS + tie-breaker
    Column("article_id", Integer, nullable=False, unique=True),
    Column("source", String(200), nullable=False),
    Column("date_ms", BigInteger, nullable=False),  # the article's date, else when it was first seen
    Column("stamp", BigInteger),  # the article's updated_ms when indexed
    Column("has_body", Boolean, nullable=False),
    Column("sha256", String(64), nullable=False),  # of title and body as indexed
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),  # plain text of the body, for snippets
)

KEY_SLOTS = 10_000  # articles that can share one millisecond before keys spill into the next
FTS = "search_fts"
