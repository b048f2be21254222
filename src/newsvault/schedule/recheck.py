"""Re-checking recent articles at their source: edits, deletions and censorship noticed.

Outlets edit and delete; platforms replace articles with notices. Each due
article's page is fetched again (on the ladder in store.statuses) and the
result recorded as one of: live (unchanged), changed (a new version), gone
(404/410), censored (a deletion notice, or a redirect to the home page), or
unreachable (network errors and 5xx, which are never taken for deletions).
Nothing is stored when nothing changed, so re-checks do not grow the store.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import Engine, RowMapping

from newsvault.base.problems import Kind, Problem
from newsvault.base.text import quoted
from newsvault.config import Config, Source
from newsvault.extract import ExtractError, select_body
from newsvault.fetch import Fetcher, FetchError, Request, Response
from newsvault.parse.encoding import decode
from newsvault.store import articles as store_articles
from newsvault.store import captures, statuses

from .budget import BudgetError, within_budget

# Notices that replace deleted or censored articles on Chinese platforms and outlets.
CENSORED_PATTERNS: tuple[str, ...] = (
    "内容已被删除",
    "此内容因违规无法查看",
    "该内容已被发布者删除",
    "此文章已被删除",
    "该文章已被删除",
    "文章已删除",
    "内容不存在",
    "页面不存在",
    "此帖子已被删除",
    "該內容已被刪除",
    "此內容因違規無法查看",
    "頁面不存在",
)
SOFT_404_TITLES: tuple[str, ...] = ("404", "not found", "页面不存在", "頁面不存在", "page not found")


@dataclass
class RecheckResult:
    checked: int = 0
    changed: int = 0
    gone: int = 0
    censored: int = 0
    unreachable: int = 0
    notes: list[Problem] = field(default_factory=list)


def _redirected_home(asked: str, final: str) -> bool:
    before, after = urlsplit(asked), urlsplit(final)
    return after.path in ("", "/") and before.path not in ("", "/") and after.query == ""


def _title(text: str) -> str:
    start = text.lower().find("<title")
    if start < 0:
        return ""
    start = text.find(">", start) + 1
    end = text.lower().find("</title>", start)
    return text[start : end if end > 0 else start + 200].strip().lower()


def classify_page(asked: str, response: Response, patterns: tuple[str, ...] = CENSORED_PATTERNS) -> str | None:
    """ "censored: <why>" for a deletion notice, a redirect home or a soft 404; None for a live page."""
    if _redirected_home(asked, response.url):
        return f"redirected to the home page {quoted(response.url)}"
    text = decode(response.body, response.headers)[0]
    for pattern in patterns:
        if pattern in text:
            return f"the page says “{pattern}”"
    title = _title(text)
    if any(marker in title for marker in SOFT_404_TITLES):
        return f"the page's title is “{title[:60]}” (a soft 404)"
    return None


async def _recheck_one(
    engine: Engine,
    source: Source,
    fetcher: Fetcher,
    config: Config,
    row: RowMapping,
    now_ms: int,
    result: RecheckResult,
) -> None:
    status, detail, response = "live", None, None
    try:
        response = await fetcher.fetch(
            Request(
                row["link"], deadline=config.fetch.timeout, max_bytes=config.fetch.max_bytes, retries=0, trusted=False
            )
        )
    except FetchError as exc:
        status = "gone" if exc.status in (404, 410) else "unreachable"
        detail = exc.reason
    else:
        why = classify_page(row["link"], response, CENSORED_PATTERNS + source.deleted_patterns)
        if why:
            status, detail = "censored", why
    body = row["body"]
    if status == "live" and response is not None and source.body == "page" and row["body"] is not None:
        try:
            body = await within_budget(
                "extracting the page",
                config.fetch.parse_budget,
                select_body,
                response.body,
                source.selector or "body",
                dict(response.headers),
            )
        except (ExtractError, BudgetError) as exc:
            result.notes.append(Problem(Kind.RECHECK, str(exc), f"re-check {quoted(row['link'])}"))
    with engine.begin() as conn:
        if response is not None and body != row["body"]:
            capture_id = captures.store(
                conn, response.url, response.status, response.headers, response.body, now_ms, response.request_headers
            )
            store_articles.update_content(conn, row, now_ms, capture_id, body=body)
            status, detail = "changed", "the page's body changed"
        served = None
        if status in ("gone", "censored") and response is not None:
            # The notice itself is the evidence; identical notices are stored once, so the status
            # says which capture this article's URL served, and as what (a WARC revisit record).
            notice = captures.store(
                conn, response.url, response.status, response.headers, response.body, now_ms, response.request_headers
            )
            served = (notice, response.url, response.status, response.headers, response.request_headers)
        if statuses.record(conn, row["id"], status, now_ms, detail, served=served) and status != "live":
            result.notes.append(Problem(Kind.STATUS, status + (f" ({detail})" if detail else ""), quoted(row["link"])))
        # An unreachable source says nothing about the article: its last known status stands.
        kept = row["check_status"] if status == "unreachable" else ("live" if status == "changed" else status)
        statuses.checked(conn, row["id"], row["first_seen_ms"], now_ms, kept)
    result.checked += 1
    if status != "live":
        setattr(result, status, getattr(result, status) + 1)


async def recheck_source(
    engine: Engine, source: Source, fetcher: Fetcher, config: Config, now_ms: int, limit: int
) -> RecheckResult:
    """Re-check the source's due articles, at most `limit`, concurrently within the fetcher's per-host limit."""
    result = RecheckResult()
    if not source.recheck:
        return result
    with engine.connect() as conn:
        due = statuses.due(conn, source.abbr, now_ms, limit)
    await asyncio.gather(*(_recheck_one(engine, source, fetcher, config, row, now_ms, result) for row in due))
    return result
