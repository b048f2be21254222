"""Tables of the image mirror: one row per image URL, linked to the articles showing it.

Kept apart from the article tables because mirroring is a side job: it runs
after articles are stored, may fail and be retried for days, and never
changes an article. A URL's row says how far its mirroring got; the file
itself is named by the sha256 of its bytes, so two URLs serving the same
picture share one file.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text

from newsvault.store.schema import metadata

images = Table(
    "images",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url_sha", String(64), nullable=False, unique=True),  # sha256 of url: URLs can be long
    Column("url", Text, nullable=False),  # absolute, as clean.image_urls gives it
    Column("status", String(20), nullable=False),  # "pending" | "done" | "failed" | "refused"
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("error", Text),  # the last failure, one line for the user
    Column("sha256", String(64)),  # of the stored bytes: assets/<sha256[:2]>/<sha256>.<ext>
    Column("ext", String(10)),  # from the bytes' magic number, never from the URL or headers
    Column("bytes", Integer),
    Column("first_seen_ms", BigInteger, nullable=False),
    Column("tried_ms", BigInteger),  # last attempt; the longest waiting are tried first
)
Index("ix_images_status_tried", images.c.status, images.c.tried_ms)
Index("ix_images_sha256", images.c.sha256)

article_images = Table(
    "article_images",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id"), primary_key=True),
    Column("image_id", Integer, ForeignKey("images.id"), primary_key=True, index=True),
)

# Which articles have had their images listed, and when: a body that changed
# since (articles.updated_ms is later) is listed again.
image_scans = Table(
    "image_scans",
    metadata,
    Column("article_id", Integer, ForeignKey("articles.id"), primary_key=True),
    Column("scanned_ms", BigInteger, nullable=False),
)
