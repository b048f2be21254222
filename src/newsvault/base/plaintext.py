"""Plain text of an HTML body: what a reader sees, for lengths, previews, search snippets and measurements.

Here rather than in `extract`: `newsvault search` makes its snippets from the hits' bodies, and
importing the extract package brings readability and feedparser (85 ms) along.
"""

from __future__ import annotations

import re
import threading

import lxml.html
from lxml import etree

from newsvault.base.text import xml_markup

BLOCK = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 header hr li "
    "main nav ol p pre section table td th tr ul".split()
)
_SKIP = frozenset(("script", "style", "noscript", "template"))
_LINE_END = " \t\u3000"  # spaces dropped before a line break (white space of every kind after one)
_SPACES = re.compile(r"[ \t\r\f\v]+")


def fragment(html: str) -> lxml.html.HtmlElement:
    """A <div> holding the parsed fragment, whatever the string: an extracted body, for what is done to it.

    Parsed in a body of its own, as `plain_text` parses, rather than by lxml.html's
    fragment parser: that one takes a string that begins like a whole document for
    one and fails (AssertionError) when it has no <body>, or two, and fails
    (ValueError) on text that begins with a character XML forbids, which lxml
    keeps from the page but will not put in a tree it builds: one such page's
    body was refused, every run.
    """
    document = f"<html><body>{xml_markup(html)}</body></html>"
    body = lxml.html.document_fromstring(document, parser=_parser(lxml.html.HTMLParser)).find("body")
    wrapper = lxml.html.Element("div")
    wrapper.text = body.text
    wrapper.extend(body)
    return wrapper


_PARSERS = threading.local()


def _parser(kind: type[etree.HTMLParser] = etree.HTMLParser) -> etree.HTMLParser:
    """An HTML parser of this kind, one per thread, reading bodies nested up to 2,046 elements deep.

    By default etree's, without lxml.html's element classes: each element the
    walk visits is made without a Python class lookup (the same tree; parse and
    walk a fifth faster). Per thread: lxml lets one thread at a time use a
    parser, and the reader makes its search snippets in a pool of threads
    (under 8 clients, p50 of a search 183-237 ms with one shared parser,
    138-181 with one each; bench_web.py, docs/SEARCH.md). `huge_tree`: by
    default libxml2 stops at 255 levels, and everything after the deep part
    was lost with it, in the site and the search index (a body of unclosed
    <font> or <div> tags nests that deep); past its huge limit it still stops.
    """
    parsers: dict[type, etree.HTMLParser] = _PARSERS.__dict__.setdefault("parsers", {})
    parser = parsers.get(kind)
    if parser is None:
        parser = parsers[kind] = kind(huge_tree=True)
    return parser


def plain_text(body: str | etree._Element | None) -> str:
    """Text with one line per block element, spaces collapsed, no empty lines (none without a body)."""
    out: list[str] = []

    def walk(top: etree._Element) -> None:
        """Depth first with lxml's own walk, not by recursion: a tree 2,046 deep is past Python's limit."""
        walker = etree.iterwalk(top, events=("start", "end", "comment", "pi"))  # the last two: only their tail
        for event, el in walker:
            tag = el.tag if isinstance(el.tag, str) else ""
            if event == "start":
                if tag in _SKIP:
                    walker.skip_subtree()  # its "end" still comes, with its tail
                else:
                    if tag in BLOCK:
                        out.append("\n")
                    if el.text and tag:
                        out.append(el.text)
                continue
            if tag in BLOCK:
                out.append("\n")
            if el is not top and el.tail:
                out.append(el.tail)

    if body is None or isinstance(body, str):
        # Wrapped as lxml.html.fragments_fromstring wraps a fragment, but always: it takes a body that begins
        # like a whole document (<html>, <!doctype>) for one, and fails (AssertionError) when it has no <body>.
        root = etree.fromstring(f"<html><body>{body or ''}</body></html>", _parser())
        inner = root.find("body")
        out.append("\n")  # the block that `fragment` wraps around a fragment
        walk(inner if inner is not None else root)
        out.append("\n")
    else:
        walk(body)
    text = "".join(out).replace("\u00a0", " ")
    if "  " in text or "\t" in text or "\r" in text or "\f" in text or "\v" in text:  # 16 µs, where 3 tell
        text = _SPACES.sub(" ", text)
    lines = text.split("\n")
    # Line by line rather than one regular expression over the text: a third of plain_text's time went there.
    return "\n".join(kept for line in lines if (kept := line.lstrip().rstrip(_LINE_END))).strip()


def text_length(body: str | None) -> int:
    """Characters of text other than white space: how long an article reads, whatever its markup."""
    if not body:
        return 0
    return sum(1 for ch in plain_text(body) if not ch.isspace())
