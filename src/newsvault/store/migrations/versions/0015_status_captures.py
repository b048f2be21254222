"""statuses keep the capture a re-check fetched and how it was served: WARC revisit records (issue 17)

Revision ID: 0015
Revises: 0014

A deletion notice is stored once (`captures.sha256` is unique), under the
URL and time it was first served. When another article's re-check gets the
same bytes, its status row now says so: `capture_id` the capture of those
bytes, `url` the URL they were served at (after redirects), `http_status`
and `headers` (JSON) the response as served. These are what the fetch
returned, nothing more (the request's headers are not kept, as for
captures). The evidence export writes a WARC `revisit` record from them
(docs/EVIDENCE.md). Rows written before stay NULL: nothing is made up for
them. The index serves `captures.drop_unused`, which must not drop a
capture a status refers to.
"""

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


@contextmanager
def _statuses() -> Iterator[BatchOperations]:
    """`statuses` altered in batch (SQLite copies the table to add a foreign key).

    Reflecting it reflects `articles`, which it refers to, and SQLAlchemy warns
    that it cannot reflect that table's expression index: an index this copy
    never touches. Said on stderr, the warning reached every new vault's first
    command (`demo`, `init`, `run`).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index", sa.exc.SAWarning)
        with op.batch_alter_table("statuses") as batch:
            yield batch


def upgrade() -> None:
    with _statuses() as batch:
        batch.add_column(sa.Column("capture_id", sa.Integer))
        batch.add_column(sa.Column("url", sa.Text))
        batch.add_column(sa.Column("http_status", sa.Integer))
        batch.add_column(sa.Column("headers", sa.Text))
        batch.create_foreign_key("fk_statuses_capture", "captures", ["capture_id"], ["id"])
    op.create_index("ix_statuses_capture", "statuses", ["capture_id"])


def downgrade() -> None:
    op.drop_index("ix_statuses_capture", table_name="statuses")
    with _statuses() as batch:
        batch.drop_constraint("fk_statuses_capture", type_="foreignkey")
        batch.drop_column("headers")
        batch.drop_column("http_status")
        batch.drop_column("url")
        batch.drop_column("capture_id")
