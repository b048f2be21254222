"""Chinese full-text search: queries, snippets (issue 7); the index beside the store on SQLite (issue 15).

update_index(engine)            # after run and import: new and changed articles
rebuild_index(engine)           # `newsvault reindex`
with engine.connect() as conn:
    hits = search(conn, "镕基", source="voa", limit=20)
with fast.reading(url) as db:   # newsvault.store.fast: sqlite3, no SQLAlchemy
    if db is not None and ready(db):
        hits = search(db, "镕基")

Searching imports no SQLAlchemy (`newsvault search` starts in a tenth of a
second); indexing does, and `update_index` and `rebuild_index` are imported
from `index` on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsvault.base.lazy import lazy_names

from .fold import fold
from .query import Hit, count_hits, highlighted, ready, search
from .tokens import phrases

if TYPE_CHECKING:
    from .index import rebuild_index, update_index

__all__ = ["Hit", "count_hits", "fold", "highlighted", "phrases", "ready", "rebuild_index", "search", "update_index"]

__getattr__ = lazy_names(__name__, {"rebuild_index": "index", "update_index": "index"})
