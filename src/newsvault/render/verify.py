"""`newsvault verify`: does the published tree say what the store says? Like `git fsck` for a vault.

Every stored article must have its file with exactly the bytes render would
write, every earlier version its file, every capture the bytes its hash names;
nothing may lie in articles/ or versions/ that the store does not know, and
no temporary file of an interrupted write may be left behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine

from newsvault.store import articles as store_articles
from newsvault.store import captures
from newsvault.store import imports as store_imports
from newsvault.store import sources as store_sources

from .from_store import article_bytes
from .ids import article_path
from .versions_tree import version_files

TREES = ("articles", "versions")


def _check(target: Path, path: str, data: bytes) -> str | None:
    try:
        found = (target / path).read_bytes()
    except FileNotFoundError:
        return f"{path}: missing"
    except OSError as exc:
        return f"{path}: unreadable ({exc})"
    return None if found == data else f"{path}: differs from the store ({len(found)} bytes, expected {len(data)})"


def verify(engine: Engine, target: Path) -> Iterator[str]:
    """One line per problem; nothing when the vault is consistent."""
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
                problem = _check(target, path, article_bytes(row))
                if problem:
                    yield problem
        for path, data, _ in version_files(engine, abbr):
            expected.add(path)
            problem = _check(target, path, data)
            if problem:
                yield problem
    with engine.connect() as conn:
        kept = [row["path"] for row in store_imports.kept_index(conn)]
    for path in kept:  # files an imported tree brought along (.gitkeep, its lists, its README)
        expected.add(path)
        with engine.connect() as conn:
            data = store_imports.kept_bytes(conn, path)
        problem = _check(target, path, data) if data is not None else None
        if problem:
            yield problem
    with engine.connect() as conn:
        yield from captures.mismatches(conn)
    for tree in TREES:
        for file in sorted((target / tree).rglob("*")) if (target / tree).is_dir() else ():
            if not file.is_file():
                continue
            path = file.relative_to(target).as_posix()
            if file.name.startswith(".") and file.name.endswith(".tmp"):
                yield f"{path}: temporary file of an interrupted write"
            elif path not in expected:
                yield f"{path}: not in the store (orphan)"
    for file in target.glob("**/.*.tmp") if target.is_dir() else ():
        if file.relative_to(target).parts[0] not in TREES:
            yield f"{file.relative_to(target).as_posix()}: temporary file of an interrupted write"
