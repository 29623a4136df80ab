"""Clients for driving the fake provider server over real HTTP in these tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx2
import pytest

from llmkit.testing import FakeProviderServer

KEY = "sk-test-key-0123456789"


@pytest.fixture(scope="session")
def api_key() -> str:
    """The Bearer key the clients send."""
    return KEY


@pytest.fixture
def server(llmkit_fake_server: FakeProviderServer) -> FakeProviderServer:
    """The session's fake server, reset for this test."""
    return llmkit_fake_server


@pytest.fixture
def client(server: FakeProviderServer) -> Iterator[httpx2.Client]:
    """A raw HTTP client for the OpenAI routes, with a Bearer key."""
    with httpx2.Client(
        base_url=server.openai_base_url, headers={"authorization": f"Bearer {KEY}"}, timeout=10
    ) as c:
        yield c


@pytest.fixture
async def aclient(server: FakeProviderServer) -> AsyncIterator[httpx2.AsyncClient]:
    """The async twin of ``client``."""
    async with httpx2.AsyncClient(
        base_url=server.openai_base_url, headers={"authorization": f"Bearer {KEY}"}, timeout=10
    ) as c:
        yield c


@pytest.fixture
def ollama_client(server: FakeProviderServer) -> Iterator[httpx2.Client]:
    """A raw HTTP client for the Ollama routes (a local Ollama takes no key)."""
    with httpx2.Client(base_url=server.ollama_base_url, timeout=10) as c:
        yield c
