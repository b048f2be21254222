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
from newsvault.config import Config
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
