"""One pass over the sources: fetch, parse, identify, store, then render.

Sources are polled concurrently and each in its own error boundary: whatever
goes wrong with one feed is recorded against that source and never touches the
others or what is already archived. `poll` also fetches the source's pending
article pages; workers turn that off and run `fetch_pages` as a job of its own.
"""

from __future__ import annotations

import asyncio
import errno
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import SQLAlchemyError

from newsvault.base.clock import now_ms
from newsvault.base.failpoints import failpoint
from newsvault.clean import MirrorReport, mirror_images, mirror_sources
from newsvault.config import Config, Source
from newsvault.extract import ExtractError, extract_for, keep_by_categories, text_length
from newsvault.fetch import Fetcher, FetchError, Request, quoted
from newsvault.identify import Item, ItemError, item_from_entry
from newsvault.parse import Entry, FeedError, parse
from newsvault.render.tree import RenderStats, render_tree
from newsvault.search import update_index
from newsvault.store import articles as store_articles
from newsvault.store import captures, fetchlog, versions
from newsvault.store import sources as store_sources
from newsvault.store.schema import sources as sources_table

from .budget import BudgetError, within_budget
from .ingest import store_items
from .recheck import RecheckResult, recheck_source

PAGE_ATTEMPTS = 10  # a page that failed this often is left alone (and stays reported)
_PG_DISK_FULL = "53100"  # SQLSTATE disk_full


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
    notes: list[str] = field(default_factory=list)  # worth knowing, not failures: feed switches, silent feeds
    rechecks: RecheckResult | None = None  # what re-checking recent articles found

    @property
    def failed(self) -> bool:
        return self.error is not None or bool(self.problems)


@dataclass
class PagesResult:
    """One batch of pending pages: workers queue the index and mirror jobs only when a page was stored."""

    stored: int = 0  # pages read and stored: the search index and the image mirror may have work
    problems: list[str] = field(default_factory=list)  # pages that failed, tried again next time


@dataclass(frozen=True)
class StepError:
    """A run-level step after the sources (render, image mirroring, search index) that failed.

    The exception is kept, not its text, so the command can tell a full disk,
    which the user must act on, from a bug, and say which it is in one line.
    Nothing stored is lost either way: the next run or `newsvault render`
    writes what this one could not.
    """

    step: str  # "render", "image mirroring", "search index"
    error: Exception
    place: Path | None = None  # the folder the step writes into, when it writes files

    @property
    def disk_full(self) -> bool:
        return disk_full(self.error)


def disk_full(exc: BaseException) -> bool:
    """ENOSPC or a quota from the file system, or the database saying its disk is full."""
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    cause = getattr(exc, "orig", None)  # the DB-API error under SQLAlchemy's
    code = getattr(cause, "sqlite_errorcode", None), getattr(cause, "sqlstate", None)
    return code[0] == sqlite3.SQLITE_FULL or code[1] == _PG_DISK_FULL


def _unexpected(exc: Exception) -> str:
    """An exception no stage turned into a reason: a full disk under the store said plainly, anything else a bug."""
    if disk_full(exc):
        return "the store's disk is full: free some space (nothing stored is lost)"
    return f"internal error: {type(exc).__name__}: {exc}"


@dataclass
class RunReport:
    sources: list[SourceResult]
    render: RenderStats | None = None
    images: MirrorReport | None = None  # image mirroring after render; failures are retried, never fatal
    errors: list[StepError] = field(default_factory=list)  # run-level steps after the sources

    @property
    def failed(self) -> bool:
        return bool(self.errors) or any(r.failed for r in self.sources)


Progress = Callable[[SourceResult], None]


def _items(feed_entries: list[Entry], source: Source, now: int, result: SourceResult) -> list[Item]:
    items: list[Item] = []
    for number, entry in enumerate(feed_entries, 1):
        if not keep_by_categories(source.categories, entry.categories):
            continue
        try:
            item = item_from_entry(entry, _feed_body_rule(source, entry), now)
        except ItemError as exc:
            result.problems.append(f"item {number}: skipped: {exc}")
            continue
        if source.body == "auto":  # a missing feed body is what the page is for
            item.problems = [
                p for p in item.problems if not p.startswith(("no description body", "no content:encoded body"))
            ]
        result.problems.extend(f"item {number} ({quoted(item.label())}): {p}" for p in item.problems)
        items.append(item)
    return items


@dataclass
class FeedRead:
    """A fetched feed as the worker read it: its items, their problems, and the document's own problem."""

    items: list[Item]
    problems: list[str]
    entries: int  # entries in the document, before the category rule and refused items
    problem: str | None


def read_feed(body: bytes, headers: dict[str, str], source: Source, now: int) -> FeedRead:
    """Parse a fetched feed and make its items: all of a poll that reads the feed's bytes, run under the budget."""
    feed = parse(body, headers)
    scratch = SourceResult(source.abbr, source.name)
    items = _items(feed.entries, source, now, scratch)
    return FeedRead(items, scratch.problems, len(feed.entries), feed.problem)


