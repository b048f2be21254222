"""One pass over the sources: every outlet polled concurrently, re-checks, then render, images and index.

Each step after the polls is its own error boundary: a full disk while
rendering or a failing image host never costs the run the articles it stored.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from newsvault.base.clock import now_ms
from newsvault.base.failpoints import failpoint
from newsvault.clean import MirrorReport, mirror_images, mirror_sources
from newsvault.config import Config, Source
from newsvault.fetch import Fetcher
from newsvault.notify import queue_events
from newsvault.render.site import render_site
from newsvault.render.site.paths import site_root
from newsvault.render.tree import render_tree
from newsvault.search import update_index
from newsvault.store import optimize

from .polling import poll
from .recheck import recheck_source
from .results import Progress, RunReport, SourceResult, StepError, unexpected


async def _run(config: Config, engine: Engine, sources: list[Source], progress: Progress | None) -> list[SourceResult]:
    async with Fetcher.from_settings(config.fetch) as fetcher:

        async def one(source: Source) -> SourceResult:
            try:
                result = await poll(engine, source, fetcher, config)
            except Exception as exc:  # before the feed was fetched (the store full or gone): the others go on
                result = SourceResult(source.abbr, source.name, error=unexpected(exc))
            if progress:
                progress(result)
            return result

        results = list(await asyncio.gather(*(one(s) for s in sources)))

        async def recheck(source: Source, result: SourceResult) -> None:
            try:
                result.rechecks = await recheck_source(
                    engine, source, fetcher, config, now_ms(), config.fetch.pages_per_run
                )
            except Exception as exc:  # re-checks must never cost the run its archived articles
                result.problems.append(unexpected(exc).concerning("re-check"))

        await asyncio.gather(*(recheck(s, r) for s, r in zip(sources, results, strict=True)))
        return results


def run_once(
    config: Config, engine: Engine, only: tuple[str, ...] = (), progress: Progress | None = None, render: bool = True
) -> RunReport:
    """Poll every enabled source once (or those named in `only`), then render what changed."""
    sources = config.enabled(only)
    report = RunReport(asyncio.run(_run(config, engine, sources, progress)))
    try:
        report.queued = queue_events(engine, config)
    except SQLAlchemyError as exc:  # the marks did not move: the next run queues these events
        report.errors.append(StepError("notification queue", exc))
    if render:
        try:
            report.render = render_tree(engine, config)
        except Exception as exc:  # a full disk, or a bug: the articles are stored, the next run writes them
            report.errors.append(StepError("render", exc, config.archive))
        mirrored = [abbr for abbr in mirror_sources(config) if not only or abbr in only]
        # After a failed render the tree's disk is likely full too: a mirror run would
        # spend an attempt of every due image on it, and images run out of attempts.
        if mirrored and report.render is not None:
            try:
                report.images = asyncio.run(_mirror(config, engine, mirrored))
            except Exception as exc:  # the articles are stored and rendered; images come next run
                report.errors.append(StepError("image mirroring", exc, config.archive))
            _site_images(config, engine, report)
    failpoint("run.before_index")
    if config.search.update:
        try:
            update_index(engine)
        except Exception as exc:  # the index can be rebuilt (`reindex`); the archive is intact
            report.errors.append(StepError("search index", exc))
    try:
        optimize(engine)
    except SQLAlchemyError as exc:  # statistics only: the run's work is done
        report.errors.append(StepError("store statistics", exc))
    return report


def _site_images(config: Config, engine: Engine, report: RunReport) -> None:
    """The site's pages of the images just mirrored, with the site's copies of them, in this run.

    The render before the mirror could not link them, and the next run may not
    have them: on a runner the archive's `assets/` is not kept between runs
    (it is not committed), so the run that mirrored an image must carry it to
    the site it publishes. Incremental: only those articles' pages and the summaries.
    """
    if not config.site.enabled or report.images is None or not report.images.stored + report.images.duplicates:
        return
    try:
        render_site(engine, config)
    except Exception as exc:  # a full disk, or a bug: the images are kept in the archive; the next render links them
        report.errors.append(StepError("site images", exc, site_root(config)))


async def _mirror(config: Config, engine: Engine, abbrs: list[str]) -> MirrorReport:
    """Images of stored articles into the tree; runs after the articles are safe in the store."""
    async with Fetcher.from_settings(config.fetch) as fetcher:
        return await mirror_images(engine, config.archive, fetcher, config.images, sources=abbrs)
