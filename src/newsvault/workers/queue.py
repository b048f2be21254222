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

from dataclasses import dataclass

from procrastinate import App, Blueprint, PsycopgConnector, RetryStrategy
from sqlalchemy import Engine, text

from newsvault.config import Config
from newsvault.fetch import Fetcher

SOURCES = "sources"  # polls, page fetches, re-checks, the search index: any machine
TREE = "tree"  # image mirroring writes into the archive tree: only the machine holding it
RETRY = RetryStrategy(max_attempts=5, exponential_wait=5)  # 5 s, 25 s, 125 s, ...

blueprint = Blueprint()


NEED_POSTGRES = (
    'workers need a PostgreSQL store: set [store] url = "postgresql://user@host/db" in vault.toml '
    "and copy the vault there with `newsvault copy-store --to URL` (an SQLite vault runs `newsvault run`)"
)


class WorkersNeedPostgres(Exception):
    """Workers share their work through PostgreSQL; an SQLite store has one process."""


@dataclass
class WorkerState:
    """What every job of one worker process shares: opened once, not per job."""

    config: Config
    engine: Engine
    fetcher: Fetcher


def conninfo(engine: Engine) -> str:
    """The libpq URL of the store, for procrastinate's own connections."""
    if engine.dialect.name != "postgresql":
        raise WorkersNeedPostgres(NEED_POSTGRES)
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def make_app(engine: Engine, pool_size: int = 4) -> App:
    from . import tasks  # noqa: F401  (registers the tasks on `blueprint`)

    app = App(connector=PsycopgConnector(conninfo=conninfo(engine), min_size=1, max_size=pool_size))
    app.add_tasks_from(blueprint, namespace="newsvault")
    return app


# procrastinate finds a job's lock through an index on (id, lock): a scan of the
# whole index per waiting job, 0.5 s per fetch with 2,000 sources waiting (one
# lock each). An index on the lock makes it a lookup (40 ms, measured).
LOCK_INDEX = (
    "CREATE INDEX IF NOT EXISTS newsvault_jobs_lock_idx ON procrastinate_jobs (lock) WHERE status IN ('todo', 'doing')"
)


def install(engine: Engine) -> bool:
    """Create procrastinate's tables in the store's database unless they exist; True if it did."""
    from procrastinate.schema import SchemaManager

    conninfo(engine)
    with engine.begin() as conn:
        # Workers starting together on several machines: one installs, the others wait and see it.
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('newsvault.workers.install'))"))
        created = conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is None
        if created:
            # Many statements in one string: psycopg runs them as given when there are no parameters.
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None  # an open connection has its DBAPI connection
            dbapi.cursor().execute(SchemaManager.get_schema())
        conn.execute(text(LOCK_INDEX))
    return created
