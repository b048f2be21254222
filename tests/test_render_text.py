"""js_trim and whatwg_href: the two places where Python's defaults give other bytes."""

from __future__ import annotations

import pytest

from newsvault.archive import parse_article
from newsvault.base import JS_WHITESPACE, js_trim, whatwg_href
from tests.reference import reference


def test_js_trim_strips_the_whole_javascript_set():
    assert js_trim(JS_WHITESPACE + "标题 a" + JS_WHITESPACE) == "标题 a"
    for ch in JS_WHITESPACE:
        assert js_trim(f"{ch}x{ch}") == "x", repr(ch)


def test_js_trim_strips_bom_which_str_strip_keeps():
    assert "\ufeffx\ufeff".strip() == "\ufeffx\ufeff"
    assert js_trim("\ufeffx\ufeff") == "x"


@pytest.mark.parametrize("ch", ["\x1c", "\x1d", "\x1e", "\x1f", "\x85"])
def test_js_trim_keeps_what_only_python_calls_whitespace(ch):
    assert f"{ch}x{ch}".strip() == "x"
    assert js_trim(f"{ch}x{ch}") == f"{ch}x{ch}"


def test_js_trim_keeps_inner_whitespace_and_zero_width_space():
    assert js_trim(" a \n b ") == "a \n b"
    assert js_trim("\u200bx\u200b") == "\u200bx\u200b"  # U+200B is not JS whitespace


# Expected values are what Node's `new URL(input).href` printed.
@pytest.mark.parametrize(
    ("raw", "href"),
    [
        ("HTTPS://WWW.VoaChinese.COM:443/a/x.html", "https://www.voachinese.com/a/x.html"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com:8080", "http://example.com:8080/"),
        (
            "https://bücher.de/straße?q=中文#片段",
            "https://xn--bcher-kva.de/stra%C3%9Fe?q=%E4%B8%AD%E6%96%87#%E7%89%87%E6%AE%B5",
        ),
        ("https://example.com/a b/c\td\ne", "https://example.com/a%20b/cde"),
        ("https://example.com/%e4%b8%ad", "https://example.com/%e4%b8%ad"),
        ("http://例子.测试/", "http://xn--fsqu00a.xn--0zwm56d/"),
        ("https://example.com/?q=a b&r=\u00e9", "https://example.com/?q=a%20b&r=%C3%A9"),
        ("https://EXAMPLE.com/a/../b/./c", "https://example.com/b/c"),
        ("  https://example.com/x  ", "https://example.com/x"),
        ("https://example.com/a\u00a0b", "https://example.com/a%C2%A0b"),
        ("https://example.com/\u3000", "https://example.com/%E3%80%80"),
        ("HTTP://[::1]:80/", "http://[::1]/"),
        ("https://example.com/a|b{c}", "https://example.com/a|b%7Bc%7D"),
        ("https://user:pa ss@example.com/", "https://user:pa%20ss@example.com/"),
        ("https://example.com/\ud800", "https://example.com/%EF%BF%BD"),
    ],
)
def test_whatwg_href_matches_node(raw, href):
    assert whatwg_href(raw) == href


@pytest.mark.parametrize(
    "raw", ["/relative", "example.com/x", "http://", "https://exa mple.com/", "", "http://a.com:99999/"]
)
def test_whatwg_href_rejects_what_new_url_throws_on(raw):
    with pytest.raises(ValueError):
        whatwg_href(raw)


def test_whatwg_href_is_identity_on_the_real_links_in_the_repository():
    """The links of the seed, the final-2025 articles and the 2020 article in tests/data/shared."""
    paths = [
        reference("seed/000_0851d2a3dc01581b.txt"),
        *sorted(reference("corpus/duty-machine-news/final-2025/articles").rglob("*.md")),
        reference(
            "corpus/duty-machine-news/snapshot-2020-07-20/articles/美国之音/"
            "1047747_停止邪恶打压：美国务卿就中共镇压法轮功21周年发表声明.md"
        ),
    ]
    links = {parse_article(p.read_bytes()).url for p in paths}
    assert len(links) == 13
    assert {link: whatwg_href(link) for link in links if whatwg_href(link) != link} == {}
    assert any("%E4" in link for link in links)  # percent-escapes kept as they are


def test_whatwg_href_is_identity_on_every_real_link(shared):
    """Links the original wrote went through `new URL().href`: serialising again changes nothing."""
    corpus = shared / "corpus" / "duty-machine-news"
    paths = sorted((corpus / "final-2025" / "articles").rglob("*.md"))
    paths += sorted((corpus / "snapshot-2020-07-20" / "articles").rglob("*.md"))
    links = {parse_article(p.read_bytes()).url for p in paths}
    assert len(links) > 3000
    changed = {link: whatwg_href(link) for link in links if whatwg_href(link) != link}
    assert changed == {}
    # Real links exercise lower-case escapes that must survive, and non-ASCII that must not.
    assert any("%e4" in link for link in links)
    assert any("%E4" in link for link in links)
