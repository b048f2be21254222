"""Polling one outlet: its active feed fetched, parsed, identified and stored, then its pages.

Each outlet is polled in its own error boundary: whatever goes wrong with one
feed is recorded against that source and never touches the others or what is
already archived.
"""

from __future__ import annotations

from sqlalchemy import Engine

from newsvault.base.clock import now_ms
from newsvault.base.failpoints import failpoint
from newsvault.base.problems import Kind, Problem
from newsvault.config import Config, Source
from newsvault.extract import text_length
from newsvault.fetch import Fetcher, FetchError, Request
from newsvault.identify import Item
from newsvault.parse import FeedError
from newsvault.store import articles as store_articles
from newsvault.store import captures, fetchlog
from newsvault.store import sources as store_sources

from .budget import BudgetError, within_budget
from .fallback import active_feed, switch_if_dead
from .ingest import store_items
from .pages import fetch_pages
from .reading import read_feed
from .results import PagesResult, SourceResult, unexpected


def _keep_page_bodies(engine: Engine, source: Source, items: list[Item]) -> list[Item]:
    """For body = "auto": leave bodies taken from pages alone; returns the items the store does not hold yet.

    The feed's teaser of an article whose body came from its page must not
    count as an edit (it differs every run) nor replace the page's text, so it
    is dropped before matching: an empty body never replaces a stored one.
    """
    with engine.connect() as conn:
        rows = store_articles.match(conn, source.abbr, [(i.guid, i.link) for i in items])
    fresh: list[Item] = []
    for item, row in zip(items, rows, strict=True):
        if row is None:
            fresh.append(item)
        elif row["page_state"] is not None:
            item.body = None
    return fresh


def _want_pages(engine: Engine, source: Source, fresh: list[Item], now: int) -> None:
    """Mark the articles just stored whose feed body is shorter than `min_length` as waiting for their page."""
    short = [i for i in fresh if text_length(i.body) < source.min_length]
    if not short:
        return
    with engine.begin() as conn:
        for row in store_articles.match(conn, source.abbr, [(i.guid, i.link) for i in short]):
            if row is not None and row["first_seen_ms"] == now and row["page_state"] is None:
                store_articles.set_fields(conn, row["id"], page_state="pending")


async def _read(engine: Engine, source: Source, fetcher: Fetcher, config: Config, result: SourceResult) -> int | None:
    """Fetch, parse and store the feed; its HTTP status. Raises what the poll's boundary reports."""
    with engine.begin() as conn:
        state = store_sources.ensure(conn, source.abbr, source.name, source.feed)
    response = await fetcher.fetch(
        Request(
            source.feed,
            etag=state["etag"],
            last_modified=state["last_modified"],
            deadline=config.fetch.timeout,
            max_bytes=config.fetch.max_bytes,
            retries=config.fetch.retries,
        )
    )
    etag, last_modified = response.etag, response.last_modified
    if response.not_modified:
        result.not_modified = True
    else:
        now = now_ms()
        read = await within_budget(
            "parsing the feed", config.fetch.parse_budget, read_feed, response.body, dict(response.headers), source, now
        )
        if read.problem:
            result.error = Problem(
                Kind.MALFORMED_FEED, f"malformed feed, {read.entries} items recovered: {read.problem}"
            )
        for problem in read.problems:  # an item archived with a gap is a note; one refused is a failure
            (result.problems if problem.failure else result.notes).append(problem)
        fresh = _keep_page_bodies(engine, source, read.items) if source.body == "auto" else []
        with engine.begin() as conn:
            capture_id = captures.store(
                conn, response.url, response.status, response.headers, response.body, now, response.request_headers
            )
            counts = store_items(
                conn,
                source,
                read.items,
                now,
                capture_id,
                shard_by_month=config.tree.shard_by_month,
                limit=config.fetch.items_per_run,
            )
            captures.drop_unused(conn, capture_id, now)
        failpoint("poll.stored")
        result.new, result.updated, result.unchanged = counts.new, counts.updated, counts.unchanged
        if counts.deferred:
            etag = last_modified = None  # what was left must come in a full response next run, not a 304
            result.notes.append(
                Problem(
                    Kind.DEFERRED,
                    f"{counts.new + counts.deferred} new items, more than [fetch] items_per_run = "
                    f"{config.fetch.items_per_run}: the oldest {counts.new} stored, "
                    f"{counts.deferred} left for the next runs",
                )
            )
        _want_pages(engine, source, fresh, now)
    with engine.begin() as conn:
        store_sources.record_success(conn, source.abbr, now_ms(), etag, last_modified)
    return response.status


def _log(engine: Engine, source: Source, started: int, http_status: int | None, result: SourceResult) -> None:
    """The source's failure and the fetch log: where `status` reads what each poll found."""
    with engine.begin() as conn:
        if result.error:
            store_sources.record_failure(conn, source.abbr, now_ms(), str(result.error))
        fetchlog.record(
            conn,
            source=source.abbr,
            started_ms=started,
            finished_ms=now_ms(),
            url=source.feed,
            http_status=http_status,
            new=result.new,
            updated=result.updated,
            unchanged=result.unchanged,
            error=None if result.error is None else str(result.error),
            problems=[str(p) for p in result.problems],
            notes=[str(p) for p in result.notes],
        )


async def poll(engine: Engine, outlet: Source, fetcher: Fetcher, config: Config, *, pages: bool = True) -> SourceResult:
    """Poll the outlet's active feed (its own or a fallback), fetch pending pages, switch feeds if it died.

    pages=False leaves the pending pages to the caller (`fetch_pages`): workers
    queue them as their own job. Their problems are then not in this poll's
    fetch log, only in each article's page_state and page_error.
    """
    result = SourceResult(outlet.abbr, outlet.name)
    started = now_ms()
    http_status: int | None = None
    position, source = active_feed(engine, outlet)
    try:
        http_status = await _read(engine, source, fetcher, config, result)
    except FetchError as exc:
        result.error = Problem(Kind.FETCH, exc.reason)
    except FeedError as exc:
        result.error = Problem(Kind.MALFORMED_FEED, str(exc))
    except BudgetError as exc:
        result.error = Problem(Kind.TOO_COSTLY, str(exc))
    except Exception as exc:  # a bug must not take the other sources down; it is reported
        result.error = unexpected(exc)
    if pages:
        try:  # page problems are this poll's: same list, in its report and fetch log
            await fetch_pages(engine, outlet, fetcher, config, PagesResult(problems=result.problems))
        except Exception as exc:
            result.problems.append(unexpected(exc).concerning("pages"))
    try:
        _log(engine, source, started, http_status, result)
    except Exception as exc:  # what was stored above stands; the summary still says what happened
        if result.error != unexpected(exc):  # a full store said once per source is enough
            result.problems.append(unexpected(exc).concerning("fetch log"))
    try:
        switch_if_dead(engine, outlet, position, result)
    except Exception as exc:
        result.problems.append(unexpected(exc).concerning("fallback"))
    return result
