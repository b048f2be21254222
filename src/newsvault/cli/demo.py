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
    from newsvault.demo import run_demo

    sys.exit(run_demo(directory, Console()))
