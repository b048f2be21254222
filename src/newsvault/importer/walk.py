"""Finding the files of an archive tree, one at a time.

Trees hold up to ~180,000 files, 40,000 in one folder, so nothing here lists or
sorts a whole folder: ``os.scandir`` yields entries as the file system has them.
An import does not depend on the order (it asks the store what it has), so a
re-run after an interruption may see the files in any order.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from newsvault.archive.lists import DELETED, EDITED

README = "README.md"
LISTS = "lists"
_CHANGE_LISTS = {f"{EDITED}.md", f"{DELETED}.md"}  # newsvault's lists of edits and deletions, not an outlet's
ARTICLES = "articles"
VERSIONS = "versions"  # newsvault's earlier versions of edited articles (render/versions_tree.py)
# Folders of the repository that are not part of the archive and can be huge.
_NOT_ARCHIVE = {".git"}
_SHARD_PART = (re.compile(r"[0-9]{4}"), re.compile(r"[0-9]{2}"))  # articles/<abbr>/<yyyy>/<mm>/


@dataclass(frozen=True)
class TreeFile:
    """One file of the tree.

    ``kind`` is "readme", "list" (``lists/<name>.md``), "article" (a file directly
    in ``articles/<folder>/`` or in its ``<yyyy>/<mm>/``), "other" (any other file under ``lists/`` or
    ``articles/``: kept, never interpreted), "version" (a file under ``versions/``:
    an earlier version newsvault published, kept as it is so that a store rebuilt
    from the tree numbers later versions after it and never writes over it),
    "changes" (``lists/已修改.md`` or ``lists/已删除.md``, kept as they are: an
    import cannot read versions and statuses back from them, and the store's
    own lists go on from them), "ignored" (outside the archive, e.g. a LICENSE
    next to it) or "link" (a symbolic link, which is not followed).
    """

    rel: str  # "/"-separated path relative to the root, as the file system spells it
    path: str  # absolute path to open
    kind: str
    folder: str | None = None  # articles/<folder>/ of an article; the name of a list


def walk(root: str) -> Iterator[TreeFile]:
    """Every file of the tree below ``root`` that an import must account for."""
    with os.scandir(root) as entries:
        for entry in entries:
            if entry.name in _NOT_ARCHIVE:
                continue
            if entry.is_symlink():
                yield TreeFile(entry.name, entry.path, "link")
            elif entry.name == README and entry.is_file():
                yield TreeFile(entry.name, entry.path, "readme")
            elif entry.name == LISTS and entry.is_dir():
                yield from _lists(entry.path)
            elif entry.name == ARTICLES and entry.is_dir():
                yield from _articles(entry.path)
            elif entry.name == VERSIONS and entry.is_dir(follow_symlinks=False):
                yield from _others(entry, entry.name, "version")
            else:
                yield TreeFile(entry.name, entry.path, "ignored")


def count(root: str) -> int:
    """How many files ``walk`` will yield: names only, for a progress bar with an end."""
    return sum(1 for _ in walk(root))


def _lists(path: str) -> Iterator[TreeFile]:
    with os.scandir(path) as entries:
        for entry in entries:
            rel = f"{LISTS}/{entry.name}"
            if entry.name in _CHANGE_LISTS:  # newsvault's own lists of changes, kept to go on from
                yield TreeFile(rel, entry.path, "changes")
            elif entry.is_file(follow_symlinks=False) and entry.name.endswith(".md") and len(entry.name) > 3:
                yield TreeFile(rel, entry.path, "list", entry.name[:-3])
            else:
                yield from _others(entry, rel)


def _articles(path: str) -> Iterator[TreeFile]:
    with os.scandir(path) as folders:
        for folder in folders:
            rel = f"{ARTICLES}/{folder.name}"
            if not folder.is_dir(follow_symlinks=False):
                yield from _others(folder, rel)
                continue
            yield from _outlet(folder.path, rel, folder.name)


def _outlet(path: str, rel: str, folder: str, depth: int = 0) -> Iterator[TreeFile]:
    """An outlet's article files, flat or in the month folders of a sharded tree (``<yyyy>/<mm>/``)."""
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.is_file(follow_symlinks=False):
                yield TreeFile(f"{rel}/{entry.name}", entry.path, "article", folder)
            elif depth < 2 and _SHARD_PART[depth].fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
                yield from _outlet(entry.path, f"{rel}/{entry.name}", folder, depth + 1)
            else:
                yield from _others(entry, f"{rel}/{entry.name}")


def _others(entry: os.DirEntry[str], rel: str, kind: str = "other") -> Iterator[TreeFile]:
    """A file kept as it is, or every file below a folder: one with no place in the layout, or `versions/`."""
    if entry.is_symlink():
        yield TreeFile(rel, entry.path, "link")
    elif entry.is_dir():
        with os.scandir(entry.path) as entries:
            for child in entries:
                yield from _others(child, f"{rel}/{child.name}", kind)
    else:
        yield TreeFile(rel, entry.path, kind)
