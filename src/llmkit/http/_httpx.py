"""The ``httpx2`` transport: HTTP/1.1 and HTTP/2, SOCKS proxies, and a user's own client.

What always holds: ``httpx2`` is imported when the first transport of this
kind is built, not before; a client built here uses the process's shared SSL
context (:mod:`llmkit.http._tls`), follows no redirects and reads proxies
from the environment (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY``,
``NO_PROXY``) unless ``proxy=`` names one; every failure of the library
leaves as a transport-neutral error of :mod:`llmkit.http._transport`.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any

from llmkit.errors import ConfigurationError
from llmkit.http._tls import ssl_context
from llmkit.http._transport import InvalidRequestURL, TransportFailure, TransportTimeout

if TYPE_CHECKING:
    import httpx2

    from llmkit.http._options import ConnectionOptions, Timeouts

__all__ = ["HttpxReply", "HttpxTransport", "new_httpx_client"]

_KINDS = {
    "ConnectTimeout": "connect",
    "ReadTimeout": "read",
    "WriteTimeout": "write",
    "PoolTimeout": "pool",
}


def new_httpx_client(options: ConnectionOptions) -> httpx2.AsyncClient:
    """A pooled ``httpx2`` client for ``options`` (the shared SSL context, no redirects)."""
    import httpx2

    if options.http2 and not _has_h2():
        raise ConfigurationError(
            "http2=True needs the h2 package: pip install h2 (or leave http2 off: HTTP/1.1 "
            "serves every provider)."
        )
    limits = options.limits
    return httpx2.AsyncClient(
        limits=httpx2.Limits(
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
        ),
        proxy=options.proxy,
        verify=ssl_context(options.verify, http2=options.http2),
        http2=options.http2,
        follow_redirects=False,
    )


def _has_h2() -> bool:
    return importlib.util.find_spec("h2") is not None


def _kind(exc: Exception) -> str:
    return _KINDS.get(type(exc).__name__, "request")


class HttpxReply:
    """An ``httpx2`` response seen through the :class:`~llmkit.http._transport.Reply` seam."""

    __slots__ = ("_response", "headers", "status")

    def __init__(self, response: httpx2.Response) -> None:
        self._response = response
        self.status = response.status_code
        self.headers: Mapping[str, str] = response.headers

    @property
    def content(self) -> bytes:
        """The whole body."""
        return self._response.content

    async def read(self) -> bytes:
        """Read the rest of the body and return all of it."""
        import httpx2

        try:
            return await self._response.aread()
        except httpx2.TimeoutException as exc:
            raise TransportTimeout(_kind(exc), str(exc)) from None
        except (httpx2.TransportError, httpx2.StreamError) as exc:
            raise TransportFailure(str(exc) or type(exc).__name__) from None

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives (decompressed)."""
        import httpx2

        try:
            async for chunk in self._response.aiter_bytes():
                yield chunk
        except httpx2.TimeoutException as exc:
            raise TransportTimeout(_kind(exc), str(exc)) from None
        except (httpx2.TransportError, httpx2.StreamError) as exc:
            raise TransportFailure(str(exc) or type(exc).__name__) from None

    async def aclose(self) -> None:
        """Release the connection."""
        await self._response.aclose()


class HttpxTransport:
    """Requests through one ``httpx2.AsyncClient`` (the shared one of a loop, or a user's)."""

    __slots__ = ("_timeouts", "client", "name", "owned")

    def __init__(self, client: httpx2.AsyncClient, *, owned: bool) -> None:
        self.name = "httpx2"
        self.client = client
        self.owned = owned
        """Whether this transport built the client (and so may close it)."""
        self._timeouts: dict[Timeouts, Any] = {}

    def _timeout(self, timeouts: Timeouts) -> Any:
        timeout = self._timeouts.get(timeouts)
        if timeout is None:
            import httpx2

            timeout = self._timeouts[timeouts] = httpx2.Timeout(
                connect=timeouts.connect,
                read=timeouts.read,
                write=timeouts.write,
                pool=timeouts.pool,
            )
        return timeout

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeouts: Timeouts,
        *,
        stream: bool,
    ) -> HttpxReply:
        """Send one request (see :class:`~llmkit.http._transport.Transport`)."""
        import httpx2

        client = self.client
        try:
            request = client.build_request(
                method, url, content=body, headers=headers, timeout=self._timeout(timeouts)
            )
            response = await client.send(request, stream=stream)
        except httpx2.TimeoutException as exc:
            raise TransportTimeout(_kind(exc), str(exc)) from None
        except (httpx2.UnsupportedProtocol, httpx2.InvalidURL) as exc:
            raise InvalidRequestURL(str(exc)) from None
        except httpx2.TransportError as exc:
            raise TransportFailure(str(exc) or type(exc).__name__) from None
        return HttpxReply(response)

    async def aclose(self) -> None:
        """Close the client, if this transport built it (a user's client stays theirs)."""
        if self.owned:
            await self.client.aclose()

    def abandon(self) -> None:
        """Nothing to do: an ``httpx2`` client left on a closed loop is freed without a word."""
