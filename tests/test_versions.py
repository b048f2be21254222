"""Every version kept; edits and deletions at the source noticed (re-checks against a real server)."""

from __future__ import annotations

import asyncio
import re
import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from newsvault.archive.lists import list_lines
from newsvault.cli import cli
from newsvault.fetch import Fetcher
from newsvault.schedule import run_once
from newsvault.schedule.recheck import recheck_source
from newsvault.store import articles as store_articles
from newsvault.store import imports as store_imports
from newsvault.store import sources as store_sources
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


def test_every_earlier_version_reaches_the_tree_whichever_article_is_edited_first(tmp_path, server):
    """The hourly render writes only what changed: an article edited after a newer one still gets its files.

    Found by fuzzing: the render marked the newest earlier version it had written,
    then wrote only versions past that mark, so version 1 of an older article,
    edited after a newer one, never reached the published tree.
    """
    old, new = "https://a.example/old", "https://a.example/new"
    later = "Thu, 02 May 2024 12:00:00 GMT"

    def feed(old_title: str, new_title: str) -> bytes:
        return rss(rss_item(new_title, new, later, f"<p>{new_title}</p>"), rss_item(old_title, old, DATE, "<p>旧</p>"))

    url = server.set("/f.xml", feed("旧闻", "新闻"))
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": url}}))
    run_once(config, engine)
    ids = {link: _article(engine, link)["archive_id"] for link in (old, new)}
    for old_title, new_title in (("旧闻", "新闻二"), ("旧闻二", "新闻二"), ("旧闻二", "新闻三"), ("旧闻三", "新闻三")):
        server.set("/f.xml", feed(old_title, new_title))
        run_once(config, engine)  # the newer article edited, then the older one, then again each in turn
    archive = config.archive
    assert sorted(str(p.relative_to(archive)) for p in (archive / "versions").rglob("*.md")) == sorted(
        f"versions/voa/{ids[link]}/{n}.md" for link in (old, new) for n in (1, 2)
    )
    result = CliRunner().invoke(cli, ["--vault", str(tmp_path), "verify"])
    assert result.exit_code == 0, result.output

    # A tree kept under the old mark lacks such files: the first render under the new one writes them.
    missing = archive / f"versions/voa/{ids[old]}/1.md"
    missing.unlink()
    with engine.begin() as conn:
        store_sources.drop_meta(conn, "versions_written_upto")
        store_sources.set_meta(conn, "versions_rendered_upto", "999")
    run_once(config, engine)
    assert missing.is_file()


def test_a_deleted_articles_page_says_when_it_was_last_found_gone(tmp_path, server):
    """A re-check that finds an article still gone records no status: the site's page kept the first check's
    time until something else changed the article, and so did the list of deleted articles (found by comparing
    run-by-run renders with whole ones)."""
    from newsvault.base.clock import china_minute
    from newsvault.render.site.paths import site_root
    from newsvault.render.tree import render_tree

    link = server.set("/a/1.html", "<html><body>正文</body></html>")
    feed = server.set("/f.xml", rss(rss_item("标题", link, DATE, "<p>正文</p>")))
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": feed}}))
    run_once(config, engine)
    server.set("/a/1.html", "gone", status=410)
    page = site_root(config) / "voa/1048574.html"
    first_seen = _article(engine, link)["first_seen_ms"]
    for now in (first_seen + 20 * MINUTE, first_seen + 3 * DAY):
        assert _recheck(config, engine, now) is not None
        render_tree(engine, config)
        with engine.connect() as conn:
            assert statuses.deletions(conn) == {_article(engine, link)["id"]: ("gone", now)}
        assert f"<time>{china_minute(now)}</time>" in page.read_text("utf-8")
        assert f"<time>{china_minute(now)}</time>" in (site_root(config) / "deleted.html").read_text("utf-8")


def test_an_article_found_deleted_then_changed_in_the_feed_is_live_in_every_view(tmp_path, server):
    """The status log counts an article live again after a change in the feed, but its check still said
    deleted: the site showed the notice until a later re-check, which then moved no mark, so it stayed
    (found by comparing run-by-run renders with whole ones)."""
    from newsvault.render.site.paths import site_root
    from newsvault.render.tree import render_tree

    link = server.set("/a/1.html", "<html><body>正文</body></html>")
    feed = server.set("/f.xml", rss(rss_item("标题", link, DATE, "<p>正文</p>")))
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": feed}}))
    run_once(config, engine)
    server.set("/a/1.html", "gone", status=410)
    first_seen = _article(engine, link)["first_seen_ms"]
    _recheck(config, engine, first_seen + 20 * MINUTE)
    render_tree(engine, config)
    page, listed = site_root(config) / "voa/1048574.html", site_root(config) / "deleted.html"
    assert "原网站已删除此文" in page.read_text("utf-8") and "标题" in listed.read_text("utf-8")
    server.set("/f.xml", rss(rss_item("标题", link, DATE, "<p>改过的正文</p>")))
    server.set("/a/1.html", "<html><body>改过的正文</body></html>")
    run_once(config, engine)
    with engine.connect() as conn:
        assert statuses.deletions(conn) == {}
    assert "原网站已删除此文" not in page.read_text("utf-8") and "标题" not in listed.read_text("utf-8")
    assert "标题" not in (config.archive / "lists/已删除.md").read_text("utf-8")
    _recheck(config, engine, first_seen + 3 * DAY)  # found live: nothing to show differently
    render_tree(engine, config)
    assert "原网站已删除此文" not in page.read_text("utf-8")


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


