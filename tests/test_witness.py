"""The Save Page Now 2 client (issue 17, third-party witnesses) against a real local SPN2 server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import aiohttp
import pytest

from newsvault.config import ConfigError, load
from newsvault.config.model import WaybackSettings
from newsvault.notify import wayback
from newsvault.notify.wayback import Answer, Credentials, State
from tests.support.spn2 import SPN2, TIMESTAMP
from tests.vaults import write_vault

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
