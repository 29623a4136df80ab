"""How the fake server answers the benchmark's requests (runs in the server process).

The built-in responder already calls the first tool offered and answers tool
results with text. Two things are added for the agent cases:

- on the user's turn it calls the benchmark's own tool (``get_weather``) even
  when an agent also offers other tools, such as one that delivers
  structured output;
- after the tool result it answers a request with an output schema with JSON
  that fits the schema, and an agent that offers an output tool instead gets
  a call to that tool;
- a user's turn that starts with ``[hold S]`` (the serve study's open streams)
  is answered the same way, after ``S`` seconds.
"""

from __future__ import annotations

import json
import re

from bench._workload import TOOL_NAME
from llmkit.testing import Fault, default_responder, tool_call
from llmkit.testing._responder import placeholder
from llmkit.testing._script import Turn
from llmkit.types import Request

__all__ = ["hold_prompt", "respond"]

_HOLD = re.compile(r"\[hold (\d+(?:\.\d+)?)\] ")


def hold_prompt(prompt: str, seconds: float) -> str:
    """``prompt`` marked so that the model holds its first answer ``seconds`` before sending it."""
    return f"[hold {seconds:g}] {prompt}"


def respond(request: Request) -> Turn:
    """Answer ``request`` as a cooperative model would, for the benchmark's cases."""
    last = request.messages[-1] if request.messages else None
    tools = {t.name: t for t in request.tools}
    if last is not None and last.role == "user" and TOOL_NAME in tools:
        held = _HOLD.match(last.text)
        if held is not None:
            return Fault.slow(float(held.group(1)), then=tool_call(TOOL_NAME, city="Paris"))
        return tool_call(TOOL_NAME, city="Paris")
    if last is not None and last.role == "tool":
        if request.output_schema is not None:
            value = placeholder(request.output_schema.schema, every_property=True)
            return json.dumps(value, separators=(",", ":"))
        others = [t for name, t in tools.items() if name != TOOL_NAME]
        if others and request.tool_choice != "none":
            return tool_call(others[0].name, **placeholder(others[0].parameters))
    return default_responder(request)
