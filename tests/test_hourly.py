"""An hourly run costs what changed, not what the archive holds (issue 15), and stays right.

The tree and the site are walked for temporary files only after a render was
interrupted (a marker in `meta`); monthly lists, the site's month counts, the
search index and earlier versions are made again only where articles changed,
and what they make equals what a full render makes from the store alone.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from newsvault.base.clock import now_ms
from newsvault.base.failpoints import ENV
from newsvault.fetch import Fetcher
from newsvault.render.site.paths import site_root
from newsvault.render.tree import render_tree
from newsvault.render.verify import verify
from newsvault.schedule import run_once
from newsvault.schedule.recheck import recheck_source
from newsvault.search import search
from newsvault.store import sources as store_sources
from newsvault.store.statuses import DAY, HOUR
from tests.support.server import LocalServer
from tests.vaults import open_vault, rss, rss_item, write_vault

NEWSVAULT = str(Path(sys.executable).with_name("newsvault"))
LAYOUT = {"shard_by_month": True, "monthly_lists": True}


def _item(n: int, day: str, title: str | None = None, body: str | None = None) -> str:
    """Item `n`, dated `day` ("29 Nov 2025") at noon UTC."""
    return rss_item(
        title or f"第{n}条", f"https://example.org/a/{n}", f"Sat, {day} 12:00:00 GMT", body or f"<p>正文{n}</p>"
    )


def _run(vault: Path, failpoint: str | None = None) -> int:
    """`newsvault run` in a process of its own (killed at `failpoint`); its exit status."""
    env = {k: v for k, v in os.environ.items() if k != ENV}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[1] / "src"), env.get("PYTHONPATH", "")])
    if failpoint:
        env[ENV] = failpoint
    return subprocess.run(
        [NEWSVAULT, "--vault", str(vault), "run"], capture_output=True, env=env, timeout=120, check=False
    ).returncode


def test_temporary_files_are_swept_only_after_an_interrupted_render(tmp_path: Path, server: LocalServer) -> None:
    url = server.set("/voa.xml", rss(_item(1, "29 Nov 2025")))
    vault = write_vault(tmp_path, {"voa": {"feed": url}}, archive=LAYOUT)
    assert _run(vault) == 0
    config, engine = open_vault(vault)
    planted = [config.archive / "articles/voa/.1.md.abcd1234.tmp", site_root(config) / ".index.html.abcd1234.tmp"]
    for file in planted:
        file.write_bytes(b"half")
    assert _run(vault) == 0  # nothing was interrupted: no walk of the tree or the site
    assert all(file.exists() for file in planted)
    with engine.connect() as conn:
        assert store_sources.get_meta(conn, "tree_writing") is None
        assert store_sources.get_meta(conn, "site_writing") is None

    server.set("/voa.xml", rss(_item(1, "29 Nov 2025"), _item(2, "30 Nov 2025")))
    assert _run(vault, "render.article_written") == -9  # killed while writing the tree
    with engine.connect() as conn:
        assert store_sources.get_meta(conn, "tree_writing") is not None
    assert _run(vault) == 0
    assert not planted[0].exists()  # the tree was swept
    assert list(verify(engine, config)) == []
    engine.dispose()


def test_a_site_render_that_failed_is_swept_by_the_next(tmp_path: Path, server: LocalServer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from newsvault.render.site import build

    url = server.set("/voa.xml", rss(_item(1, "29 Nov 2025")))
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": url}}, archive=LAYOUT))
    assert not run_once(config, engine).failed
    leftover = site_root(config) / ".index.html.abcd1234.tmp"
    leftover.write_bytes(b"half")

    def full_disk(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(build, "_health", full_disk)
    assert run_once(config, engine).errors  # the render stopped half way
    monkeypatch.undo()
    assert leftover.exists()
    assert not run_once(config, engine).failed
    assert not leftover.exists()


def _month_lists(archive: Path) -> dict[str, bytes]:
    return {p.relative_to(archive).as_posix(): p.read_bytes() for p in sorted((archive / "lists").rglob("*.md"))}


def test_month_lists_and_counts_made_incrementally_equal_a_full_render(tmp_path: Path, server: LocalServer) -> None:
    days = ["28 Nov 2025", "29 Nov 2025", "30 Nov 2025", "01 Dec 2025", "02 Dec 2025"]
    items = {n: _item(n, days[n % len(days)]) for n in range(10)}
    url = server.set("/voa.xml", rss(*items.values()))
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": url}}, archive=LAYOUT))
    assert not run_once(config, engine).failed
    # Edits: an article moves from December to January (December keeps others), one from November
    # to December, one is retitled, and new articles arrive in a new month and an old one.
    items[3] = _item(3, "06 Jan 2026")
    items[0] = _item(0, "03 Dec 2025")
    items[1] = _item(1, "29 Nov 2025", title="改过的标题")
    items[10] = _item(10, "07 Jan 2026")
    items[11] = _item(11, "28 Nov 2025")
    server.set("/voa.xml", rss(*items.values()))
    report = run_once(config, engine)
    assert report.sources[0].new == 2 and report.sources[0].updated == 3
    lists = _month_lists(config.archive)
    assert "lists/美国之音/2026-01.md" in lists
    # All of December's articles leave: its list goes, and the index stops naming it.
    for n in (0, 3, 4, 8, 9):
        items[n] = _item(n, "05 Jan 2026")
    server.set("/voa.xml", rss(*items.values()))
    assert not run_once(config, engine).failed
    lists = _month_lists(config.archive)
    assert "lists/美国之音/2025-12.md" not in lists and "2025-12" not in lists["lists/美国之音/README.md"].decode()
    site_months = sorted(p.name for p in (site_root(config) / "voa").rglob("*.html") if p.stem[:2] == "20")
    assert render_tree(engine, config, full=True).written == 0  # the full render finds every file right
    assert _month_lists(config.archive) == lists
    from newsvault.render.site import render_site

    assert render_site(engine, config, full=True).written == 0  # the site's months and counts too
    assert sorted(p.name for p in (site_root(config) / "voa").rglob("*.html") if p.stem[:2] == "20") == site_months
    assert list(verify(engine, config)) == []


def test_the_search_index_follows_edits_past_its_mark(tmp_path: Path, server: LocalServer) -> None:
    url = server.set("/voa.xml", rss(_item(1, "29 Nov 2025", body="<p>原来的内容</p>")))
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": url}}, archive=LAYOUT))
    assert not run_once(config, engine).failed
    with engine.connect() as conn:
        assert [h.title for h in search(conn, "原来")] == ["第1条"]
        assert conn.execute(text("SELECT value FROM meta WHERE key = 'search_indexed_upto'")).scalar()
    server.set("/voa.xml", rss(_item(1, "29 Nov 2025", body="<p>修改后的内容</p>"), _item(2, "30 Nov 2025")))
    assert not run_once(config, engine).failed
    with engine.connect() as conn:
        assert [h.title for h in search(conn, "修改后")] == ["第1条"]
        assert search(conn, "原来") == []
        assert [h.title for h in search(conn, "正文2")] == ["第2条"]


def test_the_store_has_statistics_and_the_run_reads_by_index(tmp_path: Path) -> None:
    _, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": "http://127.0.0.1:9/x"}}))
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL: ANALYZE ran, its plans are its own
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar() == 1
        plans = {
            "drop_unused": "SELECT id FROM versions WHERE capture_id = 5",
            "pages": "SELECT id FROM articles WHERE source = 'voa' "
            "AND articles.page_state IN ('pending', 'failed') ORDER BY archive_id DESC",
            "updated": "SELECT id FROM articles WHERE updated_ms > 5",
            "unrendered": "SELECT id FROM articles WHERE source = 'voa' AND rendered_sha IS NULL ORDER BY archive_id",
            "listed": "SELECT max(coalesce(articles.date_ms, articles.first_seen_ms)) FROM articles "
            "WHERE articles.source = 'voa'",
            "deleted": "SELECT article_id FROM checks WHERE status IN ('gone', 'censored')",
            "edited": "SELECT article_id FROM versions WHERE n > 1",
            # guids and links: test_matching_a_feed_reads_by_its_keys_… checks the statements `match` sends
            "changed since": "SELECT id FROM articles WHERE (id > 5 AND id < 9000000000) OR updated_ms > 5",
        }
        for name, query in plans.items():
            plan = " ".join(row[-1] for row in conn.execute(text(f"EXPLAIN QUERY PLAN {query}")))
            assert "USING" in plan and "SCAN" not in plan.replace("USING INDEX", ""), (name, plan)
    engine.dispose()


def test_the_store_s_own_page_queries_use_the_index_of_waiting_pages(tmp_path: Path) -> None:
    """The statements `pending_pages` and `failing_pages` send, not a hand-written copy of them.

    SQLAlchemy compared a Boolean expression with 1 on SQLite (`… IN ('pending', 'failed') = 1`), which is
    not the partial index's condition: every hourly run walked every article of each page-bodied outlet.
    """
    from sqlalchemy import event

    from newsvault.store import articles as store_articles

    _, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": "http://127.0.0.1:9/x"}}))
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL: its planner's own choice
    sent: list[tuple[str, object]] = []
    listener = lambda *a: sent.append((a[2], a[3]))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    with engine.connect() as conn:
        store_articles.pending_pages(conn, "voa", 50, 3)
        store_articles.failing_pages(conn, "voa", 3)
        event.remove(engine, "before_cursor_execute", listener)
        assert len(sent) == 2
        for statement, parameters in sent:
            plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
            assert "ix_articles_waiting_page" in plan, (statement, plan)
    engine.dispose()


def test_the_health_report_reads_its_windows_by_when_articles_were_first_seen(tmp_path: Path) -> None:
    """The statements `source_health` sends for its windows of first-seen times (text lengths, dated later than
    seen): each read every article of its outlet, 3.6 s for the report at 200,000 articles, the reader's /health."""
    from sqlalchemy import event

    from newsvault.health import source_health
    from newsvault.store import sources as store_sources

    _, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": "http://127.0.0.1:9/x"}}))
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL: its planner's own choice
    with engine.begin() as conn:
        store_sources.ensure(conn, "voa", "美国之音", None)
    sent: list[tuple[str, object]] = []
    listener = lambda *a: sent.append((a[2], a[3]))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    with engine.connect() as conn:
        source_health(conn)
        event.remove(engine, "before_cursor_execute", listener)
        windows = [(s, p) for s, p in sent if "first_seen_ms >= ?" in s]
        assert len(windows) == 2  # the text lengths of every window at once; the articles dated after seen
        for statement, parameters in windows:
            plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
            assert "ix_articles_source_seen (source=? AND first_seen_ms>?" in plan, (statement, plan)
    engine.dispose()


