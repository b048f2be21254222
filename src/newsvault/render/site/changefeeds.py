"""Feeds of changes: the edited and the deleted articles, each entry saying what changed and where the copy is.

One builder for the static site (written with its pages) and the reader (served
live): they differ only in where an article's page is (`Links`). An entry's id
names the article and the change (`…/v<n>` for an edit, `…/<status>/<when>` for
a deletion), so it never changes and no two changes share one. Dates are the
moment newsvault noticed the change, from the store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

from markupsafe import Markup
from sqlalchemy import Connection, RowMapping

from newsvault.archive.ids import article_path
from newsvault.base.plaintext import plain_text
from newsvault.config import Config
from newsvault.store import statuses as store_statuses
from newsvault.store import versions as store_versions

from .diff import diff_html, diff_text
from .feeds import FORMATS, FeedEntry, FeedInfo
from .pages import safe_link
from .paths import article_urn, change_feed, when
from .words import STATUS_LABEL

CHANGE_ITEMS = 100  # changes per feed, the newest
DIFF_CHARS = 600  # characters of a diff an entry shows
TEXT_CHARS = 400  # characters of a deleted article's last archived text an entry shows
KINDS = {"edited": "已修改", "deleted": "已删除或被审查"}  # feed → its title
_SPACE = re.compile(r"\s+")

# An article's page where the archived copy is read, absolute: (row, its versions page?) → URL.
PageOf = Callable[[RowMapping, bool], str | None]


@dataclass(frozen=True)
class Links:
    """Where entries point: the pages of the site or the reader, and the archive's files (`[publish] archive_url`)."""

    page: PageOf | None
    archive_url: str | None = None

    def archive_file(self, row: RowMapping) -> str | None:
        if not self.archive_url:
            return None
        path = article_path(row["source"], row["archive_id"], row["path"], row["shard"])
        return self.archive_url.rstrip("/") + "/" + quote(path, safe="/")


def _trimmed(html: str | None) -> str:
    text = _SPACE.sub(" ", plain_text(html)).strip()
    return text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS] + "…"


def _where(links: Links, row: RowMapping, history: bool) -> tuple[str, str | None, str]:
    """(the entry's link, the archive file's URL, the links paragraph of its content)."""
    page = links.page(row, history) if links.page else None
    file = links.archive_file(row)
    original = safe_link(row["link"])
    shown = [
        (page, "存档各版本" if history else "存档"),
        (file, "存档文件"),
        (original, "原文"),
    ]
    html = " · ".join(str(Markup('<a href="{}">{}</a>').format(url, label)) for url, label in shown if url)
    return page or file or original or "", file, f"<p>{html}</p>" if html else ""


def _edit(row: RowMapping, names: dict[str, str], links: Links) -> FeedEntry:
    outlet = names.get(row["source"], row["source"])
    old, new = plain_text(row["old_body"]), plain_text(row["body"])
    link, file, where = _where(links, row, True)
    parts = [str(Markup("<p>{} · 第 {} 版 · 发现于 {} (UTC+8)</p>").format(outlet, row["n"], when(row["seen_ms"])))]
    summary = []
    if row["old_title"] != row["new_title"]:
        parts.append(str(Markup("<p>标题：{}</p>").format(diff_html(row["old_title"], row["new_title"]))))
        summary.append("标题：" + diff_text(row["old_title"], row["new_title"]))
    if old != new:
        parts.append(str(Markup("<p>{}</p>").format(diff_html(old, new, DIFF_CHARS))))
        summary.append(diff_text(old, new, DIFF_CHARS))
    return FeedEntry(
        id=f"{article_urn(row['source'], row['archive_id'], row['path'])}/v{row['n']}",
        title=f"【{STATUS_LABEL['changed']}】{row['new_title']}",
        link=link,
        author=outlet,
        published_ms=row["seen_ms"],
        updated_ms=row["seen_ms"],
        content_html="".join(parts) + where,
        summary="\n".join(summary) or "正文格式改动，文字未变",
        related=file,
        tags=("edited",),
    )


def _deletion(row: RowMapping, names: dict[str, str], links: Links) -> FeedEntry:
    outlet = names.get(row["source"], row["source"])
    label = STATUS_LABEL[row["status"]]
    text = _trimmed(row["body"])
    link, file, where = _where(links, row, False)
    said = f"{label}（{row['detail']}）" if row["detail"] else label
    head = f"{outlet} · {said} · 发现于 {when(row['seen_ms'])} (UTC+8)"
    return FeedEntry(
        id=f"{article_urn(row['source'], row['archive_id'], row['path'])}/{row['status']}/{row['seen_ms']}",
        title=f"【{label}】{row['title']}",
        link=link,
        author=outlet,
        published_ms=row["seen_ms"],
        updated_ms=row["seen_ms"],
        content_html=str(Markup("<p>{}</p><blockquote>{}</blockquote>").format(head, text)) + where,
        summary=f"{head}\n{text}",
        related=file,
        tags=(row["status"],),
    )


def change_entries(
    conn: Connection, kind: str, abbr: str | None, names: dict[str, str], links: Links
) -> list[FeedEntry]:
    """The newest CHANGE_ITEMS edits or deletions (`kind`), of one outlet or all, newest first."""
    if kind == "edited":
        return [_edit(r, names, links) for r in store_versions.edits(conn, abbr, CHANGE_ITEMS)]
    return [_deletion(r, names, links) for r in store_statuses.deletion_events(conn, abbr, CHANGE_ITEMS)]


def change_feed_info(kind: str, abbr: str | None, names: dict[str, str], home: str, self_url: str | None) -> FeedInfo:
    outlet = names.get(abbr, abbr) if abbr else "全部来源"
    return FeedInfo(
        id=f"urn:newsvault:changes:{abbr or 'all'}:{kind}",
        title=f"newsvault {outlet} · {KINDS[kind]}",
        home=home,
        self_url=self_url,
    )


def fallback_home(config: Config, abbr: str | None, entries: list[FeedEntry]) -> str:
    """A feed's page when what it belongs to has no address: the newest entry's link, else a feed we poll."""
    if entries and entries[0].link:
        return entries[0].link
    feeds = [s.feed for s in config.sources.values() if abbr in (None, s.abbr)]
    return feeds[0] if feeds else "http://127.0.0.1/"


# The address of a feed's web page, from the feed's kind and its entries.
HomeOf = Callable[[str, list[FeedEntry]], str]


def change_feed_files(
    conn: Connection, abbr: str | None, names: dict[str, str], links: Links, home: HomeOf, base: str | None
) -> Iterator[tuple[str, bytes]]:
    """The outlet's (or every outlet's) feeds of edits and of deletions, every format: (path, bytes).

    The site and the archive tree write the same files, each with its own
    links, pages and address (`base`, where the files are served, for each
    feed's self link; None when unknown).
    """
    for kind in KINDS:
        entries = change_entries(conn, kind, abbr, names, links)
        page = home(kind, entries)
        for ext, write_feed in FORMATS.items():
            path = change_feed(kind, abbr, ext)
            yield (
                path,
                write_feed(change_feed_info(kind, abbr, names, page, base + quote(path) if base else None), entries),
            )
