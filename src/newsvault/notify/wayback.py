"""The Wayback Machine's Save Page Now 2 API: ask for a capture of a URL, then ask how the capture went.

A third-party witness (issue 17): a snapshot taken by the Internet Archive when
an article appeared, changed or went away is evidence nobody needs to trust the
vault for. These two calls are the whole protocol; queueing, the rate and the
retries across runs belong to the caller. Each call answers with what to do
next (an `Answer`) and never raises for the service: a 429 says when to come
back, a 5xx, a timeout or a refused connection says "retry later", an SPN2
error says why the capture failed. The keys travel only in the Authorization
header and are cut out of every word this module returns.
"""

from __future__ import annotations

import email.utils
import json
import time
from dataclasses import dataclass
from enum import StrEnum

import aiohttp

# The Wayback Machine's public address for a capture (the API may be reached elsewhere, e.g. in tests).
SNAPSHOT_BASE = "https://web.archive.org/web"


class State(StrEnum):
    SUBMITTED = "submitted"  # a job was started: ask its status later
    PENDING = "pending"  # the job runs still
    CAPTURED = "captured"  # the snapshot exists
    RETRY = "retry"  # not now (429, 5xx, a timeout, no connection): try again later
    FAILED = "failed"  # SPN2 refused or could not capture this URL


@dataclass(frozen=True)
class Credentials:
    """The account's S3-style keys, read from the environment by the caller, never stored."""

    access: str
    secret: str

    def header(self) -> str:
        return f"LOW {self.access}:{self.secret}"

    def redact(self, text: str) -> str:
        """`text` without either key (an echoed request or header could carry them)."""
        for key in (self.secret, self.access):
            if key:
                text = text.replace(key, "***")
        return text


@dataclass(frozen=True)
class Answer:
    state: State
    job_id: str | None = None
    timestamp: str | None = None  # the capture's 14-digit time, UTC
    snapshot_url: str | None = None
    retry_after: float | None = None  # seconds, from a 429's Retry-After
    why: str = ""


def snapshot_url(timestamp: str, original_url: str) -> str:
    return f"{SNAPSHOT_BASE}/{timestamp}/{original_url}"


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header in seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


async def submit(
    session: aiohttp.ClientSession, api_url: str, credentials: Credentials, url: str, timeout: float
) -> Answer:
    """`POST {api}/save`: start a capture of `url`; SUBMITTED with the job id when SPN2 took it."""
    return await _call(
        session, "POST", f"{api_url.rstrip('/')}/save", credentials, timeout, data={"url": url}, original=url
    )


async def status(
    session: aiohttp.ClientSession, api_url: str, credentials: Credentials, job_id: str, timeout: float
) -> Answer:
    """`GET {api}/save/status/{job_id}`: PENDING, CAPTURED with the snapshot, or FAILED with SPN2's reason."""
    return await _call(session, "GET", f"{api_url.rstrip('/')}/save/status/{job_id}", credentials, timeout)


async def _call(
    session: aiohttp.ClientSession,
    method: str,
    endpoint: str,
    credentials: Credentials,
    timeout: float,
    data: dict[str, str] | None = None,
    original: str | None = None,
) -> Answer:
    headers = {"Accept": "application/json", "Authorization": credentials.header()}
    try:
        async with session.request(
            method, endpoint, headers=headers, data=data, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            text = await response.text()
            if response.status == 429:
                after = retry_after_seconds(response.headers.get("Retry-After"))
                return Answer(State.RETRY, retry_after=after, why="429: rate limited")
            if response.status >= 500:
                return Answer(State.RETRY, why=f"HTTP {response.status}")
            if response.status in (401, 403):
                return Answer(State.FAILED, why=f"HTTP {response.status}: the keys were refused")
            if response.status != 200:
                return Answer(State.FAILED, why=credentials.redact(f"HTTP {response.status}: {text[:200]}"))
    except TimeoutError:
        return Answer(State.RETRY, why=f"no answer within {timeout} s")
    except aiohttp.ClientError as exc:
        return Answer(State.RETRY, why=credentials.redact(f"{type(exc).__name__}: {exc}"))
    return _read(text, credentials, original)


def _read(text: str, credentials: Credentials, original: str | None) -> Answer:
    """SPN2's JSON body as an Answer (a 200 can still carry an error)."""
    try:
        body = json.loads(text)
    except ValueError:
        return Answer(State.RETRY, why="not JSON")
    if not isinstance(body, dict):
        return Answer(State.RETRY, why="not a JSON object")
    if body.get("status") == "error":
        reason = f"{body.get('status_ext', 'error')}: {body.get('message', '')}".rstrip(": ")
        return Answer(State.FAILED, why=credentials.redact(reason))
    if body.get("status") == "pending":
        return Answer(State.PENDING)
    timestamp, url = body.get("timestamp"), body.get("original_url") or original
    if body.get("status") == "success" and isinstance(timestamp, str) and isinstance(url, str):
        return Answer(State.CAPTURED, timestamp=timestamp, snapshot_url=snapshot_url(timestamp, url))
    if "status" not in body and isinstance(body.get("job_id"), str):  # a status answer names its job too
        return Answer(State.SUBMITTED, job_id=body["job_id"])
    return Answer(State.RETRY, why=credentials.redact(f"unexpected answer: {text[:200]}"))
