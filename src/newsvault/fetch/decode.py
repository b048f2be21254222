"""Undoing Content-Encoding with a hard ceiling on the output.

aiohttp's own decompression inflates whatever arrives, so a 10 KB gzip body
that expands to gigabytes would be allocated before anyone could look at its
size. Here every zlib call is given the room left under the ceiling as its
`max_length`, so a bomb is refused after producing at most one byte too many.
"""

from __future__ import annotations

import zlib

ACCEPT_ENCODING = "gzip, deflate"  # only what we can decode with a ceiling


class TooLarge(Exception):
    """Decoded output passed the ceiling."""


class BadEncoding(Exception):
    """The body is not valid for its Content-Encoding, or the encoding is unknown."""


class _Inflater:
    """One zlib layer (gzip or deflate) with its own output ceiling."""

    def __init__(self, gzip: bool, limit: int) -> None:
        self._gzip = gzip
        self._limit = limit
        self._produced = 0
        self._pending = b""  # deflate needs two bytes before it can tell zlib from raw
        self._obj: zlib._Decompress | None = None

    def _start(self, head: bytes) -> zlib._Decompress:
        if self._gzip:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)
        # HTTP "deflate" is meant to be zlib-wrapped, but many servers send raw
        # deflate; a zlib header is 0x?8 with the first two bytes a multiple of 31.
        wrapped = head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
        return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)

    def _take(self, out: bytes) -> bytes:
        self._produced += len(out)
        if self._produced > self._limit:
            raise TooLarge
        return out

    def feed(self, data: bytes) -> bytes:
        parts: list[bytes] = []
        data = self._pending + data
        self._pending = b""
        while data:
            if self._obj is None:
                if len(data) < 2:
                    self._pending = data
                    break
                self._obj = self._start(data)
            try:
                out = self._obj.decompress(data, self._limit - self._produced + 1)
            except zlib.error as exc:
                raise BadEncoding(f"corrupt {self._name} body ({exc})") from None
            parts.append(self._take(out))
            # Output within the room means the input was used up, except at the
            # end of a stream, where gzip may start another member (RFC 1952 allows
            # several) and deflate leaves trailing bytes we ignore.
            data = self._obj.unused_data if self._obj.eof and self._gzip else b""
            if data:
                self._obj = None
        return b"".join(parts)

    def finish(self) -> bytes:
        if self._obj is None:
            if self._pending:
                raise BadEncoding(f"truncated {self._name} body")
            return b""
        if not self._obj.eof:
            raise BadEncoding(f"truncated {self._name} body")
        return self._take(self._obj.flush(self._limit - self._produced + 1))

    @property
    def _name(self) -> str:
        return "gzip" if self._gzip else "deflate"


class Decoder:
    """Decodes a body chunk by chunk through every listed Content-Encoding.

    Each layer gets the same ceiling, so a gzip-of-gzip bomb is stopped in the
    inner layer as well as the outer one.
    """

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        names = [n.strip().lower() for n in (content_encoding or "").split(",")]
        self._layers: list[_Inflater] = []
        for name in reversed([n for n in names if n and n != "identity"]):
            if name in ("gzip", "x-gzip"):
                self._layers.append(_Inflater(True, limit))
            elif name == "deflate":
                self._layers.append(_Inflater(False, limit))
            else:
                raise BadEncoding(f"unsupported content encoding {name!r}")
        self._limit = limit
        self._produced = 0  # counted here too, for bodies with no encoding at all

    def feed(self, data: bytes) -> bytes:
        for layer in self._layers:
            data = layer.feed(data)
        return self._count(data)

    def finish(self) -> bytes:
        data = b""
        for layer in self._layers:
            data = layer.feed(data) + layer.finish()
        return self._count(data)

    def _count(self, data: bytes) -> bytes:
        self._produced += len(data)
        if self._produced > self._limit:
            raise TooLarge
        return data
