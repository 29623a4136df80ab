"""The data model: messages and their parts, tool specs, requests, responses, usage.

Everything here is plain data: slotted dataclasses with no I/O and no knowledge
of any provider. Providers translate these objects to and from their wire
formats; agents, workflows, hooks and recordings pass them around.

Every type has a stable JSON form (``to_dict`` / ``from_dict``), and
:func:`dump` / :func:`load` wrap any of them in a versioned envelope, which is
what recordings, checkpoints and the language bridges store.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from llmkit._envelope import FORMAT_VERSION, dump, dumps, load, loads
from llmkit._envelope import register_kind as _register
from llmkit._parts import (
    AudioPart,
    ContentPart,
    DocumentPart,
    ImagePart,
    JSONDict,
    Part,
    ReasoningPart,
    TextPart,
    ToolCall,
    ToolResult,
    _put,
    _text_arg,
    _type_name,
)
from llmkit._parts import _part_from_dict as _part_from_dict
from llmkit.errors import SerializationError, UsageError

__all__ = [
    "FORMAT_VERSION",
    "AudioPart",
    "ContentPart",
    "DocumentPart",
    "Embeddings",
    "FinishReason",
    "ImagePart",
    "JSONDict",
    "Message",
    "OutputSchema",
    "Part",
    "Reasoning",
    "ReasoningEffort",
    "ReasoningPart",
    "Request",
    "Response",
    "Role",
    "TextPart",
    "ToolCall",
    "ToolChoice",
    "ToolResult",
    "ToolSpec",
    "Usage",
    "dump",
    "dumps",
    "load",
    "loads",
]

Role: TypeAlias = Literal["system", "user", "assistant", "tool"]
"""Who wrote a message."""

FinishReason: TypeAlias = Literal["stop", "length", "tool_calls", "content_filter", "error"]
"""Why the model stopped, normalised across providers."""

ToolChoice: TypeAlias = str
"""``"auto"``, ``"none"``, ``"required"``, or the name of the one tool the model must call."""

ReasoningEffort: TypeAlias = Literal["none", "minimal", "low", "medium", "high", "xhigh"]
"""How hard a reasoning model should think."""

_ROLES = frozenset(("system", "user", "assistant", "tool"))
_FINISH_REASONS = frozenset(("stop", "length", "tool_calls", "content_filter", "error"))
_EFFORTS = frozenset(("none", "minimal", "low", "medium", "high", "xhigh"))
_PART_TYPES = (TextPart, ImagePart, DocumentPart, AudioPart, ReasoningPart, ToolCall, ToolResult)
_CONTENT_TYPES = (TextPart, ImagePart, DocumentPart, AudioPart)
_BUILD_MESSAGES = (
    "Build messages with Message.user('...'), Message.system('...'), Message.assistant('...') "
    "or Message.tool(...) (Message.from_dict(d) reads their JSON form)"
)


def _number(value: object, where: str) -> float:
    """``value`` if it is a finite real number, else a :class:`UsageError` naming ``where``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if math.isfinite(value):
            return value
        raise UsageError(
            f"{where} is {value!r}, which is not a finite number (JSON has no NaN or "
            "infinity); pass a finite number or None."
        )
    raise UsageError(f"{where} takes a number or None, not {_type_name(value)}.")


def _message_list(value: object) -> list[Message]:
    """``value`` as a list of messages, or a :class:`UsageError` saying how to build them."""
    if type(value) is not list:
        if isinstance(value, str | bytes | dict | Message) or not isinstance(value, Iterable):
            raise UsageError(
                f"Request(messages=...) takes a list of Message objects, not "
                f"{_type_name(value)}. {_BUILD_MESSAGES}."
            )
        value = list(value)
    for i, message in enumerate(value):
        if type(message) is not Message and not isinstance(message, Message):
            raise UsageError(
                f"Request(messages=...) takes Message objects, but item {i} is a "
                f"{_type_name(message)}. {_BUILD_MESSAGES}."
            )
    return value


