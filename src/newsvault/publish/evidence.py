"""Evidence published, not cached: each new capture into a WARC file per outlet and day, pushed without force.

On the hourly runner the store lives in the Actions cache, which GitHub evicts;
the captures in it are the only proof of what an outlet served. So each publish
writes the captures added since the last one (a high-water mark of capture
ids in the store's meta) into WARC files under the evidence folder, its own git
work tree, commits them and pushes them to every ``[[publish.evidence]]``
remote: a branch or repository that only ever gains files.

- ``warc/<abbr>/<yyyy>/<mm>/<abbr>-<yyyy-mm-dd>-<HHMMSS>-<first>-<last>.warc.gz``:
  a day in China time, named by the time of its first capture and the hashes
  of its first and last, so one name is always one content (`file_for`);
- each file appears whole (temp file and rename: `base.files.atomic_file`);
  a killed export leaves a ``.*.tmp`` that the next one sweeps and that is
  never staged;
- files are staged with ``--ignore-removal``: the runner's work tree holds
  only this run's files (the workflow checks out the branch's newest commit
  without its blobs), and what is absent is not deleted.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine, RowMapping
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders

from newsvault.base.clock import in_china
from newsvault.base.files import atomic_file, sweep_temporaries
from newsvault.config.model import PublishSettings
from newsvault.render.verify import Kind, Problem
from newsvault.store import captures, statuses
from newsvault.store import sources as store_sources
from newsvault.store.marks import mark_from

from . import PublishReport
from .commit import CommitInfo, commit_index, ensure_repo, finish_interrupted, identity, staged_changes
from .git import GitError, git
from .remotes import sync_all
from .warc import WarcCounts, WarcFile, payload_digest, refers_to, row_key, warc_date

MARK = "evidence_mark"  # meta: the captures' id mark (store.marks) when the evidence folder was last written
REVISIT_MARK = "evidence_revisit_mark"  # meta: the statuses' id mark when their revisit records were last written
FOLDER = "warc"
UNATTRIBUTED = "_other"  # captures no outlet can be found for


@dataclass
class EvidenceReport:
    files: list[str] = field(default_factory=list)  # written, relative to the evidence folder
    counts: WarcCounts = field(default_factory=WarcCounts)
    publish: PublishReport | None = None  # None: nothing new to commit and push


def file_for(first: RowMapping, last: RowMapping) -> str:
    """Where the file of the captures (or revisits) `first` .. `last` goes, relative to the evidence folder.

    Named by what it holds, its first and last row (`row_key`): the same name
    is the same rows, so the same bytes (`publish.warc` is deterministic), and
    a file once published is never written with other content, even when the
    store is rebuilt or its mark lost and the rows are grouped anew.
    """
    outlet = first["outlet"] or UNATTRIBUTED
    moment = in_china(first["fetched_ms"])
    return (
        f"{FOLDER}/{outlet}/{moment:%Y}/{moment:%m}/"
        f"{outlet}-{moment:%Y-%m-%d}-{moment:%H%M%S}-{row_key(first)[:12]}-{row_key(last)[:12]}.warc.gz"
    )


class _Day:
    """One outlet's day being written: its temporary file is renamed into place by `finish`."""

    def __init__(self, folder: Path, first: RowMapping) -> None:
        self.folder = folder
        self.first = self.last = first
        self.day = in_china(first["fetched_ms"]).date()
        self._stack = ExitStack()
        self._file = self._stack.enter_context(atomic_file(folder / file_for(first, first)))
        self.warc = WarcFile(self._file.out, description=f"newsvault evidence: captures of {first['outlet']}")

    def add(self, row: RowMapping) -> None:
        self.warc.add(row)
        self.last = row

    def finish(self) -> str:
        path = file_for(self.first, self.last)
        self._file.target = self.folder / path
        self._stack.close()
        return path

    def abandon(self) -> None:
        self._stack.__exit__(RuntimeError, RuntimeError("abandoned"), None)


