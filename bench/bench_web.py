"""The reader under 8 concurrent clients: `python bench/bench_web.py [--articles N]`.

A store of N generated articles over nine outlets, served by `newsvault serve`
in its own process; 8 clients request the home page, the newest list, an
article, its versions, the sources' health and a search, and the stylesheet
(a static file the same server sends) as the floor. Two searches: one query that every article
matches, asked again and again (its count is kept, as when a reader pages
through its results), and the same kind of query never asked before ("new
search": nothing kept answers it). Printed per route: p50 and p95 in ms, and
p95 against the static file's, measured in the same run. Issue 15's target:
every page < 50 ms p95 at 200,000 articles with 8 clients. `--postgresql`
puts the store on a new database of a PostgreSQL server instead, as workers
on many machines share it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from newsvault.config import catalogue, load
from newsvault.store import open_store
from newsvault.store import sources as store_sources
from newsvault.store.imports import IMPORT_COLUMNS, insert_articles

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_workers import SERVER, Databases

BODY = "<p>这是一篇用于测试阅读器速度的新闻报道，报道经济发展和人权状况。</p>" * 20
CLIENTS = 8


def _store(vault: Path, count: int, store_url: str | None) -> list[str]:
    """The vault with `count` articles (in the store at `store_url`, else its SQLite file); its outlets' abbrs."""
    outlets = list(catalogue().values())
    (vault / "vault.toml").write_text(f'[store]\nurl = "{store_url}"\n' if store_url else "", "utf-8")
    engine = open_store(load(vault).store_url)
    start_ms = 1_700_000_000_000
    with engine.begin() as conn:
        for outlet in outlets:
            store_sources.ensure(conn, outlet.abbr, outlet.name, None)
        for first in range(0, count, 10_000):
            rows = (
                {
                    "source": outlets[i % len(outlets)].abbr,
                    "archive_id": 1_048_574 - i // len(outlets),
                    "link": f"https://example.org/{i}",
                    "title": f"第{i}篇报道 经济发展",
                    "date_ms": start_ms - i * 600_000,
                    "body": BODY,
                    "first_seen_ms": start_ms,
                    "last_seen_ms": start_ms,
                    "imported": True,
                }
                for i in range(first, min(count, first + 10_000))
            )
            insert_articles(conn, [tuple(row.get(c) for c in IMPORT_COLUMNS) for row in rows])
    engine.dispose()
    return [o.abbr for o in outlets]


async def _load(base: str, routes: dict[str, list[str]], rounds: int) -> dict[str, list[float]]:
    """Each route's paths in turn, one request at a time per client."""
    timings: dict[str, list[float]] = {name: [] for name in routes}
    asked = dict.fromkeys(routes, 0)
    async with aiohttp.ClientSession() as session:

        async def client(offset: int) -> None:
            names = list(routes)
            for n in range(rounds * len(names)):
                name = names[(n + offset) % len(names)]
                path = routes[name][asked[name] % len(routes[name])]
                asked[name] += 1
                began = time.perf_counter()
                async with session.get(base + path) as response:
                    await response.read()
                    assert response.status == 200, (name, response.status)
                timings[name].append(time.perf_counter() - began)

        await asyncio.gather(*(client(k) for k in range(CLIENTS)))
    return timings


def _every_article_holds(count: int) -> list[str]:
    """`count` different queries that every article matches (pieces of its text): none is asked twice, so the
    reader's kept counts never answer them."""
    clauses = re.sub(r"<[^>]+>", "", BODY).split("。")[0].split("，")
    pieces = [c[i : i + n] for c in clauses for n in range(2, len(c) + 1) for i in range(len(c) - n + 1)]
    distinct = list(dict.fromkeys(pieces))
    assert len(distinct) >= count, "more requests than queries"
    return distinct[:count]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=20, help="requests of each route per client")
    parser.add_argument(
        "--postgresql",
        metavar="SERVER",
        nargs="?",
        const=SERVER,
        help="the store on a new database of this PostgreSQL server (dropped at the end), not SQLite",
    )
    args = parser.parse_args()
    databases = Databases(args.postgresql) if args.postgresql else None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
            timings = _serve(Path(tmp), args.articles, args.rounds, databases.new() if databases else None)
    finally:
        if databases:
            databases.drop()
    floor = statistics.quantiles(timings["static file"], n=20)[18]
    for name, seconds in timings.items():
        p50 = statistics.median(seconds) * 1000
        p95 = statistics.quantiles(seconds, n=20)[18] * 1000
        print(f"{name:12} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  ({p95 / 1000 / floor:5.1f}x the static file's p95)")
    print(f"{CLIENTS} clients, {args.rounds} requests of each route each; target: every page p95 < 50 ms at 200,000")


def _serve(vault: Path, articles: int, rounds: int, store_url: str | None) -> dict[str, list[float]]:
    """The reader of a new store of `articles`, under CLIENTS clients: each route's timings."""
    abbrs = _store(vault, articles, store_url)
    port = _free_port()
    newsvault = Path(sys.executable).parent / "newsvault"
    began = time.perf_counter()
    server = subprocess.Popen(
        [str(newsvault), "--vault", str(vault), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:  # the search index is built before the server listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit("newsvault serve exited") from None
                time.sleep(0.2)
        store = "PostgreSQL" if store_url else "SQLite"
        print(f"{articles} articles on {store}; serving after {time.perf_counter() - began:.1f} s (index built)")
        routes = {
            "static file": ["/static/site.css"],
            "home": ["/"],
            "newest": ["/new"],
            "outlet": [f"/new?source={abbrs[0]}"],
            "article": [f"/a/{abbrs[0]}/1048574"],
            "versions": [f"/a/{abbrs[0]}/1048574/versions"],
            "health": ["/health"],
            "search": ["/search?q=经济发展"],
            "new search": [f"/search?q={q}" for q in _every_article_holds(CLIENTS * rounds)],
        }
        return asyncio.run(_load(f"http://127.0.0.1:{port}", routes, rounds))
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(30)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
