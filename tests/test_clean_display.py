"""display_html: lazy images, absolute URLs, image policies, alt text and captions."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsvault.base.srcset import parse_srcset
from newsvault.clean import ImagePolicy, display_html, image_urls, policy_for, proxied
from newsvault.clean.urls import absolute, scheme
from newsvault.config import load
from newsvault.config.load import ConfigError

BASE = "https://news.example/world/2025/story.html"
KEEP = ImagePolicy("keep")


def test_lazy_data_src_replaces_the_placeholder() -> None:
    body = '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="/img/real.jpg" alt="a">'
    assert display_html(body, BASE, KEEP) == (
        '<img src="https://news.example/img/real.jpg" alt="a" referrerpolicy="no-referrer">'
    )


@pytest.mark.parametrize("attribute", ["data-src", "data-original", "data-lazy-src", "data-actualsrc"])
def test_every_lazy_attribute_is_promoted(attribute: str) -> None:
    assert image_urls(f'<img {attribute}="pics/a.png">', BASE) == ["https://news.example/world/2025/pics/a.png"]


def test_lazy_srcset_is_promoted_and_src_taken_from_the_largest_candidate() -> None:
    body = '<img data-srcset="a-320.jpg 320w, a-1024.jpg 1024w, a-640.jpg 640w">'
    assert display_html(body, BASE, KEEP) == (
        '<img srcset="https://news.example/world/2025/a-320.jpg 320w, '
        "https://news.example/world/2025/a-1024.jpg 1024w, "
        'https://news.example/world/2025/a-640.jpg 640w" '
        'src="https://news.example/world/2025/a-1024.jpg" referrerpolicy="no-referrer">'
    )


def test_picture_source_gives_its_image_a_src() -> None:
    body = '<picture><source srcset="/p/s.webp 1x, /p/l.webp 2x"><img alt="图"></picture>'
    assert display_html(body, BASE, KEEP) == (
        '<img alt="图" src="https://news.example/p/l.webp" referrerpolicy="no-referrer">'
    )


def test_noscript_copy_of_a_promoted_image_is_not_doubled() -> None:
    body = '<img data-src="/a.jpg"><noscript><img src="/a.jpg"></noscript>'
    assert image_urls(body, BASE) == ["https://news.example/a.jpg"]
    assert display_html(body, BASE, KEEP).count("<img") == 1


def test_noscript_with_other_content_is_unwrapped_not_lost() -> None:
    body = '<p>x</p><noscript><img src="/only.jpg" alt="only"><p>说明</p></noscript>'
    assert display_html(body, BASE, KEEP) == (
        '<p>x</p><img src="https://news.example/only.jpg" alt="only" referrerpolicy="no-referrer"><p>说明</p>'
    )


def test_relative_urls_become_absolute() -> None:
    body = (
        '<a href="../other.html?a=1&amp;b=2#c">l</a><a href="//cdn.example/x">p</a>'
        '<img src="img/a b.jpg"><blockquote cite="/src">q</blockquote>'
    )
    assert display_html(body, BASE, KEEP) == (
        '<a href="https://news.example/world/other.html?a=1&amp;b=2#c" rel="noopener noreferrer">l</a>'
        '<a href="https://cdn.example/x" rel="noopener noreferrer">p</a>'
        '<img src="https://news.example/world/2025/img/a%20b.jpg" referrerpolicy="no-referrer">'
        '<blockquote cite="https://news.example/src">q</blockquote>'
    )


def test_without_a_base_relative_urls_stay_relative() -> None:
    assert display_html('<a href="/x">x</a>', None, KEEP) == '<a href="/x" rel="noopener noreferrer">x</a>'


def test_proxy_applies_to_src_and_every_srcset_candidate() -> None:
    body = '<img src="https://img.example/a.jpg?w=1&h=2" srcset="/a-1.jpg 1x, http://img.example/a-2.jpg 2x">'
    assert display_html(body, BASE, ImagePolicy("proxy")) == (
        '<img src="https://images.weserv.nl?url=img.example/a.jpg?w=1%26h=2" '
        'srcset="https://images.weserv.nl?url=news.example/a-1.jpg 1x, '
        'https://images.weserv.nl?url=img.example/a-2.jpg 2x" referrerpolicy="no-referrer">'
    )


def test_proxy_template_with_full_url_and_no_double_proxying() -> None:
    template = "https://proxy.example/i?u={url}"
    assert proxied("https://a.example/x.png#f", template) == ("https://proxy.example/i?u=https://a.example/x.png%23f")
    feedx = "https://images.weserv.nl/?url=static01.nyt.com/images/a.jpg"
    assert proxied(feedx, "https://images.weserv.nl?url={url_without_scheme}") == feedx
    assert proxied("data:image/png;base64,AA", template) == "data:image/png;base64,AA"


def test_mirror_points_at_the_asset_and_keeps_the_original() -> None:
    body = '<img src="/a.jpg" srcset="/a.jpg 1x, /a-2.jpg 2x" alt="A"><img src="/b.jpg" alt="B">'
    assets = {"https://news.example/a.jpg": "../assets/ab/abcd.jpg"}
    assert display_html(body, BASE, ImagePolicy("mirror"), assets) == (
        '<img src="../assets/ab/abcd.jpg" srcset="../assets/ab/abcd.jpg 1x" alt="A" '
        'data-original-src="https://news.example/a.jpg" referrerpolicy="no-referrer">'
        '<img src="https://news.example/b.jpg" alt="B" referrerpolicy="no-referrer">'
    )


def test_alt_text_and_captions_always_survive() -> None:
    body = (
        '<figure class="x" style="c"><img data-src="/a.jpg" alt="抗议者在街头" onerror="x()">'
        "<figcaption>图片来源：<cite>路透社</cite></figcaption></figure>"
    )
    for policy in (KEEP, ImagePolicy("proxy"), ImagePolicy("mirror")):
        out = display_html(body, BASE, policy)
        assert 'alt="抗议者在街头"' in out
        assert "<figcaption>图片来源：<cite>路透社</cite></figcaption>" in out


def test_text_the_html_parser_puts_outside_body_is_kept() -> None:
    assert display_html("前</body>后", None, KEEP) == "前后"
    assert display_html("   ", None, KEEP) == ""


_NOT_XML = [chr(c) for c in (*range(9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF)]


@pytest.mark.parametrize(
    "template",
    [
        "<p>文字{c}</p>",
        "<img data-src='//img.example/a{c}.jpg' src='blank.gif'>",  # the lazy address is set as `src`
        "<img data-srcset='a{c}.jpg 1x, b.jpg 2x'>",
        "<p><noscript>x</noscript>{c}尾</p>",  # a removed element's tail is moved
        "<noscript><img src='a.jpg'></noscript>{c}<img src='a.jpg'>",
        "<a href='http://x.example/{c}'>链{c}接</a><img src='p.jpg' alt='{c}'>",
    ],
)
def test_characters_xml_forbids_written_or_referred_to_are_dropped_not_fatal(template: str) -> None:
    """lxml refuses to set a value holding one (a lazy image's address as `src`, a moved text): a stored body
    with one stopped the site's render and the reader's page. Raw, or as &#8; / &#x1B; / &#xFFFE;."""
    for c in _NOT_XML:
        for written in (c, f"&#{ord(c)};", f"&#x{ord(c):X};", f"&#{ord(c)}"):
            body = template.replace("{c}", written)
            for mode in ("keep", "proxy", "mirror"):
                shown = display_html(body, "https://news.example/a/1.html", ImagePolicy(mode), {})
                assert not any(ch in shown for ch in _NOT_XML), (body, mode, shown)
            assert all(url.startswith("http") for url in image_urls(body, "https://news.example/a/1.html"))
    assert display_html("<p>一&#8;二&#80;&#x80;</p>", None, ImagePolicy("keep")) == "<p>一二P€</p>"


def test_image_urls_are_absolute_http_once_each_in_order() -> None:
    body = (
        '<IMG SRC="/b.png"><img src="data:image/png;base64,AA"><img src="/a.png">'
        '<img src="/b.png"><img src="javascript:x"><img>'
    )
    assert image_urls(body, BASE) == ["https://news.example/b.png", "https://news.example/a.png"]
    assert image_urls("<p>no pictures</p>", BASE) == []


def test_srcset_parsing_keeps_commas_inside_urls() -> None:
    assert parse_srcset("data:image/png;base64,AA= 1x, /b.png 2x,/c.png") == [
        ("data:image/png;base64,AA=", "1x"),
        ("/b.png", "2x"),
        ("/c.png", ""),
    ]
    assert parse_srcset("a.jpg 100w (max-width: 1px), b.jpg") == [("a.jpg", "100w (max-width: 1px)"), ("b.jpg", "")]


def test_scheme_is_read_as_a_browser_reads_it() -> None:
    assert scheme(" \x01JaVa\tScript:x") == "javascript"
    assert scheme("/relative:colon") is None
    assert absolute("x.jpg", None) == "x.jpg"
    assert absolute("http://[bad", BASE) == "http://[bad"


def test_policy_from_vault_and_per_source_override(tmp_path: Path) -> None:
    (tmp_path / "vault.toml").write_text(
        '[images]\nmode = "mirror"\nproxy = "https://p.example/?u={url}"\nmax_bytes = 1000\n'
        '[sources.voa]\nimages = "keep"\n[sources.dw]\nenabled = true\n',
        "utf-8",
    )
    config = load(tmp_path)
    assert config.images.max_bytes == 1000
    assert policy_for(config, "voa") == ImagePolicy("keep", "https://p.example/?u={url}")
    assert policy_for(config, "dw").mode == "mirror"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[images]\nmode = "copy"\n', "[images] key 'mode': expected one of 'keep', 'proxy', 'mirror', got 'copy'"),
        ('[images]\nproxy = "https://p.example/"\n', "[images] key 'proxy': expected an http(s) URL template"),
        ("[images]\nmax_bytes = 0\n", "[images] key 'max_bytes': expected a positive number, got 0"),
        ("[images]\nsize = 1\n", "[images]: unknown key 'size'"),
        ('[sources.voa]\nimages = "mirrored"\n', "[sources.voa] key 'images': expected one of"),
    ],
)
def test_bad_image_settings_are_refused_with_a_reason(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "vault.toml").write_text(text, "utf-8")
    with pytest.raises(ConfigError) as caught:
        load(tmp_path)
    assert message in str(caught.value)


def test_an_invalid_policy_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="neither"):
        ImagePolicy("proxy", "https://p.example/")
    with pytest.raises(ValueError, match="image mode"):
        ImagePolicy("copy")
