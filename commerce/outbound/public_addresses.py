"""Which IP addresses a partner webhook may be sent to: globally routable ones only.

An address is public when Python's `ipaddress` calls it global, it is not
multicast, and every IPv4 address it carries is public too. IPv6 has several
spellings that carry an IPv4 address and reach it: IPv4-mapped
(`::ffff:127.0.0.1`), IPv4-compatible (`::127.0.0.1`), NAT64 (`64:ff9b::/96`),
6to4 (`2002::/16`), Teredo (`2001::/32`, server and client) and IPv4-translated
(`::ffff:0:a.b.c.d`). The local-use NAT64 prefix `64:ff9b:1::/48` and any
address with a scope (`fe80::1%eth0`) are never public, nor the ranges IANA
lists as not globally reachable that older Pythons still call global
(`_NOT_GLOBAL`).
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

__all__ = ["is_public_address"]

_NAT64 = ip_network("64:ff9b::/96")
_LOCAL_NAT64 = ip_network("64:ff9b:1::/48")
_TRANSLATED = ip_network("::ffff:0:0:0/96")  # IPv4-translated (SIIT)
# IANA special-purpose ranges that are not globally reachable, missing from Python 3.11's `is_global`.
_NOT_GLOBAL = tuple(ip_network(n) for n in (
    "192.0.0.0/24",  # IETF protocol assignments (192.0.0.9 and .10 are global: refused all the same)
    "3fff::/20",  # documentation
    "5f00::/16",  # segment routing (SRv6) SIDs
    "100:0:0:1::/64",  # dummy prefix
))


def _listed_global(ip: IPv4Address | IPv6Address) -> bool:
    return ip.is_global and not any(ip.version == n.version and ip in n for n in _NOT_GLOBAL)


def _public_ipv4(ip: IPv4Address) -> bool:
    return _listed_global(ip) and not ip.is_multicast


def _carried_ipv4(ip: IPv6Address) -> list[IPv4Address]:
    """The IPv4 addresses an IPv6 address reaches through (none for a plain IPv6 address)."""
    low32 = IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if int(ip) >> 32 == 0 or ip in _NAT64 or ip in _TRANSLATED:  # IPv4-compatible (::a.b.c.d), NAT64, SIIT
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
    return _listed_global(ip)
