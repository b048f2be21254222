"""A local Save Page Now 2 server on 127.0.0.1: `POST /save`, `GET /save/status/<job>`, and the ways SPN2 fails.

The witness client reaches it through [witness.wayback] api_url. A test scripts
what the next requests get ("ok" once the script is empty): "429:N" (Retry-After
N seconds), "500", "timeout:S" (hold S seconds, then drop it), "error" (SPN2's
200 with status "error"). A job answers "pending" to its first `pending_polls`
status requests, then "success". Requests without the expected keys get 401.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import web

from tests.support.server import Hit, LocalServer

TIMESTAMP = "20261205154500"


@dataclass
class Job:
    url: str
    polls: int = 0


class SPN2(LocalServer):
    def __init__(self, access: str, secret: str, pending_polls: int = 1) -> None:
        super().__init__()
        self.access, self.secret = access, secret  # for the environment of the processes under test
        self.authorization = f"LOW {access}:{secret}"
        self.script: list[str] = []
        self.jobs: dict[str, Job] = {}
        self.pending_polls = pending_polls
        self.requests = 0

    def submitted(self) -> list[str]:
        return [job.url for job in self.jobs.values()]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.hits.append(Hit(request.path, dict(request.headers)))
        self.requests += 1
        if request.headers.get("Authorization") != self.authorization:
            return web.json_response({"message": "You need to be logged in to use Save Page Now."}, status=401)
        answer = self.script.pop(0) if self.script else "ok"
        kind, _, value = answer.partition(":")
        if kind == "429":
            return web.Response(status=429, text="Too Many Requests", headers={"Retry-After": value})
        if kind == "500":
            return web.Response(status=500, text="<html>Internal Server Error</html>", content_type="text/html")
        if kind == "timeout":
            await asyncio.sleep(float(value))
            return web.Response(status=504)
        if kind == "error":
            return web.json_response(
                {"status": "error", "status_ext": "error:blocked-url", "message": "This URL is excluded."}
            )
        if request.method == "POST" and request.path == "/save":
            form = await request.post()
            job_id = f"spn2-{len(self.jobs) + 1:040x}"
            self.jobs[job_id] = Job(str(form["url"]))
            return web.json_response({"url": str(form["url"]), "job_id": job_id})
        prefix = "/save/status/"
        job_id = request.path[len(prefix) :]
        if request.method == "GET" and request.path.startswith(prefix) and job_id in self.jobs:
            job = self.jobs[job_id]
            job.polls += 1
            if job.polls <= self.pending_polls:
                return web.json_response({"status": "pending"})
            return web.json_response(
                {"status": "success", "timestamp": TIMESTAMP, "original_url": job.url, "job_id": job_id}
            )
        return web.json_response({"status": "error", "status_ext": "error:not-found", "message": "?"}, status=404)
