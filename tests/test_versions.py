"""Every version kept; edits and deletions at the source noticed (re-checks against a real server)."""

from __future__ import annotations

import asyncio
import re
import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from newsvault.cli import cli
from newsvault.fetch import Fetcher
from newsvault.schedule import run_once
from newsvault.schedule.recheck import recheck_source
from newsvault.store import articles as store_articles
from newsvault.store import statuses, versions
from newsvault.store.schema import captures
from newsvault.store.statuses import DAY, HOUR, MINUTE, next_check
from tests.vaults import open_vault, rss, rss_item, write_vault

DATE = "Wed, 01 May 2024 12:00:00 GMT"


def _article(engine, link):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return store_articles.match(conn, "voa", [(None, link)])[0]


def test_ladder():
    t0 = 1_000_000_000_000
    assert next_check(t0, t0) == t0 + 15 * MINUTE
    assert next_check(t0, t0 + 4 * HOUR) == t0 + 5 * HOUR
    assert next_check(t0, t0 + 2 * DAY) == t0 + 2 * DAY + 3 * HOUR
    assert next_check(t0, t0 + 10 * DAY) == t0 + 11 * DAY
    assert next_check(t0, t0 + 100 * DAY) == t0 + 130 * DAY
    assert next_check(t0, t0 + 400 * DAY) is None


def test_each_distinct_content_is_a_version_and_repeats_are_not(tmp_path, server):
    link = "https://a.example/x"
    url = server.set("/f.xml", rss(rss_item("一", link, DATE, "<p>a</p>")))
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": url}}))
    run_once(config, engine)
    run_once(config, engine)  # same content: no new version, no new capture
    # Other bytes, same items (a feed's build date moves every hour): nothing to keep either.
    server.set("/f.xml", rss(rss_item("一", link, DATE, "<p>a</p>")).replace(b"<title>t</title>", b"<title>t2</title>"))
    run_once(config, engine)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(captures)).scalar() == 1
    server.set("/f.xml", rss(rss_item("一（更新）", link, DATE, "<p>b</p>")))
    run_once(config, engine)
    server.set("/f.xml", rss(rss_item("一（更新）", link, "Thu, 02 May 2024 12:00:00 GMT", "<p>b</p>")))
    run_once(config, engine)  # a new date alone is not a new version
    article = _article(engine, link)
    with engine.connect() as conn:
        history = versions.history(conn, article["id"])
        assert [(v["n"], v["title"], v["body"]) for v in history] == [
            (1, "一", "<p>a</p>"),
            (2, "一（更新）", "<p>b</p>"),
        ]
        assert history[0]["capture_id"] != history[1]["capture_id"]
        assert [s["status"] for s in statuses.history(conn, article["id"])] == ["changed"]
        # One capture per version: the re-dated feed made none, so its bytes were not kept.
        assert conn.execute(select(func.count()).select_from(captures)).scalar() == 2


def _recheck(config, engine, now):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        async with Fetcher(allow_private=True) as fetcher:
            return await recheck_source(engine, config.sources["voa"], fetcher, config, now, 50)

    return asyncio.run(go())


def test_recheck_outcomes(tmp_path, server):
    links = {name: server.url(f"/a/{name}.html") for name in ("same", "gone", "notice", "home", "down")}
    items = [rss_item(name, link, DATE, f"<p>{name}</p>") for name, link in links.items()]
    for name, _link in links.items():
        server.set(f"/a/{name}.html", f"<html><title>{name}</title><body>正文</body></html>")
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": server.set("/f.xml", rss(*items))}}))
    run_once(config, engine)
    with engine.connect() as conn:
        first_seen = _article(engine, links["same"])["first_seen_ms"]
        stored_before = conn.execute(select(func.count()).select_from(captures)).scalar()

    later = first_seen + 20 * MINUTE
    result = _recheck(config, engine, later)
    assert (result.checked, result.gone, result.censored) == (5, 0, 0)
    with engine.connect() as conn:  # unchanged pages grow nothing
        assert conn.execute(select(func.count()).select_from(captures)).scalar() == stored_before

    server.set("/a/gone.html", "no", status=404)
    server.set("/a/notice.html", "<html><title>提示</title><body>此内容因违规无法查看</body></html>")
    server.set("/a/home.html", "", status=302, headers={"Location": "/"})
    server.set("/", "<html><title>首页</title></html>")
    server.set("/a/down.html", "oops", status=503)
    result = _recheck(config, engine, later + HOUR)
    assert (result.gone, result.censored, result.unreachable) == (1, 2, 1)
    with engine.connect() as conn:
        state = {
            name: [s["status"] for s in statuses.history(conn, _article(engine, link)["id"])]
            for name, link in links.items()
        }
        deleted = {r["title"] for r in statuses.deleted(conn)}
    assert state == {
        "same": [],
        "gone": ["gone"],
        "notice": ["censored"],
        "home": ["censored"],
        "down": ["unreachable"],
    }
    assert deleted == {"gone", "notice", "home"}  # 5xx is never a deletion
    # Nothing due any more until the ladder says so.
    assert _recheck(config, engine, later + HOUR + MINUTE).checked == 0


