"""`newsvault migrate`: the store's schema brought up to date (SQLite or PostgreSQL)."""

from __future__ import annotations

import click

from .context import Context


@click.command("migrate")
@click.pass_obj
def command(obj: Context) -> None:
    """Bring the configured store's schema up to date (SQLite or PostgreSQL)."""
    from newsvault.store import is_current, migrate
    from newsvault.store.engine import shown_url

    config = obj.config()
    engine = obj.engine(config, upgrade=False)
    where = shown_url(config.store_url)
    if is_current(engine):
        click.echo(f"{where}: schema up to date")
    else:
        migrate(engine)
        click.echo(f"{where}: migrated")
    if engine.dialect.name == "postgresql":
        from newsvault.workers import install

        if install(engine):
            click.echo("job queue (procrastinate) tables created")
