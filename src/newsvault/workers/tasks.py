"""The jobs a worker runs: poll a source, fetch its pages, re-check it, update the search index, mirror images,
post notifications, submit witnesses.

A poll, a page fetch and a re-check of one source hold the lock
`source:<abbr>`, so they never overlap anywhere (they write the same
articles), and run in the order they were queued: the poll queues its pages
before its re-check, as `newsvault run` fetches pages before re-checking.
Each job is safe to run again after a crash: a poll seen already in this
round is skipped, a page fetch takes only the pages still pending, and
everything else is what `newsvault run` does, one transaction per feed or page.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from procrastinate import App, Blueprint, JobContext, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.types import JSONValue
from sqlalchemy import Engine

from newsvault.base.clock import now_ms
from newsvault.clean import mirror_images, mirror_sources
from newsvault.config import Config
from newsvault.fetch import Fetcher
from newsvault.schedule import poll
from newsvault.schedule.pages import PAGE_ATTEMPTS, fetch_pages, reads_pages
from newsvault.schedule.recheck import recheck_source
from newsvault.store import articles as store_articles
from newsvault.store import fetchlog

NAMESPACE = "newsvault"
SOURCES = "sources"  # polls, page fetches, re-checks, the search index: any machine
TREE = "tree"  # image mirroring writes into the archive tree: only the machine holding it
RETRY = RetryStrategy(max_attempts=5, exponential_wait=5)  # 5 s, 25 s, 125 s, ...

blueprint = Blueprint()
log = logging.getLogger(__name__)


@dataclass
class WorkerState:
    """What every job of one worker process shares: opened once, not per job."""

    config: Config
    engine: Engine
    fetcher: Fetcher


def _state(context: JobContext) -> WorkerState:
    state: WorkerState = context.additional_context["state"]
    return state


def polled_since(engine: Engine, abbr: str, since_ms: int) -> bool:
    """Has the source been polled (to the end: its fetch log written) since `since_ms`?"""
    with engine.connect() as conn:
        last = fetchlog.last_started(conn, abbr)
    return last is not None and last >= since_ms


async def defer(app: App, task: str, lock: str | None, queueing_lock: str, **kwargs: JSONValue) -> bool:
    """Queue a job unless the same one is waiting already; True if it was queued."""
    try:
        await app.configure_task(f"{NAMESPACE}:{task}", lock=lock, queueing_lock=queueing_lock).defer_async(**kwargs)
    except AlreadyEnqueued:
        return False
    return True


async def defer_poll(app: App, abbr: str, round_ms: int) -> bool:
    return await defer(app, "poll", f"source:{abbr}", f"poll:{abbr}", abbr=abbr, round_ms=round_ms)


def has_pending_pages(engine: Engine, abbr: str) -> bool:
    """Does the source have articles waiting for their page (new, or failed fewer than PAGE_ATTEMPTS times)?"""
    with engine.connect() as conn:
        return bool(store_articles.pending_pages(conn, abbr, 1, PAGE_ATTEMPTS))


async def _defer_after_store(app: App, config: Config, abbr: str) -> None:
    """Articles of the source changed in the store: the search index, and its images if it mirrors them."""
    await defer(app, "index", "index", "index")
    if abbr in mirror_sources(config):
        await defer(app, "mirror", "mirror", "mirror")


@blueprint.task(name="poll", queue=SOURCES, pass_context=True, retry=RETRY)
async def poll_source(context: JobContext, abbr: str, round_ms: int) -> None:
    """The source's feed and fallback switching, as in `newsvault run`; its pages are a job of their own.

    A source polled already in this round is not polled again, but its
    follow-up jobs are queued all the same: the worker of that poll may have
    died after the poll's end was recorded and before it queued them. They
    are cheap when there is nothing to do, and queued at most once each.
    """
    state = _state(context)
    source = state.config.sources.get(abbr)
    if source is None or not source.enabled:
        return
    if polled_since(state.engine, abbr, round_ms):
        stored = True
    else:
        result = await poll(state.engine, source, state.fetcher, state.config, pages=False)
        stored = bool(result.new or result.updated)
    app = context.app
    if reads_pages(source) and has_pending_pages(state.engine, abbr):
        await defer(app, "pages", f"source:{abbr}", f"pages:{abbr}", abbr=abbr)
    await defer(app, "recheck", f"source:{abbr}", f"recheck:{abbr}", abbr=abbr)
    if stored:
        await _defer_after_store(app, state.config, abbr)


@blueprint.task(name="pages", queue=SOURCES, pass_context=True, retry=RETRY)
async def pages(context: JobContext, abbr: str) -> None:
    """The source's pending article pages, one batch (`pages_per_run`) as in `newsvault run`.

    A page that fails (the outlet's 404 or timeout, usually) is recorded on
    its article and tried again next round, up to PAGE_ATTEMPTS times, so it
    is logged, not raised: a retry seconds later would mostly spend those
    attempts. Anything else (a bug, the store gone) raises, and the job is
    retried.
    """
    state = _state(context)
    source = state.config.sources.get(abbr)
    if source is None:
        return
    result = await fetch_pages(state.engine, source, state.fetcher, state.config)
    for problem in result.problems:
        log.warning("%s: %s", abbr, problem)
    if result.stored:
        await _defer_after_store(context.app, state.config, abbr)


@blueprint.task(name="recheck", queue=SOURCES, pass_context=True, retry=RETRY)
async def recheck(context: JobContext, abbr: str) -> None:
    """Re-check the source's due articles (edits, deletions, censorship)."""
    state = _state(context)
    source = state.config.sources.get(abbr)
    if source is not None:
        await recheck_source(
            state.engine, source, state.fetcher, state.config, now_ms(), state.config.fetch.pages_per_run
        )
    if notifies(state.config):  # the source's poll, pages and re-check are done: tell what they found
        await defer(context.app, "notify", "notify", "notify")


def notifies(config: Config) -> bool:
    """Is any channel of the outbox on: Telegram, or the Wayback Machine as a witness?"""
    return config.notify.telegram.enabled or config.witness.wayback.enabled


@blueprint.task(name="index", queue=SOURCES, pass_context=True, retry=RETRY)
def index(context: JobContext) -> None:
    """New and changed articles into the search index; one at a time, it is one table."""
    from newsvault.search import update_index

    update_index(_state(context).engine)


@blueprint.task(name="notify", queue=SOURCES, pass_context=True, retry=RETRY)
async def notify(context: JobContext) -> None:
    """Queue the edits, deletions and new articles found since the last scan and post them, as `run` does.

    One at a time wherever it was queued (the job lock `notify`, held in
    PostgreSQL): the outbox's states belong to one poster, and a second would
    take the first's message in flight for one a killed worker left, or queue
    the same events twice. A worker killed while posting has its job taken
    back after its lease; the message it was sending becomes `uncertain`.
    The URLs queued for the Wayback Machine go to a `witness` job of their
    own: SPN2's rate is slow, and Telegram's messages need not wait for it.
    """
    from newsvault.notify import post_queued, queue_events

    state = _state(context)
    queue_events(state.engine, state.config)
    if state.config.witness.wayback.enabled:
        await defer(context.app, "witness", "witness", "witness")
    report = await asyncio.to_thread(post_queued, state.config, state.engine)  # its own thread, its own event loop
    if report is None:
        return
    if report.posted or report.waiting:
        log.warning("%s: %d posted, %d waiting", report.channel, report.posted, report.waiting)
    for problem in report.problems:
        log.warning("%s: %s", report.channel, problem)


@blueprint.task(name="witness", queue=SOURCES, pass_context=True, retry=RETRY)
def witness(context: JobContext) -> None:
    """Submit the queued URLs to the Wayback Machine and record the snapshots taken, as `run` does.

    One at a time wherever it was queued (the job lock `witness`): a second
    submitter would take the first's URL in flight ("sending") for one a
    killed worker left and call it uncertain, or submit a queued URL the
    first is about to submit. A worker killed while submitting has its job
    taken back after its lease; its URL in flight is never submitted again.
    """
    from newsvault.notify import witness_queued

    state = _state(context)
    report = witness_queued(state.config, state.engine)  # a sync task runs in its own thread: its own event loop
    if report is None:
        return
    if report.submitted or report.captured or report.waiting or report.pending:
        log.warning(
            "wayback: %d submitted, %d captured, %d pending, %d waiting, %d given up",
            report.submitted,
            report.captured,
            report.pending,
            report.waiting,
            report.failed,
        )
    for problem in report.problems:
        log.warning("wayback: %s", problem)


@blueprint.task(name="mirror", queue=TREE, pass_context=True, retry=RETRY)
async def mirror(context: JobContext) -> None:
    """Images of stored articles into the archive tree, on the machine that holds it."""
    state = _state(context)
    await mirror_images(
        state.engine, state.config.archive, state.fetcher, state.config.images, sources=mirror_sources(state.config)
    )
