"""Article bodies taken from the article page by a per-outlet CSS selector."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import html5lib
from html5lib.constants import DataLossWarning
from lxml import etree
from lxml.cssselect import CSSSelector

from newsvault.base.text import xml_markup
from newsvault.parse.encoding import decode

from .serialize import inner_html


class ExtractError(Exception):
    """The page does not hold what the rule looks for."""


def select_body(page: str | bytes, selector: str, headers: Mapping[str, str] | None = None) -> str:
    """innerHTML of the first element matching `selector`.

    Bytes are decoded here (BOM, strict UTF-8, HTTP charset, <meta> charset, GB
    family as GB18030) rather than by the HTML parser, whose guess depends on
    which optional detector happens to be installed. The tree is built by an
    HTML5 parser so it is the one a browser builds, which is what the archive
    format's bodies were taken from.
    """
    try:
        match = CSSSelector(selector, translator="html")
    except Exception as exc:  # cssselect raises several kinds of parse errors
        raise ExtractError(f"bad CSS selector {selector!r}: {exc}") from None
    text = decode(page, headers)[0] if isinstance(page, bytes) else page
    text = xml_markup(text)  # lxml holds no character XML forbids: html5lib failed on a page with one (ValueError)
    with warnings.catch_warnings():  # names lxml cannot hold are renamed: html5lib's notice is no user's business
        warnings.simplefilter("ignore", DataLossWarning)
        root = html5lib.parse(text, treebuilder="lxml", namespaceHTMLElements=False)
    found = match(root.getroot() if isinstance(root, etree._ElementTree) else root)
    if not found:
        raise ExtractError(f"no element matches {selector!r} on the page")
    return inner_html(found[0])
