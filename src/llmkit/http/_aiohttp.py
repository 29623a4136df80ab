"""The ``aiohttp`` transport: HTTP/1.1 with a C parser, the default.

What always holds:

- ``aiohttp`` is imported when the first transport of this kind is built;
- one ``ClientSession`` and ``TCPConnector`` per event loop and connection
  setup: at most ``PoolLimits.max_connections`` connections (None: no
  limit), idle ones kept for ``keepalive_expiry`` seconds (aiohttp has no
  separate limit on how many idle ones it keeps: it keeps them all);
- HTTPS uses the process's shared SSL context for ``verify``
  (:mod:`llmkit.http._tls`), built at the first ``https://`` request, so a
  plain ``http://`` address never loads a CA bundle;
- no redirect is followed, no cookie is kept, no content type is guessed
  and the request's own headers win over aiohttp's defaults; gzip and
  deflate answers are decompressed;
- proxies: ``proxy=`` when given, else ``HTTP_PROXY`` / ``HTTPS_PROXY`` /
  ``ALL_PROXY`` with ``NO_PROXY``, read once per transport as ``httpx2``
  reads them per client (``~/.netrc`` is not read, unlike aiohttp's own
  ``trust_env``, which would also send every request through a thread);
- timeouts: ``connect`` bounds opening a connection; ``read`` is the longest
  silence between two received chunks, and its clock runs from the moment
  the request is sent, so a body write that stalls for longer than ``read``
  fails as a read timeout (aiohttp has no write timeout: ``write`` is not
  used); ``pool`` bounds the wait for a free connection together with
  opening it (aiohttp times the two as one), so the error then says
  ``"pool or connect"``;
- every failure of the library leaves as a transport-neutral error of
  :mod:`llmkit.http._transport`; a body cut short is a
  :class:`~llmkit.http._transport.TransportFailure`, whether read whole or
  chunk by chunk.
"""

from __future__ import annotations

import ssl
import urllib.request
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from llmkit.http._tls import ssl_context
from llmkit.http._transport import InvalidRequestURL, TransportFailure, TransportTimeout

if TYPE_CHECKING:
    import aiohttp

    from llmkit.http._options import ConnectionOptions, Timeouts

__all__ = ["AiohttpReply", "AiohttpTransport"]

_PROXY_CACHE_SIZE = 256


def _failure(exc: BaseException, timeouts: Timeouts) -> TransportFailure | InvalidRequestURL:
    """The transport-neutral error for an exception aiohttp raised."""
    import aiohttp

    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return TransportTimeout("connect" if timeouts.pool is None else "pool or connect")
    if isinstance(exc, aiohttp.ServerTimeoutError):
        return TransportTimeout("read")
    if isinstance(exc, TimeoutError):  # a limit aiohttp did not name
        return TransportTimeout("request")
    if isinstance(exc, aiohttp.InvalidURL):
        return InvalidRequestURL(str(exc) or type(exc).__name__)
    return TransportFailure(str(exc) or type(exc).__name__)


