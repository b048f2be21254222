"""The fetch stage against a real HTTP server on 127.0.0.1.

Tests are plain functions that drive the Fetcher with asyncio.run, so no
pytest plugin is needed. Backoff is shrunk to milliseconds; where a test is
about time (Retry-After, deadlines) it measures the wall clock.
"""

from __future__ import annotations

import asyncio
import gzip
import socket
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from email.utils import formatdate

import pytest

from newsvault import __version__
from newsvault.config.model import FetchSettings
from newsvault.fetch import DEFAULT_USER_AGENT, Fetcher, FetchError, Request, Response
from newsvault.fetch.decode import BadEncoding, Decoder, TooLarge
from newsvault.fetch.guard import is_public
from newsvault.fetch.retry import parse_retry_after
from tests.support.fetch_server import FetchServer
from tests.support.server import LocalServer, Route

FEED = "<rss version='2.0'><channel><title>中国数字时代</title></channel></rss>".encode()


@pytest.fixture
def fserver() -> Iterator[FetchServer]:
    with FetchServer() as srv:
        yield srv


def fetch(request: Request, **options: object) -> Response:
    async def go() -> Response:
        async with Fetcher(**{"backoff": 0.01, **options}) as fetcher:  # type: ignore[arg-type]
            return await fetcher.fetch(request)

    return asyncio.run(go())


def failure(request: Request, **options: object) -> tuple[FetchError, float]:
    """The FetchError a fetch raises, and how long it took to raise it."""
    began = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(request, **options)
    return caught.value, time.monotonic() - began


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- plain GET ---------------------------------------------------------------


def test_200_returns_body_headers_and_identifies_itself(server: LocalServer) -> None:
    url = server.set("/feed", FEED, headers={"Content-Type": "application/rss+xml; charset=utf-8"})
    r = fetch(Request(url))
    assert (r.status, r.body, r.url, r.not_modified) == (200, FEED, url, False)
    assert r.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert r.etag is None and r.last_modified is None
    assert 0 < r.elapsed < 5
    sent = server.hits[0].headers
    assert sent["user-agent"] == DEFAULT_USER_AGENT
    assert DEFAULT_USER_AGENT == f"newsvault/{__version__} (+https://github.com/newsvault/newsvault)"
    assert sent["accept-encoding"] == "gzip, deflate"
    assert "if-none-match" not in sent and "if-modified-since" not in sent


def test_conditional_get_sends_validators_and_understands_304(server: LocalServer) -> None:
    lm = "Tue, 03 Jun 2025 10:00:00 GMT"
    url = server.set("/feed", FEED, headers={"ETag": '"v1"', "Last-Modified": lm})
    first = fetch(Request(url))
    assert (first.etag, first.last_modified) == ('"v1"', lm)

    server.set("/feed", status=304)
    again = fetch(Request(url, etag=first.etag, last_modified=first.last_modified))
    sent = server.hits[-1].headers
    assert (sent["if-none-match"], sent["if-modified-since"]) == ('"v1"', lm)
    assert (again.status, again.not_modified, again.body) == (304, True, b"")
    assert (again.etag, again.last_modified) == ('"v1"', lm)  # kept though the 304 omitted them


@pytest.mark.parametrize(
    "encoding, encode",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as RFC 9110 says
        ("deflate", lambda b: zlib.compress(b, wbits=-15)),  # raw, as many servers send
    ],
)
def test_compressed_bodies_are_decoded(server: LocalServer, encoding: str, encode) -> None:
    url = server.set("/feed", encode(FEED * 50), headers={"Content-Encoding": encoding})
    assert fetch(Request(url)).body == FEED * 50


# -- retries -------------------------------------------------------------------


def test_503_is_retried_until_success(server: LocalServer) -> None:
    url = server.sequence("/feed", [Route(status=503), Route(status=502), Route(FEED)])
    assert fetch(Request(url, retries=2)).body == FEED
    assert server.count("/feed") == 3


