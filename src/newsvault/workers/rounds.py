"""Rounds: every enabled source queued for one poll, at most once every `every` seconds.

Any worker may start a round; the first to take the row lock on the store's
`meta` row does, and the others find the round started. A poll job carries
the round's start, and is skipped when its source was polled since then, so
a source is polled once per round however many workers queued it.
"""

from __future__ import annotations

from procrastinate import App
from sqlalchemy import Engine, select, update
from sqlalchemy.dialects.postgresql import insert

from newsvault.base.clock import now_ms
from newsvault.config import Config
from newsvault.store.schema import meta

from .tasks import defer_poll

ROUND_KEY = "workers.round_started_ms"


async def start_round(app: App, engine: Engine, config: Config, every_s: float) -> int | None:
    """Queue a poll of every enabled source if the last round began `every_s` ago or more; its start, or None."""
    with engine.begin() as conn:
        conn.execute(insert(meta).values(key=ROUND_KEY, value="0").on_conflict_do_nothing())
        last = int(conn.execute(select(meta.c.value).where(meta.c.key == ROUND_KEY).with_for_update()).scalar_one())
        started = now_ms()
        if started - last < every_s * 1000:
            return None
        # The jobs are queued before the round is recorded: a crash in between
        # queues some sources twice (skipped when run), never none.
        for source in config.enabled():
            await defer_poll(app, source.abbr, started)
        conn.execute(update(meta).where(meta.c.key == ROUND_KEY).values(value=str(started)))
    return started
