"""search_docs keeps the length of an article's plain text, no longer the text itself (issue 15)

Revision ID: 0017
Revises: 0016

The plain text was kept only for search snippets and `health`'s text
lengths, and it was as large as the text: 51 MB of the store at 10,000
articles, about 1 GB at 200,000, carried in every Actions cache. Snippets
are now made from the hits' bodies when a search shows them; `health`
reads the length. What is indexed stays as it is: nothing is indexed again.
On SQLite the freed pages are given back by `engine.migrate` (VACUUM).
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("search_docs", sa.Column("plain_length", sa.Integer, nullable=False, server_default="0"))
    op.execute("UPDATE search_docs SET plain_length = length(text)")
    op.execute("ALTER TABLE search_docs DROP COLUMN text")


def downgrade() -> None:
    # The text cannot be made here (it is the extract stage's plain text of each body): the documents go, and
    # the next update indexes every article again. Both databases' indexes (Tantivy's folder, the tsvector
    # columns) are keyed like search_docs, and an update first deletes what it adds.
    op.execute("DELETE FROM search_docs")
    op.execute("DELETE FROM meta WHERE key = 'search_indexed_upto'")
    op.execute("ALTER TABLE search_docs DROP COLUMN plain_length")
    op.add_column("search_docs", sa.Column("text", sa.Text, nullable=False, server_default=""))
