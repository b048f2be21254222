"""Encodings: GB2312/GBK read as GB18030, Big5 as CP950 + HKSCS, headers, BOMs, UTF-8 first."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsvault.parse import parse
from newsvault.parse.encoding import decode
from tests.parse_helpers import feed_bytes, rss

# file, version, entries, feed title, first entry title
GB_AND_BIG5 = [
    ("gb2312/chardet_softsea.net_rss2.xml", "gb18030", "rss20", 100, "系统工具", "Trojan Remover 6.4.5 Date 12.28"),
    (
        "gb2312/chardet_cnblog.org_rss092.xml",
        "gb18030",
        "rss092",
        16,
        "CNBlog:Blog On Blog",
        "Picostation的PicoBlogger是 一个能让S",
    ),
    ("gb2312/chardet_eighthday.blogspot_atom03.xml", "gb18030", "atom03", 7, "Live for the moment...", "又颠了"),
    (
        "gb2312/chardet_acnnewswire_rss2.xml",
        "gb18030",
        "rss20",
        8,
        "Asia Corporate Press via ACNNewswire.net",
        "JCB 与中国银联（China UnionPay）完成ATM网关协议的签订；CUP持卡者得以第一次在日本享受使用ATM网络的权利",
    ),
    (
        "gb2312/rss-parser_tech.qq.com_web_rss2.xml",
        "gb18030",
        "rss20",
        1,
        "互联网",
        "拟298亿元重组盛大游戏后 世纪华通发20亿回购预案",
    ),
    ("big5/chardet_sinica.edu.tw_atom03.xml", "big5", "atom03", 7, "「隨機部落格」之「線上演算法」", "新年快樂"),
    ("big5/chardet_upsaid.com_rss1.xml", "big5", "rss10", 18, "isis", "。反WTO．人民有抗暴權！公民聲援反世貿連署行動"),
]


@pytest.mark.parametrize(
    ("name", "encoding", "version", "count", "feed_title", "first_title"),
    GB_AND_BIG5,
    ids=[Path(f[0]).name for f in GB_AND_BIG5],
)
def test_declared_chinese_encodings(
    name: str, encoding: str, version: str, count: int, feed_title: str, first_title: str
) -> None:
    feed = parse(feed_bytes(name))
    assert (feed.encoding, feed.version, len(feed.entries), feed.problem) == (encoding, version, count, None)
    assert (feed.title, feed.entries[0].title) == (feed_title, first_title)
    assert not any("\ufffd" in (entry.summary or "") + (entry.title or "") for entry in feed.entries)


def test_big5_punctuation_follows_cp950_as_browsers_do() -> None:
    """big5hkscs maps A1E3 to ∼ (U+223C); CP950 and WHATWG give ～ (U+FF5E)."""
    feed = parse(feed_bytes("big5/chardet_upsaid.com_rss1.xml"))
    text = "".join((entry.summary or "") + (entry.title or "") for entry in feed.entries)
    assert "～" in text and "∼" not in text


def test_malformed_big5_feed_recovers_every_item() -> None:
    """coolloud.org.tw cuts a description mid character reference ("&#2..."): 20 items, none lost."""
    feed = parse(feed_bytes("big5/chardet_coolloud.org.tw_rss1.xml"))
    assert (feed.encoding, feed.version, len(feed.entries)) == ("big5", "rss10", 20)
    assert feed.parser == "feedparser"
    assert feed.problem is not None and "line 105" in feed.problem
    assert feed.title == "苦勞網"
    assert feed.entries[0].title == "1226檔下點交之後\n不見棺材不走人 進輪自救會長期抗戰"
    broken = next(entry for entry in feed.entries if entry.guid and entry.guid.endswith("ID=108677"))
    assert broken.title == "中國加入世界貿易組織的社會成本"
    assert broken.summary is not None and broken.summary.endswith("首先，加入世貿及&#2...")
    assert len({entry.guid for entry in feed.entries}) == 20


def _doc(title: str, declared: str | None) -> str:
    declaration = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    return rss(f"<item><title>{title}</title><guid>g</guid></item>", declaration=declaration)


@pytest.mark.parametrize("declared", ["gb2312", "GBK", "gb18030", "x-gbk"])
def test_gb_family_is_read_as_gb18030(declared: str) -> None:
    title = "汉字𠮷€—「」"  # 𠮷 only exists in GB18030's four-byte range
    feed = parse(_doc(title, declared).encode("gb18030"))
    assert (feed.entries[0].title, feed.encoding) == (title, "gb18030")


def test_http_charset_is_honoured_without_xml_declaration() -> None:
    title = "新闻自由"
    feed = parse(_doc(title, None).encode("gbk"), {"Content-Type": "application/rss+xml; charset=GB2312"})
    assert (feed.entries[0].title, feed.encoding, feed.problem) == (title, "gb18030", None)


def test_http_charset_wins_over_the_xml_declaration() -> None:
    title = "臺灣新聞"
    feed = parse(_doc(title, "gb2312").encode("cp950"), {"content-type": "text/xml; charset=big5"})
    assert (feed.entries[0].title, feed.encoding) == (title, "big5")


def test_utf8_bytes_win_over_a_wrong_declaration() -> None:
    title = "人民网 — 标题"
    feed = parse(_doc(title, "gb2312").encode("utf-8"), {"Content-Type": "text/xml; charset=gbk"})
    assert (feed.entries[0].title, feed.encoding) == (title, "utf-8")


def test_big5_hkscs_and_euro() -> None:
    title = "港鐵𨋢€"  # 𨋢 (lift) is HKSCS; € is CP950's A3E1
    data = _doc("港鐵", "big5").encode("cp950") + b""
    data = data.replace("港鐵".encode("cp950"), "港鐵".encode("cp950") + "𨋢".encode("big5hkscs") + b"\xa3\xe1")
    feed = parse(data)
    assert (feed.entries[0].title, feed.encoding, feed.problem) == (title, "big5", None)


def test_undeclared_gbk_is_guessed_and_reported() -> None:
    title = "没有声明编码的新闻标题"
    feed = parse(_doc(title, None).encode("gbk"))
    assert feed.entries[0].title == title
    assert feed.encoding == "gb18030"
    assert feed.problem is not None and "no encoding declared" in feed.problem


def test_bad_bytes_are_replaced_not_fatal() -> None:
    data = _doc("好新闻", "gb2312").encode("gb18030").replace("好".encode("gb18030"), b"\xff\xff")
    feed = parse(data)
    assert feed.entries[0].title == "\ufffd\ufffd新闻"
    assert feed.problem is not None and "not valid gb18030" in feed.problem


@pytest.mark.parametrize(
    ("codec", "declared", "expected"),
    [
        ("utf-8-sig", "utf-8", "utf-8"),
        ("utf-16", "utf-16", "utf-16-le"),  # with BOM
        ("utf-16-le", "utf-16", "utf-16-le"),  # without BOM: found from the "<?" pattern
        ("utf-16-be", "utf-16", "utf-16-be"),
        ("utf-32", "utf-32", "utf-32-le"),
    ],
)
def test_boms_and_wide_encodings(codec: str, declared: str, expected: str) -> None:
    title = "自由亚洲电台"
    feed = parse(_doc(title, declared).encode(codec))
    assert (feed.entries[0].title, feed.encoding) == (title, expected)


# Names no document can be read with: unknown to Python, codecs of bytes to bytes, codecs that refuse "replace"
# or any non-ASCII byte, a NUL. Each failed the feed (or the page) with an error no stage expected. Python's
# escape codecs failed nothing: they read every byte past ASCII as Latin-1 (and a text's "\\u4e2d" as 中).
UNREADABLE_CHARSETS = [
    "x-user-defined",
    "no-such-charset",
    "base64",
    "rot13",
    "zlib",
    "idna",
    "punycode",
    "undefined",
    "unicode_escape",
    "raw-unicode-escape",
]


@pytest.mark.parametrize("declared", UNREADABLE_CHARSETS)
def test_a_charset_python_cannot_read_a_document_with_is_ignored(declared: str) -> None:
    title = "新闻自由"
    by_declaration = parse(_doc(title, declared).encode("gb18030"))
    by_header = parse(_doc(title, None).encode("gb18030"), {"Content-Type": f"text/xml; charset={declared}"})
    for feed in (by_declaration, by_header):
        assert (feed.entries[0].title, feed.encoding) == (title, "gb18030")
    page = f'<html><head><meta charset="{declared}"></head><body><p>{title}</p></body></html>'.encode("gb18030")
    assert decode(page)[:2] == (page.decode("gb18030"), "gb18030")
