"""The whole pass, fetch to render, against real HTTP servers on 127.0.0.1 and real SQLite."""

from __future__ import annotations

from newsvault.archive import parse_article
from newsvault.base.problems import Kind
from newsvault.schedule import run_once
from tests.reference import reference
from tests.vaults import open_vault, rss, rss_item, tree, write_vault

SEED_NAME = "seed/000_0851d2a3dc01581b.txt"  # in tests/data/shared


def _seed_feed(older: bool = True) -> bytes:
    seed = parse_article(reference(SEED_NAME).read_bytes())
    # The body as a feed would carry it: split over lines with whitespace around the pieces.
    pieces = seed.body.replace("</p><p>", "</p>\n   <p>").replace("<br>", "<br>\n\t")
    items = [rss_item(f"  {seed.title} \u3000", seed.url, "Sun, 23 Jan 2022 23:59:02 GMT", f"\n  {pieces}  \n")]
    if older:
        items.append(
            rss_item(
                "更早的一条", "https://www.voachinese.com/a/older/1.html", "Sat, 22 Jan 2022 10:00:00 GMT", "<p>旧</p>"
            )
        )
    return rss(*items)


def test_seed_is_reproduced_byte_for_byte(tmp_path, server):
    url = server.set("/voa.xml", _seed_feed())
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": url}}))
    report = run_once(config, engine)
    assert not report.failed, report
    archive = config.archive
    assert (archive / "articles/voa/1048573.md").read_bytes() == reference(SEED_NAME).read_bytes()
    assert (archive / "articles/voa/1048574.md").exists()
    listing = (archive / "lists/美国之音.md").read_text("utf-8").split("\n")
    assert listing[:3] == ["美国之音", "------", ""]
    title = parse_article(reference(SEED_NAME).read_bytes()).title
    assert listing[3] == f"1-24 [{title}](/articles/voa/1048573.md)"
    assert listing[5] == "1-22 [更早的一条](/articles/voa/1048574.md)"
    assert "[美国之音](lists/美国之音.md)" in (archive / "README.md").read_text("utf-8")


def test_nothing_lost_whatever_the_dates(tmp_path, server):
    newest = "Wed, 01 May 2024 12:00:00 GMT"
    url = server.set("/f.xml", rss(rss_item("newest", "https://a.example/1", newest, "<p>1</p>")))
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": url}}))
    run_once(config, engine)
    server.set(
        "/f.xml",
        rss(
            rss_item("future", "https://a.example/future", "Fri, 01 May 2099 12:00:00 GMT", "<p>f</p>"),
            rss_item("same time", "https://a.example/2", newest, "<p>2</p>"),
            rss_item("older", "https://a.example/3", "Wed, 01 May 2024 08:00:00 GMT", "<p>3</p>"),
            rss_item("no date", "https://a.example/4", None, "<p>4</p>"),
            rss_item("bad date", "https://a.example/5", "someday", "<p>5</p>"),
        ),
    )
    report = run_once(config, engine)
    # The first item left the feed: it stays archived.
    titles = sorted(parse_article(p.read_bytes()).title for p in (config.archive / "articles/voa").iterdir())
    assert titles == ["bad date", "future", "newest", "no date", "older", "same time"]
    assert report.sources[0].new == 5
    # Missing and unreadable dates are reported as notes, never a reason to drop the item nor to fail the run.
    notes = report.sources[0].notes
    assert any("no date" in str(p) for p in notes)
    assert any("unreadable date 'someday'" in str(p) for p in notes)
    assert {p.kind for p in notes} == {Kind.NO_DATE}  # typed: callers decide by kind, not by the words
    assert report.sources[0].problems == [] and not report.failed


def test_retitled_or_redated_article_is_updated_not_duplicated(tmp_path, server):
    url = server.set(
        "/f.xml", rss(rss_item("标题", "https://a.example/x", "Wed, 01 May 2024 12:00:00 GMT", "<p>a</p>"))
    )
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": url}}))
    run_once(config, engine)
    server.set("/f.xml", rss(rss_item("新标题", "https://a.example/x", "Thu, 02 May 2024 12:00:00 GMT", "<p>a</p>")))
    report = run_once(config, engine)
    assert (report.sources[0].new, report.sources[0].updated) == (0, 1)
    files = list((config.archive / "articles/voa").iterdir())
    assert [f.name for f in files] == ["1048574.md"]
    article = parse_article(files[0].read_bytes())
    assert (article.title, article.ms) == ("新标题", 1714651200000)


