"""third-party witnesses: the outbox also holds Wayback Machine submissions (issue 17)

Revision ID: 0013
Revises: 0012

A witness is one more channel of the notification outbox ("wayback"): its
row's text is the URL submitted, `job_id` the Save Page Now 2 job while it
runs, `snapshot_url` the capture once taken (its time is `posted_ms`).
docs/EVIDENCE.md.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("job_id", sa.String(200)))
        batch.add_column(sa.Column("snapshot_url", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("snapshot_url")
        batch.drop_column("job_id")
