"""articles of any link or guid length on PostgreSQL: hash indexes where btree ones had a size limit

Revision ID: 0018
Revises: 0017

PostgreSQL's btree index entries hold at most 2,704 bytes: one item whose link
or guid was longer (tracking parameters, data in the URL) failed its feed's
whole transaction there, every run ("index row size exceeds btree version 4
maximum"). Items are matched by equality only, which a hash index answers for
any length, and a hash index cannot span two columns: so the link and the guid
(where there is one) are indexed alone, hashed on PostgreSQL, as before on
SQLite; a link or guid names one article almost always, so its outlet is
checked on that row.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_articles_source_guid", table_name="articles")
    op.drop_index("ix_articles_source_link", table_name="articles")
    op.create_index("ix_articles_link", "articles", ["link"], postgresql_using="hash")
    op.create_index(
        "ix_articles_guid",
        "articles",
        ["guid"],
        sqlite_where=sa.text("guid IS NOT NULL"),
        postgresql_where=sa.text("guid IS NOT NULL"),
        postgresql_using="hash",
    )


def downgrade() -> None:
    op.drop_index("ix_articles_guid", table_name="articles")
    op.drop_index("ix_articles_link", table_name="articles")
    op.create_index("ix_articles_source_link", "articles", ["source", "link"])
    op.create_index(
        "ix_articles_source_guid",
        "articles",
        ["source", "guid"],
        sqlite_where=sa.text("guid IS NOT NULL"),
        postgresql_where=sa.text("guid IS NOT NULL"),
    )
