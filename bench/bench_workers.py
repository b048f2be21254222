"""Workers: one vs four (throughput ratio), PostgreSQL vs SQLite in one process, rounds per hour.

Every source is a feed of two items on 127.0.0.1 answering after --latency
seconds (0.2 by default, like a distant outlet). Each measurement is a first
round into a fresh store, so all items are new. The issue's sizes:
`--sources 5000 --latency 0.2` (defaults are smaller, to finish in minutes).
Needs PostgreSQL on --server; databases nv_bench_<random> are made and dropped.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from newsvault.config import load
from newsvault.schedule import run_once
from newsvault.store import open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.server import LocalServer
from tests.vaults import rss, rss_item

EXE = Path(sys.executable).with_name("newsvault")


def _vault(directory: Path, store_url: str, server: LocalServer, count: int) -> Path:
    lines = [
        "[store]",
        f'url = "{store_url}"',
        "",
        "[fetch]",
        "timeout = 60",
        "retries = 0",
        "allow_private = true",
        "per_host = 1000",
        "",
    ]
    for i in range(count):
        lines += [f"[sources.s{i}]", f'name = "S{i}"', f'feed = "{server.url(f"/feed/{i}.xml")}"', ""]
    directory.mkdir(parents=True)
    (directory / "vault.toml").write_text("\n".join(lines), "utf-8")
    return directory


# The PostgreSQL server the benchmarks that use one make their databases on.
SERVER = os.environ.get("NEWSVAULT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


class Databases:
    """Fresh PostgreSQL databases for the benchmark, all dropped at the end."""

    def __init__(self, server: str) -> None:
        self.server, self.names = server, []

    def new(self) -> str:
        name = f"nv_bench_{secrets.token_hex(4)}"
        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.names.append(name)
        return f"{self.server}/{name}"

    def drop(self) -> None:
        with psycopg.connect(f"{self.server}/postgres", autocommit=True) as conn:
            for name in self.names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _workers(vault: Path, n: int, concurrency: int) -> float:
    """Seconds for `n` worker processes to finish one round."""
    open_store(load(vault).store_url)  # migrations outside the timing, as `newsvault migrate` would
    started = time.perf_counter()
    procs = [
        subprocess.Popen([str(EXE), "--vault", str(vault), "worker", "--once", "--concurrency", str(concurrency)])
        for _ in range(n)
    ]
    if any(p.wait() for p in procs):
        raise SystemExit("a worker failed")
    return time.perf_counter() - started


def _one_process(vault: Path) -> float:
    config = load(vault)
    engine = open_store(config.store_url)
    started = time.perf_counter()
    run_once(config, engine, render=False)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=50, help="jobs at once per worker")
    parser.add_argument("--server", default=SERVER)
    args = parser.parse_args()
    try:
        psycopg.connect(f"{args.server}/postgres", connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        print(f"skipped: it compares against PostgreSQL, and none answers at {args.server} ({exc})")
        return 0
    databases = Databases(args.server)
    with tempfile.TemporaryDirectory() as tmp, LocalServer() as server:
        for i in range(args.sources):
            server.set(
                f"/feed/{i}.xml",
                rss(
                    *(
                        rss_item(
                            f"s{i} 第{n}篇",
                            link=server.url(f"/a/{i}/{n}"),
                            description=f"<p>正文 {i} {n}</p>" * 20,
                            date=f"Mon, 0{n + 1} Jan 2024 00:00:00 GMT",
                        )
                        for n in range(2)
                    )
                ),
                delay=args.latency,
            )
        try:
            root = Path(tmp)
            one = _workers(_vault(root / "w1", databases.new(), server, args.sources), 1, args.concurrency)
            four = _workers(_vault(root / "w4", databases.new(), server, args.sources), 4, args.concurrency)
            pg = _one_process(_vault(root / "pg", databases.new(), server, args.sources))
            lite = _one_process(_vault(root / "lite", f"sqlite:///{root / 'lite.sqlite'}", server, args.sources))
        finally:
            databases.drop()
    n = args.sources
    print(
        f"{n} sources, {args.latency * 1000:.0f} ms latency, {os.cpu_count()} CPU(s), "
        f"worker concurrency {args.concurrency}"
    )
    print(f"  1 worker : {one:7.1f} s  {n / one:6.1f} sources/s")
    print(f"  4 workers: {four:7.1f} s  {n / four:6.1f} sources/s  (x{one / four:.2f} of one worker)")
    print(
        f"  one process (run_once, no render): PostgreSQL {pg:.1f} s, SQLite {lite:.1f} s "
        f"(PostgreSQL/SQLite time x{pg / lite:.2f})"
    )
    best = min(one, four)
    print(
        f"  rounds per hour on this machine: {3600 / best:.0f} with {'four workers' if four <= one else 'one worker'}"
        f" (first rounds, every item new)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