class AiohttpReply:
    """An ``aiohttp`` response seen through the :class:`~llmkit.http._transport.Reply` seam."""

    __slots__ = ("_response", "_timeouts", "content", "headers", "status")

    def __init__(
        self, response: aiohttp.ClientResponse, content: bytes, timeouts: Timeouts
    ) -> None:
        self._response = response
        self._timeouts = timeouts
        self.status = response.status
        self.headers: Mapping[str, str] = response.headers
        self.content = content

    async def read(self) -> bytes:
        """Read the rest of the body and return all of it."""
        import aiohttp

        try:
            self.content = await self._response.read()
        except (aiohttp.ClientError, OSError) as exc:
            raise _failure(exc, self._timeouts) from None
        return self.content

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives (decompressed), one chunk per network read."""
        import aiohttp

        readany = self._response.content.readany
        try:
            while True:
                chunk = await readany()
                if not chunk:
                    return
                yield chunk
        except (aiohttp.ClientError, OSError) as exc:
            raise _failure(exc, self._timeouts) from None

    async def aclose(self) -> None:
        """Release the connection: back to the pool when the body was read to its end."""
        response = self._response
        if response.content.at_eof():
            response.release()
        else:
            response.close()


class AiohttpTransport:
    """Requests through one ``aiohttp.ClientSession`` of the running event loop."""

    __slots__ = ("_env_proxies", "_options", "_proxies", "_session", "_ssl", "_timeouts", "name")

    def __init__(self, options: ConnectionOptions) -> None:
        import aiohttp

        self.name = "aiohttp"
        self._options = options
        limits = options.limits
        if limits.max_keepalive_connections == 0:  # keep none: a connection per request
            connector = aiohttp.TCPConnector(limit=limits.max_connections or 0, force_close=True)
        else:
            connector = aiohttp.TCPConnector(
                limit=limits.max_connections or 0, keepalive_timeout=limits.keepalive_expiry
            )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=None),
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
            auto_decompress=True,
        )
        self._timeouts: dict[int, tuple[Timeouts, aiohttp.ClientTimeout]] = {}
        self._env_proxies = (
            None if options.proxy is not None else urllib.request.getproxies_environment()
        )
        self._proxies: dict[str, str | None] = {}
        self._ssl: ssl.SSLContext | None = None

    def _timeout(self, timeouts: Timeouts) -> aiohttp.ClientTimeout:
        # Keyed by identity (an endpoint keeps one Timeouts): no hashing of its fields per call.
        entry = self._timeouts.get(id(timeouts))
        if entry is not None and entry[0] is timeouts:
            return entry[1]
        import aiohttp

        acquire = None if timeouts.pool is None else timeouts.pool + (timeouts.connect or 0.0)
        timeout = aiohttp.ClientTimeout(
            total=None, connect=acquire, sock_connect=timeouts.connect, sock_read=timeouts.read
        )
        if len(self._timeouts) >= 64:
            self._timeouts.clear()
        self._timeouts[id(timeouts)] = (timeouts, timeout)
        return timeout

    def _proxy(self, url: str) -> str | None:
        if self._env_proxies is None:
            return self._options.proxy
        try:
            return self._proxies[url]
        except KeyError:
            pass
        proxy = _env_proxy(url, self._env_proxies)
        if len(self._proxies) >= _PROXY_CACHE_SIZE:
            self._proxies.clear()
        self._proxies[url] = proxy
        return proxy

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeouts: Timeouts,
        *,
        stream: bool,
    ) -> AiohttpReply:
        """Send one request (see :class:`~llmkit.http._transport.Transport`)."""
        import aiohttp

        options: dict[str, Any] = {}
        if url.startswith("https:"):
            if self._ssl is None:
                self._ssl = ssl_context(self._options.verify)
            options["ssl"] = self._ssl
        proxy = self._proxy(url)
        if proxy is not None:
            options["proxy"] = proxy
        try:
            response = await self._session.request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=self._timeout(timeouts),
                allow_redirects=False,
                **options,
            )
            if stream:
                return AiohttpReply(response, b"", timeouts)
            try:
                content = await response.read()
            finally:
                response.release()
        except (aiohttp.ClientError, OSError) as exc:
            raise _failure(exc, timeouts) from None
        except ValueError as exc:  # a header value aiohttp refuses to write
            raise TransportFailure(str(exc) or type(exc).__name__) from None
        return AiohttpReply(response, content, timeouts)

    async def aclose(self) -> None:
        """Close the session and every connection of its pool."""
        await self._session.close()

    def abandon(self) -> None:
        """Mark the session of a closed loop closed, so that it is freed without a warning.

        On a closed loop aiohttp's close has nothing left to wait for and ends
        at its first step, so it is run here without a loop.
        """
        closing = self._session.close()
        try:
            closing.send(None)
        except StopIteration:
            return
        closing.close()  # it would have to wait: leave the rest to the garbage collector


def _env_proxy(url: str, proxies: Mapping[str, str]) -> str | None:
    """The proxy the environment names for ``url``, or None (``NO_PROXY`` is honoured)."""
    parts = urlsplit(url)
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if proxy is None:
        return None
    host = (parts.hostname or "").lower()
    return None if _bypassed(host, proxies.get("no", "")) else proxy


def _bypassed(host: str, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` (``no_proxy``) exempts ``host``: ``*``, the host, or a parent domain."""
    for entry in no_proxy.split(","):
        entry = entry.strip().lower()
        if entry == "*":
            return True
        entry = entry.split("://", 1)[-1].strip("[]").lstrip("*").lstrip(".")
        if entry.count(":") == 1:  # host:port (an IPv6 address has more than one colon)
            entry = entry.partition(":")[0]
        if entry and (host == entry or host.endswith("." + entry)):
            return True
    return False
