"""`newsvault export-opml`: the vault's sources as an OPML 2.0 subscription list for any feed reader."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .context import Context


@click.command("export-opml")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write to FILE (default: stdout).")
@click.pass_obj
def command(obj: Context, out: Path | None) -> None:
    """Write every source of vault.toml as OPML 2.0: names, feeds, categories as folders, abbrs kept."""
    from newsvault.base.files import write_atomic
    from newsvault.subscribe import format_opml

    config = obj.config()
    data = format_opml(config.sources.values())
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    write_atomic(out, data)
    click.echo(f"wrote {len(config.sources)} source(s) to {out}", err=True)
