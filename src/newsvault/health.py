"""How each source is doing, for `newsvault status` and the reader's health page.

The original archive's dead feeds went unnoticed for years; each flag here is a
way a feed dies quietly: it stops publishing (or we stop seeing it), it fails
run after run, its extraction breaks and bodies shrink (or, for bodies from
article pages, never arrive), or its dates go wrong.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection

from newsvault.base import clock
from newsvault.store import articles as store_articles
from newsvault.store import fetchlog, search_index
from newsvault.store import sources as store_sources

HOUR = 3_600_000
DAY = 24 * HOUR
SILENT_FACTOR = 5  # silent: no article for this many times the usual gap between articles …
SILENT_MIN = 12 * HOUR  # … and never for less than this
FAILING_RUNS = 3  # failed runs in a row; failed tries of one article's page
SHRINK = 0.5  # recent average text length below this share of the weeks before
RECENT = 7 * DAY
BEFORE = 28 * DAY
MIN_SAMPLE = 5  # articles in each window before lengths are compared
FUTURE_SLACK = HOUR  # a date this far after the article was first seen is wrong (time zones, typos)
CHART_DAYS = 30
WEEKS = 12  # weeks of average text length
INTERVAL_SAMPLE = 50  # latest articles whose gaps give the usual interval


@dataclass
class SourceHealth:
    abbr: str
    name: str
    articles: int
    last_success_ms: int | None
    last_error: str | None
    last_error_ms: int | None
    failures: int
    newest_ms: int | None  # date of the newest article not dated in the future
    usual_interval_ms: int | None  # median gap between its latest articles
    last_problems: list[str] = field(default_factory=list)  # what the latest poll did not archive
    last_notes: list[str] = field(default_factory=list)  # what it archived with a gap, or is worth knowing
    per_day: list[tuple[str, int]] = field(default_factory=list)  # the last CHART_DAYS days up to the newest
    length_by_week: list[tuple[str, int]] = field(default_factory=list)  # average text length, first seen that week
    future: list[str] = field(default_factory=list)  # abbr/id of recent articles dated after they were seen
    flags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self, now_ms: int | None = None) -> str:
        return f"{self.abbr:<10} {self.state(now_ms)}"

    def state(self, now_ms: int | None = None) -> str:
        """The summary without the abbr, for lists that name the source already (`sources`)."""
        now_ms = now_ms or clock.now_ms()
        seen = f"newest {_ago(now_ms - self.newest_ms)} ago" if self.newest_ms else "no articles"
        ok = f"last success {_ago(now_ms - self.last_success_ms)} ago" if self.last_success_ms else "never fetched"
        return f"{self.articles:>7} articles  {seen}; {ok}; {self.failures} failure(s) in a row"


def _lines(text: str | None) -> list[str]:
    return text.splitlines() if text else []


def _ago(ms: int) -> str:
    hours = ms / HOUR
    if hours < 1:
        return f"{ms / 60_000:.0f} min"
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} d"


def _per_day(conn: Connection, abbr: str, end_ms: int) -> list[tuple[str, int]]:
    """Articles per China day, the CHART_DAYS days up to `end_ms`'s."""
    last = (end_ms + clock.CHINA_OFFSET_MS) // DAY  # China day numbers
    start = (last - CHART_DAYS + 1) * DAY - clock.CHINA_OFFSET_MS
    counts = store_articles.dated_per_china_day(conn, abbr, start, end_ms)
    first = last - CHART_DAYS + 1
    return [(clock.china_day(start + i * DAY), int(counts.get(first + i, 0))) for i in range(CHART_DAYS)]


def _lengths(seen: list[tuple[int, int]], since_ms: int, until_ms: int) -> list[int]:
    """The text lengths of the articles among `seen` first seen in [since_ms, until_ms)."""
    return [length for at, length in seen if since_ms <= at < until_ms]


