"""fetch log notes: what a poll archived with a gap, apart from what it failed to archive

Revision ID: 0009
Revises: 0008

`problems` keeps what was not archived (items refused, pages that failed):
the run exits 1 for them. `notes` holds what was archived all the same but is
worth knowing (an item without a date, a feed switched), which `status` shows.
Older rows keep their mixed `problems`.

Also an index on `articles.date_ms`: the home pages of the reader and the site
list the newest articles across outlets.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fetch_log") as batch:
        batch.add_column(sa.Column("notes", sa.Text))
    op.create_index("ix_articles_date", "articles", ["date_ms"])


def downgrade() -> None:
    op.drop_index("ix_articles_date", table_name="articles")
    with op.batch_alter_table("fetch_log") as batch:
        batch.drop_column("notes")
