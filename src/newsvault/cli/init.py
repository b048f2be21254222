"""`newsvault init`: a new vault with the nine outlets of the original archive."""

from __future__ import annotations

from pathlib import Path

import click

from newsvault.config import VAULT_FILE, init_text


@click.command("init")
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
@click.option(
    "--site",
    is_flag=True,
    help="With --github-actions: also build the static site and publish it to the gh-pages branch, incrementally.",
)
def command(directory: Path, github_actions: bool, flat: bool, site: bool) -> None:
    """Create a vault in DIRECTORY with the nine outlets of the original archive."""
    if site and not github_actions:
        raise click.UsageError("--site goes with --github-actions (elsewhere the site is on by default)")
    target = directory / VAULT_FILE
    if target.exists():
        raise click.ClickException(f"{target} exists already; not overwriting it")
    directory.mkdir(parents=True, exist_ok=True)
    target.write_text(init_text(archive="." if github_actions else "archive", big_tree=not flat), "utf-8")
    click.echo(f"created {target}; run `newsvault --vault {directory} run`")
    if github_actions:
        _init_github_actions(directory, site)


def _init_github_actions(directory: Path, site: bool) -> None:
    """The `--github-actions` part: the workflow file, which makes the vault the published repository."""
    from newsvault.publish.actions import write_github_actions

    try:
        written, spec = write_github_actions(directory, site)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {', '.join(str(p) for p in written)}; see docs/PUBLISH.md before pushing it to GitHub")
    click.echo(f"the workflow installs {spec} (repository variable NEWSVAULT_INSTALL overrides it)")
