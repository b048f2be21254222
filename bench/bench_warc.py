"""What WARC evidence costs: export speed against a raw write, and the bytes a day of nine outlets publishes.

(1) Throughput. A store (SQLite, temporary) holds ``--captures`` captures,
feed documents and article pages of real Chinese text (the demo articles).
The same captures are read back through ``store.captures.for_export`` twice,
side by side: once written as WARC by ``newsvault.publish.warc`` (records,
sha256 digests, gzip per record), once as their payload bytes written raw to
a file. Prints captures/s and MB/s of each and the ratio.

(2) Bytes per day. A day of hourly runs is simulated for nine outlets at
``--articles`` new articles a day (default 400, today's volume), with feeds of
20 items (six outlets with full text in the feed, three with teasers and
their bodies from article pages), half of the feeds carrying a build date
that changes every hour, and every article re-checked ``--rechecks`` times
(its page fetched again; ``--edited`` of them changed, ``--deleted`` of them
found replaced by their outlet's one deletion notice page, which every later
re-check gets again). Three WARCs of the day are written and measured:

- every fetch written whole (a recording proxy's WARC);
- every fetch, identical payloads as WARC ``revisit`` records (the usual
  deduplication: a fetch whose payload digest was written before keeps only
  its headers);
- newsvault's evidence: only the captures that made a version (a feed with a
  new item, a new page, an edited page) or a status (a deletion notice), each
  payload once, as the store keeps them and `publish` writes them; a notice
  already kept, found for another article, as a revisit record.

    .venv/bin/python bench/bench_warc.py [--captures 1000] [--articles 400] [--rechecks 4] [--deleted 0.02]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import random
import tempfile
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsvault.publish.warc import WarcFile, warc_date
from newsvault.store import captures, open_store

DEMO = Path(__file__).resolve().parent.parent / "src/newsvault/demo/articles"
OUTLETS = 9
PAGE_OUTLETS = 3  # bodies from article pages; the rest carry full text in the feed
FEED_ITEMS = 20
HOUR_MS = 3_600_000
DAY_START_MS = 1_764_547_200_000  # 2025-12-01 08:00 China time


def text_pool() -> str:
    """Real Chinese news text to cut articles from, so that compression sees what it will see."""
    return "".join(p.read_text("utf-8") for p in sorted(DEMO.rglob("*.md")))


class Corpus:
    def __init__(self, seed: int = 7) -> None:
        self.pool = text_pool()
        self.rng = random.Random(seed)
        # Per outlet, the markup around every page (navigation, scripts): the same on each of its pages.
        self.chrome = [self._chunk(30_000) for _ in range(OUTLETS)]

    def _chunk(self, size: int) -> str:
        start = self.rng.randrange(0, len(self.pool) - size)
        return self.pool[start : start + size]

    def article(self, outlet: int, n: int) -> str:
        start = (outlet * 7919 + n * 3571) % (len(self.pool) - 3000)
        return self.pool[start : start + 3000]

    def page(self, outlet: int, n: int, edited: bool = False) -> bytes:
        body = self.article(outlet, n) + ("（更正）" if edited else "")
        html = (
            f"<html><head><title>{n}</title></head><body>{self.chrome[outlet]}<article>{body}</article></body></html>"
        )
        return html.encode("utf-8")

    def notice(self, outlet: int) -> bytes:
        """The outlet's one page for every article it took down."""
        return f"<html><head><title>提示</title></head><body>{self.chrome[outlet]}此文章已被删除</body></html>".encode()

    def feed(self, outlet: int, newest: int, built_ms: int | None) -> bytes:
        full = outlet >= PAGE_OUTLETS
        items = []
        for n in range(max(0, newest - FEED_ITEMS + 1), newest + 1):
            body = self.article(outlet, n) if full else self.article(outlet, n)[:200]
            items.append(
                f"<item><title>{n}</title><link>https://o{outlet}.example/a/{n}</link>"
                f"<description><![CDATA[{body}]]></description></item>"
            )
        build = f"<lastBuildDate>{built_ms}</lastBuildDate>" if built_ms is not None else ""
        return f"<rss><channel><title>o{outlet}</title>{build}{''.join(items)}</channel></rss>".encode()


HEADERS = {"Content-Type": "text/html; charset=utf-8", "Server": "nginx", "Cache-Control": "max-age=60"}


