"""`newsvault export-warc`: the store's captures as one WARC 1.1 file (docs/EVIDENCE.md)."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import click
from rich.console import Console
from sqlalchemy import RowMapping

from .context import Context, require_known, since_ms
from .report import say

DAY_MS = 86_400_000


@click.command("export-warc")
@click.option("--since", "since", metavar="DATE", help="Captures fetched on or after this day (YYYY-MM-DD, UTC+8).")
@click.option("--until", "until", metavar="DATE", help="Captures fetched on or before this day (YYYY-MM-DD, UTC+8).")
@click.option("--outlet", metavar="ABBR", help="Only this outlet's captures (its feeds, pages and notices).")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write (FILE.warc.gz); it appears only when complete.",
)
@click.pass_obj
def command(obj: Context, since: str | None, until: str | None, outlet: str | None, out: Path) -> None:
    """Write every capture (feed documents and article pages) as WARC request and response records.

    The bytes each outlet served, with the status, headers and time the store
    kept and their sha256 payload digests, in the format web archives replay
    (pywb, Webrecorder) and `warcio check` verifies; a deletion notice served
    again for another article, as a revisit record.
    """
    from newsvault.base.files import atomic_file
    from newsvault.publish.warc import WarcCounts, is_revisit, write_warc
    from newsvault.store import captures, statuses

    config = obj.config()
    engine = obj.engine(config)
    if outlet is not None:
        require_known(engine, config, (outlet,), "--outlet")
    start = since_ms(since) if since else None
    end = since_ms(until, "--until") + DAY_MS if until else None
    per_outlet: Counter[str] = Counter()
    console = Console(stderr=True)

    def counted(rows: Iterator[RowMapping]) -> Iterator[RowMapping]:
        for row in rows:
            if not is_revisit(row):  # revisits are counted apart, in the last line
                per_outlet[row["outlet"] or "(no outlet)"] += 1
            yield row

    with engine.connect() as conn:
        rows = itertools.chain(
            captures.for_export(conn, since_ms=start, until_ms=end, outlet=outlet),
            statuses.revisits(conn, since_ms=start, until_ms=end, outlet=outlet),
        )
        first = next(rows, None)
        if first is None:
            click.echo("export-warc: no capture in that range; nothing written")
            return

        def all_rows() -> Iterator[RowMapping]:
            yield first
            yield from rows

        with console.status("exporting captures…") as status, atomic_file(out) as pending:

            def show(c: WarcCounts) -> None:
                status.update(f"exporting captures… {c.captures} written, {c.payload_bytes / 1e6:.1f} MB")

            counts = write_warc(pending.out, counted(all_rows()), description="newsvault export-warc", progress=show)
    for abbr, n in sorted(per_outlet.items()):
        say(Console(), f"{abbr}: {n} capture(s)")
    revisits = f", {counts.revisits} revisit(s)" if counts.revisits else ""
    click.echo(
        f"export-warc: {counts.captures} capture(s){revisits}, {counts.records} record(s), "
        f"{counts.payload_bytes / 1e6:.1f} MB of payload → {out}"
    )
