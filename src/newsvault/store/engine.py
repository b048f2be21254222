"""Opening the store and bringing its schema up to date."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # WAL lets a reader (render, serve) run beside a writer; synchronous=FULL
    # because an archive must survive a power cut with its last run intact.
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


_ANALYSIS_LIMIT = 1000  # rows sampled per index by PRAGMA optimize: a cost that does not grow with the store


def _alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("newsvault.store") / "migrations"))
    return cfg


def migrate(engine: Engine) -> None:
    """Apply every migration the store has not had yet; then ANALYZE, so the planner knows the indexes."""
    cfg = _alembic_config()
    with engine.begin() as conn:
        before = set(MigrationContext.configure(conn).get_current_heads())
        cfg.attributes["connection"] = conn
        # One linear chain: tests/test_migrations.py holds it to one head.
        command.upgrade(cfg, "head")
        applied = set(MigrationContext.configure(conn).get_current_heads()) != before
    if applied:
        analyze(engine)


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


def shown_url(url: str) -> str:
    """The store's URL as a message may show it: the password hidden."""
    return make_url(url).render_as_string(hide_password=True)
