"""`newsvault publish` (commit and push the archive), and the publishing parts of `run` and `init`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsvault.cli import Context
from newsvault.config import Config

from .terminal import visible


def publish_and_report(config: Config) -> bool:
    """Publish the archive per vault.toml and print one line per remote; True if anything failed."""
    from newsvault.publish import publish_with

    report = publish_with(config.archive, config.publish)
    if report.error:
        click.echo(visible(f"publish: FAILED: {report.error}"))
        return True
    if report.commit is None:
        click.echo("publish: nothing changed, no commit")
    else:
        click.echo(visible(f"publish: committed {report.commit.sha[:7]}: {report.commit.message}"))
    if not config.publish.remotes:
        click.echo("publish: no [[publish.remote]] in vault.toml; committed locally only")
    for r in report.remotes:
        tries = f" after {r.attempts} attempts" if r.attempts > 1 else ""
        status = r.detail if r.ok else f"FAILED{tries}: {r.detail}"
        click.echo(visible(f"publish: {r.label} ({r.branch}): {status}"))  # git's and the remote's words
    return report.failed


@click.command("publish")
@click.pass_obj
def publish_command(obj: Context) -> None:
    """Commit the archive tree (only if it changed) and push it to every [[publish.remote]].

    Each remote is pulled with rebase first and never force-pushed; a failing
    remote does not stop the others. Exit 1 if any remote failed.
    """
    sys.exit(1 if publish_and_report(obj.config()) else 0)


def init_github_actions(directory: Path) -> None:
    """The `--github-actions` part of `newsvault init DIRECTORY`."""
    from newsvault.publish.actions import write_github_actions

    try:
        written, spec = write_github_actions(directory)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {', '.join(str(p) for p in written)}; see docs/PUBLISH.md before pushing it to GitHub")
    click.echo(f"the workflow installs {spec} (repository variable NEWSVAULT_INSTALL overrides it)")
