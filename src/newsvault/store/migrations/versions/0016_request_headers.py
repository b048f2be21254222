"""captures and statuses keep the headers their request went with: WARC request records (issue 17)

Revision ID: 0016
Revises: 0015

A WARC holds each capture's request beside its response. The fetch knows
the request's headers as they were sent (Host, User-Agent, Accept-Encoding,
If-None-Match…), and from now on the store keeps them, as JSON, on the
capture and on a status that served a notice again. Rows written before stay
NULL and export as before: the method, the target and Host, nothing made up.
Plain added columns (no key, no index), so SQLite needs no table copy.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("captures", sa.Column("request_headers", sa.Text))
    op.add_column("statuses", sa.Column("request_headers", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("statuses") as batch:
        batch.drop_column("request_headers")
    with op.batch_alter_table("captures") as batch:
        batch.drop_column("request_headers")
