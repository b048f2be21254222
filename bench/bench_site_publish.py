"""The site published from a runner: `python bench/bench_site_publish.py [ARTICLES]`.

On the runner the site folder is the gh-pages branch's newest commit without
its pages (blob-less, not checked out). Two ways to know what to write there,
side by side, after one new article:

- marks: the store's marks agree with the branch's commit (docs/PUBLISH.md),
  so the render writes the changed pages and the summaries, and git hashes those;
- every page: the render writes every page and git compares each with the
  branch's blob (what comparing against `git ls-tree`'s hashes costs at least:
  every page must be made to be hashed).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsvault.config import load
from newsvault.publish.site import align_marks, publish_site
from newsvault.render.site import render_site
from newsvault.render.site.build import restore_marks
from newsvault.store import open_store
from newsvault.store import sources as store_sources
from newsvault.store.imports import IMPORT_COLUMNS, insert_articles

BODY = "<p>这是一篇用于测试发布速度的新闻报道，内容包括若干段落。</p>" * 30
START_MS = 1_700_000_000_000


def _rows(first: int, count: int) -> list[tuple[object, ...]]:
    rows = (
        {
            "source": "voa",
            "archive_id": 1_048_574 - i,
            "link": f"https://example.org/{i}",
            "title": f"第{i}篇报道",
            "date_ms": START_MS - i * 600_000,
            "body": BODY,
            "first_seen_ms": START_MS,
            "last_seen_ms": START_MS,
            "imported": True,
        }
        for i in range(first, first + count)
    )
    return [tuple(row.get(c) for c in IMPORT_COLUMNS) for row in rows]


def _runner_site(remote: Path, site: Path) -> None:
    """The site folder as the workflow opens it."""
    shutil.rmtree(site, ignore_errors=True)
    shallow = ["--depth", "1", "--filter=blob:none", "--no-checkout", "-b", "gh-pages"]
    subprocess.run(["git", "clone", "-q", *shallow, f"file://{remote}", str(site)], check=True)
    subprocess.run(["git", "-C", str(site), "reset", "-q"], check=True)


def main(count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-site-publish-") as tmp:
        _bench(Path(tmp), count)


def _bench(vault: Path, count: int) -> None:
    remote = vault / "pages.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    subprocess.run(["git", "-C", str(remote), "config", "uploadpack.allowFilter", "true"], check=True)
    (vault / "vault.toml").write_text(
        f'[sources.voa]\n[[publish.site]]\nurl = "{remote}"\nbranch = "gh-pages"\n', "utf-8"
    )
    config = load(vault)
    engine = open_store(config.store_url)
    with engine.begin() as conn:
        store_sources.ensure(conn, "voa", "美国之音", None)
        insert_articles(conn, _rows(0, count))
    began = time.perf_counter()
    pages = render_site(engine, config, full=True).checked
    first = publish_site(engine, config)
    assert not first.failed, first
    print(f"{count} articles, {pages} pages: first render and publish {time.perf_counter() - began:.1f} s")
    site = vault / config.site.path
    timings = {}
    for n, how in enumerate(("marks", "every page")):
        _runner_site(remote, site)
        with engine.begin() as conn:
            insert_articles(conn, _rows(count + n, 1))
        began = time.perf_counter()
        align_marks(engine, config)
        if how == "every page":
            with engine.begin() as conn:
                restore_marks(conn, None)
        stats = render_site(engine, config)
        report = publish_site(engine, config)
        timings[how] = time.perf_counter() - began
        assert not report.failed and report.commit is not None, report
        print(
            f"{how}: {stats.written} page(s) written, {report.commit.other} committed, "
            f"{timings[how]:.2f} s render + commit + push"
        )
    print(f"every page ÷ marks: {timings['every page'] / timings['marks']:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
