"""store.marks on a real store: what a mark leaves out is exactly what was not committed when it was read."""

from __future__ import annotations

import json

from sqlalchemy import delete, select

from newsvault.store import captures, open_store
from newsvault.store.marks import ID_SLACK, TIME_SLACK_MS, between, id_mark, id_stamp, mark_from, past, time_mark
from newsvault.store.schema import captures as captures_table


def _store(tmp_path, n: int):  # type: ignore[no-untyped-def]
    engine = open_store(f"sqlite:///{tmp_path / 'vault.sqlite'}")
    with engine.begin() as conn:
        for i in range(n):
            captures.store(conn, f"http://a.example/{i}", 200, {}, f"页面{i}".encode(), 1_000 + i)
    return engine


def test_an_id_mark_keeps_the_ids_below_its_top_that_no_row_has_and_finds_them_when_they_come(tmp_path):
    engine = _store(tmp_path, 6)
    column = captures_table.c.id
    with engine.begin() as conn:
        conn.execute(delete(captures_table).where(column.in_([2, 4])))  # as ids a worker holds, uncommitted
        mark = id_mark(conn, column)
        assert mark == (6, [2, 4])
        assert captures.mark(conn) == mark
        assert list(conn.execute(select(column).where(past(column, mark))).scalars()) == []
        captures.store(conn, "http://a.example/late", 200, {}, b"late", 9_000)  # id 7: past the top
        conn.execute(captures_table.insert().values(id=4, **_row(4)))  # the hole filled: committed late
        late = sorted(conn.execute(select(column).where(past(column, mark))).scalars())
        assert late == [4, 7]
        wanted, start = between(column, mark, (7, [2]))  # up to a later mark, which 7 and 4 are behind
        assert start == 1 and sorted(conn.execute(select(column).where(wanted)).scalars()) == [4, 7]
        wanted, start = between(column, mark, (7, [2, 4]))  # 4 not yet committed when the later mark was read
        assert sorted(conn.execute(select(column).where(wanted)).scalars()) == [7]


def test_an_id_stamp_moves_whenever_the_id_mark_would(tmp_path):
    """The reader's cheap stamp: a hole filled under the top (a worker's late commit) moves it as a new top
    does; the rows beyond ID_SLACK below the top are not its business, as they are not the mark's."""
    engine = _store(tmp_path, 6)
    column = captures_table.c.id
    with engine.begin() as conn:
        conn.execute(delete(captures_table).where(column.in_([2, 4])))
        stamps = [id_stamp(conn, column)]
        conn.execute(captures_table.insert().values(id=4, **_row(4)))  # the hole filled: committed late
        stamps.append(id_stamp(conn, column))
        conn.execute(captures_table.insert().values(id=ID_SLACK + 3, **_row(5)))  # a new top, far above
        stamps.append(id_stamp(conn, column))
        conn.execute(captures_table.insert().values(id=2, **_row(2)))  # out of the window now, and of the mark's
        stamps.append(id_stamp(conn, column))
        assert id_mark(conn, column)[1] == [i for i in range(4, ID_SLACK + 3) if i not in (4, 5, 6)]
    assert stamps == [(6, 4), (6, 5), (ID_SLACK + 3, 4), (ID_SLACK + 3, 4)]


def _row(i: int) -> dict[str, object]:
    return {"sha256": f"{i:064x}", "fetched_ms": 1, "url": "http://a.example/", "size": 0, "body": b"x\x9c\x03\x00"}


def test_holes_further_than_the_slack_below_the_top_are_not_kept(tmp_path):
    engine = _store(tmp_path, 1)
    with engine.begin() as conn:
        conn.execute(captures_table.insert().values(id=ID_SLACK + 5, **_row(1)))
        top, holes = id_mark(conn, captures_table.c.id)
    assert top == ID_SLACK + 5 and holes == list(range(6, ID_SLACK + 5))  # the window is (top - slack, top]


def test_a_mark_saved_as_a_bare_id_reads_as_one_without_holes_and_marks_round_trip_as_json():
    assert mark_from(json.loads("17")) == (17, [])
    assert mark_from(json.loads(json.dumps(list((9, [3, 5]))))) == (9, [3, 5])


def test_a_time_mark_stays_behind_the_clock_and_a_stamp_ahead_of_it_does_not_pin_it():
    now = 1_800_000_000_000
    assert time_mark(None, now) == 0
    assert time_mark(now - 3_600_000, now) == now - 3_600_000
    assert time_mark(now - 60_000, now) == now - TIME_SLACK_MS
    assert time_mark(now + 86_400_000, now) == now - TIME_SLACK_MS


def test_the_search_indexs_mark_keeps_the_clock_only_when_the_latest_update_is_ahead_of_it():
    """Without a stamp ahead the mark is the store's alone, so a copy indexed again later keeps it equal."""
    from newsvault.store.search_keys import upto_of, upto_text, upto_value

    assert upto_of((5, 1_000), 1_000) == (5, 1_000)
    assert upto_of((5, 1_000), 400) == (5, 1_000, 400)
    assert upto_text(upto_of((5, 1_000), 400)) == "5 1000 400"
    assert upto_value("5 1000 400") == (5, 1_000, 400) and upto_value("5 1000") == (5, 1_000)
