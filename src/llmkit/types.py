"""The data model: messages and their parts, tool specs, requests, responses, usage.

Everything here is plain data: slotted dataclasses with no I/O and no knowledge
of any provider. Providers translate these objects to and from their wire
formats; agents, workflows, hooks and recordings pass them around.

Every type has a stable JSON form (``to_dict`` / ``from_dict``), and
:func:`dump` / :func:`load` wrap any of them in a versioned envelope, which is
what recordings, checkpoints and the language bridges store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from llmkit._envelope import FORMAT_VERSION, dump, dumps, load, loads
from llmkit._envelope import register_kind as _register
from llmkit._message import Message, Role
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
    _type_name,
)
from llmkit._parts import _part_from_dict as _part_from_dict
from llmkit._request import (
    ModelSettings,
    OutputSchema,
    Reasoning,
    ReasoningEffort,
    Request,
    ToolChoice,
    ToolSpec,
)
from llmkit._usage import Usage
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
    "ModelSettings",
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

FinishReason: TypeAlias = Literal["stop", "length", "tool_calls", "content_filter", "error"]
"""Why the model stopped, normalised across providers."""

_FINISH_REASONS = frozenset(("stop", "length", "tool_calls", "content_filter", "error"))


# ------------------------------------------------------------------------ responses


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
