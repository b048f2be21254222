"""`newsvault migrate`: the store's schema brought up to date (SQLite or PostgreSQL)."""

from __future__ import annotations

import click

from .context import Context


@click.command("migrate")
@click.pass_obj
def command(obj: Context) -> None:
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
