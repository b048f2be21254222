"""The hourly GitHub Actions workflow's life at the original archive's scale: `python bench/bench_actions.py`.

A final-layout tree of ARTICLES articles (generated from the 2020 corpus, as
bench_import.py does) is the published repository, a local bare one; the
workflow `init --github-actions` writes runs on a runner emulated by
tests/support/actions.py (fresh clone, the store restored from and saved to
a cache folder, the workflow's own steps). Nine outlets' feeds are served on
127.0.0.1, 50 items each, of which 20 are new every hour.

(a) the first run: no cache, the store is imported from the tree, then run;
(b) an hourly run with the cached store;
(c) the cache lost: the store is rebuilt from the tree, then run.

Printed per run: seconds (the clone apart: it is the network's), bytes
restored and saved, and the ratios against issue 15's targets: the cached
state ≤ 1.5× the tree's article bytes, (b) ≤ 60 s, (c) ≤ 10 min.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_import import generate, templates

from newsvault.config import catalogue
from newsvault.publish.actions import write_github_actions
from tests.support.actions import Run, run_workflow
from tests.support.server import LocalServer
from tests.test_publish import bare, sh
from tests.vaults import rss, rss_item

ITEMS, NEW = 50, 20


def _vault_toml(server: LocalServer) -> str:
    """The vault `init . --github-actions --flat` makes, its outlets reading feeds served here.

    `write_github_actions` adds the rest, as `init` does: the runner's settings and the remote.
    """
    lines = [
        '[archive]\npath = "."\nshard_by_month = false\nmonthly_lists = false\n',
        "[fetch]\nallow_private = true\nretries = 0\n",
    ]
    for outlet in catalogue().values():
        url = server.url(f"/feeds/{outlet.abbr}.xml")
        lines.append(
            f'[sources.{outlet.abbr}]\nname = "{outlet.name}"\nfeed = "{url}"\nbody = "description"\nlink = "link"\n'
        )
    return "\n".join(lines)


def _serve_hour(server: LocalServer, articles: int, hour: int) -> None:
    """Each outlet's feed: its newest ITEMS - NEW archived articles and NEW new ones, newest first."""
    sources = templates()
    outlets = list(catalogue().values())
    for k, outlet in enumerate(outlets):
        archived = [n for n in range(articles - 1, -1, -1) if n % len(outlets) == k][: ITEMS - NEW]
        fresh = [articles + (hour * NEW + j) * len(outlets) + k for j in range(NEW)]
        items = []
        for n in sorted(archived + fresh, reverse=True):
            ms, title, link, body = sources[n % len(sources)]
            when = format_datetime(datetime.fromtimestamp((ms + n * 60_000) / 1000, UTC), usegmt=True)
            items.append(rss_item(f"{title} ({n})", f"{link}?n={n}", when, body))
        server.set(f"/feeds/{outlet.abbr}.xml", rss(*items), headers={"Content-Type": "application/rss+xml"})


def _report(label: str, run: Run, tree_bytes: int, target_s: float | None) -> None:
    work = sum(run.seconds.values())
    steps = ", ".join(f"{name} {s:.1f} s" for name, s in run.seconds.items())
    target = f" ({work / target_s:.2f}x of the {target_s:.0f} s target)" if target_s else ""
    print(f"{label}: {work:.1f} s without the clone{target}; clone {run.clone_seconds:.1f} s")
    print(f"  {steps}")
    print(
        f"  cache: {run.restored / 2**20:,.1f} MB restored, {run.saved / 2**20:,.1f} MB saved = "
        f"{run.saved / tree_bytes:.2f}× the tree's article bytes (target ≤ 1.5)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=200_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-actions-"))
    try:
        with LocalServer() as server:
            news = work / "news"
            generate(news, args.articles + 1 + len(catalogue()))  # the articles, the README and nine lists
            tree_bytes = sum(f.stat().st_size for f in (news / "articles").rglob("*.md"))
            (news / "vault.toml").write_text(_vault_toml(server), "utf-8")
            write_github_actions(news)  # the workflow, .gitignore, [search], [site] and the remote
            remote = bare(work / "owner" / "news.git")
            sh(news, "init", "-q", "-b", "main")
            sh(news, "add", ".")
            sh(news, "-c", "user.name=me", "-c", "user.email=me@localhost", "commit", "-q", "-m", "archive")
            sh(news, "push", "-q", str(remote), "HEAD:main")
            shutil.rmtree(news)
            cache = work / "cache"
            cache.mkdir()
            print(f"{args.articles} articles, {tree_bytes / 2**20:,.0f} MB of article files", flush=True)

            _serve_hour(server, args.articles, 0)
            _report("(a) first run", run_workflow(remote, cache, work / "runner-a", work), tree_bytes, None)
            _serve_hour(server, args.articles, 1)
            _report("(b) hourly run", run_workflow(remote, cache, work / "runner-b", work), tree_bytes, 60)
            for lost in cache.iterdir():
                lost.unlink()
            _serve_hour(server, args.articles, 2)
            _report("(c) cache lost", run_workflow(remote, cache, work / "runner-c", work), tree_bytes, 600)
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
