"""mirrored images: images, article_images, image_scans

Revision ID: 0003
Revises: 0005

Fourth in the chain, filed as 0004; its id stays 0003 because existing stores record it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "images",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("url_sha", sa.String(64), nullable=False, unique=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sa.Column("sha256", sa.String(64)),
        sa.Column("ext", sa.String(10)),
        sa.Column("bytes", sa.Integer),
        sa.Column("first_seen_ms", sa.BigInteger, nullable=False),
        sa.Column("tried_ms", sa.BigInteger),
    )
    op.create_index("ix_images_status_tried", "images", ["status", "tried_ms"])
    op.create_index("ix_images_sha256", "images", ["sha256"])
    op.create_table(
        "article_images",
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), primary_key=True),
        sa.Column("image_id", sa.Integer, sa.ForeignKey("images.id"), primary_key=True),
    )
    op.create_index("ix_article_images_image_id", "article_images", ["image_id"])
    op.create_table(
        "image_scans",
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), primary_key=True),
        sa.Column("scanned_ms", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("image_scans", "article_images", "images"):
        op.drop_table(table)
