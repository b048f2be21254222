from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.server import LocalServer

PROJECT = Path(__file__).resolve().parent.parent
SHARED = PROJECT.parent / "shared"


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1; tests set its routes."""
    with LocalServer() as srv:
        yield srv


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"reference data not found at {SHARED} (../shared from the project root)")
    return SHARED
