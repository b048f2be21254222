"""`newsvault worker`: polling from many machines through the PostgreSQL store."""

from __future__ import annotations

import logging

import click

from .context import Context
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
    from newsvault.workers import NEED_POSTGRES, WorkerOptions, work

    config = obj.config()
    if not config.store_url.startswith("postgresql"):
        raise click.ClickException(NEED_POSTGRES)  # checked before opening: no SQLite file made for nothing
    handler = logging.StreamHandler()
    handler.setFormatter(_VisibleFormatter("%(asctime)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    work(
        config,
        obj.engine(config),
        WorkerOptions(once=once, every=every, lease=lease, concurrency=concurrency, tree=tree),
    )
