"""The words of a notification: outlet, title, what changed, the archived link. Plain text, never markup.

Made when the event is queued, so a message says what changed at that moment
even when the article changes again before it is posted.
"""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import RowMapping

from newsvault.archive.ids import article_path
from newsvault.base.clock import CHINA_LABEL, china_minute
from newsvault.base.plaintext import plain_text
from newsvault.base.textdiff import char_diff
from newsvault.config import Config
from newsvault.render.site.paths import article_page
from newsvault.render.site.words import status_word

# A Bot API message holds 4,096 characters; a diff past this is cut, the link always fits.
DIFF_CHARS = 700
TITLE_CHARS = 300


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def archived_link(config: Config, row: RowMapping) -> str | None:
    """The article's file in the published tree, else its page on the published site; None without either."""
    if config.publish.archive_url:
        path = article_path(row["source"], row["archive_id"], row["path"], row["shard"])
        return config.publish.archive_url.rstrip("/") + "/" + quote(path)
    if config.site.base_url:
        return (
            config.site.base_url.rstrip("/") + "/" + quote(article_page(row["source"], row["archive_id"], row["path"]))
        )
    return None


def _links(config: Config, row: RowMapping) -> list[str]:
    archived = archived_link(config, row)
    return ([f"存档：{archived}"] if archived else []) + [f"原文：{row['link']}"]


def _outlet(config: Config, abbr: str) -> str:
    source = config.sources.get(abbr)
    return source.name if source else abbr


def edited(config: Config, row: RowMapping) -> str:
    """An edit: the title and a short character diff of the title and the text against the version before."""
    changes = []
    if row["old_title"] is not None and row["old_title"] != row["title"]:
        changes.append("标题：" + char_diff(row["old_title"], row["title"]))
    old_text, new_text = plain_text(row["old_body"]), plain_text(row["body"])
    if old_text != new_text:
        changes.append("正文：" + char_diff(old_text, new_text))
    lines = [
        f"【已修改】{_outlet(config, row['source'])}（第 {row['n']} 版）",
        _cut(row["title"], TITLE_CHARS),
        "",
        _cut("\n".join(changes) or "（只有格式不同）", DIFF_CHARS),
        "",
        *_links(config, row),
    ]
    return "\n".join(lines)


def deleted(config: Config, row: RowMapping) -> str:
    """A deletion: gone or censored, and when a re-check noticed it."""
    noticed = f"{china_minute(row['seen_ms'])} {CHINA_LABEL}"
    lines = [
        f"【{status_word(row['status'])}】{_outlet(config, row['source'])}",
        _cut(row["title"], TITLE_CHARS),
        "",
        f"{noticed} 发现" + (f"：{_cut(row['detail'], 200)}" if row["detail"] else ""),
        "",
        *_links(config, row),
    ]
    return "\n".join(lines)


def new(config: Config, row: RowMapping) -> str:
    return "\n".join(
        [f"【新文章】{_outlet(config, row['source'])}", _cut(row["title"], TITLE_CHARS), "", *_links(config, row)]
    )
