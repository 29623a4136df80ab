"""Messages: one turn of a conversation, a role and an ordered list of parts.

Re-exported by :mod:`llmkit.types`; import it from there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, TypeAlias

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
    _part_from_dict,
    _put,
    _text_arg,
    _type_name,
)
from llmkit.errors import SerializationError, UsageError

__all__ = ["BUILD_MESSAGES", "Message", "Role"]

Role: TypeAlias = Literal["system", "user", "assistant", "tool"]
"""Who wrote a message."""

_ROLES = frozenset(("system", "user", "assistant", "tool"))
_PART_TYPES = (TextPart, ImagePart, DocumentPart, AudioPart, ReasoningPart, ToolCall, ToolResult)
_CONTENT_TYPES = (TextPart, ImagePart, DocumentPart, AudioPart)
BUILD_MESSAGES = (
    "Build messages with Message.user('...'), Message.system('...'), Message.assistant('...') "
    "or Message.tool(...) (Message.from_dict(d) reads their JSON form)"
)
"""How to build messages, for errors about something that is not one."""


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
                + BUILD_MESSAGES
                + "."
            )
        for part in parts:
            if type(part) not in _PART_TYPES and not isinstance(part, _PART_TYPES):
                raise UsageError(
                    f"A message part must be a TextPart, ImagePart, DocumentPart, AudioPart, "
                    f"ReasoningPart, ToolCall or ToolResult, not {_type_name(part)}. "
                    + BUILD_MESSAGES
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
