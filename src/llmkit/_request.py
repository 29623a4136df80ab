"""What is sent to a model: the :class:`Request`, its tool specs, output schema and reasoning control.

Re-exported by :mod:`llmkit.types`; import them from there. :class:`ModelSettings`
types the request fields an agent sends with every call. A request is built
for every model call, so its checks are plain type checks, each field once, and
cost the same for a long conversation as for a short one: of a long message
list only the first and last few items are looked at (an agent's request
repeats a conversation whose messages were checked as they joined it; a
caller's mistakes sit at the ends). A provider meets any other item that is
not a :class:`Message` when it encodes the request, and raises the same
:class:`UsageError` (:func:`check_message_items`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias, TypedDict

from llmkit._message import BUILD_MESSAGES, Message
from llmkit._parts import JSONDict, _put, _text_arg, _type_name
from llmkit.errors import SerializationError, UsageError

__all__ = [
    "ModelSettings",
    "OutputSchema",
    "Reasoning",
    "ReasoningEffort",
    "Request",
    "ToolChoice",
    "ToolSpec",
    "check_message_items",
]

ToolChoice: TypeAlias = str
"""``"auto"``, ``"none"``, ``"required"``, or the name of the one tool the model must call."""

ReasoningEffort: TypeAlias = Literal["none", "minimal", "low", "medium", "high", "xhigh"]
"""How hard a reasoning model should think."""

_EFFORTS = frozenset(("none", "minimal", "low", "medium", "high", "xhigh"))


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


_ENDS = 8
"""How many items at each end of a long message list a request looks at."""


def _message_list(value: object) -> list[Message]:
    """``value`` as a list of messages, or a :class:`UsageError` saying how to build them."""
    if type(value) is not list:
        if isinstance(value, str | bytes | dict | Message) or not isinstance(value, Iterable):
            raise UsageError(
                f"Request(messages=...) takes a list of Message objects, not "
                f"{_type_name(value)}. {BUILD_MESSAGES}."
            )
        value = list(value)
        check_message_items(value)
        return value
    count = len(value)
    if count <= 2 * _ENDS:
        check_message_items(value)
    else:  # the same cost for any length: see the module's docstring
        check_message_items(value, 0, _ENDS)
        check_message_items(value, count - _ENDS, count)
    return value


def check_message_items(
    messages: Sequence[object], start: int = 0, stop: int | None = None
) -> None:
    """Raise :class:`UsageError` naming the first of ``messages[start:stop]`` that is not a Message.

    A :class:`Request` runs it on the ends of a long list; a provider runs it on
    the whole list when encoding meets something that is not a Message.
    """
    for i in range(start, len(messages) if stop is None else stop):
        message = messages[i]
        if type(message) is not Message and not isinstance(message, Message):
            raise UsageError(
                f"Request(messages=...) takes Message objects, but item {i} is a "
                f"{_type_name(message)}. {BUILD_MESSAGES}."
            )


def _integer(value: object, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise UsageError(f"{where} takes a whole number or None, not {_type_name(value)}.")


def _positive(value: object, where: str) -> None:
    if _integer(value, where) < 1:
        raise UsageError(
            f"{where} must be 1 or more, not {value!r}: None leaves the model's default, and a "
            "provider's own value (Ollama's num_predict=-1) goes in extra=."
        )


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
            _positive(self.max_tokens, "Request(max_tokens=...)")
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


class ModelSettings(TypedDict, total=False):
    """Request fields an agent sends with every model call: ``Agent(model_settings=...)``.

    Every key is a :class:`Request` field the agent does not build itself
    (``messages``, ``tools`` and ``output_schema`` are its own), and each value
    type is that field's, so ``Request(messages, **settings)`` type-checks.
    A test keeps the keys equal to the fields. For example
    ``{"temperature": 0.2, "max_tokens": 500}``.
    """

    tool_choice: ToolChoice | None
    temperature: float | None
    top_p: float | None
    max_tokens: int | None
    stop: list[str] | None
    """One string still works at run time: :class:`Request` makes it a list."""
    seed: int | None
    reasoning: Reasoning | None
    parallel_tool_calls: bool | None
    extra: JSONDict
    """Provider-specific body fields, merged into the wire body untouched."""
