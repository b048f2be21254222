"""`newsvault search`: the stored articles that hold a word or phrase."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click
from rich.console import Console
from rich.text import Text

from .context import Context
from .terminal import json_line, plain, visible


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
