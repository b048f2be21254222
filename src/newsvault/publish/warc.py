"""Captures as WARC 1.1: the bytes each outlet served, in the format every web archive reads.

The store's own proof (a sha256 beside zlib bytes in SQLite) convinces only
someone who trusts newsvault; a WARC file replays in pywb, the Wayback
Machine's tools and Webrecorder, and `warcio check` verifies it without us.

What a capture holds decides what the records say (docs/EVIDENCE.md):

- the response: the status and headers as the store kept them, the body as
  newsvault read it. aiohttp had already undone any Content-Encoding, so the
  body is not the bytes on the wire: Content-Encoding and Transfer-Encoding
  are renamed ``X-Newsvault-Orig-*`` (a replay must not gunzip plain bytes)
  and Content-Length is the body's;
- the request: the request line and the headers it went with, as the fetch
  sent them (kept since migration 0016); for a capture stored before, only
  what is certain (``GET``, the path, ``Host``);
- a capture without a status (the column allows one) is a ``resource`` record:
  its bytes, with no HTTP status made up;
- the time: the capture's ``fetched_ms``, the first time these bytes came;
- digests: sha256, so the payload digest is the store's own hash in base32.

The store keeps each payload once (``captures.sha256`` is unique): a later
fetch of the same bytes adds no capture. The one such fetch whose fact is
kept is a re-check that found a deletion notice stored before, for another
article or at another time: its status row names the capture and how it was
served (migration 0015), and it becomes a ``revisit`` record (profile
identical-payload-digest) with the HTTP status and headers it was served
with, referring to the capture's response record, and a request record.

Files are deterministic: record ids are derived from the capture's hash (a
revisit's from the hash, URL and time it was served at: `row_key`) and the
warcinfo is dated by the first record, so exporting the same rows again
gives the same bytes (a re-run after a crash changes nothing published).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import uuid
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

from sqlalchemy import RowMapping
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from newsvault import __version__
from newsvault.base.failpoints import failpoint

_RENAMED = ("content-encoding", "transfer-encoding")  # undone before the store saw the body
_DROPPED = ("content-length",)  # replaced by the stored body's length
_ORIG = "X-Newsvault-Orig-"
_URL_SAFE = "/?#[]@!$&'()*+,;=:%~-._"  # reserved and unreserved characters, and existing escapes
_NAMESPACE = uuid.UUID("5b0e5f52-6f3d-4a55-9c1d-1d5a0f0c7e11")  # record ids: uuid5 of this and the capture


class _Sha256Writer(WARCWriter):  # type: ignore[misc]  # an untyped base class
    """warcio's writer with sha256 block digests, the hash the store keeps, instead of its default sha1."""

    @staticmethod
    def _create_digester() -> Digester:
        return Digester("sha256")


@dataclass
class WarcCounts:
    captures: int = 0
    records: int = 0
    payload_bytes: int = 0  # bodies as stored, uncompressed
    revisits: int = 0

    def __add__(self, other: WarcCounts) -> WarcCounts:
        return WarcCounts(
            self.captures + other.captures,
            self.records + other.records,
            self.payload_bytes + other.payload_bytes,
            self.revisits + other.revisits,
        )


def is_revisit(row: RowMapping) -> bool:
    """A row of `store.statuses.revisits` (a capture served again), not of `store.captures.for_export`."""
    return "refers_url" in row


def row_key(row: RowMapping) -> str:
    """What names a row's records and files: a capture's sha256; for a revisit, a hash of what it served when.

    Two revisits of one capture differ by the URL or time they were served at;
    the capture's own records keep the plain sha256, as before revisits existed.
    """
    if not is_revisit(row):
        return str(row["sha256"])
    served = f"revisit\n{row['sha256']}\n{row['url']}\n{row['fetched_ms']}"
    return hashlib.sha256(served.encode("utf-8")).hexdigest()


def warc_date(ms: int) -> str:
    """WARC 1.1's date: UTC to the millisecond the store kept."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def payload_digest(sha256_hex: str) -> str:
    """The store's hex sha256 as a WARC digest (``sha256:`` and base32, as warcio writes and checks them)."""
    return "sha256:" + base64.b32encode(bytes.fromhex(sha256_hex)).decode("ascii")


def record_id(sha256_hex: str, kind: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(_NAMESPACE, f'{kind}:{sha256_hex}')}>"


def refers_to(sha256_hex: str, status: int | None) -> str:
    """The id of the record holding a capture's payload: its response, or its resource when it has no status."""
    return record_id(sha256_hex, "response" if status is not None else "resource")


def _response_headers(code: int, stored: Mapping[str, str], size: int) -> StatusAndHeaders:
    try:
        reason = HTTPStatus(code).phrase
    except ValueError:
        reason = ""
    headers: list[tuple[str, str]] = []
    for name, value in stored.items():
        lower = name.lower()
        if lower in _RENAMED:
            headers.append((_ORIG + name, value))
        elif lower not in _DROPPED:
            headers.append((name, value))
    headers.append(("Content-Length", str(size)))
    return StatusAndHeaders(f"{code} {reason}".rstrip(), headers, protocol="HTTP/1.1")


