"""Article pages: bodies of the articles whose feed gives none (or too little), once per article.

A page that fails is recorded on its article and tried again next run, up to
PAGE_ATTEMPTS times. `poll` fetches an outlet's pending pages after its feed;
workers run `fetch_pages` as a job of its own.
"""

from __future__ import annotations

from sqlalchemy import Engine

from newsvault.base.clock import now_ms
from newsvault.base.failpoints import failpoint
from newsvault.base.problems import Kind, Problem
from newsvault.base.text import quoted
from newsvault.config import Config, Source
from newsvault.extract import ExtractError, text_length
from newsvault.fetch import Fetcher, FetchError, Request
from newsvault.store import articles as store_articles
from newsvault.store import captures, versions

from .budget import BudgetError, within_budget
from .fallback import active_feed
from .reading import page_html
from .results import PagesResult, unexpected

PAGE_ATTEMPTS = 10  # a page that failed this often is left alone (and stays reported)


def reads_pages(outlet: Source) -> bool:
    """Does one of the outlet's feeds take bodies from article pages? Only then can it have pending pages."""
    return any(s.body in ("page", "auto") for s in outlet.feeds())


def _page_rule(outlet: Source, active: Source) -> Source:
    """The rule for pending pages: the active feed's, else the first of the outlet's feeds that reads pages."""
    return next(s for s in [active, *outlet.feeds()] if s.body in ("page", "auto"))


async def _fetch_pages(engine: Engine, source: Source, fetcher: Fetcher, config: Config, result: PagesResult) -> None:
    """Bodies from article pages, once per article; a failed page is retried next run.

    With body = "auto" the feed's body stays when the page yields no more text than it.
    A body that changed moves `updated_ms`, so the search index and the image
    mirror, which may have seen the feed's teaser already, look at it again.
    """
    with engine.connect() as conn:
        pending = store_articles.pending_pages(conn, source.abbr, config.fetch.pages_per_run, PAGE_ATTEMPTS)
    for row in pending:
        try:
            response = await fetcher.fetch(
                Request(
                    row["link"],
                    deadline=config.fetch.timeout,
                    max_bytes=config.fetch.max_bytes,
                    retries=config.fetch.retries,
                    trusted=False,
                )
            )
            body = await within_budget(
                "extracting the page",
                config.fetch.parse_budget,
                page_html,
                source,
                response.body,
                dict(response.headers),
                response.url,
            )
            failpoint("page.extracted")
        except Exception as exc:  # a bug one page shows fails that page, not its source's others
            if isinstance(exc, (FetchError, ExtractError, BudgetError)):
                problem = Problem(Kind.PAGE, exc.reason if isinstance(exc, FetchError) else str(exc))
            else:
                problem = unexpected(exc)
            result.problems.append(problem.concerning(f"page {quoted(row['link'])}"))
            with engine.begin() as conn:
                store_articles.set_fields(
                    conn, row["id"], page_state="failed", page_attempts=row["page_attempts"] + 1, page_error=str(exc)
                )
            continue
        if source.body == "auto" and text_length(body) <= text_length(row["body"]):
            body = row["body"]
        now = now_ms()
        changed = {"updated_ms": now} if body != row["body"] else {}
        with engine.begin() as conn:
            capture_id = captures.store(
                conn, response.url, response.status, response.headers, response.body, now, response.request_headers
            )
            store_articles.set_fields(
                conn,
                row["id"],
                body=body,
                page_state="done",
                page_error=None,
                page_attempts=row["page_attempts"] + 1,
                rendered_sha=None,
                **changed,
            )
            versions.first_full_text(conn, row["id"], now, row["title"], row["date_ms"], body, capture_id)
        failpoint("page.stored")
        result.stored += 1


async def fetch_pages(
    engine: Engine, outlet: Source, fetcher: Fetcher, config: Config, result: PagesResult | None = None
) -> PagesResult:
    """The outlet's pending article pages, read with its active feed's rule.

    A page that fails is a problem in the result (and retried next time);
    anything else (a bug, the store gone) raises. `result` fills as pages are
    done, so what a raise interrupted is still in it.
    """
    result = result if result is not None else PagesResult()
    if reads_pages(outlet):
        _, active = active_feed(engine, outlet)
        await _fetch_pages(engine, _page_rule(outlet, active), fetcher, config, result)
    return result
