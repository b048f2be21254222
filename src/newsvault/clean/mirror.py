"""The mirror job: copies of article images inside the archive tree.

Runs after articles are stored and rendered, and only ever adds files under
`assets/` and rows to the image tables: an article's text is never touched,
and a failing image never stops anything. Failures that may heal (timeouts,
5xx, 404 while a CDN catches up) are retried on later runs up to
`[images] attempts`; images that can never be stored (empty, too large, not
an image, active SVG, non-public address) are refused once, with the reason.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from newsvault.base import write_atomic
from newsvault.base.clock import now_ms
from newsvault.clean.display import image_urls
from newsvault.clean.sniff import Refused, image_type
from newsvault.config.model import Config, ImageSettings
from newsvault.fetch import Fetcher, FetchError, Request
from newsvault.store import assets

SCAN_BATCH = 200  # articles listed per transaction
SCAN_LIMIT = 5000  # articles listed per call: a first run over a big archive spreads out
DOWNLOADS = 16  # images held in memory at once (each up to max_bytes)


@dataclass
class MirrorReport:
    scanned: int = 0  # articles whose images were listed
    queued: int = 0  # image URLs seen for the first time
    stored: int = 0  # new files written
    duplicates: int = 0  # images whose bytes were already in the tree under another URL
    failed: list[str] = field(default_factory=list)  # "url: reason", to be retried
    refused: list[str] = field(default_factory=list)  # "url: reason", given up


@dataclass(frozen=True)
class _Outcome:
    image_id: int
    url: str
    sha256: str | None = None
    ext: str | None = None
    size: int = 0
    written: bool = False
    error: str | None = None
    retry: bool = False


def mirror_sources(config: Config) -> list[str]:
    """The enabled sources whose image mode, their own or the vault's, is "mirror"."""
    return [s.abbr for s in config.enabled() if (s.images or config.images.mode) == "mirror"]


def _scan(engine: Engine, sources: Collection[str], report: MirrorReport) -> None:
    """Queue the images of articles not listed yet, a batch per transaction."""
    while report.scanned < SCAN_LIMIT:
        with engine.begin() as conn:
            rows = assets.unscanned(conn, sources, min(SCAN_BATCH, SCAN_LIMIT - report.scanned))
            for row in rows:
                urls = image_urls(row["body"], row["link"])
                report.queued += assets.record_scan(conn, row["id"], urls, now_ms(), row["updated_ms"])
        report.scanned += len(rows)
        if len(rows) < SCAN_BATCH:
            return


async def _one(
    fetcher: Fetcher,
    archive: Path,
    settings: ImageSettings,
    writes: dict[str, asyncio.Task[bool]],
    image_id: int,
    url: str,
) -> _Outcome:
    """Download, check and store one image.

    `writes` holds the file writes of this call by sha256, so two URLs with the
    same bytes wait for one write instead of racing for the same path.
    """
    cap = settings.max_bytes
    try:
        response = await fetcher.fetch(Request(url, trusted=False, max_bytes=cap, max_decompressed=cap, retries=1))
        ext = image_type(response.body, response.headers.get("Content-Type"))
    except FetchError as exc:
        # The server answered (404, 5xx) or the network failed: worth another try
        # later. No status and not transient: refused by us (size, address, URL).
        retry = exc.transient or exc.status is not None
        return _Outcome(image_id, url, error=exc.reason, retry=retry)
    except Refused as exc:
        return _Outcome(image_id, url, error=str(exc))
    sha = hashlib.sha256(response.body).hexdigest()
    path = archive / assets.asset_path(sha, ext)
    first = sha not in writes
    if first:
        writes[sha] = asyncio.create_task(asyncio.to_thread(write_atomic, path, response.body))
    try:
        written = await writes[sha] and first
    except OSError as exc:
        return _Outcome(image_id, url, error=f"cannot write {path}: {exc.strerror or exc}", retry=True)
    return _Outcome(image_id, url, sha, ext, len(response.body), written)


def _record(engine: Engine, outcomes: list[_Outcome], report: MirrorReport) -> None:
    now = now_ms()
    with engine.begin() as conn:
        for o in outcomes:
            if o.error is None:
                assert o.sha256 is not None and o.ext is not None
                assets.mark_done(conn, o.image_id, o.sha256, o.ext, o.size, now)
                if o.written:
                    report.stored += 1
                else:
                    report.duplicates += 1
            else:
                assets.mark_failed(conn, o.image_id, o.error, o.retry, now)
                (report.failed if o.retry else report.refused).append(f"{o.url}: {o.error}")


async def mirror_images(
    engine: Engine,
    archive_dir: Path,
    fetcher: Fetcher,
    settings: ImageSettings,
    limit: int | None = None,
    sources: Collection[str] = (),
) -> MirrorReport:
    """List the images of new articles of `sources`, then download up to `limit` due images.

    `sources` are the outlets to mirror (see mirror_sources); images queued
    earlier are retried whatever `sources` says. `limit` defaults to
    `settings.per_run`. The fetcher decides whether private addresses may be
    reached (`[fetch] allow_private`); every request is made untrusted, so the
    address guard checks each image URL before connecting.
    """
    report = MirrorReport()
    if sources:
        await asyncio.to_thread(_scan, engine, sources, report)
    with engine.begin() as conn:
        todo = assets.due(conn, settings.attempts, settings.per_run if limit is None else limit)
    gate = asyncio.Semaphore(DOWNLOADS)
    writes: dict[str, asyncio.Task[bool]] = {}

    async def bounded(image_id: int, url: str) -> _Outcome:
        async with gate:
            try:
                return await _one(fetcher, archive_dir, settings, writes, image_id, url)
            except Exception as exc:  # one image's surprise must not stop the others
                return _Outcome(image_id, url, error=f"unexpected error: {exc!r}")

    outcomes = await asyncio.gather(*(bounded(r["id"], r["url"]) for r in todo))
    await asyncio.to_thread(_record, engine, list(outcomes), report)
    return report
