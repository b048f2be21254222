"""The workers' job queue: procrastinate's tables, in the store's own PostgreSQL database.

procrastinate owns its tables and most of their queries; what newsvault asks
of them itself (installing them once among several machines, and whether any
due job is left) is here, with the store's other queries.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

# procrastinate finds a job's lock through an index on (id, lock): a scan of the
# whole index per waiting job, 0.5 s per fetch with 2,000 sources waiting (one
# lock each). An index on the lock makes it a lookup (40 ms, measured).
_LOCK_INDEX = (
    "CREATE INDEX IF NOT EXISTS newsvault_jobs_lock_idx ON procrastinate_jobs (lock) WHERE status IN ('todo', 'doing')"
)


def install(conn: Connection, schema: str) -> bool:
    """Create the queue's tables from procrastinate's `schema` unless they exist; True if this call did."""
    # Workers starting together on several machines: one installs, the others wait and see it.
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('newsvault.workers.install'))"))
    created = conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is None
    if created:
        # Many statements in one string: psycopg runs them as given when there are no parameters.
        dbapi = conn.connection.dbapi_connection
        assert dbapi is not None  # an open connection has its DBAPI connection
        dbapi.cursor().execute(schema)
    conn.execute(text(_LOCK_INDEX))
    return created


def unfinished(conn: Connection, queues: list[str]) -> int:
    """Jobs of these queues that are running, or waiting and due now."""
    count: int = conn.execute(
        text(
            "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = ANY(:queues) AND "
            "(status = 'doing' OR (status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now())))"
        ),
        {"queues": queues},
    ).scalar_one()
    return count
