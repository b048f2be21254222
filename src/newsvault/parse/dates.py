"""Feed dates to epoch milliseconds.

The archive's date line is what JavaScript's ``Date.parse`` gave for the RSS
pubDate, so well-formed RFC 822 dates must give exactly that (day overflow
rolls into the next month, milliseconds are truncated, two-digit years pivot
at 50). Chinese feeds add forms JavaScript never understood (``2024年05月01日``,
zone-less local times, ``CST`` meaning China): those are read in the source's
time zone. Anything else gives ``None``: a wrong date is worse than none.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["normalise_date"]

_MONTHS = {
    name: number for number, name in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)
}

# Minutes east of UTC. CST is China Standard Time: the feeds archived here are
# Chinese, and none of them means US Central.
_ZONES = {
    "z": 0,
    "ut": 0,
    "utc": 0,
    "gmt": 0,
    "est": -300,
    "edt": -240,
    "cdt": -300,
    "mst": -420,
    "mdt": -360,
    "pst": -480,
    "pdt": -420,
    "cst": 480,
    "hkt": 480,
    "sgt": 480,
    "awst": 480,
    "jst": 540,
    "kst": 540,
    "bst": 60,
    "cet": 60,
    "cest": 120,
    "eet": 120,
    "eest": 180,
    "msk": 180,
    "ist": 330,
}

_TIME = r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<F>\d+))?)?"
_ZONE = r"(?P<zone>(?:(?:gmt|utc|ut)\s*)?[+-]\d{1,2}(?::?\d{2})?|[a-z]{1,5})"
# Possessive: a weekday glued to the month name ("wedmay") is not a date, and
# letting the two runs of letters trade characters is quadratic in their length.
_WEEKDAY = r"(?:[a-z]++\.?,?\s*)?"

# Tried in order against the lower-cased, whitespace-collapsed string.
_FORMS = [
    re.compile(form)
    for form in (
        # RFC 822 / 2822: [Wed,] 01 May 2024 12:30[:00] [+0800|GMT|CST|GMT+8]
        rf"{_WEEKDAY}(?P<d>\d{{1,2}})[\s-]+(?P<mon>[a-z]{{3,}})\.?[\s-]+(?P<y>\d{{4}}|\d{{2}})"
        rf"(?:,?\s+{_TIME})?(?:\s*{_ZONE})?",
        # Month first, as JavaScript's Date.toString and US sites write it.
        rf"{_WEEKDAY}(?P<mon>[a-z]{{3,}})\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}})"
        rf"(?:,?\s+{_TIME})?(?:\s*{_ZONE})?",
        # ISO 8601 and its relatives: 2024-05-01T12:30:00.243Z, 2024/05/01 12:30, 2024.05.01
        rf"(?P<y>\d{{4}})(?P<sep>[-/.])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}})"
        rf"(?:(?:t|\s+){_TIME})?(?:\s*{_ZONE})?",
        # 2024年05月01日 12:30
        rf"(?P<y>\d{{4}})\s*年\s*(?P<m>\d{{1,2}})\s*月\s*(?P<d>\d{{1,2}})\s*日?"
        rf"(?:\s*{_TIME})?(?:\s*{_ZONE})?",
    )
]

_EPOCH = re.compile(r"(?P<s>\d{9,10})|(?P<ms>\d{12,13})")
_COMMENT = re.compile(r"\([^()]*\)")  # "+0800 (China Standard Time)"; stopping at "(" keeps "((((" linear
_EPOCH_START = datetime(1970, 1, 1)
_EPOCH_DAY = _EPOCH_START.toordinal()
# Python's first and last datetimes, as milliseconds from 1970 (local clocks: a zone's offset is read there).
_FIRST_MS = (datetime.min - _EPOCH_START) // timedelta(milliseconds=1)
_LAST_MS = (datetime.max - _EPOCH_START) // timedelta(milliseconds=1)


def normalise_date(raw: str | None, default_tz: str = "Asia/Shanghai") -> int | None:
    """Epoch milliseconds of a feed date, or None when it cannot be read.

    ``default_tz`` is the source's zone, used only when the date names none.
    """
    if not isinstance(raw, str):
        return None
    text = " ".join(_COMMENT.sub(" ", raw).split()).lower()
    epoch = _EPOCH.fullmatch(text)
    if epoch:
        return int(epoch["s"]) * 1000 if epoch["s"] else int(epoch["ms"])
    for form in _FORMS:
        match = form.fullmatch(text)
        if match:
            return _to_millis(match.groupdict(), default_tz)
    return None


def _to_millis(parts: dict[str, Any], default_tz: str) -> int | None:
    """``parts``: a date pattern's groupdict; its y and d groups always match, the others may be None.

    Counted in integers, not by datetime arithmetic, which raised for a date near Python's range (a zone-less
    0001-01-01, as CMSs write for "no date", is before year 1 in UTC): the error failed the item's whole feed,
    every run. Such a date comes back as a number the archive refuses (identify), never as an error.
    """
    year = int(parts["y"])
    if len(parts["y"]) == 2:
        year += 2000 if year < 50 else 1900
    month = _MONTHS.get(parts["mon"][:3]) if parts.get("mon") else int(parts["m"])
    day, hour, minute = int(parts["d"]), int(parts["H"] or 0), int(parts["M"] or 0)
    second = int(parts["S"] or 0)
    millis = int((parts["F"] or "0")[:3].ljust(3, "0"))
    if not year or not month or not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    if hour > 24 or minute > 59 or second > 59:
        return None
    # Days from the month's first, not date(year, month, day), so 31 Apr rolls to 1 May as in JavaScript.
    days = date(year, month, 1).toordinal() - _EPOCH_DAY + day - 1
    local_ms = (((days * 24 + hour) * 60 + minute) * 60 + second) * 1000 + millis
    if parts["zone"] is None:
        return local_ms - _offset_ms(local_ms, default_tz)
    minutes_east = _zone_minutes(parts["zone"])
    if minutes_east is None:
        return None
    return local_ms - minutes_east * 60_000


def _offset_ms(local_ms: int, zone: str) -> int:
    """The zone's offset from UTC at this local time; past the ends of Python's datetimes, at the end's."""
    local = _EPOCH_START + timedelta(milliseconds=min(max(local_ms, _FIRST_MS), _LAST_MS))
    return (local.replace(tzinfo=ZoneInfo(zone)).utcoffset() or timedelta(0)) // timedelta(milliseconds=1)


def _zone_minutes(zone: str) -> int | None:
    """Minutes east of UTC for a zone name or a numeric offset (+8, +0800, GMT+08:00)."""
    if zone in _ZONES:
        return _ZONES[zone]
    numeric = re.fullmatch(r"(?:gmt|utc|ut)?\s*([+-])(\d{1,2})(?::?(\d{2}))?", zone)
    if not numeric:
        return None
    sign, hours, minutes = numeric.groups()
    total = int(hours) * 60 + int(minutes or 0)
    return -total if sign == "-" else total
