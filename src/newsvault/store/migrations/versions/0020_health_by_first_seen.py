"""the source health report by an index: articles by when first seen, per outlet (issue 15)

Revision ID: 0020
Revises: 0019

The health report (`status`, `sources`, the reader's /health) asks per outlet
which articles were first seen in a window: 14 windows of text lengths, and the
ones dated after they were seen. Without an index on when an article was first
seen, each read every article of the outlet: 3.6 s at 200,000 articles, and the
reader's /health page took as long. `articles (source, first_seen_ms)` makes
each a range of the index (0.3 s → 0.04 s for the whole report).

`versions (article_id)` goes: the unique `(article_id, n)` begins with the same
column and answers every lookup by article, in version order too, so the
second index was only one more to write for every version stored.

On SQLite the index of articles waiting for their page is made again after the
new one: before a store has statistics (a new one has none), SQLite takes the
index made last among those that match a query equally well, and the count of
failing pages would have walked the outlet by the new index instead.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_articles_source_seen", "articles", ["source", "first_seen_ms"])
    op.drop_index("ix_versions_article", table_name="versions")
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_articles_waiting_page", table_name="articles")
        op.create_index(
            "ix_articles_waiting_page",
            "articles",
            ["source", "archive_id"],
            sqlite_where=sa.text("page_state IN ('pending', 'failed')"),
        )


def downgrade() -> None:
    op.create_index("ix_versions_article", "versions", ["article_id"])
    op.drop_index("ix_articles_source_seen", table_name="articles")