def write_evidence(
    engine: Engine, folder: Path, progress: Callable[[WarcCounts], None] | None = None
) -> EvidenceReport:
    """The captures and revisits past their marks into their outlet's and day's new files; the marks moved past.

    Captures first, then revisits (statuses that served a capture again), each
    past its own mark and in files of their own: a revisit's capture is
    published in the same publish or an earlier one. Rows come in id order,
    which is the order they were stored in: a day's file is finished when a
    later day's row comes, so a first export of a big store keeps a few files
    open, not one per day it ever saw. The marks keep their holes (store.marks):
    with workers on PostgreSQL still polling while this runs, a row whose
    transaction commits after a later id was read goes into the next publish's
    files.
    """
    sweep_temporaries(folder / FOLDER)  # never into .git
    report = EvidenceReport()
    moved: dict[str, str] = {}
    with engine.connect() as conn:
        # Both taken before reading (a row committed meanwhile is past them, or in their holes), the
        # statuses' first: a revisit written now has its capture, committed with it or before, written too.
        revisited = statuses.mark(conn)
        for key, upto, rows in (
            (MARK, captures.mark(conn), captures.for_export),
            (REVISIT_MARK, revisited, statuses.revisits),
        ):
            since = mark_from(json.loads(store_sources.get_meta(conn, key) or "0"))
            _write_rows(folder, rows(conn, since=since, upto=upto), report, progress)
            if upto != since:
                moved[key] = json.dumps(list(upto))
    if moved:
        with engine.begin() as conn:
            for name, value in moved.items():
                store_sources.set_meta(conn, name, value)
    report.files.sort()
    return report


def _write_rows(
    folder: Path, rows: Iterable[RowMapping], report: EvidenceReport, progress: Callable[[WarcCounts], None] | None
) -> None:
    """`rows` into files per outlet and day, all renamed into place."""
    open_days: dict[str, _Day] = {}
    try:
        for row in rows:
            outlet = row["outlet"] or UNATTRIBUTED
            day = in_china(row["fetched_ms"]).date()
            for done in [o for o, d in open_days.items() if d.day < day]:
                _finish(open_days.pop(done), report)
            if outlet not in open_days or open_days[outlet].day != day:
                if outlet in open_days:  # an older day after a newer one: its own file
                    _finish(open_days.pop(outlet), report)
                open_days[outlet] = _Day(folder, row)
            open_days[outlet].add(row)
            if progress is not None:
                progress(_running(report.counts, open_days.values()))
    except BaseException:
        for unfinished in open_days.values():
            unfinished.abandon()
        raise
    for unfinished in open_days.values():
        _finish(unfinished, report)


def _running(done: WarcCounts, open_days: Iterable[_Day]) -> WarcCounts:
    return sum((day.warc.counts for day in open_days), done)


def _finish(day: _Day, report: EvidenceReport) -> None:
    report.files.append(day.finish())
    report.counts += day.warc.counts


def commit_evidence(folder: Path, settings: PublishSettings) -> CommitInfo | None:
    """Commit the evidence folder's new WARC files; None, and no commit, when there are none."""
    if not ensure_repo(folder, settings.evidence[0].branch if settings.evidence else "main"):
        finish_interrupted(folder)
    who = identity(folder, settings.author)
    if (folder / FOLDER).is_dir():
        git(folder, "add", "--ignore-removal", "--", FOLDER)
    changes = staged_changes(folder, FOLDER)
    added = [path for status, path in changes if status == "A"]
    # A published file is never rewritten: the same name holds the same captures, and a newer
    # newsvault writing them with other bytes (its version in the warcinfo) changes nothing published.
    kept = [path for status, path in changes if status != "A"]
    if kept:
        git(folder, "reset", "-q", "--", *kept)
    if not added:
        return None
    per_outlet = Counter(path.split("/")[1] for path in added if path.count("/") >= 2)
    outlets = ", ".join(f"{abbr} +{n}" for abbr, n in sorted(per_outlet.items()))
    message = f"newsvault evidence: {len(added)} WARC file(s) ({outlets})"
    return CommitInfo(sha=commit_index(folder, who, message), message=message, new=per_outlet)


def publish_evidence(
    engine: Engine,
    folder: Path,
    settings: PublishSettings,
    progress: Callable[[WarcCounts], None] | None = None,
) -> EvidenceReport:
    """Write the new captures as WARC, commit them and push them to every ``[[publish.evidence]]`` remote."""
    try:
        report = write_evidence(engine, folder, progress)
    except OSError as exc:  # a full disk, an unwritable folder: said in the report, the store's mark unmoved
        return EvidenceReport(publish=PublishReport(None, error=f"writing the WARC files: {exc}"))
    try:
        made = commit_evidence(folder, settings)
    except GitError as exc:
        report.publish = PublishReport(None, error=str(exc))
        return report
    report.publish = PublishReport(made)
    report.publish.remotes = sync_all(folder, settings.evidence, identity(folder, settings.author), settings)
    return report


