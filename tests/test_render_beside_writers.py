"""Renders and the reader beside writers: reads interleaved at chosen points with another's commits.

With workers polling the sources, the tree's machine runs `render` on a
schedule and readers use `serve`: what a worker commits while they read must
reach the tree, the site and the reader's pages by the next render or
request, however the two interleave (store/marks.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from newsvault.base.clock import now_ms
from newsvault.base.failpoints import ENV as FAILPOINT
from newsvault.render.site.paths import change_feed, site_root
from newsvault.render.tree import render_tree
from newsvault.schedule import run_once
from newsvault.schedule.ingest import store_items
from newsvault.schedule.reading import read_feed
from newsvault.store import articles as store_articles
from tests.vaults import open_vault, rss, rss_item, write_vault

NEWSVAULT = str(Path(sys.executable).with_name("newsvault"))
DATE = "Wed, 01 May 2024 12:00:00 GMT"


def _stopped(vault: Path, command: str, point: str) -> subprocess.Popen[str]:
    """`newsvault COMMAND` run until it stops itself at `point` (SIGSTOP): the caller sends SIGCONT."""
    env = {k: v for k, v in os.environ.items() if k != FAILPOINT} | {FAILPOINT: f"{point}:1:stop"}
    started = subprocess.Popen(
        [NEWSVAULT, "--vault", str(vault), command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    _pid, how = os.waitpid(started.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(how), f"{command} never reached {point}: {started.communicate()}"
    return started


def _finish(started: subprocess.Popen[str]) -> None:
    os.kill(started.pid, signal.SIGCONT)
    out, err = started.communicate(timeout=300)
    assert started.returncode == 0, out + err


def test_an_article_edited_while_the_tree_is_written_reaches_the_tree_next_render(tmp_path, server):
    """The render marked the article written with the sha of the file it wrote before the edit: every
    later render took the article as written, and the tree kept the old text."""
    link = "https://a.example/1.html"
    feed = server.set("/f.xml", rss(rss_item("标题", link, DATE, "<p>第一版正文</p>")))
    vault = write_vault(tmp_path, {"voa": {"feed": feed}})
    config, engine = open_vault(vault)
    run_once(config, engine, render=False)
    render = _stopped(vault, "render", "render.article_written")  # the file written, its mark not yet
    try:
        server.set("/f.xml", rss(rss_item("标题", link, DATE, "<p>第二版正文</p>")))
        run_once(config, engine, render=False)  # a worker's edit, committed meanwhile
    finally:
        _finish(render)
    render_tree(engine, config)
    (path,) = (config.archive / "articles").rglob("*.md")
    assert "第二版正文" in path.read_text("utf-8")


def test_rows_a_worker_commits_under_ids_already_rendered_reach_the_site_the_tree_and_the_feeds(
    tmp_path, pg_url, server
):
    """On PostgreSQL an id is taken when its row is inserted: a worker's transaction still open holds ids
    below those another worker has committed. The render's marks were the largest ids, so what the first
    worker committed afterwards stayed behind them: no page for its new article, no earlier version in the
    tree, its edit in no list or feed of changes; and the page of its edited article, stamped before the
    newest update the render saw, kept the old text."""
    a1, a2, b1, b2 = "https://a.example/1", "https://a.example/2", "https://b.example/1", "https://b.example/2"
    feeds = {
        "a": server.set("/a.xml", rss(rss_item("甲一", a1, DATE, "<p>甲一的正文</p>"))),
        "b": server.set("/b.xml", rss(rss_item("乙一", b1, DATE, "<p>乙一的正文</p>"))),
    }
    vault = tmp_path / "vault"
    vault.mkdir()
    lines = ["[store]", f'url = "{pg_url}"', "[fetch]", "retries = 0", "allow_private = true"]
    for abbr, feed in feeds.items():
        lines += [f"[sources.{abbr}]", f'name = "{abbr}"', f'feed = "{feed}"']
    (vault / "vault.toml").write_text("\n".join(lines) + "\n", "utf-8")
    config, engine = open_vault(vault)
    run_once(config, engine)
    source = config.sources["a"]
    edited = rss(
        rss_item("甲一（更新）", a1, DATE, "<p>甲一改过的正文</p>"), rss_item("甲二", a2, DATE, "<p>甲二的正文</p>")
    )
    now = now_ms()
    with engine.connect() as held:
        with held.begin():  # the first worker: a's edit and new article, inserted, not committed
            store_items(held, source, read_feed(edited, {}, source, now).items, now)
            server.set(
                "/b.xml", rss(rss_item("乙一", b1, DATE, "<p>乙一改过</p>"), rss_item("乙二", b2, DATE, "<p>乙二</p>"))
            )
            # The second worker commits an edit stamped after the first's, and the tree's machine renders.
            run_once(config, engine, only=("b",))
    render_tree(engine, config)

    with engine.connect() as conn:
        first, second = (store_articles.match(conn, "a", [(None, link)])[0] for link in (a1, a2))
    site = site_root(config)
    assert "甲二的正文" in (site / f"a/{second['archive_id']}.html").read_text("utf-8")
    assert "甲一改过的正文" in (site / f"a/{first['archive_id']}.html").read_text("utf-8")
    assert "甲一（更新）" in (site / "edited.html").read_text("utf-8")
    assert "甲一（更新）" in (site / change_feed("edited", "a", "atom")).read_text("utf-8")
    assert "甲一的正文" in (config.archive / f"versions/a/{first['archive_id']}/1.md").read_text("utf-8")
    assert "甲一（更新）" in (config.archive / change_feed("edited", None, "atom")).read_text("utf-8")


def test_the_readers_outlet_counts_count_an_article_a_worker_commits_under_the_newest_id(tmp_path, pg_url):
    """The reader keeps its per-outlet counts (a GROUP BY over every article) under a stamp of the newest
    id: an article committed under it afterwards was not counted until another article came."""
    from starlette.testclient import TestClient

    from newsvault.store import sources as store_sources
    from newsvault.web import create_app

    lines = ["[store]", f'url = "{pg_url}"', "[sources.a]", 'name = "甲台"', 'feed = "http://127.0.0.1:9/a.xml"']
    lines += ["[sources.b]", 'name = "乙台"', 'feed = "http://127.0.0.1:9/b.xml"']
    (tmp_path / "vault.toml").write_text("\n".join(lines) + "\n", "utf-8")
    config, engine = open_vault(tmp_path)
    with engine.begin() as conn:
        for abbr, source in config.sources.items():
            store_sources.ensure(conn, abbr, source.name, source.feed)

    def store(conn, abbr: str) -> None:  # type: ignore[no-untyped-def]
        feed = rss(rss_item(f"{abbr}的文章", f"https://{abbr}.example/1", DATE, "<p>正文</p>"))
        store_items(conn, config.sources[abbr], read_feed(feed, {}, config.sources[abbr], now_ms()).items, now_ms())

    client = TestClient(create_app(config, engine))
    assert "a · 0 篇" in client.get("/").text
    with engine.connect() as held:
        with held.begin():  # the first worker's article, inserted, not committed
            store(held, "a")
            with engine.begin() as conn:  # the second worker's, committed
                store(conn, "b")
            assert "a · 0 篇" in client.get("/").text and "b · 1 篇" in client.get("/").text
    assert "a · 1 篇" in client.get("/").text
