"""A local model through Ollama's native API: list models, stream, call a tool, embed.

Runs offline by default, against llmkit's fake provider server (which speaks
Ollama's protocol). Name a model you have pulled to use your own Ollama (at
OLLAMA_HOST, else 127.0.0.1:11434):

    python examples/ollama_chat.py                 # offline
    python examples/ollama_chat.py llama3.2        # your Ollama, chat model llama3.2
    python examples/ollama_chat.py llama3.2 nomic-embed-text
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

import llmkit
from llmkit import Message, ModelResponse, Request, TextDelta, ToolResult, ToolSpec
from llmkit.providers.ollama import OllamaModel

if TYPE_CHECKING:
    from llmkit.testing import FakeProviderServer

CLOCK = ToolSpec(
    name="local_time",
    description="The current local time in a city, as HH:MM.",
    parameters={
        "type": "object",
        "properties": {"city": {"type": "string", "description": "City name, e.g. Lisbon"}},
        "required": ["city"],
    },
)


def local_time(city: str) -> str:
    """The tool itself (a real one would look the time zone up)."""
    return f"It is 14:05 in {city}."


def offline_reply(request: Request) -> object:
    """How the fake Ollama answers: like a cooperative model would."""
    from llmkit.testing import tool_call

    last = request.messages[-1]
    if last.role == "tool":
        return f"The clock says: {last.tool_results[0].text}"
    if request.tools:
        return tool_call("local_time", city="Lisbon")
    return "Ollama runs open models on your own machine; llmkit talks to it natively."


def pick_address(argv: list[str]) -> tuple[str | None, FakeProviderServer | None]:
    """Your Ollama when a model was named, else the fake provider server."""
    if argv:
        return None, None  # OLLAMA_HOST, or Ollama's default address
    from llmkit.testing import FakeProviderServer

    server = FakeProviderServer(offline_reply).start()
    print(
        "No model named: running offline against llmkit's fake provider server at "
        f"{server.url} (it speaks Ollama's protocol).\n"
    )
    return server.ollama_base_url, server


async def main(argv: list[str]) -> None:
    base_url, server = pick_address(argv)
    chat_model = argv[0] if argv else "llama3.2"
    embed_model = argv[1] if len(argv) > 1 else "nomic-embed-text"
    try:
        names = await OllamaModel.list_models(base_url)
        print(f"Models: {', '.join(names) or '(none pulled yet)'}\n")
        model = llmkit.model(f"ollama/{chat_model}", base_url=base_url, keep_alive="10m")

        # 1. Stream an answer as it is written.
        print("> What is Ollama, in one sentence?")
        request = Request([Message.system("Be brief."), Message.user("What is Ollama?")])
        async for event in model.stream(request):
            if isinstance(event, TextDelta):
                print(event.text, end="", flush=True)
            elif isinstance(event, ModelResponse):
                usage = event.response.usage
                print(f"\n[{usage.input_tokens} tokens in, {usage.output_tokens} out]\n")

        # 2. A tool round trip: Ollama sends each call whole, arguments as an object.
        print("> What time is it in Lisbon?")
        request = Request([Message.user("What time is it in Lisbon?")], tools=[CLOCK])
        response = await model.generate(request)
        while response.tool_calls:
            results = []
            for call in response.tool_calls:
                print(f"[tool call] {call.name}({call.arguments})")
                results.append(ToolResult(call.id, local_time(**call.arguments), name=call.name))
            request.messages += [response.message, Message.tool(*results)]
            response = await model.generate(request)
        print(response.text, "\n")

        # 3. Embeddings for retrieval.
        embedder = llmkit.model(f"ollama/{embed_model}", base_url=base_url)
        vectors = await embedder.embed(["a cat on a mat", "a dog in a fog"])
        print(f"{len(vectors)} vectors of {len(vectors[0])} numbers")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1:]))
    except llmkit.LLMKitError as exc:
        sys.exit(f"error: {exc}")
