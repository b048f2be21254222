"""normalise_date: the forms Chinese feeds use, and JavaScript Date.parse parity for RFC 822."""

from __future__ import annotations

import pytest

from newsvault.parse import normalise_date

MAY_DAY_0430Z = 1714537800000


@pytest.mark.parametrize(
    "raw",
    [
        "2024-05-01 12:30:00",
        "2024-05-01T12:30:00+08:00",
        "Wed, 01 May 2024 12:30:00 GMT+8",
        "2024年05月01日 12:30",
        "Wed, 01 May 2024 12:30:00 CST",
        "Wed, 1 May 2024 12:30:00 +0800",
        "2024/05/01 12:30:00",
        "1714537800",
        "1714537800000",
        "2024-05-01T04:30:00Z",
        "2024-05-01T04:30:00.000Z",
        "2024-05-01T12:30:00+0800",
        "2024年5月1日 12:30:00",
        "2024年05月01日12:30",
        "01 May 2024 12:30:00 +0800",
        "Wed, 01 May 24 04:30:00 GMT",
        "Wed, 01 May 2024 04:30:00 UTC",
        "Wed, 01 May 2024 04:30:00 UT",
        "Wed, 01 May 2024 04:30:00 Z",
        "Wed, 01 May 2024 00:30:00 EDT",
        "Tue, 30 Apr 2024 23:30:00 EST",
        "Tue, 30 Apr 2024 21:30:00 PDT",
        "Wed, 01 May 2024 12:30:00 HKT",
        "Wed, 01 May 2024 13:30:00 JST",
        "Wed, 01 May 2024 12:30:00 GMT+08:00",
        "  Wed,   01  May\t2024  12:30:00   +0800  ",
        "Wed, 01 May 2024 12:30:00 +0800 (China Standard Time)",
        "wed, 01 may 2024 12:30:00 gmt+8",
        "Wed, 01 May 2024 12:30 +0800",
        "May 1, 2024 12:30:00 +0800",
    ],
)
def test_every_form_gives_the_same_instant(raw: str) -> None:
    assert normalise_date(raw) == MAY_DAY_0430Z


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-02-15T08:03:55.243Z", 1739606635243),
        ("2025-02-15T08:03:55.243999Z", 1739606635243),  # truncated to ms, as JavaScript does
        ("Sun, 23 Jan 2022 23:59:02 GMT", 1642982342000),
        # Values below are what node's Date.parse returned for the same strings.
        ("Thu, 2 Jun 2010 03:57:34 Z", 1275451054000),
        ("9 Jun 1997 09:11:39 GMT", 865847499000),
        ("Mon, 18 Apr 36 06:28:21 UTC", 2092112901000),
        ("Tue, 06 Mar 56 11:12:04 +0000", -436193276000),
        ("Tue, 09 Oct 14 06:21 GMT", 1412835660000),
        ("27 Jul 54 05:13:02 CDT", -487000018000),
        ("29 May 2021 15:13:35 PST", 1622330015000),
        ("03 Jun 99 21:11:09 PST", 928473069000),
        ("3 Jun 46 16:06:33 -0930", 2411688993000),
        ("Thu, 31 Apr 2024 00:00:00 GMT", 1714521600000),  # JavaScript rolls over to 1 May
    ],
)
def test_javascript_date_parse_parity(raw: str, expected: int) -> None:
    assert normalise_date(raw) == expected


def test_zone_less_dates_use_the_source_time_zone() -> None:
    assert normalise_date("2024-05-01 12:30:00", default_tz="UTC") == MAY_DAY_0430Z + 8 * 3600_000
    assert normalise_date("2024-01-15 12:00", default_tz="America/New_York") == 1705338000000
    assert normalise_date("2024-07-15 12:00", default_tz="America/New_York") == 1721059200000  # EDT


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "not a date",
        "Wed, 01 May 2024 12:30:00 XYZ",
        "2024-13-01 00:00:00",
        "2024-05-32",
        "Wed, 01 Foo 2024 12:30:00 GMT",
        "12:30",
        "2024",
        "17145378",
        1714537800,
    ],
)
def test_unreadable_dates_are_none_never_invented(raw: object) -> None:
    assert normalise_date(raw) is None  # type: ignore[arg-type]
