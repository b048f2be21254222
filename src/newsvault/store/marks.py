"""High-water marks that rows committed late cannot slip under.

What a render, the search index or the outbox did last is kept as a mark:
the largest id, the latest time. Rows "past the mark" are the new ones. Two
things put a new row behind a mark read before it was committed:

- On PostgreSQL an id comes from a sequence when the row is inserted, not when
  it is committed: a worker's transaction still open holds ids below ones
  already committed. An id mark therefore keeps its holes, the ids below its
  top that no committed row had when it was read, and the next reader looks at
  them again (ids rolled back stay holes until they fall `ID_SLACK` behind).
- A time is read from the clock when a row is made, seconds before its
  transaction commits, and workers on several machines, or a clock stepped
  back, stamp a row behind a mark taken from another's rows. A time mark
  therefore stays `TIME_SLACK_MS` behind the clock of the one who takes it
  (`time_mark`): rows stamped within it are read again once, by the next
  reader, who finds what it wrote from them the same (a page with the same
  bytes is left alone). A row stamped ahead of the clock cannot pin the mark
  in the future, where every row stamped after it by a right clock would be
  behind it.

SQLite has one writer at a time and takes ids in commit order, so its id
marks have holes only where rows were deleted (but its clock can step back).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from .schema import after

ID_SLACK = 1000
TIME_SLACK_MS = 10 * 60_000

IdMark = tuple[int, list[int]]  # (largest id, the ids below it not committed when it was read)
IdStamp = tuple[int, int]  # (largest id, rows among the ID_SLACK ids up to it): `id_stamp`


def id_mark(conn: Connection, column: ColumnElement[int]) -> IdMark:
    """The mark of an id column now: its largest id and the holes below it, within ID_SLACK."""
    top = conn.execute(select(func.max(column))).scalar() or 0
    low = max(top - ID_SLACK, 0)
    present = set(conn.execute(select(column).where(after(column, low), column <= top)).scalars())
    return top, [i for i in range(low + 1, top + 1) if i not in present]


def id_stamp(conn: Connection, column: ColumnElement[int]) -> IdStamp:
    """What moves whenever `id_mark` would, for a reader who asks only whether rows were committed since, not
    which: the largest id, and how many rows hold the ID_SLACK ids up to it (a late commit fills a hole; rows
    are never deleted from the tables asked). One row read, where `id_mark` reads a thousand: 4 of the 6.5 ms
    of the reader's home page on PostgreSQL at 200,000 articles."""
    top = select(func.coalesce(func.max(column), 0)).scalar_subquery()
    below = select(func.count()).where(column > top - ID_SLACK, column <= top).scalar_subquery()
    newest, held = conn.execute(select(top, below)).one()
    return newest, held


def time_mark(newest: int | None, now: int) -> int:
    """The mark of a time column whose newest stamp is `newest`, taken at `now`."""
    return min(newest or 0, now - TIME_SLACK_MS)


def past(column: ColumnElement[int], mark: IdMark) -> ColumnElement[bool]:
    """The rows committed since `mark` was read: past its top, or in one of its holes."""
    top, holes = mark
    return or_(after(column, top), column.in_(holes)) if holes else after(column, top)


def between(column: ColumnElement[int], since: IdMark, upto: IdMark | None) -> tuple[ColumnElement[bool], int]:
    """The rows committed after `since` was read and before `upto` was (all past `since` without `upto`),
    and the id to page them from (`schema.pages_by_id`)."""
    wanted = [past(column, since)]
    if upto is not None:
        wanted.append(column <= upto[0])
        if upto[1]:
            wanted.append(column.not_in(upto[1]))
    return and_(*wanted), min(since[1], default=since[0] + 1) - 1


def behind(mark: IdMark, row_id: int) -> bool:
    """Whether a row had been committed when `mark` was read (not past it: what `past` leaves out)."""
    return row_id <= mark[0] and row_id not in mark[1]


def mark_from(value: Any) -> IdMark:
    """A mark from its JSON form (`[top, holes]`), or the bare largest id that marks were before they kept holes."""
    return (value, []) if isinstance(value, int) else (int(value[0]), [int(i) for i in value[1]])
