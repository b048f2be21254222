"""The feeds of changes over a store with many edits and deletions against one with few.

    .venv/bin/python bench/bench_changefeeds.py [--changes 20000] [--rounds 3]

A render makes them again after every run that noticed an edit or a deletion,
so what they cost must follow the 100 changes each shows, not every change the
store has kept (issue 18: "incremental cost"). Each store has `changes` edited
articles (two versions of a 2 KB body) and a quarter as many deleted, in two
outlets; the base has 200. Timed: every feed of changes a render makes (edited
and deleted, for all and per outlet, Atom, RSS and JSON Feed), the two stores
in turn so that other work on the machine slows both alike, median of --rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine

from newsvault.config import load
from newsvault.render.site.changefeeds import KINDS, Links, change_entries, change_feed_info
from newsvault.render.site.feeds import FORMATS
from newsvault.store import articles as store_articles
from newsvault.store import open_store, statuses, versions
from newsvault.store import sources as store_sources
from newsvault.store.imports import IMPORT_COLUMNS, insert_articles

BASE = 200
OUTLETS = {"voa": "美国之音", "rfi": "法广"}
SENTENCE = "这是一篇用于测量变动订阅的新闻报道，其中第{}段的内容之后会被原网站修改。"
START_MS = 1_700_000_000_000


def _body(i: int, edited: bool) -> str:
    paragraphs = [SENTENCE.format(k) for k in range(40)]
    if edited:
        paragraphs[i % 40] = paragraphs[i % 40].replace("之后会被", "已经被")
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def _store(vault: Path, changes: int) -> Engine:
    vault.mkdir()
    (vault / "vault.toml").write_text("".join(f"[sources.{abbr}]\n" for abbr in OUTLETS), "utf-8")
    engine = open_store(load(vault).store_url)
    with engine.begin() as conn:
        for abbr, name in OUTLETS.items():
            store_sources.ensure(conn, abbr, name, None)
        rows = [
            {
                "source": list(OUTLETS)[i % 2],
                "archive_id": 1_048_574 - i,
                "link": f"https://example.org/{i}",
                "title": f"第{i}篇报道",
                "date_ms": START_MS + i * 60_000,
                "body": _body(i, edited=True),
                "first_seen_ms": START_MS + i * 60_000,
                "last_seen_ms": START_MS + i * 60_000,
                "imported": False,
            }
            for i in range(changes)
        ]
        insert_articles(conn, [tuple(row.get(c) for c in IMPORT_COLUMNS) for row in rows])
        for i, row in enumerate(rows):
            article = store_articles.by_archive_id(conn, row["source"], row["archive_id"])
            assert article is not None
            seen = row["first_seen_ms"]
            versions.add(conn, article["id"], seen, row["title"], row["date_ms"], _body(i, edited=False))
            versions.add(conn, article["id"], seen + 3_600_000, row["title"], row["date_ms"], row["body"])
            if i % 4 == 0:
                statuses.record(conn, article["id"], "gone", seen + 7_200_000, "HTTP 410 Gone")
    return engine


def _feeds(engine: Engine) -> int:
    """Every feed of changes a full render makes; their bytes."""
    made = 0
    links = Links(lambda row, history: f"https://news.example/{row['source']}/{row['archive_id']}.html")
    with engine.connect() as conn:
        for abbr in [None, *OUTLETS]:
            for kind in KINDS:
                entries = change_entries(conn, kind, abbr, OUTLETS, links)
                info = change_feed_info(kind, abbr, OUTLETS, "https://news.example/", None)
                made += sum(len(write(info, entries)) for write in FORMATS.values())
    return made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-changefeeds-") as tmp:
        stores = {n: _store(Path(tmp) / str(n), n) for n in (BASE, args.changes)}
        _compare(stores, args.rounds, args.changes)
        for engine in stores.values():
            engine.dispose()


def _compare(stores: dict[int, Engine], rounds: int, changes: int) -> None:
    times: dict[int, list[float]] = {n: [] for n in stores}
    sizes: dict[int, int] = {}
    for _ in range(rounds):
        for n, engine in stores.items():
            began = time.perf_counter()
            sizes[n] = _feeds(engine)
            times[n].append(time.perf_counter() - began)
    for n in stores:
        print(
            f"feeds of changes at {n} edited articles: {statistics.median(times[n]) * 1000:.0f} ms ({sizes[n]:,} bytes)"
        )
    ratio = statistics.median(times[changes]) / statistics.median(times[BASE])
    print(f"ratio {changes} / {BASE}: {ratio:.2f}x (1.0: only the 100 changes each feed shows were read)")


if __name__ == "__main__":
    main()