def test_published_tree_keeps_earlier_versions_and_lists_edits_and_deletions(tmp_path, server):
    from newsvault.archive import parse_article

    link = server.url("/a/1.html")
    server.set("/a/1.html", "<html><title>t</title><body>正文</body></html>")
    feed = server.set("/f.xml", rss(rss_item("原标题", link, DATE, "<p>原文</p>")))
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": feed}}))
    run_once(config, engine)
    assert not (config.archive / "lists/已修改.md").exists()  # nothing edited: nothing written
    server.set("/f.xml", rss(rss_item("新标题", link, DATE, "<p>改过的</p>")))
    run_once(config, engine)
    archive = config.archive
    assert parse_article((archive / "articles/voa/1048574.md").read_bytes()).title == "新标题"
    old = parse_article((archive / "versions/voa/1048574/1.md").read_bytes())
    assert (old.title, old.body, old.url) == ("原标题", "<p>原文</p>", link)
    assert not (archive / "versions/voa/1048574/2.md").exists()  # the current one lives in articles/
    edited = (archive / "lists/已修改.md").read_text("utf-8")
    assert edited.startswith("已修改\n------\n\n") and "[新标题](/articles/voa/1048574.md)" in edited

    server.set("/a/1.html", "gone", status=410)
    first_seen = _article(engine, link)["first_seen_ms"]
    _recheck(config, engine, first_seen + 20 * MINUTE)
    from newsvault.render.tree import render_tree

    render_tree(engine, config)
    deleted = (archive / "lists/已删除.md").read_text("utf-8")
    assert "[新标题](/articles/voa/1048574.md)" in deleted


def test_per_source_deletion_patterns_and_recheck_switch(tmp_path, server):
    link = server.set("/a/1.html", "<html><title>t</title><body>正文</body></html>")
    feed = server.set("/f.xml", rss(rss_item("一", link, DATE, "<p>1</p>")))
    vault = write_vault(tmp_path, {"voa": {"feed": feed}})
    with (vault / "vault.toml").open("a") as f:
        f.write('deleted_patterns = ["本文已下架"]\n')
    config, engine = open_vault(vault)
    run_once(config, engine)
    first_seen = _article(engine, link)["first_seen_ms"]
    server.set("/a/1.html", "<html><title>t</title><body>本文已下架</body></html>")
    assert _recheck(config, engine, first_seen + 20 * MINUTE).censored == 1
    (vault / "vault.toml").write_text(
        (vault / "vault.toml").read_text().replace('deleted_patterns = ["本文已下架"]', "recheck = false")
    )
    config, engine = open_vault(vault)
    assert _recheck(config, engine, first_seen + 2 * DAY).checked == 0


@pytest.mark.parametrize("layout", [{}, {"shard_by_month": True}], ids=["flat", "sharded"])
def test_a_store_rebuilt_from_its_tree_numbers_new_versions_after_the_published_ones(tmp_path, server, layout):
    """An Actions cache lost: `import` of the published tree, then an edit of an article edited before.

    The rebuilt store has the article's current text but not its history: the
    published earlier version must stay as it is (not be written over by the
    text the store knows as its first), the new versions follow it, and
    `verify` finds the rebuilt vault consistent (before and after the edit).
    """
    link = server.url("/a/1.html")
    server.set("/a/1.html", "<html><title>t</title><body>正文</body></html>")

    def feed(body: str) -> str:
        return server.set("/f.xml", rss(rss_item("标题", link, DATE, f"<p>{body}</p>")))

    vault = write_vault(tmp_path / "vault", {"voa": {"feed": feed("第一版")}}, archive=layout)
    config, engine = open_vault(vault)
    run_once(config, engine)
    feed("第二版")
    run_once(config, engine)
    engine.dispose()
    (first,) = (p for p in (config.archive / "versions").rglob("*.md"))
    assert first.name == "1.md" and "第一版" in first.read_text("utf-8")
    published = first.read_bytes()

    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(vault, rebuilt, ignore=shutil.ignore_patterns("vault.sqlite*", "search-index", "site"))
    toml = rebuilt / "vault.toml"  # a store of its own: with --store=postgresql the first one is named there
    toml.write_text(re.sub(r'(?m)^\[store\]\nurl = ".*"\n', "", toml.read_text("utf-8")), "utf-8")
    for command in (["import", str(rebuilt / "archive")], ["render"], ["verify"]):
        result = CliRunner().invoke(cli, ["--vault", str(rebuilt), *command], catch_exceptions=False)
        assert result.exit_code == 0, result.output

    feed("第三版")
    config, engine = open_vault(rebuilt)
    try:
        run_once(config, engine)
        folder = config.archive / first.relative_to(vault / "archive").parent
        assert (folder / "1.md").read_bytes() == published  # never written over
        assert "第二版" in (folder / "2.md").read_text("utf-8") and not (folder / "3.md").exists()
        article = next((config.archive / "articles").rglob("*.md"))
        assert "第三版" in article.read_text("utf-8")
        with engine.connect() as conn:
            row = _article(engine, link)
            assert [(v["n"], v["body"]) for v in versions.history(conn, row["id"])] == [
                (2, "<p>第二版</p>"),
                (3, "<p>第三版</p>"),
            ]
    finally:
        engine.dispose()
    result = CliRunner().invoke(cli, ["--vault", str(rebuilt), "verify"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
