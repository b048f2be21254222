"""`bundle`: selected articles as one HTML file (or an EPUB) to pass along through any channel."""

from __future__ import annotations

from pathlib import Path

import click

from newsvault.base.files import write_atomic

from .context import Context, require_known, since_ms


@click.command("bundle")
@click.option(
    "--since", "since", required=True, metavar="YYYY-MM-DD", help="Articles dated on or after this day (China time)."
)
@click.option("--source", "abbrs", multiple=True, metavar="ABBR", help="Only this outlet (repeatable).")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False), help="The file to write.")
@click.option("--epub", is_flag=True, help="Write an EPUB instead of a single HTML file.")
@click.pass_obj
def command(obj: Context, since: str, abbrs: tuple[str, ...], out: Path, epub: bool) -> None:
    """One self-contained file of the articles since a day; mirrored images inlined."""
    from newsvault.render.site.bundle import epub_bundle, html_bundle

    start = since_ms(since)
    if not out.resolve().parent.is_dir():  # a typo in the path must not leave folders behind
        raise click.BadParameter(f"no folder {out.resolve().parent}", param_hint="--out")
    config = obj.config()
    engine = obj.engine(config)
    require_known(engine, config, abbrs)
    make = epub_bundle if epub else html_bundle
    data, count = make(engine, config, start, abbrs, since)
    if not count:
        raise click.ClickException(f"no articles since {since}" + (f" from {', '.join(abbrs)}" if abbrs else ""))
    write_atomic(out.resolve(), data)
    click.echo(f"bundle: {count} article(s) into {out} ({len(data)} bytes)")
