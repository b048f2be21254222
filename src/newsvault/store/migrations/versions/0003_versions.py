"""versions, captures, statuses, re-check schedule; changes become versions

Revision ID: 0005
Revises: 0002

Third in the chain, filed as 0003; its id stays 0005 because existing stores record it.
"""

import hashlib
import itertools
import time

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None

DAY = 86_400_000


def _sha(title: str, body: str | None) -> str:
    return hashlib.sha256(f"{title}\0{body or ''}".encode("utf-8", "surrogatepass")).hexdigest()


def upgrade() -> None:
    op.create_table(
        "captures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("fetched_ms", sa.BigInteger, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("headers", sa.Text),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
    )
    versions = op.create_table(
        "versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("seen_ms", sa.BigInteger, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("date_ms", sa.BigInteger),
        sa.Column("body", sa.Text),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("capture_id", sa.Integer, sa.ForeignKey("captures.id")),
        sa.UniqueConstraint("article_id", "n", name="uq_versions_article_n"),
    )
    op.create_index("ix_versions_article", "versions", ["article_id"])
    op.create_table(
        "statuses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("seen_ms", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_statuses_article", "statuses", ["article_id"])
    checks = op.create_table(
        "checks",
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), primary_key=True),
        sa.Column("next_ms", sa.BigInteger),
        sa.Column("last_ms", sa.BigInteger),
        sa.Column("count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("status", sa.String(20), nullable=False, server_default="live"),
    )
    op.create_index("ix_checks_next", "checks", ["next_ms"])

    # Existing articles: their recorded changes become the earlier versions.
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, title, date_ms, body, first_seen_ms FROM articles WHERE body IS NOT NULL ORDER BY id")
    )
    now = int(time.time() * 1000)
    for article in rows.mappings().all():
        history = (
            bind.execute(
                sa.text(
                    "SELECT seen_ms, old_title, old_date_ms, old_body FROM changes WHERE article_id = :a ORDER BY id"
                ),
                {"a": article["id"]},
            )
            .mappings()
            .all()
        )
        contents = [(article["first_seen_ms"], h["old_title"], h["old_date_ms"], h["old_body"]) for h in history[:1]]
        for before, after in itertools.pairwise(history):
            contents.append((before["seen_ms"], after["old_title"], after["old_date_ms"], after["old_body"]))
        seen = history[-1]["seen_ms"] if history else article["first_seen_ms"]
        contents.append((seen, article["title"], article["date_ms"], article["body"]))
        n = 0
        last_sha = None
        for seen_ms, title, date_ms, body in contents:
            sha = _sha(title, body)
            if sha == last_sha:
                continue
            n += 1
            last_sha = sha
            bind.execute(
                versions.insert().values(
                    article_id=article["id"], n=n, seen_ms=seen_ms, title=title, date_ms=date_ms, body=body, sha256=sha
                )
            )
        # Re-checks follow the ladder from the article's age; articles over a year old are not re-checked.
        born = min(article["first_seen_ms"], article["date_ms"] or article["first_seen_ms"])
        bind.execute(
            checks.insert().values(
                article_id=article["id"], next_ms=0 if now - born < 365 * DAY else None, count=0, status="live"
            )
        )
    op.drop_table("changes")


def downgrade() -> None:
    op.create_table(
        "changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("article_id", sa.Integer, sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("seen_ms", sa.BigInteger, nullable=False),
        sa.Column("old_title", sa.Text),
        sa.Column("old_date_ms", sa.BigInteger),
        sa.Column("old_body", sa.Text),
    )
    for table in ("checks", "statuses", "versions", "captures"):
        op.drop_table(table)
