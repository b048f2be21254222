"""Posting the outbox to a Telegram channel through aiogram, within the Bot API's limits, each message once.

Each message is marked "sending" in the store before the API call and
"posted" after its answer. A run killed between the two leaves it "sending";
the next run calls it "uncertain" and does not send it again (the Bot API has
no way to ask whether it arrived): at most once, with the uncertain window
reported. A 429 was refused, so the message is sent again after `retry_after`;
a 5xx, a timeout or no connection ends this run's posting and the message
waits for the next run (a 5xx or a timeout after Telegram posted it is the one
way a message can appear twice: docs/NOTIFY.md).
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from newsvault.base.clock import now_ms
from newsvault.base.failpoints import failpoint
from newsvault.base.problems import Kind, Problem
from newsvault.config import Config
from newsvault.config.model import TelegramSettings
from newsvault.store import outbox

from .queue import alone, channel_key

if TYPE_CHECKING:
    from aiogram import Bot

# A retry_after longer than this ends the run's posting instead of holding the run (and its CI job) up.
LONGEST_WAIT = 60.0
# 429s in a row for one message before this run gives up on the channel.
MOST_RETRIES = 5


class Bucket:
    """A token bucket holding one token: requests at least 60/per_minute seconds apart, never a burst.

    Telegram counts messages per channel per minute; a bigger bucket would let a
    run start with a burst above the limit. `start_after` (a wall-clock time in
    ms) carries the spacing over from an earlier run.
    """

    def __init__(self, per_minute: int, start_after_ms: int | None = None) -> None:
        self.interval = 60.0 / per_minute
        self._next = time.monotonic()
        if start_after_ms is not None:
            self._next += max(0.0, (start_after_ms - now_ms()) / 1000 + self.interval)

    async def take(self) -> None:
        """Wait for the token; the next one comes an interval after this moment (not after the planned one)."""
        while (delay := self._next - time.monotonic()) > 0:
            await asyncio.sleep(delay)
        self._next = time.monotonic() + self.interval

    def hold(self, seconds: float) -> None:
        """No request for `seconds` (a 429's retry_after)."""
        self._next = max(self._next, time.monotonic() + seconds)


@dataclass
class NotifyReport:
    channel: str
    posted: int = 0
    waiting: int = 0  # still queued when the run ended
    uncertain: list[int] = field(default_factory=list)  # outbox ids a killed run left unconfirmed
    problems: list[Problem] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(p.failure for p in self.problems)


def post_queued(config: Config, engine: Engine) -> NotifyReport | None:
    """Post the channel's queued messages; None when [notify.telegram] is off. Never raises for Telegram.

    Only one process posts to a channel at a time (`outbox.posting`): a `run`
    and a worker's `notify` job finishing together would otherwise both send
    what each read as queued. The one that does not get the channel leaves its
    queue to the one posting, with a note.
    """
    settings = config.notify.telegram
    if not settings.enabled:
        return None
    channel = channel_key(settings)
    done = alone(engine, channel, lambda: asyncio.run(_post(engine, settings)))
    if isinstance(done, NotifyReport):
        return done
    busy = "another process is posting to the channel now: this one leaves the queue to it"
    return NotifyReport(channel=channel, waiting=done, problems=[Problem(Kind.NOTIFY_DEFERRED, busy, "telegram")])


def _redacted(exc: BaseException, token: str) -> str:
    """An error's words without the token (an URL in a network error would carry it)."""
    return f"{type(exc).__name__}: {exc}".replace(token, "***")


async def _post(engine: Engine, settings: TelegramSettings) -> NotifyReport:
    channel = channel_key(settings)
    report = NotifyReport(channel=channel)
    with engine.begin() as conn:
        report.uncertain = outbox.settle_interrupted(conn, channel)
        pending = outbox.waiting(conn, channel)
        last = outbox.last_attempt_ms(conn, channel)
    if report.uncertain:
        report.problems.append(_uncertain(report.uncertain))
    token = os.environ.get(settings.token_env, "")
    if not pending:
        return report
    if not token:
        report.waiting = len(pending)
        report.problems.append(
            Problem(Kind.NOTIFY, f"${settings.token_env} is not set: {len(pending)} message(s) wait", "telegram")
        )
        return report
    # aiogram is imported here, not with the module: it builds pydantic models for the whole Bot API on import
    # (3 s of CPU), which every `run` would pay, though most runs have nothing to post.
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.utils.token import TokenValidationError

    try:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.api_url), timeout=settings.timeout)
        bot = Bot(token, session=session)
    except TokenValidationError:
        report.waiting = len(pending)
        report.problems.append(Problem(Kind.NOTIFY, f"${settings.token_env} is not a bot token", "telegram"))
        return report
    try:
        bucket = Bucket(settings.per_minute, last)
        for done, message in enumerate(pending):
            problem = await _send(engine, bot, bucket, settings, message["id"], message["text"], token)
            if problem is not None:
                report.problems.append(problem)
                break
            report.posted = done + 1
    finally:
        await bot.session.close()
    report.waiting = len(pending) - report.posted
    return report


async def _send(
    engine: Engine, bot: Bot, bucket: Bucket, settings: TelegramSettings, notification_id: int, text: str, token: str
) -> Problem | None:
    """Post one message, waiting out 429s; a Problem when the channel cannot take more this run."""
    from aiogram.exceptions import (
        ClientDecodeError,
        TelegramAPIError,
        TelegramNetworkError,
        TelegramRetryAfter,
        TelegramServerError,
    )

    assert settings.channel is not None  # config.load refuses enabled without a channel
    for _ in range(MOST_RETRIES):
        await bucket.take()
        with engine.begin() as conn:
            outbox.sending(conn, notification_id, now_ms())
        failpoint("notify.sending")
        try:
            sent = await bot.send_message(chat_id=settings.channel, text=text)
        except TelegramRetryAfter as exc:
            with engine.begin() as conn:
                outbox.requeue(conn, notification_id, f"429: retry after {exc.retry_after} s")
            if exc.retry_after > LONGEST_WAIT:
                return _deferred(f"rate limited for {exc.retry_after} s")
            bucket.hold(exc.retry_after)
            continue
        except (TelegramServerError, TelegramNetworkError, ClientDecodeError) as exc:
            with engine.begin() as conn:
                outbox.requeue(conn, notification_id, _redacted(exc, token))
            return _deferred(_redacted(exc, token))
        except TelegramAPIError as exc:  # 400, 401, 403, 404: the token or the channel is wrong
            with engine.begin() as conn:
                outbox.requeue(conn, notification_id, _redacted(exc, token))
            return Problem(Kind.NOTIFY, f"refused: {_redacted(exc, token)}", "telegram")
        failpoint("notify.sent")
        with engine.begin() as conn:
            outbox.posted(conn, notification_id, sent.message_id, now_ms())
        failpoint("notify.posted")
        return None
    return _deferred(f"rate limited {MOST_RETRIES} times in a row")


def _uncertain(ids: list[int]) -> Problem:
    """What a poster says of the messages a killed one left "sending": the operator checks the channel for them."""
    listed = " ".join(f"#{i}" for i in ids)
    return Problem(
        Kind.NOTIFY,
        f"{len(ids)} message(s) may or may not have been posted (a run stopped while sending them): {listed}; "
        "not sent again: check the channel, then `notify --resend ID` or `notify --drop ID`",
        "telegram",
    )


def _deferred(why: str) -> Problem:
    return Problem(Kind.NOTIFY_DEFERRED, f"{why}; the rest wait for the next run", "telegram")
