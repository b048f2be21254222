"""Copying a store between SQLite and PostgreSQL, row for row, and proving the copy.

A vault outgrowing one SQLite file moves to PostgreSQL (and can come back):
every table of the store's schema is copied in dependency order, in batches,
inside one transaction of the target, so an interrupted copy leaves the target
as empty as it was. The copy is then checked table by table: the same number
of rows and the same hash over them. The hash is over the sorted digests of
the rows, because the two databases order text keys by different collations.

The search index is derived data and is not copied; it is rebuilt on the
target by the caller (`newsvault copy-store` runs `update_index`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, select, text

from .schema import metadata

BATCH = 1000  # rows per executemany: bounded memory whatever the archive's size


class CopyError(Exception):
    """The target is not empty, or the copy does not match its source."""


@dataclass
class TableCopy:
    name: str
    rows: int
    sha256: str


@dataclass
class CopyReport:
    tables: list[TableCopy] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


def tables() -> list[Table]:
    """The store's tables, each after the tables it refers to."""
    return list(metadata.sorted_tables)


def _canonical(value: object) -> bytes:
    # Typed and length-prefixed, so that 1, "1", b"1" and True differ and no
    # two rows can concatenate to the same bytes.
    if value is None:
        return b"N"
    if isinstance(value, bool):
        return b"B1" if value else b"B0"
    if isinstance(value, int):
        return b"I" + str(value).encode() + b";"
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
    else:
        data = str(value).encode("utf-8", "surrogatepass")
        return b"S" + str(len(data)).encode() + b":" + data
    return b"X" + str(len(data)).encode() + b":" + data


def _rows(conn: Connection, table: Table) -> Iterable[tuple[Any, ...]]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(select(table).order_by(*order))
    yield from result


def table_digest(conn: Connection, table: Table) -> TableCopy:
    """Row count and a hash of a table's content that does not depend on row order or database."""
    digests = sorted(hashlib.sha256(b"".join(map(_canonical, row))).digest() for row in _rows(conn, table))
    return TableCopy(table.name, len(digests), hashlib.sha256(b"".join(digests)).hexdigest())


def non_empty(conn: Connection) -> list[str]:
    """Tables of the store that hold rows."""
    return [t.name for t in tables() if conn.execute(select(func.count()).select_from(t)).scalar()]


def _reset_sequences(conn: Connection) -> None:
    """PostgreSQL hands out ids from sequences, which copied ids did not advance."""
    for table in tables():
        for column in table.primary_key.columns:
            if column.autoincrement is True:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                        f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
                    )
                )


def copy_store(source: Engine, target: Engine) -> CopyReport:
    """Copy every row of `source` into the empty, migrated `target`, then verify counts and hashes."""
    with target.begin() as out:
        full = non_empty(out)
        if full:
            raise CopyError(
                f"the target store is not empty (rows in {', '.join(full)}); copy into a new, empty database"
            )
        with source.connect() as src:
            for table in tables():
                columns = [c.name for c in table.columns]
                batch: list[dict[str, Any]] = []
                for row in _rows(src, table):
                    batch.append(dict(zip(columns, row, strict=False)))
                    if len(batch) == BATCH:
                        out.execute(table.insert(), batch)
                        batch = []
                if batch:
                    out.execute(table.insert(), batch)
        if out.dialect.name == "postgresql":
            _reset_sequences(out)
    return verify_copy(source, target)


def verify_copy(source: Engine, target: Engine) -> CopyReport:
    """Both stores hold the same rows in every table: CopyError naming the tables that differ, if not."""
    report = CopyReport()
    differ: list[str] = []
    with source.connect() as src, target.connect() as dst:
        for table in tables():
            mine, theirs = table_digest(src, table), table_digest(dst, table)
            report.tables.append(theirs)
            if (mine.rows, mine.sha256) != (theirs.rows, theirs.sha256):
                differ.append(f"{table.name} ({mine.rows} rows in the source, {theirs.rows} in the target)")
    if differ:
        raise CopyError("the copy differs from its source in: " + ", ".join(differ))
    return report
