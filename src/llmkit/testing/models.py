"""In-process test models: answers from a script, a function, or the schema alone; no network.

::

    from llmkit.testing import ScriptedModel, TestModel, tool_call

    model = ScriptedModel([tool_call("add", a=2, b=3), "The sum is 5."])
    response = await model.generate(request)      # a tool call (id "call_1")
    response = await model.generate(request)      # "The sum is 5."
    model.requests                                # every Request it received

    agent.override(model=TestModel())             # every tool called once, then a valid answer

All of them stream the same answer as events (text in small pieces), so
stream consumers are exercised too; faults become the errors the transport
raises for them.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any, Literal, TypeAlias

from llmkit.errors import UsageError
from llmkit.events import ModelResponse, ReasoningDelta, StreamEvent, TextDelta, ToolCallDelta
from llmkit.providers._assemble import ResponseBuilder, events_from_response
from llmkit.providers.base import Capabilities, Model, check_request
from llmkit.testing._fault import Fault, instantiate, interrupted, provider_error
from llmkit.testing._schema_values import valid_value
from llmkit.testing._script import (
    Script,
    ScriptFunction,
    ScriptLike,
    Turn,
    check_turn,
    estimate_usage,
    response_for,
    tool_call,
)
from llmkit.testing._vectors import text_vector
from llmkit.types import Embeddings, JSONDict, Message, Request, Response, ToolSpec, Usage

__all__ = ["FunctionModel", "ScriptedModel", "StreamFunction", "TestModel"]

StreamFunction: TypeAlias = Callable[
    [Request],
    AsyncIterator[str | StreamEvent] | Iterator[str | StreamEvent],
]
"""A function that streams an answer: it yields text pieces and/or stream events."""


class _TurnModel(Model):
    """What the in-process models share: a turn per request, recording, faults, streaming, embeddings."""

    provider = "test"

    def __init__(
        self,
        script: Script,
        *,
        model_id: str,
        capabilities: Capabilities | None,
        chunk_size: int,
        embedding_dimensions: int,
    ) -> None:
        self._script = script
        self.model_id = model_id
        self.capabilities = capabilities if capabilities is not None else Capabilities()
        self.chunk_size = chunk_size
        self.embedding_dimensions = embedding_dimensions
        self.requests: list[Request] = []
        """Every request this model received, in order (failed calls included)."""

    async def _next_turn(self, request: Request) -> Turn:
        raise NotImplementedError

    async def _settle(self, request: Request) -> Turn:
        """The turn for ``request`` after waiting out ``slow`` faults."""
        self.requests.append(request)
        turn = await self._next_turn(request)
        while isinstance(turn, Fault) and turn.kind == "slow":
            await asyncio.sleep(turn.seconds)
            turn = check_turn(turn.then, "Fault.slow(then=...)")
        return turn

    def _response(self, turn: Turn, request: Request) -> Response:
        if isinstance(turn, Fault):
            raise provider_error(turn)
        if isinstance(turn, BaseException):
            raise turn
        if isinstance(turn, type):
            raise instantiate(turn)
        return response_for(turn, request, self._script)

    async def generate(self, request: Request) -> Response:
        """Answer ``request`` with the next turn (raising what the turn says to raise)."""
        check_request(request, "generate")
        return self._response(await self._settle(request), request)

    async def stream(self, request: Request) -> AsyncGenerator[StreamEvent, None]:
        """Answer ``request`` as stream events: deltas in small pieces, then ``model.response``."""
        check_request(request, "stream")
        turn = await self._settle(request)
        if isinstance(turn, Fault) and turn.kind in ("drop", "end_early"):
            partial = self._response(check_turn(turn.then, f"Fault.{turn.kind}(turn=...)"), request)
            events = events_from_response(partial, chunk_size=self.chunk_size)[:-1]
            builder = ResponseBuilder()
            for event in events[: turn.after_events]:
                _feed(builder, event)
                yield event
            raise interrupted(builder.build(finish_reason="error"))
        response = self._response(turn, request)
        for event in events_from_response(response, chunk_size=self.chunk_size):
            yield event

    async def embed(self, inputs: Sequence[str], *, dimensions: int | None = None) -> Embeddings:
        """Deterministic vectors derived from a hash of each text (equal texts, equal vectors)."""
        size = dimensions or self.embedding_dimensions
        vectors = [text_vector(text, size) for text in inputs]
        tokens = sum(max(1, len(text) // 4) for text in inputs)
        return Embeddings(vectors, usage=Usage(tokens, requests=1), model=self.model_id)


def _feed(builder: ResponseBuilder, event: StreamEvent) -> None:
    if isinstance(event, TextDelta):
        builder.add_text(event.text)
    elif isinstance(event, ReasoningDelta):
        builder.add_reasoning(event.text, event.signature)
    elif isinstance(event, ToolCallDelta):
        builder.add_tool_call_delta(event.index, event.id, event.name, event.arguments)


class ScriptedModel(_TurnModel):
    """A model that answers from a script: a list of turns, or a function ``Request -> turn``.

    A turn is a ``str`` (text reply), a :class:`~llmkit.types.ToolCall` or a
    list of them (tool-call reply; empty ids become ``call_1``, ``call_2`` …),
    a :class:`~llmkit.types.Response` (returned as is), an exception instance
    or class (raised), or a :class:`~llmkit.testing.Fault` (raised as the error
    the transport would raise for it). A list script that runs out raises
    :class:`~llmkit.testing.ScriptExhaustedError`.
    """

    def __init__(
        self,
        script: ScriptLike,
        *,
        model_id: str = "scripted",
        capabilities: Capabilities | None = None,
        chunk_size: int = 4,
        embedding_dimensions: int = 8,
    ) -> None:
        super().__init__(
            Script(script),
            model_id=model_id,
            capabilities=capabilities,
            chunk_size=chunk_size,
            embedding_dimensions=embedding_dimensions,
        )

    async def _next_turn(self, request: Request) -> Turn:
        return await self._script.next_turn(request)


class FunctionModel(_TurnModel):
    """A model whose answers come from your function, for logic a list cannot express.

    ``fn(request)`` returns a turn (it may be ``async``). ``stream_fn(request)``,
    when given, drives :meth:`stream` instead: it yields text pieces and/or
    stream events (sync or async generator), and the final ``model.response``
    is assembled from them.
    """

    def __init__(
        self,
        fn: ScriptFunction,
        *,
        stream_fn: StreamFunction | None = None,
        model_id: str = "function",
        capabilities: Capabilities | None = None,
        chunk_size: int = 4,
        embedding_dimensions: int = 8,
    ) -> None:
        super().__init__(
            Script(None),
            model_id=model_id,
            capabilities=capabilities,
            chunk_size=chunk_size,
            embedding_dimensions=embedding_dimensions,
        )
        self.fn = fn
        self.stream_fn = stream_fn

    async def _next_turn(self, request: Request) -> Turn:
        value: Turn | Awaitable[Turn] = self.fn(request)
        if inspect.isawaitable(value):
            value = await value
        return check_turn(value, "FunctionModel's answer")

    async def stream(self, request: Request) -> AsyncGenerator[StreamEvent, None]:
        """Stream from ``stream_fn`` when given, else stream ``fn``'s answer in pieces."""
        check_request(request, "stream")
        if self.stream_fn is None:
            async for scripted in super().stream(request):
                yield scripted
            return
        self.requests.append(request)
        builder = ResponseBuilder()
        async for item in _iterate(self.stream_fn(request)):
            event: StreamEvent = TextDelta(item) if isinstance(item, str) else item
            if isinstance(event, ModelResponse):
                yield event
                return
            _feed(builder, event)
            yield event
        message = builder.message()
        yield ModelResponse(
            builder.build(
                finish_reason="tool_calls" if builder.has_tool_calls else "stop",
                usage=estimate_usage(request, message),
                model=self.model_id,
            )
        )


