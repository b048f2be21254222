"""write_atomic: writes only real changes, never leaves a partial file."""

from __future__ import annotations

import os
import stat

import pytest

from newsvault.base import write_atomic


def test_writes_new_file_and_creates_folders(tmp_path):
    target = tmp_path / "articles" / "voa" / "1048574.md"
    assert write_atomic(target, b"a\r\nb\n") is True
    assert target.read_bytes() == b"a\r\nb\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == ["1048574.md"]


def test_unchanged_bytes_are_not_rewritten(tmp_path):
    target = tmp_path / "list.md"
    write_atomic(target, "法广\n".encode())
    before = target.stat()
    os.utime(target, ns=(1, 1))
    assert write_atomic(target, "法广\n".encode()) is False
    after = target.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, 1)


def test_changed_bytes_replace_the_file_and_keep_its_mode(tmp_path):
    target = tmp_path / "list.md"
    target.write_bytes(b"old")
    target.chmod(0o664)
    assert write_atomic(target, b"new") is True  # same size, different bytes
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o664
    assert write_atomic(target, b"") is True and target.read_bytes() == b""
    assert [p.name for p in tmp_path.iterdir()] == ["list.md"]


def test_failed_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "a.md"
    target.write_bytes(b"old")

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]
