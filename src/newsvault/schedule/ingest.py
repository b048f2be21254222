"""Putting one feed's items into the store: match, decide, number, record.

Runs inside one transaction per feed, so a crash leaves either all of a feed's
items stored or none, and the next run simply does it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from newsvault.archive import cdt_id, next_ids, shard_of
from newsvault.config import Source
from newsvault.identify import Decision, Item, classify
from newsvault.store import articles as store_articles
from newsvault.store import statuses, versions
from newsvault.store.articles import CDT_FALLBACK_BASE


@dataclass
class Counts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deferred: int = 0  # new items over the limit, left for the next runs


def _new_ids(conn: Connection, source: Source, items: list[Item]) -> list[int]:
    if source.categories == "emoji":  # CDT: ids come from the WordPress post id
        ids: list[int] = []
        fallback = max(store_articles.largest_id(conn, source.abbr) or 0, CDT_FALLBACK_BASE - 1)
        for item in items:
            wanted = cdt_id(item.guid or "") or cdt_id(item.link)
            if wanted is None or wanted in ids or store_articles.id_taken(conn, source.abbr, wanted):
                fallback += 1
                wanted = fallback
            ids.append(wanted)
        return ids
    return next_ids(store_articles.smallest_id(conn, source.abbr), len(items))


def store_items(
    conn: Connection,
    source: Source,
    items: Sequence[Item],
    now_ms: int,
    capture_id: int | None = None,
    *,
    shard_by_month: bool = False,
    limit: int | None = None,
) -> Counts:
    """Store a feed's items; with `shard_by_month` new articles are filed under their month (China time).

    At most `limit` new articles are stored, the oldest: the others are still
    new to the next run that reads the feed, and numbering oldest first across
    runs keeps the newest article's id the smallest, as if stored in one run.
    """
    counts = Counts()
    fresh: list[tuple[int, Item]] = []
    seen: set[str] = set()
    touched: list[int] = []
    rows = store_articles.match(conn, source.abbr, [(i.guid, i.link) for i in items])
    for position, (item, row) in enumerate(zip(items, rows, strict=True)):
        keys = {f"l:{item.link}"} | ({f"g:{item.guid}"} if item.guid else set())
        if keys & seen:
            continue  # the same article twice in one feed
        seen |= keys
        decision = classify(item, row)
        if decision is Decision.NEW:
            fresh.append((position, item))
        elif decision is Decision.UPDATED:
            assert row is not None
            values = {"title": item.title, "date_missing": item.date_missing and row["date_missing"]}
            if not item.date_missing:
                values["date_ms"] = item.date_ms
            if item.body:
                values["body"] = item.body
            if item.guid and not row["guid"]:
                values["guid"] = item.guid
            if store_articles.update_content(conn, row, now_ms, capture_id, **values):
                statuses.record(conn, row["id"], "changed", now_ms, "new content in the feed")
            counts.updated += 1
        else:
            assert row is not None
            touched.append(row["id"])
            counts.unchanged += 1
    store_articles.touch(conn, touched, now_ms)

    # Oldest first, so that the newest article gets the smallest id; feeds list
    # newest first, so among equal dates the later position is the older item.
    fresh.sort(key=lambda pair: (pair[1].date_ms, -pair[0]))
    ordered = [item for _, item in fresh[:limit]]
    counts.deferred = len(fresh) - len(ordered)
    ids = store_articles.insert_many(
        conn,
        [
            dict(
                source=source.abbr,
                archive_id=archive_id,
                guid=item.guid,
                link=item.link,
                title=item.title,
                date_ms=item.date_ms,
                date_missing=item.date_missing,
                body=item.body,
                first_seen_ms=now_ms,
                last_seen_ms=now_ms,
                page_state="pending" if item.body is None else None,
                shard=shard_of(item.date_ms, now_ms) if shard_by_month else None,
            )
            for archive_id, item in zip(_new_ids(conn, source, ordered), ordered, strict=False)
        ],
    )
    # A page-bodied article gets its first version when its page arrives.
    versions.add_first(
        conn,
        [
            dict(
                article_id=article_id,
                seen_ms=now_ms,
                title=item.title,
                date_ms=item.date_ms,
                body=item.body,
                capture_id=capture_id,
            )
            for article_id, item in zip(ids, ordered, strict=False)
            if item.body is not None
        ],
    )
    statuses.schedule_new(conn, ids, now_ms)
    counts.new = len(ordered)
    return counts
