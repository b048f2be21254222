"""Article bodies as newsvault displays them (site, reader, feeds out).

The archive keeps each body exactly as the feed or page gave it; everything
shown elsewhere goes through `display_html`. The repair steps run on an lxml
tree first and nh3 runs last on the serialised result, so whatever the
lxml parse makes of hostile markup, only what nh3 accepts is ever shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from lxml import etree

from newsvault.base.srcset import format_srcset, parse_srcset
from newsvault.base.text import xml_markup
from newsvault.clean.images import ImagePolicy, apply_policy
from newsvault.clean.lazy import repair
from newsvault.clean.sanitize import sanitize
from newsvault.clean.urls import absolute, scheme
from newsvault.config.model import Config

# etree's parser, not lxml.html's: its element classes (and their per-element
# lookup) buy nothing here. Comments go at parse time: nh3 would drop them anyway.
# `huge_tree` as bodies are read everywhere (why: base.plaintext._parser). Its
# 2,046 levels also bound nh3, whose time grows with the square of the depth
# (10 ms at 2,000 levels, 4 s at 30,000).
_PARSER = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True)
_URL_ATTRIBUTE = {"a": "href", "img": "src", "blockquote": "cite", "q": "cite", "del": "cite", "ins": "cite"}


def _parse(html: str) -> etree._Element:
    """The body element of `html` read as a fragment.

    Bytes with the encoding fixed, because lxml refuses a str that carries an
    XML encoding declaration, and bodies from feeds sometimes do.
    """
    data = b"<html><body>" + xml_markup(html).encode("utf-8", "replace")
    body = etree.fromstring(data, parser=_PARSER).find("body")
    assert body is not None  # libxml2 always creates it after an explicit <body>
    return body


def _serialise(body: etree._Element) -> str:
    """The inner HTML of body, plus any text the parser put after it (nothing is dropped)."""
    body.attrib.clear()  # a `<body onload>` in the input lands here; it must not shift the slice
    inner: str = etree.tostring(body, method="html", encoding="unicode", with_tail=False)
    return inner[len("<body>") : -len("</body>")] + escape(body.tail or "", quote=False)


def _prepare(html: str, base_url: str | None) -> etree._Element:
    """Parsed, lazy images promoted and every URL made absolute against `base_url`."""
    body = _parse(html)
    repair(body)
    if base_url is None:
        return body
    for element in body.iter(*_URL_ATTRIBUTE):
        attribute = _URL_ATTRIBUTE[str(element.tag)]  # a parsed tree's tags are str; the stubs allow any name
        value = element.get(attribute)
        if value is not None:
            element.set(attribute, absolute(value, base_url))
        srcset = element.get("srcset") if element.tag == "img" else None
        if srcset:
            element.set("srcset", format_srcset([(absolute(u, base_url), d) for u, d in parse_srcset(srcset)]))
    return body


def display_html(body: str, base_url: str | None, policy: ImagePolicy, assets: Mapping[str, str] | None = None) -> str:
    """`body` made safe and self-sufficient for display.

    `base_url` is the article link (relative URLs in bodies are relative to the
    article page); `assets` maps an image URL (absolute, as `image_urls`
    returns it) to the href of its mirrored copy, as the displaying page must
    reach it (the caller knows where the page lives relative to `assets/`).
    """
    if not body.strip():
        return ""
    tree = _prepare(body, base_url)
    for img in tree.iter("img"):
        apply_policy(img, policy, assets)
    return sanitize(_serialise(tree))


def image_urls(body: str, base_url: str | None) -> list[str]:
    """The absolute http(s) image URLs `display_html` would show, in order, once each.

    One URL per image (its `src` after lazy repair): the copy worth mirroring;
    srcset variants are other sizes of the same picture.
    """
    if "<img" not in body.lower():
        return []
    urls: dict[str, None] = {}
    for img in _prepare(body, base_url).iter("img"):
        src = (img.get("src") or "").strip()
        if scheme(src) in ("http", "https"):
            urls.setdefault(src, None)
    return list(urls)


def policy_for(config: Config, source: str) -> ImagePolicy:
    """The image policy of `source`: its own `images` mode, else the vault's."""
    entry = config.sources.get(source)
    mode = (entry.images if entry is not None else None) or config.images.mode
    return ImagePolicy(mode, config.images.proxy)
