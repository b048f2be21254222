"""`newsvault reindex`: the search index built again."""

from __future__ import annotations

import click

from .context import Context


@click.command("reindex")
@click.pass_obj
def command(obj: Context) -> None:
    """Build the search index again from every stored article."""
    from newsvault.search import rebuild_index

    config = obj.config()
    click.echo(f"reindex: {rebuild_index(obj.engine(config))} article(s) indexed")
