"""The demo's feeds and pages on 127.0.0.1: fixed bodies, nothing else.

The standard library's threading HTTP server, so the demo needs no server of
its own making: a path answers its body with its content type, any other path
404. (The tests' server, with sequences, delays and held requests, is in
tests/support/server.py.)
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class DemoServer:
    """Serves fixed routes on 127.0.0.1 while in a `with` block."""

    def __init__(self, port: int = 0) -> None:
        """Listen on `port` (0: any free port); OSError when it is taken."""
        self.routes: dict[str, tuple[bytes, str]] = {}
        self._http = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.port: int = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def set(self, path: str, body: bytes | str, content_type: str) -> str:
        """Answer `path` with this body from now on; returns its URL."""
        self.routes[path] = (body.encode("utf-8") if isinstance(body, str) else body, content_type)
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> DemoServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(10)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        routes = self.routes

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found = routes.get(urlsplit(self.path).path)
                body, content_type = found or (b"not found", "text/plain; charset=utf-8")
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Silent: the demo prints its own lines."""

        return Handler
