"""Conversation histories: trimming to fit, without breaking what providers require.

Providers reject histories in which a tool call has no result, a result has
no call, or (for some) the conversation does not start with a user turn.
:func:`trim_history` drops the oldest turns whole, so none of that happens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from llmkit.errors import UsageError
from llmkit.types import AudioPart, DocumentPart, ImagePart, Message, TextPart, ToolCall, ToolResult

__all__ = ["estimate_tokens", "trim_history"]

# Rough token costs of media, for estimates only.
_MEDIA_TOKENS = {ImagePart: 800, DocumentPart: 1500, AudioPart: 500}


def estimate_tokens(message: Message) -> int:
    """A rough token count of ``message`` (about four characters per token, media at a flat rate).

    Good enough to keep a history under a budget; use the provider's own
    counter when you need exact numbers.
    """
    chars = 0
    tokens = 4  # per-message overhead
    for part in message.parts:
        if isinstance(part, TextPart):
            chars += len(part.text)
        elif isinstance(part, ToolCall):
            chars += len(part.name) + len(part.raw_arguments or str(part.arguments))
        elif isinstance(part, ToolResult):
            chars += len(part.text)
            if not isinstance(part.content, str):
                tokens += sum(_MEDIA_TOKENS.get(type(p), 0) for p in part.content)
        else:
            tokens += _MEDIA_TOKENS.get(type(part), 0)
            chars += len(getattr(part, "text", "") or "")
    return tokens + (chars + 3) // 4


def _units(messages: Sequence[Message]) -> list[list[int]]:
    """Group the indexes of non-system messages into units kept or dropped together.

    An assistant message that calls tools forms one unit with the tool
    messages that follow it; every other message is a unit of its own.
    """
    units: list[list[int]] = []
    for index, message in enumerate(messages):
        if message.role == "system":
            continue
        if message.role == "tool" and units and _calls_tools(messages[units[-1][0]]):
            units[-1].append(index)
        else:
            units.append([index])
    return units


def _calls_tools(message: Message) -> bool:
    return message.role == "assistant" and any(isinstance(p, ToolCall) for p in message.parts)


def trim_history(
    messages: Sequence[Message],
    *,
    max_messages: int | None = None,
    max_tokens: int | None = None,
    count_tokens: Callable[[Message], int] = estimate_tokens,
) -> list[Message]:
    """The most recent part of ``messages`` that fits the limits, as a new list.

    - system messages are always kept, in place (and count toward the limits);
    - the oldest turns are dropped first, whole: a tool call is never kept
      without its results or the other way round;
    - once something was dropped, the kept conversation starts with a user
      message, which every provider accepts;
    - the last turn is always kept, even when it alone exceeds a limit.

    ``messages`` itself is not changed.
    """
    if max_messages is not None and max_messages < 1:
        raise UsageError("max_messages must be 1 or more.")
    if max_tokens is not None and max_tokens < 1:
        raise UsageError("max_tokens must be 1 or more.")
    units = _units(messages)
    count = len(messages)
    tokens = sum(count_tokens(m) for m in messages) if max_tokens is not None else 0

    def too_big() -> bool:
        return (max_messages is not None and count > max_messages) or (
            max_tokens is not None and tokens > max_tokens
        )

    dropped: set[int] = set()
    first = 0
    last = len(units) - 1
    while first < last and (too_big() or (dropped and messages[units[first][0]].role != "user")):
        for index in units[first]:
            dropped.add(index)
            count -= 1
            if max_tokens is not None:
                tokens -= count_tokens(messages[index])
        first += 1
    return [m for i, m in enumerate(messages) if i not in dropped]
