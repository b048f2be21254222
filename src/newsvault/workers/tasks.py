"""The jobs a worker runs: poll a source, re-check it, update the search index, mirror images.

A poll and a re-check of one source hold the lock `source:<abbr>`, so they
never overlap anywhere (they add versions to the same articles). Each job is
safe to run again after a crash: a poll seen already in this round is
skipped, and everything else it does is what `newsvault run` does, one
transaction per feed.
"""

from __future__ import annotations

from procrastinate import App, JobContext
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import Engine, func, select

from newsvault.clean import mirror_images, mirror_sources
from newsvault.schedule.recheck import recheck_source
from newsvault.schedule.run import now_ms, poll
from newsvault.store.schema import fetch_log

from .queue import RETRY, SOURCES, TREE, WorkerState, blueprint

NAMESPACE = "newsvault"


def _state(context: JobContext) -> WorkerState:
    return context.additional_context["state"]


def polled_since(engine: Engine, abbr: str, since_ms: int) -> bool:
    """Has the source been polled (to the end: its fetch log written) since `since_ms`?"""
    with engine.connect() as conn:
        last = conn.execute(select(func.max(fetch_log.c.started_ms)).where(fetch_log.c.source == abbr)).scalar()
    return last is not None and last >= since_ms


async def defer(app: App, task: str, lock: str | None, queueing_lock: str, **kwargs: object) -> bool:
    """Queue a job unless the same one is waiting already; True if it was queued."""
    try:
        await app.configure_task(f"{NAMESPACE}:{task}", lock=lock, queueing_lock=queueing_lock
                                 ).defer_async(**kwargs)
    except AlreadyEnqueued:
        return False
    return True


async def defer_poll(app: App, abbr: str, round_ms: int) -> bool:
    return await defer(app, "poll", f"source:{abbr}", f"poll:{abbr}", abbr=abbr, round_ms=round_ms)


@blueprint.task(name="poll", queue=SOURCES, pass_context=True, retry=RETRY)
async def poll_source(context: JobContext, abbr: str, round_ms: int) -> None:
    """The source's feed, its pending pages and fallback switching, as in `newsvault run`."""
    state = _state(context)
    source = state.config.sources.get(abbr)
    if source is None or not source.enabled or polled_since(state.engine, abbr, round_ms):
        return
    result = await poll(state.engine, source, state.fetcher, state.config)
    app = context.app
    await defer(app, "recheck", f"source:{abbr}", f"recheck:{abbr}", abbr=abbr)
    if result.new or result.updated:
        await defer(app, "index", "index", "index")
        if abbr in mirror_sources(state.config):
            await defer(app, "mirror", "mirror", "mirror")


@blueprint.task(name="recheck", queue=SOURCES, pass_context=True, retry=RETRY)
async def recheck(context: JobContext, abbr: str) -> None:
    """Re-check the source's due articles (edits, deletions, censorship)."""
    state = _state(context)
    source = state.config.sources.get(abbr)
    if source is not None:
        await recheck_source(state.engine, source, state.fetcher, state.config, now_ms(),
                             state.config.fetch.pages_per_run)


@blueprint.task(name="index", queue=SOURCES, pass_context=True, retry=RETRY)
def index(context: JobContext) -> None:
    """New and changed articles into the search index; one at a time, it is one table."""
    from newsvault.search import update_index

    update_index(_state(context).engine)


@blueprint.task(name="mirror", queue=TREE, pass_context=True, retry=RETRY)
async def mirror(context: JobContext) -> None:
    """Images of stored articles into the archive tree, on the machine that holds it."""
    state = _state(context)
    await mirror_images(state.engine, state.config.archive, state.fetcher, state.config.images,
                        sources=mirror_sources(state.config))
