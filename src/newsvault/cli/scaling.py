"""`newsvault migrate`, `copy-store` and `worker`: moving a vault to PostgreSQL and polling from many machines."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import click

from .terminal import visible, visible_lines

if TYPE_CHECKING:
    from . import Context


class _VisibleFormatter(logging.Formatter):
    """Worker logs carry feed problems (titles, links, servers' words): escaped like every other output.

    The message stays one line; a traceback after it keeps its lines.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:
        return visible(super().formatMessage(record))

    def format(self, record: logging.LogRecord) -> str:
        return visible_lines(super().format(record))


@click.command("migrate")
@click.pass_obj
def migrate_command(obj: Context) -> None:
    """Bring the configured store's schema up to date (SQLite or PostgreSQL)."""
    from newsvault.store import is_current, migrate, open_store

    config = obj.config()
    engine = open_store(config.store_url, upgrade=False)
    if is_current(engine):
        click.echo(f"{engine.url.render_as_string()}: schema up to date")
    else:
        migrate(engine)
        click.echo(f"{engine.url.render_as_string()}: migrated")
    if engine.dialect.name == "postgresql":
        from newsvault.workers import install

        if install(engine):
            click.echo("job queue (procrastinate) tables created")


@click.command("copy-store")
@click.option(
    "--to",
    "target_url",
    required=True,
    metavar="URL",
    help="The empty store to copy into: postgresql://user@host/db or sqlite:////path/vault.sqlite.",
)
@click.pass_obj
def copy_store_command(obj: Context, target_url: str) -> None:
    """Copy the vault's store into another database (SQLite ⇄ PostgreSQL), then check counts and hashes.

    The target must be empty; the vault keeps using its store until [store] url
    in vault.toml names the copy. The search index is rebuilt on the target.
    """
    from newsvault.search import update_index
    from newsvault.store import open_store
    from newsvault.store.copy import CopyError, copy_store

    config = obj.config()
    source = obj.engine(config)
    target = open_store(target_url)
    try:
        report = copy_store(source, target)
    except CopyError as exc:
        raise click.ClickException(str(exc)) from None
    for table in report.tables:
        click.echo(f"{table.name}: {table.rows} row(s), sha256 {table.sha256[:16]}… matches")
    update_index(target)
    click.echo(
        f"copied {report.rows} row(s) to {target.url.render_as_string()}; "
        f"to use it, set [store] url in {config.vault / 'vault.toml'}"
    )


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
def worker_command(
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
