"""Base URLs: credentials in them are refused without being echoed; paths join before the query."""

from __future__ import annotations

import logging

import pytest

import llmkit
from llmkit import Message, Request
from llmkit.errors import UsageError
from llmkit.http import check_base_url, join_url, split_base_url
from llmkit.testing import FakeProviderServer

pytestmark = pytest.mark.anyio

PASSWORD = "hunter2-s3cret-pass"
WITH_CREDENTIALS = f"http://alice:{PASSWORD}@127.0.0.1:9/v1"


@pytest.mark.parametrize(
    ("model", "options"),
    [
        ("openai/gpt-4.1-mini", {"api_key": "sk-test-0123456789"}),
        ("llamacpp/gemma", {}),
        ("anthropic/claude-sonnet-4-5", {"api_key": "sk-ant-0123456789"}),
        ("gemini/gemini-2.5-flash", {"api_key": "gm-0123456789"}),
        ("ollama/llama3.2", {}),
    ],
)
def test_credentials_in_base_url_are_refused_without_printing_the_password(
    model: str, options: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx2")
    with pytest.raises(UsageError) as info:
        llmkit.model(model, base_url=WITH_CREDENTIALS, **options)
    message = str(info.value)
    assert PASSWORD not in message and "alice" not in message
    assert "api_key=" in message
    assert PASSWORD not in caplog.text


def test_credentials_in_the_base_url_variable_are_refused(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("OPENAI_BASE_URL", WITH_CREDENTIALS)
    with pytest.raises(UsageError, match="api_key=") as info:
        llmkit.model("openai/gpt-4.1-mini", api_key="sk-test-0123456789")
    assert PASSWORD not in str(info.value) and PASSWORD not in caplog.text


def test_an_invalid_base_url_with_credentials_is_not_echoed_either() -> None:
    with pytest.raises(UsageError, match="api_key=") as info:
        check_base_url(f"ftp://bob:{PASSWORD}@example.com/v1", "openai")
    assert PASSWORD not in str(info.value) and "bob" not in str(info.value)


# A password holding "/", "?" or "#" ends the host early for a URL parser: what follows
# passes for a path, a query or a fragment; all digits before it pass for a port.
SPLIT_PASSWORDS = ["Zq7?Kx9w", "Zq7#Kx9w", "Zq7/Kx9w", "4711?Kx9w", "4711#Kx9w", "4711/Kx9w"]


def halves(password: str) -> tuple[str, str]:
    """The parts of ``password`` before and after its URL delimiter: neither may be shown."""
    head, _, tail = password.replace("?", "#").replace("/", "#").partition("#")
    return head, tail


PROVIDERS = [
    ("openai/gpt-4.1-mini", {"api_key": "sk-test-0123456789"}),
    ("llamacpp/gemma", {}),
    ("anthropic/claude-sonnet-4-5", {"api_key": "sk-ant-0123456789"}),
    ("gemini/gemini-2.5-flash", {"api_key": "gm-0123456789"}),
    ("ollama/llama3.2", {}),
]


@pytest.mark.parametrize("password", SPLIT_PASSWORDS)
@pytest.mark.parametrize(("model", "options"), PROVIDERS)
def test_a_password_holding_a_url_delimiter_is_refused_and_never_echoed(
    model: str, options: dict[str, str], password: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"https://alice:{password}@127.0.0.1:9/v1"
    with pytest.raises(UsageError) as info:
        llmkit.model(model, base_url=url, **options)
    message = str(info.value)
    assert "api_key=" in message and "alice" not in message
    for half in halves(password):
        assert half not in message and half not in caplog.text


@pytest.mark.parametrize("password", SPLIT_PASSWORDS)
def test_a_split_password_in_the_base_url_variable_is_refused(
    password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", f"https://alice:{password}@127.0.0.1:9/v1")
    with pytest.raises(UsageError, match="api_key=") as info:
        llmkit.model("openai/gpt-4.1-mini", api_key="sk-test-0123456789")
    assert "alice" not in str(info.value)
    assert not any(half in str(info.value) for half in halves(password))


def test_an_at_sign_in_the_path_or_query_is_written_percent_40() -> None:
    with pytest.raises(UsageError, match="%40"):
        check_base_url("https://gateway.example/v1?user=a@b.example", "openai")
    kept = check_base_url("https://gateway.example/v1?user=a%40b.example", "openai")
    assert kept == "https://gateway.example/v1?user=a%40b.example"


@pytest.mark.parametrize("port", ["99999", "0", "65536", "80a", "-1"])
def test_a_port_outside_1_to_65535_is_refused_when_the_model_is_built(port: str) -> None:
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(UsageError, match="port must be a number from 1 to 65535"):
        llmkit.model("openai/gpt-4.1-mini", api_key="sk-test-0123456789", base_url=url)


def test_ports_from_1_to_65535_are_accepted() -> None:
    for port in (1, 8080, 65535):
        url = f"http://127.0.0.1:{port}/v1"
        assert check_base_url(url, "openai") == url


def test_base_url_that_is_not_a_string_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="must be a string"):
        llmkit.model("openai/gpt-4.1-mini", api_key="sk-test-0123456789", base_url=8080)


def test_paths_join_before_the_query_of_the_base_url() -> None:
    root, query = split_base_url("https://host.example/v1/?tenant=a", "openai")
    assert (root, query) == ("https://host.example/v1", "tenant=a")
    assert join_url(root, "/chat/completions", query) == (
        "https://host.example/v1/chat/completions?tenant=a"
    )
    # A path with its own query keeps it, and the base URL's query follows.
    assert join_url(root, "/m:streamGenerateContent?alt=sse", query) == (
        "https://host.example/v1/m:streamGenerateContent?alt=sse&tenant=a"
    )


async def test_requests_go_to_the_path_with_the_base_url_query_after_it(
    llmkit_fake_server: FakeProviderServer,
) -> None:
    server = llmkit_fake_server
    server.script(["one", "two"])
    base = f"{server.openai_base_url}?tenant=a&x=1"
    model = llmkit.model("openai/gpt-4.1-mini", base_url=base, api_key="sk-test-0123456789")
    assert (await model.generate(Request([Message.user("hi")]))).text == "one"
    events = [e async for e in model.stream(Request([Message.user("hi")]))]
    assert events[-1].response.text == "two"  # type: ignore[attr-defined]
    for sent in server.requests:
        assert sent.status == 200
        assert sent.path == "/v1/chat/completions"
        assert sent.query == "tenant=a&x=1"


async def test_gemini_base_url_query_follows_the_version_and_the_stream_query(
    llmkit_fake_server: FakeProviderServer,
) -> None:
    server = llmkit_fake_server
    server.script(["streamed"])
    model = llmkit.model(
        "gemini/gemini-2.5-flash",
        base_url=f"{server.gemini_base_url}?tenant=a",
        api_key="gm-test-0123456789",
    )
    events = [e async for e in model.stream(Request([Message.user("hi")]))]
    assert events[-1].response.text == "streamed"  # type: ignore[attr-defined]
    (sent,) = server.requests
    assert sent.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert sent.query == "alt=sse&tenant=a"
