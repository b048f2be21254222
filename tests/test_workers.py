"""Workers sharing the sources through PostgreSQL: real processes, a real server, a real database."""

from __future__ import annotations

import asyncio
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

from newsvault.base.clock import now_ms
from newsvault.base.failpoints import ENV as FAILPOINT
from newsvault.cli import cli
from newsvault.config import load
from newsvault.fetch import Fetcher
from newsvault.notify import queue_events
from newsvault.schedule import poll
from newsvault.search import search
from newsvault.store import open_store, outbox
from newsvault.store.schema import articles, captures, fetch_log, meta
from newsvault.workers.queue import install, make_app
from newsvault.workers.rounds import ROUND_KEY
from newsvault.workers.run import take_back_stalled
from newsvault.workers.tasks import defer, defer_poll
from tests.support.server import LocalServer
from tests.support.spn2 import SPN2
from tests.vaults import rss, rss_item

SOURCES = 2000
EXE = Path(sys.executable).with_name("newsvault")


PAGE_RULE = ('body = "page"', 'selector = "div.article"')  # bodies from the article pages, by selector
ON_PAGE = "只在文章页上的正文"  # a phrase only the article pages hold


def _vault(
    directory: Path, url: str, server: LocalServer, count: int, rule: tuple[str, ...] = (), timeout: int = 20
) -> Path:
    lines = [
        "[store]",
        f'url = "{url}"',
        "",
        "[fetch]",
        f"timeout = {timeout}",
        "retries = 0",
        "allow_private = true",
        "",
    ]
    for i in range(count):
        lines += [f"[sources.s{i}]", f'name = "S{i}"', f'feed = "{server.url(f"/feed/{i}.xml")}"', *rule, ""]
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "vault.toml").write_text("\n".join(lines), "utf-8")
    return directory


def _serve(server: LocalServer, count: int, items: int) -> None:
    for i in range(count):
        server.set(
            f"/feed/{i}.xml",
            rss(
                *(
                    rss_item(
                        f"s{i} item {n}",
                        link=server.url(f"/a/{i}/{n}"),
                        description=f"<p>body {i} {n}</p>",
                        date=f"Mon, 0{n + 1} Jan 2024 00:00:00 GMT",
                    )
                    for n in range(items)
                )
            ),
            headers={"Content-Type": "application/rss+xml"},
        )


def _page(i: int, n: int) -> str:
    return (
        f"<html><head><title>s{i} item {n}</title></head><body><div class='nav'><a href='/'>首页</a></div>"
        f"<div class='article'><p>第{i}号源第{n}篇：{ON_PAGE}。" + "事件的来龙去脉。" * 20 + "</p></div>"
        "<div class='footer'>版权所有</div></body></html>"
    )


def _serve_pages(server: LocalServer, count: int, items: int, status: int = 200) -> None:
    for i in range(count):
        for n in range(items):
            server.set(
                f"/a/{i}/{n}",
                _page(i, n),
                status=status,
                headers={"Content-Type": "text/html; charset=utf-8"},
            )


def _page_hits(server: LocalServer) -> Counter:
    return Counter(h.path for h in server.hits if h.path.startswith("/a/"))


def _assert_page_bodies(engine, count: int, items: int) -> None:  # type: ignore[no-untyped-def]
    """Every article holds the text of its own page, without the page's navigation and footer."""
    with engine.connect() as conn:
        rows = conn.execute(select(articles.c.link, articles.c.body, articles.c.page_state)).all()
    assert len(rows) == count * items
    for link, body, page_state in rows:
        i, n = link.rsplit("/", 2)[-2:]
        assert page_state == "done" and body is not None, (link, page_state)
        assert f"第{i}号源第{n}篇：{ON_PAGE}" in body and "首页" not in body and "版权所有" not in body


