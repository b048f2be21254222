"""One worker process: start rounds when due, run jobs, hand back the jobs of dead workers.

A worker's heartbeat is its lease on the jobs it runs: a worker killed in the
middle of a poll stops beating, and after `lease` seconds any other worker
puts its jobs back in the queue (the source's lock goes with them), where
they are run again from the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from procrastinate import App
from procrastinate.exceptions import ConnectorException, UniqueViolation
from procrastinate.jobs import Status
from sqlalchemy import Engine

from newsvault.config import Config
from newsvault.fetch import Fetcher
from newsvault.schedule import RunReport
from newsvault.store import jobs

from .queue import install, make_app
from .rounds import current_round, round_results, start_round
from .tasks import SOURCES, TREE, WorkerState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerOptions:
    once: bool = False  # process everything due, then exit
    every: float = 3600.0  # seconds between rounds
    lease: float = 30.0  # seconds without a heartbeat after which a worker's jobs are taken back
    concurrency: int = 20  # jobs at once in this process (fetches overlap; the store is used in turn)
    tree: bool = False  # also mirror images: this machine holds the archive tree


@dataclass(frozen=True)
class RoundReport:
    """What `--once` saw through: the round it started or found, and what each source's poll in it found."""

    round_ms: int | None  # None: no round was ever started (nothing enabled was due)
    started: bool  # this worker started the round; False: it was begun less than `every` ago
    run: RunReport


def _queues(options: WorkerOptions) -> list[str]:
    return [SOURCES, TREE] if options.tree else [SOURCES]


async def take_back_stalled(app: App, lease: float) -> int:
    """Put the running jobs of workers silent for `lease` seconds back in the queue.

    A job queued again while it ran (each notify queues `witness`, each poll
    `index`) has its twin waiting under the same queueing lock, so it cannot go
    back; left "doing", it would hold its job lock and the twin could never
    run. Every job does what is due when it starts, so the twin does its work:
    the dead worker's job is dropped instead.
    """
    taken = 0
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=lease):
        try:
            try:
                await app.job_manager.retry_job(job)
            except UniqueViolation:
                await app.job_manager.finish_job(job, Status.ABORTED, delete_job=True)
                log.warning("job %s (%s) of a stopped worker: its twin in the queue does it", job.id, job.task_name)
        except ConnectorException as exc:  # another worker took it back first: the job is no longer "doing"
            log.debug("job %s: not taken back: %s", job.id, exc)
            continue
        taken += 1
    if taken:
        log.warning("took back %d job(s) of stopped workers", taken)
    return taken


def _unfinished(engine: Engine, queues: list[str]) -> int:
    with engine.connect() as conn:
        return jobs.unfinished(conn, queues)


async def _watch(app: App, engine: Engine, config: Config, options: WorkerOptions) -> None:
    """Beside a long-running worker: start rounds when due, take back stalled jobs."""
    while True:
        await start_round(app, engine, config, options.every)
        await take_back_stalled(app, options.lease)
        await asyncio.sleep(min(options.lease / 2, options.every))


def _worker_kwargs(options: WorkerOptions, state: WorkerState, wait: bool) -> dict[str, Any]:
    return dict(
        queues=_queues(options),
        wait=wait,
        concurrency=options.concurrency,
        additional_context={"state": state},
        update_heartbeat_interval=options.lease / 4,
        stalled_worker_timeout=options.lease,
        delete_jobs="successful",
    )


async def _work(config: Config, engine: Engine, options: WorkerOptions) -> bool:
    """Run jobs; with `once`, until the round is done, then whether this worker started it."""
    app = make_app(engine, pool_size=max(4, options.concurrency // 4))
    async with (
        app.open_async(),
        Fetcher.from_settings(config.fetch) as fetcher,
    ):
        state = WorkerState(config, engine, fetcher)
        if not options.once:
            watcher = asyncio.create_task(_watch(app, engine, config, options))
            try:
                await app.run_worker_async(**_worker_kwargs(options, state, wait=True))
            finally:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            return False
        started = await start_round(app, engine, config, options.every) is not None
        # Drained is not done: a job may be running elsewhere, or held by a dead
        # worker until its lease runs out. Stay until every due job has finished.
        while True:
            await app.run_worker_async(**_worker_kwargs(options, state, wait=False))
            if not _unfinished(engine, _queues(options)):
                return started
            await take_back_stalled(app, options.lease)
            await asyncio.sleep(min(1.0, options.lease / 4))


def work(config: Config, engine: Engine, options: WorkerOptions = WorkerOptions()) -> RoundReport | None:
    """Run a worker on the vault's PostgreSQL store (WorkersNeedPostgres on SQLite).

    With `once`, returns the round's report, read from the fetch log so that it
    holds the polls other workers ran too; a long-running worker never returns.
    """
    install(engine)
    started = asyncio.run(_work(config, engine, options))
    round_ms = current_round(engine)
    results = round_results(engine, config, round_ms) if round_ms is not None else []
    return RoundReport(round_ms, started, RunReport(results))
