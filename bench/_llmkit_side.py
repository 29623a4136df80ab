"""The llmkit side of each case: the same work as the floor, through llmkit's public API.

Runners whose part of llmkit is not there yet raise :class:`Unavailable`
from their constructor, and the case is reported as "not available yet".
"""

from __future__ import annotations

from typing import Any

from bench._workload import (
    AGENT_PROMPT,
    API_KEY,
    INSTRUCTIONS,
    ITEMS,
    MODEL,
    PROMPT,
    branch_functions,
    double,
    get_weather,
    output_model,
)

__all__ = [
    "STEPS",
    "LLMKitAgent",
    "LLMKitAgentHooks",
    "LLMKitAgentMemory",
    "LLMKitAgentOutput",
    "LLMKitAgentOutputStream",
    "LLMKitAgentStream",
    "LLMKitGenerate",
    "LLMKitMap1000",
    "LLMKitParallel100",
    "LLMKitStream",
    "LLMKitThreeAgents",
    "LLMKitWorkflow",
    "LLMKitWorkflowCheckpoint",
    "Unavailable",
]


class Unavailable(Exception):
    """The part of llmkit a case measures does not exist yet."""


def _model(base_url: str) -> Any:
    import llmkit

    return llmkit.model(f"openai/{MODEL}", base_url=base_url + "/v1", api_key=API_KEY)


def _agent_api() -> tuple[Any, Any]:
    try:
        from llmkit import Agent, tool
    except ImportError as exc:
        raise Unavailable(f"llmkit has no Agent yet ({exc})") from None
    return Agent, tool


class _Model:
    LOOP_BOUND = False
    """One runner serves any event loop: llmkit keeps a client per loop itself."""

    def __init__(self, base_url: str) -> None:
        from llmkit import Message, Request

        self.model = _model(base_url)
        self.message = Message
        self.request = Request

    async def aclose(self) -> None:
        from llmkit.http import aclose_clients

        await aclose_clients()


class LLMKitGenerate(_Model):
    """``Model.generate``: one non-streamed call."""

    async def run(self) -> None:
        message = self.message
        request = self.request(messages=[message.system(INSTRUCTIONS), message.user(PROMPT)])
        response = await self.model.generate(request)
        if not response.text:
            raise RuntimeError("no text in the answer")


class LLMKitStream(_Model):
    """``Model.stream``: one streamed call, every event consumed."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        from llmkit import ModelResponse

        self.final_event = ModelResponse

    async def run(self) -> None:
        message = self.message
        request = self.request(messages=[message.system(INSTRUCTIONS), message.user(PROMPT)])
        final = None
        async for event in self.model.stream(request):
            if isinstance(event, self.final_event):
                final = event.response
        if final is None or not final.text:
            raise RuntimeError("no text in the answer")


class _Agent(_Model):
    output_type: Any = None
    hooks: list[Any] | None = None

    def __init__(self, base_url: str) -> None:
        agent_class, tool = _agent_api()
        super().__init__(base_url)
        options: dict[str, Any] = {"tools": [tool(get_weather)], "instructions": INSTRUCTIONS}
        if self.output_type is not None:
            options["output_type"] = self.output_type
        if self.hooks:
            options["hooks"] = self.hooks
        self.agent = agent_class(self.model, **options)


class LLMKitAgent(_Agent):
    """``Agent.run`` with one tool call: two model calls and the tool in between."""

    async def run(self) -> None:
        result = await self.agent.run(AGENT_PROMPT)
        if not result.output:
            raise RuntimeError("no output")


class LLMKitAgentHooks(_Agent):
    """``Agent.run`` of the same run with a ``LoggingHook`` (INFO, to a handler that
    discards) and a ``MetricsHook``: what observing every call costs."""

    def __init__(self, base_url: str) -> None:
        import logging

        from llmkit.hooks import LoggingHook, MetricsHook

        class Discard(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                pass

        logger = logging.getLogger("bench.llmkit.hooks")
        logger.handlers[:] = [Discard()]
        logger.setLevel(logging.INFO)
        logger.propagate = False
        self.hooks = [LoggingHook(logger), MetricsHook()]
        super().__init__(base_url)

    async def run(self) -> None:
        result = await self.agent.run(AGENT_PROMPT)
        if not result.output:
            raise RuntimeError("no output")


class LLMKitAgentMemory(_Agent):
    """``Agent.run`` of the same run with a ``ConversationMemory`` (an 8,000-token budget the run
    fits): what counting the request before every model call costs."""

    def __init__(self, base_url: str) -> None:
        try:
            from llmkit.memory import ConversationMemory
        except ImportError as exc:
            raise Unavailable(f"llmkit has no ConversationMemory yet ({exc})") from None
        self.hooks = [ConversationMemory(max_tokens=8_000)]
        super().__init__(base_url)

    async def run(self) -> None:
        result = await self.agent.run(AGENT_PROMPT)
        if not result.output:
            raise RuntimeError("no output")


class LLMKitAgentStream(_Agent):
    """``Agent.stream`` of the same run, every event consumed."""

    async def run(self) -> None:
        count = 0
        async for _ in self.agent.stream(AGENT_PROMPT):
            count += 1
        if not count:
            raise RuntimeError("no events")


class LLMKitAgentOutput(_Agent):
    """``Agent.run`` with ``output_type``: the tool call, then a validated structured answer."""

    def __init__(self, base_url: str) -> None:
        self.output_type = output_model()
        super().__init__(base_url)

    async def run(self) -> None:
        result = await self.agent.run(AGENT_PROMPT)
        if not isinstance(result.output, self.output_type):
            raise RuntimeError(f"output is a {type(result.output).__name__}, not Weather")


class LLMKitAgentOutputStream(LLMKitAgentOutput):
    """``Agent.stream`` of the structured-output run, with or without ``PartialOutput`` events."""

    def __init__(self, base_url: str, *, partial: bool) -> None:
        self.partial = partial
        super().__init__(base_url)

    async def run(self) -> None:
        partials = 0
        output = None
        async for event in self.agent.stream(AGENT_PROMPT, partial_output=self.partial):
            if event.topic == "output.partial":
                partials += 1
            elif event.topic == "run.end":
                output = event.result.output
        if not isinstance(output, self.output_type) or (partials > 0) != self.partial:
            raise RuntimeError(f"output {output!r} after {partials} partial answers")


STEPS = ("Draft", "Critique", "Rewrite")
"""The three steps of the workflow case, in order (each one an agent with its own instructions)."""


def _three_agents(base_url: str) -> tuple[Any, list[Any]]:
    agent_class, _ = _agent_api()
    model = _model(base_url)
    agents = [
        agent_class(model, name=name.lower(), instructions=f"{name}. {INSTRUCTIONS}")
        for name in STEPS
    ]
    return model, agents


class _Three:
    LOOP_BOUND = False

    async def aclose(self) -> None:
        from llmkit.http import aclose_clients

        await aclose_clients()


class LLMKitWorkflow(_Three):
    """A three-step workflow (draft, critique, rewrite): ``sequence`` of three agent steps,
    each reading the state's ``text`` and writing its answer back to it."""

    def __init__(self, base_url: str) -> None:
        try:
            from llmkit.workflow import sequence, step
        except ImportError as exc:
            raise Unavailable(f"llmkit has no workflows yet ({exc})") from None
        _, agents = _three_agents(base_url)
        self.flow = sequence(
            *(step(agent, input="text", output="text") for agent in agents), name="bench"
        )

    async def run(self) -> None:
        result = await self.flow.run({"text": PROMPT})
        if not result.state["text"]:
            raise RuntimeError("no text in the state")


