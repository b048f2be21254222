"""A no-op hourly `run` at N articles against the same run at 2,000: `python bench/bench_hourly.py`.

Issue 15: "a no-op hourly run at 200,000 articles ≤ 1.2× the same run at
2,000", and every hourly cost proportional to what changed, not to the
archive. For each size a vault as `init` makes it (month folders, monthly
lists, the site, the search index) is filled by importing a generated
final-layout tree (bench_import.py's, from the 2020 corpus), and its nine
outlets read feeds served on 127.0.0.1 whose 50 items are all archived
already. One run renders the imported tree (every file); the runs after it
change nothing, and those are timed: opening the store, `run_once`, closing
it (median and fastest of --rounds, the two sizes in turn so that other work on the
machine slows both alike), then one of each under cProfile for the top costs.

    .venv/bin/python bench/bench_hourly.py [--articles 200000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_import import generate, templates

from newsvault.config import catalogue, load
from newsvault.importer import import_tree
from newsvault.schedule import run_once
from newsvault.store import open_store
from tests.support.server import LocalServer
from tests.vaults import rss, rss_item

BASE = 2_000
ITEMS = 50
TARGET = 1.2


def _vault_toml(server: LocalServer, prefix: str) -> str:
    """`init`'s vault (big tree, site, search index), its outlets reading feeds served here."""
    lines = [
        '[archive]\npath = "archive"\nshard_by_month = true\nmonthly_lists = true\n',
        "[fetch]\nallow_private = true\nretries = 0\n",
    ]
    for outlet in catalogue().values():
        url = server.url(f"/{prefix}/{outlet.abbr}.xml")
        lines.append(
            f'[sources.{outlet.abbr}]\nname = "{outlet.name}"\nfeed = "{url}"\nbody = "description"\nlink = "link"\n'
        )
    return "\n".join(lines)


def _serve(server: LocalServer, prefix: str, articles: int) -> None:
    """Each outlet's feed: its newest ITEMS archived articles, nothing new."""
    sources = templates()
    outlets = list(catalogue().values())
    for k, outlet in enumerate(outlets):
        archived = [n for n in range(articles - 1, -1, -1) if n % len(outlets) == k][:ITEMS]
        items = []
        for n in archived:
            ms, title, link, body = sources[n % len(sources)]
            when = format_datetime(datetime.fromtimestamp((ms + n * 60_000) / 1000, UTC), usegmt=True)
            items.append(rss_item(f"{title} ({n})", f"{link}?n={n}", when, body))
        server.set(f"/{prefix}/{outlet.abbr}.xml", rss(*items), headers={"Content-Type": "application/rss+xml"})


def _one_run(vault: Path) -> tuple[float, str]:
    """Seconds of one `run` as the command does it (open the store, run, close); its summary."""
    started = time.perf_counter()
    config = load(vault)
    engine = open_store(config.store_url)
    report = run_once(config, engine)
    engine.dispose()
    seconds = time.perf_counter() - started
    new = sum(r.new for r in report.sources)
    updated = sum(r.updated for r in report.sources)
    written = report.render.written if report.render else -1
    failed = [r.abbr for r in report.sources if r.error]
    return seconds, f"new {new}, updated {updated}, files written {written}, failed {failed or 'none'}"


def build(server: LocalServer, work: Path, articles: int) -> Path:
    """A vault of `articles` imported articles whose feeds hold nothing new, rendered once."""
    work = Path(tempfile.mkdtemp(dir=work))
    tree, vault = work / "tree", work / "vault"
    started = time.perf_counter()
    generate(tree, articles + 1 + len(catalogue()))
    vault.mkdir()
    (vault / "vault.toml").write_text(_vault_toml(server, work.name), "utf-8")
    config = load(vault)
    engine = open_store(config.store_url)
    import_tree(engine, config, tree)
    engine.dispose()
    shutil.rmtree(tree)
    _serve(server, work.name, articles)
    first, summary = _one_run(vault)
    made = time.perf_counter() - started
    print(f"{articles} articles: vault made in {made:.0f} s, first run {first:.1f} s ({summary})", flush=True)
    return vault


def profile(vault: Path) -> str:
    """The top costs of one no-op run, cumulative."""
    profiler = cProfile.Profile()
    profiler.enable()
    _one_run(vault)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"newsvault/(?!cli)", 25)
    return out.getvalue()


def _top(profile: str) -> str:
    """The profile's table, without pstats' preamble."""
    lines = profile.splitlines()
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    return "\n".join(line for line in lines[start:] if line.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    base = min(BASE, args.articles)
    work = Path(tempfile.mkdtemp(prefix="bench-hourly-"))
    try:
        with LocalServer() as server:
            vaults = {base: build(server, work, base), args.articles: build(server, work, args.articles)}
            # The two sizes in turn, so that a machine shared with other work slows both alike.
            times: dict[int, list[float]] = {size: [] for size in vaults}
            for _ in range(args.rounds):
                for size, vault in vaults.items():
                    seconds, summary = _one_run(vault)
                    times[size].append(seconds)
            for size in vaults:
                print(f"  no-op runs at {size}: {', '.join(f'{t:.3f}' for t in times[size])} s ({summary})")
            profiles = {size: profile(vault) for size, vault in vaults.items()}
        small, big = statistics.median(times[base]), statistics.median(times[args.articles])
        print(f"no-op hourly run at {base} articles: {small:.3f} s (median of {args.rounds})")
        print(f"no-op hourly run at {args.articles} articles: {big:.3f} s (median of {args.rounds})")
        print(f"ratio {args.articles} / {base}: {big / small:.2f}x (target ≤ {TARGET})")
        # Other work on the machine only ever adds time: the fastest runs are the run's own cost.
        fast_small, fast_big = min(times[base]), min(times[args.articles])
        print(f"fastest runs: {fast_small:.3f} s and {fast_big:.3f} s, ratio {fast_big / fast_small:.2f}x")
        for size, found in profiles.items():
            print(f"\ntop costs at {size} (cumulative):\n{_top(found)}")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
