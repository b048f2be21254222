"""Fallback feeds: which of an outlet's feeds is read, and moving on when it failed or went quiet.

The outlet stays one outlet (same folder, same countdown) whichever feed
delivered the article; the list wraps round to the primary, which may have
come back.
"""

from __future__ import annotations

from sqlalchemy import Engine

from newsvault.base.problems import Kind, Problem
from newsvault.config import Source
from newsvault.store import sources as store_sources

from .results import SourceResult


def active_feed(engine: Engine, outlet: Source) -> tuple[int, Source]:
    """The position and rule of the feed the outlet is read from now (0: its own feed)."""
    with engine.begin() as conn:
        state = store_sources.ensure(conn, outlet.abbr, outlet.name, None)
    feeds = outlet.feeds()
    position = state["active_feed"] if state["active_feed"] < len(feeds) else 0
    return position, feeds[position]


def switch_if_dead(engine: Engine, outlet: Source, position: int, result: SourceResult) -> None:
    """Count runs without new items; move to the next feed when this one failed or went quiet too long.

    The switch takes effect on the next run.
    """
    with engine.begin() as conn:
        state = store_sources.state(conn, outlet.abbr)
        idle = state["idle_runs"] if result.error else (0 if result.new else state["idle_runs"] + 1)
        reason = None
        if result.error and state["failures"] >= outlet.fallback_after:
            reason = f"{state['failures']} failed runs in a row"
        elif idle >= outlet.idle_after:
            reason = f"no new item in {idle} runs"
        feeds = outlet.feeds()
        if reason and len(feeds) > 1:
            after = (position + 1) % len(feeds)
            store_sources.set_feed_state(conn, outlet.abbr, idle_runs=0, active_feed=after)
            result.notes.append(
                Problem(
                    Kind.FEED_SWITCHED,
                    f"switched feed after {reason}: {feeds[position].feed} -> {feeds[after].feed} (from the next run)",
                )
            )
            return
        store_sources.set_feed_state(conn, outlet.abbr, idle_runs=idle)
        if reason and not result.error:
            result.notes.append(
                Problem(Kind.FEED_QUIET, f"{reason}: the feed may have died (list `fallbacks` for this source)")
            )
