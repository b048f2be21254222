"""search index: bigram tokens of every article's title and text (issue 7)

Revision ID: 0006
Revises: 0004

`search_docs` remembers what was indexed (content sha, the article's
`updated_ms`) and keeps the plain text that snippets are cut from. Its `key` is
the article's date in ms × 10,000 plus a tie-breaker, so rowid order is date
order and the newest hits come out of the index first, without sorting them.

SQLite: the tokens go into `search_fts`, a contentless FTS5 table (the tokens
are three times the text; the plain text is kept once, in `search_docs`), with
a one-character prefix index for single-character queries. PostgreSQL: the same
tokens in a `tsvector('simple')` column of `search_docs` with a GIN index.
The index is filled by `newsvault reindex` or the next `run` or `import`.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "search_docs",
        sa.Column("key", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False),
        sa.Column("article_id", sa.Integer, nullable=False, unique=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("date_ms", sa.BigInteger, nullable=False),
        sa.Column("stamp", sa.BigInteger),
        sa.Column("has_body", sa.Boolean, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "source, title, body, tokenize='ascii', content='', columnsize=0, prefix='1')"
        )
        # Pending terms are flushed as a new segment every `hashsize` bytes: the 1 MB
        # default makes a 200,000-article build mostly merging.
        op.execute("INSERT INTO search_fts(search_fts, rank) VALUES ('hashsize', 67108864)")
    elif dialect == "postgresql":
        op.add_column("search_docs", sa.Column("tsv", sa.dialects.postgresql.TSVECTOR))
        op.add_column("search_docs", sa.Column("title_tsv", sa.dialects.postgresql.TSVECTOR))
        op.create_index("ix_search_docs_tsv", "search_docs", ["tsv"], postgresql_using="gin")
        op.create_index("ix_search_docs_title_tsv", "search_docs", ["title_tsv"], postgresql_using="gin")
        op.create_index("ix_search_docs_source_key", "search_docs", ["source", "key"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts")
    op.drop_table("search_docs")
