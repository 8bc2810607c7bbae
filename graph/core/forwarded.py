"""Who is at the other end of a request: the TCP peer, or the client a trusted proxy names.

The TCP peer is the client unless it is one of the trusted proxies
(`SHOPGRAPH_TRUSTED_PROXIES`, CIDRs; none by default). A trusted proxy appends
the address it saw to `X-Forwarded-For`, so the client is the right-most entry
that is not itself a trusted proxy; everything to its left was written by the
client and is never believed. An entry that is not an IP address (garbage, or
`unknown`) ends the walk: the peer is used.

Throttles count an IPv6 client by its /64 (`counted_as`): one subscriber is
given a whole /64 and can pick any address in it for each request.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

__all__ = ["IPNetwork", "parse_networks", "client_address", "counted_as"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_HOPS = 32  # entries read from the right; a longer chain is cut there


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """`10.0.0.0/8, 2001:db8::/32` → networks; ValueError names an entry that is not one."""
    networks = []
    for entry in filter(None, (part.strip() for part in text.split(","))):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"SHOPGRAPH_TRUSTED_PROXIES: {entry!r} is not an address or CIDR range") from None
    return tuple(networks)


def _address(text: str) -> IPAddress | None:
    """An entry of `X-Forwarded-For` (bare, `[v6]:port` or `v4:port`) as an address, or None."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1:text.index("]")]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


def _trusted(address: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_address(peer: str | None, forwarded_for: Iterable[str], trusted: Sequence[IPNetwork]) -> str:
    """The client's address, from the TCP `peer` and the `X-Forwarded-For` header values."""
    peer_address = _address(peer or "")
    if peer_address is None:
        return peer or "unknown"
    if not trusted or not _trusted(peer_address, trusted):
        return str(peer_address)
    entries = ",".join(forwarded_for).split(",")[-MAX_HOPS:]
    nearest = peer_address
    for entry in reversed(entries):
        if not entry.strip():
            continue
        address = _address(entry)
        if address is None:
            return str(peer_address)
        if not _trusted(address, trusted):
            return str(address)
        nearest = address
    return str(nearest)  # a chain of trusted proxies only: the farthest of them


def counted_as(address: str) -> str:
    """What a throttle counts for a client `address`: an IPv4 address itself, an IPv6 one its /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    return str(ipaddress.ip_network((ip, 64), strict=False))
