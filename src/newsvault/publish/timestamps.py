"""Trusted timestamps: each past China day's manifest of hashes, stamped by an RFC 3161 authority.

A manifest lists the sha256 of every article file whose content came that day
(the bytes as the render wrote them: `articles.rendered_sha`) and of every
capture first fetched that day. It and the authority's token are published in
the archive tree, ``proofs/<yyyy>/<mm>/<yyyy-mm-dd>.sha256`` and ``.tsr``, so
that a checkout of the archive alone proves a file existed by the token's time
(`verify-proof`). The state is the files themselves: a past day without a token
is stamped on the next run, from the manifest already written if there is one
(a manifest once written never changes, so a token always stamps its bytes).

Requests and verification use the ``openssl ts`` command (docs/EVIDENCE.md
says why): the request is built, the answer checked, and the token verified
against the configured CA certificate by the same code as everyone's OpenSSL.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from newsvault.archive.ids import article_path
from newsvault.base.clock import china_day, china_day_start, in_china, now_ms
from newsvault.base.failpoints import failpoint
from newsvault.base.files import sweep_temporaries, write_atomic
from newsvault.config.model import TimestampSettings
from newsvault.store import articles as store_articles
from newsvault.store import captures as store_captures

FOLDER = "proofs"
HEADER = "# newsvault manifest 1"
_DAY_MS = 86_400_000


class TimestampError(Exception):
    """No authority stamped a manifest, or a token does not verify: one line for the summary."""


@dataclass
class StampReport:
    stamped: list[str] = field(default_factory=list)  # days stamped now


def manifest_path(day: str) -> str:
    """``proofs/<yyyy>/<mm>/<yyyy-mm-dd>.sha256``, relative to the archive."""
    return f"{FOLDER}/{day[:4]}/{day[5:7]}/{day}.sha256"


def make_manifest(engine: Engine, day: str, first: bool = False) -> bytes:
    """The day's manifest: a header, then ``<sha256>  article <path>`` and ``<sha256>  capture <url>`` lines, sorted.

    The `first` manifest of an archive lists everything up to the end of its day,
    so turning timestamps on for an archive of years asks an authority once, not
    once for every day since its first article.
    """
    end = china_day_start(day) + _DAY_MS
    start = 0 if first else end - _DAY_MS
    with engine.connect() as conn:
        files = store_articles.rendered_between(conn, start, end)
        paths = [
            (row["rendered_sha"], article_path(row["source"], row["archive_id"], row["path"], row["shard"]))
            for row in files
        ]
        lines = [f"{sha}  article {path}" for sha, path in paths]
        lines += [f"{sha}  capture {url}" for sha, url in store_captures.hashes_between(conn, start, end)]
    covers = f"everything up to the end of {day}" if first else f"day {day}"
    head = [HEADER, f"# {covers} (China time, UTC+8)"]
    return "\n".join([*head, *sorted(lines)]).encode("utf-8") + b"\n"


def _new_days(engine: Engine, archive: Path) -> Iterator[tuple[str, bool]]:
    """The past China days without a manifest after the newest one, each with whether it is the archive's first.

    Days are never gone back to: a manifest once written is the record of its
    day, and an archive without any gets one for yesterday covering all before.
    """
    with engine.connect() as conn:
        first_seen = store_articles.first_seen(conn)
    today = china_day(now_ms())
    if first_seen is None or china_day(first_seen) >= today:
        return  # nothing from a past day yet
    written = sorted(m.stem for m in (archive / FOLDER).glob("*/*/*.sha256"))
    if not written:
        yield (in_china(china_day_start(today) - _DAY_MS).strftime("%Y-%m-%d"), True)
        return
    moment = in_china(china_day_start(written[-1])) + timedelta(days=1)
    while (day := moment.strftime("%Y-%m-%d")) < today:
        yield day, False
        moment += timedelta(days=1)


def stamp_days(engine: Engine, archive: Path, settings: TimestampSettings, vault: Path) -> StampReport:
    """Write the new days' manifests and stamp every manifest without a token; raise TimestampError when a TSA fails."""
    sweep_temporaries(archive / FOLDER)
    report = StampReport()
    for day, first in _new_days(engine, archive):
        write_atomic(archive / manifest_path(day), make_manifest(engine, day, first))
        failpoint("timestamps.manifest_written")  # the manifest is published, its token not yet
    for manifest in sorted((archive / FOLDER).glob("*/*/*.sha256")):
        token = manifest.with_suffix(".tsr")
        if not token.exists():
            write_atomic(token, request_token(manifest, settings, vault))
            report.stamped.append(manifest.stem)
    return report


