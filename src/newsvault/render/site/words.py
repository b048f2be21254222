"""The interface's words, in Chinese: one copy for the static site and the reader.

The store and the command line speak in status codes (`gone`, `censored`);
readers of the archive see these.
"""

from __future__ import annotations

STATUS_LABEL = {
    "live": "在线",
    "changed": "已修改",
    "gone": "已删除",
    "censored": "被审查",
    "unreachable": "无法访问",
}
# The banner at the top of an article its source no longer shows.
STATUS_NOTICE = {
    "gone": "原网站已删除此文（检查于 {}）。以下为存档。",
    "censored": "原网站已撤下或屏蔽此文（检查于 {}）。以下为存档。",
}
NOT_FOUND = "找不到此页"
# 第三方存档: what a Wayback Machine snapshot of the article's URL was taken after (the outbox's events)
WITNESS_EVENT = {
    "new": "发现时",
    "edited": "修改后",
    "deleted": "删除后",
}


def status_word(status: str) -> str:
    """A status as readers see it; an unknown code as it is, rather than nothing."""
    return STATUS_LABEL.get(status, status)


def witness_event(event: str) -> str:
    """The event a third-party snapshot followed, as readers see it."""
    return WITNESS_EVENT.get(event, event)