def page_html(source: Source, page: bytes, headers: dict[str, str], url: str) -> str:
    """What `source`'s rule takes from one of its article pages; run under the budget."""
    return extract_for(source, page, headers, url).html


def _feed_body_rule(source: Source, entry: Entry) -> Source:
    """body = "auto" starts from the fuller of the feed's two bodies: content:encoded when there is one."""
    if source.body != "auto":
        return source
    return replace(source, body="content:encoded" if entry.content else "description")


def _keep_page_bodies(engine: Engine, source: Source, items: list[Item]) -> list[Item]:
    """For body = "auto": leave bodies taken from pages alone; returns the items the store does not hold yet.

    The feed's teaser of an article whose body came from its page must not
    count as an edit (it differs every run) nor replace the page's text, so it
    is dropped before matching: an empty body never replaces a stored one.
    """
    with engine.connect() as conn:
        by_guid, by_link = store_articles.find_many(
            conn, source.abbr, [i.guid for i in items if i.guid], [i.link for i in items]
        )
    fresh: list[Item] = []
    for item in items:
        row = (by_guid.get(item.guid) if item.guid else None) or by_link.get(item.link)
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
        by_guid, by_link = store_articles.find_many(
            conn, source.abbr, [i.guid for i in short if i.guid], [i.link for i in short]
        )
        for item in short:
            row = (by_guid.get(item.guid) if item.guid else None) or by_link.get(item.link)
            if row is not None and row["first_seen_ms"] == now and row["page_state"] is None:
                store_articles.set_fields(conn, row["id"], page_state="pending")


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
        except (FetchError, ExtractError, BudgetError) as exc:
            result.problems.append(f"page {quoted(row['link'])}: {exc.reason if isinstance(exc, FetchError) else exc}")
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
            capture_id = captures.store(conn, response.url, response.status, response.headers, response.body, now)
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


def reads_pages(outlet: Source) -> bool:
    """Does one of the outlet's feeds take bodies from article pages? Only then can it have pending pages."""
    return any(s.body in ("page", "auto") for s in outlet.feeds())


async def fetch_pages(
    engine: Engine, outlet: Source, fetcher: Fetcher, config: Config, result: PagesResult | None = None
) -> PagesResult:
    """The outlet's pending article pages, read with its active feed's rule.

    `poll` calls it after the feed; workers run it as a job of its own, so a
    batch of slow pages is leased and retried apart from the feed's poll. A
    page that fails is a problem in the result (and retried next time);
    anything else (a bug, the store gone) raises. `result` fills as pages are
    done, so what a raise interrupted is still in it.
    """
    result = result if result is not None else PagesResult()
    if reads_pages(outlet):
        _, active = _active_feed(engine, outlet)
        await _fetch_pages(engine, _page_rule(outlet, active), fetcher, config, result)
    return result


def _active_feed(engine: Engine, outlet: Source) -> tuple[int, Source]:
    with engine.begin() as conn:
        state = store_sources.ensure(conn, outlet.abbr, outlet.name, None)
    feeds = outlet.feeds()
    position = state["active_feed"] if state["active_feed"] < len(feeds) else 0
    return position, feeds[position]


def _switch_if_dead(engine: Engine, outlet: Source, position: int, result: SourceResult) -> None:
    """Count runs without new items; move to the next feed when this one failed or went quiet too long.

    The switch takes effect on the next run, and the list wraps round to the
    primary, which may have come back. The outlet stays one outlet (same
    folder, same countdown) whichever feed delivered the article.
    """
    with engine.begin() as conn:
        state = conn.execute(select(sources_table).where(sources_table.c.abbr == outlet.abbr)).mappings().one()
        idle = state["idle_runs"] if result.error else (0 if result.new else state["idle_runs"] + 1)
        reason = None
        if result.error and state["failures"] >= outlet.fallback_after:
            reason = f"{state['failures']} failed runs in a row"
        elif idle >= outlet.idle_after:
            reason = f"no new item in {idle} runs"
        feeds = outlet.feeds()
        values: dict[str, int] = {"idle_runs": idle}
        if reason and len(feeds) > 1:
            after = (position + 1) % len(feeds)
            values.update(active_feed=after, idle_runs=0, failures=0)
            result.notes.append(
                f"switched feed after {reason}: {feeds[position].feed} -> {feeds[after].feed} (from the next run)"
            )
        elif reason and not result.error:
            result.notes.append(f"{reason}: the feed may have died (list `fallbacks` for this source)")
        conn.execute(update(sources_table).where(sources_table.c.abbr == outlet.abbr).values(**values))


