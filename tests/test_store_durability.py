"""The store's commit settings: WAL with synchronous=NORMAL, and the WAL synced before the tree depends on it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from newsvault.store import make_durable, open_store
from newsvault.store import sources as store_sources
from newsvault.store.engine import reclaim


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


@pytest.mark.sqlite_only("VACUUM is SQLite's; PostgreSQL's autovacuum needs no room of ours")
def test_vacuum_on_a_full_disk_leaves_the_store_whole(tmp_path: Path) -> None:
    """`reclaim` after an upgrade needs room for a copy of the store; without it the store stays as it was."""
    from tests.test_hostile_output import _fill, _small_disk

    with _small_disk(tmp_path / "disk", "32m") as disk:
        engine = open_store(f"sqlite:///{disk}/vault.sqlite")
        kept = {f"kept{i}": f"{i:04d}" * 2_000 for i in range(100)}  # ~0.8 MB that must survive
        with engine.begin() as conn:
            for key, value in kept.items():
                store_sources.set_meta(conn, key, value)
            for i in range(250):  # ~2 MB dropped again: room a VACUUM would give back
                store_sources.set_meta(conn, f"dropped{i}", "x" * 8_000)
        with engine.begin() as conn:
            for i in range(250):
                store_sources.drop_meta(conn, f"dropped{i}")
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = _pages(conn)
        assert pages[1] > 200, pages  # free pages to give back
        filler = _fill(disk)
        os.truncate(filler, filler.stat().st_size - 64 * 1024)  # room for a page or two, not for the copy
        with engine.connect() as conn, pytest.raises(OperationalError, match="full"):
            conn.exec_driver_sql("VACUUM")  # what reclaim meets here
        reclaim(engine)  # ... and leaves as it was: no error, the room is reused as the store grows
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
            assert _pages(conn) == pages
            assert {key: store_sources.get_meta(conn, key) for key in kept} == kept
        engine.dispose()
        filler.unlink()
        engine = open_store(f"sqlite:///{disk}/vault.sqlite")
        reclaim(engine)  # with the room back, the free pages are given back
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
            assert _pages(conn)[1] == 0 and {key: store_sources.get_meta(conn, key) for key in kept} == kept
        engine.dispose()


def _pages(conn: Connection) -> tuple[int, int]:
    """SQLite's (pages in the file, free ones)."""
    return tuple(conn.exec_driver_sql(f"PRAGMA {p}").scalar_one() for p in ("page_count", "freelist_count"))  # type: ignore[return-value]
