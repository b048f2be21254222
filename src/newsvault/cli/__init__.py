"""The `newsvault` command: thin, every command calls the packages.

Each command lives in the module named after it (`-` as `_`, `import` as
`import_`) and is that module's `command`. A module is imported only when its
command runs (or for --help): `newsvault --version` or a cron `run` need not
load the site builder, search or the worker queue. The other modules here are
what commands share: `context` (the vault and its store), `report` (what a run
prints), `terminal` (untrusted text made harmless) and `pipe` (a closed
stdout ends the output quietly).
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import click

from newsvault import __version__

from .context import Context

SHARED = frozenset({"context", "pipe", "report", "terminal"})  # modules that are not commands

# command name -> module name, from the modules' names
COMMANDS = {
    module.name.rstrip("_").replace("_", "-"): module.name
    for module in pkgutil.iter_modules(__path__)
    if module.name not in SHARED
}


def vault_first(args: list[str]) -> list[str]:
    """`newsvault run --vault v` as `newsvault --vault v run`: people type the folder where they think of it.

    Only `--vault` is moved (it is the group's one option with a value, and no
    command has an option of that name); nothing after `--` is touched.
    """
    at = 0
    while at < len(args) and args[at].startswith("-"):  # the group's own options, before the command
        at += 2 if args[at] == "--vault" else 1
    head, rest, moved = args[: at + 1], args[at + 1 :], []
    kept: list[str] = []
    i = 0
    while i < len(rest):
        if rest[i] == "--":
            kept += rest[i:]
            break
        if rest[i] == "--vault" and i + 1 < len(rest):
            moved += rest[i : i + 2]
            i += 2
            continue
        if rest[i].startswith("--vault="):
            moved.append(rest[i])
        else:
            kept.append(rest[i])
        i += 1
    return moved + head + kept


class LazyGroup(click.Group):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, vault_first(args))

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
    from .pipe import quiet_when_closed

    quiet_when_closed()
    cli()
