"""Plain text of an HTML body: what a reader sees, for lengths, previews and measurements."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

BLOCK = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 header hr li "
    "main nav ol p pre section table td th tr ul".split()
)
_SKIP = frozenset(("script", "style", "noscript", "template"))
# Starts only where a run of spaces starts: tried inside a long run that no
# newline ends, it would rescan the rest of the run from every position.
_BLANK_LINES = re.compile(r"(?<![ \t\u3000])[ \t\u3000]*\n[\s\u3000]*")
_SPACES = re.compile(r"[ \t\r\f\v]+")


def fragment(html: str) -> etree._Element:
    """An element holding the parsed fragment (empty when there is nothing to parse)."""
    wrapper = lxml.html.fragment_fromstring(html or "", create_parent="div")
    return wrapper


def plain_text(body: str | etree._Element) -> str:
    """Text with one line per block element, spaces collapsed, no empty lines."""
    root = fragment(body) if isinstance(body, str) else body
    out: list[str] = []

    def walk(el: etree._Element) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _SKIP:
            return
        if tag in BLOCK:
            out.append("\n")
        if el.text and tag:
            out.append(el.text)
        for child in el:
            walk(child)
            if child.tail:
                out.append(child.tail)
        if tag in BLOCK:
            out.append("\n")

    walk(root)
    text = _SPACES.sub(" ", "".join(out).replace("\u00a0", " "))
    return _BLANK_LINES.sub("\n", text).strip()


def text_length(body: str | None) -> int:
    """Characters of text other than white space: how long an article reads, whatever its markup."""
    if not body:
        return 0
    return sum(1 for ch in plain_text(body) if not ch.isspace())
