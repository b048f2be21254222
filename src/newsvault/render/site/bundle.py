"""Bundles: the selected articles as one file that can be passed along through any channel.

The HTML bundle is a single page: CSS inline, mirrored images inlined as data:
URLs, other images left pointing where the body says. The EPUB carries its
mirrored images as files and turns other images into links, since readers
may not fetch remote images. Both hold every article in memory: a bundle is
meant to be read, days of news rather than the archive.
"""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import lxml.html
from lxml import etree
from markupsafe import Markup
from sqlalchemy import Engine

from newsvault.base.clock import CHINA_LABEL, china_minute, now_ms
from newsvault.base.plaintext import fragment
from newsvault.config import Config
from newsvault.store import articles as store_articles
from newsvault.store import sources as store_sources

from .body import shown_body
from .lang import script_lang
from .pages import page, safe_link, stylesheet
from .paths import when

RASTER = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
}  # data: URLs the sanitiser lets through
MEDIA = {**RASTER, "svg": "image/svg+xml"}


@dataclass
class Chosen:
    anchor: str
    title: str
    name: str
    when: str
    lang: str
    original: str | None
    body: Markup


def _chosen(
    engine: Engine, config: Config, since_ms: int, abbrs: tuple[str, ...], asset_link: Callable[[str], str]
) -> list[Chosen]:
    with engine.connect() as conn, engine.connect() as look:
        names = {s["abbr"]: s["name"] for s in store_sources.all_sources(look)}
        names.update({abbr: s.name for abbr, s in config.sources.items()})
        return [
            Chosen(
                anchor=f"{r['source']}-{r['archive_id']}-{r['id']}",
                title=r["title"],
                name=names.get(r["source"], r["source"]),
                when=when(r["listed_ms"]),
                lang=script_lang(r["title"] + (r["body"] or "")),
                original=safe_link(r["link"]),
                body=Markup(shown_body(look, config, r["source"], r, asset_link)),
            )
            for r in store_articles.shown_since(conn, since_ms, abbrs)
        ]


def _title(since: str, abbrs: tuple[str, ...]) -> str:
    return f"新闻存档 {since} 起" + (f"（{'、'.join(abbrs)}）" if abbrs else "")


def html_bundle(engine: Engine, config: Config, since_ms: int, abbrs: tuple[str, ...], since: str) -> tuple[bytes, int]:
    """The bundle as one HTML page, and how many articles it holds."""

    def inline(asset: str) -> str:
        ext = asset.rsplit(".", 1)[-1]
        file = config.archive / asset
        if ext not in RASTER or not file.is_file():
            return ""  # not inlinable: the image stays at its original URL
        return f"data:{RASTER[ext]};base64,{base64.b64encode(file.read_bytes()).decode('ascii')}"

    chosen = _chosen(engine, config, since_ms, abbrs, inline)
    return page(
        "bundle.html.j2",
        "bundle.html",
        title=_title(since, abbrs),
        articles=chosen,
        made=f"{china_minute(now_ms())} ({CHINA_LABEL})",
        inline_css=Markup(stylesheet()),
    ), len(chosen)


def _xhtml_body(html: str) -> str:
    """Sanitised HTML as well-formed XHTML; remote images become links to them."""
    holder = fragment(html or "<p></p>")
    for img in list(holder.iter("img")):
        src = img.get("src", "")
        if src.startswith("http"):
            link = lxml.html.Element("a", href=src)
            alt = img.get("alt")
            link.text = f"[图片{'：' + alt if alt else ''}]"
            link.tail = img.tail
            parent = img.getparent()
            assert parent is not None  # every <img> here is below the holder <div>
            parent.replace(img, link)
    return escape(holder.text or "", quote=False) + "".join(
        etree.tostring(child, method="xml", encoding="unicode") for child in holder
    )


_CHAPTER = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="{lang}" xml:lang="{lang}">
<head><meta charset="utf-8"/><title>{title}</title><link rel="stylesheet" href="site.css"/></head>
<body><article><h1>{title}</h1><p class="meta">{meta}</p><div class="body">{body}</div></article></body>
</html>
"""


def epub_bundle(engine: Engine, config: Config, since_ms: int, abbrs: tuple[str, ...], since: str) -> tuple[bytes, int]:
    """The bundle as an EPUB 3 (mimetype stored first, as the format requires), and its article count."""
    images: dict[str, Path] = {}

    def packed(asset: str) -> str:
        name = asset.rsplit("/", 1)[-1]
        if name.rsplit(".", 1)[-1] not in RASTER or not (config.archive / asset).is_file():
            return ""
        images[name] = config.archive / asset
        return f"images/{name}"

    chosen = _chosen(engine, config, since_ms, abbrs, packed)
    title = _title(since, abbrs)
    uid = f"urn:newsvault:bundle:{since}:{','.join(abbrs) or 'all'}:{len(chosen)}"
    modified = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    chapters = [(f"a{i:05d}.xhtml", c) for i, c in enumerate(chosen, 1)]
    manifest = [
        '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>',
        '<item id="css" href="site.css" media-type="text/css"/>',
    ]
    manifest += [
        f'<item id="c{i}" href="{f}" media-type="application/xhtml+xml"/>' for i, (f, _) in enumerate(chapters, 1)
    ]
    manifest += [
        f'<item id="i{i}" href="images/{n}" media-type="{MEDIA[n.rsplit(".", 1)[-1]]}"/>'
        for i, n in enumerate(sorted(images), 1)
    ]
    spine = "".join(f'<itemref idref="c{i}"/>' for i in range(1, len(chapters) + 1))
    opf = f"""<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="uid" xml:lang="zh">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="uid">{escape(uid)}</dc:identifier><dc:title>{escape(title)}</dc:title><dc:language>zh</dc:language>
<dc:creator>newsvault</dc:creator><meta property="dcterms:modified">{modified}</meta>
</metadata>
<manifest>{"".join(manifest)}</manifest>
<spine>{spine}</spine>
</package>
"""
    toc = "".join(f'<li><a href="{f}">{escape(c.name)} · {escape(c.title)}</a></li>' for f, c in chapters)
    toc = toc or '<li><a href="nav.xhtml">（无文章）</a></li>'
    nav = f"""<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="zh" xml:lang="zh">
<head><meta charset="utf-8"/><title>{escape(title)}</title></head>
<body><nav epub:type="toc" id="toc"><h1>{escape(title)}</h1><ol>{toc}</ol></nav></body>
</html>
"""
    container = """<?xml version="1.0" encoding="utf-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>
"""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as epub:
        epub.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        deflated = {"compress_type": zipfile.ZIP_DEFLATED}
        epub.writestr("META-INF/container.xml", container, **deflated)
        epub.writestr("OEBPS/content.opf", opf, **deflated)
        epub.writestr("OEBPS/nav.xhtml", nav, **deflated)
        epub.writestr("OEBPS/site.css", stylesheet(), **deflated)
        for file, c in chapters:
            meta = f"{escape(c.name)} · {escape(c.when)}" + (
                f' · <a href="{escape(c.original)}">原文</a>' if c.original else ""
            )
            epub.writestr(
                f"OEBPS/{file}",
                _CHAPTER.format(lang=c.lang, title=escape(c.title), meta=meta, body=_xhtml_body(str(c.body))),
                **deflated,
            )
        for name, path in sorted(images.items()):
            epub.writestr(f"OEBPS/images/{name}", path.read_bytes(), **deflated)
    return buffer.getvalue(), len(chosen)
