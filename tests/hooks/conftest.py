"""Agents for the built-in hook tests: an OpenAI-protocol model on the fake server, one tool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import llmkit
from llmkit import Agent, tool
from llmkit.http import RetryPolicy
from llmkit.testing import FakeProviderServer, tool_call

KEY = "sk-hooktest-0123456789abcdefghij"


@tool(run_in_thread=False)
def get_weather(city: str) -> dict[str, Any]:
    """Current weather in a city."""
    return {"city": city, "temperature_c": 18}


WEATHER_SCRIPT = [tool_call("get_weather", city="Paris"), "It is 18 °C in Paris."]


@pytest.fixture
def make_agent(llmkit_fake_server: FakeProviderServer) -> Callable[..., Agent[Any]]:
    """Builds an agent whose model talks to the fake server (no retries), with ``get_weather``."""

    def build(*, script: list[Any] | None = None, **options: Any) -> Agent[Any]:
        llmkit_fake_server.script(WEATHER_SCRIPT if script is None else script)
        model = llmkit.model(
            "openai/gpt-4.1-mini",
            base_url=llmkit_fake_server.openai_base_url,
            api_key=KEY,
            retry=RetryPolicy(max_retries=0),
        )
        options.setdefault("tools", [get_weather])
        return Agent(model, **options)

    return build
