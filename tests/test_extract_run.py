"""body = "auto" and fallback feeds in real runs, and article pages that must be refused.

Everything is served from 127.0.0.1; the private-address case uses a 10.0.0.1
link that the guard refuses before any connection is attempted.
"""

from __future__ import annotations

from newsvault.archive import parse_article
from newsvault.render.site.paths import site_root
from newsvault.schedule import run_once
from newsvault.search import search, update_index
from tests.support.server import Route
from tests.vaults import open_vault, rss, rss_item

DATE = "Wed, 01 May 2024 12:00:00 GMT"
OLDER = "Tue, 30 Apr 2024 12:00:00 GMT"
ARTICLE = "<p>" + "这是一篇很长的新闻正文，讲述了事件的来龙去脉。" * 30 + "</p>"
LONG_FEED_BODY = "<p>" + "订阅源里已经有完整的正文。" * 30 + "</p>"


def article_page(body: str = ARTICLE) -> str:
    return (
        f"<html><head><title>标题 - 网站</title></head><body><div class='nav'><a href='/'>首页</a></div>"
        f"<div class='article'>{body}</div><div class='footer'>版权所有</div></body></html>"
    )


def vault_toml(
    tmp_path,
    body: str,
    *,
    allow_private: bool = True,
    extra: str = "",
    max_bytes: int | None = None,
    timeout: float = 3.0,
):
    lines = ["[fetch]", f"timeout = {timeout}", "retries = 0", f"allow_private = {str(allow_private).lower()}"]
    if max_bytes:
        lines.append(f"max_bytes = {max_bytes}")
    (tmp_path / "vault.toml").write_text("\n".join(lines) + "\n\n" + body + extra, "utf-8")
    return open_vault(tmp_path)


def bodies(config, abbr: str = "voa") -> dict[str, str]:
    folder = config.archive / "articles" / abbr
    return {a.title: a.body for a in (parse_article(p.read_bytes()) for p in folder.iterdir())}


def test_short_feed_bodies_come_from_the_page_once(tmp_path, server):
    short = server.set("/a/1.html", article_page())
    full = server.set("/a/2.html", article_page())
    feed = server.set(
        "/f.xml", rss(rss_item("短", short, DATE, "<p>导语</p>"), rss_item("长", full, OLDER, LONG_FEED_BODY))
    )
    config, engine = vault_toml(tmp_path, f'[sources.voa]\nfeed = "{feed}"\nbody = "auto"\nmin_length = 100\n')
    report = run_once(config, engine)
    assert not report.failed, report.sources[0].problems
    found = bodies(config)
    assert "这是一篇很长的新闻正文" in found["短"] and "首页" not in found["短"] and "版权所有" not in found["短"]
    assert found["长"] == LONG_FEED_BODY
    assert server.count("/a/1.html") == 1 and server.count("/a/2.html") == 0
    # Next run: the teaser in the feed is not an edit, and the page is not fetched again.
    report = run_once(config, engine)
    assert (report.sources[0].updated, report.sources[0].unchanged) == (0, 2)
    assert server.count("/a/1.html") == 1 and bodies(config)["短"] == found["短"]
    # Getting the full text is not an edit at the source: one version, and no 已修改 list.
    from newsvault.store import versions

    with engine.connect() as conn:
        edited = versions.edited(conn)
    assert edited == [] and not (config.archive / "lists/已修改.md").exists()


def _one_bad_page(tmp_path, server, bad_link: str, **vault):
    good = server.set("/a/good.html", article_page())
    feed = server.set(
        "/f.xml",
        rss(
            rss_item("坏", bad_link, DATE, "<p>导语</p>"),
            rss_item("好", good, OLDER, "<p>另一条</p>"),
            rss_item("全文", "https://example.invalid/full", OLDER, LONG_FEED_BODY),
        ),
    )
    config, engine = vault_toml(tmp_path, f'[sources.voa]\nfeed = "{feed}"\nbody = "auto"\nmin_length = 100\n', **vault)
    report = run_once(config, engine)
    found = bodies(config)
    assert found["坏"] == "<p>导语</p>"  # kept, with the feed's body
    assert found["全文"] == LONG_FEED_BODY
    return report, found


def _refused(report, link: str, reason: str) -> None:
    problems = [str(p) for p in report.sources[0].problems]
    assert report.failed and report.sources[0].error is None
    assert any(link in p and reason in p for p in problems), problems


