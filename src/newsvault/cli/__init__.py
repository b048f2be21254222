"""The `newsvault` command: thin, every command calls the packages."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from newsvault import __version__
from newsvault.config import VAULT_FILE, Config, ConfigError, init_text, load

if TYPE_CHECKING:
    from sqlalchemy import Engine

# Commands defined in their own modules, imported only when they run (or for --help):
# `newsvault --version` or a cron `run` need not load the site builder, search or the worker queue.
LAZY_COMMANDS = {
    "articles": ".importing:articles_command",
    "bundle": ".bundling:bundle_command",
    "copy-store": ".scaling:copy_store_command",
    "history": ".history:history",
    "import": ".importing:import_command",
    "migrate": ".scaling:migrate_command",
    "publish": ".publishing:publish_command",
    "reextract": ".extracting:reextract_command",
    "reindex": ".searching:reindex_command",
    "search": ".searching:search_command",
    "serve": ".searching:serve_command",
    "status": ".searching:status_command",
    "test-rule": ".extracting:test_rule_command",
    "verify": ".history:verify",
    "worker": ".scaling:worker_command",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS:
            module, _, name = LAZY_COMMANDS[cmd_name].partition(":")
            command: click.Command = getattr(importlib.import_module(module, __package__), name)
            return command
        return super().get_command(ctx, cmd_name)


class Context:
    def __init__(self, vault: Path) -> None:
        self.vault = vault

    def config(self) -> Config:
        try:
            return load(self.vault)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None

    def engine(self, config: Config) -> Engine:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import SQLAlchemyError

        from newsvault.store import open_store

        from .terminal import visible

        try:
            return open_store(config.store_url)
        except SQLAlchemyError as exc:  # a full or unreadable disk, a database that is down: one line
            where = make_url(config.store_url).render_as_string(hide_password=True)
            reason = getattr(exc, "orig", None) or exc  # the database's words, not SQLAlchemy's traceback hint
            raise click.ClickException(visible(f"cannot open the store {where}: {reason}")) from None


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


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--github-actions",
    is_flag=True,
    help="Also write an hourly GitHub Actions workflow; the vault becomes the published repository.",
)
@click.option(
    "--flat",
    is_flag=True,
    help="The original archive's layout (no month folders or monthly lists): to continue an imported tree.",
)
def init(directory: Path, github_actions: bool, flat: bool) -> None:
    """Create a vault in DIRECTORY with the nine outlets of the original archive."""
    target = directory / VAULT_FILE
    if target.exists():
        raise click.ClickException(f"{target} exists already; not overwriting it")
    directory.mkdir(parents=True, exist_ok=True)
    target.write_text(init_text(archive="." if github_actions else "archive", big_tree=not flat), "utf-8")
    click.echo(f"created {target}; run `newsvault --vault {directory} run`")
    if github_actions:
        from .publishing import init_github_actions

        init_github_actions(directory)


@cli.command()
@click.option("--only", multiple=True, metavar="ABBR", help="Poll only this source (repeatable).")
@click.option("--publish", is_flag=True, help="Then commit the archive and push it (as `newsvault publish`).")
@click.pass_obj
def run(obj: Context, only: tuple[str, ...], publish: bool) -> None:
    """One pass: fetch, parse, store, render (and publish). Exit 1 if any source or remote failed."""
    from newsvault.schedule import run_once

    from .publishing import publish_and_report
    from .report import print_summary, progress_line

    config = obj.config()
    unknown = [a for a in only if a not in config.sources]
    if unknown:
        raise click.BadParameter(f"no source {unknown[0]!r} in {config.vault / VAULT_FILE}", param_hint="--only")
    engine = obj.engine(config)
    console = Console(stderr=False)
    if console.is_terminal:
        with console.status(f"polling {len(config.enabled(only))} source(s)…"):
            report = run_once(config, engine, only, progress=progress_line(console))
    else:  # cron, CI: the summary alone, one plain line per source
        report = run_once(config, engine, only)
    print_summary(report, console)
    published_failed = publish and publish_and_report(config)
    sys.exit(1 if report.failed or published_failed else 0)


@cli.command()
@click.pass_obj
def render(obj: Context) -> None:
    """Rewrite the archive tree from the store alone."""
    from sqlalchemy.exc import SQLAlchemyError

    from newsvault.render.tree import render_tree
    from newsvault.schedule import StepError

    from .report import step_error_text
    from .terminal import visible

    config = obj.config()
    try:
        stats = render_tree(obj.engine(config), config, full=True)
    except (OSError, SQLAlchemyError) as exc:  # as in `run`: one line, not a traceback
        click.echo(visible(step_error_text(StepError("render", exc, config.archive))))
        sys.exit(1)
    click.echo(f"render: {stats.checked} file(s) checked, {stats.written} written into {config.archive}")


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path), default=Path("demo-vault"))
def demo(directory: Path) -> None:
    """Archive feeds built from the real corpus, served on 127.0.0.1, into DIRECTORY."""
    from newsvault.demo import run_demo

    sys.exit(run_demo(directory, Console()))


def main() -> None:
    cli()
