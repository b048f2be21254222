"""A server on 127.0.0.1 that answers with exactly the bytes it is given.

aiohttp's server (LocalServer) will not send what a hostile server sends: a
reason phrase holding ESC and BEL, a Content-Length shorter than the body, a
malformed status line. This one reads a request's head, looks its path up and
writes the stored bytes as they are, then closes the connection.
"""

from __future__ import annotations

import socket
import threading


class RawServer:
    def __init__(self) -> None:
        self.answers: dict[str, bytes] = {}
        self.hits: list[str] = []
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def set(self, path: str, answer: bytes) -> str:
        """Answer `path` with `answer` (status line, headers and body); returns its URL."""
        self.answers[path] = answer
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._socket.close()
        self._thread.join(5)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._socket.accept()
            except OSError:  # closed by __exit__
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            head = b""
            try:
                while b"\r\n\r\n" not in head and len(head) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    head += chunk
                parts = head.split(b" ", 2)
                path = parts[1].decode("latin-1") if len(parts) > 1 else ""
                self.hits.append(path)
                conn.sendall(self.answers.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))
            except OSError:
                return
