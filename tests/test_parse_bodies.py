"""Bodies and fields stay as the feed wrote them, on the fast path and on the feedparser fallback."""

from __future__ import annotations

import pytest

from newsvault.parse import parse
from tests.parse_helpers import rss

BODY = """<p onclick="steal()">第一行 line one
   indented second line &amp; &lt;escaped&gt;</p>
<script>alert("x")</script>
<img src="/relative/pic.jpg" data-src="//cdn.example/pic.jpg">
<a href="javascript:void(0)">链接</a>"""

ENCODED = "&lt;p class=&quot;x&quot;&gt;enc &amp;amp; body&lt;/p&gt;\n  second line"

ITEM = f"""<item>
  <title>  标题 &amp;amp; A &lt;b&gt;  </title>
  <link>/relative/article?id=1&amp;lang=zh</link>
  <guid isPermaLink="false">item-1</guid>
  <pubDate>Wed, 01 May 2024 12:30:00 CST</pubDate>
  <category>中国</category><category><![CDATA[【时政】]]></category>
  <description><![CDATA[
{BODY}
]]></description>
  <content:encoded>{ENCODED}</content:encoded>
</item>"""

# A raw "<" in a later item makes the document ill-formed, which
# sends it to the feedparser fallback; the first item must come out the same.
BROKEN_ITEM = "<item><title>a < b</title><guid>item-2</guid></item>"


@pytest.mark.parametrize(("extra", "parser"), [("", "feedparser-rs"), (BROKEN_ITEM, "feedparser")])
def test_bodies_are_verbatim(extra: str, parser: str) -> None:
    feed = parse(rss(ITEM + extra).encode())
    assert feed.parser == parser
    assert (feed.problem is None) == (parser == "feedparser-rs")
    entry = feed.entries[0]
    assert entry.summary == BODY  # CDATA: script, onclick, javascript:, relative URLs and newlines all kept
    assert entry.content == '<p class="x">enc &amp; body</p>\n  second line'  # entities decoded exactly once
    assert entry.title == "标题 &amp; A <b>"
    assert entry.link == "/relative/article?id=1&lang=zh"  # not resolved
    assert entry.guid == "item-1"
    assert entry.date_raw == "Wed, 01 May 2024 12:30:00 CST"
    assert entry.categories == ("中国", "【时政】")


def test_atom_bodies_are_verbatim() -> None:
    atom = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://example.org/base/">
  <title>A</title>
  <entry>
    <id>tag:example.org,2024:1</id>
    <title type="html">&lt;b&gt;粗体&lt;/b&gt; &amp;amp;</title>
    <link rel="enclosure" href="audio.mp3"/>
    <link href="articles/1.html"/>
    <updated>2024-05-01T04:30:00Z</updated>
    <published>2024-05-01T12:30:00+08:00</published>
    <summary type="html"><![CDATA[{BODY}]]></summary>
    <content type="html">{ENCODED}</content>
    <category term="国际" label="International"/>
  </entry>
</feed>"""
    entry = parse(atom.encode()).entries[0]
    assert entry.summary == BODY
    assert entry.content == '<p class="x">enc &amp; body</p>\n  second line'
    assert entry.title == "<b>粗体</b> &amp;"
    assert entry.link == "articles/1.html"  # xml:base not applied
    assert entry.date_raw == "2024-05-01T12:30:00+08:00"  # published before updated
    assert entry.categories == ("国际",)


def test_empty_rss_elements_do_not_swallow_the_next_one() -> None:
    """feedparser-rs 0.7.1 files <pubDate> under a preceding <category/>; tech.qq.com's feed has one."""
    item = (
        "<item><title>T</title><link>http://e/1</link><category/><pubDate>Wed, 01 May 2024 12:30:00 +0800"
        "</pubDate><comments/><author /><description>正文</description>"
        "<category domain='x'/><guid>g1</guid></item>"
    )
    entry = parse(rss(item).encode()).entries[0]
    assert (entry.date_raw, entry.summary, entry.categories, entry.guid, entry.link) == (
        "Wed, 01 May 2024 12:30:00 +0800",
        "正文",
        (),
        "g1",
        "http://e/1",
    )


def test_empty_element_text_inside_cdata_is_left_alone() -> None:
    body = "before <category/> <br/> after"
    entry = parse(rss(f"<item><guid>g</guid><description><![CDATA[{body}]]></description></item>").encode()).entries[0]
    assert entry.summary == body


@pytest.mark.parametrize("extra", ["", BROKEN_ITEM])
def test_link_is_none_when_the_item_has_none(extra: str) -> None:
    """Both parsers copy a permalink guid into ``link``; the pipeline must see that there was no link."""
    items = (
        "<item><title>a</title><guid>http://example.org/a</guid></item>"
        "<item><title>b</title><guid>http://example.org/b</guid><link>http://example.org/b</link></item>"
    )
    entries = parse(rss(items + extra).encode()).entries
    assert [(e.guid, e.link) for e in entries[:2]] == [
        ("http://example.org/a", None),
        ("http://example.org/b", "http://example.org/b"),
    ]


def test_atom_entry_without_link_has_no_link() -> None:
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
      <entry><id>urn:uuid:1</id><title>x</title><link rel="related" href="http://r/"/></entry></feed>"""
    entry = parse(atom).entries[0]
    assert (entry.guid, entry.link) == ("urn:uuid:1", None)


def test_lone_carriage_returns_survive() -> None:
    """The archive keeps lone CRs of bodies (real files have them), so the fast path must not normalise."""
    entry = parse(rss("<item><guid>g</guid><description>one\rtwo\r\nthree</description></item>").encode()).entries[0]
    assert entry.summary == "one\rtwo\r\nthree"


def test_html_entities_are_decoded_once_and_cdata_is_untouched() -> None:
    """XML does not define &ldquo; or &nbsp;; feeds use them anyway, meaning the characters."""
    item = (
        "<item><guid>g</guid><title>&ldquo;两会&rdquo;&nbsp;开幕 &amp;nbsp; &#8212;</title>"
        "<description><![CDATA[<p>&nbsp;&ldquo;原文&rdquo;</p>]]></description></item>"
    )
    feed = parse(rss(item).encode())
    entry = feed.entries[0]
    assert entry.title == "“两会”\xa0开幕 &nbsp; —"
    assert entry.summary == "<p>&nbsp;&ldquo;原文&rdquo;</p>"
    assert (feed.parser, feed.problem) == ("feedparser-rs", None)


def test_unescaped_html_in_a_description_is_kept_whole() -> None:
    """feedparser-rs would keep "text para" of this; the document goes to feedparser instead."""
    body = 'text <p>para <a href="/x">link</a></p> tail<br/>'
    feed = parse(rss(f"<item><guid>g</guid><description>{body}</description></item>").encode())
    assert feed.parser == "feedparser"
    # feedparser re-serialises the elements (<br/> comes back as <br></br>, a known gap); nothing is lost.
    assert feed.entries[0].summary.startswith('text <p>para <a href="/x">link</a></p> tail<br')


def test_links_to_loopback_addresses_are_kept():
    """feedparser-rs 0.7.1 empties such links; a mirror or test server on 127.0.0.1 needs them."""
    from newsvault.parse import parse

    data = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>a</title>'
        b"<link>http://127.0.0.1:8080/a/1.html</link><guid>g</guid><description>d</description></item>"
        b"</channel></rss>"
    )
    feed = parse(data)
    assert feed.entries[0].link == "http://127.0.0.1:8080/a/1.html"
    assert feed.problem is None
