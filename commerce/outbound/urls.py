"""Where partner webhooks may be sent: https endpoints on public addresses.

A URL's host is resolved once per attempt (`resolve_target`); every address
it resolves to must be public (`public_addresses`), and the delivery then
connects to one of those very addresses, so a name that resolves elsewhere a
moment later (DNS rebinding) changes nothing. The check runs when a
subscription is made and again at every attempt. IPv4 literals in legacy
spellings (`2130706433`, `0x7f000001`, `127.1`) are read as the address they
name. `allow_private` (SHOPGRAPH_WEBHOOKS_ALLOW_PRIVATE=1) allows http:// and
private addresses for tests and local development; the host is still
resolved once and that address is used.

The resolver runs `getaddrinfo` on a few threads of its own, so a slow DNS
server cannot take the threads other work needs. `set_resolver` replaces it
(tests).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import httpx

from commerce.errors import DomainError, UserErrorCode as Code
from commerce.outbound.public_addresses import is_public_address

__all__ = ["UnsafeUrl", "WebhookTarget", "Resolver", "set_resolver", "resolve_target", "check_webhook_url",
           "invalid_url"]

Resolver = Callable[[str, int], Awaitable[list[str]]]
_DNS_THREADS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


class UnsafeUrl(Exception):
    pass


@dataclass(frozen=True)
class WebhookTarget:
    """A webhook URL with the checked addresses a delivery may connect to, in order."""

    url: httpx.URL
    addresses: tuple[str, ...]

    @property
    def hostname(self) -> str:
        """The host as sent in `Host` and TLS SNI (IDNA-encoded)."""
        return self.url.raw_host.decode("ascii")


async def system_resolver(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    lookup = partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    infos = await loop.run_in_executor(_DNS_THREADS, lookup)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


_resolver: Resolver = system_resolver


def set_resolver(resolver: Resolver | None) -> None:
    """Resolve webhook hosts with `resolver` (None: the system's)."""
    global _resolver
    _resolver = resolver or system_resolver


def _literal(host: str) -> str | None:
    """The address a host names by itself: an IP literal, or a legacy IPv4 spelling."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except OSError:
        return None


def _parse(url: str, allow_private: bool) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise UnsafeUrl("This is not a URL.") from None
    allowed = ("https", "http") if allow_private else ("https",)
    if parsed.scheme not in allowed or not parsed.host:
        raise UnsafeUrl("Use an https:// URL.")
    if parsed.userinfo:
        raise UnsafeUrl("The URL must not carry credentials.")
    return parsed


async def _addresses(host: str, port: int) -> list[str]:
    literal = _literal(host)
    if literal is not None:
        return [literal]
    try:
        return await _resolver(host, port)
    except (OSError, UnicodeError) as error:
        raise UnsafeUrl(f"{host} does not resolve ({error}).") from None


async def resolve_target(url: str, allow_private: bool) -> WebhookTarget:
    """The URL and the addresses to connect to; UnsafeUrl (with the reason) when it may not be used."""
    if len(url) > 2048:
        raise UnsafeUrl("The URL is longer than 2048 characters.")
    parsed = _parse(url, allow_private)
    host = parsed.raw_host.decode("ascii")
    addresses = await _addresses(host, parsed.port or (443 if parsed.scheme == "https" else 80))
    if not addresses:
        raise UnsafeUrl(f"{host} does not resolve.")
    if not allow_private and not all(is_public_address(a) for a in addresses):
        raise UnsafeUrl(f"{host} resolves to an address that is not public.")
    return WebhookTarget(parsed, tuple(addresses))


async def check_webhook_url(url: str, allow_private: bool) -> str:
    """`url` if a webhook may be sent there; UnsafeUrl (with the reason) otherwise."""
    await resolve_target(url, allow_private)
    return url


def invalid_url(error: UnsafeUrl) -> DomainError:
    return DomainError(Code.INVALID, str(error), ["url"])
