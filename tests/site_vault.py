"""A vault with everything the static site shows: two outlets, two months, an edit, a deletion,
a hostile article, a Traditional one and a mirrored image (built against the tests' HTTP server)."""

from __future__ import annotations

import asyncio
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from newsvault.fetch import Fetcher
from newsvault.render.tree import render_tree
from newsvault.schedule import run_once
from newsvault.schedule.recheck import recheck_source
from tests.vaults import open_vault, rss, rss_item, write_vault

XSS_TITLE = '<script>alert("t")</script>标题<img src=x onerror=alert(1)>'
XSS_BODY = (
    '<p onclick="alert(2)">正文<script>alert(3)</script></p><a href="javascript:alert(4)">链接</a>'
    '<iframe src="https://evil.example/"></iframe><svg onload="alert(5)"></svg>'
)


def png() -> bytes:
    """A valid 1×1 PNG: the mirror checks magic numbers."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xcc\x33\x33"))
        + chunk(b"IEND", b"")
    )


def build(tmp_path: Path, server, **site: str):  # type: ignore[no-untyped-def]
    """Run the pipeline twice (an edit between) and re-check one article as gone; (config, engine)."""
    image = server.set("/img/a.png", png(), headers={"Content-Type": "image/png"})
    gone = server.set("/voa/gone.html", "<html><body>正文</body></html>")
    for path in ("/voa/1", "/voa/xss", "/voa/old"):
        server.set(path, "<html><body>正文</body></html>")
    voa = [
        rss_item(
            "习近平会见外宾",
            server.url("/voa/1"),
            "Wed, 01 May 2024 12:00:00 GMT",
            "<p>这是五月的一篇报道，国家主席说了一些话。</p>" * 3,
        ),
        rss_item(XSS_TITLE, server.url("/voa/xss"), "Thu, 02 May 2024 12:00:00 GMT", XSS_BODY),
        rss_item("将被删除的文章", gone, "Fri, 03 May 2024 12:00:00 GMT", "<p>这篇文章之后会被删除。</p>"),
        rss_item("四月的旧闻", server.url("/voa/old"), "Mon, 15 Apr 2024 08:00:00 GMT", "<p>四月发生的事。</p>"),
    ]
    hk = [
        rss_item(
            "自由亞洲電台報導：這是繁體",
            server.url("/hk/1"),
            "Wed, 01 May 2024 09:00:00 GMT",
            f'<p>這個國家的時間過得很快，記者說。</p><figure><img src="{image}" alt="圖片說明">'
            "<figcaption>圖說</figcaption></figure>",
        ),
    ]
    vault = write_vault(
        tmp_path,
        {
            "voa": {"feed": server.set("/voa.xml", rss(*voa))},
            "hk": {"name": "香港報導", "feed": server.set("/hk.xml", rss(*hk)), "images": "mirror"},
        },
    )
    if site:
        with (vault / "vault.toml").open("a", encoding="utf-8") as f:
            f.write("[site]\n" + "".join(f'{k} = "{v}"\n' for k, v in site.items()))
    config, engine = open_vault(vault)
    run_once(config, engine)
    voa[0] = rss_item(
        "习近平会见外宾（更新）",
        server.url("/voa/1"),
        "Wed, 01 May 2024 12:00:00 GMT",
        "<p>这是五月的一篇报道，国家主席说了另一番话。</p>" * 3,
    )
    server.set("/voa.xml", rss(*voa))
    run_once(config, engine)  # the edit, and the site sees the image mirrored by the first run
    server.set("/voa/gone.html", "gone", status=410)

    async def recheck() -> None:
        async with Fetcher(allow_private=True) as fetcher:
            await recheck_source(engine, config.sources["voa"], fetcher, config, 2**41, 50)

    asyncio.run(recheck())
    render_tree(engine, config)
    return config, engine


class Links(HTMLParser):
    """Every href and src of a page, and whether any script or event handler slipped through."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.scripts = 0
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag in ("script", "iframe", "object", "embed")
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"{tag} {name}")
            if name == "href" and value:
                self.hrefs.append(value)
            if name == "src" and value:
                self.srcs.append(value)


def links(page: Path) -> Links:
    parser = Links()
    parser.feed(page.read_text("utf-8"))
    return parser


def local_target(page: Path, href: str) -> Path | None:
    """The file a relative link points at; None for links leaving the site (http, mailto)."""
    parts = urlsplit(href)
    if parts.scheme or href.startswith("//"):
        return None
    return (page.parent / unquote(parts.path)).resolve() if parts.path else page


def page_of(site: Path, title: str) -> Path:
    """The article page whose heading is `title` (escaped as the page shows it)."""
    from markupsafe import escape

    found = [
        p
        for p in site.rglob("*.html")
        if not p.name.endswith(".versions.html")
        and f"<h1>{escape(title)}</h1>" in p.read_text("utf-8")
        and "<article" in p.read_text("utf-8")
    ]
    assert len(found) == 1, (title, found)
    return found[0]
