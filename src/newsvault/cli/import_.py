"""`newsvault import`: an existing archive tree into the store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from .context import Context
from .terminal import plain, visible

if TYPE_CHECKING:
    from newsvault.importer import ImportReport  # loaded only when `import` runs, like the command's own imports

_EXAMPLES = 3  # paths shown per kind of warning unless --verbose


@click.command("import")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--batch", "batch_files", type=click.IntRange(min=1), default=None, help="Files per transaction (default 2000)."
)
@click.option("-v", "--verbose", is_flag=True, help="List every warning, not just examples.")
@click.pass_obj
def command(obj: Context, path: Path, batch_files: int | None, verbose: bool) -> None:
    """Import the duty-machine archive tree at PATH (either layout, or both) into the store.

    Resumable: run it again after an interruption and it continues; running it on
    the same tree twice changes nothing. Exit 1 if a file could not be read.
    """
    from newsvault.importer import BATCH_FILES, import_tree
    from newsvault.importer.walk import count

    config = obj.config()
    engine = obj.engine(config)
    console = Console()
    options = {"batch_files": batch_files or BATCH_FILES}
    if console.is_terminal:
        columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("import", total=count(str(path)))
            report = import_tree(engine, config, path, progress=lambda n: bar.advance(task, n), **options)
    else:
        done = 0

        def line(n: int) -> None:
            nonlocal done
            done += n
            click.echo(f"import: {done} file(s)")

        report = import_tree(engine, config, path, progress=line, **options)
    _summary(console, report, verbose)
    if not (report.new or report.present or report.failed):
        raise click.ClickException(
            visible(
                f"no archive article in {path}: import reads a duty-machine tree "
                "(articles/<abbr>/<id>.md, or <outlet>/<id>_<title>.md from 2020)"
            )
        )
    click.echo(f"next: `newsvault --vault {obj.vault} render` writes the tree into {config.archive}")
    sys.exit(1 if report.failed else 0)


def _summary(console: Console, report: ImportReport, verbose: bool) -> None:
    table = Table(title=f"newsvault import: {report.files} file(s)")
    for column in ("outlet", "new", "already stored"):
        table.add_column(column, justify="left" if column == "outlet" else "right")
    for abbr in sorted(set(report.new) | set(report.present)):
        table.add_row(plain(f"{abbr} {report.names.get(abbr, '')}"), str(report.new[abbr]), str(report.present[abbr]))
    console.print(table)
    kept = ", ".join(f"{n} {kind}" for kind, n in sorted(report.kept.items())) or "none"
    _plain(console, f"kept as they are: {kept}; already stored: {report.kept_present}")
    _plain(console, f"2020 layout (<id>_<title>.md): {report.legacy} new file(s)")
    examples: dict[str, list[str]] = {}
    for rel, what in report.warnings:
        examples.setdefault(what, []).append(rel)
    for what, n in report.warning_counts.most_common():
        paths = examples.get(what, [])
        shown = paths if verbose else paths[:_EXAMPLES]
        _plain(console, f"warning: {what}: {n} file(s)" + ("" if verbose else f", e.g. {shown!r}"))
        if verbose:
            for rel in shown:
                _plain(console, f"  {rel!r}")
    if report.ignored:
        _plain(console, f"not part of the archive, ignored: {', '.join(sorted(report.ignored))}")
    for rel, error in report.failed:
        _plain(console, f"FAILED: {rel!r}: {error}")


def _plain(console: Console, text: str) -> None:
    """File names and errors come from the tree being imported: printed escaped, never as markup."""
    console.print(plain(text), soft_wrap=True)
