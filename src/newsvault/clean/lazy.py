"""Lazy-loaded images, repaired so they are not lost once scripts are gone.

Lazy loaders keep the real address in an attribute their script copies into
`src` later (`data-src`, `data-original`, ...), leaving `src` empty or a
placeholder. Without that script, which the sanitiser removes, the picture
would never load, so the real address is promoted here. `<noscript>` copies of
such images are dropped when they only repeat an image already promoted, and
unwrapped otherwise, because a sanitiser cannot keep their content as markup.
"""

from __future__ import annotations

from lxml import etree

from newsvault.base.srcset import largest, parse_srcset
from newsvault.extract.lazy import LAZY_SRC, LAZY_SRCSET


def _first(element: etree._Element, names: tuple[str, ...]) -> str | None:
    for name in names:
        value = (element.get(name) or "").strip()
        if value:
            return value
    return None


def _picture_srcset(img: etree._Element) -> str | None:
    """The first `<source>` srcset of an enclosing `<picture>`, which is not kept itself.

    An ancestor rather than the parent: libxml2 does not know `<source>` is
    void and nests the `<img>` inside it.
    """
    picture = next(img.iterancestors("picture"), None)
    if picture is None:
        return None
    for source in picture.iter("source"):
        srcset = _first(source, ("srcset", *LAZY_SRCSET))
        if srcset:
            return srcset
    return None


def promote(img: etree._Element) -> None:
    """Give `img` the `src` and `srcset` its lazy loader would have set.

    For display the lazy address wins over any `src` (often a small preview);
    extraction (`extract.lazy`) replaces only placeholders, because what it
    returns is archived and a page's own `src` is part of what it showed.
    """
    lazy = _first(img, LAZY_SRC)
    if lazy:
        img.set("src", lazy)
    lazy_set = _first(img, LAZY_SRCSET)
    if lazy_set:
        img.set("srcset", lazy_set)
    if (img.get("src") or "").strip():
        return
    srcset = _first(img, ("srcset",)) or _picture_srcset(img)
    best = largest(parse_srcset(srcset)) if srcset else None
    if best:
        img.set("src", best)


def _remove(element: etree._Element) -> None:
    """Remove `element` and what is inside it, but not the text that follows it."""
    parent = element.getparent()
    assert parent is not None  # only called below the fragment's root
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def repair(root: etree._Element) -> None:
    """Promote every lazy image under `root`, then settle its `<noscript>` copies."""
    seen = set()
    for img in root.iter("img"):
        promote(img)
        if next(img.iterancestors("noscript"), None) is None:
            seen.add((img.get("src") or "").strip())
    for noscript in list(root.iter("noscript")):
        copies = [(i.get("src") or "").strip() for i in noscript.iter("img")]
        if copies and all(src in seen for src in copies):
            _remove(noscript)
    etree.strip_tags(root, "noscript")