def _workers(vault: Path, n: int, *args: str, env: dict[str, str] | None = None) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [str(EXE), "--vault", str(vault), "worker", "--once", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        for _ in range(n)
    ]


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
    _serve(server, count, items=2)
    hold = server.hold_after(0, under="/feed/")  # no feed answers until the worker is dead: the kill lands mid-poll
    vault = _vault(tmp_path / "v", pg_url, server, count, timeout=300)  # a held request waits for the kill
    engine = open_store(pg_url)

    [victim] = _workers(vault, 1, "--lease", "3", "--concurrency", str(count))
    assert hold.reached.wait(timeout=60), "the worker never started polling"
    os.kill(victim.pid, signal.SIGKILL)
    assert victim.wait(timeout=60) == -signal.SIGKILL
    server.release()
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


def test_article_pages_are_fetched_by_a_job_after_the_poll(tmp_path, pg_url, server):
    count, items = 3, 3
    _serve(server, count, items)
    _serve_pages(server, count, items)
    vault = _vault(tmp_path / "v", pg_url, server, count, PAGE_RULE)
    engine = open_store(pg_url)

    _finish(_workers(vault, 1, "--lease", "10"), timeout=120)
    _assert_page_bodies(engine, count, items)
    assert _feed_hits(server) == Counter({f"/feed/{i}.xml": 1 for i in range(count)})
    assert _page_hits(server) == Counter({f"/a/{i}/{n}": 1 for i in range(count) for n in range(items)})
    with engine.connect() as conn:
        polls = dict(conn.execute(select(fetch_log.c.source, fetch_log.c.finished_ms)).all())
        pages = conn.execute(select(captures.c.url, captures.c.fetched_ms).where(captures.c.url.like("%/a/%"))).all()
        found = search(conn, ON_PAGE, limit=None)
        assert conn.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded'")).scalar() == 0
    assert len(polls) == count and len(pages) == count * items
    # Each page was fetched after its source's poll had ended: a job of its own, not part of the poll.
    assert all(fetched >= polls[f"s{url.split('/')[-2]}"] for url, fetched in pages)
    assert len(found) == count * items  # the search index holds the pages' text


def test_a_worker_killed_mid_page_fetch_loses_nothing(tmp_path, pg_url, server):
    count, items = 4, 2
    _serve(server, count, items)  # feeds answer at once
    _serve_pages(server, count, items)
    server.hold_after(0, under="/a/")  # no page answers until the worker is dead: the kill lands mid page fetch
    vault = _vault(tmp_path / "v", pg_url, server, count, PAGE_RULE, timeout=300)  # a held page waits for the kill
    engine = open_store(pg_url)

    [victim] = _workers(vault, 1, "--lease", "3", "--concurrency", str(2 * count))
    deadline = time.monotonic() + 60
    # Every source's pages job has started (its first page asked for): every poll is over.
    while len({path.split("/")[2] for path in _page_hits(server)}) < count:
        assert time.monotonic() < deadline and victim.poll() is None, "the worker never fetched pages"
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    assert victim.wait(timeout=60) == -signal.SIGKILL
    server.release()
    with engine.connect() as conn:
        fetching = conn.execute(
            text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing' AND task_name = 'newsvault:pages'")
        ).scalar()
        waiting = conn.execute(select(func.count()).where(articles.c.page_state == "pending")).scalar()
    assert fetching > 0 and waiting > 0  # the dead worker held page jobs, pages were still to come

    started = time.monotonic()
    _finish(_workers(vault, 1, "--lease", "3", "--concurrency", str(2 * count)), timeout=120)
    assert time.monotonic() - started >= 2  # it had to wait for the dead worker's lease to run out
    _assert_page_bodies(engine, count, items)
    assert _feed_hits(server) == Counter({f"/feed/{i}.xml": 1 for i in range(count)})  # no source polled again
    with engine.connect() as conn:
        polled = conn.execute(select(fetch_log.c.source, func.count()).group_by(fetch_log.c.source)).all()
        assert conn.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded'")).scalar() == 0
    assert sorted(polled) == [(f"s{i}", 1) for i in range(count)]


