"""`newsvault status`: the health of every source."""

from __future__ import annotations

import sys

import click

from .context import Context
from .terminal import json_line, visible

NOTES_SHOWN = 5  # of the latest poll's notes, per source


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="The health of every source as one JSON object.")
@click.pass_obj
def command(obj: Context, as_json: bool) -> None:
    """Health of every source; exit 1 when one is flagged (silent, failing, shrinking, dated ahead)."""
    from newsvault.base.clock import china_minute
    from newsvault.health import source_health

    config = obj.config()
    engine = obj.engine(config)
    with engine.connect() as conn:
        report = source_health(conn)
    if as_json:
        click.echo(json_line([h.as_dict() for h in report]))
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
    sys.exit(1 if any(h.flags for h in report) else 0)
