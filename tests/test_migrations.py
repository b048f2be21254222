"""The Alembic migrations: one chain, filed in the order it runs, building the schema the code declares.

Revision ids are what existing stores record, so they never change; the file
names follow the chain instead, so that reading the folder in order is reading
the history. The code names tables through `metadata` (store/schema.py); a
column or index a migration forgot, or one the code declares that no migration
creates, shows up here as an autogenerate diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Index, MetaData, Table, Text
from sqlalchemy.schema import CreateIndex

from newsvault.store.engine import _alembic_config, open_store
from newsvault.store.schema import FTS, metadata, search_metadata
from tests.support.migrations import downgrade

# The revision ids stores have recorded, in chain order; renumbering any would strand those stores.
RECORDED = [
    "0001",
    "0002",
    "0005",
    "0003",
    "0004",
    "0006",
    "0007",
    "0008",
    "0009",
    "0010",
    "0011",
    "0012",
    "0013",
    "0014",
    "0015",
    "0016",
    "0017",
    "0018",
    "0019",
    "0020",
    "0021",
]


def _chain() -> list[tuple[str, Path]]:
    """(revision, file) from base to head."""
    script = ScriptDirectory.from_config(_alembic_config())
    return [(rev.revision, Path(rev.path)) for rev in reversed(list(script.walk_revisions()))]


def _is_search_index(table: str) -> bool:
    return table in search_metadata.tables or table.startswith(FTS)


def _include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Leave out the search index: derived data outside the store's metadata (`search_metadata`).

    Its FTS5 virtual table and shadow tables (SQLite) and tsvector columns with
    GIN indexes (PostgreSQL) are raw SQL in migration 0006 that SQLAlchemy
    cannot declare; its search_docs table is declared in its own MetaData.
    """
    if isinstance(obj, Table):
        return not _is_search_index(obj.name)
    if isinstance(obj, Index) or type_ == "column":
        return not _is_search_index(obj.table.name)  # type: ignore[attr-defined]
    return True


# Indexes only one dialect has (`ddl_if`, which autogenerate ignores and `to_metadata` does not copy): name → dialect.
_ONE_DIALECTS = {
    index.name: index._ddl_if.dialect  # SQLAlchemy's record of ddl_if(): None, or the condition with its dialect
    for table in metadata.tables.values()
    for index in table.indexes
    if index._ddl_if is not None and index._ddl_if.dialect is not None
}


def _made_on(index: Index, dialect: str) -> bool:
    """Whether migrations make `index` on `dialect`."""
    return _ONE_DIALECTS.get(index.name, dialect) == dialect


def _diff(url: str, target: MetaData | None = None) -> list[object]:
    """What autogenerate would change to make a store migrated the way newsvault migrates match `target`."""
    engine = open_store(url)
    dialect = engine.dialect.name

    def include(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        if isinstance(obj, Index) and not reflected and not _made_on(obj, dialect):
            return False
        return _include(obj, name, type_, reflected, compare_to)

    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True, "include_object": include}
            )
            return compare_metadata(context, target if target is not None else metadata)
    finally:
        engine.dispose()


def test_one_head() -> None:
    script = ScriptDirectory.from_config(_alembic_config())
    assert len(script.get_heads()) == 1, script.get_heads()


def test_files_sort_in_chain_order() -> None:
    chain = _chain()
    assert [path.name for _, path in chain] == sorted(path.name for _, path in chain)
    assert [path.name[:4] for _, path in chain] == [f"{n:04d}" for n in range(1, len(chain) + 1)]
    assert [rev for rev, _ in chain][: len(RECORDED)] == RECORDED


# SQLite's reflection cannot read an index on an expression, so autogenerate skips (and warns of) every one;
# the test below compares them by their SQL instead. PostgreSQL's comparison reads them.
_SKIPS_EXPRESSION_INDEXES = (
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
    pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index"),
)


@pytest.mark.sqlite_only("reads sqlite_master; PostgreSQL has test_schema_matches_metadata_postgresql")
@_SKIPS_EXPRESSION_INDEXES[0]
@_SKIPS_EXPRESSION_INDEXES[1]
def test_schema_matches_metadata_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert _diff(url) == []
    engine = open_store(url)
    with engine.connect() as conn:
        made = dict(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'").all())
    engine.dispose()
    declared = [
        index
        for table in metadata.tables.values()
        for index in table.indexes
        if any(not isinstance(e, Column) for e in index.expressions) and _made_on(index, "sqlite")
    ]
    assert declared, "no index on an expression is declared: the filters above are not needed"
    for index in declared:
        assert made.get(index.name) == str(CreateIndex(index).compile(dialect=engine.dialect)).strip(), index.name


def test_schema_matches_metadata_postgresql(pg_url: str) -> None:
    assert _diff(pg_url) == []


@_SKIPS_EXPRESSION_INDEXES[0]
@_SKIPS_EXPRESSION_INDEXES[1]
def test_diff_sees_the_store(tmp_path: Path) -> None:
    """The comparison is not vacuous: a column the code declares but no migration made is reported."""
    widened = MetaData()
    for table in metadata.tables.values():
        table.to_metadata(widened)
    widened.tables["meta"].append_column(Column("extra", Text))
    diff = _diff(f"sqlite:///{tmp_path / 'store.db'}", widened)
    assert [(op[0], op[2], op[3].name) for op in diff] == [("add_column", "meta", "extra")]


def _dates_repaired(url: str) -> None:
    """A store at 0018 holding articles and versions dated 1900 and 9999-12-31 (the render failed on them) comes
    out of 0019 with them dated when the article was first seen, marked without a date, to render again."""
    from sqlalchemy import select

    from newsvault.store import sources, versions
    from newsvault.store.schema import articles
    from newsvault.store.schema import versions as versions_table

    engine = open_store(url)
    seen = 1_700_000_000_000
    with engine.begin() as conn:
        sources.ensure(conn, "od", "老", None)
        for archive_id, date_ms in ((1, -2_208_988_800_000), (2, 253_402_300_799_000), (3, seen - 1)):
            article_id = conn.execute(
                articles.insert().values(
                    source="od",
                    archive_id=archive_id,
                    link=f"https://x.example/{archive_id}",
                    title="老",
                    date_ms=date_ms,
                    body="<p>一</p>",
                    first_seen_ms=seen,
                    last_seen_ms=seen,
                    rendered_sha="0" * 64,
                )
            ).inserted_primary_key[0]
            versions.add(conn, article_id, seen, "老", date_ms, "<p>一</p>")
    downgrade(engine, "0018")
    engine.dispose()
    engine = open_store(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(articles.c.date_ms, articles.c.date_missing, articles.c.rendered_sha).order_by(articles.c.id)
            ).all()
            assert [tuple(r) for r in rows] == [(seen, True, None), (seen, True, None), (seen - 1, False, "0" * 64)]
            dates = conn.execute(select(versions_table.c.date_ms).order_by(versions_table.c.id)).scalars().all()
            assert dates == [seen, seen, seen - 1]
    finally:
        engine.dispose()


def test_dates_out_of_range_are_repaired_sqlite(tmp_path: Path) -> None:
    _dates_repaired(f"sqlite:///{tmp_path / 'store.db'}")


def test_dates_out_of_range_are_repaired_postgresql(pg_url: str) -> None:
    _dates_repaired(pg_url)