def test_a_page_that_failed_is_fetched_next_round_and_indexed(tmp_path, pg_url, server):
    """body = "auto": the feed's teaser is indexed first; the page that replaces it later is indexed too."""
    _serve(server, 1, items=1)
    _serve_pages(server, 1, items=1, status=503)
    vault = _vault(tmp_path / "v", pg_url, server, 1, ('body = "auto"', "min_length = 100"))
    engine = open_store(pg_url)

    _finish(_workers(vault, 1, "--lease", "10"), timeout=120)
    with engine.connect() as conn:
        row = conn.execute(select(articles.c.body, articles.c.page_state, articles.c.page_attempts)).one()
        assert search(conn, "body", limit=None) and not search(conn, ON_PAGE, limit=None)
    assert row == ("<p>body 0 0</p>", "failed", 1)  # the teaser is kept; the page waits for the next round

    _serve_pages(server, 1, items=1)
    with engine.begin() as conn:  # an hour later
        conn.execute(update(meta).where(meta.c.key == ROUND_KEY).values(value="0"))
    _finish(_workers(vault, 1, "--lease", "10"), timeout=120)
    _assert_page_bodies(engine, 1, items=1)
    with engine.connect() as conn:
        assert [hit.title for hit in search(conn, ON_PAGE, limit=None)] == ["s0 item 0"]
    assert _page_hits(server)["/a/0/0"] == 2


def test_worker_refuses_an_sqlite_store(tmp_path):
    (tmp_path / "vault.toml").write_text("[sources.voa]\n", "utf-8")
    result = CliRunner().invoke(cli, ["--vault", str(tmp_path), "worker", "--once"])
    assert result.exit_code == 1
    assert "workers need a PostgreSQL store" in result.output
    assert not (tmp_path / "vault.sqlite").exists()


@pytest.mark.sqlite_only("the vault is written without a store, so it is SQLite")
def test_migrate_reports_an_up_to_date_sqlite_store(tmp_path):
    (tmp_path / "vault.toml").write_text("[sources.voa]\n", "utf-8")
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


def test_a_poll_whose_worker_died_before_queueing_its_follow_ups_gets_them_from_the_round(tmp_path, pg_url, server):
    server.set(
        "/feed/0.xml",
        rss(rss_item("标题", server.url("/a/0/0"), "Mon, 01 Jan 2024 00:00:00 GMT", "<p>只在这一条里的话</p>")),
        headers={"Content-Type": "application/rss+xml"},
    )
    vault = _vault(tmp_path / "v", pg_url, server, 1)
    engine = open_store(pg_url)
    config = load(vault)
    install(engine)
    round_ms = now_ms()

    async def dead_workers_round() -> None:
        # The round queued the source's poll; a worker ran it to its end (fetch log
        # written) and died before queueing anything after it.
        app = make_app(engine)
        async with app.open_async():
            await defer_poll(app, "s0", round_ms)
        async with Fetcher(allow_private=True) as fetcher:
            await poll(engine, config.sources["s0"], fetcher, config, pages=False)

    asyncio.run(dead_workers_round())
    with engine.begin() as conn:  # the round is current: the next worker starts no other
        conn.execute(meta.insert().values(key=ROUND_KEY, value=str(round_ms)))
        assert search(conn, "只在这一条", limit=None) == []

    _finish(_workers(vault, 1, "--lease", "10"), timeout=120)
    assert _feed_hits(server) == Counter({"/feed/0.xml": 1})  # not polled twice in the round
    with engine.connect() as conn:
        assert len(search(conn, "只在这一条", limit=None)) == 1  # but its index job was queued
        assert conn.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded'")).scalar() == 0


def test_a_dead_workers_job_with_its_twin_waiting_is_superseded_not_left_holding_its_lock(pg_url):
    """A job queued again while a worker ran it (notify queues `witness` each time) cannot go back to the queue.

    Its twin holds the queueing lock, so the retry is refused; the dead
    worker's job still holds the job lock, so the twin could never run
    (the CI hang of test_a_worker_killed_while_submitting_a_witness...). The
    twin does the same work: the dead job is dropped and the twin runs.
    """
    engine = open_store(pg_url)
    install(engine)

    async def dead_worker_with_a_twin_waiting() -> tuple[int, int | None, list[tuple[int, str]]]:
        app = make_app(engine)
        async with app.open_async():
            assert await defer(app, "witness", "witness", "witness")
            dead = await app.job_manager.register_worker()
            job = await app.job_manager.fetch_job(queues=None, worker_id=dead)
            assert job is not None and job.id is not None
            assert await defer(app, "witness", "witness", "witness")  # the twin, queued while the first runs
            with engine.begin() as conn:
                conn.execute(text("UPDATE procrastinate_workers SET last_heartbeat = now() - interval '1 hour'"))
            taken = await take_back_stalled(app, lease=30)
            alive = await app.job_manager.register_worker()
            twin = await app.job_manager.fetch_job(queues=None, worker_id=alive)
        with engine.connect() as conn:
            left = [tuple(r) for r in conn.execute(text("SELECT id, status FROM procrastinate_jobs ORDER BY id"))]
        return taken, twin.id if twin else None, left

    taken, twin, left = asyncio.run(dead_worker_with_a_twin_waiting())
    assert taken == 1
    assert twin is not None and left == [(twin, "doing")]  # the twin runs; the dead job is gone


