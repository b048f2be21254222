"""`newsvault reextract`: a source's stored pages extracted again after its rule changed."""

from __future__ import annotations

import click

from newsvault.base.clock import now_ms

from .context import Context
from .terminal import visible


@click.command("reextract")
@click.option("--source", "abbr", required=True, metavar="ABBR", help="The source whose pages to extract again.")
@click.pass_obj
def command(obj: Context, abbr: str) -> None:
    """Re-run extraction over stored page captures (after a rule changed), then render."""
    from newsvault.render.tree import render_tree
    from newsvault.schedule.reextract import reextract

    config = obj.config()
    if abbr not in config.sources:
        raise click.BadParameter(f"no source {abbr!r} in the vault", param_hint="--source")
    engine = obj.engine(config)
    try:
        report = reextract(engine, config.sources[abbr], now_ms())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    stats = render_tree(engine, config)
    for problem in report.problems:
        click.echo(visible(f"{abbr}: {problem}"))
    click.echo(
        f"reextract {abbr}: {report.checked} page(s) extracted again, {report.changed} body(ies) changed, "
        f"{stats.written} file(s) written"
    )
