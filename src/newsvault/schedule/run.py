"""One pass over the sources: fetch, parse, identify, store, then render.

Sources are polled concurrently and each in its own error boundary: whatever
goes wrong with one feed is recorded against that source and never touches the
others or what is already archived.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine

from newsvault.config import Config, Source
from newsvault.extract import ExtractError, keep_by_categories, select_body
from newsvault.fetch import Fetcher, FetchError, Request
from newsvault.identify import Item, ItemError, item_from_entry
from newsvault.parse import FeedError, parse
from newsvault.render.from_store import RenderStats, render_tree
from newsvault.store import articles as store_articles
from newsvault.store import captures, fetchlog, versions
from newsvault.store import sources as store_sources

from .ingest import store_items
from .recheck import RecheckResult, recheck_source

PAGE_ATTEMPTS = 10  # a page that failed this often is left alone (and stays reported)


@dataclass
class SourceResult:
    abbr: str
    name: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    not_modified: bool = False
    error: str | None = None  # the source failed: nothing (or not all) could be read
    problems: list[str] = field(default_factory=list)  # items or pages that failed
    rechecks: RecheckResult | None = None  # what re-checking recent articles found

    @property
    def failed(self) -> bool:
        return self.error is not None or bool(self.problems)


@dataclass
class RunReport:
    sources: list[SourceResult]
    render: RenderStats | None = None

    @property
    def failed(self) -> bool:
        return any(r.failed for r in self.sources)


Progress = Callable[[SourceResult], None]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _items(feed_entries, source: Source, now: int, result: SourceResult) -> list[Item]:  # type: ignore[no-untyped-def]
    items: list[Item] = []
    for number, entry in enumerate(feed_entries, 1):
        if not keep_by_categories(source.categories, entry.categories):
            continue
        try:
            item = item_from_entry(entry, source, now)
        except ItemError as exc:
            result.problems.append(f"item {number}: skipped: {exc}")
            continue
        result.problems.extend(f"item {number} ({item.label()}): {p}" for p in item.problems)
        items.append(item)
    return items


async def _fetch_pages(engine: Engine, source: Source, fetcher: Fetcher, config: Config,
                       result: SourceResult) -> None:
    """Bodies from article pages, once per article; a failed page is retried next run."""
    with engine.connect() as conn:
        pending = store_articles.pending_pages(conn, source.abbr, config.fetch.pages_per_run, PAGE_ATTEMPTS)
    for row in pending:
        try:
            response = await fetcher.fetch(Request(
                row["link"], deadline=config.fetch.timeout, max_bytes=config.fetch.max_bytes,
                retries=config.fetch.retries, trusted=False))
            body = select_body(response.body, source.selector or "body", response.headers)
        except (FetchError, ExtractError) as exc:
            result.problems.append(f"page {row['link']}: {exc}")
            with engine.begin() as conn:
                store_articles.set_fields(conn, row["id"], page_state="failed",
                                          page_attempts=row["page_attempts"] + 1, page_error=str(exc))
            continue
        now = now_ms()
        with engine.begin() as conn:
            capture_id = captures.store(conn, response.url, response.status, response.headers, response.body, now)
            store_articles.set_fields(conn, row["id"], body=body, page_state="done", page_error=None,
                                      page_attempts=row["page_attempts"] + 1, rendered_sha=None)
            versions.add(conn, row["id"], now, row["title"], row["date_ms"], body, capture_id)


async def poll(engine: Engine, source: Source, fetcher: Fetcher, config: Config) -> SourceResult:
    result = SourceResult(source.abbr, source.name)
    started = now_ms()
    http_status: int | None = None
    with engine.begin() as conn:
        state = store_sources.ensure(conn, source.abbr, source.name, source.feed)
    try:
        response = await fetcher.fetch(Request(
            source.feed, etag=state["etag"], last_modified=state["last_modified"],
            deadline=config.fetch.timeout, max_bytes=config.fetch.max_bytes, retries=config.fetch.retries))
        http_status = response.status
        if response.not_modified:
            result.not_modified = True
        else:
            feed = parse(response.body, response.headers)
            if feed.problem:
                result.error = f"malformed feed, {len(feed.entries)} items recovered: {feed.problem}"
            now = now_ms()
            items = _items(feed.entries, source, now, result)
            with engine.begin() as conn:
                capture_id = captures.store(conn, response.url, response.status, response.headers, response.body, now)
                counts = store_items(conn, source, items, now, capture_id)
            result.new, result.updated, result.unchanged = counts.new, counts.updated, counts.unchanged
        with engine.begin() as conn:
            store_sources.record_success(conn, source.abbr, now_ms(), response.etag, response.last_modified)
    except FetchError as exc:
        result.error = exc.reason if hasattr(exc, "reason") else str(exc)
    except FeedError as exc:
        result.error = str(exc)
    except Exception as exc:  # a bug must not take the other sources down; it is reported
        result.error = f"internal error: {type(exc).__name__}: {exc}"
    if source.body == "page":
        try:
            await _fetch_pages(engine, source, fetcher, config, result)
        except Exception as exc:
            result.problems.append(f"pages: internal error: {type(exc).__name__}: {exc}")
    with engine.begin() as conn:
        if result.error:
            store_sources.record_failure(conn, source.abbr, now_ms(), result.error)
        fetchlog.record(conn, source=source.abbr, started_ms=started, finished_ms=now_ms(), url=source.feed,
                        http_status=http_status, new=result.new, updated=result.updated,
                        unchanged=result.unchanged, error=result.error, problems=result.problems)
    return result


async def _run(config: Config, engine: Engine, sources: list[Source], progress: Progress | None) -> list[SourceResult]:
    async with Fetcher(per_host=config.fetch.per_host, allow_private=config.fetch.allow_private,
                       proxy=config.fetch.proxy) as fetcher:
        async def one(source: Source) -> SourceResult:
            result = await poll(engine, source, fetcher, config)
            if progress:
                progress(result)
            return result
        results = list(await asyncio.gather(*(one(s) for s in sources)))

        async def recheck(source: Source, result: SourceResult) -> None:
            try:
                result.rechecks = await recheck_source(engine, source, fetcher, config, now_ms(),
                                                       config.fetch.pages_per_run)
            except Exception as exc:  # re-checks must never cost the run its archived articles
                result.problems.append(f"re-check: internal error: {type(exc).__name__}: {exc}")

        await asyncio.gather(*(recheck(s, r) for s, r in zip(sources, results)))
        return results


def run_once(config: Config, engine: Engine, only: tuple[str, ...] = (), progress: Progress | None = None,
             render: bool = True) -> RunReport:
    """Poll every enabled source once (or those named in `only`), then render what changed."""
    sources = config.enabled(only)
    report = RunReport(asyncio.run(_run(config, engine, sources, progress)))
    if render:
        report.render = render_tree(engine, config)
    return report