def test_rounds_queue_and_post_notifications_once_whichever_worker(tmp_path, pg_url, server):
    """Two workers, a Bot API server: each new article of the second round is posted once, by one of them."""
    from tests.support.botapi import BotAPI

    count, token = 6, "123456789:AAE-worker-token-for-tests"
    _serve(server, count, items=1)
    with BotAPI(token) as bot:
        vault = _vault(tmp_path / "v", pg_url, server, count)
        notify = (
            '\n[notify.telegram]\nenabled = true\nchannel = "@workers"\nevents = ["new"]\n'
            f'api_url = "{bot.url("")}"\nper_minute = 600\n'
        )
        env = {**os.environ, "NEWSVAULT_TELEGRAM_TOKEN": token}

        def round_of_two() -> None:
            _finish(_workers(vault, 2, "--lease", "10", env=env), timeout=300)

        engine = open_store(pg_url)  # made here, not by two workers at once
        # Round one without notifications, then notifications turned on: which of the round's
        # notify jobs scans first is the scheduler's choice, so the first scan (which only marks
        # where notifications start) is made here, after every article of round one is stored.
        round_of_two()
        with (vault / "vault.toml").open("a", encoding="utf-8") as f:
            f.write(notify)
        assert queue_events(engine, load(vault)) == 0
        assert bot.posted == []  # the first scan marks where notifications start, as `run`'s does
        with engine.connect() as conn:
            assert outbox.marks(conn) is not None
        _serve(server, count, items=3)  # two new articles in every feed
        with engine.begin() as conn:
            conn.execute(update(meta).where(meta.c.key == ROUND_KEY).values(value="0"))
        round_of_two()
        titles = [text.split("\n")[1] for text in bot.texts()]
        assert sorted(titles) == sorted(f"s{i} item {n}" for i in range(count) for n in (1, 2))  # each once
        assert bot.requests == 2 * count  # nothing sent twice, not even a request
        with engine.connect() as conn:
            assert outbox.counts(conn, "telegram:@workers") == {"posted": 2 * count}
            assert (
                conn.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded'")).scalar() == 0
            )


def _witnessing(
    tmp_path: Path, pg_url: str, server: LocalServer, spn2: SPN2, count: int
) -> tuple[Path, dict[str, str]]:
    """A vault with round one archived, then [witness.wayback] on and the first scan made here, not by a worker.

    Which worker's notify job scans first is the scheduler's choice; the next
    round's new articles (two per feed) are then witnessed whichever it is.
    """
    _serve(server, count, items=1)
    vault = _vault(tmp_path / "v", pg_url, server, count)
    env = {**os.environ, "NEWSVAULT_IA_ACCESS": spn2.access, "NEWSVAULT_IA_SECRET": spn2.secret}
    engine = open_store(pg_url)  # made here, not by two workers at once
    _finish(_workers(vault, 2, "--lease", "10", env=env), timeout=300)
    with (vault / "vault.toml").open("a", encoding="utf-8") as f:
        f.write(f'\n[witness.wayback]\nenabled = true\napi_url = "{spn2.url("")}"\nper_minute = 600\ntimeout = 5\n')
    assert queue_events(engine, load(vault)) == 0  # the first scan marks where witnessing starts
    _serve(server, count, items=3)  # two new articles in every feed
    with engine.begin() as conn:
        conn.execute(update(meta).where(meta.c.key == ROUND_KEY).values(value="0"))
    engine.dispose()
    return vault, env


