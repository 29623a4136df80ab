"""The raw HTTP clients under the floor: one POST of a JSON body, answered in JSON or streamed.

Two wires do the same exchange with the same pool and timeouts as llmkit's
shared client (100 connections, all kept alive for 30 s, no pool timeout,
10 s to connect, 600 s of read silence):

- :class:`HttpxWire`, on ``httpx2`` (or ``httpx`` 0.28, whose API agrees on
  everything used here), with the standard library's ``json``;
- :class:`AiohttpWire`, on ``aiohttp`` (its HTTP parser is C) with ``orjson``
  for the bodies.

Both encode a body to the same bytes llmkit sends (compact separators, UTF-8,
no ASCII escaping) and hand the raw chunks of a streamed answer to a
:class:`Chunks` consumer, so the loops above them are the same code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import import_module
from typing import Any, Protocol

__all__ = ["AiohttpWire", "Chunks", "HTTPStatusFailure", "HttpxWire", "Wire", "make_wire"]

_std_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_std_loads = json.loads


class HTTPStatusFailure(Exception):
    """The server answered with an error status (the floor does not retry)."""


class Chunks(Protocol):
    """Takes the raw chunks of a streamed answer as they arrive."""

    def feed(self, chunk: bytes) -> None:
        """One chunk of the body, in order."""


class Wire(Protocol):
    """What a floor needs from its client."""

    loads: Callable[[bytes], Any]
    """Parse a JSON answer or chunk."""
    dumps_text: Callable[[Any], str]
    """Encode a value as JSON text (a tool result's content)."""

    async def post(self, body: dict[str, Any]) -> Any:
        """POST ``body`` as JSON; the parsed JSON answer."""

    async def stream(self, body: dict[str, Any], into: Chunks) -> None:
        """POST ``body`` as JSON and feed every chunk of the streamed answer ``into``."""

    async def aclose(self) -> None:
        """Close the client and its connections."""


def _headers(api_key: str) -> tuple[dict[str, str], dict[str, str]]:
    headers = {
        "accept": "application/json",
        "content-type": "application/json",
        "authorization": f"Bearer {api_key}",
    }
    return headers, {**headers, "accept": "text/event-stream"}


class HttpxWire:
    """``httpx2`` or ``httpx`` with the standard library's ``json``."""

    loads = staticmethod(_std_loads)
    dumps_text = staticmethod(_std_dumps)

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        lib: str = "httpx2",
        max_connections: int | None = 100,
        max_keepalive_connections: int | None = 100,
        default_limits: bool = False,
    ) -> None:
        http = import_module(lib)
        timeout = http.Timeout(connect=10.0, read=600.0, write=60.0, pool=None)
        if default_limits:
            # The client's own default pool (httpx2 and httpx: 100 connections, 20 kept alive).
            self.client = http.AsyncClient(timeout=timeout)
        else:
            limits = http.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_keepalive_connections,
                keepalive_expiry=30.0,
            )
            self.client = http.AsyncClient(limits=limits, timeout=timeout)
        self.url = url
        self.headers, self.stream_headers = _headers(api_key)

    async def post(self, body: dict[str, Any]) -> Any:
        response = await self.client.post(
            self.url, content=_std_dumps(body).encode(), headers=self.headers
        )
        if response.status_code != 200:
            raise HTTPStatusFailure(f"HTTP {response.status_code}: {response.content[:200]!r}")
        return _std_loads(response.content)

    async def stream(self, body: dict[str, Any], into: Chunks) -> None:
        request = self.client.build_request(
            "POST", self.url, content=_std_dumps(body).encode(), headers=self.stream_headers
        )
        response = await self.client.send(request, stream=True)
        try:
            if response.status_code != 200:
                await response.aread()
                raise HTTPStatusFailure(f"HTTP {response.status_code}: {response.content[:200]!r}")
            feed = into.feed
            async for chunk in response.aiter_bytes():
                feed(chunk)
        finally:
            await response.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()


class AiohttpWire:
    """``aiohttp`` with ``orjson``: the cheapest client loop this suite knows of."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        max_connections: int | None = 100,
        max_keepalive_connections: int | None = 100,
    ) -> None:
        import aiohttp
        import orjson

        self._dumps = orjson.dumps
        self.loads = orjson.loads
        self.dumps_text = lambda value: orjson.dumps(value).decode()
        # aiohttp keeps every idle connection (there is no separate keep-alive limit); 0 is
        # its "no limit", as None is httpx2's.
        del max_keepalive_connections
        connector = aiohttp.TCPConnector(limit=max_connections or 0, keepalive_timeout=30.0)
        # No total limit, as llmkit's default; sock_read is the longest silence between chunks.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10.0, sock_read=600.0)
        self.session = aiohttp.ClientSession(connector=connector, timeout=timeout)
        self.url = url
        self.headers, self.stream_headers = _headers(api_key)

    async def post(self, body: dict[str, Any]) -> Any:
        async with self.session.post(
            self.url, data=self._dumps(body), headers=self.headers
        ) as response:
            content = await response.read()
            if response.status != 200:
                raise HTTPStatusFailure(f"HTTP {response.status}: {content[:200]!r}")
        return self.loads(content)

    async def stream(self, body: dict[str, Any], into: Chunks) -> None:
        async with self.session.post(
            self.url, data=self._dumps(body), headers=self.stream_headers
        ) as response:
            if response.status != 200:
                content = await response.read()
                raise HTTPStatusFailure(f"HTTP {response.status}: {content[:200]!r}")
            feed = into.feed
            async for chunk in response.content.iter_any():
                feed(chunk)

    async def aclose(self) -> None:
        await self.session.close()


def make_wire(url: str, api_key: str, *, lib: str = "httpx2", **options: Any) -> Wire:
    """The wire for ``lib`` (``httpx2``, ``httpx`` or ``aiohttp``), built with ``options``."""
    if lib == "aiohttp":
        return AiohttpWire(url, api_key, **options)
    return HttpxWire(url, api_key, lib=lib, **options)
