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

The resolver runs `getaddrinfo` on threads of its own (`DNS_THREADS`), so a
slow DNS server cannot take the threads other work needs. A lookup cannot be
cut short: it holds its thread until the system resolver gives up, after the
attempt's deadline. So a host still being looked up is not looked up again
(the new attempt waits for the same answer), and one partner's slow names hold
one thread each, leaving the others for every other partner. `set_resolver`
replaces it (tests).
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
DNS_THREADS = 64  # lookups at once; each distinct slow name holds one until its resolver gives up
_DNS_POOL = ThreadPoolExecutor(max_workers=DNS_THREADS, thread_name_prefix="webhook-dns")
_looking_up: dict[tuple[str, int], asyncio.Future[list[tuple]]] = {}  # lookups still on a thread


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


def _looked_up(key: tuple[str, int], done: asyncio.Future[list[tuple]]) -> None:
    if _looking_up.get(key) is done:
        del _looking_up[key]
    if not done.cancelled():
        done.exception()  # read, so a lookup every attempt gave up on is not reported as unread


async def system_resolver(host: str, port: int) -> list[str]:
    """`getaddrinfo` on a DNS thread; joins a lookup of the same host still running."""
    loop = asyncio.get_running_loop()
    running = _looking_up.get((host, port))
    if running is None or running.get_loop() is not loop:
        lookup = partial(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
        running = _looking_up[(host, port)] = loop.run_in_executor(_DNS_POOL, lookup)
        running.add_done_callback(partial(_looked_up, (host, port)))
    infos = await asyncio.shield(running)  # an attempt ending early leaves the lookup to the others
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
