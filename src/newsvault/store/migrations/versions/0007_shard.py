"""article shards: the month folder of a new article in a sharded tree (issue 6)

Revision ID: 0007
Revises: 0006

`shard` is "yyyy/mm" for an article filed as articles/<abbr>/<yyyy>/<mm>/<id>.md,
NULL for the flat layout of the original archive. It is decided once, when the
article is first stored, so a later edit of its date or a change of the
vault's setting never moves a published file.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("shard", sa.String(7)))


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("shard")
