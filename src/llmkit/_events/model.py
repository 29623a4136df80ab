"""Model-level events: what ``Model.stream`` yields, the complete response always last.

Served through :mod:`llmkit.events`; import from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, TypeAlias

from llmkit._events.base import Codec, EventBase, dict_of
from llmkit.types import Response

__all__ = [
    "ModelResponse",
    "ReasoningDelta",
    "StreamEvent",
    "TextDelta",
    "ToolCallDelta",
]


@dataclass(slots=True)
class TextDelta(EventBase):
    """A piece of answer text, as it streams in."""

    text: str
    topic: ClassVar[str] = "model.text_delta"


@dataclass(slots=True)
class ReasoningDelta(EventBase):
    """A piece of the model's reasoning, or its signature, as it streams in."""

    text: str = ""
    signature: str | None = None
    topic: ClassVar[str] = "model.reasoning_delta"


@dataclass(slots=True)
class ToolCallDelta(EventBase):
    """A piece of a tool call as it streams in.

    ``index`` tells parallel calls apart; ``id`` and ``name`` arrive with the
    first piece of a call, ``arguments`` is the next fragment of its JSON text.
    """

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""
    topic: ClassVar[str] = "model.tool_call_delta"


@dataclass(slots=True)
class ModelResponse(EventBase):
    """The complete response, assembled from the stream; always the last stream event."""

    response: Response
    topic: ClassVar[str] = "model.response"
    _codecs: ClassVar[dict[str, Codec]] = {"response": (dict_of, Response.from_dict)}


StreamEvent: TypeAlias = TextDelta | ReasoningDelta | ToolCallDelta | ModelResponse
"""What ``Model.stream`` yields."""
