"""`newsvault notify`: post the queued notifications now, or settle an uncertain one by hand."""

from __future__ import annotations

import sys

import click

from newsvault.config import VAULT_FILE

from .context import Context


@click.command("notify")
@click.option("--resend", "resend_ids", is_flag=True, help="Queue the uncertain messages IDS again, then post.")
@click.option("--resend-uncertain", is_flag=True, help="Queue every uncertain message again, then post.")
@click.option("--drop", "drop_ids", is_flag=True, help="Give up the uncertain or queued messages IDS: never sent.")
@click.argument("ids", nargs=-1, type=click.IntRange(min=1))
@click.pass_obj
def command(obj: Context, resend_ids: bool, resend_uncertain: bool, drop_ids: bool, ids: tuple[int, ...]) -> None:
    """Post the queued Telegram messages now, as `run` does at its end (docs/NOTIFY.md).

    A message whose send was interrupted is "uncertain" and never sent again by
    itself: check the channel, then `--resend ID...` (it was not posted) or
    `--drop ID...` (it was); `status` lists them. Exit 1 for an id that is no
    message of the channel or is in another state (nothing is changed then),
    or when the channel refused the messages.
    """
    from rich.console import Console

    from newsvault.notify import manage

    from .report import notify_and_report, say

    actions = sum((resend_ids, resend_uncertain, drop_ids))
    if actions > 1:
        raise click.UsageError("one of --resend, --resend-uncertain and --drop at a time")
    if (resend_ids or drop_ids) and not ids:
        raise click.UsageError("--resend and --drop need the ids of the messages (`newsvault status` lists them)")
    if ids and not (resend_ids or drop_ids):
        raise click.UsageError("ids go with --resend or --drop")
    config = obj.config()
    settings = config.notify.telegram
    if not settings.enabled:
        raise click.UsageError(f"[notify.telegram] is not enabled in {config.vault / VAULT_FILE}")
    engine = obj.engine(config)
    console = Console(stderr=False)
    if actions:
        marked = (
            manage.drop(engine, settings, ids)
            if drop_ids
            else manage.resend(engine, settings, None if resend_uncertain else ids)
        )
        if marked.settled:
            say(console, f"{marked.channel}: a stopped run left {len(marked.settled)} message(s) uncertain")
        for problem in marked.problems:
            say(console, f"{marked.channel}: {problem}")
        if marked.problems:
            sys.exit(1)
        done = "dropped" if drop_ids else "queued again"
        listed = " ".join(f"#{i}" for i in marked.changed) or "none"
        say(console, f"{marked.channel}: {len(marked.changed)} message(s) {done}: {listed}")
        if drop_ids:
            sys.exit(0)
    sys.exit(1 if notify_and_report(config, engine, console) else 0)
