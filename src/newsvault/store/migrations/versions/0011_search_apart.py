"""SQLite's search index moves out of the store into a Tantivy folder beside it (issue 15)

Revision ID: 0011
Revises: 0010

SQLite only (PostgreSQL's tsvector columns stay: workers on many machines
share them). The FTS5 tables go; `search_docs` is emptied, so the next `run`,
`import`, `search` or `serve` (or `newsvault reindex`) indexes every article
into `search-index/` beside `vault.sqlite` (docs/SEARCH.md, docs/VAULT.md).
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TABLES = ("search_fts", "search_fts_title_chars", "search_fts_body_chars")
HASHSIZE = 67_108_864


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
    op.execute("DELETE FROM search_docs")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DELETE FROM search_docs")
    op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(title, body, tokenize='ascii', content='', columnsize=0)")
    for table in TABLES[1:]:
        op.execute(
            f"CREATE VIRTUAL TABLE {table} USING fts5(chars, tokenize='ascii', content='', columnsize=0, detail=none)"
        )
    for table in TABLES:
        op.execute(f"INSERT INTO {table}({table}, rank) VALUES ('hashsize', {HASHSIZE})")
