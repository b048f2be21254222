"""The Save Page Now 2 client (issue 17, third-party witnesses) against a real local SPN2 server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from newsvault.base.failpoints import ENV as FAILPOINT
from newsvault.config import ConfigError, load
from newsvault.config.model import WaybackSettings
from newsvault.notify import wayback
from newsvault.notify.queue import WAYBACK
from newsvault.notify.wayback import Answer, Credentials, State
from newsvault.store import articles as store_articles
from newsvault.store import outbox, statuses
from newsvault.store.schema import metadata
from newsvault.store.statuses import HOUR
from newsvault.web import create_app
from tests.support.server import LocalServer
from tests.support.spn2 import SPN2, TIMESTAMP
from tests.vaults import open_vault, rss, rss_item, write_vault

ACCESS = "access-key-Zq81"
SECRET = "secret-key-Xk27"
KEYS = Credentials(ACCESS, SECRET)
ARTICLE = "http://news.example/a/1.html"


@pytest.fixture
def spn2() -> Iterator[SPN2]:
    with SPN2(ACCESS, SECRET, pending_polls=1) as server:
        yield server


def _submit(server: SPN2, keys: Credentials = KEYS, timeout: float = 5.0) -> Answer:
    async def go() -> Answer:
        async with aiohttp.ClientSession() as session:
            return await wayback.submit(session, server.url(""), keys, ARTICLE, timeout)

    return asyncio.run(go())


def _status(server: SPN2, job_id: str) -> Answer:
    async def go() -> Answer:
        async with aiohttp.ClientSession() as session:
            return await wayback.status(session, server.url(""), KEYS, job_id, 5.0)

    return asyncio.run(go())


def test_a_submitted_job_is_pending_then_captured_with_its_snapshot_url(spn2: SPN2) -> None:
    submitted = _submit(spn2)
    assert submitted.state is State.SUBMITTED and submitted.job_id is not None
    assert spn2.submitted() == [ARTICLE]
    assert spn2.hits[0].headers["Accept"] == "application/json"
    assert _status(spn2, submitted.job_id).state is State.PENDING
    captured = _status(spn2, submitted.job_id)
    assert captured.state is State.CAPTURED and captured.timestamp == TIMESTAMP
    assert captured.snapshot_url == f"https://web.archive.org/web/{TIMESTAMP}/{ARTICLE}"


def test_a_429_says_when_to_come_back_in_seconds_or_as_a_date(spn2: SPN2) -> None:
    spn2.script = ["429:30", f"429:{formatdate(time.time() + 120, usegmt=True)}", "429:soon"]
    assert _submit(spn2) == Answer(State.RETRY, retry_after=30.0, why="429: rate limited")
    dated = _submit(spn2)
    assert dated.state is State.RETRY and dated.retry_after is not None and 100 < dated.retry_after <= 120
    assert _submit(spn2).retry_after is None
    assert spn2.submitted() == []  # nothing was captured by a refused request
    assert _submit(spn2).state is State.SUBMITTED


def test_a_5xx_and_a_server_that_never_answers_are_retried_later(spn2: SPN2) -> None:
    spn2.script = ["500", "timeout:1.5"]
    assert _submit(spn2) == Answer(State.RETRY, why="HTTP 500")
    started = time.monotonic()
    late = _submit(spn2, timeout=0.3)
    assert late.state is State.RETRY and "no answer within 0.3 s" in late.why
    assert time.monotonic() - started < 1.2  # the client gave up; it did not wait for the server


def test_no_connection_is_retried_later() -> None:
    with SPN2(ACCESS, SECRET) as server:
        api = server.url("")

    async def go() -> Answer:
        async with aiohttp.ClientSession() as session:
            return await wayback.submit(session, api, KEYS, ARTICLE, 2.0)

    answer = asyncio.run(go())
    assert answer.state is State.RETRY and answer.why.startswith("Client")


def test_spn2_errors_fail_the_capture_with_its_reason(spn2: SPN2) -> None:
    spn2.script = ["error"]
    assert _submit(spn2) == Answer(State.FAILED, why="error:blocked-url: This URL is excluded.")
    refused = _submit(spn2, Credentials("wrong", "keys"))
    assert refused == Answer(State.FAILED, why="HTTP 401: the keys were refused")


def test_the_keys_are_in_no_answer_words(spn2: SPN2) -> None:
    spn2.script = ["500", "timeout:1.5", "error", "429:1"]
    answers = [_submit(spn2, timeout=0.3) for _ in range(5)]
    answers.append(_submit(spn2, Credentials(ACCESS, SECRET + "x")))
    words = repr(answers)
    assert ACCESS not in words and SECRET not in words
    assert KEYS.redact(f"Authorization: {KEYS.header()}") == "Authorization: LOW ***:***"


def _settings(tmp_path: Path, table: str) -> object:
    write_vault(tmp_path, {"voa": {"feed": "http://127.0.0.1/f.xml"}})
    with (tmp_path / "vault.toml").open("a", encoding="utf-8") as f:
        f.write(f"\n[witness.wayback]\n{table}\n")
    return load(tmp_path).witness.wayback


def test_wayback_settings_are_off_by_default_and_name_only_environment_variables(tmp_path: Path) -> None:
    write_vault(tmp_path, {"voa": {"feed": "http://127.0.0.1/f.xml"}})
    assert load(tmp_path).witness.wayback.enabled is False
    settings = _settings(tmp_path / "on", 'enabled = true\noutlets = ["voa"]\nper_minute = 2')
    assert settings == WaybackSettings(enabled=True, outlets=("voa",), per_minute=2)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('outlets = ["rfa"]', r"\[witness.wayback\] key 'outlets': no source 'rfa' in \[sources\]"),
        ('events = ["moved"]', "events"),
        ('secret_key_env = "my secret"', "an environment variable name"),
        ("per_minute = 0", "per_minute"),
    ],
)
def test_wrong_wayback_settings_are_refused_in_one_line(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        _settings(tmp_path, table)


# Real `run`s against a local feed server and the local SPN2 server: queue, submit, poll, show.

NEWSVAULT = str(Path(sys.executable).with_name("newsvault"))
DATE = "Wed, 01 May 2024 12:00:00 GMT"


def _witness_vault(tmp_path: Path, server: LocalServer, spn2: SPN2) -> Path:
    server.set("/a/1.html", "<html><title>t</title><body>正文</body></html>")
    feed = server.set("/f.xml", rss(rss_item("原标题", server.url("/a/1.html"), DATE, "<p>原来的正文。</p>")))
    vault = write_vault(tmp_path / "vault", {"voa": {"feed": feed}})
    lines = [
        "[search]",
        "update = false",
        "",
        "[witness.wayback]",
        "enabled = true",
        f'api_url = "{spn2.url("")}"',
        "per_minute = 600",
        "timeout = 1.0",
    ]
    with (vault / "vault.toml").open("a", encoding="utf-8") as f:
        f.write("\n" + "\n".join(lines) + "\n")
    return vault


def _cli(vault: Path, *args: str, failpoint: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != FAILPOINT}
    env |= {"NEWSVAULT_IA_ACCESS": KEYS.access, "NEWSVAULT_IA_SECRET": KEYS.secret}
    if failpoint:
        env[FAILPOINT] = failpoint
    return subprocess.run(
        [NEWSVAULT, "--vault", str(vault), *args], capture_output=True, text=True, env=env, timeout=300
    )


def _edit_and_delete(vault: Path, server: LocalServer) -> None:
    server.set("/f.xml", rss(rss_item("新标题", server.url("/a/1.html"), DATE, "<p>改过的正文。</p>")))
    server.set("/a/1.html", "gone", status=410)
    _config, engine = open_vault(vault)
    with engine.begin() as conn:  # the re-check of the article is due now
        article = store_articles.by_archive_id(conn, "voa", 1048574)
        assert article is not None
        statuses.checked(conn, article["id"], article["first_seen_ms"], article["first_seen_ms"] - HOUR, "live")
    engine.dispose()


def test_a_run_witnesses_an_edit_and_a_deletion_shown_by_history(
    tmp_path: Path, server: LocalServer, spn2: SPN2
) -> None:
    vault = _witness_vault(tmp_path, server, spn2)
    first = _cli(vault, "run")
    assert first.returncode == 0, first.stdout + first.stderr
    assert spn2.submitted() == []  # the first scan only marks where witnessing starts
    _edit_and_delete(vault, server)
    spn2.pending_polls = 0
    second = _cli(vault, "run")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "wayback: 2 submitted, 2 captured, 0 pending, 0 waiting, 0 given up" in second.stdout
    assert spn2.submitted() == [server.url("/a/1.html")] * 2
    history = _cli(vault, "history", "voa/1048574")
    snapshot = f"https://web.archive.org/web/{TIMESTAMP}/{server.url('/a/1.html')}"
    assert history.stdout.count("第三方存档") == 2 and snapshot in history.stdout
    config, engine = open_vault(vault)
    try:
        page = TestClient(create_app(config, engine)).get("/a/voa/1048574").text
    finally:
        engine.dispose()
    assert "第三方存档" in page and page.count(f'href="{snapshot}"') == 2
    third = _cli(vault, "run")  # nothing new: nothing submitted again
    assert len(spn2.submitted()) == 2 and third.returncode == 0
    said = "".join(r.stdout + r.stderr for r in (first, second, third, history))
    everything = said + _store_text(vault)
    assert KEYS.secret not in everything and KEYS.access not in everything
    for path in tmp_path.rglob("*"):  # the vault, its store, archive and site
        if path.is_file():
            data = path.read_bytes()
            assert KEYS.secret.encode() not in data and KEYS.access.encode() not in data, path


def test_pending_jobs_and_a_429_wait_for_the_next_run(tmp_path: Path, server: LocalServer, spn2: SPN2) -> None:
    vault = _witness_vault(tmp_path, server, spn2)
    assert _cli(vault, "run").returncode == 0
    _edit_and_delete(vault, server)
    spn2.pending_polls = 5
    spn2.script = ["ok", "429:3600"]  # the first submit goes through, then the service says come back in an hour
    second = _cli(vault, "run")
    assert second.returncode == 0, second.stdout + second.stderr  # a deferral is a note, not a failure
    assert "wayback: 1 submitted, 0 captured, 1 pending, 1 waiting, 0 given up" in second.stdout
    spn2.pending_polls = 0
    third = _cli(vault, "run")
    assert "wayback: 1 submitted, 2 captured, 0 pending, 0 waiting, 0 given up" in third.stdout, third.stdout


def test_killed_while_submitting_submits_nothing_twice(tmp_path: Path, server: LocalServer, spn2: SPN2) -> None:
    vault = _witness_vault(tmp_path, server, spn2)
    assert _cli(vault, "run").returncode == 0
    _edit_and_delete(vault, server)
    spn2.pending_polls = 0
    killed = _cli(vault, "run", failpoint="witness.sending:2")
    assert killed.returncode == -9, killed.stdout + killed.stderr
    after = _cli(vault, "run")
    assert len(spn2.submitted()) == 1  # the second was marked sending when killed: uncertain, not sent again
    assert "may have been submitted" in after.stdout


def test_a_run_leaves_the_urls_to_a_process_already_submitting(tmp_path: Path, server: LocalServer, spn2: SPN2) -> None:
    """While another process holds the Wayback channel (a worker's job), a run submits nothing and says why."""
    vault = _witness_vault(tmp_path, server, spn2)
    assert _cli(vault, "run").returncode == 0
    _edit_and_delete(vault, server)
    spn2.pending_polls = 0
    _config, engine = open_vault(vault)
    try:
        with outbox.posting(engine, WAYBACK) as mine:
            assert mine
            held = _cli(vault, "run")
    finally:
        engine.dispose()
    assert held.returncode == 0, held.stdout + held.stderr  # a note, not a failure
    assert "another process is submitting" in held.stdout and spn2.submitted() == []
    after = _cli(vault, "run")
    assert "wayback: 2 submitted, 2 captured" in after.stdout, after.stdout
    assert spn2.submitted() == [server.url("/a/1.html")] * 2


def test_a_capture_learnt_on_a_later_run_reaches_the_sites_pages(
    tmp_path: Path, server: LocalServer, spn2: SPN2
) -> None:
    """The site is rendered before the witnesses are asked about, and incrementally: the marks must see a capture."""
    from newsvault.render.site import render_site

    vault = _witness_vault(tmp_path, server, spn2)
    assert _cli(vault, "run").returncode == 0
    _edit_and_delete(vault, server)
    spn2.pending_polls = 5
    second = _cli(vault, "run")  # the edit and the deletion rendered; both jobs submitted, still pending
    assert "2 submitted, 0 captured, 2 pending" in second.stdout, second.stdout + second.stderr
    [history] = (vault / "site").glob("voa/**/*.versions.html")
    article = history.with_name(history.name.removesuffix(".versions.html") + ".html")
    assert "第三方存档" not in history.read_text("utf-8") + article.read_text("utf-8")
    spn2.pending_polls = 0
    third = _cli(vault, "run")  # nothing new at the source; SPN2 answers after this run's render
    assert "0 submitted, 2 captured" in third.stdout, third.stdout + third.stderr
    assert "第三方存档" not in history.read_text("utf-8")
    config, engine = open_vault(vault)
    try:
        written = render_site(engine, config).written  # the next run's render, nothing else new
        again = render_site(engine, config).written
    finally:
        engine.dispose()
    snapshot = f'href="https://web.archive.org/web/{TIMESTAMP}/{server.url("/a/1.html")}"'
    for page in (history, article):
        shown = page.read_text("utf-8")
        assert "第三方存档" in shown and shown.count(snapshot) == 2 and "修改后" in shown and "删除后" in shown
    assert written == 2  # the article's two pages, nothing else
    assert again == 0  # nothing new: nothing written


def _store_text(vault: Path) -> str:
    _config, engine = open_vault(vault)
    try:
        with engine.connect() as conn:
            return "\n".join(str(list(conn.execute(select(t)))) for t in metadata.sorted_tables)
    finally:
        engine.dispose()


def test_an_outage_is_a_note_and_missing_keys_fail_the_step(tmp_path: Path, server: LocalServer, spn2: SPN2) -> None:
    vault = _witness_vault(tmp_path, server, spn2)
    assert _cli(vault, "run").returncode == 0
    _edit_and_delete(vault, server)
    spn2.script = ["500"]
    second = _cli(vault, "run")
    assert second.returncode == 0, second.stdout + second.stderr  # the sources are fine: a note, not a failure
    assert "0 submitted" in second.stdout and "2 waiting" in second.stdout and "HTTP 500" in second.stdout
    with (vault / "vault.toml").open("a", encoding="utf-8") as f:  # the last table is [witness.wayback]
        f.write('access_key_env = "NEWSVAULT_IA_UNSET"\n')
    no_keys = _cli(vault, "run")
    assert no_keys.returncode == 1 and "$NEWSVAULT_IA_UNSET" in no_keys.stdout and "2 URL(s) wait" in no_keys.stdout
    assert spn2.submitted() == []


def test_a_429_storm_loses_no_url_and_submits_none_twice(tmp_path: Path, server: LocalServer, spn2: SPN2) -> None:
    """Short 429s are waited out in the run, a long one defers the rest to the next run; every URL goes once."""
    vault = _witness_vault(tmp_path, server, spn2)
    assert _cli(vault, "run").returncode == 0  # the first scan marks where witnessing starts
    links = [server.url(f"/a/{n}.html") for n in range(2, 6)]
    items = [
        rss_item(f"新文章{n}", link, f"Wed, 0{n} May 2024 12:00:00 GMT", f"<p>正文{n}。</p>")
        for n, link in enumerate(links, start=2)
    ]
    server.set("/f.xml", rss(*items, rss_item("原标题", server.url("/a/1.html"), DATE, "<p>原来的正文。</p>")))
    spn2.pending_polls = 0
    # The first URL waits out a 1-second 429 and goes; the second is told to come back in two hours.
    spn2.script = ["429:1", "ok", "429:1", "429:7200"]
    second = _cli(vault, "run")
    assert second.returncode == 0, second.stdout + second.stderr  # a deferral is a note, not a failure
    assert "wayback: 1 submitted, 1 captured, 0 pending, 3 waiting, 0 given up" in second.stdout, second.stdout
    assert len(spn2.submitted()) == 1
    third = _cli(vault, "run")
    assert "wayback: 3 submitted, 3 captured, 0 pending, 0 waiting, 0 given up" in third.stdout, third.stdout
    assert sorted(spn2.submitted()) == sorted(links)  # each new article once, none lost
    _config, engine = open_vault(vault)
    try:
        with engine.connect() as conn:
            assert outbox.counts(conn, WAYBACK) == {"posted": 4}
    finally:
        engine.dispose()
