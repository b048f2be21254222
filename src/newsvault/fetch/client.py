"""The Fetcher: one aiohttp session per run, shared by every feed and page.

aiohttp rather than httpx because its per-request CPU cost is about a tenth,
and because a single `asyncio.timeout` around connect, headers and body is the
only timeout that also stops a server dripping one byte a second; per-operation
read timeouts never fire on such a body.

Redirects, retries and decompression are done here rather than by aiohttp so
that each redirect hop passes the address guard, each retry can honour
Retry-After, and decompression can refuse a bomb before allocating it.
"""

from __future__ import annotations

import asyncio
import errno
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from http import HTTPStatus
from types import TracebackType

import aiohttp
from yarl import URL

from newsvault import __version__
from newsvault.base.text import quoted
from newsvault.config import FetchSettings
from newsvault.fetch.decode import ACCEPT_ENCODING, BadEncoding, Decoder, TooLarge
from newsvault.fetch.guard import BlockedAddress, GuardedResolver, check_literal
from newsvault.fetch.model import FetchError, Request, Response
from newsvault.fetch.retry import backoff_delay, parse_retry_after

DEFAULT_USER_AGENT = f"newsvault/{__version__} (+https://github.com/newsvault/newsvault)"

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class _Retry(Exception):
    """An attempt failed in a way that another attempt may fix."""

    def __init__(self, error: FetchError, wait: float | None = None) -> None:
        super().__init__(error.reason)
        self.error = error
        self.wait = wait  # from Retry-After; None means use our own backoff


