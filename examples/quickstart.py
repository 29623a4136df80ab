"""Quick start: stream an answer, then let the model call a tool and answer with its result.

Runs offline by default, against llmkit's fake provider server on 127.0.0.1.
Set LLMKIT_MODEL (e.g. "openai/gpt-4.1-mini", "groq/llama-3.3-70b-versatile",
"llamacpp/any") or OPENAI_API_KEY to use a real model instead.

    python examples/quickstart.py
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import TYPE_CHECKING

import llmkit
from llmkit import Message, Model, ModelResponse, Request, TextDelta, ToolResult, ToolSpec

if TYPE_CHECKING:
    from llmkit.testing import FakeProviderServer

WEATHER = ToolSpec(
    name="get_weather",
    description="Current weather in a city.",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string", "description": "City name, e.g. Paris"}},
        "required": ["city"],
    },
)


def get_weather(city: str) -> dict[str, object]:
    """The tool itself: a plain Python function (a real one would call a weather API)."""
    return {"city": city, "temperature_c": 18, "sky": "sunny"}


def offline_reply(request: Request) -> object:
    """How the fake server answers: like a cooperative model would."""
    from llmkit.testing import tool_call

    last = request.messages[-1]
    if last.role == "tool":
        weather = json.loads(last.tool_results[0].text)
        return f"It is {weather['temperature_c']} °C and {weather['sky']} in {weather['city']}."
    if request.tools:
        return tool_call("get_weather", city="Paris")
    return "llmkit gives you one API over cloud and local models, with streaming, tools and a testing kit."


def pick_model() -> tuple[Model, FakeProviderServer | None]:
    """A real model when one is configured, else the fake provider server."""
    name = os.environ.get("LLMKIT_MODEL")
    if not name and os.environ.get("OPENAI_API_KEY"):
        name = "openai/gpt-4.1-mini"
    if name:
        print(f"Using {name}.\n")
        return llmkit.model(name), None
    from llmkit.testing import FakeProviderServer

    server = FakeProviderServer(offline_reply).start()
    print(
        "No LLMKIT_MODEL or OPENAI_API_KEY set: running offline against llmkit's fake "
        f"provider server at {server.url} (it speaks the OpenAI protocol).\n"
    )
    model = llmkit.model("openai/gpt-4.1-mini", base_url=server.openai_base_url, api_key="offline")
    return model, server


async def main() -> None:
    model, server = pick_model()
    try:
        # 1. Stream an answer as it is written.
        print("> What is llmkit, in one sentence?")
        request = Request(messages=[Message.user("What is llmkit, in one sentence?")])
        async for event in model.stream(request):
            if isinstance(event, TextDelta):
                print(event.text, end="", flush=True)
            elif isinstance(event, ModelResponse):
                usage = event.response.usage
                print(f"\n[{usage.input_tokens} tokens in, {usage.output_tokens} out]\n")

        # 2. A tool round trip: the model asks for get_weather, we run it, it answers.
        print("> What's the weather in Paris?")
        request = Request(messages=[Message.user("What's the weather in Paris?")], tools=[WEATHER])
        response = await model.generate(request)
        while response.tool_calls:
            results = []
            for call in response.tool_calls:
                print(f"[tool call] {call.name}({call.arguments})")
                results.append(
                    ToolResult(call.id, json.dumps(get_weather(**call.arguments)), name=call.name)
                )
            request.messages += [response.message, Message.tool(*results)]
            response = await model.generate(request)
        print(response.text)
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except llmkit.LLMKitError as exc:
        sys.exit(f"error: {exc}")
