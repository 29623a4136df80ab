"""The network guard: model requests to non-loopback hosts fail before they leave the process."""

from __future__ import annotations

import pytest

import llmkit
from llmkit import Agent, Message, Request
from llmkit.http._guard import check_request
from llmkit.testing import (
    FakeProviderServer,
    NetworkBlockedError,
    allow_network,
    block_network,
)
from llmkit.testing.network import network_blocked

# These tests switch the guard on and off themselves: the suite-wide guard stays out of the way.
pytestmark = pytest.mark.llmkit_allow_network

SECRET = "sk-live-do-not-leak-123456"
REQUEST = Request(messages=[Message.user("hi")])


def remote_model() -> llmkit.Model:
    # A documentation address (RFC 5737): nothing answers there, and nothing is sent.
    return llmkit.model("openai/gpt-4.1-mini", base_url="http://192.0.2.1/v1", api_key=SECRET)


def test_a_blocked_request_raises_before_it_is_sent() -> None:
    with block_network() as block:
        with pytest.raises(NetworkBlockedError) as caught:
            remote_model().generate_sync(REQUEST)
        assert network_blocked()
    assert not network_blocked()
    message = str(caught.value)
    assert "openai: a model request to http://192.0.2.1/v1/chat/completions was blocked" in message
    assert "fake provider server" in message
    assert SECRET not in message and SECRET not in repr(caught.value)
    assert [(b.provider, b.url) for b in block.blocked] == [
        ("openai", "http://192.0.2.1/v1/chat/completions")
    ]  # refused once: a blocked request is not retried


def test_streams_and_agents_are_blocked_too() -> None:
    with block_network() as block:
        with pytest.raises(NetworkBlockedError):
            list(remote_model().stream_sync(REQUEST))
        with pytest.raises(NetworkBlockedError):
            Agent(remote_model()).run_sync("hi")
    assert len(block.blocked) == 2


def test_loopback_stays_open(llmkit_fake_server: FakeProviderServer) -> None:
    llmkit_fake_server.script(["local answer"])
    model = llmkit.model(
        "openai/gpt-4.1-mini", base_url=llmkit_fake_server.openai_base_url, api_key="test"
    )
    with block_network() as block:
        assert model.generate_sync(REQUEST).text == "local answer"
        for url in ("http://localhost:1/v1", "http://[::1]:1/v1", "http://LOCALHOST/x"):
            check_request(url, "openai")
    assert block.blocked == []


def test_allow_names_more_hosts() -> None:
    with block_network(allow=["proxy.internal", "[fd00::1]"]):
        check_request("http://proxy.internal:8080/v1/chat", "openai")
        check_request("http://[fd00::1]:8080/v1/chat", "openai")
        with pytest.raises(NetworkBlockedError):
            check_request("https://api.openai.com/v1/chat/completions", "openai")


def test_credentials_and_query_never_reach_the_message() -> None:
    with block_network(), pytest.raises(NetworkBlockedError) as caught:
        check_request(f"https://user:{SECRET}@api.example.com/v1/x?key={SECRET}", "gemini")
    assert SECRET not in str(caught.value)
    assert "https://api.example.com/v1/x was blocked" in str(caught.value)


def test_plain_calls_nest_and_restore() -> None:
    outer = block_network()
    try:
        with allow_network():
            assert not network_blocked()
            check_request("https://api.openai.com/v1", "openai")
        assert network_blocked()
        inner = block_network(allow=["a.example"])
        inner.release()
        inner.release()  # idempotent
        assert network_blocked()
        with pytest.raises(NetworkBlockedError):
            check_request("https://a.example/v1", "openai")  # the outer block is back
    finally:
        outer.release()
    assert not network_blocked()
    assert "block_network released, 1 blocked" in repr(outer)
