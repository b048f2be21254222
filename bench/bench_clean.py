"""The clean stage: what sanitising costs, and how fast images are mirrored.

Sanitising: `sanitize` alone and the whole `display_html` (lazy repair,
absolute URLs, proxy policy, sanitise) per MB, as a ratio to a bare lxml parse
of the same text, so the number means the same on a slow or a fast machine.
Inputs: the article pages in ../shared/fixtures/pages and every entry body of
the feeds in ../shared/fixtures/feeds.

Mirroring: 1,000 image URLs in 100 articles served from 127.0.0.1 (one in five
repeats another's bytes), mirrored in one call: images per second and bytes
stored per unique image.

    .venv/bin/python bench/bench_clean.py [--rounds 3] [--images 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

import lxml.html
from sqlalchemy import func, select

from newsvault.clean import ImagePolicy, display_html, mirror_images, sanitize
from newsvault.config.model import ImageSettings
from newsvault.fetch import Fetcher
from newsvault.parse import parse
from newsvault.parse.encoding import decode
from newsvault.store import open_store
from newsvault.store.schema import articles, images, sources

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.server import LocalServer

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures"


def inputs() -> list[tuple[str, str]]:
    """(base URL, HTML) pairs: whole pages and feed entry bodies."""
    found = []
    for page in sorted((SHARED / "pages").rglob("*.html")):
        found.append(("https://page.example/a/b.html", decode(page.read_bytes())[0]))
    for feed in sorted((SHARED / "feeds").rglob("*")):
        if not feed.is_file() or feed.suffix not in (".xml", ".json", ".rss", ".atom"):
            continue
        try:
            entries = parse(feed.read_bytes()).entries
        except Exception:  # not every fixture is a readable feed; they are inputs, not tests
            continue
        for entry in entries:
            for body in (entry.summary, entry.content):
                if body:
                    found.append((entry.link or "https://feed.example/", body))
    return found


def sanitising(rounds: int) -> None:
    bodies = inputs()
    size = sum(len(html.encode("utf-8", "replace")) for _, html in bodies) / 1e6
    policy = ImagePolicy("proxy")
    timings = {"lxml parse": 0.0, "sanitize": 0.0, "display_html": 0.0}
    for _ in range(rounds):
        for base, html in bodies:
            data = html.encode("utf-8", "replace")
            started = time.perf_counter()
            lxml.html.document_fromstring(b"<html><body>" + data)
            timings["lxml parse"] += time.perf_counter() - started
            started = time.perf_counter()
            sanitize(html)
            timings["sanitize"] += time.perf_counter() - started
            started = time.perf_counter()
            display_html(html, base, policy)
            timings["display_html"] += time.perf_counter() - started
    print(f"sanitising {len(bodies)} bodies, {size:.2f} MB, x {rounds}")
    parse_per_mb = timings["lxml parse"] / (size * rounds)
    for name, spent in timings.items():
        per_mb = spent / (size * rounds)
        print(f"  {name:13} {per_mb * 1000:8.1f} ms/MB  {per_mb / parse_per_mb:5.1f}x lxml parse")


def mirroring(count: int) -> None:
    rng = random.Random(4)
    unique = [b"\x89PNG\r\n\x1a\n" + rng.randbytes(rng.randint(2_000, 60_000)) for _ in range(count * 4 // 5)]
    payloads = unique + [rng.choice(unique) for _ in range(count - len(unique))]
    with tempfile.TemporaryDirectory() as tmp, LocalServer() as server:
        root = Path(tmp)
        engine = open_store(f"sqlite:///{root / 'vault.sqlite'}")
        per_article = 10
        with engine.begin() as conn:
            conn.execute(sources.insert().values(abbr="b", name="B"))
            for a in range(0, count, per_article):
                body = ""
                for i in range(a, min(a + per_article, count)):
                    server.set(f"/img/{i}.png", payloads[i], headers={"Content-Type": "image/png"})
                    body += f'<p>段落 {i}</p><figure><img data-src="/img/{i}.png" alt="{i}"></figure>'
                conn.execute(
                    articles.insert().values(
                        source="b",
                        archive_id=1048574 - a,
                        link=server.url(f"/news/{a}.html"),
                        title=str(a),
                        body=body,
                        first_seen_ms=1,
                        last_seen_ms=1,
                    )
                )

        async def go() -> float:
            async with Fetcher(allow_private=True, per_host=16) as fetcher:
                started = time.perf_counter()
                report = await mirror_images(
                    engine, root / "archive", fetcher, ImageSettings(max_bytes=1 << 20), limit=count, sources=["b"]
                )
                spent = time.perf_counter() - started
            assert not report.failed and not report.refused, report
            print(
                f"mirroring {count} images from 127.0.0.1: {spent:.2f} s, "
                f"{count / spent:.0f} images/s (listing {report.scanned} articles included); "
                f"{report.stored} files written, {report.duplicates} duplicates"
            )
            return spent

        asyncio.run(go())
        files = [p for p in (root / "archive" / "assets").rglob("*") if p.is_file()]
        stored = sum(p.stat().st_size for p in files)
        given = sum(len(p) for p in payloads)
        with engine.connect() as conn:
            done = conn.execute(select(func.count()).select_from(images).where(images.c.status == "done")).scalar_one()
        print(
            f"  {len(files)} unique images, {stored / len(files) / 1000:.1f} KB stored per unique "
            f"image; {stored / 1e6:.1f} MB on disk for {given / 1e6:.1f} MB served; {done} rows done"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=int, default=1000)
    args = parser.parse_args()
    sanitising(args.rounds)
    mirroring(args.images)


if __name__ == "__main__":
    main()
