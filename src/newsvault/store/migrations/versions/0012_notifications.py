"""the notification outbox: edits, deletions and new articles to post to a Telegram channel (issue 18)

Revision ID: 0012
Revises: 0011

One row per event and channel (unique), with the message made when it was
queued and where posting it stands: queued, sending (committed before the API
call), posted, or uncertain (a run stopped between the call and its answer
being recorded: never sent again). docs/NOTIFY.md.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("ref", sa.Integer, nullable=False),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("queued_ms", sa.BigInteger, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("attempted_ms", sa.BigInteger),
        sa.Column("posted_ms", sa.BigInteger),
        sa.Column("message_id", sa.BigInteger),
        sa.Column("error", sa.Text),
        sa.UniqueConstraint("channel", "event", "ref", name="uq_notifications_event"),
    )
    op.create_index("ix_notifications_state", "notifications", ["channel", "state", "id"])


def downgrade() -> None:
    op.drop_index("ix_notifications_state", table_name="notifications")
    op.drop_table("notifications")