class Fetcher:
    """Fetches URLs politely and within bounds; use as `async with Fetcher() as f`.

    Concurrency is limited here with semaphores, not by the connector, so that
    waiting for a free slot does not eat into a request's deadline.
    """

    def __init__(
        self,
        user_agent: str = DEFAULT_USER_AGENT,
        per_host: int = 4,
        total: int = 64,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        allow_private: bool = False,
        proxy: str | None = None,
    ) -> None:
        self._user_agent = user_agent
        self._per_host = per_host
        self._total_limit = total
        self._total = asyncio.Semaphore(total)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._allow_private = allow_private
        self._proxy = proxy
        self._open: aiohttp.ClientSession | None = None
        self._guarded: aiohttp.ClientSession | None = None

    @classmethod
    def from_settings(cls, settings: FetchSettings) -> Fetcher:
        """The fetcher a vault's `[fetch]` settings describe: runs, workers and the image mirror share it."""
        return cls(
            per_host=settings.per_host,
            total=settings.connections,
            allow_private=settings.allow_private,
            proxy=settings.proxy,
        )

    async def __aenter__(self) -> Fetcher:
        self._open = self._session(None)
        # Through a proxy the connector only ever resolves the proxy itself
        # (often on localhost), so the guard is left to IP-literal checks there.
        if self._allow_private or self._proxy:
            self._guarded = self._open
        else:
            self._guarded = self._session(GuardedResolver())
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        for session in {s for s in (self._open, self._guarded) if s is not None}:
            await session.close()
        self._open = self._guarded = None

    def _session(self, resolver: GuardedResolver | None) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=self._total_limit, limit_per_host=0, resolver=resolver)
        return aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": self._user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(),  # no aiohttp timeouts: our deadline covers all
            cookie_jar=aiohttp.DummyCookieJar(),  # sources must not see each other's cookies
            trust_env=False,  # the proxy is configured in vault.toml, not by the environment
        )

    async def fetch(self, request: Request) -> Response:
        """Fetch with retries; raises FetchError with a reason a user can act on."""
        if self._open is None:
            raise RuntimeError("Fetcher used outside `async with`")
        start = _parse_url(request.url)
        for attempt in range(1, request.retries + 1):
            try:
                return await self._attempt(request, start)
            except _Retry as retry:
                wait = retry.wait
                if wait is None:
                    wait = backoff_delay(attempt, self._backoff, self._max_backoff)
                await asyncio.sleep(min(wait, self._max_backoff))
        try:
            return await self._attempt(request, start)
        except _Retry as retry:
            error = retry.error
            if request.retries:
                error = FetchError(
                    error.url, f"{error.reason} (after {request.retries + 1} attempts)", error.status, transient=True
                )
            raise error from None

    async def _attempt(self, request: Request, start: URL) -> Response:
        """One attempt: the whole redirect chain within one deadline budget."""
        url = start
        seen = {start}
        spent = 0.0  # network time so far; queueing for a slot is not counted
        while True:
            guarded = not self._allow_private and (not request.trusted or url.host != start.host)
            async with self._slot(url.host or ""):
                began = time.monotonic()
                try:
                    async with asyncio.timeout(request.deadline - spent):
                        result = await self._hop(request, url, guarded)
                except TimeoutError:
                    raise _Retry(
                        _error(request, url, f"timed out after {request.deadline:g} s", transient=True)
                    ) from None
                finally:
                    spent += time.monotonic() - began
            if isinstance(result, Response):
                return replace(result, elapsed=spent)
            if result.scheme not in ("http", "https"):
                raise _error(request, url, f"redirect to a non-HTTP URL ({quoted(str(result))})")
            if result in seen:
                raise _error(request, url, f"redirect loop (back to {quoted(str(result))})")
            if len(seen) > request.max_redirects:
                raise _error(request, url, f"too many redirects ({len(seen)})")
            seen.add(result)
            url = result

    @asynccontextmanager
    async def _slot(self, host: str) -> AsyncIterator[None]:
        """Host first, then total, so requests queued for a busy host hold no global slot."""
        semaphore = self._hosts.get(host)
        if semaphore is None:
            semaphore = self._hosts[host] = asyncio.Semaphore(self._per_host)
        async with semaphore, self._total:
            yield

    async def _hop(self, request: Request, url: URL, guarded: bool) -> Response | URL:
        """One HTTP exchange: a final Response, or the URL a redirect points to."""
        headers: dict[str, str] = {}
        if request.etag:
            headers["If-None-Match"] = request.etag
        if request.last_modified:
            headers["If-Modified-Since"] = request.last_modified
        session = self._guarded if guarded else self._open
        assert session is not None
        try:
            if guarded:
                check_literal(url.host or "")
            async with session.get(url, headers=headers, allow_redirects=False, proxy=self._proxy) as resp:
                status = resp.status
                if status in _REDIRECTS:
                    location = resp.headers.get("Location")
                    if not location:
                        raise _error(request, url, f"{_status_line(resp)} without a Location header", status)
                    try:
                        return url.join(URL(location))
                    except ValueError:  # includes undecodable bytes in the header
                        raise _error(
                            request, url, f"redirect to an invalid URL ({quoted(location)!r})", status
                        ) from None
                if status == 304:
                    return _response(request, url, resp, b"", not_modified=True)
                if not 200 <= status < 300:
                    error = _error(
                        request, url, _status_line(resp), status, transient=status >= 500 or status in (408, 429)
                    )
                    if error.transient:
                        raise _Retry(error, parse_retry_after(resp.headers.get("Retry-After")))
                    raise error
                body = await _read_body(request, url, resp)
                return _response(request, url, resp, body, not_modified=False)
        except BlockedAddress as exc:
            raise _error(request, url, _blocked_reason(exc)) from None
        except aiohttp.ClientError as exc:
            reason, transient = _network_reason(exc)
            error = _error(request, url, reason, transient=transient)
            if transient:
                raise _Retry(error) from None
            raise error from None


