"""Shared, pooled HTTP clients: one per event loop (and per connection setup).

Opening TLS connections is the expensive part of an HTTP call, so every model
that connects the same way on the same event loop shares one ``httpx2``
client and its keep-alive pool. Clients are per loop because connections
belong to the loop that opened them.
"""

from __future__ import annotations

import asyncio
import math
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmkit.errors import UsageError

if TYPE_CHECKING:
    import httpx2

__all__ = ["ConnectionOptions", "PoolLimits", "Timeouts", "aclose_clients", "shared_client"]


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Time limits for a model call, in seconds (None: no limit).

    ``connect``, ``read`` (the longest silence between two received chunks)
    and ``write`` apply to each HTTP attempt. ``pool`` bounds the wait for a
    free connection; by default there is none, so a burst of calls queues
    rather than fails. ``total`` bounds a whole non-streamed call, retries
    included, and the wait for the first byte of a streamed one.
    """

    connect: float | None = 10.0
    read: float | None = 600.0
    write: float | None = 60.0
    pool: float | None = None
    total: float | None = None

    def __post_init__(self) -> None:
        for name in ("connect", "read", "write", "pool", "total"):
            value = getattr(self, name)
            if value is not None and not _positive_seconds(value):
                raise UsageError(
                    f"Timeouts({name}=...) takes a positive number of seconds or None (no "
                    f"limit), not {value!r}."
                )

    @classmethod
    def of(cls, value: Timeouts | float | None) -> Timeouts:
        """Accept a :class:`Timeouts`, a number of seconds (total and read), or None (defaults)."""
        if value is None:
            return cls()
        if isinstance(value, Timeouts):
            return value
        if not _positive_seconds(value):
            raise UsageError(
                f"timeout must be a positive number of seconds or Timeouts(...), not {value!r} "
                "(for no limit use Timeouts(read=None, total=None))."
            )
        seconds = float(value)
        return cls(connect=min(10.0, seconds), read=seconds, total=seconds)


def _positive_seconds(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


@dataclass(frozen=True, slots=True)
class PoolLimits:
    """Connection-pool sizes. The defaults let 1,000 concurrent calls queue for 100 connections."""

    max_connections: int | None = 100
    max_keepalive_connections: int | None = 100
    keepalive_expiry: float | None = 30.0


@dataclass(frozen=True, slots=True)
class ConnectionOptions:
    """Everything that decides which shared client a model uses."""

    limits: PoolLimits = PoolLimits()
    proxy: str | None = None
    verify: bool | str = True
    http2: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.limits, PoolLimits):
            raise UsageError(
                "limits= takes a PoolLimits, e.g. PoolLimits(max_connections=20), not "
                f"{type(self.limits).__name__}."
            )
        if self.proxy is not None and not isinstance(self.proxy, str):
            raise UsageError(
                "proxy= takes a proxy URL string such as 'http://proxy.local:3128', not "
                f"{type(self.proxy).__name__}."
            )


_clients: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[ConnectionOptions, httpx2.AsyncClient]
] = weakref.WeakKeyDictionary()


def shared_client(options: ConnectionOptions) -> httpx2.AsyncClient:
    """The pooled client for ``options`` on the running event loop, created on first use."""
    loop = asyncio.get_running_loop()
    per_loop = _clients.get(loop)
    if per_loop is None:
        per_loop = _clients[loop] = {}
    client = per_loop.get(options)
    if client is None or client.is_closed:
        client = per_loop[options] = _new_client(options)
    return client


def _new_client(options: ConnectionOptions) -> httpx2.AsyncClient:
    import httpx2

    limits = options.limits
    return httpx2.AsyncClient(
        limits=httpx2.Limits(
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
        ),
        proxy=options.proxy,
        verify=options.verify,
        http2=options.http2,
        follow_redirects=False,
    )


async def aclose_clients() -> None:
    """Close the shared clients of the running event loop (they are re-created on next use)."""
    loop = asyncio.get_running_loop()
    per_loop = _clients.pop(loop, {})
    for client in per_loop.values():
        await client.aclose()
