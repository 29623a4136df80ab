"""The same model on both HTTP transports, and one event loop per call as scripts do.

Runs offline against llmkit's fake provider server. Each model says which
transport carries its calls: aiohttp by default, httpx2 when asked for (or
when the call needs what only httpx2 does: HTTP/2, a SOCKS proxy, your own
``httpx2.AsyncClient``). ``LLMKIT_TRANSPORT=httpx2`` switches every model
that does not choose.

    python examples/transports.py
"""

from __future__ import annotations

import asyncio

import llmkit
from llmkit import Message, Request
from llmkit.testing import FakeProviderServer


def main() -> None:
    with FakeProviderServer() as server:
        server.script(lambda request: f"Hello over HTTP ({len(request.messages)} message).")
        question = Request(messages=[Message.user("Hi!")])
        for transport in ("aiohttp", "httpx2"):
            model = llmkit.model(
                "openai/gpt-4.1-mini",
                base_url=server.openai_base_url,
                api_key="sk-example-key",
                transport=transport,
            )
            # A new event loop per call: each loop gets its own pool, closed when the loop
            # ends, and every pool of the process shares one SSL context.
            for _ in range(2):
                answer = asyncio.run(model.generate(question))
                print(f"[{model.transport}] {answer.text}")
        two = llmkit.model(
            "openai/gpt-4.1-mini",
            base_url=server.openai_base_url,
            api_key="sk-example-key",
            http2=True,
        )
        print(f"http2=True is served by {two.transport}")


if __name__ == "__main__":
    main()