def test_unchanged_feeds_change_no_byte(tmp_path, server):
    url = server.set(
        "/f.xml",
        rss(
            rss_item("一", "https://a.example/1", "Wed, 01 May 2024 12:00:00 GMT", "<p>1</p>"),
            rss_item("二", "https://a.example/2", "Wed, 01 May 2024 11:00:00 GMT", "<p>2</p>"),
        ),
    )
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": url}}))
    run_once(config, engine)
    before = tree(config.archive)
    report = run_once(config, engine)
    assert report.render.written == 0
    assert tree(config.archive) == before
    assert report.sources[0].unchanged == 2


def test_conditional_get_sends_stored_validators(tmp_path, server):
    url = server.set(
        "/f.xml",
        rss(rss_item("一", "https://a.example/1", "Wed, 01 May 2024 12:00:00 GMT", "x")),
        headers={"ETag": '"v1"'},
    )
    config, engine = open_vault(write_vault(tmp_path, {"voa": {"feed": url}}))
    run_once(config, engine)
    run_once(config, engine)
    assert server.hits[-1].headers.get("if-none-match") == '"v1"'


def test_bad_items_are_reported_and_the_rest_archived(tmp_path, server):
    url = server.set(
        "/f.xml",
        rss(
            rss_item("relative", "/a/relative.html", "Wed, 01 May 2024 12:00:00 GMT", "<p>r</p>"),
            rss_item("empty link", "", "Wed, 01 May 2024 12:00:00 GMT", "<p>e</p>"),
            rss_item("no body", "https://a.example/nobody", "Wed, 01 May 2024 12:00:00 GMT"),
            rss_item("good", "https://a.example/good", "Wed, 01 May 2024 12:00:00 GMT", "<p>g</p>"),
        ),
    )
    json_url = server.set(
        "/j.json",
        '{"version": "https://jsonfeed.org/version/1.1", "title": "j", "items": ['
        '{"id": "1", "url": "https://b.example/1", "title": {"x": 1}, "content_html": "<p>1</p>"},'
        '{"id": "2", "url": "https://b.example/2", "title": "ok", "content_html": "<p>2</p>"}]}',
        headers={"Content-Type": "application/feed+json"},
    )
    config, engine = open_vault(
        write_vault(
            tmp_path, {"voa": {"feed": url}, "extra": {"name": "JSON", "feed": json_url, "body": "content:encoded"}}
        )
    )
    report = run_once(config, engine)
    voa, extra = report.sources
    assert report.failed
    assert voa.new == 2 and extra.new == 2
    joined = "\n".join(map(str, voa.problems))
    assert "not an absolute URL: '/a/relative.html'" in joined
    assert "skipped: no link" in joined
    # Archived all the same: notes, not failures.
    assert "no description body" in "\n".join(map(str, voa.notes))
    assert any("title is not text" in str(p) for p in extra.notes)


def test_one_bad_feed_never_stops_the_others(tmp_path, server):
    import socket

    with socket.socket() as s:  # a port on 127.0.0.1 with nothing listening
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    good = server.set("/good.xml", rss(rss_item("好", "https://a.example/1", "Wed, 01 May 2024 12:00:00 GMT", "x")))
    sources = {
        "voa": {"feed": good},
        "html": {
            "name": "HTML",
            "feed": server.set(
                "/html", "<!doctype html><html><body>hi</body></html>", headers={"Content-Type": "text/html"}
            ),
        },
        "trunc": {"name": "Truncated", "feed": server.set("/t.xml", rss(rss_item("x", "https://a.example/t"))[:60])},
        "gone": {"name": "Gone", "feed": server.url("/missing.xml")},
        "refused": {"name": "Refused", "feed": f"http://127.0.0.1:{closed_port}/feed.xml"},
        "slow": {"name": "Slow", "feed": server.set("/slow.xml", rss(), delay=3)},
        "huge": {"name": "Huge", "feed": server.set("/huge.xml", b"<rss>" + b" " * 300_000 + b"</rss>")},
    }
    config, engine = open_vault(write_vault(tmp_path, sources, timeout=1.0, max_bytes=200_000))
    report = run_once(config, engine)
    by = {r.abbr: r for r in report.sources}
    assert by["voa"].new == 1 and not by["voa"].failed
    for abbr in ("html", "trunc", "gone", "refused", "slow", "huge"):
        assert by[abbr].error, abbr
    assert "404" in str(by["gone"].error)
    assert "refused" in str(by["refused"].error).lower()
    assert (config.archive / "articles/voa/1048574.md").exists()
