"""`newsvault demo`: the whole job offline, on feeds built from real archived articles.

The articles shipped here are real files of the original archive (final
format). Each outlet's feed is rebuilt from them in the shape that outlet's
feed has (description, content:encoded, guid links; CDT bodies on article
pages), served on 127.0.0.1, and archived like any other run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape

from newsvault.archive import ArticleFile, parse_article
from newsvault.config import VAULT_FILE, catalogue, load
from newsvault.schedule import RunReport, SourceResult, run_once
from newsvault.store import open_store

from .serve import DemoServer

CDT_POST_ID_XOR = 0xFFFFF
DEMO_MARK = "# newsvault demo vault: feeds served on 127.0.0.1 by `newsvault demo`"
DEMO_PORT = 48151  # fixed when free, so feed and page URLs stay the same from one demo run to the next


def _articles() -> dict[str, list[tuple[int, ArticleFile]]]:
    found: dict[str, list[tuple[int, ArticleFile]]] = {}
    root = resources.files(__package__) / "articles"
    for folder in root.iterdir():
        for file in folder.iterdir():
            if file.name.endswith(".md"):
                found.setdefault(folder.name, []).append((int(file.name[:-3]), parse_article(file.read_bytes())))
    return found


def _rss(title: str, items: list[str]) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<title>{escape(title)}</title><link>http://127.0.0.1/</link>{''.join(items)}</channel></rss>"
    ).encode()


def build_feeds(server: DemoServer) -> dict[str, str]:
    """Serve one feed per outlet (and CDT's pages); returns the feed URL of each outlet."""
    outlets = catalogue()
    urls: dict[str, str] = {}
    for abbr, files in _articles().items():
        source = outlets[abbr]
        items = []
        for archive_id, article in sorted(files, key=lambda f: f[0]):
            when = format_datetime(datetime.fromtimestamp((article.ms or 0) / 1000, UTC), usegmt=True)
            body = f"<![CDATA[{article.body}]]>"
            link, guid, extra = article.url, article.url, ""
            if source.body == "page":
                post = archive_id ^ CDT_POST_ID_XOR if archive_id else None
                link = server.set(
                    f"/cdt/{archive_id}.html",
                    f'<html><body><div class="post-content">{article.body}</div></body></html>',
                    "text/html; charset=utf-8",
                )
                guid = f"https://chinadigitaltimes.net/chinese/?p={post}" if post else link
                extra = "<category>【数字时代】</category>"
            if source.body == "content:encoded":
                content = f"<description>summary</description><content:encoded>{body}</content:encoded>"
            else:
                content = f"<description>{body}</description>"
            items.append(
                f"<item><title>{escape(article.title)}</title><link>{escape(link)}</link>"
                f"<guid>{escape(guid)}</guid><pubDate>{when}</pubDate>{extra}{content}</item>"
            )
        urls[abbr] = server.set(
            f"/feeds/{abbr}.xml",
            _rss(source.name, items),
            "application/rss+xml; charset=utf-8",
        )
    return urls


class NotADemoVault(Exception):
    """The folder holds something the demo did not make: a real vault, or anything else."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.directory = directory


def _refuse_foreign(directory: Path) -> None:
    """The demo writes only into a new or empty folder, or one an earlier demo made."""
    if not directory.exists():
        return
    if not directory.is_dir():
        raise NotADemoVault(directory)
    vault = directory / VAULT_FILE
    if vault.is_file():
        with vault.open("rb") as file:
            if file.readline().decode("utf-8", "replace").rstrip("\r\n") == DEMO_MARK:
                return
        raise NotADemoVault(directory)
    if any(directory.iterdir()):
        raise NotADemoVault(directory)


@dataclass(frozen=True)
class DemoReport:
    """What the demo did: the run's own report, and where everything is."""

    run: RunReport
    port: int  # the feeds were served on 127.0.0.1:port
    feeds: int
    archive: Path
    files: list[Path]  # the archive's Markdown files, relative to it, sorted
    store_url: str

    @property
    def failed(self) -> bool:
        return self.run.failed


def run_demo(
    directory: Path,
    progress: Callable[[SourceResult], None] | None = None,
    serving: Callable[[int, int], None] | None = None,
) -> DemoReport:
    """Serve the feeds, write a vault for them into `directory` and run it once.

    `progress` gets each source as it finishes; `serving` gets (port, feeds)
    once the feeds are served, before the run starts. Raises `NotADemoVault`,
    touching nothing, when `directory` holds anything but an earlier demo.
    """
    _refuse_foreign(directory)
    try:
        server = DemoServer(DEMO_PORT)
    except OSError:
        server = DemoServer()
    with server:
        urls = build_feeds(server)
        directory.mkdir(parents=True, exist_ok=True)
        lines = [
            DEMO_MARK,
            "",
            "[fetch]",
            "allow_private = true  # CDT pages are on 127.0.0.1 too",
            "",
        ]
        for abbr, url in urls.items():
            lines += [f"[sources.{abbr}]", f'feed = "{url}"', ""]
        (directory / VAULT_FILE).write_text("\n".join(lines), "utf-8")
        config = load(directory)
        if serving is not None:
            serving(server.port, len(urls))
        report = run_once(config, open_store(config.store_url), progress=progress)
    files = sorted(p.relative_to(config.archive) for p in config.archive.rglob("*.md"))
    return DemoReport(report, server.port, len(urls), config.archive, files, config.store_url)
