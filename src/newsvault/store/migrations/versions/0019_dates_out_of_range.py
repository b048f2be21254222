"""no article or version dated before 1970 or in the year 9999's last days: replaced by when first seen

Revision ID: 0019
Revises: 0018

The archive's header writes an article's date as <!--ms-->, which the format
reads as digits only, so a date before 1970 cannot be archived: one item dated
0001-01-01 (CMSs write it for "no date") or 1900 made every render fail after
it was stored, and `verify` with it; so did 9999-12-31, which China time
overflows (Python's dates end with 9999). Items now take such a date as missing
(identify); this repairs what was stored before, as a missing date is: the
first-seen time, marked `date_missing`.
"""

from alembic import op

LATEST_MS = 253_402_128_000_000  # 9999-12-30T00:00:00Z: as identify.item says it (a migration keeps its own copy)

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE versions SET date_ms = (SELECT a.first_seen_ms FROM articles a WHERE a.id = versions.article_id)"
        f" WHERE date_ms < 0 OR date_ms >= {LATEST_MS}"
    )
    op.execute(
        "UPDATE articles SET date_ms = first_seen_ms, date_missing = TRUE, rendered_sha = NULL"
        f" WHERE date_ms < 0 OR date_ms >= {LATEST_MS}"
    )


def downgrade() -> None:
    """Nothing to undo: the dates replaced could not be archived."""
