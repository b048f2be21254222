"""parse() on the real feeds of fixtures/feeds: formats, counts, titles, verbatim bodies.

Feeds copied into tests/data/shared run in every clone; the others need ../shared (see tests/reference.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from newsvault.parse import Feed, parse
from tests.parse_helpers import feed_bytes

# file, version, entries, feed title, first entry title (checked against the raw bytes by hand)
FIXTURES = [
    (
        "bbc_chinese/greatfire_bbc_zhongwen_simp_2015-03-16.atom.xml",
        "atom10",
        66,
        "bbcchinese.com | 新闻主页",
        "萨达姆之墓在反“伊斯兰国”战事中被毁",
    ),
    (
        "bbc_chinese/exposir_bbc_zhongwen_trad_2026-02-01.jsonfeed.json",
        "json11",
        115,
        "BBC Chinese",
        "馬斯克的SpaceX準備將100萬顆AI算力衛星送入太空",
    ),
    (
        "chinadigitaltimes/greatfire_cdt_level2_2015-03-16.rss.xml",
        "rss20",
        15,
        "中国数字时代 » Level 2 Article",
        "中国军网  | 徐才厚在病榻上结束了可悲可耻的一生",
    ),
    (
        "dapenti/pentitugua_rssfortugua_2015-01-05T1030.rss.xml",
        "rss20",
        30,
        None,
        "【喷嚏图卦20150104】你以为挑起生活的担子是勇气，其实去过自己真正想要的生活才更需要勇气",
    ),
    (
        "dapenti/pentitugua_rssfortugua_next-snapshot.rss.xml",
        "rss20",
        30,
        None,
        "【喷嚏图卦20150105】今天，我们这座城市的心都碎了",
    ),
    (
        "dw_chinese/greatfire_dw_rss-chi-all_2015-03-16.rdf.xml",
        "rss10",
        85,
        "Deutsche Welle: DW-WORLD.DE",
        "格林沃尔德获德国新闻记者奖",
    ),
    (
        "dw_chinese/exposir_dw_rss-chi-all_2026-02-01.jsonfeed.json",
        "json11",
        101,
        "Deutsche Welle: DW-WORLD.DE",
        "那些移民俄罗斯的德国人",
    ),
    (
        "nytimes_cn/greatfire_cn_nytimes_2015-03-16.rss.xml",
        "rss20",
        22,
        "纽约时报中文网 国际纵览",
        "回收场一瞥：北京的碎片，在此重生",
    ),
    (
        "nytimes_cn/exposir_cn_nytimes_2026-02-01.jsonfeed.json",
        "json11",
        32,
        "纽约时报中文网 国际纵览",
        "为中国创业项目窃取AI技术，前谷歌工程师被定罪",
    ),
    (
        "other/exposir_people-daily_2026-02-01.jsonfeed.json",
        "json11",
        514,
        "人民日报",
        "01版 -  发挥比较优势  坚持稳中求进  推动我国未来产业发展不断取得新突破 ",
    ),
    ("other/feeder_geekpark_rss2.xml", "rss20", 30, "极客公园（！）", "充电桩 2020：大火一年，它依然没赚到钱（！）"),
    ("other/greatfire_paopao_2015-03-16.rss.xml", "rss20", 30, "泡泡", "从中国到全球：“依附的自由”网站解封升级"),
    (
        "other/greatfire_programthink_blogger_2015-03-16.atom.xml",
        "atom10",
        5,
        "编程随想的博客",
        "扫盲 Arm——Tor 的界面前端（替代已死亡的 Vidalia）",
    ),
    (
        "other/rssutil_engadget_zh-hant_2018-06.rss.xml",
        "rss20",
        25,
        "Engadget 中文版 RSS Feed",
        "Apple Music 網頁播放器可以播放完整歌曲了",
    ),
    (
        "other/rssutil_solidot_2018-06-04.rss.xml",
        "rss20",
        20,
        "最新更新 – Solidot",
        "微软拒绝更改受争议的 GVFS 项目名字",
    ),
    (
        "zaobao/exposir_zaobao_realtime_china_2026-02-01.jsonfeed.json",
        "json11",
        196,
        "《联合早报》-中港台-即时",
        "俄安全会议秘书抵达中国 将与王毅讨论国际和地区安全形势",
    ),
]


@pytest.mark.parametrize(
    ("name", "version", "count", "feed_title", "first_title"), FIXTURES, ids=[Path(f[0]).name for f in FIXTURES]
)
def test_fixture_feeds(name: str, version: str, count: int, feed_title: str | None, first_title: str) -> None:
    feed = parse(feed_bytes(name))
    assert isinstance(feed, Feed)
    assert (feed.version, len(feed.entries), feed.encoding, feed.problem) == (version, count, "utf-8", None)
    assert feed.entries[0].title == first_title
    if feed_title is not None:
        assert feed.title == feed_title
    assert all(entry.guid or entry.link for entry in feed.entries)


@pytest.mark.parametrize(
    "name",
    [
        "nytimes_cn/exposir_cn_nytimes_2026-02-01.jsonfeed.json",  # in tests/data/shared
        "zaobao/exposir_zaobao_realtime_china_2026-02-01.jsonfeed.json",  # full-text content_html, 844 KB
    ],
)
def test_json_feed_fields_are_the_json_values(name: str) -> None:
    raw = feed_bytes(name)
    items = json.loads(raw)["items"]
    feed = parse(raw)
    assert feed.parser == "json"
    for item, entry in zip(items, feed.entries, strict=True):
        assert entry.guid == item["id"]
        assert entry.link == item["url"]
        assert entry.title == item["title"]
        assert entry.content == (item.get("content_html") or item.get("content_text"))
        assert entry.date_raw == (item.get("date_published") or item.get("date_modified"))


def test_json_feed_coerces_numeric_ids_and_keeps_odd_titles() -> None:
    document = {
        "version": "https://jsonfeed.org/version/1",
        "title": "J",
        "items": [
            {"id": 42, "title": 7, "content_text": "line 1\n  line 2", "tags": ["a", 3, "b"]},
            "not an object",
        ],
    }
    feed = parse(json.dumps(document).encode())
    assert feed.version == "json10"
    (entry,) = feed.entries
    assert (entry.guid, entry.title, entry.content, entry.categories) == ("42", 7, "line 1\n  line 2", ("a", "b"))
    assert "1 items were not JSON objects" in (feed.problem or "")


def _xml_line_ends(text: str | None) -> str | None:
    """lxml applies XML's line-end normalisation; feedparser-rs keeps the CRs of the bytes."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if text is not None else None