def test_a_huge_page_is_refused(tmp_path, server):
    link = server.set("/a/huge.html", article_page("<p>" + "大" * 400_000 + "</p>"))
    report, found = _one_bad_page(tmp_path, server, link, max_bytes=1_000_000)
    _refused(report, link, "body larger than")
    assert "这是一篇很长的新闻正文" in found["好"]


def test_a_page_that_never_finishes_is_refused(tmp_path, server):
    server.routes["/a/drip.html"] = Route(article_page().encode(), drip=0.05)
    link = server.url("/a/drip.html")
    report, found = _one_bad_page(tmp_path, server, link, timeout=1.0)
    _refused(report, link, "timed out after 1 s")
    assert "这是一篇很长的新闻正文" in found["好"]


def test_a_redirect_loop_is_refused(tmp_path, server):
    link = server.set("/a/loop.html", status=302, headers={"Location": "/a/loop2.html"})
    server.set("/a/loop2.html", status=302, headers={"Location": "/a/loop.html"})
    report, found = _one_bad_page(tmp_path, server, link)
    _refused(report, link, "redirect loop")
    assert "这是一篇很长的新闻正文" in found["好"]


def test_an_article_link_to_a_private_address_is_refused_before_connecting(tmp_path, server):
    report, _found = _one_bad_page(tmp_path, server, "http://10.0.0.1/article.html", allow_private=False)
    _refused(report, "http://10.0.0.1/article.html", "refused non-public address 10.0.0.1")
    # 127.0.0.1 is refused too once content URLs may not reach private addresses; the feed itself is trusted.
    _refused(report, server.url("/a/good.html"), "refused non-public address 127.0.0.1")


FALLBACK = """[sources.voa]
feed = "{primary}"
fallback_after = 2
idle_after = {idle}
fallbacks = [{{ feed = "{fallback}", body = "description" }}]
"""


def test_a_dead_feed_switches_to_its_fallback_keeping_folder_and_countdown(tmp_path, server):
    primary = server.set("/mirror.xml", rss(rss_item("镜像一", "https://a.example/1", OLDER, "<p>1</p>")))
    fallback = server.set("/own.xml", rss(rss_item("自家二", "https://a.example/2", DATE, "<p>2</p>")))
    config, engine = vault_toml(tmp_path, FALLBACK.format(primary=primary, fallback=fallback, idle=100))
    assert not run_once(config, engine).failed
    server.set("/mirror.xml", "gone", status=500)
    first = run_once(config, engine).sources[0]
    assert first.error and not first.notes
    second = run_once(config, engine).sources[0]
    switched = f"switched feed after 2 failed runs in a row: {primary} -> {fallback} (from the next run)"
    assert [str(n) for n in second.notes] == [switched]
    assert server.count("/own.xml") == 0
    third = run_once(config, engine).sources[0]
    assert not third.failed and third.new == 1
    files = sorted(p.name for p in (config.archive / "articles/voa").iterdir())
    assert files == ["1048573.md", "1048574.md"]  # the same folder, the countdown goes on
    assert parse_article((config.archive / "articles/voa/1048573.md").read_bytes()).title == "自家二"
    assert server.count("/mirror.xml") == 3


def test_a_feed_that_stops_producing_items_is_switched_and_the_switch_is_printed(tmp_path, server):
    from click.testing import CliRunner

    from newsvault.cli import cli

    primary = server.set("/mirror.xml", rss(rss_item("旧", "https://a.example/1", OLDER, "<p>1</p>")))
    fallback = server.set("/own.xml", rss(rss_item("新", "https://a.example/2", DATE, "<p>2</p>")))
    config, engine = vault_toml(tmp_path, FALLBACK.format(primary=primary, fallback=fallback, idle=2))
    run_once(config, engine)  # one new item
    assert not run_once(config, engine).sources[0].notes  # one run without a new item
    result = CliRunner().invoke(cli, ["--vault", str(tmp_path), "run"])
    assert f"voa: switched feed after no new item in 2 runs: {primary} -> {fallback}" in result.output
    assert result.exit_code == 0
    run_once(config, engine)
    assert server.count("/own.xml") == 1
    assert set(bodies(config)) == {"旧", "新"}


def test_a_silent_feed_without_fallbacks_is_noted(tmp_path, server):
    feed = server.set("/f.xml", rss(rss_item("旧", "https://a.example/1", OLDER, "<p>1</p>")))
    config, engine = vault_toml(tmp_path, f'[sources.voa]\nfeed = "{feed}"\nidle_after = 1\n')
    run_once(config, engine)
    notes = run_once(config, engine).sources[0].notes
    assert [str(n) for n in notes] == [
        "no new item in 1 runs: the feed may have died (list `fallbacks` for this source)"
    ]


