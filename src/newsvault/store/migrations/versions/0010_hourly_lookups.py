"""an index for every lookup of an hourly run, then statistics (issue 15)

Revision ID: 0010
Revises: 0009

A run that finds nothing new must cost about the same at 200,000 articles as
at 2,000: every query it makes reads by an index, found by profiling
(bench/bench_hourly.py) and EXPLAIN QUERY PLAN.

- `articles (source, guid)` again, of the articles with a guid only: the
  NULLs of imported articles made SQLite read a whole outlet to match a feed;
- `versions.capture_id`: `captures.drop_unused` after every feed, and the
  store's high-water mark of captures;
- `versions (n, article_id)`: the edited articles (`n > 1`), without grouping
  every version;
- `articles.updated_ms`: what changed since a mark (the site, the search index);
- `articles (source, date_ms)` and `(source, coalesce(date_ms, first_seen_ms))`:
  dates per outlet (health, months, feeds);
- `articles (source, archive_id) WHERE rendered_sha IS NULL`: what a render
  must write, replacing the index of every article's hash;
- `articles (source, archive_id) WHERE page_state IN ('pending', 'failed')`:
  the articles still waiting for their page;
- `articles (source) WHERE NOT imported`: whether an outlet has articles
  beyond its imported tree;
- `checks.status`: the few gone or censored articles.

`open_store` runs ANALYZE (every row, not a sample) after applying migrations, so the planner has
statistics from then on (`PRAGMA optimize` after each run keeps them current).
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    false = "imported IS 0" if op.get_bind().dialect.name == "sqlite" else "imported IS false"
    op.drop_index("ix_articles_rendered", table_name="articles")
    op.drop_index("ix_articles_source_guid", table_name="articles")
    op.create_index(
        "ix_articles_source_guid",
        "articles",
        ["source", "guid"],
        sqlite_where=sa.text("guid IS NOT NULL"),
        postgresql_where=sa.text("guid IS NOT NULL"),
    )
    op.create_index(
        "ix_articles_unrendered",
        "articles",
        ["source", "archive_id"],
        sqlite_where=sa.text("rendered_sha IS NULL"),
        postgresql_where=sa.text("rendered_sha IS NULL"),
    )
    op.create_index("ix_articles_updated", "articles", ["updated_ms"])
    op.create_index("ix_articles_source_date", "articles", ["source", "date_ms"])
    op.create_index("ix_articles_source_listed", "articles", ["source", sa.text("coalesce(date_ms, first_seen_ms)")])
    op.create_index(
        "ix_articles_source_new",
        "articles",
        ["source"],
        sqlite_where=sa.text(false),
        postgresql_where=sa.text(false),
    )
    op.create_index(
        "ix_articles_waiting_page",
        "articles",
        ["source", "archive_id"],
        sqlite_where=sa.text("page_state IN ('pending', 'failed')"),
        postgresql_where=sa.text("page_state IN ('pending', 'failed')"),
    )
    op.create_index("ix_versions_capture", "versions", ["capture_id"])
    op.create_index("ix_versions_edited", "versions", ["n", "article_id"])
    op.create_index("ix_checks_status", "checks", ["status"])


def downgrade() -> None:
    op.drop_index("ix_checks_status", table_name="checks")
    op.drop_index("ix_versions_edited", table_name="versions")
    op.drop_index("ix_versions_capture", table_name="versions")
    op.drop_index("ix_articles_source_new", table_name="articles")
    op.drop_index("ix_articles_waiting_page", table_name="articles")
    op.drop_index("ix_articles_source_listed", table_name="articles")
    op.drop_index("ix_articles_source_date", table_name="articles")
    op.drop_index("ix_articles_updated", table_name="articles")
    op.drop_index("ix_articles_unrendered", table_name="articles")
    op.create_index("ix_articles_rendered", "articles", ["rendered_sha"])
    op.drop_index("ix_articles_source_guid", table_name="articles")
    op.create_index("ix_articles_source_guid", "articles", ["source", "guid"])