def test_matching_a_feed_reads_by_its_keys_in_a_store_without_statistics(tmp_path: Path) -> None:
    """The statements `match` sends, in a new store (no statistics until its first run ends): asked for the outlet
    too, SQLite took the outlet's index and read every article of it, bodies and all, for each feed."""
    from sqlalchemy import event

    from newsvault.store import articles as store_articles

    _, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": "http://127.0.0.1:9/x"}}))
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL: its planner's own choice
    sent: list[tuple[str, object]] = []
    listener = lambda *a: sent.append((a[2], a[3]))  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    with engine.connect() as conn:
        assert store_articles.match(conn, "voa", [("g1", "https://x.example/1"), (None, "https://x.example/2")]) == [
            None,
            None,
        ]
        event.remove(engine, "before_cursor_execute", listener)
        assert len(sent) == 2
        for (statement, parameters), index in zip(sent, ("ix_articles_guid", "ix_articles_link"), strict=True):
            plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
            assert index in plan, (statement, plan)
    engine.dispose()


def _files(*roots: Path) -> dict[str, bytes]:
    """Every file under `roots` and its bytes; the site's health page aside (it tells the time of the render)."""
    return {
        p.as_posix(): p.read_bytes()
        for root in roots
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "health.html"
    }


def _recheck(config, engine, abbr: str, now: int) -> None:  # type: ignore[no-untyped-def]
    async def go() -> None:
        async with Fetcher(allow_private=True) as fetcher:
            await recheck_source(engine, config.sources[abbr], fetcher, config, now, 50)

    asyncio.run(go())