def _titles(data: bytes) -> list[str]:
    return [line[line.index("[") + 1 :].split("]")[0] for line in list_lines(data)]


@pytest.mark.parametrize("layout", [{}, {"shard_by_month": True}], ids=["flat", "sharded"])
def test_a_store_rebuilt_from_its_tree_goes_on_from_the_published_changes(tmp_path, server, layout):
    """An Actions cache lost: `import` of the published tree, then new edits.

    The rebuilt store has the articles' current text but not their history:
    the published earlier version of 一 must stay as it is (not be written
    over by the text the store knows as its first) and its new versions follow
    it; the change lists keep what was noticed before (三's edit, 四's
    deletion) below what the rebuilt store notices; `verify` finds the rebuilt
    vault consistent before and after.
    """
    names = ("一", "二", "三", "四")
    paths = {name: f"/a/{n}.html" for n, name in enumerate(names)}
    links = {name: server.set(path, "<html><title>t</title><body>正文</body></html>") for name, path in paths.items()}

    def feed(**bodies: str) -> str:
        items = [rss_item(name, links[name], DATE, f"<p>{name}{bodies.get(name, '第一版')}</p>") for name in names]
        return server.set("/f.xml", rss(*items))

    vault = write_vault(tmp_path / "vault", {"voa": {"feed": feed()}}, archive=layout)
    config, engine = open_vault(vault)
    run_once(config, engine)
    feed(一="第二版", 三="第二版")
    run_once(config, engine)
    server.set(paths["四"], "gone", status=410)
    _recheck(config, engine, _article(engine, links["四"])["first_seen_ms"] + 20 * MINUTE)
    from newsvault.render.tree import render_tree

    render_tree(engine, config)
    engine.dispose()
    lists = {name: config.archive / f"lists/{name}.md" for name in ("已修改", "已删除")}
    published = {name: path.read_bytes() for name, path in lists.items()}
    assert _titles(published["已删除"]) == ["四"]
    first = next(p for p in (config.archive / "versions").rglob("1.md") if "一第一版" in p.read_text("utf-8"))
    version_one = first.read_bytes()
    # Its own tree imported again into the store that noticed the changes: its lists stay the store's own.
    result = CliRunner().invoke(cli, ["--vault", str(vault), "import", str(config.archive)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    _, engine = open_vault(vault)
    with engine.connect() as conn:
        assert "changes" not in {row["kind"] for row in store_imports.kept_index(conn)}
    engine.dispose()

    rebuilt = tmp_path / "rebuilt"
    shutil.copytree(vault, rebuilt, ignore=shutil.ignore_patterns("vault.sqlite*", "search-index", "site"))
    # A file someone put beside the published versions: kept as it is, and not taken for a version number.
    stray = rebuilt / "archive" / first.relative_to(vault / "archive").parent / "README.md"
    stray.write_text("这里是一的各个版本。\n", "utf-8")
    toml = rebuilt / "vault.toml"  # a store of its own: with --store=postgresql the first one is named there
    toml.write_text(re.sub(r'(?m)^\[store\]\nurl = ".*"\n', "", toml.read_text("utf-8")), "utf-8")
    for command in (["import", str(rebuilt / "archive")], ["render"], ["verify"]):
        result = CliRunner().invoke(cli, ["--vault", str(rebuilt), *command], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    archive = rebuilt / "archive"
    assert {name: (archive / f"lists/{name}.md").read_bytes() for name in lists} == published

    feed(一="第三版", 二="第二版", 三="第二版")
    config, engine = open_vault(rebuilt)
    try:
        run_once(config, engine)
        folder = archive / first.relative_to(vault / "archive").parent
        assert (folder / "1.md").read_bytes() == version_one  # never written over
        assert "一第二版" in (folder / "2.md").read_text("utf-8") and not (folder / "3.md").exists()
        assert stray.read_text("utf-8") == "这里是一的各个版本。\n"
        with engine.connect() as conn:
            history = versions.history(conn, _article(engine, links["一"])["id"])
        assert [(v["n"], v["body"]) for v in history] == [(2, "<p>一第二版</p>"), (3, "<p>一第三版</p>")]
    finally:
        engine.dispose()
    edited = [
        line[line.index("[") + 1 :].split("]")[0] for line in list_lines((archive / "lists/已修改.md").read_bytes())
    ]
    assert sorted(edited[:2]) == ["一", "二"] and edited[2:] == ["三"]  # the store's, then the earlier one's
    assert (archive / "lists/已删除.md").read_bytes() == published["已删除"]  # noticed before the rebuild, still
    result = CliRunner().invoke(cli, ["--vault", str(rebuilt), "verify"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
