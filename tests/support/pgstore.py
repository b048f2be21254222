"""Fresh PostgreSQL databases for tests: one per vault, dropped when the test ends.

`--store=postgresql` sets NEWSVAULT_TEST_POSTGRES to the server's base URL; every
vault a test creates then gets its own database, so tests stay independent as
they are on SQLite, where each vault has its own file. Only databases named
nv_<random> are ever created or dropped.
"""

from __future__ import annotations

import os
import secrets

ENV = "NEWSVAULT_TEST_POSTGRES"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"

_created: list[str] = []


def server() -> str | None:
    """The base URL (without a database) when tests run against PostgreSQL, else None."""
    return os.environ.get(ENV) or None


def _admin(base: str):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(f"{base}/postgres", autocommit=True)


def create_database(base: str | None = None) -> str:
    """A new empty database; its URL. Dropped by drop_created()."""
    base = base or server() or DEFAULT_SERVER
    name = f"nv_{secrets.token_hex(6)}"
    with _admin(base) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    _created.append(f"{base}/{name}")
    return f"{base}/{name}"


def drop_created() -> None:
    """Drop every database made since the last call; FORCE ends connections the test left open."""
    while _created:
        url = _created.pop()
        base, name = url.rsplit("/", 1)
        assert name.startswith("nv_")
        with _admin(base) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def available(base: str = DEFAULT_SERVER) -> bool:
    try:
        _admin(base).close()
    except Exception:
        return False
    return True
