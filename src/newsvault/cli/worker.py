"""`newsvault worker`: polling from many machines through the PostgreSQL store."""

from __future__ import annotations

import logging
import sys

import click

from .context import Context, require_enabled
from .terminal import visible, visible_lines


class _VisibleFormatter(logging.Formatter):
    """Worker logs carry feed problems (titles, links, servers' words): escaped like every other output.

    The message stays one line; a traceback after it keeps its lines.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:
        return visible(super().formatMessage(record))

    def format(self, record: logging.LogRecord) -> str:
        return visible_lines(super().format(record))


@click.command("worker")
@click.option("--once", is_flag=True, help="Process everything due (starting a round if one is due), then exit.")
@click.option(
    "--every",
    type=click.FloatRange(min=0),
    default=3600,
    show_default=True,
    metavar="SECONDS",
    help="Start a round (every enabled source polled once) when the last began this long ago.",
)
@click.option(
    "--lease",
    type=click.FloatRange(min=1),
    default=30,
    show_default=True,
    metavar="SECONDS",
    help="A worker silent this long has died: its jobs go back to the queue.",
)
@click.option(
    "--concurrency", type=click.IntRange(min=1), default=20, show_default=True, help="Jobs at once in this process."
)
@click.option("--tree", is_flag=True, help="Also mirror images: run it on the machine that holds the archive tree.")
@click.pass_obj
def command(
    obj: Context,
    once: bool,
    every: float,
    lease: float,
    concurrency: int,
    tree: bool,
) -> None:
    """Poll sources with any number of workers on any machines, through the PostgreSQL store.

    Rendering and publishing are not done here: run `newsvault render` and
    `newsvault publish` (or `run --publish`) on the machine holding the tree.
    """
    from rich.console import Console

    from newsvault.base.clock import CHINA_LABEL, china_minute
    from newsvault.workers import NEED_POSTGRES, WorkerOptions, work

    from .report import print_summary

    config = obj.config()
    if not config.store_url.startswith("postgresql"):
        raise click.ClickException(NEED_POSTGRES)  # checked before opening: no SQLite file made for nothing
    require_enabled(config)
    handler = logging.StreamHandler()
    handler.setFormatter(_VisibleFormatter("%(asctime)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    done = work(
        config,
        obj.engine(config),
        WorkerOptions(once=once, every=every, lease=lease, concurrency=concurrency, tree=tree),
    )
    if done is None:
        return
    if done.round_ms is None:  # another worker's config enabled nothing, or the store was emptied meanwhile
        raise click.ClickException("no round was ever started in this store")
    when = f"{china_minute(done.round_ms)} ({CHINA_LABEL})"
    if done.started:
        click.echo(f"worker: round of {when} started and done")
    else:
        click.echo(f"worker: no round due (one every {every:g} s); the round of {when} is done")
    print_summary(done.run, Console())
    sys.exit(1 if done.run.failed else 0)
