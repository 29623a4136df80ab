"""Shared, pooled transports: one per event loop, connection setup and HTTP library.

Opening TLS connections is the expensive part of an HTTP call, so every model
that connects the same way on the same event loop shares one transport and
its keep-alive pool. Transports are per loop because connections belong to
the loop that opened them. What always holds: a loop's transports are closed
when the loop shuts down through ``asyncio.run`` or ``asyncio.Runner`` (or by
:func:`aclose_clients`), and a loop that closed is never kept alive by its
transports; building a transport for a new loop reuses the process's SSL
context (:mod:`llmkit.http._tls`) instead of loading the CA bundle again.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import weakref
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from llmkit.http._options import ConnectionOptions
from llmkit.http._transport import Transport

if TYPE_CHECKING:
    import httpx2

__all__ = ["SharedTransport", "aclose_clients", "shared_client", "shared_transport"]


class _LoopPool:
    """The transports of one event loop, closed when the loop shuts down."""

    __slots__ = ("closer", "loop", "open", "transports")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.open = True
        """False once the pool is closed (or let go): its transports must not be used."""
        self.transports: dict[tuple[str, ConnectionOptions], Transport] = {}
        # An async generator the loop knows of: asyncio.run (and asyncio.Runner) close every
        # live one at shutdown (shutdown_asyncgens), which runs its finally: the transports'
        # connections are closed on their own loop, before it closes.
        self.closer = self._close_at_shutdown()
        with contextlib.suppress(StopIteration):
            self.closer.asend(None).send(None)

    async def _close_at_shutdown(self) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            self.open = False
            if _pools.get(self.loop) is self:
                del _pools[self.loop]
            await self.aclose()

    def abandon(self) -> None:
        """Forget the transports of a loop that closed without closing them."""
        self.open = False
        transports = list(self.transports.values())
        self.transports.clear()
        for transport in transports:
            transport.abandon()

    async def aclose(self) -> None:
        transports = list(self.transports.values())
        self.transports.clear()
        for transport in transports:
            await transport.aclose()


_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopPool] = (
    weakref.WeakKeyDictionary()
)
_EXIT_WAIT = 2.0
"""Seconds the interpreter's exit waits for a loop that still runs to close its pool."""


def _close_at_exit() -> None:
    """Close the pools of loops that still run in other threads (llmkit's sync loop) at exit.

    Their connections would otherwise be dropped unclosed when the interpreter
    tears the loop's thread down (aiohttp reports each such session).
    """
    for loop, pool in list(_pools.items()):
        if loop.is_closed():
            pool.abandon()
        elif loop.is_running():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(pool.closer.aclose(), loop).result(_EXIT_WAIT)


def _pool_of_running_loop() -> _LoopPool:
    loop = asyncio.get_running_loop()
    pool = _pools.get(loop)
    if pool is None:
        # A loop closed without shutting down its async generators never ran its closer;
        # forget its pool so that the loop and its transports can be freed.
        for old in [old for old in _pools if old.is_closed()]:
            _pools.pop(old).abandon()
        if not _pools:
            atexit.unregister(_close_at_exit)
            atexit.register(_close_at_exit)
        pool = _pools[loop] = _LoopPool(loop)
    return pool


def shared_transport(options: ConnectionOptions, name: str) -> Transport:
    """The pooled transport ``name`` for ``options`` on the running event loop, built on first use."""
    pool = _pool_of_running_loop()
    key = (name, options)
    transport = pool.transports.get(key)
    if transport is None:
        transport = pool.transports[key] = _new_transport(options, name)
    return transport


class SharedTransport:
    """The shared transport for one connection setup, found once per event loop.

    An endpoint holds one and asks :meth:`get` before each request: on the
    loop of its last request it answers at once (no lookup by options);
    on another loop, or once that loop's pool was closed, it looks again.
    """

    __slots__ = ("_loop", "_name", "_options", "_pool", "_transport")

    def __init__(self, options: ConnectionOptions, name: str) -> None:
        self._options = options
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pool: _LoopPool | None = None
        self._transport: Transport | None = None

    def get(self) -> Transport:
        """The transport on the running event loop, built on first use."""
        loop = asyncio.get_running_loop()
        transport, pool = self._transport, self._pool
        if loop is self._loop and transport is not None and pool is not None and pool.open:
            return transport
        transport = shared_transport(self._options, self._name)
        self._loop, self._pool, self._transport = loop, _pools[loop], transport
        return transport


def _new_transport(options: ConnectionOptions, name: str) -> Transport:
    if name == "aiohttp":
        from llmkit.http._aiohttp import AiohttpTransport

        return AiohttpTransport(options)
    from llmkit.http._httpx import HttpxTransport, new_httpx_client

    return HttpxTransport(new_httpx_client(options), owned=True)


def shared_client(options: ConnectionOptions) -> httpx2.AsyncClient:
    """The pooled ``httpx2`` client for ``options`` on the running event loop, created on first use."""
    from llmkit.http._httpx import HttpxTransport, new_httpx_client

    pool = _pool_of_running_loop()
    key = ("httpx2", options)
    transport = pool.transports.get(key)
    if not isinstance(transport, HttpxTransport) or transport.client.is_closed:
        transport = HttpxTransport(new_httpx_client(options), owned=True)
        pool.transports[key] = transport
    return transport.client


async def aclose_clients() -> None:
    """Close the shared clients of the running event loop (they are re-created on next use)."""
    pool = _pools.pop(asyncio.get_running_loop(), None)
    if pool is not None:
        await pool.closer.aclose()  # its finally closes the transports
