"""The one clock and the one China time every stage reads dates with.

Times are integers of milliseconds since the epoch everywhere (the store's
columns, the archive's ids and lists), read from one function so that a run's
stamps agree and a test can tell where "now" comes from. The archive dates
articles in China time, UTC+8 without daylight saving, as the original did.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))
CHINA_OFFSET_MS = 8 * 3_600_000
_EPOCH_IN_CHINA = datetime(1970, 1, 1, 8)  # naive, so that dates before 1970 and after 9999 stay arithmetic


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def in_china(ms: int) -> datetime:
    """An instant as an aware datetime in China time (raises OverflowError/ValueError outside years 1-9999)."""
    return datetime.fromtimestamp(ms / 1000, CHINA)


def china_month(ms: int) -> tuple[int, int] | None:
    """(year, month) of a date in China time, where the archive's dates are read; None outside years 1-9999."""
    try:
        moment = _EPOCH_IN_CHINA + timedelta(milliseconds=ms)
    except OverflowError:
        return None
    return moment.year, moment.month


# Every date a person reads or types is China time, as in the archive's lists;
# where a reader could take it for local time or UTC, it carries this label.
CHINA_LABEL = "UTC+8"


def china_day(ms: int) -> str:
    """YYYY-MM-DD in China time."""
    return in_china(ms).strftime("%Y-%m-%d")


def china_minute(ms: int) -> str:
    """YYYY-MM-DD HH:MM in China time (labelled by the caller where a reader could doubt)."""
    return in_china(ms).strftime("%Y-%m-%d %H:%M")


def china_day_start(day: str) -> int:
    """The first millisecond of YYYY-MM-DD in China time: what `--since DAY` means everywhere.

    Raises ValueError for anything but a valid YYYY-MM-DD.
    """
    return int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=CHINA).timestamp() * 1000)
