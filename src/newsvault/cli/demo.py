"""`newsvault demo`: the whole job offline, on feeds served on 127.0.0.1."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console


@click.command("demo")
@click.argument("directory", type=click.Path(path_type=Path), default=Path("demo-vault"))
def command(directory: Path) -> None:
    """Archive feeds built from the real corpus, served on 127.0.0.1, into DIRECTORY."""
    from newsvault.demo import NotADemoVault, run_demo

    from .report import print_summary, progress_line
    from .terminal import visible

    console = Console()

    def serving(port: int, feeds: int) -> None:
        console.print(f"serving {feeds} feeds on 127.0.0.1:{port}; archiving into {directory}")

    try:
        demo = run_demo(directory, progress_line(console), serving)
    except NotADemoVault:
        raise click.ClickException(
            visible(
                f"{directory} is not a demo vault: the demo writes only into a new or empty folder, or its own; "
                "name another folder"
            )
        ) from None
    print_summary(demo.run, console)
    console.print(f"\n{len(demo.files)} files in {demo.archive}:", markup=False)
    for path in demo.files:
        console.print(f"  {path}", markup=False, highlight=False)
    console.print(f"\nstore: {demo.store_url}", markup=False)
    sys.exit(1 if demo.failed else 0)
