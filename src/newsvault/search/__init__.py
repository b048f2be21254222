"""Chinese full-text search: queries, snippets (issue 7); the index beside the store on SQLite (issue 15).

update_index(engine)            # after run and import: new and changed articles
rebuild_index(engine)           # `newsvault reindex`
with engine.connect() as conn:
    hits = search(conn, "镕基", source="voa", limit=20)
"""

from .fold import fold
from .index import rebuild_index, update_index
from .query import Hit, count_hits, highlighted, search
from .tokens import phrases

__all__ = ["Hit", "count_hits", "fold", "highlighted", "phrases", "rebuild_index", "search", "update_index"]
