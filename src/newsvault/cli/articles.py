"""`newsvault articles`: what the store holds, by outlet, newest first."""

from __future__ import annotations

import sys

import click

from .context import Context
from .terminal import json_line, visible


@click.command("articles")
@click.option("--source", "abbr", metavar="ABBR", help="Only this outlet.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def command(obj: Context, abbr: str | None, as_json: bool) -> None:
    """List the stored articles, by outlet, newest first.

    With --json each line has abbr, id, path, title, link and date_ms (null when
    the file has no date line), with title and link as written in the file.
    """
    from newsvault.archive import article_path
    from newsvault.importer import written_link
    from newsvault.store import imports as store_imports
    from newsvault.store import sources as store_sources

    config = obj.config()
    engine = obj.engine(config)
    out = sys.stdout.buffer  # UTF-8 whatever the locale: titles are Chinese
    with engine.connect() as conn:
        if abbr is not None and abbr not in {r["abbr"] for r in store_sources.all_sources(conn)}:
            raise click.BadParameter(f"no source {abbr!r} in the store", param_hint="--source")
        for row in store_imports.listing(conn, abbr):
            path = article_path(row["source"], row["archive_id"], row["path"], row["shard"])
            # The stored link is the canonical one that feeds are matched by; a file kept
            # byte for byte may spell it otherwise.
            link = row["link"] if row["raw"] is None else written_link(row["raw"])
            if as_json:
                record = {
                    "abbr": row["source"],
                    "id": row["archive_id"],
                    "path": path,
                    "title": row["title"],
                    "link": link,
                    "date_ms": row["date_ms"],
                }
                out.write(json_line(record).encode("utf-8") + b"\n")
            else:  # a title's lines joined by spaces, as a list line shows it; then nothing raw, no tab
                title = visible(" ".join(row["title"].splitlines()))
                out.write(f"{visible(path)}\t{title}\n".encode())
    out.flush()
