"""Glue for the transport tests: each runs on both transports, against a raw scripted server.

The fake provider server answers like the real APIs; the faults a transport
must survive below that level (a body shorter than its ``content-length``, a
stream that stalls, a proxy, a TLS certificate from a private CA) are played
here byte by byte by :class:`RawServer`, an asyncio server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

Action = Callable[[asyncio.StreamWriter], Awaitable[None]]
"""What the server does once it has read a request: write an answer (or not), close, stall."""


@dataclass
class RawRequest:
    """One request as the server read it: the request line, headers (lower-cased) and body."""

    line: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RawServer:
    """Answers each request with the next scripted action (the last one repeats)."""

    port: int = 0
    actions: list[Action] = field(default_factory=list)
    requests: list[RawRequest] = field(default_factory=list)
    handlers: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def script(self, *actions: Action) -> None:
        """Answer the next requests with ``actions``, in order."""
        self.actions = list(actions)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.handlers.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                line, *rest = head.decode("latin-1").split("\r\n")
                headers = {}
                for item in rest:
                    if item:
                        name, _, value = item.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests.append(RawRequest(line, headers, body))
                action = self.actions.pop(0) if len(self.actions) > 1 else self.actions[0]
                await action(writer)
                if writer.is_closing():
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            self.handlers.discard(task)


def answer(
    body: bytes,
    *,
    status: str = "200 OK",
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Action:
    """A whole answer with a ``content-length`` (the connection stays open)."""

    async def act(writer: asyncio.StreamWriter) -> None:
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        writer.write(
            f"HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\n"
            f"content-length: {len(body)}\r\n{extra}\r\n".encode()
            + body
        )
        await writer.drain()

    return act


def cut_body(body: bytes, *, promised: int) -> Action:
    """An answer that promises ``promised`` bytes, sends ``body`` (fewer), and closes."""

    async def act(writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
            + f"content-length: {promised}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    return act


def sse(*events: bytes, then: str = "end", pause: float = 0.0) -> Action:
    """A chunked SSE answer: one chunk per event, then ``"end"`` (a clean end),
    ``"close"`` (the connection drops) or ``"stall"`` (nothing more, connection open)."""

    async def act(writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        for event in events:
            writer.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
            await writer.drain()
            if pause:
                await asyncio.sleep(pause)
        if then == "end":
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        elif then == "close":
            writer.close()
        else:
            await asyncio.sleep(3600)

    return act


def silence(seconds: float = 3600) -> Action:
    """Read the request and answer nothing for ``seconds``."""

    async def act(writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(seconds)

    return act


async def _serve(
    server: RawServer, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[RawServer]:
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, ssl=ssl_context)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listener.close()
        for task in list(server.handlers):
            task.cancel()


@pytest.fixture
async def raw_server() -> AsyncIterator[RawServer]:
    """A :class:`RawServer` on 127.0.0.1 (plain HTTP), in the test's event loop."""
    async for server in _serve(RawServer()):
        yield server


@dataclass
class TLSSetup:
    """A private CA and a server certificate it signed for 127.0.0.1 and localhost."""

    ca_file: Path
    server_context: ssl.SSLContext


@pytest.fixture(scope="session")
def tls_setup(tmp_path_factory: pytest.TempPathFactory) -> TLSSetup:
    """Made with ``trustme`` for the session: the CA's PEM file and the server's SSL context."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return TLSSetup(ca_file, server_context)


@pytest.fixture
async def tls_server(tls_setup: TLSSetup) -> AsyncIterator[RawServer]:
    """A :class:`RawServer` speaking HTTPS with the private CA's certificate."""
    async for server in _serve(RawServer(), tls_setup.server_context):
        yield server