def fill_store(url: str, count: int, corpus: Corpus) -> int:
    """`count` captures, one feed document for every four pages; their payload bytes."""
    engine = open_store(url)
    total = 0
    with engine.begin() as conn:
        for i in range(count):
            outlet = i % OUTLETS
            body = corpus.feed(outlet, i, i) if i % 5 == 0 else corpus.page(outlet, i)
            total += len(body)
            captures.store(conn, f"https://o{outlet}.example/{i}", 200, HEADERS, body, DAY_START_MS + i * 1000)
    return total


def throughput(count: int) -> None:
    corpus = Corpus()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/vault.sqlite"
        payload = fill_store(url, count, corpus)
        engine = open_store(url)

        def raw() -> int:
            with open(f"{tmp}/raw.bin", "wb") as out, engine.connect() as conn:
                for row in captures.for_export(conn):
                    out.write(zlib.decompress(row["body"]))
            return Path(f"{tmp}/raw.bin").stat().st_size

        def warc() -> int:
            with open(f"{tmp}/out.warc.gz", "wb") as out, engine.connect() as conn:
                file = WarcFile(out, description="bench")
                for row in captures.for_export(conn):
                    file.add(row)
            return Path(f"{tmp}/out.warc.gz").stat().st_size

        def gzipped() -> int:
            """Where the WARC's time goes: the raw bytes gzipped one capture a member, at warcio's level 9."""
            with open(f"{tmp}/raw.gz", "wb") as out, engine.connect() as conn:
                for row in captures.for_export(conn):
                    out.write(gzip.compress(zlib.decompress(row["body"]), 9))
            return Path(f"{tmp}/raw.gz").stat().st_size

        timings: dict[str, float] = {}
        sizes = {}
        for _ in range(2):  # side by side, twice; the faster of each
            for name, job in (("raw", raw), ("raw gzipped", gzipped), ("warc", warc)):
                began = time.perf_counter()
                sizes[name] = job()
                timings[name] = min(timings.get(name, 1e9), time.perf_counter() - began)
    mb = payload / 1e6
    for name in ("raw", "raw gzipped", "warc"):
        print(
            f"{name:>11}: {count / timings[name]:,.0f} captures/s, {mb / timings[name]:,.1f} MB/s of payload, "
            f"file {sizes[name] / 1e6:.1f} MB"
        )
    print(f"WARC export / raw write of the same payload bytes: {timings['warc'] / timings['raw']:.2f}x the time")
    print(f"WARC export / the same bytes gzipped: {timings['warc'] / timings['raw gzipped']:.2f}x the time")


VERSION, NOTHING, NOTICE = "version", "nothing", "notice"  # what a fetch leaves in the store


def day_of_fetches(
    articles: int, rechecks: int, edited: float, deleted: float, corpus: Corpus
) -> Iterator[tuple[str, int, bytes, str]]:
    """(url, time, payload, what it leaves: VERSION, NOTHING or NOTICE) of every fetch of a day, in time order."""
    rng = random.Random(11)
    takedowns = random.Random(13)  # apart, so that the rest of the day is the same whatever `deleted` is
    newest = [FEED_ITEMS] * OUTLETS
    per_hour = articles / OUTLETS / 24
    due: list[tuple[int, int, int, bool, bool]] = []  # (time, outlet, n, edited, taken down) of re-checks
    for hour in range(24):
        now = DAY_START_MS + hour * HOUR_MS
        for outlet in range(OUTLETS):
            arrived = sum(1 for _ in range(8) if rng.random() < per_hour / 8)
            first_new = newest[outlet] + 1
            newest[outlet] += arrived
            built = now if outlet % 2 == 0 else None
            feed = corpus.feed(outlet, newest[outlet], built)
            yield f"https://o{outlet}.example/feed.xml", now, feed, VERSION if arrived > 0 else NOTHING
            for n in range(first_new, newest[outlet] + 1):
                if outlet < PAGE_OUTLETS:
                    yield f"https://o{outlet}.example/a/{n}", now + 1, corpus.page(outlet, n), VERSION
                down_at = takedowns.randrange(rechecks) if takedowns.random() < deleted else rechecks
                for k in range(rechecks):
                    due.append((now + (k + 1) * 5 * HOUR_MS, outlet, n, rng.random() < edited / rechecks, k >= down_at))
        for at, outlet, n, changed, down in sorted(d for d in due if now <= d[0] < now + HOUR_MS):
            url = f"https://o{outlet}.example/a/{n}"
            if down:  # the first fetch of the notice is a new status; the later ones change nothing
                first = not any(d[1:3] == (outlet, n) and d[4] and d[0] < at for d in due)
                yield url, at, corpus.notice(outlet), NOTICE if first else NOTHING
            else:
                yield url, at, corpus.page(outlet, n, edited=changed), VERSION if changed else NOTHING
    # re-checks past the day's end belong to the next day