async def _read_body(request: Request, url: URL, resp: aiohttp.ClientResponse) -> bytes:
    """Read and decode the body, stopping the moment either cap is passed."""
    too_large = f"body larger than {_size(request.max_bytes)}"
    if resp.content_length is not None and resp.content_length > request.max_bytes:
        raise _error(request, url, too_large)
    try:
        decoder = Decoder(resp.headers.get("Content-Encoding"), request.max_decompressed)
        parts = []
        received = 0
        async for chunk in resp.content.iter_any():
            received += len(chunk)
            if received > request.max_bytes:
                raise _error(request, url, too_large)
            parts.append(decoder.feed(chunk))
        parts.append(decoder.finish())
    except TooLarge:
        raise _error(request, url, f"body larger than {_size(request.max_decompressed)} when decompressed") from None
    except BadEncoding as exc:  # may name the server's Content-Encoding
        raise _error(request, url, quoted(str(exc))) from None
    return b"".join(parts)


def _response(request: Request, url: URL, resp: aiohttp.ClientResponse, body: bytes, not_modified: bool) -> Response:
    # A 304 need not repeat the validators; the ones we sent still hold then.
    etag = resp.headers.get("ETag") or (request.etag if not_modified else None)
    last_modified = resp.headers.get("Last-Modified") or (request.last_modified if not_modified else None)
    sent = dict(resp.request_info.headers)
    return Response(str(url), resp.status, resp.headers, body, etag, last_modified, not_modified, 0.0, sent)


def _parse_url(raw: str) -> URL:
    try:
        url = URL(raw)
    except (ValueError, TypeError):
        raise FetchError(raw, "invalid URL") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise FetchError(raw, "not an http:// or https:// URL")
    return url


def _error(request: Request, url: URL, reason: str, status: int | None = None, transient: bool = False) -> FetchError:
    """Errors carry the URL the caller asked for; a redirect target goes in the reason."""
    if str(url) != request.url:
        reason = f"{reason} at {quoted(str(url))}"
    return FetchError(request.url, reason, status, transient)


def _status_line(resp: aiohttp.ClientResponse) -> str:
    try:
        phrase = HTTPStatus(resp.status).phrase
    except ValueError:  # a status code of the server's own: so is its phrase
        phrase = quoted(resp.reason or "")
    return f"HTTP {resp.status} {phrase}".rstrip()


def _blocked_reason(exc: BlockedAddress) -> str:
    if exc.host.strip("[]") == exc.address:
        return f"refused non-public address {exc.address}"
    return f"refused {quoted(exc.host)}: it resolves to non-public address {exc.address}"


def _network_reason(exc: aiohttp.ClientError) -> tuple[str, bool]:
    """A one-line reason and whether retrying might help."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        cause = exc.os_error
        if isinstance(cause, BlockedAddress):
            return _blocked_reason(cause), False
        if isinstance(exc, aiohttp.ClientConnectorCertificateError):
            return f"TLS certificate not accepted ({quoted(str(exc.certificate_error))})", False
        if isinstance(exc, aiohttp.ClientSSLError):
            return "TLS handshake failed", True
        if isinstance(exc, aiohttp.ClientConnectorDNSError):
            return f"host not found: {quoted(exc.host)}", True
        if cause.errno == errno.ECONNREFUSED:
            return "connection refused", True
        return f"cannot connect to {quoted(exc.host)} ({quoted(str(cause.strerror or cause))})", True
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server closed the connection", True
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "connection closed before the body was complete", True
    if isinstance(exc, aiohttp.ClientOSError):
        if exc.errno == errno.ECONNRESET or isinstance(exc, ConnectionResetError):
            return "connection reset", True
        return f"network error ({quoted(str(exc.strerror or exc))})", True
    if isinstance(exc, aiohttp.InvalidURL):
        return f"invalid URL ({quoted(str(exc))})", False
    if isinstance(exc, aiohttp.ClientResponseError):  # unparseable status line or headers; echoes what was read
        return f"invalid HTTP response ({quoted(exc.message)})", False
    return f"network error ({quoted(str(exc))})", True


def _size(n: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} bytes"
