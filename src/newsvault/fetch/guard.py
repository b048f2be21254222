"""Refusing non-public addresses for URLs we did not choose ourselves.

Article pages and images name URLs chosen by whoever wrote the feed; fetching
them blindly would let a feed make us probe the machine or network we run on
(routers, cloud metadata at 169.254.169.254, local admin pages). The check
lives in the connector's resolver, so it judges exactly the addresses aiohttp
is about to connect to: resolving once to check and again to connect would let
a DNS answer change in between.
"""

from __future__ import annotations

import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver


class BlockedAddress(OSError):
    """Raised before connecting; an OSError so aiohttp passes it through as the cause."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} is a non-public address ({address})")
        self.host = host
        self.address = address


def is_public(address: str) -> bool:
    """False for loopback, private, link-local, unique-local, shared, reserved and multicast.

    `is_global` already excludes every special-purpose range, including IPv4
    addresses mapped into IPv6 (::ffff:10.0.0.1); multicast is excluded on top
    because some multicast ranges count as global.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    return ip.is_global and not ip.is_multicast


def literal_address(host: str) -> str | None:
    """The host itself if it is an IP literal, since aiohttp never resolves those."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def check_literal(host: str) -> None:
    """Refuse a non-public IP literal; hostnames are left to GuardedResolver."""
    address = literal_address(host)
    if address is not None and not is_public(address):
        raise BlockedAddress(host, address)


class GuardedResolver(AbstractResolver):
    """Resolves like the default resolver, then drops non-public addresses.

    Dropping rather than refusing outright lets a host with both a public and a
    private record still be reached on the public one; only a host with nothing
    public left is refused.
    """

    def __init__(self) -> None:
        self._inner = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        public = [r for r in results if is_public(r["host"])]
        if not public:
            raise BlockedAddress(host, results[0]["host"] if results else "no address")
        return public

    async def close(self) -> None:
        await self._inner.close()
