"""One article file of an imported tree: its fields, and whether its bytes must be kept.

A file the final format reproduces exactly from its parsed fields is stored as
fields only (render writes it back from them, which proves the parse lossless),
whichever layout its name has; any other file (the older CDT format, invalid
UTF-8, untrimmed titles, an empty file) is stored with its original bytes as
well, and render writes those. Either way the file comes back byte for byte.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from newsvault.archive import MAX_ID, article_path, parse_article, parse_legacy_file_name
from newsvault.base import whatwg_href
from newsvault.base.text import to_usv, without_nul

_FINAL_NAME = re.compile(r"([0-9]+)\.md\Z")
# Characters Windows or macOS file systems refuse or mangle; git on Linux keeps them.
_UNPORTABLE = set('\n\r|:?*"<>\\')


@dataclass(frozen=True)
class Job:
    """One file to read, with what the walk and the outlet resolution decided about it."""

    rel: str
    path: str
    kind: str  # "readme" | "list" | "article" | "other" | "version" | "changes"
    abbr: str | None = None  # the outlet of an article or a list


@dataclass
class Kept:
    """A file stored as bytes only: README, list, or anything that is not an article."""

    rel: str
    kind: str
    abbr: str | None
    raw: bytes
    warning: str | None = None


@dataclass
class Failed:
    rel: str
    error: str


@dataclass
class ArticleRecord:
    abbr: str
    rel: str
    archive_id: int
    path: str | None  # None when the file is at articles/<abbr>/<archive_id>.md or in its month folder
    legacy: bool  # an <id>_<title>.md file of the 2020 layout
    link: str  # canonical href when the written link parses, so feeds recognise the article
    title: str
    date_ms: int | None
    body: str
    raw: bytes | None  # the file itself, when the final format would not give it back
    warnings: list[str] = field(default_factory=list)
    shard: str | None = None  # "yyyy/mm" of a file of a sharded tree


def read_jobs(jobs: list[Job]) -> list[ArticleRecord | Kept | Failed]:
    """Read and parse a chunk of files; runs in worker processes, so it touches no store."""
    return [read_job(job) for job in jobs]


def read_job(job: Job) -> ArticleRecord | Kept | Failed:
    try:
        with open(job.path, "rb") as f:
            data = f.read()
    except OSError as exc:
        return Failed(job.rel, exc.strerror or str(exc))
    if job.kind == "article":
        assert job.abbr is not None
        record = read_article(job.abbr, job.rel, job.rel.rsplit("/", 1)[1], data)
        if record is not None:
            return record
        return Kept(job.rel, "other", None, data, "not an article file name (kept as it is)")
    warning = "not part of the archive layout (kept as it is)" if job.kind == "other" else None
    return Kept(job.rel, job.kind, job.abbr, data, warning)


def file_id(name: str) -> tuple[int, bool] | None:
    """``(archive id, legacy?)`` of an article file name, None if it is not one."""
    final = _FINAL_NAME.match(name)
    if final:
        archive_id, legacy = int(final.group(1)), False
    elif (parsed := parse_legacy_file_name(name)) is not None:
        archive_id, legacy = parsed[0], True
    else:
        return None
    return (archive_id, legacy) if archive_id <= MAX_ID else None


def read_article(abbr: str, rel: str, name: str, data: bytes) -> ArticleRecord | None:
    """The record of ``rel`` (a file named ``name`` in an outlet's folder); None if not an article."""
    found = file_id(name)
    if found is None:
        return None
    archive_id, legacy = found
    parts = rel.split("/")
    shard = "/".join(parts[2:4]) if len(parts) == 5 else None  # walk() only yields <yyyy>/<mm> there
    standard = rel == article_path(abbr, archive_id, None, shard)
    parsed = parse_article(data)
    record = ArticleRecord(
        abbr=abbr,
        rel=rel,
        archive_id=archive_id,
        path=None if standard else rel,
        shard=shard if standard else None,
        legacy=legacy,
        link=parsed.url,
        title=parsed.title,
        date_ms=parsed.ms,
        body=parsed.body,
        raw=None,
        warnings=_name_warnings(name),
    )
    if not parsed.canonical or b"\x00" in data:
        # Text columns cannot hold the surrogate escapes of invalid UTF-8, nor U+0000 on
        # PostgreSQL; the bytes are kept for such files, so nothing is lost by storing
        # U+FFFD in the fields, or nothing for U+0000.
        # (A canonical file is valid UTF-8 and its link canonical: nothing to do.)
        record.link = _match_link(parsed.url)
        record.title = without_nul(to_usv(parsed.title))
        record.body = without_nul(to_usv(parsed.body))
        record.raw = data
        record.warnings[:0] = _content_warnings(data, parsed.ms)
    elif b"\r" in data:
        record.warnings.insert(0, "CR inside the text")
    return record


def written_link(raw: bytes) -> str:
    """The link as the file spells it (the stored link may be its canonical form)."""
    return to_usv(parse_article(raw).url)


def _match_link(url: str) -> str:
    try:
        return whatwg_href(url)
    except ValueError:
        return to_usv(url)


def _content_warnings(data: bytes, ms: int | None) -> list[str]:
    if not data:
        return ["empty file"]
    found = []
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        found.append("invalid UTF-8")
    if b"\x00" in data:
        found.append("U+0000 inside the text (kept byte for byte; the store's fields without it)")
    elif ms is None:
        found.append("no date line")
    else:
        found.append("differs from the final format (kept byte for byte)")
    if b"\r" in data:
        found.append("CR inside the text")
    return found


def _name_warnings(name: str) -> list[str]:
    return ["file name other systems refuse (newline, |, :, ? …)"] if _UNPORTABLE.intersection(name) else []
