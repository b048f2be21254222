"""imported archives: kept files, imported flag, file-level uniqueness

Revision ID: 0002
Revises: 0001

An imported tree can hold the same outlet twice (``articles/voa/<id>.md`` and the
2020 ``articles/美国之音/<id>_<title>.md``) with overlapping ids, because the
original restarted its countdown when it changed layout. What must be unique is
the file an article is written to, so the (source, archive_id) constraint now
holds only for articles at the standard path, and explicit paths are unique.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_constraint("uq_articles_source_archive_id", type_="unique")
        batch.add_column(sa.Column("imported", sa.Boolean, nullable=False, server_default="0"))
    op.create_index(
        "uq_articles_source_archive_id",
        "articles",
        ["source", "archive_id"],
        unique=True,
        sqlite_where=sa.text("path IS NULL"),
        postgresql_where=sa.text("path IS NULL"),
    )
    op.create_index(
        "uq_articles_path",
        "articles",
        ["path"],
        unique=True,
        sqlite_where=sa.text("path IS NOT NULL"),
        postgresql_where=sa.text("path IS NOT NULL"),
    )
    op.create_index("ix_articles_source_archive_id", "articles", ["source", "archive_id"])
    op.create_table(
        "kept_files",
        sa.Column("path", sa.Text, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("source", sa.String(200)),
        sa.Column("raw", sa.LargeBinary, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kept_files")
    op.drop_index("ix_articles_source_archive_id", "articles")
    op.drop_index("uq_articles_path", "articles")
    op.drop_index("uq_articles_source_archive_id", "articles")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("imported")
        batch.create_unique_constraint("uq_articles_source_archive_id", ["source", "archive_id"])
