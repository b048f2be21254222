"""`make bench`: run every bench/bench_*.py in turn; each prints its own ratios.

By default the sizes are small enough for the whole set to finish in minutes;
`make bench FULL=1` uses the sizes the issues name (the 200,000-article search
index alone takes about half an hour on a 2-core machine). `TINY=1` runs each
at a size of seconds, only to show that it still runs (tests/test_bench.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

QUICK = {
    "bench_actions.py": ["--articles", "20000"],
    "bench_changefeeds.py": ["--changes", "20000"],
    "bench_hourly.py": ["--articles", "20000"],
    "bench_import.py": ["--files", "20000"],
    "bench_publish.py": ["--files", "2000"],
    "bench_recheck.py": ["--articles", "2000"],
    "bench_search.py": ["--articles", "10000"],
    "bench_search_candidates.py": ["--articles", "20000"],
    "bench_web.py": ["--articles", "20000"],
}
FULL = {
    "bench_actions.py": ["--articles", "200000"],
    "bench_changefeeds.py": ["--changes", "100000"],
    "bench_hourly.py": ["--articles", "200000"],
    "bench_import.py": ["--files", "200000"],
    "bench_publish.py": ["--files", "200000"],
    "bench_recheck.py": ["--articles", "10000"],
    "bench_search.py": ["--articles", "200000"],
    "bench_search_candidates.py": ["--articles", "100000"],
    "bench_web.py": ["--articles", "200000"],
    "bench_workers.py": ["--sources", "5000"],
}
# Every benchmark, so that one added without a tiny size fails the smoke test instead of taking minutes in it.
TINY = {
    "bench_actions.py": ["--articles", "100"],
    "bench_changefeeds.py": ["--changes", "300", "--rounds", "1"],
    "bench_clean.py": ["--rounds", "1", "--images", "20"],
    "bench_extract.py": ["--rounds", "1"],
    "bench_hourly.py": ["--articles", "100", "--rounds", "1"],
    "bench_fetch.py": ["--feeds", "20", "--size", "2000"],
    "bench_import.py": ["--files", "100"],
    "bench_notify.py": ["--messages", "20"],
    "bench_pipeline.py": ["--feeds", "3", "--repeat", "1"],
    "bench_publish.py": ["--files", "100", "--changed", "10"],
    "bench_recheck.py": ["--articles", "20"],
    "bench_search.py": ["--articles", "100", "--queries", "10", "--cli-runs", "2"],
    "bench_search_candidates.py": ["--articles", "100", "--queries", "5"],
    "bench_site.py": ["50"],
    "bench_site_publish.py": ["50"],
    "bench_warc.py": ["--captures", "30", "--articles", "40", "--rechecks", "1"],
    "bench_web.py": ["--articles", "200", "--rounds", "2"],
    "bench_workers.py": ["--sources", "4", "--latency", "0.01", "--concurrency", "4"],
}
# Benchmarks measured on the reference data in ../shared (fixture feeds and pages, the 2020 corpus):
# a clone without it skips them with a line saying so.
READS_SHARED = {
    "bench_actions.py",
    "bench_clean.py",
    "bench_extract.py",
    "bench_hourly.py",
    "bench_import.py",
    "bench_pipeline.py",
    "bench_publish.py",
    "bench_search.py",
    "bench_search_candidates.py",
}
SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


def main() -> int:
    sizes = FULL if os.environ.get("FULL") else TINY if os.environ.get("TINY") else QUICK
    failed = False
    for script in sorted(Path(__file__).parent.glob("bench_*.py")):
        args = sizes.get(script.name, [])
        print(f"== {script.name} {' '.join(args)}", flush=True)
        if script.name in READS_SHARED and not SHARED.is_dir():
            print(f"skipped: it measures the reference data in {SHARED}, which is absent", flush=True)
            continue
        failed |= subprocess.call([sys.executable, str(script), *args]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
