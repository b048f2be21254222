"""Finding articles: newest first, title hits before body hits, with snippets.

The index key is date order, so both databases walk their index from the
newest key down and stop at the limit; nothing is sorted, however common the
query (a one-character query can hit every article).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from newsvault.store import fast
from newsvault.store.search_keys import key_of

from . import apart
from .fold import fold
from .tokens import phrases, pieces, segments, tsquery

if TYPE_CHECKING:
    from sqlalchemy import Connection

SNIPPET = 120  # characters around the first hit
Marks = list[tuple[int, int]]  # [start, end) of each highlighted stretch


@dataclass
class Hit:
    abbr: str
    id: int  # the archive id: articles/<abbr>/<id>.md
    title: str
    link: str
    date_ms: int | None  # None: the article has no date (as in `articles` and the archive)
    snippet: str
    snippet_marks: Marks = field(default_factory=list)
    title_marks: Marks = field(default_factory=list)
    article_id: int = 0


class Finder(Protocol):
    """Keys of the documents holding every piece of a query, newest first: the index's side of a search."""

    def __call__(
        self, query: str, *, title_only: bool, source: str | None, since_ms: int | None, limit: int | None
    ) -> list[int]: ...


class Row(Protocol):
    """A document with its article's archive id, link and date: a RowMapping, or a dict from `fast.hits`."""

    def __getitem__(self, column: str, /) -> Any: ...


Rows = Callable[[Sequence[int]], Mapping[int, Row]]  # the rows of these keys (those still in the store)


def _in_folder(
    side: apart.Apart, query: str, *, title_only: bool, source: str | None, since_ms: int | None, limit: int | None
) -> list[int]:
    found = [apart.phrase(p) for p in pieces(query)]
    if not found:
        return []
    return side.keys(found, title_only=title_only, source=source, since_key=_since_key(since_ms), limit=limit)


def _since_key(since_ms: int | None) -> int | None:
    return None if since_ms is None else key_of(since_ms)


def _in_database(
    conn: Connection, query: str, *, title_only: bool, source: str | None, since_ms: int | None, limit: int | None
) -> list[int]:
    from newsvault.store import search_index

    expression = tsquery(phrases(query))
    return search_index.matching_keys(
        conn, expression, title_only=title_only, source=source, since_ms=since_ms, limit=limit
    )


def _side(conn: Connection | sqlite3.Connection) -> apart.Apart | None:
    """SQLite's index folder beside this connection's store; None on PostgreSQL, whose index is in the database."""
    if isinstance(conn, sqlite3.Connection):
        return apart.for_file(fast.path_of(conn))
    return apart.for_engine(conn.engine)


def _reader(conn: Connection | sqlite3.Connection) -> tuple[Finder, Rows]:
    """How to find keys and read their rows on this connection: SQLAlchemy's, or sqlite3's from `fast.reading`."""
    side = _side(conn)
    if isinstance(conn, sqlite3.Connection):
        assert side is not None
        return partial(_in_folder, side), partial(fast.hits, conn)
    from newsvault.store import search_index

    find: Finder = partial(_in_database, conn) if side is None else partial(_in_folder, side)
    return find, partial(search_index.hits, conn)


def _locate(folded: str, wanted: list[str]) -> Marks:
    """Every stretch of `folded` that is one of the pieces (or, failing that, one of its segments)."""
    marks: Marks = []
    for piece in wanted:
        parts = [piece] if piece in folded else [s for s in segments(piece) if s in folded]
        for part in parts:
            start = folded.find(part)
            while start != -1:
                marks.append((start, start + len(part)))
                start = folded.find(part, start + len(part))
    merged: Marks = []
    for start, end in sorted(marks):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# A line that is only a date: feeds put the publication time (and a byline) above
# the text, which a snippet would otherwise open with ("…55.243Z 特朗普…").
_DATE_LINE = re.compile(
    r"[ \t]*(?:[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} [\d:]+(?: GMT| [+-]\d{4})?"
    r"|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?"
    r"|\d{2}/\d{2}/\d{4}(?: - \d{2}:\d{2})?"
    r"|\d{4}年\d{1,2}月\d{1,2}日(?: ?\d{1,2}:\d{2})?)[ \t]*"
)
_HEAD_LINES = 3  # a date line is looked for among the text's first lines only (after a byline, say)


def _after_dateline(body_text: str) -> int:
    """Where the text proper starts: after a date line among its first lines (and what comes before it)."""
    start = at = 0
    for _ in range(_HEAD_LINES):
        end = body_text.find("\n", at)
        if end == -1:
            break
        if _DATE_LINE.fullmatch(body_text, at, end):
            start = end + 1
        at = end + 1
    return start


