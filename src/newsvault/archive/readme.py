"""``README.md``: the index of outlets at the root of the archive."""

from __future__ import annotations

from newsvault.base.text import encode_utf8

TITLE = "抓取新闻媒体文章"

# Kept from the original README: seven of the nine outlets' articles are feedx's
# feed texts, stored as given, so the credit stays with the archive.
_CREDITS = "鸣谢\n------\n\nhttps://feedx.net/\n\n如果本项目对你有帮助，请考虑捐赠feedx，谢谢！\n"


MONTHS = "按月"  # the link to an outlet's monthly lists


def format_readme(names: list[str], *, monthly: bool = False) -> bytes:
    """Render the README linking to ``lists/<name>.md`` in the given order.

    With `monthly` each outlet also links its months (``lists/<name>/README.md``),
    so every article is a few links from the top; without, the bytes are the original's.
    """
    links = "\n".join(
        f"[{name}](lists/{name}.md)" + (f" [{MONTHS}](lists/{name}/README.md)" if monthly else "") + "\n"
        for name in names
    )
    return encode_utf8(f"{TITLE}\n------\n\n{links}\n{_CREDITS}")
