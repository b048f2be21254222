"""Building vaults and feeds for pipeline tests."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from xml.sax.saxutils import escape

from newsvault.config import VAULT_FILE, load
from newsvault.store import open_store
from tests.support import pgstore


def write_vault(
    directory: Path,
    sources: dict[str, dict[str, object]],
    *,
    timeout: float = 3.0,
    max_bytes: int | None = None,
    archive: dict[str, bool] | None = None,
    fetch: dict[str, int | float] | None = None,
) -> Path:
    """A vault.toml whose sources point at test servers; retries off so failures are quick.

    With --store=postgresql (see conftest) the vault gets a fresh PostgreSQL database.
    """
    lines = []
    if pgstore.server():
        lines += ["[store]", f'url = "{_database_of(directory)}"', ""]
    lines += ["[fetch]", f"timeout = {timeout}", "retries = 0", "allow_private = true"]
    if max_bytes is not None:
        lines.append(f"max_bytes = {max_bytes}")
    lines += [f"{key} = {value}" for key, value in (fetch or {}).items()]
    lines.append("")
    if archive:
        lines += ["[archive]", *(f"{key} = {'true' if on else 'false'}" for key, on in archive.items()), ""]
    for abbr, keys in sources.items():
        lines.append(f"[sources.{abbr}]")
        for key, value in keys.items():
            rendered = ("true" if value else "false") if isinstance(value, bool) else f'"{value}"'
            lines.append(f"{key} = {rendered}")
        lines.append("")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / VAULT_FILE).write_text("\n".join(lines), "utf-8")
    return directory


def _database_of(directory: Path) -> str:
    """The vault's database: the one it has when vault.toml is rewritten, else a new one."""
    found = re.search(r'^url = "(postgresql://[^"]+)"', _read(directory / VAULT_FILE), re.M)
    return found.group(1) if found else pgstore.create_database()


def _read(path: Path) -> str:
    return path.read_text("utf-8") if path.exists() else ""


def open_vault(directory: Path):  # type: ignore[no-untyped-def]
    config = load(directory)
    return config, open_store(config.store_url)


def rss_item(
    title: str,
    link: str | None = None,
    date: str | None = None,
    description: str | None = None,
    guid: str | None = None,
    content: str | None = None,
    categories: tuple[str, ...] = (),
) -> str:
    parts = [f"<title>{escape(title)}</title>"]
    if link is not None:
        parts.append(f"<link>{escape(link)}</link>")
    if guid is not None:
        parts.append(f"<guid>{escape(guid)}</guid>")
    if date is not None:
        parts.append(f"<pubDate>{date}</pubDate>")
    parts += [f"<category>{escape(c)}</category>" for c in categories]
    if description is not None:
        parts.append(f"<description><![CDATA[{description}]]></description>")
    if content is not None:
        parts.append(f"<content:encoded><![CDATA[{content}]]></content:encoded>")
    return "<item>" + "".join(parts) + "</item>"


def rss(*items: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>'
        "<link>http://127.0.0.1/</link>" + "".join(items) + "</channel></rss>"
    ).encode("utf-8")


def tree(root: Path) -> dict[str, str]:
    """Every file under root with the sha256 of its bytes."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
