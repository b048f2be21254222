"""`newsvault render`: the archive tree written again from the store alone."""

from __future__ import annotations

import sys

import click

from .context import Context


@click.command("render")
@click.pass_obj
def command(obj: Context) -> None:
    """Rewrite the archive tree from the store alone, then stamp the days not stamped yet ([timestamps]).

    With workers polling the sources, the tree's machine runs `render` and
    `publish` on a schedule: this is where its days get their trusted timestamps.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from newsvault.render.tree import render_tree
    from newsvault.schedule import StepError

    from .report import stamp_days_or_error, stamped_line, step_error_text
    from .terminal import visible

    config = obj.config()
    engine = obj.engine(config)
    try:
        stats = render_tree(engine, config, full=True)
    except (OSError, SQLAlchemyError) as exc:  # as in `run`: one line, not a traceback
        click.echo(visible(step_error_text(StepError("render", exc, config.archive))))
        sys.exit(1)
    click.echo(f"render: {stats.checked} file(s) checked, {stats.written} written into {config.archive}")
    stamped = stamp_days_or_error(config, engine)
    if not isinstance(stamped, list):
        click.echo(visible(step_error_text(stamped)))
        sys.exit(1)
    if stamped:
        click.echo(stamped_line(stamped))
