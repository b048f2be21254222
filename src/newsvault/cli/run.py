"""`newsvault run`: one pass over the sources, a summary, and the archive published if asked."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from newsvault.config import VAULT_FILE

from .context import Context, require_enabled


@click.command("run")
@click.option("--only", multiple=True, metavar="ABBR", help="Poll only this source (repeatable).")
@click.option("--publish", is_flag=True, help="Then commit the archive and push it (as `newsvault publish`).")
@click.pass_obj
def command(obj: Context, only: tuple[str, ...], publish: bool) -> None:
    """One pass: fetch, parse, store, render (and publish). Exit 1 if any source or remote failed."""
    from newsvault.schedule import run_once

    from .report import (
        notify_and_report,
        print_summary,
        progress_line,
        publish_and_report,
        say,
        stamp_days_or_error,
        stamped_line,
        witness_and_report,
    )

    config = obj.config()
    unknown = [a for a in only if a not in config.sources]
    if unknown:
        raise click.BadParameter(f"no source {unknown[0]!r} in {config.vault / VAULT_FILE}", param_hint="--only")
    require_enabled(config, only)
    engine = obj.engine(config)
    if publish:
        from newsvault.publish.site import align_marks

        align_marks(engine, config)  # the render then writes what the published site lacks
    console = Console(stderr=False)
    if console.is_terminal:
        with console.status(f"polling {len(config.enabled(only))} source(s)…"):
            report = run_once(config, engine, only, progress=progress_line(console))
    else:  # cron, CI: the summary alone, one plain line per source
        report = run_once(config, engine, only)
    stamped = stamp_days_or_error(config, engine) if report.render is not None else []
    if not isinstance(stamped, list):
        report.errors.append(stamped)
    print_summary(report, console)
    if isinstance(stamped, list) and stamped:
        say(console, stamped_line(stamped))
    published_failed = publish and publish_and_report(config, engine)
    notify_failed = notify_and_report(config, engine, console)  # last: the archived links are published by now
    witness_failed = witness_and_report(config, engine, console)
    sys.exit(1 if report.failed or published_failed or notify_failed or witness_failed else 0)
