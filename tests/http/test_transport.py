"""The transports below an Endpoint: the same faults end in the same errors on both."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import subprocess
import sys
import textwrap

import httpx2
import pytest

from llmkit.errors import (
    ConfigurationError,
    ProviderConnectionError,
    ProviderTimeoutError,
    RateLimitError,
    StreamInterruptedError,
    UsageError,
)
from llmkit.http import ConnectionOptions, Endpoint, RetryPolicy, Timeouts, aclose_clients
from llmkit.http._tls import ssl_context
from llmkit.http._transport import choose_transport
from llmkit.providers.openai import OpenAIModel
from llmkit.testing import FakeProviderServer

from .conftest import RawServer, TLSSetup, answer, cut_body, silence, sse

pytestmark = pytest.mark.anyio

KEY = "sk-transport-secret-0123456789"
NO_RETRY = RetryPolicy(max_retries=0)
OK = json.dumps({"ok": True}).encode()


def endpoint(base_url: str, **options: object) -> Endpoint:
    connection = options.pop("connection", None)
    return Endpoint(
        provider="test",
        base_url=base_url,
        secrets=(KEY,),
        headers={"authorization": f"Bearer {KEY}"},
        retry=options.pop("retry", NO_RETRY),  # type: ignore[arg-type]
        connection=connection,  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


async def read_events(reply_source: Endpoint) -> tuple[list[str], BaseException | None]:
    reply = await reply_source.open_stream("/stream", {"stream": True})
    seen = []
    try:
        async for event in reply.sse():
            seen.append(event.data)
    except StreamInterruptedError as exc:
        return seen, exc
    finally:
        await reply.aclose()
    return seen, None


# ----------------------------------------------------------------- choosing a transport


def test_the_environment_variable_picks_the_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LLMKIT_TRANSPORT", raising=False)
    assert choose_transport(ConnectionOptions()) == "aiohttp"  # the default
    monkeypatch.setenv("LLMKIT_TRANSPORT", "httpx2")
    assert choose_transport(ConnectionOptions()) == "httpx2"
    monkeypatch.setenv("LLMKIT_TRANSPORT", "aiohttp")
    assert choose_transport(ConnectionOptions()) == "aiohttp"
    assert choose_transport(ConnectionOptions(transport="httpx2")) == "httpx2"


def test_a_bad_transport_name_is_refused_with_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError, match="'aiohttp', 'httpx2'"):
        ConnectionOptions(transport="curl")
    with pytest.raises(UsageError, match="'aiohttp', 'httpx2'"):
        OpenAIModel("m", base_url="http://127.0.0.1:9/v1", transport="requests")
    monkeypatch.setenv("LLMKIT_TRANSPORT", "urllib")
    with pytest.raises(UsageError, match=r"LLMKIT_TRANSPORT takes one of 'aiohttp', 'httpx2'"):
        OpenAIModel("m", base_url="http://127.0.0.1:9/v1")


@pytest.mark.parametrize(
    "options",
    [
        {"http2": True},
        {"proxy": "socks5://127.0.0.1:1080"},
        {"proxy": "SOCKS5H://127.0.0.1:1080"},
        {"http_client": "given"},
    ],
)
def test_what_aiohttp_cannot_do_goes_to_httpx2(options: dict[str, object]) -> None:
    if options.get("http_client"):
        options = {"http_client": httpx2.AsyncClient()}
    model = OpenAIModel("m", base_url="http://127.0.0.1:9/v1", transport="aiohttp", **options)  # type: ignore[arg-type]
    assert model.transport == "httpx2"


def test_a_socks_proxy_in_the_environment_goes_to_httpx2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:1080")
    assert choose_transport(ConnectionOptions(transport="aiohttp")) == "httpx2"


def test_an_asked_aiohttp_that_is_not_installed_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from llmkit.http import _transport

    monkeypatch.setattr(_transport, "_has_aiohttp", lambda: False)
    with pytest.raises(ConfigurationError, match="pip install aiohttp"):
        choose_transport(ConnectionOptions(transport="aiohttp"))
    monkeypatch.setenv("LLMKIT_TRANSPORT", "")
    assert choose_transport(ConnectionOptions()) == "httpx2"


def test_bad_verify_and_http2_values_are_refused() -> None:
    with pytest.raises(UsageError, match="verify= takes True"):
        ConnectionOptions(verify=1)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="http2= takes True or False"):
        ConnectionOptions(http2="yes")  # type: ignore[arg-type]


# ----------------------------------------------------------------- answers and faults


async def test_a_json_answer_comes_back_with_case_insensitive_headers(
    transport: str, raw_server: RawServer
) -> None:
    raw_server.script(answer(OK, headers={"X-Request-ID": "req-1"}))
    ep = endpoint(raw_server.url)
    assert ep.transport == transport
    reply = await ep.post_json("/chat", {"q": "hi"})
    assert reply.data == {"ok": True} and reply.status == 200
    assert reply.request_id == "req-1"
    assert reply.headers["Content-Type"] == reply.headers["content-type"] == "application/json"
    (sent,) = raw_server.requests
    assert sent.line == "POST /chat HTTP/1.1"
    assert json.loads(sent.body) == {"q": "hi"}
    # Our headers win over the library's defaults; nothing is guessed.
    assert sent.headers["user-agent"].startswith("llmkit/")
    assert sent.headers["accept"] == "application/json"
    assert sent.headers["content-type"] == "application/json"
    assert "gzip" in sent.headers["accept-encoding"]
    assert "cookie" not in sent.headers


async def test_a_gzip_answer_is_decompressed(transport: str, raw_server: RawServer) -> None:
    raw_server.script(answer(gzip.compress(OK), headers={"content-encoding": "gzip"}))
    assert (await endpoint(raw_server.url).post_json("/chat", {})).data == {"ok": True}


async def test_a_redirect_is_not_followed(transport: str, raw_server: RawServer) -> None:
    raw_server.script(answer(OK, status="307 Temporary Redirect", headers={"location": "/other"}))
    reply = await endpoint(raw_server.url).post_json("/chat", {})
    assert reply.status == 307
    assert len(raw_server.requests) == 1


async def test_a_429_is_retried_after_its_retry_after(
    transport: str, raw_server: RawServer
) -> None:
    raw_server.script(
        answer(
            b'{"error": {"message": "slow down"}}',
            status="429 Too Many",
            headers={"retry-after": "0"},
        ),
        answer(OK),
    )
    ep = endpoint(raw_server.url, retry=RetryPolicy(max_retries=1))
    assert (await ep.post_json("/chat", {})).data == {"ok": True}
    assert len(raw_server.requests) == 2


async def test_an_error_status_on_a_stream_is_read_and_mapped(
    transport: str, raw_server: RawServer
) -> None:
    raw_server.script(
        answer(
            b'{"error": {"message": "slow down"}}',
            status="429 Too Many",
            headers={"retry-after": "7"},
        )
    )
    with pytest.raises(RateLimitError, match="slow down") as caught:
        await endpoint(raw_server.url).open_stream("/stream", {})
    assert caught.value.retry_after == 7.0


async def test_a_body_shorter_than_its_length_is_a_connection_error_then_retried(
    transport: str, raw_server: RawServer
) -> None:
    raw_server.script(cut_body(b'{"ok": tr', promised=100), answer(OK))
    with pytest.raises(ProviderConnectionError, match="could not connect"):
        await endpoint(raw_server.url).post_json("/chat", {})
    raw_server.script(cut_body(b'{"ok": tr', promised=100), answer(OK))
    ep = endpoint(raw_server.url, retry=RetryPolicy(max_retries=1, initial_delay=0.0))
    assert (await ep.post_json("/chat", {})).data == {"ok": True}


async def test_a_whole_stream_arrives_event_by_event(transport: str, raw_server: RawServer) -> None:
    raw_server.script(sse(b"data: one\n\n", b"data: two\n\n", b"data: [DONE]\n\n"))
    seen, error = await read_events(endpoint(raw_server.url))
    assert (seen, error) == (["one", "two", "[DONE]"], None)
    assert raw_server.requests[0].headers["accept"] == "text/event-stream"


async def test_a_stream_dropped_mid_way_keeps_what_arrived(
    transport: str, raw_server: RawServer
) -> None:
    raw_server.script(sse(b"data: one\n\n", b"data: tw", then="close"))
    seen, error = await read_events(endpoint(raw_server.url))
    assert seen == ["one"]
    assert isinstance(error, StreamInterruptedError)
    assert "broke off" in str(error)


async def test_a_stream_that_stalls_hits_the_read_timeout(
    transport: str, raw_server: RawServer
) -> None:
    raw_server.script(sse(b"data: one\n\n", then="stall"))
    seen, error = await read_events(endpoint(raw_server.url, timeout=Timeouts(read=0.2)))
    assert seen == ["one"]
    assert isinstance(error, StreamInterruptedError)
    assert "read timeout" in str(error)


async def test_a_slow_first_byte_hits_the_read_timeout(
    transport: str, raw_server: RawServer
) -> None:
    raw_server.script(silence())
    with pytest.raises(ProviderTimeoutError, match=r"the read timeout \(0.2s\) ran out"):
        await endpoint(raw_server.url, timeout=Timeouts(read=0.2)).post_json("/chat", {})


async def test_a_refused_connection_is_a_connection_error_without_the_key(transport: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ep = endpoint(f"http://127.0.0.1:{port}/v1", params={"key": KEY})
    with pytest.raises(ProviderConnectionError, match="could not connect") as caught:
        await ep.post_json("/chat", {})
    assert KEY not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__context__ is None


# ----------------------------------------------------------------- proxies


async def test_proxy_option_sends_every_request_through_the_proxy(
    transport: str, raw_server: RawServer
) -> None:
    raw_server.script(answer(OK))
    # Nothing listens at localhost:9; the proxy answers for it.
    ep = endpoint("http://localhost:9/v1", connection=ConnectionOptions(proxy=raw_server.url))
    assert (await ep.post_json("/chat", {})).data == {"ok": True}
    (sent,) = raw_server.requests
    assert sent.line == "POST http://localhost:9/v1/chat HTTP/1.1"


async def test_proxy_from_the_environment_and_no_proxy(
    transport: str, raw_server: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw_server.script(answer(OK))
    monkeypatch.setenv("HTTP_PROXY", raw_server.url)
    monkeypatch.setenv("NO_PROXY", "example.org")
    assert (await endpoint("http://localhost:9/v1").post_json("/chat", {})).data == {"ok": True}
    assert raw_server.requests[0].line == "POST http://localhost:9/v1/chat HTTP/1.1"
    monkeypatch.setenv("NO_PROXY", "localhost")
    await aclose_clients()  # the environment is read when a pool is built, as httpx2 does
    with pytest.raises(ProviderConnectionError):
        await endpoint("http://localhost:9/v1").post_json("/chat", {})
    assert len(raw_server.requests) == 1
    await aclose_clients()


# ----------------------------------------------------------------- certificates and HTTP/2


async def test_a_private_ca_bundle_is_trusted_only_when_given(
    transport: str, tls_server: RawServer, tls_setup: TLSSetup
) -> None:
    tls_server.script(answer(OK))
    url = f"https://127.0.0.1:{tls_server.port}"
    with pytest.raises(ProviderConnectionError, match="could not connect"):
        await endpoint(url).post_json("/chat", {})
    trusted = endpoint(url, connection=ConnectionOptions(verify=str(tls_setup.ca_file)))
    assert (await trusted.post_json("/chat", {})).data == {"ok": True}
    unchecked = endpoint(url, connection=ConnectionOptions(verify=False))
    assert (await unchecked.post_json("/chat", {})).data == {"ok": True}


def test_one_ssl_context_per_verify_value_is_shared(tls_setup: TLSSetup) -> None:
    assert ssl_context(True) is ssl_context(True)
    assert ssl_context(False) is ssl_context(False)
    assert ssl_context(str(tls_setup.ca_file)) is ssl_context(str(tls_setup.ca_file))
    assert ssl_context(True) is not ssl_context(True, http2=True)
    assert len({id(ssl_context(v)) for v in (True, False, str(tls_setup.ca_file))}) == 3


def test_an_unreadable_ca_bundle_is_a_usage_error(tmp_path: object) -> None:
    with pytest.raises(UsageError, match="not a readable CA bundle"):
        ssl_context("/nonexistent/ca.pem")


async def test_http2_asked_for_goes_through_httpx2_over_tls(
    tls_server: RawServer, tls_setup: TLSSetup
) -> None:
    pytest.importorskip("h2")
    tls_server.script(answer(OK))
    options = ConnectionOptions(http2=True, verify=str(tls_setup.ca_file), transport="aiohttp")
    ep = endpoint(f"https://127.0.0.1:{tls_server.port}", connection=options)
    assert ep.transport == "httpx2"
    # The raw server speaks HTTP/1.1 only: ALPN settles on it, as with any such server.
    assert (await ep.post_json("/chat", {})).data == {"ok": True}


async def test_http2_without_h2_says_what_to_install(
    raw_server: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmkit.http import _httpx

    monkeypatch.setattr(_httpx, "_has_h2", lambda: False)
    with pytest.raises(ConfigurationError, match="pip install h2"):
        await endpoint(raw_server.url, connection=ConnectionOptions(http2=True)).post_json("/x", {})
    assert raw_server.requests == []


async def test_an_injected_client_is_used_and_left_open(
    transport: str, raw_server: RawServer
) -> None:
    raw_server.script(answer(OK))
    seen = []

    async def hook(request: httpx2.Request) -> None:
        seen.append(request.url.path)

    async with httpx2.AsyncClient(event_hooks={"request": [hook]}) as client:
        ep = endpoint(raw_server.url, http_client=client)
        assert ep.transport == "httpx2"
        assert (await ep.post_json("/chat", {})).data == {"ok": True}
        await aclose_clients()
        assert not client.is_closed
    assert seen == ["/chat"]


# ----------------------------------------------------------------- event loops


RUN_STYLES = {
    # asyncio.run per call, as scripts do: each loop's pool is closed at its shutdown.
    "asyncio.run": "for _ in range(3):\n    asyncio.run(call())",
    # A loop closed without shutting down its async generators: its pool is let go without
    # aiohttp's "Unclosed client session" report (asyncio itself still warns, in dev mode,
    # about the sockets such a loop leaves open, whatever the client).
    "bare loop": "for _ in range(3):\n    loop = asyncio.new_event_loop()\n"
    "    loop.run_until_complete(call())\n    loop.close()",
    # The sync twin's loop runs until the interpreter exits: its pool is closed at exit.
    "sync twin": "for _ in range(3):\n    model.generate_sync(REQUEST)",
}


@pytest.mark.parametrize("style", RUN_STYLES)
def test_pools_of_finished_loops_close_without_a_word(
    transport: str, style: str, llmkit_fake_server: FakeProviderServer
) -> None:
    llmkit_fake_server.script(["one", "two", "three"])
    script = textwrap.dedent(
        f"""
        import asyncio, gc
        from llmkit import Message, Request
        from llmkit.http import _pool
        from llmkit.providers.openai import OpenAIModel
        model = OpenAIModel("gpt-4.1-mini", base_url={llmkit_fake_server.openai_base_url!r},
                            api_key="sk-loop-0123456789", transport={transport!r})
        REQUEST = Request(messages=[Message.user("hi")])
        async def call():
            return await model.generate(REQUEST)
        """
    )
    script += RUN_STYLES[style] + "\ngc.collect()\nprint(model.transport, len(_pool._pools))\n"
    dev = [] if style == "bare loop" else ["-X", "dev", "-W", "error"]
    done = subprocess.run(
        [sys.executable, *dev, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout.split()
    assert out[0] == transport
    if style == "asyncio.run":
        assert out[1] == "0"  # every loop's pool was closed and forgotten
    assert "Unclosed" not in done.stderr and "Exception ignored" not in done.stderr


async def test_aclose_clients_closes_the_loop_s_pool(transport: str, raw_server: RawServer) -> None:
    raw_server.script(answer(OK))
    ep = endpoint(raw_server.url)
    await ep.post_json("/chat", {})
    from llmkit.http import _pool

    loop = asyncio.get_running_loop()
    first = _pool._pools[loop]
    await aclose_clients()
    await asyncio.sleep(0)
    assert loop not in _pool._pools  # the loop's pool is closed and forgotten
    assert (await ep.post_json("/chat", {})).data == {"ok": True}
    assert _pool._pools[loop] is not first  # a new pool is built
