"""The one uvicorn runner: a bound socket first, a thread that serves until stopped, clear errors."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from llmkit._uvicorn import UvicornServer, bind
from llmkit.errors import UsageError

pytest.importorskip("uvicorn", reason="the runner needs uvicorn (the serve or testing extra)")


class App:
    """An ASGI app answering "hello" to every request; it notes its lifespan events."""

    def __init__(self, *, fail_startup: bool = False) -> None:
        self.lifespan: list[str] = []
        self.fail_startup = fail_startup

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.lifespan.append("startup")
                    if self.fail_startup:
                        await send({"type": "lifespan.startup.failed", "message": "no store"})
                        return
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    self.lifespan.append("shutdown")
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        headers = [(b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"hello"})


@pytest.fixture
def stopped() -> Iterator[list[UvicornServer]]:
    """Servers a test made; each is stopped at the end, even when the test failed."""
    made: list[UvicornServer] = []
    yield made
    for server in made:
        server.stop()


def server_for(app: App, made: list[UvicornServer], **options: Any) -> UvicornServer:
    server = UvicornServer(app, host="127.0.0.1", port=0, name="test-server", **options)
    made.append(server)
    return server


def get(address: tuple[str, int]) -> tuple[str, str | None]:
    with urllib.request.urlopen(f"http://{address[0]}:{address[1]}/", timeout=10) as reply:
        return reply.read().decode(), reply.headers.get("server")


def test_a_started_server_answers_at_its_address_until_stopped(
    stopped: list[UvicornServer],
) -> None:
    server = server_for(App(), stopped, lifespan="off")
    assert (server.address, server.running) == (None, False)
    address = server.start()
    assert address[0] == "127.0.0.1" and address[1] > 0
    assert (server.address, server.running) == (address, True)
    assert get(address) == ("hello", None)  # no Server header
    assert server.start() == address  # starting a running server does nothing
    server.stop()
    assert (server.address, server.running) == (None, False)
    with pytest.raises(OSError):
        get(address)
    server.stop()  # idempotent


def test_an_address_in_use_is_a_usage_error_naming_it(stopped: list[UvicornServer]) -> None:
    taken = bind("127.0.0.1", 0)
    try:
        port = taken.getsockname()[1]
        server = UvicornServer(App(), host="127.0.0.1", port=port, name="test-server")
        stopped.append(server)
        with pytest.raises(
            UsageError, match=rf"Cannot listen on 127\.0\.0\.1:{port} .*another port"
        ):
            server.start()
        assert (server.address, server.running) == (None, False)
    finally:
        taken.close()


def test_the_bound_socket_listens_before_uvicorn_starts() -> None:
    sock = bind("127.0.0.1", 0)
    try:
        client = socket.create_connection(sock.getsockname()[:2], timeout=5)
        client.close()  # accepted into the backlog: nobody serves it yet
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


@pytest.mark.parametrize(("lifespan", "seen"), [("on", ["startup"]), ("off", [])])
def test_the_lifespan_option_decides_whether_the_app_s_lifespan_runs(
    stopped: list[UvicornServer], lifespan: Any, seen: list[str]
) -> None:
    app = App()
    server = server_for(app, stopped, lifespan=lifespan)
    server.start()
    assert app.lifespan == seen
    server.stop()
    assert app.lifespan == (["startup", "shutdown"] if seen else [])


def test_an_app_that_fails_to_start_is_a_usage_error_and_nothing_keeps_serving(
    stopped: list[UvicornServer],
) -> None:
    server = server_for(App(fail_startup=True), stopped, lifespan="on", log_level="critical")
    with pytest.raises(UsageError, match="test-server did not start"):
        server.start()
    assert (server.address, server.running) == (None, False)


@pytest.mark.anyio
async def test_serving_on_the_caller_s_loop_ends_when_cancelled() -> None:
    app = App()
    server = UvicornServer(app, host="127.0.0.1", port=0, name="test-server", lifespan="on")
    listening: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
    task = asyncio.create_task(server.serve(ready=listening.put_nowait))
    address = await asyncio.wait_for(listening.get(), timeout=10)
    assert server.address == address
    # The socket listens before uvicorn runs: the request waits in the backlog meanwhile.
    assert await asyncio.to_thread(get, address) == ("hello", None)
    assert app.lifespan == ["startup"]
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert server.address is None
    with pytest.raises(OSError):
        await asyncio.to_thread(get, address)


def test_serve_s_url_for_an_ipv6_host_has_brackets_and_answers() -> None:
    from llmkit.serve import Server

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    with Server(app, host="::1", port=0) as server:
        assert server.url.startswith("http://[::1]:")
        with urllib.request.urlopen(server.url + "/", timeout=60) as reply:
            assert reply.read() == b"ok"
