"""Which IP addresses a partner webhook may be sent to: globally routable ones only.

An address is public when Python's `ipaddress` calls it global, it is not
multicast, and every IPv4 address it carries is public too. IPv6 has several
spellings that carry an IPv4 address and reach it: IPv4-mapped
(`::ffff:127.0.0.1`), IPv4-compatible (`::127.0.0.1`), NAT64 (`64:ff9b::/96`),
6to4 (`2002::/16`) and Teredo (`2001::/32`, server and client). The local-use
NAT64 prefix `64:ff9b:1::/48` and any address with a scope (`fe80::1%eth0`)
are never public.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

__all__ = ["is_public_address"]

_NAT64 = ip_network("64:ff9b::/96")
_LOCAL_NAT64 = ip_network("64:ff9b:1::/48")


def _public_ipv4(ip: IPv4Address) -> bool:
    return ip.is_global and not ip.is_multicast


def _carried_ipv4(ip: IPv6Address) -> list[IPv4Address]:
    """The IPv4 addresses an IPv6 address reaches through (none for a plain IPv6 address)."""
    low32 = IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if int(ip) >> 32 == 0 or ip in _NAT64:  # IPv4-compatible (::a.b.c.d), NAT64
        return [low32]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    return []


def is_public_address(address: str) -> bool:
    """True when `address` (as `getaddrinfo` or a URL gives it) is globally routable in every reading."""
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, IPv4Address):
        return _public_ipv4(ip)
    if ip.scope_id or ip in _LOCAL_NAT64 or ip.is_multicast or ip.is_site_local:
        return False
    carried = _carried_ipv4(ip)
    if carried:
        return all(_public_ipv4(v4) for v4 in carried)
    return ip.is_global
