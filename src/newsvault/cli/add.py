"""`newsvault add URL`: a feed, or a site whose feed is found, checked once and written into vault.toml."""

from __future__ import annotations

import asyncio
from contextlib import nullcontext

import click
from rich.console import Console

from .context import Context
from .terminal import plain, visible


@click.command("add")
@click.argument("url")
@click.option("--name", help="The list name (lists/<name>.md); default: the feed's title.")
@click.option("--abbr", help="The archive folder (articles/<abbr>/); default: from the URL's host, made unique.")
@click.option("--category", help="A folder for feed readers (export-opml nests the outlet in it).")
@click.pass_obj
def command(obj: Context, url: str, name: str | None, abbr: str | None, category: str | None) -> None:
    """Add a source by its feed URL or its site's URL; refused, with nothing written, if it is no new feed."""
    from newsvault.config import ConfigError
    from newsvault.config.edit import VaultEditor
    from newsvault.subscribe import Refused, Subscriptions, Wanted, find_feeds

    try:
        editor = VaultEditor(obj.vault)
    except ConfigError as exc:
        raise click.ClickException(visible(str(exc))) from None
    subscriptions = Subscriptions(editor)
    url = url.strip()
    if "://" not in url:  # "example.org", as people type it into a feed reader
        url = f"https://{url}"
    wanted = Wanted(url, name=name, abbr=abbr, category=category)
    try:
        subscriptions.known(wanted)
        console = Console(stderr=True)
        with console.status(plain(f"checking {wanted.url}…")) if console.is_terminal else nullcontext():
            (found,) = asyncio.run(find_feeds(editor.config.fetch, [wanted.url]))
        if isinstance(found, Refused):
            raise found
        added = subscriptions.add(wanted, found)
        editor.save()
    except Refused as exc:
        raise click.ClickException(visible(f"not added: {exc.problem}")) from None
    except ConfigError as exc:
        raise click.ClickException(visible(f"not added: {exc}")) from None
    via = f", found on {added.page}" if added.page else ""
    click.echo(visible(f"added [sources.{added.abbr}] {added.name}: {added.feed} ({added.items} item(s){via})"))
    if added.problem:
        click.echo(visible(f"    note: the feed is malformed, a run recovers what it can: {added.problem}"))
    if added.builtin:
        click.echo(f"    note: {added.abbr} is a built-in outlet: its other settings come from the catalogue")
    click.echo(f"written to {editor.path}; the next `run` polls it")
