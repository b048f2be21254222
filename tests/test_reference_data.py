"""The copies of ../shared in tests/data/shared: listed in PROVENANCE.md, unchanged, small; how they are found."""

from __future__ import annotations

import hashlib
import re

import pytest

import tests.reference
from tests.reference import COMPLETE_FOLDERS, COPIES, NEEDS_SHARED, REQUIRE_ENV, reference, require_shared

PROVENANCE = COPIES.parent / "PROVENANCE.md"
_ROW = re.compile(r"^\| `([^`]+)` \|.*\| ([0-9]+) \| `([0-9a-f]{64})` \|[^|]*\|$")


def _listed() -> dict[str, tuple[int, str]]:
    """file -> (bytes, sha256) of every row of PROVENANCE.md's table."""
    rows = [_ROW.match(line) for line in PROVENANCE.read_text("utf-8").splitlines() if line.startswith("| `")]
    assert rows and all(rows), "a table row of PROVENANCE.md does not have the expected columns"
    return {row.group(1): (int(row.group(2)), row.group(3)) for row in rows if row}


def _copies() -> dict[str, bytes]:
    return {path.relative_to(COPIES).as_posix(): path.read_bytes() for path in COPIES.rglob("*") if path.is_file()}


def test_every_copy_is_listed_with_its_size_and_sha256():
    copies, listed = _copies(), _listed()
    assert sorted(copies) == sorted(listed)
    for name, data in copies.items():
        assert (len(data), hashlib.sha256(data).hexdigest()) == listed[name], name


def test_the_copies_stay_small():
    """The repository carries a sample, not the reference data: under 600 KB together, no file over 400 KB."""
    sizes = {name: len(data) for name, data in _copies().items()}
    assert sum(sizes.values()) < 600_000
    assert max(sizes.values()) < 400_000


def test_the_copies_are_the_files_of_shared():
    """Byte for byte, and the folders copied whole hold every file ../shared's do."""
    shared = require_shared()
    for name, data in _copies().items():
        assert (shared / name).read_bytes() == data, name
    for folder in COMPLETE_FOLDERS:
        theirs = sorted(p.relative_to(shared / folder) for p in (shared / folder).rglob("*") if p.is_file())
        ours = sorted(p.relative_to(COPIES / folder) for p in (COPIES / folder).rglob("*") if p.is_file())
        assert ours == theirs, folder


def test_reference_prefers_the_copy_and_never_a_partial_folder(tmp_path, monkeypatch):
    assert reference("seed/000_0851d2a3dc01581b.txt") == COPIES / "seed/000_0851d2a3dc01581b.txt"
    assert reference("corpus/duty-machine-news/final-2025") == COPIES / "corpus/duty-machine-news/final-2025"
    # One article of the 2020 snapshot is copied: the folder itself is always ../shared's, or a skip.
    snapshot = "corpus/duty-machine-news/snapshot-2020-07-20"
    assert (COPIES / snapshot / "articles").is_dir()
    monkeypatch.setattr(tests.reference, "SHARED", tmp_path)
    assert reference(snapshot) == tmp_path / snapshot
    monkeypatch.setattr(tests.reference, "SHARED", tmp_path / "absent")
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match=re.escape(NEEDS_SHARED)):
        reference(snapshot)
    monkeypatch.setenv(REQUIRE_ENV, "1")  # where ../shared must be there, its absence fails
    with pytest.raises(pytest.fail.Exception, match="reference data not found"):
        reference(snapshot)
