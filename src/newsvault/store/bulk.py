"""Many rows in one driver-level executemany, for the store's big writes (an import, an index build).

Building SQLAlchemy parameter dicts per row cost as much as SQLite's own work
(an import's ~180,000 articles, an index build's 20,000 documents a batch), so
the statement is compiled once and the driver gets the tuples as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam


def insert_tuples(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert `rows` (tuples in `columns` order) into `table`."""
    if not rows:
        return
    compiled = table.insert().values({c: bindparam(c) for c in columns}).compile(dialect=conn.dialect)
    if compiled.positiontup is not None:
        order = [columns.index(name) for name in compiled.positiontup]
        params: list[Any] = (
            [tuple(row[i] for i in order) for row in rows] if order != list(range(len(order))) else list(rows)
        )
    else:
        params = [dict(zip(columns, row, strict=False)) for row in rows]
    conn.exec_driver_sql(str(compiled), params)
