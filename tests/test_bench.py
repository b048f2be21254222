"""Every benchmark still runs: each bench/bench_*.py at its tiny size, as `make bench` would start it.

A benchmark is only run by hand, so one broken by a change elsewhere (a column
added to imports, an argument renamed) goes unnoticed until someone needs its
numbers. Here it is a test failure instead. The numbers themselves are not
checked: at these sizes they mean nothing; only that the script exits 0 and
prints the lines its reader looks for.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from types import ModuleType

import pytest

from tests.reference import PROJECT, SHARED
from tests.support import pgstore

BENCH = PROJECT / "bench"

# Each benchmark makes its own stores in its own process, whatever --store says: once is enough.
pytestmark = pytest.mark.sqlite_only("the benchmarks pick their own stores; --store does not reach them")

# What each benchmark prints that its reader looks for: its ratios and rates.
PRINTS = {
    "bench_actions.py": [
        r"\(b\) hourly run: [\d.]+ s without the clone \([\d.]+x of the 60 s target\)",
        r"\(c\) cache lost: [\d.]+ s without the clone",
        r"MB saved = [\d.]+× the tree's article bytes",
    ],
    "bench_changefeeds.py": [
        r"feeds of changes at \d+ edited articles: \d+ ms",
        r"ratio \d+ / \d+: [\d.]+x \(1.0: only the 100 changes",
    ],
    "bench_clean.py": [r"display_html .* [\d.]+x lxml parse", r"mirroring \d+ images .* images/s"],
    "bench_extract.py": [r"mean of \d+ pages", r"extraction / lxml parse: median [\d.]+x"],
    "bench_hourly.py": [
        r"no-op hourly run at \d+ articles: [\d.]+ s",
        r"ratio \d+ / \d+: [\d.]+x \(target ≤ 1.2\)",
        r"top costs at \d+ \(cumulative\)",
    ],
    "bench_fetch.py": [r"cold connections .* req/s", r"keep-alive .* req/s", r"conditional \(304\) .* req/s"],
    "bench_import.py": [
        r"at +\d+ files: [\d,]+ files/s without the index, peak RSS \d+ MB",
        r"then the search index: [\d,]+ articles/s",
        r"store before the index: [\d.]+× the tree's article files",
    ],
    "bench_notify.py": [r"ratio [\d.]+ of the limit", r"busiest 60 s window: \d+ messages"],
    "bench_pipeline.py": [
        r"ratio ours / raw lxml +[\d.]+x",
        r"ratio feedparser / ours +[\d.]+x",
        r"stages / raw lxml: parse alone [\d.]+x, items \+ store alone [\d.]+x",
        r"floor / raw lxml: the same [\d,]+ rows written by sqlite3 alone [\d.]+x; with our parse [\d.]+x",
    ],
    "bench_publish.py": [r"first publish: .* ratio [\d.]+", r"update of \d+ files: .* ratio [\d.]+"],
    "bench_recheck.py": [r"[\d.]+ bytes per unchanged re-check", r"char diff of a \d+ KB article"],
    "bench_search.py": [
        r"index build peak memory: this process \d+ MB, (a worker up to \d+ MB|no workers)",
        r"floor, each part alone on [\d,]+ articles: preparing \d+ µs \+ Tantivy \d+ µs = \d+ µs an article",
        r"index size: .* [\d.]+ × the plain text",
        r"phrase: p50 [\d.]+ ms",
        r"CLI search: p50 \d+ ms, min \d+, max \d+ .* CPU p50 \d+ ms; python -c pass p50 \d+ ms, ratio [\d.]+x",
    ],
    "bench_search_candidates.py": [
        r"fts5 full \(today\): build [\d,]+ articles/s, index .* = [\d.]+× text",
        r"all hits equal to today's: \d+/\d+",
    ],
    "bench_site.py": [
        r"full render \d+ pages in .* pages/s",
        r"full render ÷ a plain write of the same files \(median of \d+\): [\d.]+x",
        r"floor: the same files written atomically [\d.]+x, the bodies sanitised for display [\d.]+x",
    ],
    "bench_site_publish.py": [r"marks: \d+ page\(s\) written", r"every page ÷ marks: [\d.]+x"],
    "bench_warc.py": [
        r"warc: [\d,]+ captures/s, [\d.,]+ MB/s of payload",
        r"WARC export / raw write of the same payload bytes: [\d.]+x the time",
        r"evidence per day: revisit dedup = [\d.]+× every fetch; newsvault = [\d.]+× every fetch",
    ],
    "bench_web.py": [
        r"home +p50 +[\d.]+ ms +p95 +[\d.]+ ms",
        r"search +p50 +[\d.]+ ms +p95 +[\d.]+ ms",
        r"new search +p50 +[\d.]+ ms +p95 +[\d.]+ ms",
    ],
    "bench_workers.py": [r"\(x[\d.]+ of one worker\)", r"PostgreSQL/SQLite time x[\d.]+"],
}
SCRIPTS = sorted(path.name for path in BENCH.glob("bench_*.py"))


def _runner() -> ModuleType:
    """bench/run.py, whose TINY table `TINY=1 make bench` uses too."""
    spec = importlib.util.spec_from_file_location("bench_run", BENCH / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_benchmark_has_a_tiny_size_and_its_lines() -> None:
    assert sorted(_runner().TINY) == SCRIPTS, "add the new benchmark to TINY in bench/run.py"
    assert sorted(PRINTS) == SCRIPTS, "add the new benchmark's ratio lines to PRINTS"


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_runs(script: str) -> None:
    if script in _runner().READS_SHARED and not SHARED.is_dir():
        pytest.skip(f"{script} measures the reference data in {SHARED}, which is absent")
    args = list(_runner().TINY[script])
    if script == "bench_workers.py":
        server = pgstore.server() or pgstore.DEFAULT_SERVER
        if not pgstore.available(server):
            pytest.skip(f"{script} compares against PostgreSQL; no server at {server}")
        args += ["--server", server]
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        env={k: v for k, v in os.environ.items() if k != pgstore.ENV},  # each benchmark picks its own stores
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=900,  # a hang guard only: bench_actions' tiny size takes ~65 s alone and twice that beside other work
    )
    assert done.returncode == 0, f"{script} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    for pattern in PRINTS[script]:
        assert re.search(pattern, done.stdout), f"{script} did not print /{pattern}/:\n{done.stdout}"
