"""witnesses on the site and the reader: indexes for an article's captures and the newest one recorded (issue 17)

Revision ID: 0014
Revises: 0013

The outbox grows by a row per event and channel (about a thousand a day with
Telegram and the Wayback Machine on). Without these, each of the site's reads
of it read every row: measured at 360,000 rows (SQLite), ~100 ms for the
newest capture (the site's mark), ~100 ms for the captures since it, and
~100 ms for each outlet's or article's captures, about a second per hourly
render and a tenth of a second per article page of the reader.

- `notifications.article_id`: an article's (or an outlet's articles')
  captures, for `history`, the reader and the site;
- `notifications.attempted_ms WHERE snapshot_url IS NOT NULL`: the newest
  capture recorded and those since a mark (store.changes).
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notifications_article", "notifications", ["article_id"])
    op.create_index(
        "ix_notifications_captured",
        "notifications",
        ["attempted_ms"],
        sqlite_where=sa.text("snapshot_url IS NOT NULL"),
        postgresql_where=sa.text("snapshot_url IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_notifications_captured", table_name="notifications")
    op.drop_index("ix_notifications_article", table_name="notifications")