def _length_by_week(seen: list[tuple[int, int]], now_ms: int) -> list[tuple[str, int]]:
    out = []
    for i in range(WEEKS, 0, -1):
        start = now_ms - i * 7 * DAY
        lengths = _lengths(seen, start, start + 7 * DAY)
        if lengths:
            out.append((clock.china_day(start), int(statistics.fmean(lengths))))
    return out


def _flags(h: SourceHealth, conn: Connection, seen: list[tuple[int, int]], now_ms: int) -> list[str]:
    flags = []
    if h.failures >= FAILING_RUNS:
        flags.append(f"failing: {h.failures} runs in a row; last error: {h.last_error}")
    elif h.failures:
        flags.append(f"last run failed: {h.last_error}")
    if h.last_problems:
        flags.append(f"last run left {len(h.last_problems)} thing(s) unarchived, e.g. {h.last_problems[0]}")
    if h.newest_ms is not None and h.usual_interval_ms is not None:
        allowed = max(SILENT_FACTOR * h.usual_interval_ms, SILENT_MIN)
        if now_ms - h.newest_ms > allowed:
            flags.append(
                f"silent: no article for {_ago(now_ms - h.newest_ms)} (usually one every {_ago(h.usual_interval_ms)})"
            )
    recent = _lengths(seen, now_ms - RECENT, now_ms + DAY)
    before = _lengths(seen, now_ms - RECENT - BEFORE, now_ms - RECENT)
    if len(recent) >= MIN_SAMPLE and len(before) >= MIN_SAMPLE:
        was, now = statistics.fmean(before), statistics.fmean(recent)
        if now < SHRINK * was:
            flags.append(f"shrinking: average text {now:.0f} characters this week, {was:.0f} in the weeks before")
    if h.future:
        flags.append(f"dated in the future: {len(h.future)} recent article(s), e.g. {h.future[0]}")
    failing = store_articles.failing_pages(conn, h.abbr, FAILING_RUNS)
    if failing[0]:
        # A page rule that stopped matching (the outlet changed its HTML) looks like this:
        # the feed is fine, and the articles wait for bodies that never come.
        flags.append(
            f"pages failing: {failing[0]} article(s) without their body after {FAILING_RUNS} or more "
            f"tries; e.g. {failing[1]}"
        )
    return flags


def source_health(conn: Connection, now_ms: int | None = None) -> list[SourceHealth]:
    """Every source in the store, with its flags (empty when all is well)."""
    now_ms = now_ms or clock.now_ms()
    report = []
    for source in store_sources.all_sources(conn):
        abbr = source["abbr"]
        total = store_articles.count(conn, abbr)
        dates = store_articles.newest_dates(conn, abbr, now_ms + FUTURE_SLACK, INTERVAL_SAMPLE + 1)
        gaps = [a - b for a, b in itertools.pairwise(dates)]
        future = [f"{abbr}/{i}" for i in store_articles.dated_after_seen(conn, abbr, now_ms - BEFORE, FUTURE_SLACK)]
        last = fetchlog.last_poll(conn, abbr)
        h = SourceHealth(
            abbr=abbr,
            name=source["name"],
            articles=total,
            last_success_ms=source["last_success_ms"],
            last_error=source["last_error"],
            last_error_ms=source["last_error_ms"],
            failures=source["failures"],
            last_problems=_lines(last["problems"]) if last else [],
            last_notes=_lines(last["notes"]) if last else [],
            newest_ms=dates[0] if dates else None,
            usual_interval_ms=int(statistics.median(gaps)) if len(gaps) >= MIN_SAMPLE else None,
            future=future,
        )
        if dates:
            h.per_day = _per_day(conn, abbr, min(now_ms, dates[0]))
        # The text lengths of every window at once: one query, not one a window (126 for nine outlets).
        seen = search_index.text_lengths(conn, abbr, now_ms - max(WEEKS * 7 * DAY, RECENT + BEFORE), now_ms + DAY)
        h.length_by_week = _length_by_week(seen, now_ms)
        h.flags = _flags(h, conn, seen, now_ms)
        report.append(h)
    return report
