"""Pages per second of the static site over a generated store: `python bench/bench_site.py [ARTICLES]`.

A full render (every page) and then an incremental one (nothing changed),
which is what every `run` pays.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from newsvault.base.files import write_atomic
from newsvault.clean.display import display_html
from newsvault.clean.images import ImagePolicy
from newsvault.config import load
from newsvault.render.site import render_site
from newsvault.store import open_store
from newsvault.store import sources as store_sources
from newsvault.store.imports import IMPORT_COLUMNS, insert_articles

BODY = "<p>这是一篇用于测试渲染速度的新闻报道，内容包括若干段落。</p>" * 30


def main(count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp:
        _bench(Path(tmp), count)


def _bench(vault: Path, count: int) -> None:
    (vault / "vault.toml").write_text("[sources.voa]\n", "utf-8")
    config = load(vault)
    engine = open_store(config.store_url)
    start_ms = 1_700_000_000_000
    with engine.begin() as conn:
        store_sources.ensure(conn, "voa", "美国之音", None)
        # Named, then laid out in IMPORT_COLUMNS order: a column added to imports
        # (as `shard` was) is None here instead of shifting every value after it.
        rows = (
            {
                "source": "voa",
                "archive_id": 1_048_574 - i,
                "link": f"https://example.org/{i}",
                "title": f"第{i}篇报道",
                "date_ms": start_ms - i * 600_000,
                "body": BODY,
                "first_seen_ms": start_ms,
                "last_seen_ms": start_ms,
                "imported": True,
            }
            for i in range(count)
        )
        insert_articles(conn, [tuple(row.get(c) for c in IMPORT_COLUMNS) for row in rows])
    began = time.perf_counter()
    stats = render_site(engine, config, full=True)
    full = time.perf_counter() - began
    began = time.perf_counter()
    again = render_site(engine, config)
    incremental = time.perf_counter() - began
    print(
        f"{count} articles: full render {stats.checked} pages in {full:.1f} s ({stats.checked / full:.0f} pages/s); "
        f"incremental {again.checked} pages checked, {again.written} written in {incremental:.2f} s"
    )
    # The median of three: on a shared disk one write of the same files took anything from 1 to 4 s.
    site = vault / config.site.path
    plain = sorted(_plain_write(site, vault / f"plain-{n}") for n in range(3))[1]
    print(f"full render ÷ a plain write of the same files (median of 3): {full / plain:.2f}x (target ≤ 2x)")
    # Two parts no render can skip, each ÷ the same plain write: what the target leaves for the rest.
    atomic = sorted(_atomic_write(site, vault / f"atomic-{n}") for n in range(3))[1]
    shown = _sanitise(count)
    print(
        f"  floor: the same files written atomically {atomic / plain:.2f}x, "
        f"the bodies sanitised for display {shown / plain:.2f}x; together {(atomic + shown) / plain:.2f}x"
    )


def _plain_write(site: Path, target: Path) -> float:
    """Seconds to write the site's files again with open() and write(): the floor a render is held to."""
    files = [(f.relative_to(site), f.read_bytes()) for f in site.rglob("*") if f.is_file()]
    began = time.perf_counter()
    for relative, data in files:
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as out:
            out.write(data)
    os.sync()  # as a render ends with one sync
    return time.perf_counter() - began


def _atomic_write(site: Path, target: Path) -> float:
    """Seconds to write the site's files as a render must: a temporary file each, renamed over the page."""
    files = [(f.relative_to(site), f.read_bytes()) for f in site.rglob("*") if f.is_file()]
    began = time.perf_counter()
    for relative, data in files:
        write_atomic(target / relative, data, durable=False)
    os.sync()
    return time.perf_counter() - began


def _sanitise(count: int) -> float:
    """Seconds to make `count` bodies safe for display (`display_html`), as every article page needs."""
    policy = ImagePolicy("keep")
    began = time.perf_counter()
    for i in range(count):
        display_html(BODY, f"https://example.org/{i}", policy)
    return time.perf_counter() - began


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
