"""The last step before anything newsvault displays: an allow-list sanitiser (nh3).

nh3 (ammonia, on html5ever) parses like a browser and serialises its own tree,
so what comes out is exactly what was checked. It checks the schemes of `href`
and `src` only; `cite` and `srcset` carry URLs too and `data:` must be limited
to images, so those checks are done in the attribute filter.

What survives: text structure, emphasis, lists, tables, figures and captions,
links and images. What never does: script, style (element or attribute), event
handlers, frames, forms, objects and embeds, and any URL whose scheme is not
http(s) (links also mailto:; images also data:image/ of a raster type).
"""

from __future__ import annotations

import re

import nh3

from newsvault.base.srcset import format_srcset, parse_srcset
from newsvault.clean.urls import scheme

TAGS = {
    "a",
    "abbr",
    "acronym",
    "article",
    "aside",
    "b",
    "bdi",
    "bdo",
    "big",
    "blockquote",
    "br",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "data",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "main",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "rp",
    "rt",
    "rtc",
    "ruby",
    "s",
    "samp",
    "section",
    "small",
    "span",
    "strike",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "tt",
    "u",
    "ul",
    "var",
    "wbr",
}

# Removed with everything inside: their content is code, or text that would
# only make sense inside the removed control (option lists, frame fallbacks).
DROPPED_WITH_CONTENT = {
    "script",
    "style",
    "template",
    "iframe",
    "frame",
    "frameset",
    "noframes",
    "object",
    "embed",
    "applet",
    "noembed",
    "svg",
    "math",
    "select",
    "textarea",
    "noscript",
    "head",
    "title",
}

ATTRIBUTES = {
    "*": {"lang", "dir", "title"},
    "a": {"href", "hreflang"},
    "img": {"src", "srcset", "sizes", "alt", "width", "height", "data-original-src"},
    "blockquote": {"cite"},
    "q": {"cite"},
    "del": {"cite", "datetime"},
    "ins": {"cite", "datetime"},
    "time": {"datetime"},
    "data": {"value"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope"},
    "col": {"span"},
    "colgroup": {"span"},
    "details": {"open"},
}

LINK_REL = "noopener noreferrer"
LINK_SCHEMES = {"http", "https", "mailto"}
IMAGE_SCHEMES = {"http", "https"}
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp|avif)[;,]", re.IGNORECASE)
_URL_ATTRIBUTES = {"href", "src", "cite", "data-original-src"}


def _allowed_url(tag: str, attribute: str, url: str) -> bool:
    found = scheme(url)
    if found is None:
        return True  # relative: resolves to the page's own scheme
    if tag == "img" and attribute == "src" and found == "data":
        return _DATA_IMAGE.match(url.strip()) is not None
    return found in (IMAGE_SCHEMES if tag == "img" else LINK_SCHEMES)


def _filter(tag: str, attribute: str, value: str) -> str | None:
    if attribute in _URL_ATTRIBUTES:
        return value if _allowed_url(tag, attribute, value) else None
    if attribute == "srcset":
        kept = [c for c in parse_srcset(value) if scheme(c[0]) in (None, *IMAGE_SCHEMES)]
        return format_srcset(kept) or None
    return value


_CLEANER = nh3.Cleaner(
    tags=TAGS,
    clean_content_tags=DROPPED_WITH_CONTENT,
    attributes=ATTRIBUTES,
    attribute_filter=_filter,
    link_rel=LINK_REL,
    url_schemes=LINK_SCHEMES | {"data"},  # data: is narrowed to images in _filter
    set_tag_attribute_values={"img": {"referrerpolicy": "no-referrer"}},
)


def sanitize(html: str) -> str:
    """`html` reduced to the allow-list; safe to insert into any page newsvault serves."""
    return _CLEANER.clean(html)