@pytest.mark.parametrize("seed", range(4))
def test_rounds_of_random_changes_rendered_incrementally_equal_a_full_render(
    tmp_path: Path, server: LocalServer, seed: int
) -> None:
    """Seeded rounds of new items, edits, new titles, new dates (months apart), items leaving their feeds and
    coming back, pages found gone, censored or live again by re-checks at later times, each round a `run`
    that renders only what changed; then a full render from the store alone must find every file of the
    tree and the site right, and none to add or remove."""
    rng = random.Random(seed)
    days = ["28 Nov 2025", "30 Nov 2025", "02 Dec 2025", "06 Jan 2026", "09 Feb 2026"]
    pages = {
        "live": ("<html><title>页</title><body>正文</body></html>", 200),
        "gone": ("no", 410),
        "censored": ("<html><title>提示</title><body>此内容因违规无法查看</body></html>", 200),
    }
    outlets = ("voa", "rfa", "bbc")
    shown: dict[str, dict[int, str]] = {abbr: {} for abbr in outlets}  # what each feed lists now
    kept: dict[str, dict[int, str]] = {abbr: {} for abbr in outlets}  # every item a feed ever listed, as last
    urls = {abbr: server.set(f"/{abbr}.xml", rss()) for abbr in outlets}
    config, engine = open_vault(write_vault(tmp_path, {a: {"feed": urls[a]} for a in outlets}, archive=LAYOUT))
    number = later = 0

    def item(n: int, day: str, title: str, body: str | None) -> str:  # with a guid: RFA's rule identifies by it
        link = server.url(f"/a/{n}")
        return rss_item(title, link, f"Sat, {day} 12:00:00 GMT", body or f"<p>正文{n}</p>", guid=link)

    for round_ in range(8):
        for abbr in outlets:
            for n in rng.sample(sorted(kept[abbr]), k=min(len(kept[abbr]), rng.randint(0, 3))):
                change = rng.choice(("body", "title", "date", "leave", "back", "page"))
                if change == "page":
                    server.set(f"/a/{n}", *pages[rng.choice(sorted(pages))])
                    continue
                title = f"第{n}条" + ("（改）" * rng.randint(0, 2) if change == "title" else "")
                body = f"<p>正文{n}</p>" + ("<p>补充</p>" if change == "body" else "")
                kept[abbr][n] = item(n, rng.choice(days), title, body) if change != "back" else kept[abbr][n]
                if change == "leave":
                    shown[abbr].pop(n, None)
                else:
                    shown[abbr][n] = kept[abbr][n]
            for _ in range(rng.randint(0, 3)):
                number += 1
                server.set(f"/a/{number}", *pages["live"])
                shown[abbr][number] = kept[abbr][number] = item(number, rng.choice(days), f"第{number}条", None)
            server.set(f"/{abbr}.xml", rss(*(shown[abbr][n] for n in sorted(shown[abbr]))))
        if round_ == 4:  # whatever the seed: one page gone and one censored
            for n, page in zip(range(1, number + 1), ("gone", "censored"), strict=False):
                server.set(f"/a/{n}", *pages[page])
        report = run_once(config, engine)
        assert not report.failed, [(s.abbr, s.error, s.problems) for s in report.sources]
        # Re-checks at a later time each round, which the next round's run renders; in round 4 late enough
        # for every article to be due.
        later += 8 * DAY if round_ == 4 else rng.choice((HOUR, DAY, 3 * DAY))
        for abbr in outlets:
            _recheck(config, engine, abbr, now_ms() + later)
    assert not run_once(config, engine).failed
    from newsvault.render.site import render_site

    rendered = _files(config.archive, site_root(config))
    render_tree(engine, config, full=True)
    render_site(engine, config, full=True)
    whole = _files(config.archive, site_root(config))
    assert [path for path in sorted(rendered.keys() | whole.keys()) if rendered.get(path) != whole.get(path)] == []
    assert list(verify(engine, config)) == []
    with engine.connect() as conn:  # the seeds reach what they are for: deletions and edits
        noticed = set(conn.execute(text("SELECT status FROM statuses")).scalars())
        edited = conn.execute(text("SELECT count(*) FROM versions WHERE n > 1")).scalar()
    assert {"gone", "censored"} <= noticed and edited, (noticed, edited)
    engine.dispose()