def request_token(manifest: Path, settings: TimestampSettings, vault: Path) -> bytes:
    """An RFC 3161 token for the manifest from the first authority that grants one."""
    problems = []
    with tempfile.TemporaryDirectory() as work:
        query = Path(work) / "request.tsq"
        _openssl("ts", "-query", "-data", str(manifest), "-sha256", "-cert", "-out", str(query))
        for url in settings.tsa_urls:
            request = urllib.request.Request(
                url, data=query.read_bytes(), headers={"Content-Type": "application/timestamp-query"}
            )
            try:
                with urllib.request.urlopen(request, timeout=settings.timeout) as answer:
                    reply: bytes = answer.read()
            except (urllib.error.URLError, OSError) as exc:
                problems.append(f"{url}: {getattr(exc, 'reason', exc)}")
                continue
            answered = Path(work) / "reply.tsr"
            answered.write_bytes(reply)
            try:
                _check_reply(query, answered, settings, vault)
            except TimestampError as exc:
                problems.append(f"{url}: {exc}")
                continue
            return reply
    raise TimestampError("no timestamp authority stamped the manifest (" + "; ".join(problems) + ")")


def _check_reply(query: Path, reply: Path, settings: TimestampSettings, vault: Path) -> None:
    """A granted token for this request: verified against the CA when one is configured, else its status read."""
    if settings.tsa_cert:
        _openssl(
            "ts", "-verify", "-queryfile", str(query), "-in", str(reply), "-CAfile", str(vault / settings.tsa_cert)
        )
    elif "Status: Granted." not in _openssl("ts", "-reply", "-in", str(reply), "-text"):
        raise TimestampError("the authority did not grant a token")


def _openssl(*args: str) -> str:
    try:
        done = subprocess.run(["openssl", *args], capture_output=True, text=True, check=False)
    except OSError as exc:
        raise TimestampError(f"cannot run openssl: {exc}") from None
    if done.returncode != 0:
        lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        raise TimestampError(_reason(lines))
    return done.stdout


def _reason(lines: list[str]) -> str:
    """OpenSSL's output as one line: the imprint mismatch named, else its last error line."""
    if any("message imprint mismatch" in line for line in lines):
        return "message imprint mismatch"
    errors = [line for line in lines if "error" in line.lower()]
    return (errors or lines or ["openssl failed"])[-1].strip()


@dataclass
class Proof:
    manifest: str  # relative to the archive
    time: str  # the token's time, as OpenSSL prints it


def find_archive(file: Path) -> Path:
    """The archive holding `file`: the nearest folder above it with a ``proofs`` folder."""
    for folder in file.resolve().parents:
        if (folder / FOLDER).is_dir():
            return folder
    raise TimestampError(f"{file}: no {FOLDER}/ folder above it: not in an archive with proofs")


def verify_file(file: Path, ca: Path) -> Proof:
    """Which manifest lists the file's bytes, and the time its token stamps; TimestampError says why not."""
    archive = find_archive(file)
    sha = hashlib.sha256(file.read_bytes()).hexdigest()
    for manifest in sorted((archive / FOLDER).rglob("*.sha256")):
        if not any(line.startswith(sha + "  ") for line in manifest.read_text("utf-8").splitlines()):
            continue
        where = manifest.relative_to(archive).as_posix()
        token = manifest.with_suffix(".tsr")
        if not token.exists():
            raise TimestampError(f"{file}: listed in {where}, which has no token yet")
        try:
            _openssl("ts", "-verify", "-data", str(manifest), "-in", str(token), "-CAfile", str(ca))
        except TimestampError as exc:
            if str(exc) == "message imprint mismatch":
                raise TimestampError(f"{where}: not what its token stamps (message imprint mismatch)") from None
            raise TimestampError(f"{where}: bad token ({exc})") from None
        return Proof(where, _token_time(token))
    raise TimestampError(f"{file}: its sha256 {sha} is in no manifest (changed since, or not stamped yet)")


def _token_time(token: Path) -> str:
    for line in _openssl("ts", "-reply", "-in", str(token), "-text").splitlines():
        if line.startswith("Time stamp:"):
            return line.split(":", 1)[1].strip()
    return "unknown"
