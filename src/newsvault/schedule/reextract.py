"""Re-running extraction over stored page captures after a rule changed.

The captures hold the pages exactly as fetched, so a better selector or a
better extractor can be applied to every article without fetching anything.
Re-extracting the same bytes is not an edit at the source: when the current
version was read from the same capture it is corrected in place; otherwise the
new text becomes a new version.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from newsvault.base.problems import Kind, Problem
from newsvault.base.text import quoted
from newsvault.config import Source
from newsvault.extract import ExtractError, extract_for, text_length
from newsvault.store import articles as store_articles
from newsvault.store import captures, versions


@dataclass
class ReextractReport:
    checked: int = 0
    changed: int = 0
    problems: list[Problem] = field(default_factory=list)


def reextract(engine: Engine, source: Source, now_ms: int) -> ReextractReport:
    if not any(s.body in ("page", "auto") for s in source.feeds()):
        raise ValueError(f"source {source.abbr!r} takes its bodies from the feed, not from pages")
    rule = next(s for s in source.feeds() if s.body in ("page", "auto"))
    report = ReextractReport()
    with engine.connect() as conn:
        pages = captures.page_captures(conn, source.abbr, [s.feed for s in source.feeds()])
    for article_id, capture_id in pages:
        report.checked += 1
        with engine.begin() as conn:
            row = store_articles.get(conn, article_id)
            url, headers = captures.origin(conn, capture_id)
            try:
                body = extract_for(rule, captures.read(conn, capture_id), headers, url).html
            except ExtractError as exc:
                report.problems.append(Problem(Kind.PAGE, str(exc), quoted(row["link"])))
                continue
            if body == row["body"] or (rule.body == "auto" and text_length(body) < text_length(row["body"]) // 2):
                continue  # same text, or the new rule finds much less: keep what we have
            current = versions.latest(conn, article_id)
            if current is not None and current["capture_id"] == capture_id:
                versions.correct(conn, current["id"], current["title"], body)
                # A new body moves `updated_ms`, as a page's does: the site, the search index and the
                # image mirror look at the article again (before, they kept the old text).
                store_articles.set_fields(conn, article_id, body=body, rendered_sha=None, updated_ms=now_ms)
            else:
                store_articles.update_content(conn, row, now_ms, capture_id, body=body)
            report.changed += 1
    return report
