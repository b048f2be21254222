"""Rounds: every enabled source queued for one poll, at most once every `every` seconds.

Any worker may start a round; the first to take the row lock on the store's
`meta` row does, and the others find the round started. A poll job carries
the round's start, and is skipped when its source was polled since then, so
a source is polled once per round however many workers queued it.
"""

from __future__ import annotations

from procrastinate import App
from sqlalchemy import Engine

from newsvault.base.clock import now_ms
from newsvault.base.problems import Kind, Problem
from newsvault.config import Config
from newsvault.schedule import SourceResult
from newsvault.store import fetchlog
from newsvault.store import sources as store_sources

from .tasks import defer_poll

ROUND_KEY = "workers.round_started_ms"


async def start_round(app: App, engine: Engine, config: Config, every_s: float) -> int | None:
    """Queue a poll of every enabled source if the last round began `every_s` ago or more; its start, or None."""
    with engine.begin() as conn:
        last = int(store_sources.lock_meta(conn, ROUND_KEY, "0"))
        started = now_ms()
        if started - last < every_s * 1000:
            return None
        # The jobs are queued before the round is recorded: a crash in between
        # queues some sources twice (skipped when run), never none.
        for source in config.enabled():
            await defer_poll(app, source.abbr, started)
        store_sources.set_meta(conn, ROUND_KEY, str(started))
    return started


def current_round(engine: Engine) -> int | None:
    """When the latest round began (None: no worker ever started one)."""
    with engine.connect() as conn:
        started = int(store_sources.get_meta(conn, ROUND_KEY) or 0)
    return started or None


def round_results(engine: Engine, config: Config, round_ms: int) -> list[SourceResult]:
    """What each enabled source's polls since `round_ms` found, from the fetch log, whichever worker polled it."""
    with engine.connect() as conn:
        polls = fetchlog.polls_since(conn, round_ms)
    results = []
    for source in config.enabled():
        result = SourceResult(source.abbr, source.name)
        mine = [p for p in polls if p["source"] == source.abbr]
        if not mine:
            result.error = Problem(Kind.LOGGED, "not polled in this round")
        for poll in mine:
            result.new += poll["new"]
            result.updated += poll["updated"]
            result.unchanged += poll["unchanged"]
            result.error = Problem(Kind.LOGGED, poll["error"]) if poll["error"] else None
            result.problems += [Problem(Kind.LOGGED, line) for line in (poll["problems"] or "").splitlines()]
            result.notes += [Problem(Kind.LOGGED, line) for line in (poll["notes"] or "").splitlines()]
        results.append(result)
    return results
