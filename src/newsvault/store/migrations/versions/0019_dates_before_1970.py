"""no article or version dated before 1970: such a date is replaced by when the article was first seen

Revision ID: 0019
Revises: 0018

The archive's header writes an article's date as <!--ms-->, which the format
reads as digits only, so a date before 1970 cannot be archived: one item dated
0001-01-01 (CMSs write it for "no date") or 1900 made every render fail after
it was stored, and `verify` with it. Items now take such a date as missing
(identify); this repairs what was stored before, as a missing date is: the
first-seen time, marked `date_missing`.
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE versions SET date_ms = (SELECT a.first_seen_ms FROM articles a WHERE a.id = versions.article_id)"
        " WHERE date_ms < 0"
    )
    op.execute(
        "UPDATE articles SET date_ms = first_seen_ms, date_missing = TRUE, rendered_sha = NULL WHERE date_ms < 0"
    )


def downgrade() -> None:
    """Nothing to undo: the dates replaced could not be archived."""
