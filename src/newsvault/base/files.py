"""Writing the published tree without ever leaving a half-written file.

A crash or a full disk in the middle of a run must leave every file either old
or new, and unchanged files must not be touched at all, so that git sees only
real changes (the original rewrote every list every hour).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_NEW_FILE_MODE = 0o644
# Of the target's name in a temporary file's: ".<name>.<10 random>.tmp" must stay a
# file name (255 bytes), or the longest list names could never be written.
_NAME_IN_TEMP_BYTES = 200
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def temp_prefix(name: str) -> str:
    """``.<name>.`` for a temporary file beside ``name``, the name cut to fit; sweeps find ``.*.tmp``."""
    return "." + os.fsencode(name)[:_NAME_IN_TEMP_BYTES].decode("utf-8", "ignore") + "."


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> bool:
    """Make ``path`` contain ``data``; True if it had to be written.

    The bytes go to a temporary file in the same directory, are fsynced, renamed
    over the target, and the directory is fsynced so the rename itself survives a
    power cut. Missing parent directories are created; an existing file keeps its
    permission bits. ``durable=False`` skips the fsyncs, for derived files (the
    site) that a caller makes durable with one ``os.sync()`` at the end: fsyncing
    page by page was three quarters of a full site render's time.
    """
    try:
        stat = path.stat()
    except FileNotFoundError:
        mode = _NEW_FILE_MODE
    else:
        # The size check spares reading the old file in the common "changed" case.
        if stat.st_size == len(data) and path.read_bytes() == data:
            return False
        mode = stat.st_mode & 0o7777
    with atomic_file(path, mode=mode, durable=durable) as pending:
        pending.out.write(data)
    return True


def place_copy(source: Path, target: Path, *, durable: bool = True) -> bool:
    """Give ``target`` the bytes of ``source`` unless it exists; True if it had to be made.

    For content-addressed files (a mirrored image's name is the sha256 of its
    bytes): an existing ``target`` already holds them and is never rewritten.
    A hard link when both are on one file system (no bytes copied, no space
    taken), else a copy; either way it appears under a temporary name first and
    is renamed, so a kill leaves only ``.<name>.<random>.tmp`` for
    ``sweep_temporaries``. A missing ``source`` raises FileNotFoundError.
    """
    if target.exists():
        return False
    tmp = target.parent / f"{temp_prefix(target.name)}{os.urandom(5).hex()}.tmp"
    try:
        _link(source, tmp)
    except FileNotFoundError:
        raise
    except OSError:  # another file system (EXDEV), or one without hard links
        with source.open("rb") as data, atomic_file(target, durable=durable) as pending:
            shutil.copyfileobj(data, pending.out)
        return True
    try:
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        _fsync_dir(target.parent)
    return True


def _link(source: Path, link: Path) -> None:
    """A hard link to ``source`` at ``link``, its folder created when missing (not checked first)."""
    try:
        os.link(source, link)
    except FileNotFoundError:
        if not source.exists():
            raise
        link.parent.mkdir(parents=True, exist_ok=True)
        os.link(source, link)


@dataclass
class Pending:
    """A file being written by `atomic_file`: the stream, and the name it will take in its folder."""

    out: BinaryIO
    target: Path


@contextmanager
def atomic_file(path: Path, *, mode: int = _NEW_FILE_MODE, durable: bool = True) -> Iterator[Pending]:
    """A file to stream into that appears whole when the block ends, or not at all.

    For files too large to build in memory first (a WARC of a day): what is
    written goes to a temporary file beside ``path``; an exception removes it,
    and a kill leaves only ``.<name>.<random>.tmp`` for ``sweep_temporaries``.
    It is renamed to ``Pending.target``: ``path`` unless the writer chose
    another name in the same folder once it knew the content (a name made of
    what the file holds).
    """
    fd, tmp = _temporary(path)
    try:
        with os.fdopen(fd, "wb") as out:
            pending = Pending(out, path)
            yield pending
            out.flush()
            os.fchmod(out.fileno(), mode)
            if durable:
                os.fsync(out.fileno())
        if pending.target.parent != path.parent:
            raise ValueError(f"{pending.target} is not in {path.parent}")
        os.replace(tmp, pending.target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if durable:
        _fsync_dir(path.parent)


def _temporary(path: Path) -> tuple[int, Path]:
    """A new, empty ``.<name>.<random>.tmp`` beside ``path``, open for writing, as mkstemp makes them.

    Its folder is created only when missing (one failed open), not checked
    before every file: with mkstemp's own name making, that was a quarter of
    writing a page of the site.
    """
    for _ in range(100):
        tmp = path.parent / f"{temp_prefix(path.name)}{os.urandom(5).hex()}.tmp"
        try:
            return os.open(tmp, _TEMP_FLAGS, 0o600), tmp
        except FileNotFoundError:
            path.parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def sweep_temporaries(root: Path) -> None:
    """Remove the temporary files of writes a crash interrupted (``.<name>.<random>.tmp``)."""
    for file in root.glob("**/.*.tmp") if root.is_dir() else ():
        file.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
