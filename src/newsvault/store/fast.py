"""A SQLite store read through the standard library's sqlite3: `newsvault search` without SQLAlchemy.

Importing SQLAlchemy and the store's tables costs 0.12–0.25 s, more than a
search itself at 200,000 articles (docs/SEARCH.md). When the store is a
SQLite file at the newest migration and its search index holds every
article, a search needs only the reads here: the migration, the index's
mark against the articles, the sources, and the rows of the hits.
Whatever this module cannot answer (another database, an older schema, an
index behind its articles) it says with None or False, and the command takes
the ordinary way (`open_store`, `update_index`), which does everything else.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from .search_keys import UPTO_KEY, upto_text

_PREFIXES = ("sqlite:///", "sqlite+pysqlite:///")
_BUSY_MS = 30_000  # as the engine's busy_timeout: a run writing beside the search


def newest_revision() -> str:
    """The newest migration's revision: the versions are numbered files of one linear chain (0001_initial.py, …)."""
    names = (f.name for f in (resources.files("newsvault.store") / "migrations" / "versions").iterdir())
    return max(name[:4] for name in names if name.endswith(".py") and name[:4].isdigit())


def file_of(url: str) -> Path | None:
    """The database file of a plain `sqlite:///PATH` URL that exists; None for anything else (left to SQLAlchemy)."""
    for prefix in _PREFIXES:
        if url.startswith(prefix):
            rest = url[len(prefix) :]
            if not rest or rest == ":memory:" or any(c in rest for c in "?%#"):  # options or quoting: SQLAlchemy's
                return None
            path = Path(rest)
            return path if path.is_file() else None
    return None


@contextmanager
def reading(url: str) -> Iterator[sqlite3.Connection | None]:
    """A sqlite3 connection on the store at `url`, if it is a SQLite file at the newest migration; else None."""
    path = file_of(url)
    try:
        db = None if path is None else sqlite3.connect(path, timeout=_BUSY_MS / 1000)
    except sqlite3.Error:  # unreadable: `open_store` says why, in one line
        db = None
    if db is None:
        yield None
        return
    with closing(db):
        db.row_factory = _mapping
        yield db if _at_newest(db) else None


def path_of(db: sqlite3.Connection) -> Path:
    """The database file of a connection from `reading`."""
    return Path(db.execute("PRAGMA database_list").fetchone()["file"])


def _mapping(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> dict[str, Any]:
    return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


def _at_newest(db: sqlite3.Connection) -> bool:
    try:
        found = [r["version_num"] for r in db.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.Error:  # not a store (yet)
        return False
    return found == [newest_revision()]


# The articles' stamp (`articles.stamp`): the newest id and the latest update, each one end of an index.
STAMP_SQL = (
    "SELECT (SELECT coalesce(max(id), 0) FROM articles) AS newest, "
    "(SELECT coalesce(max(updated_ms), 0) FROM articles) AS updated"
)


def index_current(db: sqlite3.Connection) -> bool:
    """Whether the index held every article when the store last changed: two reads, of three index ends.

    The mark (search_index.indexed_upto) equals the articles' newest id and
    latest update only when nothing was added or changed since an update
    held them all. What `update_index` looks at beyond that (ids a concurrent
    writer had taken when the mark was read, a clock stepped back) waits for
    the next update, as it would have for a search a moment earlier. A mark
    taken when the latest update was ahead of the clock has a third field and
    is never current: that update hides the ones after it from the stamp.
    """
    mark = db.execute("SELECT value FROM meta WHERE key = ?", (UPTO_KEY,)).fetchone()
    now = db.execute(STAMP_SQL).fetchone()
    return mark is not None and mark["value"] == upto_text((now["newest"], now["updated"]))


def source_names(db: sqlite3.Connection) -> set[str]:
    return {r["abbr"] for r in db.execute("SELECT abbr FROM sources")}


def hits_sql(keys: Sequence[int]) -> str:
    """The rows of these search documents with their articles' archive id, link, date and body, for either database.

    The keys are written in as integers: they come from the index as such, and
    a list of them may be longer than SQLite lets parameters be (32,766).
    """
    listed = ",".join(str(int(k)) for k in keys)
    return (
        "SELECT d.key, d.article_id, d.source, d.title, a.archive_id, a.link, a.date_ms, a.body "
        f"FROM search_docs d JOIN articles a ON a.id = d.article_id WHERE d.key IN ({listed})"
    )


def hits(db: sqlite3.Connection, keys: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Key → the document with its article's archive id, link, date (None when it has none) and body."""
    if not keys:
        return {}
    return {r["key"]: r for r in db.execute(hits_sql(keys))}