class LLMKitWorkflowCheckpoint(LLMKitWorkflow):
    """The workflow case with ``store=SQLiteStore(<a temporary file>)``: each run is created in
    the store, each of its three steps checkpointed, and the run finished there."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        import tempfile
        from pathlib import Path

        try:
            from llmkit.durable import SQLiteStore
        except ImportError as exc:
            raise Unavailable(f"llmkit has no SQLiteStore yet ({exc})") from None
        self.folder = tempfile.TemporaryDirectory()
        self.store = SQLiteStore(Path(self.folder.name) / "runs.db")

    async def run(self) -> None:
        result = await self.flow.run({"text": PROMPT}, store=self.store)
        if not result.state["text"]:
            raise RuntimeError("no text in the state")

    async def aclose(self) -> None:
        await self.store.close()
        await super().aclose()


class LLMKitThreeAgents(_Three):
    """The same three agents called by hand, each given the previous answer: what the
    workflow case costs without the workflow runner."""

    def __init__(self, base_url: str) -> None:
        _, self.agents = _three_agents(base_url)

    async def run(self) -> None:
        text = PROMPT
        for agent in self.agents:
            text = (await agent.run(text)).output
        if not text:
            raise RuntimeError("no text in the answer")


class LLMKitParallel100:
    """``parallel`` of 100 sync function steps (``f_i(state) -> i``) into ``out``; no server."""

    LOOP_BOUND = False

    def __init__(self, base_url: str) -> None:
        from llmkit.workflow import parallel, step

        functions = branch_functions()
        self.flow = parallel(
            *(step(f, name=f"f{i}") for i, f in enumerate(functions)), output="out"
        )
        self.size = len(functions)

    async def run(self) -> None:
        result = await self.flow.run({})
        if len(result.state["out"]) != self.size:
            raise RuntimeError("missing outputs")

    async def aclose(self) -> None:
        pass


class LLMKitMap1000:
    """``map_each`` of a sync function over a list of 1,000 items into ``out``; no server."""

    LOOP_BOUND = False

    def __init__(self, base_url: str) -> None:
        from llmkit.workflow import map_each, step

        self.flow = map_each(step(double), over="items", output="out")
        self.items = list(range(ITEMS))

    async def run(self) -> None:
        result = await self.flow.run({"items": self.items})
        if len(result.state["out"]) != len(self.items):
            raise RuntimeError("missing outputs")

    async def aclose(self) -> None:
        pass
