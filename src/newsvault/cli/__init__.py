"""The `newsvault` command: thin, every command calls the packages.

Each command lives in the module named after it (`-` as `_`, `import` as
`import_`) and is that module's `command`. A module is imported only when its
command runs (or for --help): `newsvault --version` or a cron `run` need not
load the site builder, search or the worker queue. The other modules here are
what commands share: `context` (the vault and its store), `report` (what a run
prints) and `terminal` (untrusted text made harmless).
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import click

from newsvault import __version__

from .context import Context

SHARED = frozenset({"context", "report", "terminal"})  # modules that are not commands

# command name -> module name, from the modules' names
COMMANDS = {
    module.name.rstrip("_").replace("_", "-"): module.name
    for module in pkgutil.iter_modules(__path__)
    if module.name not in SHARED
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        command: click.Command = importlib.import_module(f".{COMMANDS[cmd_name]}", __package__).command
        return command


@click.group(cls=LazyGroup)
@click.option(
    "--vault",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    help="The vault folder (holding vault.toml).",
)
@click.version_option(__version__)
@click.pass_context
def cli(ctx: click.Context, vault: Path) -> None:
    """Archive Chinese-language news that censors block or delete."""
    ctx.obj = Context(vault)


def main() -> None:
    cli()
