"""What callers hand to the fetch stage and what they get back.

Kept free of aiohttp so the rest of the pipeline (and its tests) can build and
inspect requests and responses without an event loop or a session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    url: str
    etag: str | None = None  # sent as If-None-Match
    last_modified: str | None = None  # sent as If-Modified-Since
    deadline: float = 30.0  # total seconds for one attempt: connect + headers + whole body
    max_bytes: int = 20 * 1024 * 1024  # body cap (compressed on the wire)
    max_decompressed: int = 100 * 1024 * 1024
    max_redirects: int = 5
    retries: int = 2  # extra attempts on timeout, connection errors, 5xx, 408, 429
    trusted: bool = True  # URL configured by the user (feed URL); False for URLs taken from content


@dataclass(frozen=True)
class Response:
    url: str  # final URL after redirects
    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes  # decoded from Content-Encoding; b"" when not_modified
    etag: str | None
    last_modified: str | None
    not_modified: bool  # 304
    elapsed: float  # seconds on the network for the attempt that succeeded, redirects included
    # The headers the final request went with, as aiohttp wrote them (Host, User-Agent, validators…):
    # half of what a WARC says of a capture.
    request_headers: Mapping[str, str] = field(default_factory=dict)


class FetchError(Exception):
    """A fetch that did not produce a usable response.

    `reason` is one line meant for the user's source-health page, so it names
    the cause ("HTTP 404 Not Found", "timed out after 30 s") rather than the
    exception class. `status` is set when the server answered, so callers can
    tell a deleted page (404/410) from an outage; `transient` says whether
    trying again later may help.
    """

    def __init__(self, url: str, reason: str, status: int | None = None, transient: bool = False) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status
        self.transient = transient
