"""`newsvault copy-store`: the store copied into another database, then checked."""

from __future__ import annotations

import click

from .context import Context


@click.command("copy-store")
@click.option(
    "--to",
    "target_url",
    required=True,
    metavar="URL",
    help="The empty store to copy into: postgresql://user@host/db or sqlite:////path/vault.sqlite.",
)
@click.pass_obj
def command(obj: Context, target_url: str) -> None:
    """Copy the vault's store into another database (SQLite ⇄ PostgreSQL), then check counts and hashes.

    The target must be empty; the vault keeps using its store until [store] url
    in vault.toml names the copy. The search index is rebuilt on the target.
    """
    from newsvault.search import update_index
    from newsvault.store.copy import CopyError, copy_store
    from newsvault.store.engine import shown_url

    from .context import open_checked

    config = obj.config()
    source = obj.engine(config)
    target = open_checked(target_url)
    try:
        report = copy_store(source, target)
    except CopyError as exc:
        raise click.ClickException(str(exc)) from None
    for table in report.tables:
        click.echo(f"{table.name}: {table.rows} row(s), sha256 {table.sha256[:16]}… matches")
    update_index(target)
    click.echo(
        f"copied {report.rows} row(s) to {shown_url(target_url)}; "
        f"to use it, set [store] url in {config.vault / 'vault.toml'}"
    )
