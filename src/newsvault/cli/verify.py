"""`newsvault verify`: whether the store and the published tree agree."""

from __future__ import annotations

import sys

import click

from newsvault.render.verify import verify as verify_tree

from .context import Context
from .terminal import visible


@click.command("verify")
@click.pass_obj
def command(obj: Context) -> None:
    """Check that the store and the published tree agree; exit 1 on any problem."""
    config = obj.config()
    problems = 0
    for problem in verify_tree(obj.engine(config), config):
        problems += 1
        click.echo(visible(str(problem)))
    click.echo(f"verify: {problems} problem(s) in {config.archive}")
    sys.exit(1 if problems else 0)
