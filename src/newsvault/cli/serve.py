"""`newsvault serve`: the read-only web reader of the store."""

from __future__ import annotations

import gc

import click

from .context import Context


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port to listen on.")
@click.pass_obj
def command(obj: Context, host: str, port: int) -> None:
    """A read-only web reader of the store: outlets, search, articles, versions, health."""
    import uvicorn

    from newsvault.search import update_index
    from newsvault.web import create_app

    config = obj.config()
    engine = obj.engine(config)
    update_index(engine, note=lambda why: click.echo(f"serve: {why}", err=True))
    app = create_app(config, engine)
    # What the server made to start (the index's catch-up, templates, the schema) stays: out of the
    # collector's way, a full collection in the middle of a page walks only what pages made.
    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=host, port=port, log_level="info")
