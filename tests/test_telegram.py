"""[notify.telegram]: real `run`s against local feed servers and a local Bot API server (tests/support/botapi.py).

Each run is the `newsvault` command in a subprocess, as cron runs it, with the
token in its environment only. Restarts are SIGKILLs at named failpoints.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from newsvault.base.failpoints import ENV as FAILPOINT
from newsvault.config import ConfigError, load
from newsvault.store import articles as store_articles
from newsvault.store import outbox, statuses
from newsvault.store.schema import metadata
from newsvault.store.statuses import HOUR
from tests.support.botapi import BotAPI
from tests.support.server import LocalServer
from tests.vaults import open_vault, rss, rss_item, write_vault

NEWSVAULT = str(Path(sys.executable).with_name("newsvault"))
TOKEN = "123456789:AAE-secret-token-for-tests_only"
DATE = "Wed, 01 May 2024 12:00:00 GMT"
CHANNEL = "telegram:@newsvault_test"
ARCHIVE_URL = "https://example.org/news/blob/main/"


@pytest.fixture
def bot() -> Iterator[BotAPI]:
    with BotAPI(TOKEN) as api:
        yield api


def _vault(tmp_path: Path, server: LocalServer, bot: BotAPI, events: str, **telegram: object) -> Path:
    server.set("/a/1.html", "<html><title>t</title><body>正文</body></html>")
    feed = server.set("/f.xml", rss(rss_item("原标题", server.url("/a/1.html"), DATE, "<p>原来的正文。</p>")))
    vault = write_vault(tmp_path / "vault", {"voa": {"feed": feed}})
    keys = {"per_minute": 600, "timeout": 1.0, **telegram}
    lines = [
        "[search]",
        "update = false",
        "",
        "[publish]",
        f'archive_url = "{ARCHIVE_URL}"',
        "",
        "[notify.telegram]",
        "enabled = true",
        'channel = "@newsvault_test"',
        f"events = {events}",
        f'api_url = "{bot.url("")}"',
        *(f"{key} = {value}" for key, value in keys.items()),
    ]
    with (vault / "vault.toml").open("a", encoding="utf-8") as f:
        f.write("\n" + "\n".join(lines) + "\n")
    return vault


def _run(vault: Path, failpoint: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != FAILPOINT}
    env["NEWSVAULT_TELEGRAM_TOKEN"] = TOKEN
    if failpoint:
        env[FAILPOINT] = failpoint
    return subprocess.run(
        [NEWSVAULT, "--vault", str(vault), "run"], capture_output=True, text=True, env=env, timeout=300
    )


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _items(server: LocalServer, titles: list[str]) -> None:
    server.set(
        "/f.xml",
        # dated one hour apart, in order: a run stores (and queues) its new articles oldest first
        rss(
            *(
                rss_item(t, server.url(f"/a/{t}.html"), f"Wed, 01 May 2024 {i:02d}:00:00 GMT", f"<p>{t}的正文。</p>")
                for i, t in enumerate(titles)
            )
        ),
    )


def _store_rows(vault: Path) -> str:
    """Every row of every table, as text."""
    _config, engine = open_vault(vault)
    try:
        with engine.connect() as conn:
            return "\n".join(str(list(conn.execute(select(t)))) for t in metadata.sorted_tables)
    finally:
        engine.dispose()


def _outbox_counts(vault: Path) -> dict[str, int]:
    _config, engine = open_vault(vault)
    try:
        with engine.connect() as conn:
            return outbox.counts(conn, CHANNEL)
    finally:
        engine.dispose()


def test_run_posts_an_edit_and_a_deletion(tmp_path: Path, server: LocalServer, bot: BotAPI) -> None:
    vault = _vault(tmp_path, server, bot, '["edited", "deleted"]')
    _ok(_run(vault))
    assert bot.posted == []  # the first scan only marks where notifications start
    server.set("/f.xml", rss(rss_item("新标题", server.url("/a/1.html"), DATE, "<p>改过的正文。</p>")))
    server.set("/a/1.html", "gone", status=410)
    _config, engine = open_vault(vault)
    with engine.begin() as conn:  # the re-check of the article is due now, not in 15 minutes
        article = store_articles.by_archive_id(conn, "voa", 1048574)
        assert article is not None
        statuses.checked(conn, article["id"], article["first_seen_ms"], article["first_seen_ms"] - HOUR, "live")
    engine.dispose()

    out = _ok(_run(vault))
    assert "notify: 2 message(s) queued" in out
    assert f"{CHANNEL}: 2 posted, 0 waiting" in out
    edit, deletion = bot.texts()
    assert edit.startswith("【已修改】美国之音（第 2 版）\n新标题\n")
    assert "标题：[-原-]{+新+}标题" in edit and "正文：[-原来-]{+改过+}的正文。" in edit
    assert f"存档：{ARCHIVE_URL}articles/voa/1048574.md" in edit
    assert f"原文：{server.url('/a/1.html')}" in edit
    assert deletion.startswith("【已删除】美国之音\n新标题\n") and " UTC+8 发现" in deletion
    assert {p.chat_id for p in bot.posted} == {"@newsvault_test"}

    _ok(_run(vault))  # nothing new: nothing posted again
    assert len(bot.posted) == 2
    assert _outbox_counts(vault) == {"posted": 2}


def test_a_run_with_nothing_to_post_does_not_import_aiogram(tmp_path: Path, server: LocalServer, bot: BotAPI) -> None:
    """aiogram builds pydantic models for the whole Bot API when imported (3 s of CPU): only a run that posts pays it.

    It was imported with the run's modules, so every hourly run, posting or not, took 3 s more.
    """
    vault = _vault(tmp_path, server, bot, '["new"]', outlets='["voa"]')
    program = (
        "import sys\n"
        "from newsvault.cli import main\n"
        "sys.argv = ['newsvault', *sys.argv[1:]]\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    print('aiogram imported:', 'aiogram' in sys.modules)\n"
    )
    env = {**os.environ, "NEWSVAULT_TELEGRAM_TOKEN": TOKEN}
    argv = [sys.executable, "-c", program, "--vault", str(vault), "run"]
    first = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300)
    assert _ok(first).endswith("aiogram imported: False\n")  # the first scan queues nothing
    _items(server, ["一"])
    second = _ok(subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300))
    assert f"{CHANNEL}: 1 posted, 0 waiting" in second and second.endswith("aiogram imported: True\n")


def test_429_storm_waits_out_retry_after_and_posts_each_once(tmp_path: Path, server: LocalServer, bot: BotAPI) -> None:
    vault = _vault(tmp_path, server, bot, '["new"]', outlets='["voa"]')
    _ok(_run(vault))
    titles = ["一", "二", "三", "四"]
    _items(server, titles)
    bot.script = ["429:1", "429:1", "ok", "429:1"]
    out = _ok(_run(vault))
    assert f"{CHANNEL}: 4 posted, 0 waiting" in out
    assert [t.split("\n")[1] for t in bot.texts()] == titles
    first = f"【新文章】美国之音\n一\n\n存档：{ARCHIVE_URL}articles/voa/1048573.md\n原文：http"
    assert bot.texts()[0].startswith(first)
    assert bot.requests == 7  # each 429 was retried, each message posted once

    # A retry_after longer than a run should wait: the run ends its posting, the rest go next run.
    _items(server, [*titles, "五", "六", "七"])
    bot.script = ["ok", "429:3600"]
    out = _ok(_run(vault))  # a note, not a failure: nothing is lost
    assert f"{CHANNEL}: 1 posted, 2 waiting" in out and "rate limited for 3600 s" in out
    _ok(_run(vault))
    assert [t.split("\n")[1] for t in bot.texts()] == [*titles, "五", "六", "七"]


def test_outages_are_notes_and_the_next_run_posts(tmp_path: Path, server: LocalServer, bot: BotAPI) -> None:
    vault = _vault(tmp_path, server, bot, '["new"]', timeout=0.5)
    _ok(_run(vault))
    _items(server, ["一", "二"])
    for outage in ("500", "502-html", "timeout:2"):
        bot.script = [outage]
        out = _ok(_run(vault))  # the sources were archived: the run is green, the channel waits
        assert f"{CHANNEL}: 0 posted, 2 waiting" in out and "the rest wait for the next run" in out, outage
    assert bot.posted == []
    _ok(_run(vault))
    assert [t.split("\n")[1] for t in bot.texts()] == ["一", "二"]


def test_a_refused_token_fails_the_run_and_the_messages_wait(tmp_path: Path, server: LocalServer) -> None:
    with BotAPI("42:another-token") as other:
        vault = _vault(tmp_path, server, other, '["new"]')
        _ok(_run(vault))
        _items(server, ["一"])
        result = _run(vault)
        assert result.returncode == 1 and "refused: TelegramUnauthorizedError" in result.stdout
        assert _outbox_counts(vault) == {"queued": 1}


@pytest.mark.parametrize("point", ["notify.queued", "notify.sending:2", "notify.sent:2", "notify.posted:2"])
def test_killed_mid_posting_loses_nothing_and_posts_nothing_twice(
    tmp_path: Path, server: LocalServer, bot: BotAPI, point: str
) -> None:
    vault = _vault(tmp_path, server, bot, '["new"]')
    _ok(_run(vault))
    titles = ["一", "二", "三", "四"]
    _items(server, titles)
    killed = _run(vault, failpoint=point)
    assert killed.returncode == -9, killed.stdout + killed.stderr
    after = _run(vault)
    posted = [t.split("\n")[1] for t in bot.texts()]
    assert len(posted) == len(set(posted))  # nothing twice
    if point.startswith("notify.sending"):
        # Killed after "sending" was recorded, before the request: the uncertain window (docs/NOTIFY.md).
        assert posted == ["一", "三", "四"] and after.returncode == 1
        assert "may or may not have been posted" in after.stdout
        assert _outbox_counts(vault) == {"posted": 3, "uncertain": 1}
    elif point.startswith("notify.sent"):
        # Telegram has it, the store had not heard: not sent again.
        assert posted == titles and after.returncode == 1
        assert _outbox_counts(vault) == {"posted": 3, "uncertain": 1}
    else:  # queued and committed, or posted and recorded: the next run posts the rest once
        assert posted == titles and after.returncode == 0, after.stdout
        assert _outbox_counts(vault) == {"posted": 4}


def test_the_token_is_never_in_a_log_a_file_or_the_store(tmp_path: Path, server: LocalServer, bot: BotAPI) -> None:
    vault = _vault(tmp_path, server, bot, '["new", "edited", "deleted"]')
    outputs = [_run(vault)]
    _items(server, ["一", "二"])
    bot.script = ["500"]  # the error names the requested path, which holds the token
    outputs.append(_run(vault))
    assert "/bot***/sendMessage" in _store_rows(vault)  # the last error, kept redacted
    outputs.append(_run(vault))
    assert len(bot.posted) == 2
    said = "".join(r.stdout + r.stderr for r in outputs)
    assert "/bot***/sendMessage" in said  # the error was shown, redacted
    assert TOKEN not in said
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    assert TOKEN not in _store_rows(vault)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("enabled = true", "enabled = true needs a 'channel'"),
        ('enabled = true\nchannel = "@c"\nevents = ["edited", "liked"]', "key 'events'"),
        ('enabled = true\nchannel = "@c"\noutlets = ["nope"]', "no source 'nope'"),
        ('token_env = "NOT A NAME"', "key 'token_env'"),
        ("per_minute = 0", "key 'per_minute'"),
    ],
)
def test_config_is_checked(tmp_path: Path, table: str, message: str) -> None:
    write_vault(tmp_path, {"voa": {"feed": "http://127.0.0.1/f.xml"}})
    with (tmp_path / "vault.toml").open("a", encoding="utf-8") as f:
        f.write(f"\n[notify.telegram]\n{table}\n")
    with pytest.raises(ConfigError, match=message):
        load(tmp_path)


def _status(vault: Path, *options: str) -> str:
    return subprocess.run(
        [NEWSVAULT, "--vault", str(vault), "status", *options], capture_output=True, text=True, timeout=120
    ).stdout


def test_status_shows_the_outbox_per_channel(tmp_path: Path, server: LocalServer, bot: BotAPI) -> None:
    vault = _vault(tmp_path, server, bot, '["new"]', timeout=0.5)
    _ok(_run(vault))
    assert "notify " not in _status(vault)  # nothing queued yet: no channel to show
    _items(server, ["一", "二", "三"])
    bot.script = ["ok", "500"]
    _ok(_run(vault))
    (line,) = [line for line in _status(vault).splitlines() if line.startswith("notify ")]
    said = re.fullmatch(rf"notify {CHANNEL}: 2 queued, 1 posted, 0 uncertain; last error [\d-]+ [\d:]+: (.+)", line)
    assert said is not None, line
    assert "Internal Server Error" in said.group(1) and TOKEN not in line
    (channel,) = json.loads(_status(vault, "--json"))["notify"]
    assert {k: channel[k] for k in ("channel", "queued", "sending", "posted", "uncertain")} == {
        "channel": CHANNEL,
        "queued": 2,
        "sending": 0,
        "posted": 1,
        "uncertain": 0,
    }
    assert channel["last_error"] == said.group(1) and channel["last_error_ms"] > 0

    bot.script = []
    assert _run(vault, failpoint="notify.sent").returncode == -9  # the answer came, the store never heard it
    assert f"notify {CHANNEL}: 1 queued, 1 sending, 1 posted, 0 uncertain" in _status(vault)
    assert _run(vault).returncode == 1  # the uncertain message is said, and the run fails for it
    assert f"notify {CHANNEL}: 0 queued, 2 posted, 1 uncertain" in _status(vault)


def _env(failpoint: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != FAILPOINT}
    env["NEWSVAULT_TELEGRAM_TOKEN"] = TOKEN
    return env | ({FAILPOINT: failpoint} if failpoint else {})


def _notify(vault: Path, *options: str) -> subprocess.CompletedProcess[str]:
    command = [NEWSVAULT, "--vault", str(vault), "notify", *options]
    return subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=300)


def _titles(bot: BotAPI) -> list[str]:
    return [t.split("\n")[1] for t in bot.texts()]


def _uncertain_ids(vault: Path) -> list[int]:
    (channel,) = json.loads(_status(vault, "--json"))["notify"]
    return [m["id"] for m in channel["uncertain_messages"]]


def _left_uncertain(vault: Path, server: LocalServer, titles: list[str]) -> int:
    """A run killed while sending the second of `titles`; the next run posts the rest: the id left uncertain."""
    _items(server, titles)
    assert _run(vault, failpoint="notify.sending:2").returncode == -9
    after = _run(vault)
    (left,) = _uncertain_ids(vault)
    assert after.returncode == 1 and f"#{left}" in after.stdout and "notify --resend ID" in after.stdout
    return left


def test_an_uncertain_message_is_resent_or_dropped_on_request(tmp_path: Path, server: LocalServer, bot: BotAPI) -> None:
    vault = _vault(tmp_path, server, bot, '["new"]')
    _ok(_run(vault))
    left = _left_uncertain(vault, server, ["一", "二", "三"])
    assert _titles(bot) == ["一", "三"]
    lines = _status(vault).splitlines()
    assert f"notify {CHANNEL}: 0 queued, 2 posted, 1 uncertain" in lines
    assert any(
        re.fullmatch(rf"    uncertain #{left} \(its send began [\d-]+ [\d:]+\): 【新文章】美国之音 二", x)
        for x in lines
    )

    # Wrong ids and states are one line each, and change nothing (the good id in the same call neither).
    posted = next(i for i in range(1, left + 3) if i != left and i not in _uncertain_ids(vault))
    wrong = _notify(vault, "--resend", str(left), "999", str(posted))
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    assert f"{CHANNEL}: #999: no message of {CHANNEL} has this id" in wrong.stdout
    assert f"{CHANNEL}: #{posted}: is posted: only an uncertain message can be resent" in wrong.stdout
    assert _uncertain_ids(vault) == [left] and len(bot.posted) == 2
    assert _notify(vault, "--resend").returncode == 2  # no ids: a usage error
    assert _notify(vault, "--resend", "--drop", str(left)).returncode == 2

    # The operator found it missing from the channel: sent now, once.
    out = _ok(_notify(vault, "--resend", str(left)))
    assert f"{CHANNEL}: 1 message(s) queued again: #{left}" in out and f"{CHANNEL}: 1 posted, 0 waiting" in out
    assert _titles(bot) == ["一", "三", "二"] and _outbox_counts(vault) == {"posted": 3}
    _ok(_run(vault))
    assert len(bot.posted) == 3

    # Found in the channel after all: given up, never sent, counted by `status`.
    left = _left_uncertain(vault, server, ["一", "二", "三", "四", "五"])
    assert _titles(bot)[3:] == ["四"]  # the second new one ("五") was left uncertain
    out = _ok(_notify(vault, "--drop", str(left)))
    assert f"{CHANNEL}: 1 message(s) dropped: #{left}" in out and "posted" not in out
    assert f"notify {CHANNEL}: 0 queued, 4 posted, 0 uncertain, 1 dropped" in _status(vault)
    _ok(_run(vault))
    assert "五" not in _titles(bot)
    again = _notify(vault, "--resend", str(left))
    assert again.returncode == 1 and f"#{left}: is dropped: only an uncertain message can be resent" in again.stdout

    # Every uncertain message at once.
    left = _left_uncertain(vault, server, ["一", "二", "三", "四", "五", "六", "七"])
    out = _ok(_notify(vault, "--resend-uncertain"))
    assert f"queued again: #{left}" in out and _titles(bot).count("七") == 1
    assert _outbox_counts(vault) == {"posted": 6, "dropped": 1}


def test_one_poster_at_a_time_across_processes(tmp_path: Path, server: LocalServer, bot: BotAPI) -> None:
    vault = _vault(tmp_path, server, bot, '["new"]')
    _ok(_run(vault))
    _items(server, ["一", "二", "三"])
    # The first run stops itself as it is about to send "一" (recorded as sending), holding the channel.
    first = subprocess.Popen(
        [NEWSVAULT, "--vault", str(vault), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env("notify.sending:1:stop"),
    )
    try:
        _pid, how = os.waitpid(first.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(how), how
        second = _run(vault)  # polls and stores, and leaves the posting to the first
        assert second.returncode == 0, second.stdout + second.stderr
        assert "another process is posting to the channel now" in second.stdout
        assert f"{CHANNEL}: 0 posted, 2 waiting" in second.stdout
        busy = _notify(vault, "--drop", "1")
        assert busy.returncode == 1 and "another process is posting to the channel now; nothing changed" in busy.stdout
        assert bot.posted == []
    finally:
        os.kill(first.pid, signal.SIGCONT)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out + err
    assert f"{CHANNEL}: 3 posted, 0 waiting" in out
    assert _titles(bot) == ["一", "二", "三"]  # each once: none taken as a killed run's, none sent by both
    assert _outbox_counts(vault) == {"posted": 3}


def test_an_article_a_worker_commits_under_an_id_already_scanned_is_announced(tmp_path: Path, pg_url: str) -> None:
    """On PostgreSQL a worker's transaction still open holds version ids below those another worker has
    committed: the scan's mark was the largest id, so its new article was never announced."""
    from newsvault.base.clock import now_ms
    from newsvault.notify import queue_events
    from newsvault.schedule.ingest import store_items
    from newsvault.schedule.reading import read_feed
    from newsvault.store import sources as store_sources

    lines = ["[store]", f'url = "{pg_url}"', "[notify.telegram]", "enabled = true", 'channel = "@newsvault_test"']
    lines += ['events = ["new"]', "[sources.a]", 'name = "A"', 'feed = "http://127.0.0.1:9/a.xml"']
    lines += ["[sources.b]", 'name = "B"', 'feed = "http://127.0.0.1:9/b.xml"']
    (tmp_path / "vault.toml").write_text("\n".join(lines) + "\n", "utf-8")
    config, engine = open_vault(tmp_path)

    def items(abbr: str, title: str) -> list:  # type: ignore[type-arg]
        feed = rss(rss_item(title, f"https://{abbr}.example/1", DATE, f"<p>{title}的正文</p>"))
        return read_feed(feed, {}, config.sources[abbr], now_ms()).items

    with engine.begin() as conn:
        for abbr, source in config.sources.items():
            store_sources.ensure(conn, abbr, source.name, source.feed)
    assert queue_events(engine, config) == 0  # the first scan only sets the marks
    with engine.connect() as held:
        with held.begin():  # the first worker's new article, inserted, not committed
            store_items(held, config.sources["a"], items("a", "甲"), now_ms())
            with engine.begin() as conn:  # the second worker's, committed
                store_items(conn, config.sources["b"], items("b", "乙"), now_ms())
            assert queue_events(engine, config) == 1
    assert queue_events(engine, config) == 1
    with engine.connect() as conn:
        queued = conn.execute(select(metadata.tables["notifications"].c.text)).scalars().all()
    assert sorted(text.split("\n")[0] for text in queued) == ["【新文章】A", "【新文章】B"]
    assert queue_events(engine, config) == 0