def verify_evidence(engine: Engine, folder: Path) -> Iterator[Problem]:
    """Every WARC file in the evidence folder: its payloads match their digests, and the store's captures.

    Reads every file present (the cost is the files' size: see docs/EVIDENCE.md);
    on a runner, where the work tree holds only the run's new files, that is
    only what the run published.
    """
    root = folder / FOLDER
    for file in sorted(root.rglob("*")) if root.is_dir() else ():
        if not file.is_file():
            continue
        where = file.relative_to(folder).as_posix()
        if file.name.startswith(".") and file.name.endswith(".tmp"):
            yield Problem(Kind.TEMPORARY, where, "temporary file of an interrupted write")
            continue
        yield from _verify_file(engine, file, where)


def _verify_file(engine: Engine, file: Path, where: str) -> Iterator[Problem]:
    with file.open("rb") as stream, engine.connect() as conn:
        try:
            for record in ArchiveIterator(stream):
                if record.rec_type == "revisit":
                    yield from _verify_revisit(conn, record.rec_headers, where)
                if record.rec_type not in ("response", "resource"):
                    continue
                uri = record.rec_headers.get_header("WARC-Target-URI")
                digest = hashlib.sha256()
                while chunk := record.raw_stream.read(1 << 16):
                    digest.update(chunk)
                sha = digest.hexdigest()
                said = record.rec_headers.get_header("WARC-Payload-Digest")
                if said != payload_digest(sha):
                    yield Problem(Kind.EVIDENCE, where, f"{uri}: payload does not match its digest {said}")
                    continue
                found = captures.by_sha(conn, sha)
                if found is None:
                    yield Problem(Kind.EVIDENCE, where, f"{uri}: no capture in the store has these bytes ({sha})")
                elif found["url"] != uri or warc_date(found["fetched_ms"]) != record.rec_headers.get_header(
                    "WARC-Date"
                ):
                    stored = json.dumps([found["url"], warc_date(found["fetched_ms"])], ensure_ascii=False)
                    yield Problem(Kind.EVIDENCE, where, f"{uri}: the store has these bytes as {stored}")
        except (ArchiveLoadFailed, OSError, EOFError) as exc:
            yield Problem(Kind.EVIDENCE, where, f"not a readable WARC file ({' '.join(str(exc).split())})")


def _verify_revisit(conn: Connection, headers: StatusAndHeaders, where: str) -> Iterator[Problem]:
    """A revisit must name a capture the store holds, as that capture's records say, and a status that saw it so."""
    uri = headers.get_header("WARC-Target-URI")
    said = headers.get_header("WARC-Payload-Digest") or ""
    sha = _digest_hex(said)
    found = captures.by_sha(conn, sha) if sha else None
    if sha is None or found is None:
        yield Problem(Kind.EVIDENCE, where, f"{uri}: revisit of a payload no capture in the store has ({said})")
        return
    refers = [headers.get_header(f"WARC-Refers-To{part}") for part in ("-Target-URI", "-Date", "")]
    if refers != [found["url"], warc_date(found["fetched_ms"]), refers_to(sha, found["status"])]:
        stored = json.dumps([found["url"], warc_date(found["fetched_ms"])], ensure_ascii=False)
        yield Problem(Kind.EVIDENCE, where, f"{uri}: revisit does not refer to the capture the store has {stored}")
    elif headers.get_header("WARC-Date") not in {warc_date(ms) for ms in statuses.served_at(conn, found["id"], uri)}:
        yield Problem(Kind.EVIDENCE, where, f"{uri}: no status in the store saw these bytes served there then")


def _digest_hex(digest: str) -> str | None:
    """The hex sha256 of a WARC ``sha256:`` base32 digest; None for another algorithm or a damaged one."""
    algorithm, _, value = digest.partition(":")
    try:
        raw = base64.b32decode(value)
    except ValueError:
        return None
    return raw.hex() if algorithm == "sha256" and len(raw) == 32 else None
