"""Opening the store and bringing its schema up to date."""

from __future__ import annotations

import os
from importlib import resources

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry


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


def _alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("newsvault.store") / "migrations"))
    return cfg


def migrate(engine: Engine) -> None:
    """Apply every migration the store has not had yet."""
    cfg = _alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        # One linear chain: tests/test_migrations.py holds it to one head.
        command.upgrade(cfg, "head")


def is_current(engine: Engine) -> bool:
    heads = set(ScriptDirectory.from_config(_alembic_config()).get_heads())
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads()) == heads


def open_store(url: str, *, upgrade: bool = True) -> Engine:
    """An engine on `url` (sqlite:/// by default), migrated to the current schema."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if upgrade:
        migrate(engine)
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
    """The store's URL as a message may show it: the password hidden."""
    return make_url(url).render_as_string(hide_password=True)
