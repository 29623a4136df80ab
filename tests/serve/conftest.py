"""Glue for the serve tests: the app under uvicorn on 127.0.0.1, torn down after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from llmkit.serve import Server, app_for

TOKENS = ["token-a", "token-b"]


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """``serve(*targets, **app_for_options)`` -> the base URL (``http://127.0.0.1:PORT``)."""
    servers: list[Server] = []

    def start(*targets: Any, **options: Any) -> str:
        options.setdefault("tokens", TOKENS)
        server = Server(app_for(*targets, **options)).start()
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()
