"""Article file ids and paths (``articles/<abbr>/<id>.md``, sharded ``articles/<abbr>/<yyyy>/<mm>/<id>.md``).

Ids count down so that the newest article has the smallest id. They are compared
as integers everywhere: the original compared file names as strings, so at
999999 the newest file sorted last and the outlet froze (spec, defect 3).
"""

from __future__ import annotations

import re

from newsvault.base.clock import china_month

FIRST_ID = 0xFFFFF - 1  # 1048574, the first article of every outlet
MAX_ID = 2**63 - 1  # the largest integer SQLite and PostgreSQL store (BIGINT): no archive id is larger
_WORDPRESS_POST = re.compile(r"\?p=([0-9]+)")
_POST_DIGITS = 18  # past any WordPress post id; an id of that many leaves room for the fallback ids above it


def archive_id_of(text: str) -> int | None:
    """`text` (ASCII digits) as an archive id, None when it is not one the store can hold.

    Its length is asked first: Python refuses int() of more than 4,300 digits (ValueError), and a number past
    MAX_ID made SQLite raise OverflowError; a reader's path or a command's argument can be any length.
    """
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def next_ids(existing_min: int | None, count: int) -> list[int]:
    """Ids for ``count`` new articles, to be given to them oldest first.

    ``existing_min`` is the smallest id already used by the outlet (None for a new
    outlet). Raises ValueError rather than hand out a negative id.
    """
    if count < 0:
        raise ValueError(f"negative count: {count}")
    start = FIRST_ID + 1 if existing_min is None else existing_min
    if start - count < 0:
        raise ValueError(f"ids exhausted: {count} below {start}")
    return list(range(start - 1, start - 1 - count, -1))


def cdt_id(guid_or_link: str) -> int | None:
    """China Digital Times id: 0xFFFFF XOR the WordPress post id (``?p=NNN``).

    None when there is no ``?p=``: the original filed all of those as ``0.md``,
    overwriting each other (spec, defect 6); the caller must pick another id.
    """
    match = _WORDPRESS_POST.search(guid_or_link)
    if match is None or len(match.group(1)) > _POST_DIGITS:  # a longer one failed its feed in the store, every run
        return None
    return 0xFFFFF ^ int(match.group(1))


def article_path(abbr: str, archive_id: int, path: str | None = None, shard: str | None = None) -> str:
    """Where an article's file lives: its imported path, its month folder, or the original's flat folder."""
    if path:
        return path
    return f"articles/{abbr}/{shard}/{archive_id}.md" if shard else f"articles/{abbr}/{archive_id}.md"


def version_folder(abbr: str, archive_id: int, shard: str | None = None) -> str:
    """``versions/<abbr>/<id>/``, holding an article's earlier versions; in its month folder when it has one."""
    return f"versions/{abbr}/{shard}/{archive_id}/" if shard else f"versions/{abbr}/{archive_id}/"


def version_path(abbr: str, archive_id: int, n: int, shard: str | None = None) -> str:
    """The file of an article's version `n` (an earlier one: the article's own file holds the current)."""
    return f"{version_folder(abbr, archive_id, shard)}{n}.md"


def shard_of(ms: int, fallback_ms: int) -> str:
    """``yyyy/mm``: the month folder of a new article in a sharded tree.

    A date no calendar can hold (a feed's year 99999) files the article under ``fallback_ms``.
    """
    year, month = china_month(ms) or china_month(fallback_ms) or (1970, 1)  # fallback_ms: a clock reading
    return f"{year:04d}/{month:02d}"
