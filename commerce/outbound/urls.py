"""Where partner webhooks may be sent: https endpoints on public addresses.

A URL that names (or resolves to) a private, loopback, link-local or other
non-public address is refused, so a subscription cannot make the shop call
its own network. `allow_private` (SHOPGRAPH_WEBHOOKS_ALLOW_PRIVATE=1) lifts
both rules for tests and local development. The check runs when a
subscription is made and again before every delivery (a name may resolve
elsewhere later).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from commerce.errors import DomainError, UserErrorCode as Code

__all__ = ["UnsafeUrl", "check_webhook_url"]


class UnsafeUrl(Exception):
    pass


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def _addresses(host: str, port: int) -> list[str]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeUrl(f"{host} does not resolve ({error}).") from None
    return sorted({info[4][0] for info in infos})


async def check_webhook_url(url: str, allow_private: bool) -> str:
    """`url` if a webhook may be sent there; UnsafeUrl (with the reason) otherwise."""
    if len(url) > 2048:
        raise UnsafeUrl("The URL is longer than 2048 characters.")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeUrl("This is not a URL.") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeUrl("Use an https:// URL.")
    if parts.username or parts.password:
        raise UnsafeUrl("The URL must not carry credentials.")
    if allow_private:
        return url
    if parts.scheme != "https":
        raise UnsafeUrl("Use an https:// URL.")
    addresses = await _addresses(parts.hostname, port)
    if not addresses or not all(_public(a) for a in addresses):
        raise UnsafeUrl(f"{parts.hostname} resolves to an address that is not public.")
    return url


def invalid_url(error: UnsafeUrl) -> DomainError:
    return DomainError(Code.INVALID, str(error), ["url"])
