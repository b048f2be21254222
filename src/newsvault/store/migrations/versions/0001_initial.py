"""sources, articles, changes, fetch log, meta

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("abbr", sa.String(200), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("feed_url", sa.Text),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        sa.Column("last_success_ms", sa.BigInteger),
        sa.Column("last_error", sa.Text),
        sa.Column("last_error_ms", sa.BigInteger),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(200), sa.ForeignKey("sources.abbr"), nullable=False),
        sa.Column("archive_id", sa.BigInteger, nullable=False),
        sa.Column("guid", sa.Text),
        sa.Column("link", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("date_ms", sa.BigInteger),
        sa.Column("date_missing", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("body", sa.Text),
        sa.Column("first_seen_ms", sa.BigInteger, nullable=False),
        sa.Column("last_seen_ms", sa.BigInteger, nullable=False),
        sa.Column("updated_ms", sa.BigInteger),
        sa.Column("page_state", sa.String(20)),
        sa.Column("page_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("page_error", sa.Text),
        sa.Column("path", sa.Text),
        sa.Column("raw", sa.LargeBinary),
        sa.Column("rendered_sha", sa.String(64)),
        sa.UniqueConstraint("source", "archive_id", name="uq_articles_source_archive_id"),
    )
    op.create_index("ix_articles_source_guid", "articles", ["source", "guid"])
    op.create_index("ix_articles_source_link", "articles", ["source", "link"])
    op.create_index("ix_articles_rendered", "articles", ["rendered_sha"])
    op.create_table(
        "changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("seen_ms", sa.BigInteger, nullable=False),
        sa.Column("old_title", sa.Text),
        sa.Column("old_date_ms", sa.BigInteger),
        sa.Column("old_body", sa.Text),
    )
    op.create_index("ix_changes_article_id", "changes", ["article_id"])
    op.create_table(
        "fetch_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("started_ms", sa.BigInteger, nullable=False),
        sa.Column("finished_ms", sa.BigInteger, nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("http_status", sa.Integer),
        sa.Column("new", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated", sa.Integer, nullable=False, server_default="0"),
        sa.Column("unchanged", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sa.Column("problems", sa.Text),
    )
    op.create_index("ix_fetch_log_source", "fetch_log", ["source"])
    op.create_table(
        "meta",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.Text),
    )


def downgrade() -> None:
    for table in ("meta", "fetch_log", "changes", "articles", "sources"):
        op.drop_table(table)
