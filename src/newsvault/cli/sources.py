"""`newsvault sources`: the outlets of vault.toml, each with its health from the store."""

from __future__ import annotations

import click

from .context import Context
from .terminal import json_line, visible


@click.command("sources")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source, its health included.")
@click.pass_obj
def command(obj: Context, as_json: bool) -> None:
    """List the sources of vault.toml with their health (as `status` judges it)."""
    from newsvault.health import source_health

    config = obj.config()
    engine = obj.engine(config)
    with engine.connect() as conn:
        health = {h.abbr: h for h in source_health(conn)}
    for source in config.sources.values():
        h = health.get(source.abbr)
        if as_json:
            click.echo(
                json_line(
                    {
                        "abbr": source.abbr,
                        "name": source.name,
                        "feed": source.feed,
                        "enabled": source.enabled,
                        "category": source.category,
                        "health": h.as_dict() if h else None,
                    }
                )
            )
            continue
        state = "" if source.enabled else "  (disabled)"
        folder = f"  [{source.category}]" if source.category else ""
        click.echo(visible(f"{source.abbr:<10} {source.name}{folder}{state}  {source.feed}"))
        if h is None:
            click.echo("    never polled")
            continue
        click.echo(visible(f"    {h.state().strip()}"))
        for flag in h.flags:
            click.echo(visible(f"    FLAG {flag}"))
    gone = sorted(set(health) - set(config.sources))
    if gone and not as_json:
        click.echo(visible(f"in the store but no longer in vault.toml: {', '.join(gone)}"))
