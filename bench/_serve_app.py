"""The agent server of the serve study: ``python -m bench._serve_app FAKE_URL`` (its own process).

It serves :func:`served_agent` with ``app_for`` under uvicorn on 127.0.0.1, as
``llmkit serve`` does (``Server.run`` in the foreground: uvicorn's own choice of
event loop and HTTP parser, access log off), prints ``serving URL`` once the socket
listens, and runs until it is terminated. No rate limit, no run limit: the study
measures what serving costs, not what the guards refuse.
"""

from __future__ import annotations

import sys
from typing import Any

from bench._workload import API_KEY, INSTRUCTIONS, MODEL, get_weather

__all__ = ["AGENT_NAME", "READY", "TOKEN", "main", "served_agent"]

AGENT_NAME = "bench-agent"
TOKEN = "bench-serve-token"
READY = "serving "


def served_agent(fake_url: str) -> Any:
    """The study's agent: the ``agent`` case's (one tool, two model calls), named for serving."""
    import llmkit
    from llmkit import Agent, tool

    model = llmkit.model(f"openai/{MODEL}", base_url=fake_url + "/v1", api_key=API_KEY)
    return Agent(model, name=AGENT_NAME, instructions=INSTRUCTIONS, tools=[tool(get_weather)])


def main(argv: list[str]) -> int:
    """Serve the agent against the fake server at ``argv[0]`` until terminated."""
    from llmkit.serve import Server, app_for

    app = app_for(served_agent(argv[0]), tokens=[TOKEN])

    def ready(url: str) -> None:
        print(READY + url, flush=True)

    Server(app).run(ready=ready)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
