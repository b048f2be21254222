"""Article bodies as the site, feeds and bundles show them: always through clean.display_html."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from html import escape
from typing import Any

from sqlalchemy import Connection, RowMapping

from newsvault.clean import display_html, image_urls, policy_for
from newsvault.config import Config
from newsvault.store.assets import mirrored_paths


def shown_body(
    conn: Connection,
    config: Config,
    abbr: str,
    row: RowMapping | Mapping[str, Any],
    asset_link: Callable[[str], str] | None,
) -> str:
    """Sanitised HTML of a stored article (or of an earlier version, given its article's link).

    `asset_link` turns a mirrored image's archive path into the link this
    output can reach (relative for pages, a data: URL for bundles); None keeps
    images where the body says (feeds without a base URL). An imported file
    whose body could not be read is shown as its text.
    """
    if row["body"] is None:
        return f"<pre>{escape(row['raw'].decode('utf-8', 'replace'))}</pre>" if row["raw"] is not None else ""
    policy = policy_for(config, abbr)
    assets = None
    if policy.mode == "mirror" and asset_link is not None:
        found = mirrored_paths(conn, image_urls(row["body"], row["link"]))
        assets = {url: link for url, path in found.items() if (link := asset_link(path))}
    return display_html(row["body"], row["link"], policy, assets)
