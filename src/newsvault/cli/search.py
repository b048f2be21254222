"""`newsvault search`: the stored articles that hold a word or phrase."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from newsvault.store import fast

from .context import Context, refuse_unknown, require_known, since_ms
from .terminal import json_line, plain, visible

if TYPE_CHECKING:
    from rich.text import Text


@click.command("search")
@click.argument("query")
@click.option("--source", "abbr", metavar="ABBR", help="Only this outlet.")
@click.option(
    "--since",
    metavar="DATE",
    help="Only articles dated on or after DATE (YYYY-MM-DD, China time); undated ones are left out.",
)
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True, help="At most N hits; 0: all.")
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object per hit: abbr, id, title, link, date_ms, snippet, marks."
)
@click.pass_obj
def command(
    obj: Context,
    query: str,
    abbr: str | None,
    since: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Articles whose title or text holds QUERY (either script), title hits first, newest first.

    Every run of two or more Chinese characters is found wherever it occurs; words
    separated by spaces or punctuation must all occur. Dates are China time (UTC+8).
    Exit 1 when nothing is found.
    """
    from newsvault.base.clock import china_day
    from newsvault.search import Hit, phrases, ready, search

    if not phrases(query):
        raise click.BadParameter(f"nothing to search for in {query!r}: give a word or a phrase", param_hint="QUERY")
    start = None if since is None else since_ms(since)
    config = obj.config()
    abbrs = (abbr,) if abbr else ()
    hits: list[Hit] | None = None
    with fast.reading(config.store_url) as db:
        if db is not None and ready(db):  # a SQLite store with nothing to index: no SQLAlchemy (0.12–0.25 s)
            refuse_unknown(fast.source_names(db) | set(config.sources), abbrs)
            hits = search(db, query, source=abbr, since_ms=start, limit=limit or None)
    if hits is None:
        from newsvault.search import update_index

        engine = obj.engine(config)
        require_known(engine, config, abbrs)
        # Cheap when nothing changed; a store filled by an older version, or an index folder of an older
        # format, gets indexed here (and the person is told why it takes a while).
        update_index(engine, note=lambda why: click.echo(f"search: {why}", err=True))
        with engine.connect() as conn:
            hits = search(conn, query, source=abbr, since_ms=start, limit=limit or None)
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
    elif not sys.stdout.isatty():  # piped: one hit per line, never wrapped, as rich prints it without styles
        for hit in hits:
            day = "no date   " if hit.date_ms is None else china_day(hit.date_ms)
            out.write(f"{hit.abbr}/{hit.id}  {day}  {visible(hit.title)}\n    {visible(hit.snippet)}\n".encode())
        out.flush()
    else:  # rich (30–40 ms to import) only for a terminal, which shows the marks
        from rich.console import Console
        from rich.text import Text

        console = Console(highlight=False)
        for hit in hits:
            day = "no date   " if hit.date_ms is None else china_day(hit.date_ms)
            title = plain(f"{hit.abbr}/{hit.id}  {day}  ", style="dim") + _marked(hit.title, hit.title_marks)
            console.print(title, soft_wrap=True)
            console.print(Text("    ") + _marked(hit.snippet, hit.snippet_marks), soft_wrap=True)
    if not hits:
        where = (f" from {abbr}" if abbr else "") + (f" since {since}" if since else "")
        click.echo(visible(f"search: no article{where} holds {query!r}"), err=True)
    sys.exit(0 if hits else 1)


def _marked(value: str, marks: list[tuple[int, int]]) -> Text:
    from rich.text import Text

    from newsvault.search import highlighted

    out = Text()
    for part, hit in highlighted(value, marks):  # escaped piece by piece: the marks index the raw text
        out.append(visible(part), style="bold yellow" if hit else None)
    return out
