"""What one run of each case sends and does, shared by the floor and the llmkit side.

The floor and llmkit must do the same work per run: the same model, the same
messages, the same tool and the same output schema. Everything either side
needs to agree on lives here.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = [
    "AGENT_PROMPT",
    "API_KEY",
    "BRANCHES",
    "INSTRUCTIONS",
    "ITEMS",
    "MODEL",
    "OUTPUT_DESCRIPTION",
    "OUTPUT_NAME",
    "OUTPUT_SCHEMA",
    "PROMPT",
    "TOOL_DESCRIPTION",
    "TOOL_NAME",
    "TOOL_PARAMETERS",
    "branch_functions",
    "double",
    "get_weather",
    "output_model",
]

MODEL = "gpt-4.1-mini"
API_KEY = "bench-key"
INSTRUCTIONS = "Be brief."
PROMPT = "Say hello."
AGENT_PROMPT = "What is the weather in Paris?"

TOOL_NAME = "get_weather"
TOOL_DESCRIPTION = "Current weather in a city."
TOOL_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}

OUTPUT_NAME = "Weather"
OUTPUT_DESCRIPTION = "The weather in a city."
OUTPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": OUTPUT_DESCRIPTION,
    "properties": {
        "city": {"type": "string"},
        "temperature_c": {"type": "integer"},
        "sky": {"type": "string"},
    },
    "required": ["city", "temperature_c", "sky"],
    "additionalProperties": False,
}


def get_weather(city: str) -> dict[str, Any]:
    """Current weather in a city."""
    return {"city": city, "temperature_c": 18, "sky": "sunny"}


@functools.cache
def output_model() -> Any:
    """The pydantic model of the structured output (built on first use: pydantic is heavy)."""
    from pydantic import BaseModel, ConfigDict

    class Weather(BaseModel):
        """The weather in a city."""

        model_config = ConfigDict(extra="forbid")

        city: str
        temperature_c: int
        sky: str

    return Weather


BRANCHES = 100
"""Branches of the ``workflow-parallel`` case: one sync function each."""
ITEMS = 1000
"""Items of the ``workflow-map`` case."""


def _returns(i: int) -> Any:
    def f(state: Any) -> int:
        return i

    f.__name__ = f.__qualname__ = f"f{i}"
    return f


@functools.cache
def branch_functions() -> tuple[Any, ...]:
    """The :data:`BRANCHES` functions ``f_i(state) -> i`` of the parallel case."""
    return tuple(_returns(i) for i in range(BRANCHES))


def double(x: int) -> int:
    """The body of the map case."""
    return x * 2
