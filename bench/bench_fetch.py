"""How fast, and how cheaply, the Fetcher pulls 500 feeds at once.

The server runs in a child process so the CPU seconds reported are the
Fetcher's alone. Three rounds of 500 concurrent fetches: fresh connections,
kept-alive connections, and conditional GETs answered 304, which is what most
hourly polls of an unchanged feed look like.

    .venv/bin/python bench/bench_fetch.py [--feeds 500] [--size 40000]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import subprocess
import sys
import time

from aiohttp import web

from newsvault.fetch import Fetcher, Request

ITEM = (
    "<item><title>标题 {n}</title><link>https://example.com/{n}</link>"
    "<description>新闻正文，中文内容，重复以达到典型大小。</description></item>"
)


def make_feed(size: int) -> bytes:
    items: list[bytes] = []
    while sum(map(len, items)) < size:
        items.append(ITEM.format(n=len(items)).encode())
    return b"<rss version='2.0'><channel>" + b"".join(items) + b"</channel></rss>"


def serve(size: int) -> None:
    """Child process: serve one gzip'd feed under every path, honouring If-None-Match."""
    body = gzip.compress(make_feed(size))

    async def handle(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(
            body=body,
            headers={"Content-Type": "application/rss+xml; charset=utf-8", "Content-Encoding": "gzip", "ETag": '"v1"'},
        )

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        print(site._server.sockets[0].getsockname()[1], flush=True)  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


async def rounds(port: int, feeds: int) -> None:
    urls = [f"http://127.0.0.1:{port}/feed/{i}.xml" for i in range(feeds)]
    async with Fetcher(per_host=feeds, total=feeds) as fetcher:
        for label, etag in (("cold connections", None), ("keep-alive", None), ("conditional (304)", '"v1"')):
            cpu, wall = time.process_time(), time.perf_counter()
            responses = await asyncio.gather(*(fetcher.fetch(Request(u, etag=etag)) for u in urls))
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            size = sum(len(r.body) for r in responses)
            statuses = sorted({r.status for r in responses})
            print(
                f"{label:18} {feeds} fetches in {wall:5.2f} s = {feeds / wall:7.0f} req/s, "
                f"CPU {cpu:5.2f} s ({cpu / feeds * 1000:5.2f} ms/req), "
                f"{size / 1e6:6.1f} MB decoded, status {statuses}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--size", type=int, default=40_000, help="uncompressed feed bytes")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.size)
        return
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--size", str(args.size)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        asyncio.run(rounds(port, args.feeds))
    finally:
        child.terminate()
        child.wait(10)


if __name__ == "__main__":
    main()
