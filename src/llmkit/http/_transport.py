"""The one seam between an :class:`~llmkit.http.Endpoint` and an HTTP client library.

A :class:`Transport` sends one request and gives back a :class:`Reply`: the
status, case-insensitive headers, and the body, whole or chunk by chunk as it
arrives. It knows nothing of providers, retries or the error tree: it fails
with the transport-neutral errors below, and the endpoint maps those onto
:mod:`llmkit.errors` the same way for every transport.

Two transports exist, each in its own module that imports its library only
when the first transport of its kind is built: ``"aiohttp"`` (the default:
a C HTTP parser, :mod:`llmkit.http._aiohttp`) and ``"httpx2"``
(:mod:`llmkit.http._httpx`). :func:`choose_transport` says which one a model
gets: the ``transport=`` option, else the ``LLMKIT_TRANSPORT`` environment
variable, else ``"aiohttp"``; what aiohttp cannot do (HTTP/2, a SOCKS proxy,
a user's own ``httpx2.AsyncClient``) goes to ``"httpx2"`` whatever was asked.
"""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import AsyncIterator, Mapping
from typing import Protocol

from llmkit.errors import ConfigurationError
from llmkit.http._options import TRANSPORT_ENV, ConnectionOptions, Timeouts, check_transport

__all__ = [
    "InvalidRequestURL",
    "Reply",
    "Transport",
    "TransportFailure",
    "TransportTimeout",
    "choose_transport",
]

_SOCKS_SCHEMES = ("socks4", "socks4a", "socks5", "socks5h")


class TransportFailure(Exception):
    """The request did not get an answer: the connection failed, broke, or the body was cut.

    The message comes from the HTTP library and may hold a URL: the endpoint
    redacts it before it reaches an error.
    """


class TransportTimeout(TransportFailure):
    """A time limit ran out; ``kind`` says which one (``"connect"``, ``"read"``, ``"write"``, ``"pool"``)."""

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(message or f"{kind} timeout")
        self.kind = kind


class InvalidRequestURL(Exception):
    """The URL cannot be sent at all (a scheme the client does not speak, a malformed host)."""


class Reply(Protocol):
    """An answer to one request. A non-streamed reply has its whole body in :attr:`content`."""

    @property
    def status(self) -> int:
        """The HTTP status code."""
        ...

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers; lookups ignore case."""
        ...

    @property
    def content(self) -> bytes:
        """The whole body (for a streamed reply: after :meth:`read`)."""
        ...

    async def read(self) -> bytes:
        """Read the rest of the body and return all of it."""
        ...

    def chunks(self) -> AsyncIterator[bytes]:
        """The body chunk by chunk as it arrives; a break raises :class:`TransportFailure`."""
        ...

    async def aclose(self) -> None:
        """Release the connection (back to the pool when the body was read to its end)."""
        ...


class Transport(Protocol):
    """Sends requests over one pool of connections, bound to one event loop."""

    name: str
    """``"aiohttp"`` or ``"httpx2"``."""

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeouts: Timeouts,
        *,
        stream: bool,
    ) -> Reply:
        """Send one request; with ``stream`` False the body is read before this returns.

        Fails with :class:`TransportTimeout`, :class:`TransportFailure` or
        :class:`InvalidRequestURL`; an HTTP error status is a reply, not a failure.
        """
        ...

    async def aclose(self) -> None:
        """Close every connection of the pool."""
        ...

    def abandon(self) -> None:
        """Forget the pool of a loop that closed before :meth:`aclose` (nothing can be awaited)."""
        ...


def choose_transport(options: ConnectionOptions, *, injected: bool = False) -> str:
    """The transport a model with ``options`` uses (see the module docstring for the rules).

    ``injected`` says the user passed their own ``httpx2.AsyncClient``.
    """
    asked = options.transport
    if asked is None:
        env = os.environ.get(TRANSPORT_ENV)
        asked = check_transport(env, where=TRANSPORT_ENV) if env else None
    if injected or options.http2 or _socks(options.proxy):
        return "httpx2"
    if asked == "httpx2":
        return "httpx2"
    if _env_socks():
        return "httpx2"
    if not _has_aiohttp():
        if asked == "aiohttp":
            raise ConfigurationError(
                "transport='aiohttp' needs the aiohttp package (a dependency of llmkit that is "
                "not installed here): pip install aiohttp, or pass transport='httpx2'."
            )
        return "httpx2"
    return "aiohttp"


def _socks(proxy: str | None) -> bool:
    return proxy is not None and proxy.split("://", 1)[0].lower() in _SOCKS_SCHEMES


def _env_socks() -> bool:
    import urllib.request

    return any(_socks(url) for url in urllib.request.getproxies_environment().values())


@functools.cache
def _has_aiohttp() -> bool:
    return importlib.util.find_spec("aiohttp") is not None