def _integer(value: object, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise UsageError(f"{where} takes a whole number or None, not {_type_name(value)}.")


# ------------------------------------------------------------------------ messages


@dataclass(slots=True)
class Message:
    """One turn of a conversation: a role and an ordered list of parts.

    Build them with the constructors::

        Message.system("Be brief.")
        Message.user("What is in this picture?", ImagePart(url="https://…"))
        Message.assistant("It is a cat.")
        Message.tool(ToolResult("call_1", "42"))
    """

    role: Role
    parts: list[Part]
    name: str | None = None
    """Optional participant name (passed to providers that take one)."""
    provider_data: JSONDict | None = None

    def __post_init__(self) -> None:
        if self.role not in _ROLES:
            raise UsageError(
                f"Unknown message role {self.role!r}; use one of: system, user, assistant, tool."
            )
        parts = self.parts
        if type(parts) is not list:
            raise UsageError(
                f"Message(parts=...) takes a list of parts, not {_type_name(parts)}. "
                + _BUILD_MESSAGES
                + "."
            )
        for part in parts:
            if type(part) not in _PART_TYPES and not isinstance(part, _PART_TYPES):
                raise UsageError(
                    f"A message part must be a TextPart, ImagePart, DocumentPart, AudioPart, "
                    f"ReasoningPart, ToolCall or ToolResult, not {_type_name(part)}. "
                    + _BUILD_MESSAGES
                    + "."
                )

    @classmethod
    def system(cls, text: str) -> Message:
        """A system message (instructions for the model)."""
        return cls("system", [TextPart(_text_arg(text, "Message.system(text)"))])

    @classmethod
    def user(cls, *content: str | ContentPart) -> Message:
        """A user message from text and/or content parts (images, documents, audio)."""
        parts: list[Part] = []
        for item in content:
            if isinstance(item, str):
                parts.append(TextPart(item))
            elif isinstance(item, _CONTENT_TYPES):
                parts.append(item)
            else:
                raise UsageError(
                    "Message.user() takes text and content parts (ImagePart, DocumentPart, "
                    f"AudioPart), not {_type_name(item)}; convert numbers with str(...)."
                )
        return cls("user", parts)

    @classmethod
    def assistant(
        cls,
        text: str | None = None,
        *,
        tool_calls: Iterable[ToolCall] = (),
        reasoning: Iterable[ReasoningPart] = (),
    ) -> Message:
        """An assistant message: optional reasoning, then text, then tool calls."""
        parts: list[Part] = list(reasoning)
        if any(type(p) is not ReasoningPart for p in parts):
            raise UsageError("Message.assistant(reasoning=...) takes ReasoningPart objects.")
        if text is not None and type(text) is not str:
            _text_arg(text, "Message.assistant(text)")
        if text:
            parts.append(TextPart(text))
        calls = list(tool_calls)
        if any(type(c) is not ToolCall for c in calls):
            raise UsageError(
                "Message.assistant(tool_calls=...) takes ToolCall objects, e.g. "
                "ToolCall('call_1', 'add', {'a': 1})."
            )
        parts.extend(calls)
        return cls("assistant", parts)

    @classmethod
    def tool(cls, *results: ToolResult) -> Message:
        """A message carrying the results of one or more tool calls."""
        for result in results:
            if not isinstance(result, ToolResult):
                raise UsageError(
                    f"Message.tool() takes ToolResult objects, not {_type_name(result)}, e.g. "
                    "Message.tool(ToolResult('call_1', '42'))."
                )
        return cls("tool", list(results))

    @property
    def text(self) -> str:
        """All text parts joined together ("" when there are none)."""
        parts = self.parts
        if len(parts) == 1 and type(parts[0]) is TextPart:
            return parts[0].text
        return "".join(p.text for p in parts if type(p) is TextPart)

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls in this message, in order."""
        return [p for p in self.parts if type(p) is ToolCall]

    @property
    def tool_results(self) -> list[ToolResult]:
        """The tool results in this message, in order."""
        return [p for p in self.parts if type(p) is ToolResult]

    @property
    def reasoning(self) -> str:
        """The reasoning text in this message ("" when there is none)."""
        return "".join(p.text for p in self.parts if type(p) is ReasoningPart)

    def to_dict(self) -> JSONDict:
        """Return the JSON form of this message."""
        d: JSONDict = {"role": self.role, "parts": [p.to_dict() for p in self.parts]}
        _put(d, "name", self.name)
        _put(d, "provider_data", self.provider_data)
        return d

    @classmethod
    def from_dict(cls, d: JSONDict) -> Message:
        """Build a message from its JSON form."""
        try:
            return cls(
                d["role"],
                [_part_from_dict(p) for p in d["parts"]],
                d.get("name"),
                d.get("provider_data"),
            )
        except (KeyError, TypeError, UsageError) as exc:
            raise SerializationError(f"Not a valid message: missing or wrong {exc}.") from exc


# ------------------------------------------------------------------------- requests


@dataclass(slots=True)
class ToolSpec:
    """What the model is told about a tool: its name, purpose and JSON-schema parameters."""

    name: str
    description: str = ""
    parameters: JSONDict = field(default_factory=lambda: {"type": "object", "properties": {}})
    """JSON Schema of the argument object."""
    strict: bool | None = None
    """Ask for strict schema adherence where the provider supports it."""
    provider_data: JSONDict | None = None

    def __post_init__(self) -> None:
        if type(self.name) is not str:
            _text_arg(self.name, "ToolSpec(name)")
        if type(self.description) is not str:
            _text_arg(self.description, "ToolSpec(description)")
        if not isinstance(self.parameters, dict):
            raise UsageError(
                "ToolSpec(parameters) takes a JSON schema as a dict, e.g. "
                f"{{'type': 'object', 'properties': {{}}}}, not {_type_name(self.parameters)}."
            )

    def to_dict(self) -> JSONDict:
        """Return the JSON form of this spec."""
        d: JSONDict = {"name": self.name, "description": self.description}
        d["parameters"] = self.parameters
        _put(d, "strict", self.strict)
        _put(d, "provider_data", self.provider_data)
        return d

    @classmethod
    def from_dict(cls, d: JSONDict) -> ToolSpec:
        """Build a tool spec from its JSON form."""
        return cls(
            d["name"],
            d.get("description", ""),
            d.get("parameters") or {"type": "object", "properties": {}},
            d.get("strict"),
            d.get("provider_data"),
        )


@dataclass(slots=True)
class OutputSchema:
    """A JSON schema the model's answer must follow (structured output)."""

    schema: JSONDict
    name: str = "output"
    description: str | None = None
    strict: bool = True
    """Ask the provider to enforce the schema exactly, where it can."""

    def __post_init__(self) -> None:
        if not isinstance(self.schema, dict):
            raise UsageError(
                f"OutputSchema(schema) takes a JSON schema as a dict, not {_type_name(self.schema)}."
            )
        if type(self.name) is not str:
            _text_arg(self.name, "OutputSchema(name)")

    def to_dict(self) -> JSONDict:
        """Return the JSON form of this schema."""
        d: JSONDict = {"name": self.name, "schema": self.schema, "strict": self.strict}
        _put(d, "description", self.description)
        return d

    @classmethod
    def from_dict(cls, d: JSONDict) -> OutputSchema:
        """Build an output schema from its JSON form."""
        return cls(
            d["schema"], d.get("name", "output"), d.get("description"), d.get("strict", True)
        )


@dataclass(slots=True)
class Reasoning:
    """One control for reasoning across providers: an effort level and/or a token budget.

    Providers use what they understand: OpenAI takes ``effort``; token-budget
    providers take ``budget_tokens`` (or derive one from ``effort``).
    """

    effort: ReasoningEffort | None = None
    budget_tokens: int | None = None

    def __post_init__(self) -> None:
        if self.effort is not None and self.effort not in _EFFORTS:
            raise UsageError(
                f"Unknown reasoning effort {self.effort!r}; use one of: "
                "none, minimal, low, medium, high, xhigh."
            )
        if self.budget_tokens is not None and (
            _integer(self.budget_tokens, "Reasoning(budget_tokens=...)") < 0
        ):
            raise UsageError("Reasoning(budget_tokens=...) must be 0 or more.")

    def to_dict(self) -> JSONDict:
        """Return the JSON form of this control."""
        d: JSONDict = {}
        _put(d, "effort", self.effort)
        _put(d, "budget_tokens", self.budget_tokens)
        return d

    @classmethod
    def from_dict(cls, d: JSONDict) -> Reasoning:
        """Build a reasoning control from its JSON form."""
        return cls(d.get("effort"), d.get("budget_tokens"))


@dataclass(slots=True)
class Request:
    """Everything sent to a model for one call, independent of the provider.

    ``extra`` holds provider-specific body fields; they are merged into the wire
    body untouched (and win over what the codec wrote), so any option a
    provider supports is reachable even before llmkit knows it.
    """

    messages: list[Message]
    tools: list[ToolSpec] = field(default_factory=list)
    tool_choice: ToolChoice | None = None
    output_schema: OutputSchema | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: list[str] | None = None
    seed: int | None = None
    reasoning: Reasoning | None = None
    parallel_tool_calls: bool | None = None
    extra: JSONDict = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Built for every model call: plain type checks, each field once.
        self.messages = _message_list(self.messages)
        if self.temperature is not None:
            _number(self.temperature, "Request(temperature=...)")
        if self.top_p is not None:
            _number(self.top_p, "Request(top_p=...)")
        if self.max_tokens is not None:
            _integer(self.max_tokens, "Request(max_tokens=...)")
        if self.seed is not None:
            _integer(self.seed, "Request(seed=...)")
        if self.tools:
            self._check_tools()
        if self.tool_choice is not None and type(self.tool_choice) is not str:
            _text_arg(self.tool_choice, "Request(tool_choice=...)")
        if self.stop is not None:
            self._check_stop()
        if self.output_schema is not None and not isinstance(self.output_schema, OutputSchema):
            raise UsageError(
                "Request(output_schema=...) takes an OutputSchema, e.g. "
                f"OutputSchema({{'type': 'object', ...}}), not {_type_name(self.output_schema)}."
            )
        if self.reasoning is not None and not isinstance(self.reasoning, Reasoning):
            raise UsageError(
                "Request(reasoning=...) takes a Reasoning, e.g. Reasoning(effort='low'), "
                f"not {_type_name(self.reasoning)}."
            )
        if self.parallel_tool_calls is not None and type(self.parallel_tool_calls) is not bool:
            raise UsageError("Request(parallel_tool_calls=...) takes True, False or None.")
        if type(self.extra) is not dict and not isinstance(self.extra, dict):
            raise UsageError(
                f"Request(extra=...) takes a dict of body fields, not {_type_name(self.extra)}."
            )

    def _check_tools(self) -> None:
        if type(self.tools) is not list:
            self.tools = list(self.tools)
        for tool in self.tools:
            if not isinstance(tool, ToolSpec):
                raise UsageError(
                    f"Request(tools=...) takes ToolSpec objects, not {_type_name(tool)} "
                    "(an agent turns @tool functions into ToolSpecs for you)."
                )

    def _check_stop(self) -> None:
        stop: object = self.stop
        if isinstance(stop, str):
            self.stop = [stop]
            return
        if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
            raise UsageError("Request(stop=...) takes a list of strings (or one string).")

    def to_dict(self) -> JSONDict:
        """Return the JSON form of this request."""
        d: JSONDict = {"messages": [m.to_dict() for m in self.messages]}
        _put(d, "tools", [t.to_dict() for t in self.tools])
        _put(d, "tool_choice", self.tool_choice)
        if self.output_schema is not None:
            d["output_schema"] = self.output_schema.to_dict()
        for key in ("temperature", "top_p", "max_tokens", "stop", "seed", "parallel_tool_calls"):
            _put(d, key, getattr(self, key))
        if self.reasoning is not None:
            d["reasoning"] = self.reasoning.to_dict()
        _put(d, "extra", self.extra)
        return d

    @classmethod
    def from_dict(cls, d: JSONDict) -> Request:
        """Build a request from its JSON form."""
        try:
            schema = d.get("output_schema")
            reasoning = d.get("reasoning")
            return cls(
                messages=[Message.from_dict(m) for m in d["messages"]],
                tools=[ToolSpec.from_dict(t) for t in d.get("tools", [])],
                tool_choice=d.get("tool_choice"),
                output_schema=OutputSchema.from_dict(schema) if schema is not None else None,
                temperature=d.get("temperature"),
                top_p=d.get("top_p"),
                max_tokens=d.get("max_tokens"),
                stop=d.get("stop"),
                seed=d.get("seed"),
                reasoning=Reasoning.from_dict(reasoning) if reasoning is not None else None,
                parallel_tool_calls=d.get("parallel_tool_calls"),
                extra=d.get("extra") or {},
            )
        except (KeyError, TypeError, UsageError) as exc:
            raise SerializationError(f"Not a valid request: missing or wrong {exc}.") from exc


# ------------------------------------------------------------------------ responses


@dataclass(slots=True)
class Usage:
    """Tokens, requests and cost. Add two with ``+``; ``sum()`` works too.

    ``input_tokens`` counts every prompt token, cached ones included
    (``cache_read_tokens`` and ``cache_write_tokens`` say how many of them hit
    or filled a cache); ``output_tokens`` includes ``reasoning_tokens``.
    ``cost`` is in US dollars, from llmkit's dated price table; it is None
    when the price of a model that contributed is not known.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0
    requests: int = 0
    """Number of model calls these tokens came from."""
    cost: float | None = None
    """Price in USD, or None when unknown."""

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
            self.requests + other.requests,
            _add_cost(self, other),
        )

    def __radd__(self, other: object) -> Usage:
        # Lets ``sum(usages)`` start from 0.
        if other == 0:
            return self
        if isinstance(other, Usage):
            return other.__add__(self)
        return NotImplemented

    def to_dict(self) -> JSONDict:
        """Return the JSON form of this usage."""
        d: JSONDict = {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "requests": self.requests,
        }
        if self.cost is not None:
            d["cost"] = self.cost
        return d

    @classmethod
    def from_dict(cls, d: JSONDict) -> Usage:
        """Build a usage record from its JSON form."""
        return cls(
            d.get("input_tokens", 0),
            d.get("output_tokens", 0),
            d.get("cache_read_tokens", 0),
            d.get("cache_write_tokens", 0),
            d.get("reasoning_tokens", 0),
            d.get("requests", 0),
            d.get("cost"),
        )


def _add_cost(a: Usage, b: Usage) -> float | None:
    """The cost of two usages together: unknown if a non-empty part is unknown."""
    if a.cost is not None and b.cost is not None:
        return a.cost + b.cost
    # An empty usage (no tokens, no requests) adds nothing, known or not.
    if a.cost is None and _is_empty(a):
        return b.cost
    if b.cost is None and _is_empty(b):
        return a.cost
    return None


def _is_empty(u: Usage) -> bool:
    return not (u.requests or u.input_tokens or u.output_tokens)


@dataclass(slots=True)
class Response:
    """A model's answer to one :class:`Request`."""

    message: Message
    """The assistant message (reasoning, text and tool calls)."""
    usage: Usage = field(default_factory=Usage)
    finish_reason: FinishReason = "stop"
    model: str | None = None
    """The model id the provider reports having used."""
    request_id: str | None = None
    """The provider's id for the HTTP request, for support tickets and logs."""
    raw_finish_reason: str | None = None
    """The finish reason exactly as the provider sent it."""
    provider_data: JSONDict | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.message, Message):
            raise UsageError(
                f"Response(message) takes a Message, e.g. Message.assistant('...'), not "
                f"{_type_name(self.message)}."
            )
        if not isinstance(self.usage, Usage):
            raise UsageError(f"Response(usage) takes a Usage, not {_type_name(self.usage)}.")
        if self.finish_reason not in _FINISH_REASONS:
            raise UsageError(
                f"Unknown finish_reason {self.finish_reason!r}; use one of: "
                "stop, length, tool_calls, content_filter, error."
            )

    @property
    def text(self) -> str:
        """The answer's text ("" when the model only called tools)."""
        return self.message.text

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls the model asked for, in order."""
        return self.message.tool_calls

    @property
    def reasoning(self) -> str:
        """The model's visible reasoning text, if it returned any."""
        return self.message.reasoning

    def to_dict(self) -> JSONDict:
        """Return the JSON form of this response."""
        d: JSONDict = {
            "message": self.message.to_dict(),
            "usage": self.usage.to_dict(),
            "finish_reason": self.finish_reason,
        }
        _put(d, "model", self.model)
        _put(d, "request_id", self.request_id)
        _put(d, "raw_finish_reason", self.raw_finish_reason)
        _put(d, "provider_data", self.provider_data)
        return d

    @classmethod
    def from_dict(cls, d: JSONDict) -> Response:
        """Build a response from its JSON form."""
        try:
            return cls(
                Message.from_dict(d["message"]),
                Usage.from_dict(d.get("usage") or {}),
                d.get("finish_reason", "stop"),
                d.get("model"),
                d.get("request_id"),
                d.get("raw_finish_reason"),
                d.get("provider_data"),
            )
        except (KeyError, TypeError, UsageError) as exc:
            raise SerializationError(f"Not a valid response: missing or wrong {exc}.") from exc


