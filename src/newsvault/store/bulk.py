"""Many rows in one driver-level executemany: the big writes (an import, an index build, a feed's new articles).

Building SQLAlchemy parameter dicts per row cost as much as SQLite's own work
(an import's ~180,000 articles, an index build's 20,000 documents a batch), so
the statement is compiled once per table, columns and dialect, and the driver
gets the tuples as they are. Only server-side defaults apply, and values reach
the driver unconverted: compiling refuses a table with a Python-side default
among the columns left out, or a named column whose type converts values
(bools and bytes aside, which both drivers take as they are), rather than
let a later column's default or type be skipped without a word.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Boolean, Connection, Dialect, LargeBinary, Table, bindparam

# Types whose conversion only wraps what both drivers take as it is: Python's bools and bytes.
_AS_GIVEN = (Boolean, LargeBinary)


def insert_tuples(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert `rows` (tuples in `columns` order) into `table`."""
    if not rows:
        return
    sql, order = _statement(table, tuple(columns), conn.dialect)
    if order is not None:
        params: list[Any] = (
            [tuple(row[i] for i in order) for row in rows] if order != list(range(len(order))) else list(rows)
        )
    else:
        params = [dict(zip(columns, row, strict=False)) for row in rows]
    conn.exec_driver_sql(sql, params)


@lru_cache(maxsize=64)
def _statement(table: Table, columns: tuple[str, ...], dialect: Dialect) -> tuple[str, list[int] | None]:
    """The INSERT's text for this dialect, and where each of its positional parameters is in `columns`
    (None for named parameters). Compiling it was ~0.3 ms: a feed's three inserts each time."""
    defaulted = [c.name for c in table.columns if c.name not in columns and c.default is not None]
    converted = [
        c for c in columns if not isinstance(table.c[c].type, _AS_GIVEN) and table.c[c].type.bind_processor(dialect)
    ]
    if defaulted or converted:
        raise TypeError(
            f"insert_tuples into {table.name} would skip the Python-side defaults of {defaulted} "
            f"and the conversions of {converted}: insert those rows through SQLAlchemy"
        )
    compiled = table.insert().values({c: bindparam(c) for c in columns}).compile(dialect=dialect)
    if compiled.positiontup is None:
        return str(compiled), None
    return str(compiled), [columns.index(name) for name in compiled.positiontup]
