"""`newsvault status`: the health of every source."""

from __future__ import annotations

import sys
from typing import Any

import click
from sqlalchemy import Connection

from .context import Context
from .terminal import json_line, visible

NOTES_SHOWN = 5  # of the latest poll's notes, per source


STATES = ("queued", "sending", "posted", "uncertain", "dropped")  # an outbox message's life (docs/NOTIFY.md)
SHOWN_IF_ANY = ("sending", "dropped")  # in the text line only when a message is in it


def outbox(conn: Connection) -> list[dict[str, Any]]:
    """Per channel of the notification outbox: messages in each state, and the last error still waiting."""
    from newsvault.store import outbox as store_outbox

    found = []
    for channel in store_outbox.channels(conn):
        counts = store_outbox.counts(conn, channel)
        error = store_outbox.last_error(conn, channel)
        found.append(
            {
                "channel": channel,
                **{state: counts.get(state, 0) for state in STATES},
                "last_error": " ".join(error["error"].split()) if error else None,
                "last_error_ms": error["attempted_ms"] if error else None,
                "uncertain_messages": [
                    {"id": row["id"], "attempted_ms": row["attempted_ms"], "text": row["text"]}
                    for row in store_outbox.uncertain(conn, channel)
                ],
            }
        )
    return found


def outbox_line(channel: dict[str, Any]) -> str:
    """E.g. ``notify telegram:@news: 2 queued, 40 posted, 1 uncertain; last error 2026-12-05 16:00: …``."""
    from newsvault.base.clock import china_minute

    said = ", ".join(f"{channel[s]} {s}" for s in STATES if channel[s] or s not in SHOWN_IF_ANY)
    if channel["last_error"]:
        when = china_minute(channel["last_error_ms"]) if channel["last_error_ms"] else "?"
        said += f"; last error {when}: {channel['last_error']}"
    return f"notify {channel['channel']}: {said}"


def uncertain_lines(channel: dict[str, Any]) -> list[str]:
    """One line per uncertain message, for the operator to look for in the channel before `notify --resend/--drop`."""
    from newsvault.base.clock import china_minute

    lines = []
    for message in channel["uncertain_messages"]:
        head = " ".join(message["text"].split("\n")[:2])  # the label and the title
        when = china_minute(message["attempted_ms"]) if message["attempted_ms"] else "?"
        lines.append(f"    uncertain #{message['id']} (its send began {when}): {head[:100]}")
    return lines


@click.command("status")
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object: every source's health and the notification outbox."
)
@click.pass_obj
def command(obj: Context, as_json: bool) -> None:
    """Health of every source, then the notification outbox per channel (queued, posted, uncertain).

    Exit 1 when a source is flagged (silent, failing, shrinking, dated ahead).
    """
    from newsvault.base.clock import china_minute
    from newsvault.health import source_health

    config = obj.config()
    engine = obj.engine(config)
    with engine.connect() as conn:
        report = source_health(conn)
        channels = outbox(conn)
    if as_json:
        click.echo(json_line({"sources": [h.as_dict() for h in report], "notify": channels}))
    else:
        for h in report:
            click.echo(visible(h.summary()))
            for flag in h.flags:
                click.echo(visible(f"    FLAG {flag}"))
            if h.last_error and h.last_error_ms and not h.failures:  # a flag says it when it is the latest
                click.echo(visible(f"    last error {china_minute(h.last_error_ms)}: {h.last_error}"))
            for note in h.last_notes[:NOTES_SHOWN]:
                click.echo(visible(f"    note {note}"))
            if len(h.last_notes) > NOTES_SHOWN:
                click.echo(f"    … {len(h.last_notes) - NOTES_SHOWN} more note(s): status --json lists them")
        for channel in channels:
            click.echo(visible(outbox_line(channel)))
            for line in uncertain_lines(channel):
                click.echo(visible(line))
    sys.exit(1 if any(h.flags for h in report) else 0)
