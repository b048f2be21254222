"""Opening the store and bringing its schema up to date."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry

from newsvault.base.text import without_nul

from .fast import newest_revision

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # WAL lets a reader (render, serve) run beside a writer. synchronous=NORMAL:
    # in WAL mode a commit is appended to the WAL without an fsync, and the WAL
    # is synced at each checkpoint. A killed process loses nothing it committed
    # (the WAL is in the OS's cache, and the next open replays it: tests/test_crash.py);
    # a power cut or OS crash may lose the last commits since the last checkpoint,
    # never the database's consistency. FULL cost an fsync per feed, a third of
    # a feed's store time (docs/SCALE.md, bench_pipeline).
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _no_nul(
    _conn: object, _cursor: object, statement: str, parameters: Any, _context: object, _executemany: bool
) -> tuple[str, Any]:
    """PostgreSQL's text cannot hold U+0000 (psycopg raises DataError): written without it, wherever it comes from.

    Items lose it before they are stored on every store (`identify`); this is for
    the rest, an error's text or a problem that quotes a feed, say, whose one
    NUL made the fetch log's insert fail.
    """
    return statement, (_without_nul(parameters) if _has_nul(parameters) else parameters)


def _has_nul(value: Any) -> bool:
    """Whether a string in these parameters holds U+0000: asked first, so that the rows of a bulk insert are
    not copied when none does (nearly always)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(map(_has_nul, value.values()))
    if isinstance(value, (list, tuple)):
        return any(map(_has_nul, value))
    return False


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return without_nul(value)
    if isinstance(value, dict):
        return {k: _without_nul(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_without_nul(v) for v in value)
    return value


_ANALYSIS_LIMIT = 1000  # rows sampled per index by PRAGMA optimize: a cost that does not grow with the store


def _alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("newsvault.store") / "migrations"))
    return cfg


def migrate(engine: Engine) -> None:
    """Apply every migration the store has not had yet; then give back what they freed, and ANALYZE.

    A store already at the newest migration is told by one query, without
    importing Alembic and reading its scripts (60 ms of every command).
    """
    if _at_newest(engine):
        return
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    cfg = _alembic_config()
    with engine.begin() as conn:
        before = set(MigrationContext.configure(conn).get_current_heads())
        cfg.attributes["connection"] = conn
        # One linear chain: tests/test_migrations.py holds it to one head.
        command.upgrade(cfg, "head")
        applied = set(MigrationContext.configure(conn).get_current_heads()) != before
    if applied and before:
        reclaim(engine)
    if applied:
        analyze(engine)


def reclaim(engine: Engine) -> None:
    """On SQLite, VACUUM: after migrations of an existing store, which may have dropped data.

    SQLite keeps what a dropped column held as unused room in the table's pages:
    after migration 0017 dropped the kept plain text, a store of 200,000 articles
    would have carried ~1 GB of it into every Actions cache. Once per upgrade,
    tens of seconds at that size. VACUUM writes a copy first; without the room for
    it (or with another process in the store), the store stays as it is, whole and usable.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        try:
            conn.exec_driver_sql("VACUUM")
        except OperationalError:  # SQLITE_FULL, SQLITE_BUSY: nothing is lost, the room is reused as the store grows
            pass


def _at_newest(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            found = [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
    except SQLAlchemyError:  # a new store: no table yet
        return False
    return found == [newest_revision()]


def analyze(engine: Engine) -> None:
    """Statistics of every table and index (SQLite's sqlite_stat1; PostgreSQL's pg_statistic).

    Without them SQLite picks indexes by rule, and read every row of an outlet
    to match one feed's items at 200,000 articles.
    """
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            # Every row, not a sample: sampled, an outlet of 20,000 articles was taken for 1,000,
            # and the planner chose the index of every article's id over the one of waiting pages.
            conn.exec_driver_sql("PRAGMA analysis_limit=0")
        conn.exec_driver_sql("ANALYZE")


def optimize(engine: Engine) -> None:
    """Keep the statistics current at the end of a run, at a bounded cost.

    SQLite's `PRAGMA optimize` analyses only the tables whose size changed much
    since their statistics were taken, each from a sample (`analysis_limit`).
    PostgreSQL's autovacuum analyses tables as they change: nothing to do.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql(f"PRAGMA analysis_limit={_ANALYSIS_LIMIT}")
        conn.exec_driver_sql("PRAGMA optimize")


