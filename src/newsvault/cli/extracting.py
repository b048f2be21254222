"""`newsvault test-rule`: what a source's page rule would archive, before a run stores it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

import click

from newsvault.base.clock import now_ms
from newsvault.cli import Context
from newsvault.extract import ExtractError, extract_page
from newsvault.fetch import Fetcher, FetchError, Request

from .terminal import json_line, visible, visible_lines


async def _download(url: str) -> tuple[bytes, Mapping[str, str], str]:
    """The page as a run would get it; the URL is the user's own, so it is trusted like a feed URL."""
    async with Fetcher() as fetcher:
        response = await fetcher.fetch(Request(url, retries=0))
    return response.body, dict(response.headers), response.url


def _read(page: str) -> tuple[bytes, Mapping[str, str], str | None]:
    if page.startswith(("http://", "https://")):
        try:
            return asyncio.run(_download(page))
        except FetchError as exc:
            raise click.ClickException(visible(f"cannot fetch {page}: {exc.reason}")) from None
    path = Path(page)
    if not path.is_file():
        raise click.BadParameter(f"{page!r} is neither a file nor an http(s) URL", param_hint="--page")
    return path.read_bytes(), {}, None


@click.command("test-rule")
@click.option("--page", "page", required=True, metavar="FILE_OR_URL", help="An article page: a saved file or a URL.")
@click.option("--selector", metavar="CSS", help='The body\'s CSS selector (body = "page"); automatic without it.')
@click.option("--json", "as_json", is_flag=True, help='Print one JSON object {"title", "text", "html", "images"}.')
def test_rule_command(page: str, selector: str | None, as_json: bool) -> None:
    """Show what would be archived from an article page: title, date, text length, images, text."""
    data, headers, url = _read(page)
    try:
        found = extract_page(data, headers, url, selector)
    except ExtractError as exc:
        raise click.ClickException(visible(str(exc))) from None
    if as_json:
        click.echo(json_line({"title": found.title, "text": found.text, "html": found.html, "images": found.images}))
        return
    click.echo(visible(f"title:  {found.title}"))
    click.echo(visible(f"date:   {found.date or '(none on the page)'}"))
    click.echo(f"text:   {sum(1 for ch in found.text if not ch.isspace())} characters")
    click.echo(f"images: {len(found.images)}")
    for image in found.images:
        click.echo(visible(f"  {image}"))
    click.echo("")
    click.echo(visible_lines(found.text))


@click.command("reextract")
@click.option("--source", "abbr", required=True, metavar="ABBR", help="The source whose pages to extract again.")
@click.pass_obj
def reextract_command(obj: Context, abbr: str) -> None:
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
