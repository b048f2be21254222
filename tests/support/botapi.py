"""A local Telegram Bot API server on 127.0.0.1: `/bot<token>/sendMessage`, and the ways the real one fails.

The poster reaches it through aiogram's base-URL setting ([notify.telegram]
api_url). A test scripts what the next requests get: an answer, a 429 with
`retry_after`, a 5xx (JSON, or a proxy's HTML page), or no answer before the
client's timeout. Only answered requests post a message; the test reads what
the channel holds (`posted`), in order, with the time each arrived.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiohttp import web

from tests.support.server import Hit, LocalServer

CHANNEL_ID = -1001234567890


@dataclass(frozen=True)
class Posted:
    chat_id: str
    text: str
    at: float  # time.monotonic() when it arrived
    message_id: int


class BotAPI(LocalServer):
    """Scripted answers: each request takes the next of `script` ("ok" once it is empty).

    "429:N" (retry after N s), "500" (a JSON error naming the requested path, as a
    careless proxy might), "502-html", "timeout:S" (hold S seconds, then drop it).
    """

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.script: list[str] = []
        self.posted: list[Posted] = []
        self.requests = 0

    def texts(self) -> list[str]:
        return [p.text for p in self.posted]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(Hit(request.path, {}))
        self.requests += 1
        if request.path != f"/bot{self.token}/sendMessage":
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        form = await request.post()
        answer = self.script.pop(0) if self.script else "ok"
        kind, _, value = answer.partition(":")
        if kind == "429":
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {value}",
                    "parameters": {"retry_after": int(value)},
                },
                status=429,
            )
        if kind == "500":
            described = f"Internal Server Error at {request.path}"
            return web.json_response({"ok": False, "error_code": 500, "description": described}, status=500)
        if kind == "502-html":
            return web.Response(status=502, text="<html><body>502 Bad Gateway</body></html>", content_type="text/html")
        if kind == "timeout":
            await asyncio.sleep(float(value))
            return web.Response(status=504)
        posted = Posted(str(form["chat_id"]), str(form["text"]), time.monotonic(), len(self.posted) + 1)
        self.posted.append(posted)
        result = {
            "message_id": posted.message_id,
            "date": int(time.time()),
            "chat": {"id": CHANNEL_ID, "type": "channel", "title": "newsvault test"},
            "text": posted.text,
        }
        return web.json_response({"ok": True, "result": result})
