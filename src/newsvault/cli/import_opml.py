"""`newsvault import-opml FILE`: a feed reader's subscriptions added as `add` adds one, duplicates refused."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress

from .context import Context
from .terminal import visible


@click.command("import-opml")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--no-check",
    is_flag=True,
    help="Write the feeds without fetching them (a run reports the ones that fail).",
)
@click.pass_obj
def command(obj: Context, file: Path, no_check: bool) -> None:
    """Add each feed of an OPML file; each is fetched and parsed first unless --no-check. Exit 1 if any is refused.

    Outlets switched off in the file (newsvault's own export) are written switched off and not fetched.
    """
    from newsvault.config import ConfigError
    from newsvault.config.edit import VaultEditor
    from newsvault.subscribe import Found, OpmlError, Refused, Subscriptions, Wanted, find_feeds, read_opml

    try:
        listed = read_opml(file.read_bytes())
    except OpmlError as exc:
        raise click.ClickException(visible(f"{file}: {exc}")) from None
    try:
        editor = VaultEditor(obj.vault)
    except ConfigError as exc:
        raise click.ClickException(visible(str(exc))) from None
    subscriptions = Subscriptions(editor)
    wanted = [
        Wanted(f.url, abbr=f.abbr, title=f.title, category=f.category, enabled=f.enabled, settings=f.settings)
        for f in listed
    ]
    refused: list[Refused] = []
    fresh: list[Wanted] = []
    for w in wanted:
        try:
            subscriptions.known(w)
            fresh.append(w)
        except Refused as exc:
            refused.append(exc)
    checked = list(dict.fromkeys(w.url for w in fresh if w.enabled and not no_check))  # a URL listed twice: once
    results: dict[str, Found | Refused] = {}
    if checked:
        console = Console(stderr=True)
        with Progress(console=console, transient=True, disable=not console.is_terminal) as progress:
            task = progress.add_task(f"checking {len(checked)} feed(s)", total=len(checked))
            found = asyncio.run(find_feeds(editor.config.fetch, checked, lambda: progress.advance(task)))
        results = dict(zip(checked, found, strict=True))
    added = 0
    for w in fresh:
        result = results.get(w.url)
        try:
            if isinstance(result, Refused):
                raise result
            done = subscriptions.add(w, result)
            added += 1
            click.echo(visible(f"added [sources.{done.abbr}] {done.name}: {done.feed}"))
        except Refused as exc:
            refused.append(exc)
    try:
        editor.save()
    except ConfigError as exc:
        raise click.ClickException(visible(str(exc))) from None
    for refusal in refused:
        click.echo(visible(f"refused {refusal.problem}"))
    unchecked = " (not checked)" if no_check else ""
    click.echo(f"{file}: {len(listed)} feed(s): added {added}{unchecked}, refused {len(refused)}")
    sys.exit(1 if refused else 0)
