"""Article file ids (``articles/<abbr>/<id>.md``).

Ids count down so that the newest article has the smallest id. They are compared
as integers everywhere: the original compared file names as strings, so at
999999 the newest file sorted last and the outlet froze (spec, defect 3).
"""

from __future__ import annotations

import re

FIRST_ID = 0xFFFFF - 1  # 1048574, the first article of every outlet
_WORDPRESS_POST = re.compile(r"\?p=([0-9]+)")


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
    return None if match is None else 0xFFFFF ^ int(match.group(1))
