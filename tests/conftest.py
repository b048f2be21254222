from __future__ import annotations

import os
import re
from collections.abc import Generator
from pathlib import Path

import pytest

from tests.reference import NEEDS_SHARED, SHARED, require_shared
from tests.support import pgstore
from tests.support.server import LocalServer


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--store",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="The store every test vault uses: SQLite files (default) or a fresh PostgreSQL "
        f"database per vault on {pgstore.DEFAULT_SERVER} (or ${pgstore.ENV}).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only(reason): the test reads SQLite files or pragmas; skipped with --store=postgresql"
    )
    if config.getoption("--store") == "postgresql":
        os.environ.setdefault(pgstore.ENV, pgstore.DEFAULT_SERVER)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--store") != "postgresql":
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            reason = marker.args[0] if marker.args else "SQLite only"
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


_SQLITE_FILE = re.compile(r"sqlite:///(?!:memory:)(.+)")


@pytest.fixture(autouse=True, scope="module")
def _store_per_vault(request: pytest.FixtureRequest):
    """With --store=postgresql, a store opened in-process on an SQLite file gets a fresh database instead.

    write_vault() already writes `[store] url` for PostgreSQL; this catches the
    vaults made by `newsvault init` or a test's own vault.toml. Subprocesses
    follow vault.toml only, so those vaults stay on SQLite there. Per module,
    not per test, because module-scoped fixtures build vaults that later tests
    open again; the module's databases are dropped when it ends.
    """
    with pytest.MonkeyPatch.context() as patch:
        if request.config.getoption("--store") == "postgresql":
            from newsvault.store import engine as store_engine

            real = store_engine.create_engine
            databases: dict[str, str] = {}

            def redirected(url, *args, **kwargs):  # type: ignore[no-untyped-def]
                found = _SQLITE_FILE.fullmatch(str(url))
                if found:
                    if found.group(1) not in databases:
                        databases[found.group(1)] = pgstore.create_database().replace(
                            "postgresql://", "postgresql+psycopg://", 1
                        )
                    url = databases[found.group(1)]
                return real(url, *args, **kwargs)

            patch.setattr(store_engine, "create_engine", redirected)
        yield
    pgstore.drop_created()


@pytest.fixture
def pg_url() -> str:
    """A fresh, empty PostgreSQL database for this test; skips when no server answers."""
    base = pgstore.server() or pgstore.DEFAULT_SERVER
    if not pgstore.available(base):
        pytest.skip(f"no PostgreSQL server at {base} (.ci/run starts one)")
    return pgstore.create_database(base)


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1; tests set its routes."""
    with LocalServer() as srv:
        yield srv


@pytest.fixture(scope="session")
def shared() -> Path:
    """../shared itself, for tests that need more of it than tests/data holds; skips without it."""
    return require_shared()


def _skipped_for_shared(report: pytest.TestReport | pytest.CollectReport) -> bool:
    """A skip because ../shared is absent: ours, or a test's own that names the missing folder."""
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    return NEEDS_SHARED in reason or str(SHARED) in reason


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Report a skip for missing ../shared at the test, not at the helper that raised it.

    So the -ra summary groups them per test ("SKIPPED [14] tests/test_parse_feeds.py:122: needs ../shared ...").
    """
    report: pytest.TestReport = yield
    if report.skipped and isinstance(report.longrepr, tuple) and NEEDS_SHARED in report.longrepr[2]:
        path, line = item.reportinfo()[:2]
        report.longrepr = (os.fspath(path), (line or 0) + 1, report.longrepr[2])
    return report


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Generator[None, None, None]:
    """One line: how many tests were skipped because ../shared is absent (nothing when it is there).

    Written after pytest's own summary (the -ra list of reasons), just above the final counts.
    """
    yield
    if not SHARED.is_dir():
        count = sum(1 for report in terminalreporter.stats.get("skipped", []) if _skipped_for_shared(report))
        terminalreporter.write_line(
            f"{count} test(s) skipped because ../shared is absent ({SHARED}): the reference data beside the "
            "project, which CI has; tests/data/shared holds the part a clone tests with (see its PROVENANCE.md)"
        )
