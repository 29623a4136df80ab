"""One request, four wire protocols, then a fallback across providers.

The same `Request` goes to OpenAI, Anthropic, Gemini and Ollama models, and to
a llama.cpp server through its preset; only the model string changes. Runs
offline against llmkit's fake provider server, which speaks all four protocols
(and answers as llama.cpp does at its llama.cpp address).

    python examples/providers.py
"""

from __future__ import annotations

import llmkit
from llmkit import Message, Request, ToolResult, ToolSpec
from llmkit.providers import price_of
from llmkit.testing import FakeProviderServer, Fault, tool_call

WEATHER = ToolSpec(
    "get_weather",
    "Current weather in a city.",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


def reply(request: Request) -> object:
    """How the fake models answer: call the tool, then report its result."""
    last = request.messages[-1]
    if last.role == "tool":
        return f"In Paris it is {last.tool_results[0].text}."
    return tool_call("get_weather", city="Paris")


def main() -> None:
    with FakeProviderServer(reply) as server:
        print(
            f"Offline: every model below is served by llmkit's fake provider server at {server.url}.\n"
        )
        models = [
            llmkit.model("openai/gpt-4.1-mini", base_url=server.openai_base_url, api_key="offline"),
            llmkit.model(
                "anthropic/claude-sonnet-4-5", base_url=server.anthropic_base_url, api_key="offline"
            ),
            llmkit.model(
                "gemini/gemini-2.5-flash", base_url=server.gemini_base_url, api_key="offline"
            ),
            llmkit.model("ollama/llama3.2", base_url=server.ollama_base_url),
            # llama.cpp refuses a null content beside tool calls; its preset sends "".
            llmkit.model("llamacpp/gemma-3-270m", base_url=server.llamacpp_base_url),
        ]
        for model in models:
            request = Request(
                messages=[Message.user("What's the weather in Paris?")], tools=[WEATHER]
            )
            first = model.generate_sync(request)
            call = first.tool_calls[0]
            request.messages += [
                first.message,
                Message.tool(ToolResult(call.id, "18 °C and sunny", name=call.name)),
            ]
            answer = model.generate_sync(request)
            price = price_of(model)  # what the model costs, and where that price comes from
            cost = (
                f"${answer.usage.cost:.6f} at {price.source} prices"
                if answer.usage.cost is not None and price is not None
                else "no price listed"
            )
            print(f"{model.name:<30} {answer.text}  [{answer.usage.total_tokens} tokens, {cost}]")

        # A fallback moves on when a provider is overloaded: Anthropic answers 529, OpenAI takes over.
        server.script([Fault.status(529), "Answered by the fallback model."])
        flaky = llmkit.model(
            "anthropic/claude-sonnet-4-5",
            base_url=server.anthropic_base_url,
            api_key="offline",
            max_retries=0,
        )
        steady = llmkit.model(
            "openai/gpt-4.1-mini", base_url=server.openai_base_url, api_key="offline"
        )
        answer = llmkit.fallback(flaky, steady).generate_sync(
            Request(messages=[Message.user("hi")])
        )
        print(f"\nfallback(anthropic, openai): {answer.text}")


if __name__ == "__main__":
    main()
