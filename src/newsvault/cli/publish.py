"""`newsvault publish`: commit the archive tree and push it."""

from __future__ import annotations

import sys

import click

from .context import Context
from .report import publish_and_report


@click.command("publish")
@click.pass_obj
def command(obj: Context) -> None:
    """Commit the archive tree (only if it changed) and push it to every [[publish.remote]].

    Each remote is pulled with rebase first and never force-pushed; a failing
    remote does not stop the others. With [[publish.evidence]], the captures
    stored since the last publish go out too, as WARC files (docs/EVIDENCE.md);
    with [[publish.site]], the static site's changed pages (docs/PUBLISH.md).
    Exit 1 if any remote failed.
    """
    config = obj.config()
    sys.exit(1 if publish_and_report(config, obj.engine(config)) else 0)