def _lxml_items(data: bytes, xpath: str, namespaces: dict[str, str]) -> list[etree._Element]:
    return etree.fromstring(data).xpath(xpath, namespaces=namespaces)


def test_cdt_content_encoded_is_verbatim() -> None:
    """content:encoded (CDATA, full article HTML) arrives exactly as lxml reads it, bar outer whitespace."""
    raw = feed_bytes("chinadigitaltimes/greatfire_cdt_level2_2015-03-16.rss.xml")
    ns = {"content": "http://purl.org/rss/1.0/modules/content/"}
    expected = [item.findtext("content:encoded", namespaces=ns) for item in _lxml_items(raw, "//item", ns)]
    feed = parse(raw)
    assert [_xml_line_ends(entry.content) for entry in feed.entries] == [text.strip() for text in expected]
    assert all("\n" in (entry.content or "") for entry in feed.entries)
    assert feed.entries[0].content.startswith("<p>原标题：其人已盖棺 反腐步不停</p>\n<p>作者：谢正平</p>")
    assert feed.entries[0].categories[:4] == ("Level 2 Article", "Level 3 Article", "Level 4 Article", "官媒视点")
    assert feed.entries[0].guid == "https://dhnq96zntgnq1.cloudfront.net/chinese/?p=385722"
    assert feed.entries[0].date_raw == "Mon, 16 Mar 2015 04:34:49 +0000"


def test_nyt_cdata_description_and_relative_hrefs_are_verbatim() -> None:
    raw = feed_bytes("nytimes_cn/greatfire_cn_nytimes_2015-03-16.rss.xml")
    items = _lxml_items(raw, "//item", {})
    feed = parse(raw)
    assert [_xml_line_ends(entry.summary) for entry in feed.entries] == [
        item.findtext("description").strip() for item in items
    ]
    assert [entry.link for entry in feed.entries] == [item.findtext("link").strip() for item in items]
    assert any("href='/usa/" in (entry.summary or "") for entry in feed.entries)  # not resolved


def test_solidot_cdata_title_link_and_description_are_verbatim() -> None:
    """CDATA in <title>, <link> and <description> (Solidot, in tests/data/shared): the text lxml reads, untouched."""
    raw = feed_bytes("other/rssutil_solidot_2018-06-04.rss.xml")
    items = _lxml_items(raw, "//item", {})
    feed = parse(raw)
    assert [entry.title for entry in feed.entries] == [item.findtext("title").strip() for item in items]
    assert [entry.link for entry in feed.entries] == [item.findtext("link").strip() for item in items]
    assert [entry.summary for entry in feed.entries] == [item.findtext("description").strip() for item in items]
    assert [entry.date_raw for entry in feed.entries] == [item.findtext("pubDate") for item in items]
    assert feed.entries[0].link == "https://www.solidot.org/story?sid=56716"


def test_paopao_escaped_html_is_decoded_once() -> None:
    """Drupal escapes the HTML (&lt;p&gt;): decoded once it is markup, twice it would lose &amp;s."""
    raw = feed_bytes("other/greatfire_paopao_2015-03-16.rss.xml")
    items = _lxml_items(raw, "//item", {})
    feed = parse(raw)
    assert [_xml_line_ends(entry.summary) for entry in feed.entries] == [
        item.findtext("description").strip() for item in items
    ]
    assert feed.entries[0].summary.startswith("<")
    # xml:base on <rss> must not be applied to links
    assert [entry.link for entry in feed.entries] == [item.findtext("link") for item in items]


def test_dapenti_keeps_carriage_returns_of_the_bytes() -> None:
    """The body lines are CRLF in the file; the archive splits on LF itself, so nothing is normalised here."""
    feed = parse(feed_bytes("dapenti/pentitugua_rssfortugua_2015-01-05T1030.rss.xml"))
    body = feed.entries[0].summary or ""
    assert "</P>\r\n<P>" in body
    assert body.startswith("<P><STRONG>免责申明：</STRONG></P>")


def test_atom_fields() -> None:
    feed = parse(feed_bytes("bbc_chinese/greatfire_bbc_zhongwen_simp_2015-03-16.atom.xml"))
    root = etree.fromstring(feed_bytes("bbc_chinese/greatfire_bbc_zhongwen_simp_2015-03-16.atom.xml"))
    ns = {"a": "http://www.w3.org/2005/Atom"}
    first = root.xpath("//a:entry", namespaces=ns)[0]
    entry = feed.entries[0]
    assert entry.guid == first.findtext("a:id", namespaces=ns)
    assert entry.summary == first.findtext("a:summary", namespaces=ns).strip()
    assert entry.date_raw == (
        first.findtext("a:published", namespaces=ns) or first.findtext("a:updated", namespaces=ns)
    )
    assert entry.link == first.xpath("a:link[@rel='alternate' or not(@rel)]/@href", namespaces=ns)[0]