def is_current(engine: Engine) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(_alembic_config()).get_heads())
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == heads


class StoreError(Exception):
    """The store cannot be opened: where, the reason in the database's own words, and what to do.

    Raised instead of SQLAlchemy's errors so that every command says it in one
    line; `str()` is that line.
    """

    def __init__(self, where: str, reason: str, hint: str) -> None:
        super().__init__(where, reason, hint)
        self.where, self.reason, self.hint = where, reason, hint

    def __str__(self) -> str:
        return f"cannot open the store {self.where}: {self.reason}; {self.hint}"


_KINDS = "newsvault stores in SQLite (sqlite:////absolute/path/vault.sqlite) or PostgreSQL (postgresql://user@host/db)"

_DRIVERS = {  # what a store URL may name, and the driver newsvault installs for it
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}


def _parsed(url: str) -> URL:
    """`url` as SQLAlchemy's URL, with postgresql:// meaning psycopg 3; refuses what is not a store."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        hint = f"for a file, write sqlite:///{Path(url).absolute()}" if "://" not in url else _KINDS
        raise StoreError(repr(url), "not a URL", hint) from None
    if parsed.drivername not in _DRIVERS:
        raise StoreError(shown_url(url), f"{parsed.drivername} is not supported", _KINDS)
    return parsed.set(drivername=_DRIVERS[parsed.drivername])


def _hint(url: URL, reason: str) -> str:
    if url.get_backend_name() == "sqlite":
        return "check that the file's folder exists and is writable, and that the disk has room"
    if "does not exist" in reason:
        return f"create the database first (createdb -h {url.host or 'localhost'} {url.database}), or fix the URL"
    if "refused" in reason or "timeout" in reason:
        return f"is PostgreSQL running on {url.host or 'localhost'}:{url.port or 5432}? or fix the URL"
    return "check the URL (in vault.toml: [store] url) and the database's permissions"


def open_store(url: str, *, upgrade: bool = True) -> Engine:
    """An engine on `url` (sqlite:/// by default), migrated to the current schema.

    Raises `StoreError` when the URL names no store newsvault can use, or the
    store cannot be reached or migrated.
    """
    parsed = _parsed(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = Path(parsed.database).parent
        if not folder.is_dir():
            raise StoreError(shown_url(url), f"no folder {folder}", "create it first, or fix the path")
    engine = create_engine(parsed)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        event.listen(engine, "before_cursor_execute", _no_nul, retval=True)
    try:
        if upgrade:
            migrate(engine)
        else:
            engine.connect().close()
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]  # the database's words
        raise StoreError(shown_url(url), reason, _hint(parsed, reason)) from exc
    return engine


def make_durable(engine: Engine) -> None:
    """Sync what the store has committed to disk (SQLite's WAL), before anything outside the store depends on it.

    With synchronous=NORMAL a power cut may undo the last commits; the tree
    and what is published from it must never hold an article the store then
    lost (the next run would store it again under a new id). One fsync of the
    WAL per render is what synchronous=FULL spent on every commit.
    PostgreSQL and in-memory stores need nothing.
    """
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        return
    try:
        fd = os.open(database + "-wal", os.O_RDONLY)
    except FileNotFoundError:  # no WAL: every commit is in the database file already
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def shown_url(url: str) -> str:
    """The store's URL as a message may show it, as the user wrote it: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(url)
