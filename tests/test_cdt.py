"""China Digital Times: category rule, bodies from article pages, ids from post ids."""

from __future__ import annotations

from newsvault.archive import parse_article
from newsvault.extract import keep_by_categories, select_body
from newsvault.schedule import run_once
from tests.vaults import open_vault, rss, rss_item, write_vault

DATE = "Wed, 01 May 2024 12:00:00 GMT"


def page(body: str) -> str:
    return (
        f"<html><head><title>x</title></head><body><div class='post-content'>{body}</div><div>side</div></body></html>"
    )


def test_category_rule():
    assert keep_by_categories("emoji", ["【网络民议】"])
    assert keep_by_categories("emoji", ["x", "图片 📷"])
    assert keep_by_categories("emoji", ["CDT©"])
    assert not keep_by_categories("emoji", ["中国新闻", "Politics"])
    assert not keep_by_categories("emoji", [])
    assert keep_by_categories(None, [])


def test_select_body_serialises_like_inner_html():
    html = page('<p>a&nbsp;b &amp; <img src="x.jpg" alt><br></p>')
    assert select_body(html, "div.post-content") == '<p>a&nbsp;b &amp; <img src="x.jpg" alt=""><br></p>'


def _cdt_vault(tmp_path, server):
    pages = {n: server.set(f"/p/{n}.html", page(f"<p>正文{n}</p>")) for n in (1, 2, 3)}
    feed = rss(
        rss_item(
            "kept",
            pages[1],
            DATE,
            "teaser",
            guid="https://chinadigitaltimes.net/chinese/?p=700001",
            categories=("【网络民议】",),
        ),
        rss_item(
            "dropped",
            pages[2],
            DATE,
            "teaser",
            guid="https://chinadigitaltimes.net/chinese/?p=700002",
            categories=("新闻",),
        ),
        rss_item("no post id", pages[3], DATE, "teaser", guid=pages[3], categories=("【图】",)),
    )
    url = server.set("/feed", feed)
    return open_vault(write_vault(tmp_path, {"cdt": {"feed": url}}))


def test_pages_are_fetched_once_and_ids_come_from_post_ids(tmp_path, server):
    config, engine = _cdt_vault(tmp_path, server)
    report = run_once(config, engine)
    assert not report.failed, report.sources[0].problems
    folder = config.archive / "articles/cdt"
    kept = folder / f"{0xFFFFF ^ 700001}.md"
    assert parse_article(kept.read_bytes()).body == "<p>正文1</p>"
    assert sorted(p.name for p in folder.iterdir()) == sorted([kept.name, f"{0x100000}.md"])
    run_once(config, engine)
    assert server.count("/p/1.html") == 1 and server.count("/p/3.html") == 1
    assert server.count("/p/2.html") == 0


def test_a_failing_page_is_retried_later_and_blocks_nothing(tmp_path, server):
    config, engine = _cdt_vault(tmp_path, server)
    server.set("/p/1.html", "down", status=500)
    report = run_once(config, engine)
    assert report.failed and any("/p/1.html" in str(p) and "500" in str(p) for p in report.sources[0].problems)
    folder = config.archive / "articles/cdt"
    assert [p.name for p in folder.iterdir()] == [f"{0x100000}.md"]  # the other article is archived
    server.set("/p/1.html", page("<p>后来好了</p>"))
    report = run_once(config, engine)
    assert not report.failed, report.sources[0].problems
    assert parse_article((folder / f"{0xFFFFF ^ 700001}.md").read_bytes()).body == "<p>后来好了</p>"


def test_page_bytes_are_decoded_by_charset_not_guessed():
    gbk = "<html><head><meta charset='gb2312'></head><body><div class='post-content'>中文页面</div></body></html>"
    assert select_body(gbk.encode("gbk"), "div.post-content") == "中文页面"
    plain = page("正文").encode("utf-8")
    assert select_body(plain, "div.post-content") == "正文"
    assert (
        select_body(page("繁體").encode("big5"), "div.post-content", {"Content-Type": "text/html; charset=big5"})
        == "繁體"
    )
