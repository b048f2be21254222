"""Workers sharing the sources through PostgreSQL: real processes, a real server, a real database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text, update

from newsvault.cli import cli
from newsvault.store import open_store
from newsvault.store.schema import articles, fetch_log, meta
from newsvault.workers.rounds import ROUND_KEY
from tests.support.server import LocalServer
from tests.vaults import rss, rss_item

SOURCES = 2000
EXE = Path(sys.executable).with_name("newsvault")


def _vault(directory: Path, url: str, server: LocalServer, count: int) -> Path:
    lines = ["[store]", f'url = "{url}"', "", "[fetch]", "timeout = 20", "retries = 0", "allow_private = true", ""]
    for i in range(count):
        lines += [f"[sources.s{i}]", f'name = "S{i}"', f'feed = "{server.url(f"/feed/{i}.xml")}"', ""]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vault.toml").write_text("\n".join(lines), "utf-8")
    return directory


def _serve(server: LocalServer, count: int, items: int, delay: float = 0.0) -> None:
    for i in range(count):
        server.set(f"/feed/{i}.xml", rss(*(
            rss_item(f"s{i} item {n}", link=server.url(f"/a/{i}/{n}"), description=f"<p>body {i} {n}</p>",
                     date=f"Mon, 0{n + 1} Jan 2024 00:00:00 GMT")
            for n in range(items))), headers={"Content-Type": "application/rss+xml"}, delay=delay)


def _workers(vault: Path, n: int, *args: str) -> list[subprocess.Popen]:
    return [subprocess.Popen([str(EXE), "--vault", str(vault), "worker", "--once", *args],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(n)]


def _finish(workers: list[subprocess.Popen], timeout: float) -> None:
    for worker in workers:
        out, _ = worker.communicate(timeout=timeout)
        assert worker.returncode == 0, out


def _feed_hits(server: LocalServer) -> Counter:
    return Counter(h.path for h in server.hits if h.path.startswith("/feed/"))


def _assert_archived(engine, count: int, items: int) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        rows = conn.execute(select(articles.c.source, articles.c.link)).all()
    assert len(rows) == count * items  # none lost
    assert len(set(rows)) == len(rows)  # none twice


def test_two_then_four_workers_poll_each_source_once_per_round(tmp_path, pg_url, server):
    _serve(server, SOURCES, items=1)
    vault = _vault(tmp_path / "v", pg_url, server, SOURCES)
    engine = open_store(pg_url)

    _finish(_workers(vault, 2, "--lease", "10"), timeout=900)
    hits = _feed_hits(server)
    assert len(hits) == SOURCES and set(hits.values()) == {1}
    _assert_archived(engine, SOURCES, items=1)

    # An hour later: a new round, a new item in every feed, four workers.
    _serve(server, SOURCES, items=2)
    with engine.begin() as conn:
        conn.execute(update(meta).where(meta.c.key == ROUND_KEY).values(value="0"))
    _finish(_workers(vault, 4, "--lease", "10"), timeout=900)
    hits = _feed_hits(server)
    assert len(hits) == SOURCES and set(hits.values()) == {2}
    _assert_archived(engine, SOURCES, items=2)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(fetch_log)).scalar() == 2 * SOURCES
        assert conn.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded'")).scalar() == 0


def test_a_worker_killed_mid_job_loses_nothing(tmp_path, pg_url, server):
    count = 12
    _serve(server, count, items=2, delay=2.0)  # every feed answers slowly: the kill lands mid-poll
    vault = _vault(tmp_path / "v", pg_url, server, count)
    engine = open_store(pg_url)

    [victim] = _workers(vault, 1, "--lease", "3", "--concurrency", str(count))
    deadline = time.monotonic() + 60
    while len(_feed_hits(server)) < count // 2:
        assert time.monotonic() < deadline and victim.poll() is None, "the worker never started polling"
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    with engine.connect() as conn:
        doing = conn.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'")).scalar()
    assert doing > 0  # the dead worker held jobs (and their sources' locks)

    started = time.monotonic()
    _finish(_workers(vault, 1, "--lease", "3"), timeout=120)
    assert time.monotonic() - started >= 2  # it had to wait for the dead worker's lease to run out
    _assert_archived(engine, count, items=2)
    with engine.connect() as conn:
        polled = conn.execute(select(fetch_log.c.source, func.count()).group_by(fetch_log.c.source)).all()
        assert conn.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded'")).scalar() == 0
    assert {abbr for abbr, _ in polled} == {f"s{i}" for i in range(count)}
    assert all(n == 1 for _, n in polled)  # a poll killed before its end left no trace but its request


def test_worker_refuses_an_sqlite_store(tmp_path):
    (tmp_path / "vault.toml").write_text('[sources.voa]\n', "utf-8")
    result = CliRunner().invoke(cli, ["--vault", str(tmp_path), "worker", "--once"])
    assert result.exit_code == 1
    assert "workers need a PostgreSQL store" in result.output
    assert not (tmp_path / "vault.sqlite").exists()


@pytest.mark.sqlite_only("the vault is written without a store, so it is SQLite")
def test_migrate_reports_an_up_to_date_sqlite_store(tmp_path):
    (tmp_path / "vault.toml").write_text('[sources.voa]\n', "utf-8")
    first = CliRunner().invoke(cli, ["--vault", str(tmp_path), "migrate"])
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(cli, ["--vault", str(tmp_path), "migrate"])
    assert "schema up to date" in again.output


def test_migrate_creates_store_and_queue_on_postgresql(tmp_path, pg_url):
    (tmp_path / "vault.toml").write_text(f'[store]\nurl = "{pg_url}"\n\n[sources.voa]\n', "utf-8")
    result = CliRunner().invoke(cli, ["--vault", str(tmp_path), "migrate"])
    assert result.exit_code == 0, result.output
    assert "migrated" in result.output and "job queue" in result.output
    again = CliRunner().invoke(cli, ["--vault", str(tmp_path), "migrate"])
    assert "schema up to date" in again.output and "job queue" not in again.output
