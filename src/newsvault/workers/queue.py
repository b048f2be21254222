"""The job queue: procrastinate on the store's own PostgreSQL database.

Why procrastinate: it is PostgreSQL-only by design (jobs are rows, taken with
`FOR UPDATE SKIP LOCKED`, announced with LISTEN/NOTIFY), and it already has
the three things workers need: locks (a source's jobs never run at the same
time, wherever they were queued), queueing locks (a source waits in the queue
at most once), and heartbeats that let a dead worker's jobs be found and
retried. The queue lives in the same database as the store, so nothing else
needs to run.
"""

from __future__ import annotations

from procrastinate import App, PsycopgConnector
from sqlalchemy import Engine

from newsvault.store import jobs

from .tasks import NAMESPACE, blueprint

NEED_POSTGRES = (
    'workers need a PostgreSQL store: set [store] url = "postgresql://user@host/db" in vault.toml '
    "and copy the vault there with `newsvault copy-store --to URL` (an SQLite vault runs `newsvault run`)"
)


class WorkersNeedPostgres(Exception):
    """Workers share their work through PostgreSQL; an SQLite store has one process."""


def conninfo(engine: Engine) -> str:
    """The libpq URL of the store, for procrastinate's own connections."""
    if engine.dialect.name != "postgresql":
        raise WorkersNeedPostgres(NEED_POSTGRES)
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def make_app(engine: Engine, pool_size: int = 4) -> App:
    app = App(connector=PsycopgConnector(conninfo=conninfo(engine), min_size=1, max_size=pool_size))
    app.add_tasks_from(blueprint, namespace=NAMESPACE)
    return app


def install(engine: Engine) -> bool:
    """Create procrastinate's tables in the store's database unless they exist; True if it did."""
    from procrastinate.schema import SchemaManager

    conninfo(engine)
    with engine.begin() as conn:
        return jobs.install(conn, SchemaManager.get_schema())
