"""Mirrored images in the store: queueing, picking due ones, recording outcomes.

Every function works inside the caller's transaction, like the other
repository modules.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable

from sqlalchemy import Connection, RowMapping, and_, or_, select, update

from .schema import article_images, articles, image_scans, images, insert_ignoring_duplicates

PENDING, DONE, FAILED, REFUSED = "pending", "done", "failed", "refused"


ASSETS = "assets"  # the folder of mirrored images, in the archive and in the site (its own copies)
# What asset_path makes, and nothing else a tree or a site holds (an outlet's page, a feed).
ASSET_PATH = re.compile(ASSETS + r"/[0-9a-f]{2}/[0-9a-f]{64}\.\w+")


def asset_path(sha256: str, ext: str) -> str:
    """Where an image lives in the archive tree, "/"-separated: assets/<2 hex>/<sha256>.<ext>."""
    return f"{ASSETS}/{sha256[:2]}/{sha256}.{ext}"


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def unscanned(conn: Connection, sources: Collection[str], limit: int) -> list[RowMapping]:
    """Articles of `sources` whose images were never listed, or whose body changed since; newest first."""
    query = (
        select(articles.c.id, articles.c.link, articles.c.body, articles.c.updated_ms)
        .outerjoin(image_scans, image_scans.c.article_id == articles.c.id)
        .where(
            articles.c.source.in_(list(sources)),
            articles.c.body.isnot(None),
            or_(image_scans.c.article_id.is_(None), articles.c.updated_ms > image_scans.c.scanned_ms),
        )
        .order_by(articles.c.id.desc())
        .limit(limit)
    )
    return list(conn.execute(query).mappings())


def record_scan(
    conn: Connection, article_id: int, urls: Iterable[str], now_ms: int, updated_ms: int | None = None
) -> int:
    """Queue the images of one article and link them to it; returns how many URLs were new.

    The scan is dated no earlier than the article's `updated_ms`, so a clock
    that ran ahead when the article changed cannot make it be listed forever.
    """
    keyed = {url_key(u): u for u in urls}
    known = set()
    if keyed:
        known = set(conn.execute(select(images.c.url_sha).where(images.c.url_sha.in_(list(keyed)))).scalars())
    insert_ignoring_duplicates(
        conn,
        images,
        [
            {"url_sha": k, "url": u, "status": PENDING, "first_seen_ms": now_ms}
            for k, u in keyed.items()
            if k not in known
        ],
    )
    if keyed:
        ids = conn.execute(select(images.c.id).where(images.c.url_sha.in_(list(keyed)))).scalars()
        insert_ignoring_duplicates(conn, article_images, [{"article_id": article_id, "image_id": i} for i in ids])
    scanned_ms = max(now_ms, updated_ms or 0)
    done = conn.execute(
        update(image_scans).where(image_scans.c.article_id == article_id).values(scanned_ms=scanned_ms)
    ).rowcount
    if not done:
        conn.execute(image_scans.insert().values(article_id=article_id, scanned_ms=scanned_ms))
    return len(keyed) - len(known)


def due(conn: Connection, max_attempts: int, limit: int) -> list[RowMapping]:
    """Images to try now: pending ones, then failed ones with attempts left; the longest waiting first."""
    query = (
        select(images.c.id, images.c.url, images.c.attempts)
        .where(or_(images.c.status == PENDING, and_(images.c.status == FAILED, images.c.attempts < max_attempts)))
        .order_by(images.c.tried_ms.is_not(None), images.c.tried_ms, images.c.id)
        .limit(limit)
    )
    return list(conn.execute(query).mappings())


def mark_done(conn: Connection, image_id: int, sha256: str, ext: str, size: int, now_ms: int) -> None:
    conn.execute(
        update(images)
        .where(images.c.id == image_id)
        .values(
            status=DONE, sha256=sha256, ext=ext, bytes=size, error=None, attempts=images.c.attempts + 1, tried_ms=now_ms
        )
    )


def mark_failed(conn: Connection, image_id: int, error: str, retry: bool, now_ms: int) -> None:
    """A failure: retried on later runs if `retry` (and attempts are left), else given up for good."""
    conn.execute(
        update(images)
        .where(images.c.id == image_id)
        .values(status=FAILED if retry else REFUSED, error=error, attempts=images.c.attempts + 1, tried_ms=now_ms)
    )


def mirrored_paths(conn: Connection, urls: Iterable[str]) -> dict[str, str]:
    """For each mirrored URL among `urls`, its archive-relative asset path (see asset_path).

    Callers turn the paths into hrefs relative to the page they render and pass
    the result to clean.display_html as `assets`.
    """
    keyed = {url_key(u): u for u in urls}
    result: dict[str, str] = {}
    keys = list(keyed)
    for start in range(0, len(keys), 400):  # stay under SQLite's variable limit
        rows = conn.execute(
            select(images.c.url_sha, images.c.sha256, images.c.ext).where(
                images.c.url_sha.in_(keys[start : start + 400]), images.c.status == DONE
            )
        )
        for key, sha, ext in rows:
            result[keyed[key]] = asset_path(sha, ext)
    return result


def mirror_again(conn: Connection, sha256s: Collection[str]) -> None:
    """Queue again the mirrored images with these hashes, whose every copy is lost.

    Pending, attempts from zero: the next mirror downloads them as new, and
    the image mark it moves makes the pages that show them render again.
    """
    keys = list(sha256s)
    for start in range(0, len(keys), 400):  # stay under SQLite's variable limit
        conn.execute(
            update(images)
            .where(images.c.sha256.in_(keys[start : start + 400]), images.c.status == DONE)
            .values(status=PENDING, attempts=0)
        )
