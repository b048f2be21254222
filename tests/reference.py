"""Where the tests find the reference data: tests/data/shared first, then ../shared beside the project.

../shared (read-only, 40 MB: the 2020 archive snapshot, feedparser's test corpus,
real feeds and pages) is beside the project on CI and on the developers' machines,
not in a clone. A few of its files are copied into tests/data/shared at the same
relative paths (tests/data/PROVENANCE.md says where each came from), so the core
guarantees are tested everywhere; a test that needs anything else is skipped
when ../shared is absent, with NEEDS_SHARED as its reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SHARED = PROJECT.parent / "shared"
COPIES = Path(__file__).resolve().parent / "data" / "shared"

# Folders copied whole (every file of ../shared's, checked by test_reference_data); anything else is single files.
COMPLETE_FOLDERS = ("corpus/duty-machine-news/final-2025",)

NEEDS_SHARED = "needs ../shared (reference data beside the project; CI has it)"
# Set to 1 where ../shared must be present (CI): a test that needs it then fails instead of skipping.
REQUIRE_ENV = "NEWSVAULT_REQUIRE_SHARED"


def require_shared() -> Path:
    """../shared itself; skips the calling test (or fails it, with NEWSVAULT_REQUIRE_SHARED=1) without it."""
    if SHARED.is_dir():
        return SHARED
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"reference data not found at {SHARED} (../shared from the project root) and {REQUIRE_ENV}=1")
    pytest.skip(NEEDS_SHARED)


def reference(relative: str) -> Path:
    """A file or folder of ../shared by its path there, e.g. "seed/000_0851d2a3dc01581b.txt".

    The copy in tests/data/shared when the repository has one (a folder only when it
    is in COMPLETE_FOLDERS, so a partly copied folder never stands in for the whole),
    else ../shared's own; without either the calling test is skipped (see require_shared).
    """
    copy = COPIES / relative
    whole = any(relative == folder or relative.startswith(f"{folder}/") for folder in COMPLETE_FOLDERS)
    if copy.is_file() or (whole and copy.is_dir()):
        return copy
    return require_shared() / relative
