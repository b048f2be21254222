"""Queueing what a run noticed: the versions and statuses added since the last scan, as messages in the outbox."""

from __future__ import annotations

from sqlalchemy import Engine

from newsvault.base.clock import now_ms
from newsvault.base.failpoints import failpoint
from newsvault.config import Config
from newsvault.config.model import TelegramSettings
from newsvault.store import outbox

from . import messages


def channel_key(settings: TelegramSettings) -> str:
    """The outbox's name for the channel: messages queued for one channel are never posted to another."""
    return f"telegram:{settings.channel}"


def queue_events(engine: Engine, config: Config) -> int:
    """Queue a message for each edit, deletion or new article since the last scan; how many were queued.

    The first scan of a store only sets the marks: turning notifications on
    posts what happens from then on, not the archive's whole history.
    """
    settings = config.notify.telegram
    if not settings.enabled:
        return 0
    wanted = set(settings.events)
    outlets = set(settings.outlets)
    channel = channel_key(settings)
    now = now_ms()
    with engine.begin() as conn:
        newest = outbox.newest_ids(conn)
        found = outbox.marks(conn)
        if found is None:
            outbox.set_marks(conn, *newest)
            return 0
        rows = []
        for row in outbox.versions_since(conn, found[0]):
            event = "new" if row["n"] == 1 else "edited"
            if row["ref"] > newest[0] or event not in wanted or (outlets and row["source"] not in outlets):
                continue
            if event == "new" and row["imported"]:
                continue  # read from an existing tree, not new at its source
            text = messages.new(config, row) if event == "new" else messages.edited(config, row)
            rows.append({"event": event, "ref": row["ref"], "article_id": row["article_id"], "text": text})
        if "deleted" in wanted:
            for row in outbox.deletions_since(conn, found[1]):
                if row["ref"] <= newest[1] and (not outlets or row["source"] in outlets):
                    text = messages.deleted(config, row)
                    rows.append({"event": "deleted", "ref": row["ref"], "article_id": row["article_id"], "text": text})
        queued = outbox.queue(conn, [{**row, "channel": channel, "queued_ms": now} for row in rows])
        outbox.set_marks(conn, *newest)
    failpoint("notify.queued")
    return queued
