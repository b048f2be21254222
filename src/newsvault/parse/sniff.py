"""Recognise what a document is before handing it to a parser.

A parser given an HTML page, a URL or nothing says "bozo, 0 entries"; the
user needs to hear "you got an HTML page" instead, and a URL must never reach
a parser at all, because both of them fetch URLs.
"""

from __future__ import annotations

import re

__all__ = ["closes_root", "is_html_root", "looks_like_json", "looks_like_url", "root_element"]

_URL = re.compile(r"(?i)(?:https?|feeds?|ftp|file)://\S*|(?:feed|file):\S+")
# Each prolog part is matched once and never reconsidered (atomic group,
# possessive repeat): with backtracking, a window of spaces costs quadratic
# time and a run of processing instructions exponential time, since a lazy
# ``.*?`` may also end at any later ``?>``. The internal subset of a doctype
# ends at the first ``]`` followed by ``>``, as in XML's grammar.
_PROLOG = re.compile(
    rb"""(?>\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*+(?:\[.*?\]\s*+)?>)*+<([A-Za-z_][\w:.-]*)""",
    re.DOTALL | re.IGNORECASE,
)
_HTML_DOCTYPE = re.compile(rb"(?is)(?>\s+|<\?.*?\?>|<!--.*?-->)*+<!DOCTYPE\s+html")
_HTML_ROOTS = {"html", "head", "body"}
_SNIFF_BYTES = 64 * 1024


def looks_like_url(data: str | bytes) -> bool:
    """True for a lone URL: what a caller passes by mistake instead of the fetched bytes."""
    text = data if isinstance(data, str) else data[:4096].decode("utf-8", "replace")
    return len(text) < 4096 and bool(_URL.fullmatch(text.strip()))


def looks_like_json(data: bytes) -> bool:
    return data.lstrip()[:1] in (b"{", b"[")


def root_element(data: bytes) -> str | None:
    """Name of the first element after the prolog (declaration, comments, PIs, doctype)."""
    match = _PROLOG.match(data[:_SNIFF_BYTES])
    return match.group(1).decode("ascii", "replace") if match else None


def is_html_root(data: bytes, root: str | None) -> bool:
    """The root element decides; an HTML doctype only when no element could be found."""
    if root is None:
        return bool(_HTML_DOCTYPE.match(data[:_SNIFF_BYTES]))
    return root.lower() in _HTML_ROOTS


def closes_root(data: bytes, root: str) -> bool:
    """Whether the root element's end tag is present: false means the document was cut off."""
    end_tag = re.compile(rb"</\s*" + re.escape(root.encode("ascii", "replace")) + rb"\b", re.IGNORECASE)
    return bool(end_tag.search(data, max(0, len(data) - _SNIFF_BYTES)))
