"""Sending the outbox's witness rows to the Wayback Machine: submit within the rate, ask briefly, never block the run.

Each URL is marked "sending" before the submit and "submitted" (with the job
id) after SPN2 took it; a run killed between the two leaves it "sending", the
next run calls it "uncertain" and does not submit it again. Running jobs are
asked about at the start and the end of each run and left for the next run
while pending. A 429, a 5xx or a timeout leaves the URL queued for a later run
(the step's problem, never a source's); after MOST_ATTEMPTS it is given up with
the error kept. The keys come from the environment only and are redacted from
every recorded or printed word.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
from sqlalchemy import Engine, RowMapping

from newsvault.base.clock import now_ms
from newsvault.base.failpoints import failpoint
from newsvault.base.problems import Kind, Problem
from newsvault.config import Config
from newsvault.config.model import WaybackSettings
from newsvault.store import outbox

from . import wayback
from .queue import WAYBACK, alone
from .telegram import LONGEST_WAIT, Bucket

# Attempts (submits or polls that went wrong) before a URL is given up, its error kept.
MOST_ATTEMPTS = 5


@dataclass
class WitnessReport:
    submitted: int = 0
    captured: int = 0
    pending: int = 0  # jobs still running, asked about next run
    waiting: int = 0  # still queued when the run ended
    failed: int = 0  # given up this run
    uncertain: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def failed_step(self) -> bool:
        return any(p.failure for p in self.problems)


def witness_queued(config: Config, engine: Engine) -> WitnessReport | None:
    """Submit the queued URLs and collect finished snapshots; None when [witness.wayback] is off.

    One process at a time (`outbox.posting`, as for Telegram): a `run` and a
    worker's `witness` job together would each call the other's URL in flight
    "uncertain" and submit what both read as queued.
    """
    settings = config.witness.wayback
    if not settings.enabled:
        return None
    done = alone(engine, WAYBACK, lambda: asyncio.run(_witness(engine, settings)))
    if isinstance(done, WitnessReport):
        return done
    busy = "another process is submitting to the Wayback Machine now: this one leaves the queue to it"
    return WitnessReport(waiting=done, problems=[Problem(Kind.NOTIFY_DEFERRED, busy, WAYBACK)])


def _taken_ms(timestamp: str) -> int:
    return int(datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC).timestamp() * 1000)


async def _witness(engine: Engine, settings: WaybackSettings) -> WitnessReport:
    report = WitnessReport()
    with engine.begin() as conn:
        report.uncertain = outbox.settle_interrupted(conn, WAYBACK)
        pending = outbox.waiting(conn, WAYBACK)
        last = outbox.last_attempt_ms(conn, WAYBACK)
    if report.uncertain:
        report.problems.append(
            Problem(Kind.NOTIFY_DEFERRED, f"{len(report.uncertain)} URL(s) may have been submitted; not again", WAYBACK)
        )
    access, secret = os.environ.get(settings.access_key_env, ""), os.environ.get(settings.secret_key_env, "")
    if not (access and secret):
        report.waiting = len(pending)
        names = f"${settings.access_key_env} and ${settings.secret_key_env}"
        report.problems.append(Problem(Kind.NOTIFY, f"{names} are not both set: {len(pending)} URL(s) wait", WAYBACK))
        return report
    keys = wayback.Credentials(access, secret)
    async with aiohttp.ClientSession() as session:
        await _poll(engine, session, settings, keys, report)
        bucket = Bucket(settings.per_minute, last)
        for row in pending[: settings.max_per_run]:
            stop = await _submit(engine, session, bucket, settings, keys, row, report)
            if stop is not None:
                report.problems.append(stop)
                break
        await _poll(engine, session, settings, keys, report)
    with engine.connect() as conn:
        report.waiting = len(outbox.waiting(conn, WAYBACK))
        report.pending = len(outbox.jobs(conn, WAYBACK))
    return report


async def _poll(
    engine: Engine,
    session: aiohttp.ClientSession,
    settings: WaybackSettings,
    keys: wayback.Credentials,
    report: WitnessReport,
) -> None:
    """Ask once about each running job: record a capture, give up a refused one, leave the rest."""
    with engine.connect() as conn:
        running = outbox.jobs(conn, WAYBACK)
    for job in running:
        answer = await wayback.status(session, settings.api_url, keys, job["job_id"], settings.timeout)
        with engine.begin() as conn:
            if answer.state is wayback.State.CAPTURED and answer.snapshot_url and answer.timestamp:
                outbox.captured(conn, job["id"], answer.snapshot_url, _taken_ms(answer.timestamp), now_ms())
                report.captured += 1
            elif answer.state is wayback.State.FAILED:
                outbox.failed(conn, job["id"], answer.why)
                report.failed += 1
        if answer.state is wayback.State.RETRY:
            return  # the service is busy or away: the jobs are asked about next run


async def _submit(
    engine: Engine,
    session: aiohttp.ClientSession,
    bucket: Bucket,
    settings: WaybackSettings,
    keys: wayback.Credentials,
    row: RowMapping,
    report: WitnessReport,
) -> Problem | None:
    """Submit one URL, waiting out short 429s; a Problem when the service cannot take more this run."""
    notification_id: int = row["id"]
    url: str = row["text"]
    attempts: int = row["attempts"]
    for _ in range(MOST_ATTEMPTS):
        await bucket.take()
        with engine.begin() as conn:
            outbox.sending(conn, notification_id, now_ms())
        failpoint("witness.sending")
        answer = await wayback.submit(session, settings.api_url, keys, url, settings.timeout)
        attempts += 1
        with engine.begin() as conn:
            if answer.state is wayback.State.SUBMITTED and answer.job_id:
                outbox.submitted(conn, notification_id, answer.job_id)
                report.submitted += 1
                return None
            if answer.state is wayback.State.FAILED or attempts >= MOST_ATTEMPTS:
                outbox.failed(conn, notification_id, answer.why)
                report.failed += 1
                return None
            outbox.requeue(conn, notification_id, answer.why)
        if answer.retry_after is None or answer.retry_after > LONGEST_WAIT:
            return Problem(Kind.NOTIFY_DEFERRED, f"not now ({answer.why}): the URLs wait for the next run", WAYBACK)
        bucket.hold(answer.retry_after)
    return Problem(Kind.NOTIFY_DEFERRED, "rate limited again and again: the URLs wait for the next run", WAYBACK)
