"""fallback feeds: which feed a source polls, and its runs without new items

Revision ID: 0004
Revises: 0003

Fifth in the chain, filed as 0005; its id stays 0004 because existing stores record it.

`active_feed` is the position in the source's feed list (0: the primary, then
its fallbacks) that runs poll; `idle_runs` counts runs in a row that brought no
new item, the sign of a mirror that stopped without failing.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("active_feed", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("idle_runs", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("idle_runs")
        batch.drop_column("active_feed")
