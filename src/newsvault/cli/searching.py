"""`newsvault search`, `reindex`, `serve` and `status`: finding and watching what the store holds."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.text import Text

from .terminal import json_line, plain, visible

if TYPE_CHECKING:
    from . import Context


def _since(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise click.BadParameter(f"expected YYYY-MM-DD, not {value!r}", param_hint="--since") from None
    return int(day.timestamp() * 1000)


@click.command("search")
@click.argument("query")
@click.option("--source", "abbr", metavar="ABBR", help="Only this outlet.")
@click.option("--since", metavar="DATE", help="Only articles dated on or after DATE (YYYY-MM-DD, UTC).")
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True, help="At most N hits; 0: all.")
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per hit: abbr, id, title, link, date_ms, snippet, marks."
)
@click.pass_obj
def search_command(
    obj: Context,
    query: str,
    abbr: str | None,
    since: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Articles whose title or text holds QUERY (either script), title hits first, newest first.

    Every run of two or more Chinese characters is found wherever it occurs; words
    separated by spaces or punctuation must all occur. Exit 1 when nothing is found.
    """
    from newsvault.search import search, update_index

    config = obj.config()
    engine = obj.engine(config)
    update_index(engine)  # cheap when nothing changed; a store filled by an older version gets indexed here
    with engine.connect() as conn:
        hits = search(conn, query, source=abbr, since_ms=_since(since), limit=limit or None)
    out = sys.stdout.buffer  # UTF-8 whatever the locale
    if as_json:
        for hit in hits:
            record = {
                "abbr": hit.abbr,
                "id": hit.id,
                "title": hit.title,
                "link": hit.link,
                "date_ms": hit.date_ms,
                "snippet": hit.snippet,
                "marks": hit.snippet_marks,
            }
            out.write(json_line(record).encode() + b"\n")
        out.flush()
    else:
        console = Console(highlight=False)
        for hit in hits:
            day = datetime.fromtimestamp(hit.date_ms / 1000, UTC).strftime("%Y-%m-%d")
            title = plain(f"{hit.abbr}/{hit.id}  {day}  ", style="dim") + _marked(hit.title, hit.title_marks)
            console.print(title, soft_wrap=True)
            console.print(Text("    ") + _marked(hit.snippet, hit.snippet_marks), soft_wrap=True)
    sys.exit(0 if hits else 1)


def _marked(value: str, marks: list[tuple[int, int]]) -> Text:
    from newsvault.search import highlighted

    out = Text()
    for part, hit in highlighted(value, marks):  # escaped piece by piece: the marks index the raw text
        out.append(visible(part), style="bold yellow" if hit else None)
    return out


@click.command("reindex")
@click.pass_obj
def reindex_command(obj: Context) -> None:
    """Build the search index again from every stored article."""
    from newsvault.search import rebuild_index

    config = obj.config()
    click.echo(f"reindex: {rebuild_index(obj.engine(config))} article(s) indexed")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8080, show_default=True)
@click.pass_obj
def serve_command(obj: Context, host: str, port: int) -> None:
    """A read-only web reader of the store: outlets, search, articles, versions, health."""
    import uvicorn

    from newsvault.search import update_index
    from newsvault.web import create_app

    config = obj.config()
    engine = obj.engine(config)
    update_index(engine)
    uvicorn.run(create_app(config, engine), host=host, port=port, log_level="info")


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="The health of every source as one JSON object.")
@click.pass_obj
def status_command(obj: Context, as_json: bool) -> None:
    """Health of every source; exit 1 when one is flagged (silent, failing, shrinking, dated ahead)."""
    from newsvault.health import source_health

    config = obj.config()
    engine = obj.engine(config)
    with engine.connect() as conn:
        report = source_health(conn)
    if as_json:
        click.echo(json_line([h.as_dict() for h in report]))
    else:
        for h in report:
            click.echo(visible(h.summary()))
            for flag in h.flags:
                click.echo(visible(f"    FLAG {flag}"))
    sys.exit(1 if any(h.flags for h in report) else 0)
