"""`store.bulk.insert_tuples` hands tuples to the driver as they are: it refuses what that would skip."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table, create_engine, select
from sqlalchemy.types import TypeDecorator

from newsvault.store.bulk import insert_tuples


class _Upper(TypeDecorator[str]):
    """A type that converts what it stores, as a later column's type might."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        return None if value is None else value.upper()


def _table() -> Table:
    return Table(
        "things",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String),
        Column("kind", String, default="plain"),  # Python-side: never run by an executemany of tuples
        Column("loud", _Upper),
        Column("data", LargeBinary),
    )


def test_rows_are_inserted_as_given_where_nothing_would_be_skipped(tmp_path):
    table = _table()
    engine = create_engine(f"sqlite:///{tmp_path / 's.sqlite'}")
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        rows = [(1, "甲", "plain", b"\x00\x01"), (2, "乙", "x", None)]
        insert_tuples(conn, table, ("id", "name", "kind", "data"), rows)
        assert conn.execute(select(table.c.id, table.c.name, table.c.kind, table.c.data)).all() == [
            (1, "甲", "plain", b"\x00\x01"),
            (2, "乙", "x", None),
        ]


@pytest.mark.parametrize(
    ("columns", "named"),
    [(("id", "name"), "['kind']"), (("id", "name", "kind", "loud"), "['loud']")],
)
def test_a_python_side_default_left_out_or_a_converting_type_is_refused(tmp_path, columns, named):
    table = _table()
    engine = create_engine(f"sqlite:///{tmp_path / 's.sqlite'}")
    table.metadata.create_all(engine)
    with engine.begin() as conn, pytest.raises(TypeError, match=named.replace("[", r"\[").replace("]", r"\]")):
        insert_tuples(conn, table, columns, [tuple(range(len(columns)))])
    with engine.connect() as conn:
        assert conn.execute(select(table)).all() == []
