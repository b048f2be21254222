"""Feeds out: Atom, RSS 2.0 and JSON Feed per outlet and for all, parsed back and checked against the formats."""

from __future__ import annotations

import json

import feedparser
import pytest
from lxml import etree

from newsvault.render.site.paths import site_root
from tests.site_vault import XSS_TITLE, build

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):  # type: ignore[no-untyped-def]
    from tests.support.server import LocalServer

    with LocalServer() as server:
        config, _engine = build(tmp_path_factory.mktemp("feeds"), server, base_url="https://news.example/archive/")
    return site_root(config)


@pytest.mark.parametrize("name", ["all", "voa", "hk"])
@pytest.mark.parametrize("ext, version", [("atom", "atom10"), ("rss", "rss20")])
def test_xml_feeds_parse_back_with_full_sanitised_content(site, name, ext, version):
    parsed = feedparser.parse((site / f"feeds/{name}.{ext}").read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == version
    expected = {"all": 5, "voa": 4, "hk": 1}[name]
    assert len(parsed.entries) == expected
    dates = [e.published_parsed for e in parsed.entries]
    assert dates == sorted(dates, reverse=True)  # newest first
    for entry in parsed.entries:
        html = entry.content[0].value if ext == "atom" else entry.description
        assert "<script" not in html and "onclick" not in html and "javascript:" not in html
        assert entry.link.startswith("http://127.0.0.1:") and entry.id.startswith("urn:newsvault:")
    titles = {e.title for e in parsed.entries}
    if name != "hk":
        assert XSS_TITLE in titles  # the title is text, carried whole
        assert any(
            "这是五月的一篇报道" in (e.content[0].value if ext == "atom" else e.description) for e in parsed.entries
        )  # full content, not a teaser


def test_atom_follows_the_rules(site):
    feed = etree.fromstring((site / "feeds/voa.atom").read_bytes())
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None, required
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "https://news.example/archive/feeds/voa.atom"
    ids = [e.findtext(f"{ATOM}id") for e in feed.iter(f"{ATOM}entry")]
    assert len(ids) == len(set(ids)) == 4
    updated = [e.findtext(f"{ATOM}updated") for e in feed.iter(f"{ATOM}entry")]
    assert feed.findtext(f"{ATOM}updated") == max(updated)  # from the store, never the clock
    for entry in feed.iter(f"{ATOM}entry"):
        assert entry.find(f"{ATOM}content").get("type") == "html"
        assert entry.find(f"{ATOM}link[@rel='alternate']") is not None


def test_rss_follows_the_rules(site):
    channel = etree.fromstring((site / "feeds/all.rss").read_bytes()).find("channel")
    for required in ("title", "link", "description"):
        assert channel.findtext(required), required
    assert channel.findtext("link") == "https://news.example/archive/index.html"
    for item in channel.iter("item"):
        assert item.findtext("title") and item.find("guid").get("isPermaLink") == "false"
        assert item.findtext("pubDate").endswith("GMT") or item.findtext("pubDate").endswith("+0000")


def test_json_feed_fields(site):
    # feedparser 6.0 reads no JSON Feed: the fields are checked against the 1.1 spec instead.
    feed = json.loads((site / "feeds/voa.json").read_text("utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "美国之音" and feed["home_page_url"] == "https://news.example/archive/voa/index.html"
    assert feed["feed_url"] == "https://news.example/archive/feeds/voa.json"
    assert len(feed["items"]) == 4
    ids = [item["id"] for item in feed["items"]]
    assert len(set(ids)) == len(ids) and all(isinstance(i, str) for i in ids)
    for item in feed["items"]:
        assert set(item) >= {"id", "url", "title", "content_html", "date_published", "authors"}
        assert item["date_published"].endswith("+08:00")
        assert "<script" not in item["content_html"]


def test_feeds_keep_the_newest_n(tmp_path, server):
    from newsvault.schedule import run_once
    from tests.vaults import open_vault, rss, rss_item, write_vault

    items = [
        rss_item(f"第{i}篇", server.url(f"/a/{i}"), f"Wed, {i:02d} May 2024 12:00:00 GMT", f"<p>{i}</p>")
        for i in range(1, 8)
    ]
    vault = write_vault(tmp_path, {"voa": {"feed": server.set("/f.xml", rss(*items))}})
    with (vault / "vault.toml").open("a") as f:
        f.write("[site]\nfeed_items = 3\n")
    config, engine = open_vault(vault)
    run_once(config, engine)
    parsed = feedparser.parse((site_root(config) / "feeds/voa.rss").read_bytes())
    assert [e.title for e in parsed.entries] == ["第7篇", "第6篇", "第5篇"]
