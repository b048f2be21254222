"""Automatic main-content extraction, for outlets whose feeds carry only teasers.

readability-lxml rather than trafilatura: on the Chinese pages with a known
main text in ../shared/fixtures/pages it finds as much of the text and far
less boilerplate (docs/EXTRACTION.md has the numbers), and it returns the
article as HTML with its pictures, which is what the archive keeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import lxml.html
from lxml import etree
from readability import Document
from readability.htmls import shorten_title
from readability.readability import Unparseable

from newsvault.base.plaintext import fragment, plain_text
from newsvault.base.text import xml_markup
from newsvault.parse.encoding import decode

from .lazy import is_placeholder, promote_lazy_images
from .page import ExtractError
from .serialize import inner_html

# `huge_tree` as bodies are read everywhere (why: base.plaintext._parser).
_PARSER = lxml.html.HTMLParser(encoding="utf-8", huge_tree=True)
# Readability parses the page again itself, with the default limit: the tree it gets goes no deeper than this.
_READABLE_DEPTH = 200
_FLAT = frozenset(("p", "br", "img"))  # kept below it: tags that cannot nest

# Where pages state their publication time, in the order they are trusted.
_DATE_META = (
    "article:published_time",
    "og:published_time",
    "pubdate",
    "publishdate",
    "publish_date",
    "datepublished",
    "date",
    "dc.date",
    "dc.date.issued",
    "sailthru.date",
    "parsely-pub-date",
)
_TITLE_META = ("og:title", "twitter:title")
_PLACEHOLDER_TITLE = 6  # characters: a <title> this short names the template, not the article


@dataclass(frozen=True)
class Extracted:
    """What the archive would keep from one article page."""

    title: str
    date: str | None  # as the page states it; dates are normalised by the caller
    html: str  # the body, serialised like a browser's innerHTML
    text: str  # the body's plain text
    images: list[str] = field(default_factory=list)


def parse_page(page: str | bytes, headers: Mapping[str, str] | None = None) -> lxml.html.HtmlElement:
    """The page as an lxml HTML tree, decoded by newsvault's rules rather than lxml's guess."""
    text = decode(page, headers)[0] if isinstance(page, bytes) else page
    try:  # without what XML forbids: readability builds new elements of the page's text, and lxml refuses it there
        return lxml.html.document_fromstring(xml_markup(text).encode("utf-8", "replace"), parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:  # an empty or unparseable document
        raise ExtractError(f"not an HTML page ({exc})") from None


def _flatten_deep(root: etree._Element) -> None:
    """Below `_READABLE_DEPTH` levels, only the tags that cannot nest are kept; every text stays, in order.

    Readability would otherwise read the page up to its deep part only, and the
    article's text after that part was lost.
    """
    deep = []
    depth = 0
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        if event == "end":
            depth -= 1
            continue
        depth += 1
        if depth == _READABLE_DEPTH:
            deep.append(element)
            walker.skip_subtree()
    for element in deep:
        names = {d.tag for d in element.iterdescendants() if isinstance(d.tag, str)} - _FLAT
        if names:
            etree.strip_tags(element, *names)


def _meta(root: etree._Element, names: tuple[str, ...]) -> str | None:
    found: dict[str, str] = {}
    for meta in root.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if key in names and content:
            found.setdefault(key, content)
    return next((found[n] for n in names if n in found), None)


def page_title(root: lxml.html.HtmlElement) -> str:
    """The headline: og:title, else an <h1> that <title> repeats, else <title> without the site name.

    An <h1> alone is not trusted, since many templates put the site's logo in
    one (网易); but when <title> is a placeholder (FT中文网's "文章页") a page's
    only <h1> is the better guess.
    """
    title = _meta(root, _TITLE_META)
    if title:
        return title
    full = " ".join((root.findtext(".//title") or "").split())
    headings = [" ".join(h.text_content().split()) for h in root.iter("h1")]
    headings = [h for h in headings if h]
    for heading in headings:
        if heading in full and len(heading) * 3 >= len(full):
            return heading
    short = (shorten_title(root) or "").strip()
    if len(short) < _PLACEHOLDER_TITLE and len(headings) == 1:
        return headings[0]
    return short


def page_date(root: etree._Element) -> str | None:
    """The publication time the page states in its metadata, or on a <time datetime>."""
    date = _meta(root, _DATE_META)
    if date:
        return date
    for time_el in root.iter("time"):
        stated: str | None = time_el.get("datetime")
        if stated:
            return stated.strip()
    return None


def images_of(body: etree._Element) -> list[str]:
    """The pictures an article shows: a lazy loader's spacer still in `src` is none of them."""
    return [src for img in body.iter("img") if not is_placeholder(src := (img.get("src") or "").strip())]


def extracted(root: lxml.html.HtmlElement, body: etree._Element) -> Extracted:
    return Extracted(page_title(root), page_date(root), inner_html(body), plain_text(body), images_of(body))


def auto_body(page: str | bytes, headers: Mapping[str, str] | None = None, url: str | None = None) -> Extracted:
    """The page's main content, found by readability, lazy images promoted, links made absolute.

    Links are made absolute against the page's URL because the body will be
    read far from that page. Readability is handed a string rather than the
    tree: it re-parses its input when its first, stricter pass finds too
    little, and a tree it already pruned would lose text on the second pass.
    """
    root = parse_page(page, headers)
    promote_lazy_images(root)
    _flatten_deep(root)
    try:
        summary = Document(lxml.html.tostring(root, encoding="unicode"), url=url).summary(html_partial=True)
    except Unparseable as exc:
        raise ExtractError(f"no main content found ({exc})") from None
    body = fragment(summary)
    if len(body) == 1 and body[0].tag == "div" and not (body.text or "").strip():
        body = body[0]  # readability's own wrapper <div>
    if not plain_text(body):
        raise ExtractError("no main content found")
    return extracted(root, body)
