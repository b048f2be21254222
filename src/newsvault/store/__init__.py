"""The store: SQLite (WAL) by default, the single source of truth of a vault.

Each module is imported where it is used (`from newsvault.store import articles`),
and the engine's functions here only when first asked for: `newsvault.store.fast`
(the standard library's sqlite3, for `newsvault search`) must not bring SQLAlchemy
with it (0.12–0.25 s).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsvault.base.lazy import lazy_names

if TYPE_CHECKING:
    from .engine import analyze, is_current, make_durable, migrate, open_store, optimize
    from .schema import metadata

__all__ = ["analyze", "is_current", "make_durable", "metadata", "migrate", "open_store", "optimize"]

_HOME = {name: "engine" for name in __all__} | {"metadata": "schema"}

__getattr__ = lazy_names(__name__, _HOME)
