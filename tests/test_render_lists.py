"""Lists and README of the final format, against the real 2025 files."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from newsvault.archive import (
    ListEntry,
    format_article,
    format_list,
    format_readme,
    list_date,
    list_title,
    parse_article,
)
from tests.reference import reference

FINAL = "corpus/duty-machine-news/final-2025"  # in tests/data/shared, as is the 2020 README
_ENTRY = re.compile(r"(?:([0-9]+)-([0-9]+) )?\[([\s\S]*?)\]\(/articles/([a-z]+)/([0-9]+)\.md\)\n")
CHINA = timezone(timedelta(hours=8))


def _ms_on(year: int, month: int, day: int, hour: int) -> int:
    return int(datetime(year, month, day, hour, tzinfo=CHINA).timestamp() * 1000)


def _entries_of(text: str, newest_year: int) -> list[ListEntry]:
    """Entries named by a list, with a date inside each M-D day (China time).

    The list has no year: walking from the newest entry backwards, the year goes
    down whenever the month goes up.
    """
    entries, year, last_month = [], newest_year, None
    for block in text.split("\n------\n\n", 1)[1].removesuffix("\n").split("\n"):
        if not block:
            continue
        match = _ENTRY.fullmatch(block + "\n")
        assert match, block
        month, day, title, abbr, ident = match.groups()
        ms = None
        if month:
            if last_month is not None and int(month) > last_month:
                year -= 1
            last_month = int(month)
            ms = _ms_on(year, int(month), int(day), hour=len(entries) % 24)
        entries.append(ListEntry(abbr=abbr, id=int(ident), title=title, ms=ms))
    return entries


def test_final_voa_list_is_reproduced_byte_for_byte():
    data = reference(f"{FINAL}/lists/美国之音.md").read_bytes()
    entries = _entries_of(data.decode(), newest_year=2025)
    assert len(entries) == 300
    assert [e.id for e in entries] == list(range(1008880, 1009180))
    assert format_list("美国之音", entries) == data
    # Callers may pass entries in any order and more than 300 of them.
    extra = [ListEntry("voa", 1009180 + i, f"older {i}", 0) for i in range(50)]
    assert format_list("美国之音", extra + entries[::-1]) == data


def test_final_list_newest_entry_matches_its_article():
    article = parse_article(reference(f"{FINAL}/articles/voa/1008880.md").read_bytes())
    data = reference(f"{FINAL}/lists/美国之音.md").read_bytes().decode()
    first = data.split("\n------\n\n", 1)[1].split("\n", 1)[0]
    assert first == f"{list_date(article.ms)} [{article.title}](/articles/voa/1008880.md)"


def test_list_orders_ids_numerically_across_one_million():
    entries = [ListEntry("rfi", i, str(i), None) for i in (1000001, 999998, 1000000, 999999)]
    assert format_list("法广", entries).decode() == (
        "法广\n------\n\n"
        "[999998](/articles/rfi/999998.md)\n\n[999999](/articles/rfi/999999.md)\n\n"
        "[1000000](/articles/rfi/1000000.md)\n\n[1000001](/articles/rfi/1000001.md)\n\n"
    )


def test_list_shows_titles_as_read_back_from_the_article():
    """A stored (untrimmed) title lists like the title parsed from the written file."""
    for title in [" 标题\u3000", "[视频] a](b) c", "第一行\n第二行 "]:
        parsed = parse_article(format_article(0, title, "https://a.example/", "b"))
        stored = format_list("x", [ListEntry("voa", 1, title, 0)])
        read_back = format_list("x", [ListEntry("voa", 1, parsed.title, 0)])
        assert stored == read_back
    assert list_title(" [视频] a](b) c ") == "[视频] a"


def test_empty_list():
    assert format_list("BBC", []) == b"BBC\n------\n\n\n"


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (_ms_on(2025, 2, 15, 0), "2-15"),
        (_ms_on(2025, 2, 15, 0) - 1, "2-14"),
        (1739608743000, "2-15"),
        (0, "1-1"),
        (_ms_on(2024, 2, 29, 12), "2-29"),
        (_ms_on(2020, 12, 31, 23), "12-31"),
        (-1, "1-1"),  # 07:59:59.999 China time on 1970-01-01
        (_ms_on(9999, 12, 31, 23) + 3_600_000, "1-1"),  # beyond Python's dates, within JS's
        (8_640_000_000_000_000 - 8 * 3_600_000, "9-13"),
        (8_640_000_000_000_000, "NaN-NaN"),
    ],
)
def test_list_date(ms, text):
    assert list_date(ms) == text


def test_readme_reproduces_2020_readme():
    names = ["路透", "纽约时报", "美国之音", "金融时报", "BBC", "法广", "德国之声", "中国数字时代", "自由亚洲电台"]
    expected = reference("corpus/duty-machine-news/snapshot-2020-07-20/README.md").read_bytes()
    assert format_readme(names) == expected


def test_readme_is_the_final_readme_without_its_hand_added_links():
    names = ["纽约时报", "美国之音", "BBC", "法广", "德国之声", "中国数字时代", "自由亚洲电台"]
    final = reference(f"{FINAL}/README.md").read_bytes()
    generated = format_readme(names)
    assert final.startswith(generated)
    assert final[len(generated) :].startswith("\n友情链接\n".encode())
