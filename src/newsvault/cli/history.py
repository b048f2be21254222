"""`newsvault history`: what the store knows of an article's life."""

from __future__ import annotations

import itertools

import click

from newsvault.archive import archive_id_of
from newsvault.base.clock import CHINA_LABEL, china_minute
from newsvault.base.plaintext import plain_text
from newsvault.base.textdiff import char_diff
from newsvault.store import articles, outbox, statuses, versions

from .context import Context
from .terminal import json_line, visible, visible_lines


def _when(ms: int) -> str:
    return f"{china_minute(ms)} {CHINA_LABEL}"


@click.command("history")
@click.argument("article", metavar="ABBR/ID")
@click.option("--diff", "show_diff", is_flag=True, help="Show what changed between versions, character by character.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: versions and status changes.")
@click.pass_obj
def command(obj: Context, article: str, show_diff: bool, as_json: bool) -> None:
    """Versions and status changes of one article, e.g. `history voa/1048573`."""
    abbr, _, number = article.partition("/")
    archive_id = archive_id_of(number.removesuffix(".md"))
    if archive_id is None:
        raise click.BadParameter("expected ABBR/ID, e.g. voa/1048573", param_hint="ABBR/ID")
    config = obj.config()
    engine = obj.engine(config)
    with engine.connect() as conn:
        row = articles.by_archive_id(conn, abbr, archive_id)
        if row is None:
            raise click.ClickException(f"no article {abbr}/{number} in the store")
        kept = versions.history(conn, row["id"])
        changes = statuses.history(conn, row["id"])
        witnessed = outbox.snapshots(conn, row["id"])  # third-party captures (docs/EVIDENCE.md)
    if as_json:
        click.echo(
            json_line(
                {
                    "versions": [
                        {"n": v["n"], "seen_ms": v["seen_ms"], "title": v["title"], "sha256": v["sha256"]} for v in kept
                    ],
                    "status": [
                        {"status": s["status"], "seen_ms": s["seen_ms"], "detail": s["detail"]} for s in changes
                    ],
                    "witnesses": [
                        {"event": w["event"], "taken_ms": w["posted_ms"], "snapshot_url": w["snapshot_url"]}
                        for w in witnessed
                    ],
                }
            )
        )
        return
    click.echo(visible(f"{abbr}/{row['archive_id']}: {row['title']}"))
    click.echo(visible(row["link"]))
    for v in kept:
        click.echo(visible(f"  version {v['n']}  {_when(v['seen_ms'])}  {v['sha256'][:12]}  {v['title']}"))
    for s in changes:
        click.echo(visible(f"  {s['status']:<11} {_when(s['seen_ms'])}" + (f"  {s['detail']}" if s["detail"] else "")))
    for w in witnessed:  # 第三方存档: a capture by the Wayback Machine when the event was noticed
        click.echo(visible(f"  第三方存档 {_when(w['posted_ms'])}  {w['event']}  {w['snapshot_url']}"))
    if show_diff:
        for before, after in itertools.pairwise(kept):
            click.echo(f"\n--- version {before['n']}  +++ version {after['n']}")
            if before["title"] != after["title"]:
                click.echo(visible("title: " + char_diff(before["title"], after["title"])))
            click.echo(visible_lines(char_diff(plain_text(before["body"]), plain_text(after["body"]))))
