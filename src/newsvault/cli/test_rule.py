"""`newsvault test-rule`: what a source's page rule would archive, before a run stores it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

import click

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
def command(page: str, selector: str | None, as_json: bool) -> None:
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
