"""Re-checks: CPU per re-check of unchanged pages, storage growth, and diff time.

10,000 recent articles (default; --articles N) are re-checked against a local
server whose pages have not changed: the store must not grow (~0 bytes per
unchanged re-check). Then the character diff of a 50 KB article.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

from newsvault.base.textdiff import char_diff
from newsvault.config import load
from newsvault.fetch import Fetcher
from newsvault.identify import Item
from newsvault.schedule.ingest import store_items
from newsvault.schedule.recheck import recheck_source
from newsvault.store import open_store
from newsvault.store import sources as store_sources
from newsvault.store.statuses import MINUTE

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.server import LocalServer
from tests.vaults import write_vault


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LocalServer() as server:
        page = "<html><head><title>新闻</title></head><body>" + "<p>正文内容。</p>" * 300 + "</body></html>"
        for i in range(args.articles):
            server.set(f"/a/{i}.html", page)
        vault = write_vault(Path(tmp), {"voa": {"feed": server.url("/feed.xml")}}, timeout=10)
        config = load(vault)
        engine = open_store(config.store_url)
        now = int(time.time() * 1000)
        source = config.sources["voa"]
        with engine.begin() as conn:
            store_sources.ensure(conn, "voa", source.name, source.feed)
            items = [
                Item(
                    guid=None,
                    link=server.url(f"/a/{i}.html"),
                    title=f"标题{i}",
                    date_ms=now,
                    date_missing=False,
                    body="<p>正文</p>",
                )
                for i in range(args.articles)
            ]
            store_items(conn, source, items, now)
        db = Path(config.store_url.removeprefix("sqlite:///"))

        def size() -> int:
            # Checkpointed first: the write-ahead log is scratch space, not growth.
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))

        before = size()

        async def go() -> int:
            async with Fetcher(per_host=16, allow_private=True) as fetcher:
                return (await recheck_source(engine, source, fetcher, config, now + 20 * MINUTE, args.articles)).checked

        cpu0, wall0 = _cpu(), time.perf_counter()
        checked = asyncio.run(go())
        cpu, wall = _cpu() - cpu0, time.perf_counter() - wall0
        growth = size() - before
    print(
        f"re-check: {checked} unchanged pages from 127.0.0.1 in {wall:.1f} s "
        f"({checked / wall:.0f}/s), CPU {cpu / checked * 1000:.2f} ms per re-check (server in-process)"
    )
    print(
        f"  store growth {growth} bytes = {growth / checked:.1f} bytes per unchanged re-check "
        f"(no capture, version or status row is added)"
    )
    old = "".join(f"第{i}段：中国经济发展的新闻报道内容。" for i in range(2500))[:25_000]
    new = old[:10_000] + "修改过的句子。" + old[10_000:20_000] + old[20_500:]
    start = time.perf_counter()
    char_diff(old, new)
    print(f"  char diff of a {len(old.encode()) // 1024} KB article: {(time.perf_counter() - start) * 1000:.0f} ms")
    return 0 if checked == args.articles else 1


if __name__ == "__main__":
    sys.exit(main())
