"""Which IP addresses are public: an explicit table, the same verdict on every Python.

Python's ``ipaddress`` answers ``is_global`` from tables that change between
releases (3.11 calls ``fec0::/10``, ``3fff::/20`` and ``5f00::/16`` global; 3.13
knows more of the IANA registry, and still not all of it). Tools decide here
instead, from IANA's IPv4 and IPv6 Special-Purpose Address Registries
(``iana-ipv4-special-registry``, ``iana-ipv6-special-registry``, checked
2026-11-23) and the IPv6 Address Space registry.

What always holds: an IPv4 address is public unless a block below holds it
(the registry's blocks that are not globally reachable, plus multicast and the
reserved ``240.0.0.0/4``); an IPv6 address is public only inside ``2000::/3``,
the one block IANA allocates for global unicast, and outside the registry's
blocks there that are not globally reachable. An IPv6 address that carries an
IPv4 address (mapped, compatible, translated, NAT64, 6to4) is judged by that
IPv4 address alone; Teredo, in the IETF protocol block, is never public.
Anycast service addresses (PCP, TURN, DNS-SD SRP) are not public either,
although the registries call them globally reachable: the nearest such server
is often the local router.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import TypeAlias

__all__ = ["Address", "carried_ipv4", "public", "same_host_ipv4"]

Address: TypeAlias = "IPv4Address | IPv6Address"

_V4_NOT_PUBLIC = tuple(
    IPv4Network(block)
    for block in (
        "0.0.0.0/8",  # "this network" [RFC 791]
        "10.0.0.0/8",  # private use [RFC 1918]
        "100.64.0.0/10",  # shared address space, carrier-grade NAT [RFC 6598]
        "127.0.0.0/8",  # loopback [RFC 1122]
        "169.254.0.0/16",  # link local, cloud metadata services [RFC 3927]
        "172.16.0.0/12",  # private use [RFC 1918]
        "192.0.0.0/24",  # IETF protocol assignments, its anycast ones included [RFC 6890]
        "192.0.2.0/24",  # documentation, TEST-NET-1 [RFC 5737]
        "192.88.99.0/24",  # deprecated 6to4 relay anycast [RFC 7526]
        "192.168.0.0/16",  # private use [RFC 1918]
        "198.18.0.0/15",  # benchmarking [RFC 2544]
        "198.51.100.0/24",  # documentation, TEST-NET-2 [RFC 5737]
        "203.0.113.0/24",  # documentation, TEST-NET-3 [RFC 5737]
        "224.0.0.0/4",  # multicast [RFC 5771]
        "240.0.0.0/4",  # reserved, and 255.255.255.255 limited broadcast [RFC 1112, RFC 919]
    )
)

_V6_GLOBAL_UNICAST = IPv6Network("2000::/3")
"""Outside it: loopback, unspecified, mapped, 64:ff9b:1::/48, 100::/64, 5f00::/16 (segment
routing, RFC 9602), fc00::/7, fe80::/10, fec0::/10 (site local, RFC 3879), ff00::/8 and
the blocks IANA holds in reserve."""

_V6_NOT_PUBLIC = tuple(
    IPv6Network(block)
    for block in (
        "2001::/23",  # IETF protocol assignments: Teredo, benchmarking, ORCHID … [RFC 2928]
        "2001:db8::/32",  # documentation [RFC 3849]
        "3fff::/20",  # documentation [RFC 9637]
    )
)
# Inside 2001::/23, blocks the registry calls globally reachable (not the anycast ones).
_V6_PUBLIC_INSIDE = tuple(
    IPv6Network(block)
    for block in (
        "2001:3::/32",  # AMT [RFC 7450]
        "2001:4:112::/48",  # AS112-v6 [RFC 7535]
        "2001:20::/28",  # ORCHIDv2 [RFC 7343]
        "2001:30::/28",  # drone remote ID [RFC 9374]
    )
)

# IPv6 addresses that stand for an IPv4 address held in their last 32 bits: the local
# stack connects to that IPv4 address itself (mapped, compatible) ...
_SAME_HOST = (IPv6Network("::ffff:0:0/96"), IPv6Network("::/96"))
# ... or a translator on the way does (SIIT's IPv4-translated, NAT64's well-known prefix).
_TRANSLATED = (IPv6Network("::ffff:0:0:0/96"), IPv6Network("64:ff9b::/96"))
_TEREDO = IPv6Network("2001::/32")


def same_host_ipv4(address: Address) -> IPv4Address | None:
    """The IPv4 address the local stack connects to for a mapped or compatible IPv6 address."""
    if isinstance(address, IPv6Address) and any(address in net for net in _SAME_HOST):
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def carried_ipv4(address: Address) -> list[IPv4Address]:
    """The IPv4 addresses an IPv6 address embeds (mapped, compatible, NAT64, 6to4, Teredo)."""
    if isinstance(address, IPv4Address):
        return []
    if any(address in net for net in (*_SAME_HOST, *_TRANSLATED)):
        return [IPv4Address(int(address) & 0xFFFFFFFF)]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)  # the Teredo server and the client
    return []


def public(address: Address) -> bool:
    """Whether ``address`` is globally reachable unicast (see the module's docstring)."""
    if isinstance(address, IPv4Address):
        return not any(address in net for net in _V4_NOT_PUBLIC)
    carried = carried_ipv4(address)
    if carried and address not in _TEREDO:
        return all(public(v4) for v4 in carried)
    if address not in _V6_GLOBAL_UNICAST:
        return False
    if any(address in net for net in _V6_NOT_PUBLIC):
        return any(address in net for net in _V6_PUBLIC_INSIDE)
    return True