async def poll(engine: Engine, outlet: Source, fetcher: Fetcher, config: Config, *, pages: bool = True) -> SourceResult:
    """Poll the outlet's active feed (its own or a fallback), fetch pending pages, switch feeds if it died.

    pages=False leaves the pending pages to the caller (`fetch_pages`): workers
    queue them as their own job. Their problems are then not in this poll's
    fetch log, only in each article's page_state and page_error.
    """
    result = SourceResult(outlet.abbr, outlet.name)
    started = now_ms()
    http_status: int | None = None
    position, source = _active_feed(engine, outlet)
    with engine.begin() as conn:
        state = store_sources.ensure(conn, source.abbr, source.name, source.feed)
    try:
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
        http_status = response.status
        etag, last_modified = response.etag, response.last_modified
        if response.not_modified:
            result.not_modified = True
        else:
            now = now_ms()
            read = await within_budget(
                "parsing the feed",
                config.fetch.parse_budget,
                read_feed,
                response.body,
                dict(response.headers),
                source,
                now,
            )
            if read.problem:
                result.error = f"malformed feed, {read.entries} items recovered: {read.problem}"
            result.problems.extend(read.problems)
            items = read.items
            fresh = _keep_page_bodies(engine, source, items) if source.body == "auto" else []
            with engine.begin() as conn:
                capture_id = captures.store(conn, response.url, response.status, response.headers, response.body, now)
                counts = store_items(
                    conn,
                    source,
                    items,
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
                    f"{counts.new + counts.deferred} new items, more than [fetch] items_per_run = "
                    f"{config.fetch.items_per_run}: the oldest {counts.new} stored, "
                    f"{counts.deferred} left for the next runs"
                )
            _want_pages(engine, source, fresh, now)
        with engine.begin() as conn:
            store_sources.record_success(conn, source.abbr, now_ms(), etag, last_modified)
    except FetchError as exc:
        result.error = exc.reason if hasattr(exc, "reason") else str(exc)
    except (FeedError, BudgetError) as exc:
        result.error = str(exc)
    except Exception as exc:  # a bug must not take the other sources down; it is reported
        result.error = _unexpected(exc)
    if pages:
        try:  # page problems are this poll's: same list, in its report and fetch log
            await fetch_pages(engine, outlet, fetcher, config, PagesResult(problems=result.problems))
        except Exception as exc:
            result.problems.append(f"pages: {_unexpected(exc)}")
    try:
        with engine.begin() as conn:
            if result.error:
                store_sources.record_failure(conn, source.abbr, now_ms(), result.error)
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
                error=result.error,
                problems=result.problems,
            )
    except Exception as exc:  # what was stored above stands; the summary still says what happened
        if result.error != _unexpected(exc):  # a full store said once per source is enough
            result.problems.append(f"fetch log: {_unexpected(exc)}")
    try:
        _switch_if_dead(engine, outlet, position, result)
    except Exception as exc:
        result.problems.append(f"fallback: {_unexpected(exc)}")
    return result


async def _run(config: Config, engine: Engine, sources: list[Source], progress: Progress | None) -> list[SourceResult]:
    async with Fetcher(
        per_host=config.fetch.per_host, allow_private=config.fetch.allow_private, proxy=config.fetch.proxy
    ) as fetcher:

        async def one(source: Source) -> SourceResult:
            try:
                result = await poll(engine, source, fetcher, config)
            except Exception as exc:  # before the feed was fetched (the store full or gone): the others go on
                result = SourceResult(source.abbr, source.name, error=_unexpected(exc))
            if progress:
                progress(result)
            return result

        results = list(await asyncio.gather(*(one(s) for s in sources)))

        async def recheck(source: Source, result: SourceResult) -> None:
            try:
                result.rechecks = await recheck_source(
                    engine, source, fetcher, config, now_ms(), config.fetch.pages_per_run
                )
            except Exception as exc:  # re-checks must never cost the run its archived articles
                result.problems.append(f"re-check: {_unexpected(exc)}")

        await asyncio.gather(*(recheck(s, r) for s, r in zip(sources, results, strict=False)))
        return results


def run_once(
    config: Config, engine: Engine, only: tuple[str, ...] = (), progress: Progress | None = None, render: bool = True
) -> RunReport:
    """Poll every enabled source once (or those named in `only`), then render what changed."""
    sources = config.enabled(only)
    report = RunReport(asyncio.run(_run(config, engine, sources, progress)))
    if render:
        try:
            report.render = render_tree(engine, config)
        except (OSError, SQLAlchemyError) as exc:  # a full disk: the articles are stored, the next run writes them
            report.errors.append(StepError("render", exc, config.archive))
        mirrored = [abbr for abbr in mirror_sources(config) if not only or abbr in only]
        # After a failed render the tree's disk is likely full too: a mirror run would
        # spend an attempt of every due image on it, and images run out of attempts.
        if mirrored and report.render is not None:
            try:
                report.images = asyncio.run(_mirror(config, engine, mirrored))
            except Exception as exc:  # the articles are stored and rendered; images come next run
                report.errors.append(StepError("image mirroring", exc, config.archive))
    failpoint("run.before_index")
    try:
        update_index(engine)
    except Exception as exc:  # the index can be rebuilt (`reindex`); the archive is intact
        report.errors.append(StepError("search index", exc))
    return report


async def _mirror(config: Config, engine: Engine, abbrs: list[str]) -> MirrorReport:
    """Images of stored articles into the tree; runs after the articles are safe in the store."""
    async with Fetcher(
        per_host=config.fetch.per_host, allow_private=config.fetch.allow_private, proxy=config.fetch.proxy
    ) as fetcher:
        return await mirror_images(engine, config.archive, fetcher, config.images, sources=abbrs)
