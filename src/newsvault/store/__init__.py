"""The store: SQLite (WAL) by default, the single source of truth of a vault."""

from . import articles, captures, fetchlog, sources, statuses, versions
from .engine import analyze, is_current, make_durable, migrate, open_store, optimize
from .schema import metadata

__all__ = [
    "analyze",
    "articles",
    "captures",
    "fetchlog",
    "is_current",
    "make_durable",
    "metadata",
    "migrate",
    "open_store",
    "optimize",
    "sources",
    "statuses",
    "versions",
]
