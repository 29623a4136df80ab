"""The options of a model's connections: time limits, pool sizes, proxy, certificates, transport.

Plain frozen data, checked when built: a bad value is a :class:`UsageError`
that says what to pass. Equal options share one pool of connections per
event loop (:mod:`llmkit.http._pool`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from llmkit.errors import UsageError
from llmkit.http._tls import check_verify

__all__ = [
    "DEFAULT_TRANSPORT",
    "TRANSPORTS",
    "TRANSPORT_ENV",
    "ConnectionOptions",
    "PoolLimits",
    "Timeouts",
    "check_transport",
]

TRANSPORTS: tuple[str, ...] = ("aiohttp", "httpx2")
"""The transports there are, by the name ``transport=`` takes."""

DEFAULT_TRANSPORT = "aiohttp"
"""The transport a model gets when neither ``transport=`` nor the environment says."""

TRANSPORT_ENV = "LLMKIT_TRANSPORT"
"""The environment variable that picks the transport of every model that does not pick one."""


def check_transport(name: object, *, where: str = "transport=") -> str:
    """``name`` if it names a transport, else a :class:`UsageError` listing them."""
    if isinstance(name, str) and name in TRANSPORTS:
        return name
    choices = ", ".join(repr(t) for t in TRANSPORTS)
    raise UsageError(
        f"{where} takes one of {choices} (default {DEFAULT_TRANSPORT!r}), not {name!r}."
    )


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Time limits for a model call, in seconds (None: no limit).

    ``connect``, ``read`` (the longest silence between two received chunks)
    and ``write`` apply to each HTTP attempt. ``pool`` bounds the wait for a
    free connection; by default there is none, so a burst of calls queues
    rather than fails. ``total`` bounds a whole non-streamed call, retries
    included, and the wait for the first byte of a streamed one. The
    ``"aiohttp"`` transport has no write timeout: there the ``read`` clock
    runs from the moment the request is sent, and ``pool`` is timed together
    with ``connect``.
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
    """Connection-pool sizes. The defaults let 1,000 concurrent calls queue for 100 connections.

    The ``"aiohttp"`` transport keeps every idle connection (it has no separate
    limit on them); ``max_keepalive_connections=0`` there means no reuse at all.
    """

    max_connections: int | None = 100
    max_keepalive_connections: int | None = 100
    keepalive_expiry: float | None = 30.0


@dataclass(frozen=True, slots=True)
class ConnectionOptions:
    """Everything that decides which shared client a model uses.

    ``transport`` picks the HTTP library (``"aiohttp"`` or ``"httpx2"``; None:
    the ``LLMKIT_TRANSPORT`` environment variable, else ``"aiohttp"``).
    ``http2=True`` and a SOCKS ``proxy`` are served by ``"httpx2"`` whatever
    ``transport`` says. ``verify`` is True (the system's CA store), the path
    of a CA bundle, or False (no certificate check).
    """

    limits: PoolLimits = PoolLimits()
    proxy: str | None = None
    verify: bool | str = True
    http2: bool = False
    transport: str | None = None

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
        check_verify(self.verify)
        if not isinstance(self.http2, bool):
            raise UsageError(f"http2= takes True or False, not {type(self.http2).__name__}.")
        if self.transport is not None:
            check_transport(self.transport)
