"""search index without its prefix index: half the size, built faster (issue 15)

Revision ID: 0008
Revises: 0007

SQLite only (PostgreSQL's tsvector columns stay). `search_fts` is made again
without `prefix='1'` and without the unused `source` column: the one-character
prefix index held a second copy of every CJK token's positions. One-character
queries go to `search_fts_title_chars` and `search_fts_body_chars` instead,
each document's distinct CJK characters with `detail=none` (no positions: one
character is one token).
bench/bench_search_candidates.py measured this beside the other candidates
(docs/SEARCH.md).

Both tables start empty and `search_docs` is emptied with them, so the next
`run`, `import`, `search` or `serve` (or `newsvault reindex`) indexes every
article again.
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CHARS = ("search_fts_title_chars", "search_fts_body_chars")
HASHSIZE = 67_108_864  # pending terms flushed every 64 MB: the 1 MB default makes a big build mostly merging


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TABLE search_fts")
    op.execute("DELETE FROM search_docs")
    op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(title, body, tokenize='ascii', content='', columnsize=0)")
    for table in CHARS:
        op.execute(
            f"CREATE VIRTUAL TABLE {table} USING fts5(chars, tokenize='ascii', content='', columnsize=0, detail=none)"
        )
    for table in ("search_fts", *CHARS):
        op.execute(f"INSERT INTO {table}({table}, rank) VALUES ('hashsize', {HASHSIZE})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in CHARS:
        op.execute(f"DROP TABLE {table}")
    op.execute("DROP TABLE search_fts")
    op.execute("DELETE FROM search_docs")
    op.execute(
        "CREATE VIRTUAL TABLE search_fts USING fts5("
        "source, title, body, tokenize='ascii', content='', columnsize=0, prefix='1')"
    )
    op.execute(f"INSERT INTO search_fts(search_fts, rank) VALUES ('hashsize', {HASHSIZE})")
