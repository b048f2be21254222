"""Ids: countdown across the 1000000 boundary and CDT's XOR ids."""

from __future__ import annotations

import pytest

from newsvault.archive import FIRST_ID, cdt_id, next_ids


def test_first_ids_of_a_new_outlet():
    assert FIRST_ID == 1048574 == 0xFFFFF - 1
    assert next_ids(None, 3) == [1048574, 1048573, 1048572]
    assert next_ids(None, 0) == []


def test_ids_continue_below_the_smallest_and_across_one_million():
    assert next_ids(1000002, 4) == [1000001, 1000000, 999999, 999998]
    assert next_ids(999999, 1) == [999998]  # numeric minimum, not the string minimum
    assert min(map(int, ["1000000", "999999"])) == 999999


def test_ids_never_go_negative():
    assert next_ids(2, 2) == [1, 0]
    with pytest.raises(ValueError):
        next_ids(1, 2)
    with pytest.raises(ValueError):
        next_ids(10, -1)


@pytest.mark.parametrize(
    ("guid", "expected"),
    [
        ("https://chinadigitaltimes.net/chinese/?p=715858", 332717),  # final-2025 cdt/332717.md
        ("https://chinadigitaltimes.net/chinese/?p=650497&x=1", 0xFFFFF ^ 650497),
        ("https://chinadigitaltimes.net/chinese/2020/07/slug/", None),
        ("https://x/?page=3&p=5", None),  # only a literal "?p=" counts, as in the original
        ("?p=", None),
        ("?p=\u0661\u0662", None),  # JS \d is ASCII only
        ("a?p=0", 0xFFFFF),
        ("?p=" + "9" * 18, 0xFFFFF ^ int("9" * 18)),
        ("?p=" + "9" * 19, None),  # past what the store holds (with room for fallback ids): the feed failed there
        ("?p=" + "9" * 5000, None),  # past what Python's int() reads
    ],
)
def test_cdt_id(guid, expected):
    assert cdt_id(guid) == expected


def test_archive_ids_are_what_the_store_can_hold():
    from newsvault.archive import MAX_ID, archive_id_of

    assert [archive_id_of(t) for t in ("0", "1048574", str(MAX_ID), str(MAX_ID + 1), "9" * 5000)] == [
        0,
        1048574,
        MAX_ID,
        None,
        None,
    ]
    assert [archive_id_of(t) for t in ("", "-1", "1e3", "１２", " 1", "0x10")] == [None] * 6
