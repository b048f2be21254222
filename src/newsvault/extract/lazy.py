"""Lazy-loaded images made real before extraction.

News sites ship `<img src="blank.gif" data-src="real.jpg">` and let a script
swap them on scroll. No script runs here, so without this step the archive
would keep the placeholder and lose the picture; and content extractors score
a paragraph by what it holds, so a picture still pointing at a spacer can also
be dropped as boilerplate.
"""

from __future__ import annotations

import re

from lxml import etree

from newsvault.base.srcset import largest, parse_srcset

# Attributes that lazy-loading scripts read the real address from, most specific first:
# the one list for extraction (here) and display (`clean.lazy`).
LAZY_SRC = ("data-src", "data-original", "data-lazy-src", "data-actualsrc", "data-lazyload", "data-url", "data-echo")
LAZY_SRCSET = ("data-srcset", "data-lazy-srcset")

_PLACEHOLDER_NAME = re.compile(r"blank|spacer|placeholder|loading|lazy|grey|pixel|1x1|transparent", re.IGNORECASE)
_IMAGE_SUFFIX = re.compile(r"\.(?:gif|png|svg)", re.IGNORECASE)


def is_placeholder(src: str | None) -> bool:
    """No picture: empty, inline data (a lazy loader's spacer), about:blank, or a spacer's file name."""
    src = (src or "").strip()
    return not src or src.startswith("data:") or src == "about:blank" or _names_placeholder(src)


def _names_placeholder(src: str) -> bool:
    """A spacer-like name, then .gif, .png or .svg later in the same path segment ("img/blank-1x1.gif").

    One search per segment, from its first name on: a single regex
    ``name[^/]*\\.gif`` scans to the segment's end again from every name in it,
    which a long run of names with no suffix makes quadratic.
    """
    for segment in src.split("/"):
        name = _PLACEHOLDER_NAME.search(segment)
        if name and _IMAGE_SUFFIX.search(segment, name.end()):
            return True
    return False


def promote_lazy_images(root: etree._Element) -> int:
    """Give every lazily loaded <img> its real `src`; returns how many were changed.

    The real address replaces `src` only when `src` is missing or a
    placeholder: a page that already names a real picture is left as it is.
    """
    changed = 0
    for img in root.iter("img"):
        if not is_placeholder(img.get("src")):
            continue
        real = next((value for a in LAZY_SRC if (value := (img.get(a) or "").strip())), None)
        if real is None:
            srcset = next((img.get(a) for a in (*LAZY_SRCSET, "srcset") if img.get(a)), None)
            real = largest(parse_srcset(srcset)) if srcset else None
        if real and not is_placeholder(real):
            img.set("src", real)
            changed += 1
    return changed
