"""Fetch-free pipeline cost: parse + normalise + store of the real fixture feeds.

Printed as ratios measured side by side in one run, never as absolute
targets: ours against a bare lxml parse of the same bytes (target <= 3x) and
against the same pipeline with feedparser as the parser (target >= 5x faster).

    .venv/bin/python bench/bench_pipeline.py [--feeds N] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import feedparser
from lxml import etree

from newsvault.config import Source
from newsvault.identify import ItemError, item_from_entry
from newsvault.parse import Entry, FeedError, parse
from newsvault.schedule.ingest import store_items
from newsvault.store import open_store
from newsvault.store import sources as store_sources

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "feeds"


def _feedparser_entries(data: bytes) -> list[Entry]:
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    return [
        Entry(
            guid=e.get("id"),
            link=e.get("link"),
            title=e.get("title"),
            date_raw=e.get("published") or e.get("updated"),
            summary=e.get("summary"),
            content=(e.get("content") or [{}])[0].get("value"),
            categories=tuple(t.get("term") or "" for t in e.get("tags", [])),
        )
        for e in parsed.entries
    ]


def _ours(data: bytes) -> list[Entry]:
    try:
        return parse(data).entries
    except FeedError:
        return []


def _raw(data: bytes) -> None:
    if data.lstrip()[:1] == b"{":
        json.loads(data)
    else:
        etree.fromstring(data, etree.XMLParser(recover=True, resolve_entities=False, no_network=True))


def _pipeline(feeds: list[bytes], entries_of, engine) -> None:  # type: ignore[no-untyped-def]
    source = Source(abbr="bench", name="bench", feed="http://127.0.0.1/")
    with engine.begin() as conn:
        store_sources.ensure(conn, source.abbr, source.name, source.feed)
    for data in feeds:
        items = []
        for entry in entries_of(data):
            try:
                items.append(item_from_entry(entry, source, 0))
            except ItemError:
                pass
        with engine.begin() as conn:
            store_items(conn, source, items, 0)


def _written_rows(path: str) -> dict[str, tuple[list[str], list[tuple[object, ...]]]]:
    """Every row the pipeline wrote into the store at `path`, table by table, to write again with sqlite3 alone."""
    db = sqlite3.connect(path)
    try:
        names = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "AND name != 'alembic_version'"
            )
        ]
        written = {}
        for name in names:
            cursor = db.execute(f'SELECT * FROM "{name}"')
            rows = cursor.fetchall()
            if rows:
                written[name] = ([d[0] for d in cursor.description], rows)
        return written
    finally:
        db.close()


def _sqlite_alone(written, path: str, parts: int) -> None:  # type: ignore[no-untyped-def]
    """The same rows into an empty store at `path` (its schema, indexes and triggers) with sqlite3's executemany.

    In `parts` transactions, as the pipeline commits once a feed, with the
    store's settings (WAL, synchronous=NORMAL); tables the empty store already
    fills itself are left alone. No Python per row, no SQLAlchemy: what SQLite
    alone takes to write what the pipeline writes.
    """
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA synchronous = NORMAL")
        filled = {name for name in written if db.execute(f'SELECT 1 FROM "{name}" LIMIT 1').fetchone()}
        tables = [(name, columns, rows) for name, (columns, rows) in written.items() if name not in filled]
        for part in range(parts):
            db.execute("BEGIN")
            for name, columns, rows in tables:
                size = -(-len(rows) // parts)
                chunk = rows[part * size : (part + 1) * size]
                if chunk:
                    marks = ", ".join("?" * len(columns))
                    db.executemany(f'INSERT INTO "{name}" ({", ".join(columns)}) VALUES ({marks})', chunk)
            db.execute("COMMIT")
    finally:
        db.close()


def _timed(fn, repeat: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Median seconds of `repeat` runs, then peak traced memory of one more run.

    The median, not the mean: one run slowed by the disk (a checkpoint's
    fsync) would otherwise move the ratios more than the code does.
    tracemalloc slows every allocation, so it is never on while timing.
    """
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    elapsed = statistics.median(times)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, help="only the first N fixture feeds (default: all)")
    parser.add_argument("--repeat", type=int, default=5, help="runs each time is the median of")
    args = parser.parse_args()
    if not FIXTURES.is_dir():
        print(f"fixtures not found at {FIXTURES}", file=sys.stderr)
        return 1
    feeds = [p.read_bytes() for p in sorted(FIXTURES.rglob("*")) if p.is_file()][: args.feeds]
    size = sum(map(len, feeds))
    with tempfile.TemporaryDirectory() as tmp:

        def run(entries_of, name: str):  # type: ignore[no-untyped-def]
            # A fresh store for each run, made beforehand: creating the schema is not a feed's cost.
            engines = iter([open_store(f"sqlite:///{tmp}/{name}-{n}.sqlite") for n in range(args.repeat + 1)])

            def once() -> None:
                engine = next(engines)
                _pipeline(feeds, entries_of, engine)
                engine.dispose()

            return once

        raw, raw_peak = _timed(lambda: [_raw(d) for d in feeds], args.repeat)
        ours, ours_peak = _timed(run(_ours, "ours"), args.repeat)
        theirs, theirs_peak = _timed(run(_feedparser_entries, "feedparser"), args.repeat)
        # The stages apart, to show what the target leaves: our parse alone, and the
        # items made and stored from entries parsed beforehand.
        parsed = {id(data): _ours(data) for data in feeds}
        parse_alone, _ = _timed(lambda: [_ours(d) for d in feeds], args.repeat)
        stored, _ = _timed(run(lambda data: parsed[id(data)], "stored"), args.repeat)
        written = _written_rows(f"{tmp}/stored-0.sqlite")
        for n in range(args.repeat + 1):  # empty stores, made beforehand as for the runs above
            open_store(f"sqlite:///{tmp}/alone-{n}.sqlite").dispose()
        alone_paths = iter(f"{tmp}/alone-{n}.sqlite" for n in range(args.repeat + 1))
        alone, _ = _timed(lambda: _sqlite_alone(written, next(alone_paths), len(feeds)), args.repeat)
    print(f"pipeline: {len(feeds)} fixture feeds, {size / 1e6:.1f} MB, median of {args.repeat} runs")
    print(f"  raw lxml/json parse        {raw * 1000:8.1f} ms   peak {raw_peak / 1e6:6.1f} MB")
    print(f"  newsvault parse+norm+store {ours * 1000:8.1f} ms   peak {ours_peak / 1e6:6.1f} MB")
    print(f"  feedparser-based pipeline  {theirs * 1000:8.1f} ms   peak {theirs_peak / 1e6:6.1f} MB")
    print(f"  ratio ours / raw lxml      {ours / raw:8.2f}x  (target <= 3x)")
    print(f"  ratio feedparser / ours    {theirs / ours:8.2f}x  (target >= 5x)")
    print(f"  stages / raw lxml: parse alone {parse_alone / raw:.2f}x, items + store alone {stored / raw:.2f}x")
    rows = sum(len(r) for _, r in written.values())
    print(
        f"  floor / raw lxml: the same {rows:,} rows written by sqlite3 alone {alone / raw:.2f}x; "
        f"with our parse {(parse_alone + alone) / raw:.2f}x (target <= 3x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
