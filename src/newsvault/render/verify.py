"""`newsvault verify`: does the published tree say what the store says? Like `git fsck` for a vault.

Every stored article must have its file with exactly the bytes render would
write, every earlier version its file, every list (newest, monthly, edited,
deleted) and the README the bytes render makes of the store, every capture
the bytes its hash names; nothing may lie in articles/, versions/ or lists/
that the store does not know, and
no temporary file of an interrupted write may be left behind. A file newsvault
wrote for its own article must also read back: its header five lines, one link
with the stored title and link (bytes equal to the store's prove only that
render is consistent with itself, not that its Markdown holds).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from sqlalchemy import Engine, RowMapping

from newsvault.archive.article import read_header
from newsvault.archive.ids import article_path
from newsvault.archive.markdown import one_line
from newsvault.config import Config
from newsvault.store import articles as store_articles
from newsvault.store import captures
from newsvault.store import imports as store_imports
from newsvault.store import sources as store_sources

from .tree import article_bytes, escaped, kept_lists_stand, list_file, month_files, readme_file
from .versions_tree import CHANGE_LISTS, change_lists, version_files

TREES = ("articles", "versions", "lists")  # folders newsvault alone writes: any other file in them is an orphan


class Kind(Enum):
    """What is wrong, for callers that act on one kind (a test, a repair) rather than print it."""

    MISSING = "missing"
    UNREADABLE = "unreadable"
    DIFFERS = "differs"  # from the bytes render writes
    HEADER = "header"  # does not read back as the stored title and link
    CAPTURE = "capture"  # bytes that no longer match their hash
    TEMPORARY = "temporary"  # left by an interrupted write
    ORPHAN = "orphan"  # a file the store does not know
    EVIDENCE = "evidence"  # a published WARC file that the store does not bear out (publish.evidence)


@dataclass(frozen=True)
class Problem:
    """One thing the tree and the store disagree on; ``str()`` is the line `newsvault verify` prints."""

    kind: Kind
    where: str  # a path in the tree, or "capture <id>"
    detail: str  # what is wrong, for people

    def __str__(self) -> str:
        return f"{self.where}: {self.detail}"


def _check(target: Path, path: str, data: bytes, header: tuple[str, str] | None = None) -> Iterator[Problem]:
    """Problems of one file that should hold `data`; `header`: the (title, link) it must read back to."""
    try:
        found = (target / path).read_bytes()
    except FileNotFoundError:
        yield Problem(Kind.MISSING, path, "missing")
        return
    except OSError as exc:
        yield Problem(Kind.UNREADABLE, path, f"unreadable ({exc})")
        return
    if found != data:
        yield Problem(Kind.DIFFERS, path, f"differs from the store ({len(found)} bytes, expected {len(data)})")
    if header is not None and read_header(found) != header:
        yield Problem(Kind.HEADER, path, "header does not read back as one link with the stored title and link")


def _made_files(engine: Engine, config: Config, known: dict[str, str], kept: list[RowMapping]) -> dict[str, bytes]:
    """The files render makes of the whole store: path → bytes (lists, the change lists, README).

    Files an imported tree brought stay what they were while they stand (its
    README if the user keeps it, an outlet's lists until an article arrives
    that the tree did not have); what render makes of the store replaces them,
    as render does.
    """
    files: dict[str, bytes] = {}
    with engine.connect() as conn:
        for row in kept:
            data = store_imports.kept_bytes(conn, row["path"])
            if data is not None:
                files[row["path"]] = data
        readme_owner = store_sources.get_meta(conn, "readme")
    kept_lists = {row["source"] for row in kept if row["kind"] == "list" and row["source"] is not None}
    for abbr, name in known.items():
        if config.tree.monthly_lists:
            files.update(month_files(engine, abbr, name))
        if abbr not in kept_lists or not kept_lists_stand(engine, abbr):
            path, data = list_file(engine, abbr, name)
            files[path] = data
    files.update(change_lists(engine))
    if readme_owner != "user":
        path, data = readme_file(config)
        files[path] = data
    return files


def verify(engine: Engine, config: Config) -> Iterator[Problem]:
    """Every problem found in `config.archive`; nothing when the vault is consistent."""
    target = config.archive
    expected: set[str] = set()
    with engine.connect() as conn:
        abbrs = [row["abbr"] for row in store_sources.all_sources(conn)]
    for abbr in abbrs:
        with engine.connect() as conn:
            for row in store_articles.for_render(conn, abbr):
                if row["body"] is None and row["raw"] is None:
                    continue  # waiting for its page: not published yet
                path = article_path(abbr, row["archive_id"], row["path"], row["shard"])
                expected.add(path)
                own = row["raw"] is None and escaped(row)  # else the original's bytes, whatever their header
                yield from _check(
                    target, path, article_bytes(row), (one_line(row["title"]), row["link"]) if own else None
                )
        for version in version_files(engine, abbr):
            expected.add(version.path)
            yield from _check(target, version.path, version.data, (one_line(version.title), version.link))
    with engine.connect() as conn:
        kept = list(store_imports.kept_index(conn))
        known = {row["abbr"]: row["name"] for row in store_sources.all_sources(conn)}
    expected.update(row["path"] for row in kept)  # files an imported tree brought (.gitkeep, lists, README, versions)
    # A store that never saw a change (one rebuilt from the tree) leaves the published change lists as they are.
    expected.update(CHANGE_LISTS)
    for path, data in _made_files(engine, config, known, kept).items():
        expected.add(path)
        yield from _check(target, path, data)
    with engine.connect() as conn:
        for capture_id, detail in captures.mismatches(conn):
            yield Problem(Kind.CAPTURE, f"capture {capture_id}", detail)
    for tree in TREES:
        for file in sorted((target / tree).rglob("*")) if (target / tree).is_dir() else ():
            if not file.is_file():
                continue
            path = file.relative_to(target).as_posix()
            if file.name.startswith(".") and file.name.endswith(".tmp"):
                yield Problem(Kind.TEMPORARY, path, "temporary file of an interrupted write")
            elif path not in expected:
                yield Problem(Kind.ORPHAN, path, "not in the store (orphan)")
    for file in target.glob("**/.*.tmp") if target.is_dir() else ():
        if file.relative_to(target).parts[0] not in TREES:
            yield Problem(Kind.TEMPORARY, file.relative_to(target).as_posix(), "temporary file of an interrupted write")
