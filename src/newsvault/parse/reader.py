"""The parse stage's entry point: bytes and headers in, a Feed or a FeedError out."""

from __future__ import annotations

from collections.abc import Mapping

from . import jsonfeed, sniff, xmlfeed
from .encoding import to_utf8
from .model import Feed, FeedError

__all__ = ["parse"]


def parse(data: bytes | str, headers: Mapping[str, str] | None = None) -> Feed:
    """Read RSS, RDF, Atom or JSON Feed bytes as fetched, with the response headers (for the charset).

    Raises FeedError, with a message for the user, when the bytes are not a
    feed or nothing could be recovered from them; a str (a URL, or text already
    decoded by the caller, which loses the declared encoding) is refused.
    """
    if isinstance(data, str):
        if sniff.looks_like_url(data):
            raise FeedError(f"got a URL ({data.strip()[:200]}) instead of the feed's content")
        raise TypeError("parse() takes the feed's bytes as fetched, not a str")
    data = bytes(data)
    if not data.strip():
        raise FeedError("empty document")
    if sniff.looks_like_url(data):
        raise FeedError("got a URL instead of the feed's content")

    decoded = to_utf8(data, headers)
    if sniff.looks_like_json(decoded.data):
        feed = jsonfeed.read(decoded.text if decoded.text is not None else decoded.data, decoded.encoding)
    else:
        root = sniff.root_element(decoded.data)
        if sniff.is_html_root(decoded.data, root):
            raise FeedError("not a feed: got an HTML page")
        feed = xmlfeed.read(decoded.data, decoded.encoding, root)
    if decoded.problem:
        feed.problem = "; ".join(filter(None, (decoded.problem, feed.problem)))
    return feed