def snippet(body_text: str, wanted: list[str], width: int = SNIPPET) -> tuple[str, Marks]:
    """About `width` characters of `body_text` around its first hit, with the hits in it, never its date line."""
    marks = _locate(fold(body_text), wanted)
    floor = _after_dateline(body_text)
    if marks and marks[0][0] < floor:  # the hit is in the date line itself: show it
        floor = 0
    start = max(floor, marks[0][0] - width // 4) if marks else floor
    end = min(len(body_text), start + width)
    piece = body_text[start:end]
    # Lines of the plain text become spaces; the length stays, so the marks still fit.
    piece = piece.replace("\n", " ")
    shown = [(max(s, start) - start, min(e, end) - start) for s, e in marks if s < end and e > start]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(body_text) else ""
    return prefix + piece + suffix, [(s + len(prefix), e + len(prefix)) for s, e in shown]


def ready(db: sqlite3.Connection) -> bool:
    """Whether a search on this sqlite3 connection (`fast.reading`) answers as one after `update_index` would.

    False when the store changed since the index last held every article, or
    when the index folder is missing or of an older format (opening it made it
    again, empty): `update_index` has work to do first.
    """
    return fast.index_current(db) and not apart.for_file(fast.path_of(db)).created


def search(
    conn: Connection | sqlite3.Connection,
    query: str,
    *,
    source: str | None = None,
    since_ms: int | None = None,
    limit: int | None = 20,
    offset: int = 0,
) -> list[Hit]:
    """Articles holding every piece of `query`; `limit` None for all of them.

    `conn` is the store through SQLAlchemy, or a SQLite store through sqlite3
    (`fast.reading`: `newsvault search` without SQLAlchemy's import).
    """
    if not phrases(query):
        return []
    find, rows_of = _reader(conn)
    want = None if limit is None else offset + limit
    in_title = find(query, title_only=True, source=source, since_ms=since_ms, limit=want)
    if want is not None and len(in_title) == want:  # the page is all title hits: no other hit comes before them
        keys = in_title[offset:]
    else:
        title_set = set(in_title)
        more = None if want is None else want + len(in_title)
        anywhere = find(query, title_only=False, source=source, since_ms=since_ms, limit=more)
        rest = [k for k in anywhere if k not in title_set]
        keys = (in_title + rest)[offset : None if want is None else want]
    rows = rows_of(keys)
    if rows:  # here, not at the top: lxml (~10 ms) only when there are snippets to make
        from newsvault.base.plaintext import plain_text
    wanted = pieces(query)
    hits = []
    for key in keys:
        row = rows.get(key)
        if row is None:  # in the folder, not (yet) in the store: a batch whose store transaction was lost
            continue
        text_part, marks = snippet(plain_text(row["body"]), wanted)  # the store keeps no plain text
        hits.append(
            Hit(
                abbr=row["source"],
                id=row["archive_id"],
                title=row["title"],
                link=row["link"],
                date_ms=row["date_ms"],
                snippet=text_part,
                snippet_marks=marks,
                title_marks=_locate(fold(row["title"]), wanted),
                article_id=row["article_id"],
            )
        )
    return hits


def count_hits(
    conn: Connection | sqlite3.Connection,
    query: str,
    *,
    source: str | None = None,
    since_ms: int | None = None,
    upto: int,
) -> int:
    """How many articles `search` finds for `query` over all its pages, counted up to `upto`: a count above
    `upto` means more than `upto` (the reader's "N 篇" above its first page).

    Every hit is a hit in the title or the text, so the newest `upto` + 1 of
    those are found, as a page is: among the newest articles first (in the
    index folder, title hits alone, when there are enough of them, are cheaper
    to find). Counting every hit of a query that all 200,000 articles match
    took 35 ms of the index's CPU, more than the rest of the search
    (docs/SEARCH.md). PostgreSQL reads its newest documents' titles and texts
    alike (`search_index.matching_keys`): there the title step only doubled the
    work of a phrase rare in titles.
    """
    if not phrases(query):
        return 0
    find, _ = _reader(conn)
    if _side(conn) is not None:
        in_title = find(query, title_only=True, source=source, since_ms=since_ms, limit=upto + 1)
        if len(in_title) > upto:  # titles are short: finding them is the cheaper way past `upto`, when it gets there
            return len(in_title)
    return len(find(query, title_only=False, source=source, since_ms=since_ms, limit=upto + 1))


def highlighted(text_value: str, marks: Marks) -> list[tuple[str, bool]]:
    """`text_value` cut into (stretch, is_hit) for display."""
    out, at = [], 0
    for start, end in marks:
        if start > at:
            out.append((text_value[at:start], False))
        out.append((text_value[start:end], True))
        at = end
    if at < len(text_value):
        out.append((text_value[at:], False))
    return out