def _save_requests(spn2: SPN2) -> int:
    return sum(1 for hit in spn2.hits if hit.path == "/save")


def test_rounds_submit_each_witness_once_whichever_worker(tmp_path, pg_url, server):
    """Two workers, Telegram off, a local SPN2 server: each new article's URL is submitted once and its capture kept."""
    count = 6
    with SPN2("worker-access-key", "worker-secret-key", pending_polls=0) as spn2:
        vault, env = _witnessing(tmp_path, pg_url, server, spn2, count)
        _finish(_workers(vault, 2, "--lease", "10", env=env), timeout=300)
        expected = sorted(server.url(f"/a/{i}/{n}") for i in range(count) for n in (1, 2))
        assert sorted(spn2.submitted()) == expected  # each once
        assert _save_requests(spn2) == 2 * count  # not even a request twice
    engine = open_store(pg_url)
    with engine.connect() as conn:
        assert outbox.counts(conn, "wayback") == {"posted": 2 * count}
        captured = [outbox.snapshots(conn, article_id) for article_id in conn.execute(select(articles.c.id)).scalars()]
        assert conn.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded'")).scalar() == 0
    assert sorted(len(c) for c in captured) == [0] * count + [1] * (2 * count)  # round one's are not witnessed


def test_a_worker_killed_while_submitting_a_witness_submits_nothing_twice(tmp_path, pg_url, server):
    """Killed between marking a URL `sending` and submitting it: the job is taken back, that URL is never sent."""
    count = 3
    with SPN2("worker-access-key", "worker-secret-key", pending_polls=0) as spn2:
        vault, env = _witnessing(tmp_path, pg_url, server, spn2, count)
        [victim] = _workers(vault, 1, "--lease", "3", env={**env, FAILPOINT: "witness.sending:2"})
        out, _ = victim.communicate(timeout=300)
        assert victim.returncode == -signal.SIGKILL, out
        assert _save_requests(spn2) == 1  # the second URL was marked, not sent
        _finish(_workers(vault, 1, "--lease", "3", env=env), timeout=300)
        assert _save_requests(spn2) == 2 * count - 1 and len(set(spn2.submitted())) == 2 * count - 1
    engine = open_store(pg_url)
    with engine.connect() as conn:
        assert outbox.counts(conn, "wayback") == {"posted": 2 * count - 1, "uncertain": 1}
        assert conn.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded'")).scalar() == 0


def _waiting_on_a_lock(engine) -> bool:  # type: ignore[no-untyped-def]
    """Whether a connection to this test's database waits on a lock now."""
    with engine.connect() as conn:
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock'"
                )
            ).scalar()
        )


def test_two_workers_storing_the_same_bytes_at_once_share_one_capture(pg_url):
    """One page in two outlets' feeds, fetched by two workers at once: the second's INSERT waits on the
    first's unique hash, and once the first commits it takes that capture, where it failed its feed."""
    import threading

    from newsvault.store import captures as store_captures

    engine = open_store(pg_url)
    stored: dict[str, int | BaseException] = {}

    def second() -> None:
        try:
            with engine.begin() as conn:
                stored["second"] = store_captures.store(conn, "http://127.0.0.1/b", 200, {}, b"<p>same</p>", 2)
        except BaseException as exc:  # reported by the assertion below
            stored["second"] = exc

    with engine.connect() as first:
        with first.begin():
            stored["first"] = store_captures.store(first, "http://127.0.0.1/a", 200, {}, b"<p>same</p>", 1)
            waiter = threading.Thread(target=second)
            waiter.start()
            # The chosen point: the second waits on the first's row. Each look in a transaction of its own:
            # PostgreSQL keeps one snapshot of pg_stat_activity for a whole transaction.
            deadline = time.monotonic() + 120  # only to fail clearly: the wait comes as soon as the thread runs
            while not _waiting_on_a_lock(engine):
                assert waiter.is_alive() and time.monotonic() < deadline, stored
                time.sleep(0.01)
        waiter.join()
    assert stored["second"] == stored["first"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(captures)).scalar() == 1
