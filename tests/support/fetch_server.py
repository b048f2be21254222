"""LocalServer plus the two behaviours fetch tests need that plain routes cannot give.

It counts requests in flight (to prove concurrency limits hold on the wire, not
just in our bookkeeping) and can cut a connection mid-body (to prove a reset is
retried and reported).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from tests.support.server import Hit, LocalServer


@dataclass
class _Cut:
    partial: bytes
    declared: int
    times: int


class FetchServer(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.active = 0
        self.peak = 0  # most requests in flight at once
        self._cuts: dict[str, _Cut] = {}

    def cut(self, path: str, partial: bytes, declared: int, times: int = 1_000_000) -> str:
        """Promise `declared` bytes, send `partial`, then drop the connection.

        After `times` such answers the path falls back to its normal route.
        """
        self._cuts[path] = _Cut(partial, declared, times)
        return self.url(path)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            cut = self._cuts.get(request.path)
            if cut is not None and cut.times > 0:
                cut.times -= 1
                return await self._cut(request, cut)
            return await super()._handle(request)
        finally:
            self.active -= 1

    async def _cut(self, request: web.Request, cut: _Cut) -> web.StreamResponse:
        self.hits.append(Hit(request.path, {k.lower(): v for k, v in request.headers.items()}))
        resp = web.StreamResponse(headers={"Content-Length": str(cut.declared)})
        await resp.prepare(request)
        await resp.write(cut.partial)
        assert request.transport is not None
        request.transport.close()
        return resp