async def _iterate(
    items: AsyncIterator[str | StreamEvent] | Iterator[str | StreamEvent],
) -> AsyncIterator[str | StreamEvent]:
    if isinstance(items, AsyncIterator):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item


class TestModel(_TurnModel):
    """A model that needs no script: it calls every tool once, with valid arguments, then answers.

    To a user's message it answers with one call of each tool the request
    offers (``call_tools="all"``), or of the tools named in ``call_tools``,
    with arguments built from each tool's JSON schema so that they validate
    (types, required fields, enums, nested objects, arrays, bounds, formats,
    patterns). When the request turns parallel calls off, it calls them one
    per answer. Once each has been called since the user's message, it answers:

    - when the request asks for structured output (the final-result tool,
      ``output_schema``, or the schema in the instructions of ``"prompted"``
      mode): a value valid for the schema, or ``custom_output_args``;
    - else ``custom_output_text``, or, by default, a JSON object of what each
      tool returned (``"success (no tool calls)"`` when it called none).

    It never repeats a call, so a run ends after two model calls (one when it
    calls no tool). ``__test__ = False`` keeps pytest from collecting it.
    """

    __test__ = False

    def __init__(
        self,
        *,
        call_tools: Literal["all"] | Sequence[str] = "all",
        custom_output_text: str | None = None,
        custom_output_args: Any = None,
        model_id: str = "test",
        capabilities: Capabilities | None = None,
        chunk_size: int = 4,
        embedding_dimensions: int = 8,
    ) -> None:
        if call_tools != "all" and (
            isinstance(call_tools, str)
            or not isinstance(call_tools, Sequence)
            or not all(isinstance(name, str) for name in call_tools)
        ):
            raise UsageError(f'call_tools takes "all" or a list of tool names, not {call_tools!r}.')
        if custom_output_text is not None and not isinstance(custom_output_text, str):
            raise UsageError(
                f"custom_output_text takes a str, not {type(custom_output_text).__name__}."
            )
        super().__init__(
            Script(None),
            model_id=model_id,
            capabilities=capabilities,
            chunk_size=chunk_size,
            embedding_dimensions=embedding_dimensions,
        )
        self.call_tools: Literal["all"] | tuple[str, ...] = (
            "all" if call_tools == "all" else tuple(call_tools)
        )
        self.custom_output_text = custom_output_text
        self.custom_output_args = custom_output_args

    async def _next_turn(self, request: Request) -> Turn:
        from llmkit.output._spec import FINAL_RESULT_TOOL  # not at import: it loads the tools

        turn = _Turn(request.messages)
        final = next((t for t in request.tools if t.name == FINAL_RESULT_TOOL), None)
        waiting = [t for t in self._chosen(request) if t.name not in turn.called]
        if waiting:
            if request.parallel_tool_calls is False:
                waiting = waiting[:1]
            return [tool_call(t.name, **_arguments(t.parameters)) for t in waiting]
        if final is not None:
            value = self._structured(final.parameters)
            arguments = value if isinstance(value, dict) else {"result": value}
            return tool_call(final.name, **arguments)
        schema = request.output_schema.schema if request.output_schema is not None else None
        if schema is None:
            schema = _prompted(request.messages)
        if schema is not None:
            return json.dumps(self._structured(schema), ensure_ascii=False)
        if self.custom_output_text is not None:
            return self.custom_output_text
        if not turn.results:
            return "success (no tool calls)"
        return json.dumps(turn.results, ensure_ascii=False)

    def _chosen(self, request: Request) -> list[ToolSpec]:
        from llmkit.output._spec import FINAL_RESULT_TOOL

        choice = request.tool_choice
        if choice == "none":
            return []
        offered = [t for t in request.tools if t.name != FINAL_RESULT_TOOL]
        if choice not in (None, "auto", "required"):
            offered = [t for t in offered if t.name == choice]
        if self.call_tools == "all":
            return offered
        return [t for t in offered if t.name in self.call_tools]

    def _structured(self, schema: JSONDict) -> Any:
        if self.custom_output_args is None:
            return valid_value(schema, every_property=True)
        from pydantic_core import to_jsonable_python

        return to_jsonable_python(self.custom_output_args)


class _Turn:
    """What happened since the user's last message: the tools called, and what they returned."""

    __slots__ = ("called", "results")

    def __init__(self, messages: Sequence[Message]) -> None:
        start = next(
            (i for i in range(len(messages) - 1, -1, -1) if messages[i].role == "user"), -1
        )
        self.called: set[str] = set()
        self.results: dict[str, str] = {}
        for message in messages[start + 1 :]:
            self.called.update(call.name for call in message.tool_calls)
            for result in message.tool_results:
                if result.name:
                    self.results[result.name] = result.text


def _arguments(parameters: JSONDict) -> JSONDict:
    value = valid_value(parameters)
    return value if isinstance(value, dict) else {}


def _prompted(messages: Sequence[Message]) -> JSONDict | None:
    from llmkit.output._spec import prompted_schema

    system = next((m for m in messages if m.role == "system"), None)
    return prompted_schema(system.text) if system is not None else None
