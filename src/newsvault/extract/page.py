"""Article bodies taken from the article page by a per-outlet CSS selector."""

from __future__ import annotations

import html5lib
from lxml import etree
from lxml.cssselect import CSSSelector

from .serialize import inner_html


class ExtractError(Exception):
    """The page does not hold what the rule looks for."""


def select_body(page: str | bytes, selector: str) -> str:
    """innerHTML of the first element matching `selector`.

    Parsed with an HTML5 parser so the tree is the one a browser builds, which
    is what the archive format's bodies were taken from.
    """
    try:
        match = CSSSelector(selector, translator="html")
    except Exception as exc:  # cssselect raises several kinds of parse errors
        raise ExtractError(f"bad CSS selector {selector!r}: {exc}") from None
    root = html5lib.parse(page, treebuilder="lxml", namespaceHTMLElements=False)
    found = match(root.getroot() if isinstance(root, etree._ElementTree) else root)
    if not found:
        raise ExtractError(f"no element matches {selector!r} on the page")
    return inner_html(found[0])
