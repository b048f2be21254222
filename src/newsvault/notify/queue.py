"""Queueing what a run noticed: the versions and statuses added since the last scan, as messages in the outbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, RowMapping

from newsvault.base.clock import now_ms
from newsvault.base.failpoints import failpoint
from newsvault.config import Config
from newsvault.config.model import TelegramSettings
from newsvault.store import changes, outbox
from newsvault.store.marks import behind

from . import messages


def channel_key(settings: TelegramSettings) -> str:
    """The outbox's name for the channel: messages queued for one channel are never posted to another."""
    return f"telegram:{settings.channel}"


WAYBACK = "wayback"

Report = TypeVar("Report")


def alone(engine: Engine, channel: str, send: Callable[[], Report]) -> Report | int:
    """`send()` while this process holds the channel (`outbox.posting`); else how many of its messages wait queued.

    A `run` and a worker's job posting together would each take the other's
    message in flight for one a killed run left, and send what both read as
    queued: the one that does not get the channel leaves its queue to the other.
    """
    with outbox.posting(engine, channel) as mine:
        if mine:
            return send()
    with engine.connect() as conn:
        return outbox.counts(conn, channel).get("queued", 0)


def queue_events(engine: Engine, config: Config) -> int:
    """Queue, for every enabled channel, each edit, deletion or new article since the last scan; how many.

    One scan serves Telegram and the witnesses: every enabled channel's rows are
    queued in the transaction that moves the (shared) marks, so each event is
    queued once per channel. The first scan of a store only sets the marks:
    turning a channel on tells of what happens from then on, not the archive's
    whole history.
    """
    telegram, wayback = config.notify.telegram, config.witness.wayback
    consumers: list[tuple[str, set[str], set[str], bool]] = []
    if telegram.enabled:
        consumers.append((channel_key(telegram), set(telegram.events), set(telegram.outlets), True))
    if wayback.enabled:
        consumers.append((WAYBACK, set(wayback.events), set(wayback.outlets), False))
    if not consumers:
        return 0
    now = now_ms()
    with engine.begin() as conn:
        newest = changes.change_stamp(conn)  # new versions and statuses (a correction in place is no event)
        found = outbox.marks(conn)
        if found is None:
            outbox.set_marks(conn, *newest)
            return 0
        events: list[tuple[str, RowMapping]] = []
        for row in outbox.versions_since(conn, found[0]):
            event = "new" if row["n"] == 1 else "edited"
            if behind(newest[0], row["ref"]) and not (event == "new" and row["imported"]):  # imported: not new
                events.append((event, row))
        events += [("deleted", row) for row in outbox.deletions_since(conn, found[1]) if behind(newest[1], row["ref"])]
        rows = []
        for channel, wanted, outlets, is_message in consumers:
            for event, row in events:
                if event not in wanted or (outlets and row["source"] not in outlets):
                    continue
                text = _message(config, event, row) if is_message else row["link"]
                rows.append(
                    {"channel": channel, "event": event, "ref": row["ref"], "article_id": row["article_id"]}
                    | {"text": text, "queued_ms": now}
                )
        queued = outbox.queue(conn, rows)
        outbox.set_marks(conn, *newest)
    failpoint("notify.queued")
    return queued


def _message(config: Config, event: str, row: RowMapping) -> str:
    if event == "new":
        return messages.new(config, row)
    return messages.edited(config, row) if event == "edited" else messages.deleted(config, row)
