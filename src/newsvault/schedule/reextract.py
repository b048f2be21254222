"""Re-running extraction over stored page captures after a rule changed.

The captures hold the pages exactly as fetched, so a better selector or a
better extractor can be applied to every article without fetching anything.
Re-extracting the same bytes is not an edit at the source: when the current
version was read from the same capture it is corrected in place; otherwise the
new text becomes a new version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import Engine, and_, select, update

from newsvault.config import Source
from newsvault.extract import ExtractError, extract_for, text_length
from newsvault.fetch import quoted
from newsvault.store import articles as store_articles
from newsvault.store import captures as store_captures
from newsvault.store import versions
from newsvault.store.schema import articles, captures
from newsvault.store.schema import versions as versions_table


@dataclass
class ReextractReport:
    checked: int = 0
    changed: int = 0
    problems: list[str] = field(default_factory=list)


def _page_captures(engine: Engine, source: Source) -> list[tuple[int, int]]:
    """(article id, id of its latest page capture) for the source's articles."""
    feed_urls = [s.feed for s in source.feeds()]
    with engine.connect() as conn:
        rows = conn.execute(
            select(versions_table.c.article_id, versions_table.c.capture_id)
            .join(articles, articles.c.id == versions_table.c.article_id)
            .join(captures, captures.c.id == versions_table.c.capture_id)
            .where(and_(articles.c.source == source.abbr, captures.c.url.not_in(feed_urls)))
            .order_by(versions_table.c.article_id, versions_table.c.n)
        ).all()
    latest: dict[int, int] = {}
    for article_id, capture_id in rows:
        latest[article_id] = capture_id
    return sorted(latest.items())


def reextract(engine: Engine, source: Source, now_ms: int) -> ReextractReport:
    if not any(s.body in ("page", "auto") for s in source.feeds()):
        raise ValueError(f"source {source.abbr!r} takes its bodies from the feed, not from pages")
    rule = next(s for s in source.feeds() if s.body in ("page", "auto"))
    report = ReextractReport()
    for article_id, capture_id in _page_captures(engine, source):
        report.checked += 1
        with engine.begin() as conn:
            row = conn.execute(select(articles).where(articles.c.id == article_id)).mappings().one()
            meta = conn.execute(select(captures.c.url, captures.c.headers).where(captures.c.id == capture_id)).one()
            page = store_captures.read(conn, capture_id)
            try:
                body = extract_for(rule, page, json.loads(meta.headers or "{}"), meta.url).html
            except ExtractError as exc:
                report.problems.append(f"{quoted(row['link'])}: {exc}")
                continue
            if body == row["body"] or (rule.body == "auto" and text_length(body) < text_length(row["body"]) // 2):
                continue  # same text, or the new rule finds much less: keep what we have
            current = versions.latest(conn, article_id)
            if current is not None and current["capture_id"] == capture_id:
                conn.execute(
                    update(versions_table)
                    .where(versions_table.c.id == current["id"])
                    .values(body=body, sha256=versions.content_sha(current["title"], body))
                )
                store_articles.set_fields(conn, article_id, body=body, rendered_sha=None)
            else:
                store_articles.update_content(conn, row, now_ms, capture_id, body=body)
            report.changed += 1
    return report