def _record(writer: WARCWriter, url: str, at: int, body: bytes) -> object:
    headers = StatusAndHeaders("200 OK", [*HEADERS.items(), ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
    return writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(body),
        length=len(body),
        http_headers=headers,
        warc_headers_dict={"WARC-Date": warc_date(at)},
    )


def evidence_per_day(articles: int, rechecks: int, edited: float, deleted: float) -> None:
    corpus = Corpus()
    fetches = list(day_of_fetches(articles, rechecks, edited, deleted, corpus))
    whole, dedup = io.BytesIO(), io.BytesIO()
    w_whole, w_dedup = WARCWriter(whole, gzip=True), WARCWriter(dedup, gzip=True)
    seen: dict[str, tuple[str, str]] = {}
    revisits = 0
    for url, at, body, _ in fetches:
        w_whole.write_record(_record(w_whole, url, at, body))
        digest = hashlib.sha1(body).hexdigest()
        if digest in seen:
            revisits += 1
            headers = StatusAndHeaders("200 OK", list(HEADERS.items()), protocol="HTTP/1.1")
            record = w_dedup.create_revisit_record(
                url,
                "sha1:" + digest,
                seen[digest][0],
                seen[digest][1],
                http_headers=headers,
                warc_headers_dict={"WARC-Date": warc_date(at)},
            )
            w_dedup.write_record(record)
        else:
            seen[digest] = (url, warc_date(at))
            w_dedup.write_record(_record(w_dedup, url, at, body))
    ours = io.BytesIO()
    kept: dict[str, tuple[str, int]] = {}  # sha256 -> where and when first kept
    file = WarcFile(ours, description="bench")
    for url, at, body, leaves in fetches:
        sha = hashlib.sha256(body).hexdigest()
        if leaves == NOTHING:
            continue
        row = {"sha256": sha, "fetched_ms": at, "url": url, "status": 200, "headers": json.dumps(HEADERS)}
        if sha not in kept:  # the store's rule: a version or a status came of it, and bytes kept once
            kept[sha] = (url, at)
            file.add({**row, "body": zlib.compress(body, 1), "outlet": None})
        elif leaves == NOTICE:  # a notice kept before, served for another article: its status says so
            refers = {"refers_url": kept[sha][0], "refers_ms": kept[sha][1], "refers_status": 200}
            file.add({**row, "size": len(body), "outlet": None, **refers})
    print(f"a day of {OUTLETS} outlets, {articles} new articles, {len(fetches)} fetches ({rechecks} re-checks each):")
    print(f"  every fetch whole:             {whole.tell() / 1e6:8.2f} MB")
    print(f"  with revisit records:          {dedup.tell() / 1e6:8.2f} MB ({revisits} revisits)")
    print(
        f"  newsvault evidence (versions): {ours.tell() / 1e6:8.2f} MB "
        f"({file.counts.captures} captures, {file.counts.revisits} revisits)"
    )
    print(
        f"evidence per day: revisit dedup = {dedup.tell() / whole.tell():.2f}× every fetch; "
        f"newsvault = {ours.tell() / whole.tell():.2f}× every fetch, {ours.tell() / dedup.tell():.2f}× revisit dedup"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=int, default=1000)
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--rechecks", type=int, default=4)
    parser.add_argument("--edited", type=float, default=0.05, help="share of articles edited after publication")
    parser.add_argument("--deleted", type=float, default=0.02, help="share of articles found taken down")
    args = parser.parse_args()
    throughput(args.captures)
    evidence_per_day(args.articles, args.rechecks, args.edited, args.deleted)


if __name__ == "__main__":
    main()