class Embeddings(list[list[float]]):
    """Vectors returned by :meth:`Model.embed`, one per input, with the usage they cost.

    It is a plain ``list`` of ``list[float]``; ``usage`` and ``model`` ride along.
    """

    __slots__ = ("model", "usage")

    def __init__(
        self,
        vectors: Iterable[list[float]] = (),
        *,
        usage: Usage | None = None,
        model: str | None = None,
    ) -> None:
        super().__init__(vectors)
        self.usage = usage if usage is not None else Usage()
        self.model = model


# ------------------------------------------------------------ JSON envelope kinds

_kinds: tuple[tuple[str, type, Callable[[JSONDict], Any]], ...] = (
    ("message", Message, Message.from_dict),
    ("request", Request, Request.from_dict),
    ("response", Response, Response.from_dict),
    ("usage", Usage, Usage.from_dict),
    ("tool_spec", ToolSpec, ToolSpec.from_dict),
    ("output_schema", OutputSchema, OutputSchema.from_dict),
    ("reasoning_control", Reasoning, Reasoning.from_dict),
    *(
        (part_cls.kind, part_cls, _part_from_dict)
        for part_cls in (
            TextPart,
            ImagePart,
            DocumentPart,
            AudioPart,
            ReasoningPart,
            ToolCall,
            ToolResult,
        )
    ),
)
for _kind, _cls, _loader in _kinds:
    _register(_kind, _cls, _loader)