def test_exhausted_retries_report_the_last_failure(server: LocalServer) -> None:
    url = server.set("/feed", status=503)
    error, _ = failure(Request(url, retries=2))
    assert error.reason == "HTTP 503 Service Unavailable (after 3 attempts)"
    assert (error.url, error.status, error.transient) == (url, 503, True)
    assert server.count("/feed") == 3


def test_retry_after_seconds_is_honoured(server: LocalServer) -> None:
    url = server.sequence("/feed", [Route(status=429, headers={"Retry-After": "1"}), Route(FEED)])
    began = time.monotonic()
    assert fetch(Request(url), backoff=0.01).body == FEED
    assert 0.95 <= time.monotonic() - began < 3
    assert server.count("/feed") == 2


def test_retry_after_is_capped_by_max_backoff(server: LocalServer) -> None:
    url = server.sequence("/feed", [Route(status=503, headers={"Retry-After": "3600"}), Route(FEED)])
    began = time.monotonic()
    assert fetch(Request(url), max_backoff=0.3).body == FEED
    assert 0.25 <= time.monotonic() - began < 2


def test_parse_retry_after_reads_seconds_and_http_dates() -> None:
    now = 1_750_000_000.0
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after(formatdate(now + 30, usegmt=True), now) == 30
    assert parse_retry_after(formatdate(now - 30, usegmt=True), now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


@pytest.mark.parametrize(
    "status, reason", [(404, "HTTP 404 Not Found"), (410, "HTTP 410 Gone"), (403, "HTTP 403 Forbidden")]
)
def test_client_errors_are_not_retried(server: LocalServer, status: int, reason: str) -> None:
    url = server.set("/gone", status=status)
    error, _ = failure(Request(url, retries=2))
    assert (error.reason, error.status, error.transient) == (reason, status, False)
    assert server.count("/gone") == 1


def test_refused_connection_is_retried_then_reported() -> None:
    url = f"http://127.0.0.1:{free_port()}/feed"
    error, _ = failure(Request(url, retries=0))
    assert error.reason == "connection refused" and error.transient
    error, _ = failure(Request(url, retries=1))
    assert error.reason == "connection refused (after 2 attempts)"


def test_connection_closed_mid_body_is_retried(fserver: FetchServer) -> None:
    fserver.set("/feed", FEED)
    url = fserver.cut("/feed", FEED[:10], declared=len(FEED), times=1)
    with pytest.raises(FetchError):  # first make sure the cut really fails a fetch
        fetch(Request(url, retries=0))
    fserver.cut("/feed", FEED[:10], declared=len(FEED), times=1)
    assert fetch(Request(url, retries=1)).body == FEED
    assert fserver.count("/feed") == 3


def test_connection_closed_mid_body_reported(fserver: FetchServer) -> None:
    url = fserver.cut("/feed", FEED[:10], declared=len(FEED))
    error, _ = failure(Request(url, retries=1))
    assert error.reason == "connection closed before the body was complete (after 2 attempts)"


# -- deadlines -----------------------------------------------------------------


def test_timeout_before_headers(server: LocalServer) -> None:
    url = server.set("/slow", FEED, delay=1.2)
    error, took = failure(Request(url, deadline=0.5, retries=0))
    assert error.reason == "timed out after 0.5 s" and error.transient
    assert 0.45 < took < 1.5


def test_slow_drip_body_is_stopped_by_the_total_deadline(server: LocalServer) -> None:
    url = server.set("/drip", b"x" * 100, drip=0.2)  # 20 s if read to the end
    error, took = failure(Request(url, deadline=1, retries=0))
    assert error.reason == "timed out after 1 s"
    assert 0.95 < took < 2


# -- size caps -----------------------------------------------------------------


def test_body_over_cap_refused_from_content_length(server: LocalServer) -> None:
    url = server.set("/big", b"x" * 5000)
    error, _ = failure(Request(url, max_bytes=1000))
    assert (error.reason, error.transient) == ("body larger than 1000 bytes", False)
    assert server.count("/big") == 1


def test_chunked_body_over_cap_stops_reading_early(server: LocalServer) -> None:
    # No Content-Length; 2000 bytes at 10 ms each would take 20 s to read in full.
    url = server.set("/big", b"x" * 2000, drip=0.01)
    error, took = failure(Request(url, max_bytes=50, deadline=10))
    assert error.reason == "body larger than 50 bytes"
    assert took < 3


def test_gzip_bomb_refused_without_inflating_it(server: LocalServer) -> None:
    squeezer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(1024 * 1024)
    bomb = b"".join(squeezer.compress(zeros) for _ in range(64)) + squeezer.flush()  # 64 MB
    assert len(bomb) < 100_000
    url = server.set("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        error, _ = failure(Request(url, max_decompressed=1024 * 1024))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error.reason == "body larger than 1 MB when decompressed"
    assert peak < 16 * 1024 * 1024  # inflating it would take 64 MB


def test_decoder_limits_every_layer_and_rejects_corruption() -> None:
    inner = gzip.compress(bytes(10_000))
    with pytest.raises(TooLarge):
        Decoder("gzip, gzip", 5_000).feed(gzip.compress(inner))
    assert Decoder("gzip, gzip", 10_000).feed(gzip.compress(inner)) == bytes(10_000)
    decoder = Decoder("gzip", 100)
    with pytest.raises(BadEncoding, match="truncated gzip"):
        decoder.feed(gzip.compress(b"hello")[:-4])
        decoder.finish()
    with pytest.raises(BadEncoding, match="corrupt gzip"):
        Decoder("gzip", 100).feed(b"not gzip at all")
    with pytest.raises(BadEncoding, match="unsupported content encoding 'br'"):
        Decoder("br", 100)


def test_decoder_accepts_byte_at_a_time_and_multi_member_gzip() -> None:
    data = gzip.compress(b"first ") + gzip.compress(b"second")
    for encoding, body in (("gzip", data), ("deflate", zlib.compress(b"first second", wbits=-15))):
        decoder = Decoder(encoding, 1000)
        out = b"".join(decoder.feed(body[i : i + 1]) for i in range(len(body))) + decoder.finish()
        assert out == b"first second"


# -- redirects -------------------------------------------------------------------


def test_redirects_are_followed_relative_and_absolute(server: LocalServer) -> None:
    server.set("/a", status=301, headers={"Location": "b"})
    server.set("/b", status=302, headers={"Location": server.url("/c")})
    server.set("/c", FEED)
    r = fetch(Request(server.url("/a")))
    assert (r.url, r.body) == (server.url("/c"), FEED)
    assert [h.path for h in server.hits] == ["/a", "/b", "/c"]


def test_too_many_redirects(server: LocalServer) -> None:
    for i in range(10):
        server.set(f"/r{i}", status=307, headers={"Location": f"/r{i + 1}"})
    error, _ = failure(Request(server.url("/r0"), max_redirects=5))
    assert error.reason.startswith("too many redirects (6)")
    assert server.count("/r6") == 0 and server.count("/r5") == 1


def test_redirect_loop_is_reported(server: LocalServer) -> None:
    server.set("/x", status=302, headers={"Location": "/y"})
    server.set("/y", status=302, headers={"Location": "/x"})
    error, _ = failure(Request(server.url("/x"), retries=2))
    assert error.reason.startswith(f"redirect loop (back to {server.url('/x')})")
    assert server.count("/x") == 1  # neither retried nor followed round again


def test_redirect_to_non_http_url_is_refused(server: LocalServer) -> None:
    server.set("/js", status=302, headers={"Location": "javascript:alert(1)"})
    error, _ = failure(Request(server.url("/js")))
    assert error.reason.startswith("redirect to a non-HTTP URL (javascript:alert(1))")


# -- private-address guard ---------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["http://10.0.0.1/", "http://192.168.1.1/admin", "http://169.254.169.254/latest/meta-data/", "http://[fd00::1]/"],
)
def test_guard_refuses_private_literals_before_connecting(url: str) -> None:
    error, took = failure(Request(url, trusted=False, deadline=0.2, retries=2))
    assert error.reason.startswith("refused non-public address")
    assert not error.transient
    assert took < 0.2  # no connection attempt, no retry


def test_guard_refuses_hostnames_resolving_to_loopback(server: LocalServer) -> None:
    server.set("/page", FEED)
    url = f"http://localhost:{server.port}/page"
    error, _ = failure(Request(url, trusted=False))
    assert error.reason.startswith("refused localhost: it resolves to non-public address")
    assert server.count("/page") == 0


def test_guard_spares_trusted_urls_and_allow_private(server: LocalServer) -> None:
    url = server.set("/page", FEED)
    assert fetch(Request(url)).body == FEED  # the user configured it
    assert fetch(Request(url, trusted=False), allow_private=True).body == FEED


def test_guard_checks_trusted_redirects_that_leave_the_host(server: LocalServer) -> None:
    server.set("/page", FEED)
    server.set("/go", status=302, headers={"Location": f"http://localhost:{server.port}/page"})
    error, _ = failure(Request(server.url("/go")))
    assert error.reason.startswith("refused localhost")
    assert server.count("/page") == 0
    assert fetch(Request(server.url("/go")), allow_private=True).body == FEED


@pytest.mark.parametrize(
    "address, public",
    [
        ("10.0.0.1", False),
        ("172.16.0.1", False),
        ("172.31.255.255", False),
        ("192.168.1.1", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("0.0.0.0", False),
        ("100.64.0.1", False),
        ("::1", False),
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:10.0.0.1", False),
        ("224.0.0.1", False),
        ("8.8.8.8", True),
        ("172.32.0.1", True),
        ("2001:4860:4860::8888", True),
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert is_public(address) is public


# -- limits and proxy --------------------------------------------------------------


def _many(url: str, n: int, **options: object) -> list[Response]:
    async def go() -> list[Response]:
        async with Fetcher(backoff=0.01, **options) as fetcher:  # type: ignore[arg-type]
            return await asyncio.gather(*(fetcher.fetch(Request(url)) for _ in range(n)))

    return asyncio.run(go())


def test_per_host_limit_holds_on_the_wire(fserver: FetchServer) -> None:
    url = fserver.set("/feed", FEED, delay=0.2)
    began = time.monotonic()
    assert all(r.body == FEED for r in _many(url, 8, per_host=2))
    assert fserver.peak == 2
    assert time.monotonic() - began >= 0.8  # four waves of two


def test_total_limit_holds_on_the_wire(fserver: FetchServer) -> None:
    url = fserver.set("/feed", FEED, delay=0.2)
    _many(url, 9, per_host=10, total=3)
    assert fserver.peak == 3


def test_the_vault_s_fetch_settings_set_both_limits(fserver: FetchServer) -> None:
    """`[fetch] connections` and `per_host` reach the fetcher a run, a worker and the image mirror share."""
    url = fserver.set("/feed", FEED, delay=0.2)

    async def go() -> list[Response]:
        async with Fetcher.from_settings(FetchSettings(per_host=10, connections=3)) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(Request(url)) for _ in range(9)))

    assert all(r.body == FEED for r in asyncio.run(go()))
    assert fserver.peak == 3


def test_waiting_for_a_slot_does_not_count_against_the_deadline(fserver: FetchServer) -> None:
    url = fserver.set("/feed", FEED, delay=0.3)

    async def go() -> list[Response]:
        async with Fetcher(per_host=1) as fetcher:
            return await asyncio.gather(*(fetcher.fetch(Request(url, deadline=1, retries=0)) for _ in range(5)))

    assert len(asyncio.run(go())) == 5  # 1.5 s in all, each within its own 1 s


def test_proxy_receives_the_request(server: LocalServer) -> None:
    server.set("/feed", FEED)  # the test server plays the proxy
    r = fetch(Request("http://feeds.example.invalid/feed"), proxy=server.url(""))
    assert r.body == FEED
    assert server.hits[0].headers["host"] == "feeds.example.invalid"


def test_bad_urls_and_misuse() -> None:
    assert failure(Request("ftp://example.com/feed"))[0].reason == "not an http:// or https:// URL"
    with pytest.raises(RuntimeError):
        asyncio.run(Fetcher().fetch(Request("http://127.0.0.1/")))