def _request_headers(url: str, sent: str | None) -> StatusAndHeaders:
    """The request line as it went on the wire (ASCII, whatever characters the stored URL shows), then its headers.

    `sent`: the headers kept with the capture (JSON), in the order they were
    sent; None for one stored before they were kept: then Host alone, the one
    header the URL proves.
    """
    parts = urlsplit(url)
    target = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe=_URL_SAFE)
    if sent is not None:
        headers = list(json.loads(sent).items())
    else:
        try:
            headers = [("Host", parts.netloc.encode("idna").decode("ascii"))]
        except UnicodeError:
            headers = [("Host", quote(parts.netloc, safe=_URL_SAFE))]
    return StatusAndHeaders(f"GET {target} HTTP/1.1", headers, is_http_request=True)


class WarcFile:
    """One WARC file being written: a warcinfo record, then a request and a response per capture."""

    def __init__(self, out: BinaryIO, *, description: str) -> None:
        self._writer = _Sha256Writer(out, gzip=True, warc_version="1.1")
        self._description = description
        self._started = False
        self.counts = WarcCounts()

    def _begin(self, first: RowMapping) -> None:
        info: dict[str, Any] = {
            "software": f"newsvault {__version__} (warcio)",
            "format": "WARC File Format 1.1",
            "description": self._description,
            "request-records": "the request line and the headers the request went with; for captures stored "
            "before newsvault kept them (its migration 0016), the method, target and Host only",
            "response-bodies": "as newsvault read them, after Content-Encoding was undone "
            f"({_ORIG}Content-Encoding names what the server sent)",
            "revisit-records": "a deletion notice stored once and served again, for another article or at "
            "another time: the status and headers as served, the payload in the record WARC-Refers-To names",
        }
        record = self._writer.create_warcinfo_record("", info)  # no WARC-Filename: the file may be renamed
        record.rec_headers.replace_header("WARC-Date", warc_date(first["fetched_ms"]))
        record.rec_headers.replace_header("WARC-Record-ID", record_id(row_key(first), "warcinfo"))
        self._writer.write_record(record)
        self.counts.records += 1
        self._started = True

    def add(self, capture: RowMapping) -> None:
        """Write one capture (a row of `store.captures.for_export`) or revisit (of `store.statuses.revisits`)."""
        if not self._started:
            self._begin(capture)
        if is_revisit(capture):
            self._add_revisit(capture)
            return
        body = zlib.decompress(capture["body"])
        sha = capture["sha256"]
        date = warc_date(capture["fetched_ms"])
        stored: dict[str, str] = json.loads(capture["headers"] or "{}")
        if capture["status"] is None:  # no status kept (the column allows it): the bytes alone, none made up
            resource = self._writer.create_warc_record(
                capture["url"],
                "resource",
                payload=io.BytesIO(body),
                length=len(body),
                warc_content_type=next(
                    (v for k, v in stored.items() if k.lower() == "content-type"), "application/octet-stream"
                ),
                warc_headers_dict={
                    "WARC-Date": date,
                    "WARC-Record-ID": record_id(sha, "resource"),
                    "WARC-Payload-Digest": payload_digest(sha),
                },
            )
            self._writer.write_record(resource)
            self._count(1, len(body))
            return
        response = self._writer.create_warc_record(
            capture["url"],
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=_response_headers(capture["status"], stored, len(body)),
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Record-ID": record_id(sha, "response"),
                "WARC-Payload-Digest": payload_digest(sha),
            },
        )
        self._writer.write_record(response)
        failpoint("warc.record")  # a response written, its request not, the file unfinished
        self._writer.write_record(self._request(capture, date, sha, "response"))
        self._count(2, len(body))

    def _add_revisit(self, row: RowMapping) -> None:
        """The capture's bytes served again at `url` and time: headers as served, the payload by reference."""
        key, sha = row_key(row), row["sha256"]
        date = warc_date(row["fetched_ms"])
        stored: dict[str, str] = json.loads(row["headers"] or "{}")
        http = None if row["status"] is None else _response_headers(row["status"], stored, row["size"])
        revisit = self._writer.create_revisit_record(
            row["url"],
            payload_digest(sha),
            row["refers_url"],
            warc_date(row["refers_ms"]),
            http_headers=http,
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Record-ID": record_id(key, "revisit"),
                "WARC-Refers-To": refers_to(sha, row["refers_status"]),
            },
        )
        self._writer.write_record(revisit)
        self._writer.write_record(self._request(row, date, key, "revisit"))
        self.counts.revisits += 1
        self.counts.records += 2

    def _request(self, row: RowMapping, date: str, key: str, kind: str) -> ArcWarcRecord:
        """The request record beside the `kind` record of `key`, from the row's URL and request headers."""
        return self._writer.create_warc_record(
            row["url"],
            "request",
            http_headers=_request_headers(row["url"], row.get("request_headers")),
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Record-ID": record_id(key, "request"),
                "WARC-Concurrent-To": record_id(key, kind),
            },
        )

    def _count(self, records: int, payload: int) -> None:
        self.counts.captures += 1
        self.counts.records += records
        self.counts.payload_bytes += payload


def write_warc(
    out: BinaryIO,
    rows: Iterable[RowMapping],
    *,
    description: str,
    progress: Callable[[WarcCounts], None] | None = None,
) -> WarcCounts:
    """Every capture of `rows` into `out`, streamed: one body in memory at a time."""
    warc = WarcFile(out, description=description)
    for row in rows:
        warc.add(row)
        if progress is not None:
            progress(warc.counts)
    return warc.counts
