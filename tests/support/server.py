"""A real HTTP server on 127.0.0.1 for the tests (and the benchmarks).

Tests set what each path answers, run the code under test against it, and read
back what was requested. It runs aiohttp's server in a thread with its own event
loop so synchronous tests (and the CLI in-process) can use it too.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the headers are sent
    drip: float | None = None  # seconds between single body bytes (slow-drip)
    hits: int = 0


@dataclass
class Hit:
    path: str
    headers: dict[str, str]


@dataclass
class Hold:
    """Requests past the first ``passes`` wait until released: a client is caught mid-run on any machine."""

    passes: int
    under: str  # only requests whose path starts with this are counted and held
    reached: threading.Event = field(default_factory=threading.Event)  # a request is being held
    released: threading.Event = field(default_factory=threading.Event)


class LocalServer:
    """Serves configured routes on 127.0.0.1 on a free port."""

    def __init__(self, port: int = 0) -> None:
        self.routes: dict[str, Route | list[Route]] = {}
        self.hits: list[Hit] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = port  # 0: any free port
        self._hold: Hold | None = None

    # -- configuration -------------------------------------------------
    def set(
        self,
        path: str,
        body: bytes | str = b"",
        status: int = 200,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        drip: float | None = None,
    ) -> str:
        """Answer `path` with this response from now on; returns its URL."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.routes[path] = Route(body, status, dict(headers or {}), delay, drip)
        return self.url(path)

    def sequence(self, path: str, responses: list[Route]) -> str:
        """Answer `path` with each response in turn, repeating the last one."""
        self.routes[path] = list(responses)
        return self.url(path)

    def hold_after(self, passes: int, under: str = "/") -> Hold:
        """Answer ``passes`` more requests under path ``under``, then hold every later one until ``release()``.

        Crash tests kill a run while it waits on a held request (``Hold.reached``),
        so the kill cannot come too late however fast the machine is. ``under``
        picks one kind of request (the feeds, the article pages) to catch it at.
        """
        self._hold = Hold(passes, under)
        return self._hold

    def release(self) -> None:
        """Let held requests go on and stop holding."""
        if self._hold is not None:
            self._hold.released.set()
            self._hold = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def count(self, path: str) -> int:
        return sum(1 for h in self.hits if h.path == path)

    # -- lifecycle -------------------------------------------------------
    def start(self) -> LocalServer:
        if self._thread.is_alive():
            return self
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        except BaseException:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            raise
        return self

    def stop(self) -> None:
        self.release()  # a held request would keep the server's cleanup waiting
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]  # the one site's socket: the port the OS chose for port 0

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path_qs if request.path_qs in self.routes else request.path
        self.hits.append(Hit(path, {k.lower(): v for k, v in request.headers.items()}))
        hold = self._hold
        if hold is not None and path.startswith(hold.under):
            if hold.passes > 0:
                hold.passes -= 1
            else:
                hold.reached.set()
                while not hold.released.is_set():  # the test thread releases it; this loop is the server's own
                    await asyncio.sleep(0.01)
        entry = self.routes.get(path)
        if entry is None:
            return web.Response(status=404, text="not found")
        if isinstance(entry, list):
            route = entry.pop(0) if len(entry) > 1 else entry[0]
        else:
            route = entry
        route.hits += 1
        if route.delay:
            await asyncio.sleep(route.delay)
        if route.drip is None:
            return web.Response(body=route.body, status=route.status, headers=route.headers)
        resp = web.StreamResponse(status=route.status, headers=route.headers)
        await resp.prepare(request)
        for i in range(len(route.body)):
            await resp.write(route.body[i : i + 1])
            await asyncio.sleep(route.drip)
        await resp.write_eof()
        return resp