def _cdt_page_vault(tmp_path, server, share: str):  # type: ignore[no-untyped-def]
    """A CDT source whose one article's page holds a share button the rule keeps; run once. (config, engine)."""
    page = f"<html><body><div class='post-content'><p>正文</p><div class='share'>{share}</div></div></body></html>"
    link = server.set("/p/1.html", page)
    feed = server.set(
        "/f.xml", rss(rss_item("一", link, DATE, "x", guid="https://c.example/?p=5", categories=("【图】",)))
    )
    config, engine = vault_toml(tmp_path, f'[sources.cdt]\nfeed = "{feed}"\n')
    run_once(config, engine)
    return config, engine


def _reextract_with_a_selector(tmp_path):  # type: ignore[no-untyped-def]
    """The rule narrowed to the paragraphs, then `newsvault reextract --source cdt`: its result."""
    from click.testing import CliRunner

    from newsvault.cli import cli

    (tmp_path / "vault.toml").write_text((tmp_path / "vault.toml").read_text() + 'selector = "div.post-content p"\n')
    return CliRunner().invoke(cli, ["--vault", str(tmp_path), "reextract", "--source", "cdt"])


def test_reextract_applies_a_new_rule_to_stored_pages_without_fetching(tmp_path, server):
    from click.testing import CliRunner

    from newsvault.cli import cli
    from newsvault.store import versions

    config, engine = _cdt_page_vault(tmp_path, server, "分享")
    assert bodies(config, "cdt")["一"] == '<p>正文</p><div class="share">分享</div>'
    hits = server.count("/p/1.html")
    result = _reextract_with_a_selector(tmp_path)
    assert result.exit_code == 0, result.output
    assert "1 page(s) extracted again, 1 body(ies) changed" in result.output
    assert bodies(config, "cdt")["一"] == "正文"
    assert server.count("/p/1.html") == hits  # from the capture, not the network
    with engine.connect() as conn:
        assert versions.edited(conn) == []  # same bytes, better rule: corrected in place, not an edit
    # Every view reads the corrected text: the site's page and the search index, not only the tree.
    page = next(p for p in site_root(config).joinpath("cdt").glob("*.html") if "正文" in p.read_text("utf-8"))
    assert "分享" not in page.read_text("utf-8")
    update_index(engine)
    with engine.connect() as conn:
        assert [h.title for h in search(conn, "正文")] == ["一"] and search(conn, "分享") == []
    refused = CliRunner().invoke(cli, ["--vault", str(tmp_path), "reextract", "--source", "voa"])
    assert refused.exit_code != 0


def test_a_deleted_articles_text_corrected_by_reextract_reaches_the_feeds_of_changes(tmp_path, server):
    """A correction in place moves no id, yet the feeds of deletions show the article's last text."""
    import asyncio

    from sqlalchemy import select
    from starlette.testclient import TestClient

    from newsvault.fetch import Fetcher
    from newsvault.render.site.paths import change_feed
    from newsvault.schedule.recheck import recheck_source
    from newsvault.store import statuses
    from newsvault.store.schema import articles
    from newsvault.store.statuses import HOUR
    from newsvault.web import create_app

    config, engine = _cdt_page_vault(tmp_path, server, "分享按钮")
    server.set("/p/1.html", "gone", status=410)
    with engine.connect() as conn:
        first_seen = conn.execute(select(articles.c.first_seen_ms)).scalar_one()

    async def recheck() -> None:
        async with Fetcher(allow_private=True) as fetcher:
            await recheck_source(engine, config.sources["cdt"], fetcher, config, first_seen + HOUR, 50)

    asyncio.run(recheck())
    with engine.connect() as conn:
        assert [r["status"] for r in statuses.deleted(conn)] == ["gone"]
    run_once(config, engine)  # the feeds of deletions are made, with the text as first extracted
    feeds = [
        root / change_feed("deleted", abbr, "atom")
        for root in (config.archive, site_root(config))
        for abbr in (None, "cdt")
    ]
    assert all("分享按钮" in f.read_text("utf-8") for f in feeds)
    reader = TestClient(create_app(config, engine))  # the reader keeps the feeds it made until a change
    assert "分享按钮" in reader.get("/changes/deleted.atom").text
    result = _reextract_with_a_selector(tmp_path)
    assert "1 body(ies) changed" in result.output, result.output
    run_once(config, engine)  # an hourly run that finds nothing new
    for f in feeds:
        text = f.read_text("utf-8")
        assert "正文" in text and "分享按钮" not in text, f
    assert "分享按钮" not in reader.get("/changes/deleted.atom").text
