"""The store's commit settings: WAL with synchronous=NORMAL, and the WAL synced before the tree depends on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from newsvault.store import make_durable, open_store
from newsvault.store import sources as store_sources


@pytest.mark.sqlite_only("SQLite's journal and sync settings: PostgreSQL keeps its own")
def test_wal_with_synchronous_normal_and_the_wal_synced_on_demand(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path}/vault.sqlite")
    with engine.begin() as conn:
        store_sources.ensure(conn, "x", "X", "http://127.0.0.1/")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL: kill -9 safe, see test_crash.py
    assert (tmp_path / "vault.sqlite-wal").exists()
    make_durable(engine)  # fsyncs the WAL; a store without one, or in memory, needs nothing
    engine.dispose()
    memory = open_store("sqlite://")
    make_durable(memory)
    memory.dispose()
